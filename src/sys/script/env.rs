//! The environment a script gets: the daemon's, minus what would let it run or find other
//! code, or speak for the daemon to systemd.

use std::ffi::CString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// Variables a script never inherits from the daemon. keepalived removes `IFS`,
/// `LD_PRELOAD` and `LD_LIBRARY_PATH` before exec; vrrpd also drops every other dynamic
/// loader variable (`LD_*`), the shell start-up and path variables that run or find code
/// (`BASH_ENV`, `ENV`, `CDPATH`), glibc's module path (`GCONV_PATH`), and systemd's
/// per-process protocol variables, which name the daemon's own notify socket, sockets and
/// watchdog and must not be used by a script in its name.
const DROPPED_ENV: &[&str] = &[
    "IFS",
    "BASH_ENV",
    "ENV",
    "CDPATH",
    "GCONV_PATH",
    "NOTIFY_SOCKET",
    "LISTEN_PID",
    "LISTEN_FDS",
    "LISTEN_FDNAMES",
    "WATCHDOG_PID",
    "WATCHDOG_USEC",
];

/// Whether variable `name` is kept in a script's environment.
fn keeps_env(name: &[u8]) -> bool {
    !name.starts_with(b"LD_") && !DROPPED_ENV.iter().any(|d| d.as_bytes() == name)
}

/// The environment scripts get: the daemon's, without [`DROPPED_ENV`] and `LD_*`.
pub(super) fn script_env() -> Vec<CString> {
    std::env::vars_os()
        .filter(|(k, _)| keeps_env(k.as_bytes()))
        .filter_map(|(k, v)| {
            let mut kv = k.into_vec();
            kv.push(b'=');
            kv.extend_from_slice(v.as_bytes());
            CString::new(kv).ok()
        })
        .collect()
}
