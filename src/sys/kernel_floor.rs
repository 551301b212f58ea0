//! System calls newer than the support floor (glibc 2.17, Linux 3.10: RHEL 7; see
//! docs/portability.md) and which path this kernel gets.
//!
//! The release binary is linked against glibc 2.17, which has no wrapper for any of these, so
//! they are made with `syscall(2)`; a kernel (or a seccomp filter) without one answers
//! `ENOSYS` and the fallback keeps the same guarantee:
//!
//! * `close_range` (Linux 5.9), used by a script's child before `exec` so it inherits only
//!   0, 1 and 2: falls back to closing what `/proc/self/fd` lists, and without `/proc` to
//!   closing every number up to the descriptor limit (src/sys/script/close_fds.rs).
//! * `getrandom` (Linux 3.17), the random part of temporary file names: falls back to
//!   `/dev/urandom`, then to the clock (src/sys/fsafe.rs).
//!
//! Each is probed once, at first use or by [`log_paths`] at start; `-D` logs the outcome.

use std::sync::OnceLock;

/// What this kernel offers of the facilities above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facilities {
    pub close_range: bool,
    pub getrandom: bool,
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// `close_range(~0, ~0, 0)`: a valid call that closes nothing (no descriptor has that
/// number), so only a missing system call makes it fail.
fn probe_close_range() -> bool {
    // SAFETY: the range holds no open descriptor; nothing is closed.
    let r = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            libc::c_uint::MAX,
            libc::c_uint::MAX,
            0 as libc::c_uint,
        )
    };
    r == 0 || errno() != libc::ENOSYS
}

/// `getrandom` of zero bytes with GRND_NONBLOCK: returns at once wherever it exists.
fn probe_getrandom() -> bool {
    let mut b = [0u8; 1];
    // SAFETY: writes at most 0 bytes into `b`.
    let r = unsafe {
        libc::syscall(
            libc::SYS_getrandom,
            b.as_mut_ptr(),
            0usize,
            libc::GRND_NONBLOCK,
        )
    };
    r >= 0 || errno() != libc::ENOSYS
}

/// The facilities of this kernel, probed on the first call.
pub fn facilities() -> Facilities {
    static F: OnceLock<Facilities> = OnceLock::new();
    *F.get_or_init(|| Facilities {
        close_range: probe_close_range(),
        getrandom: probe_getrandom(),
    })
}

/// Probes (if not yet done) and logs at debug level (`-D`) which path each facility takes.
pub fn log_paths() {
    let f = facilities();
    tracing::debug!(
        target: "vrrpd",
        "Script descriptors closed with {}",
        if f.close_range {
            "close_range"
        } else {
            "the /proc/self/fd list (close_range unavailable)"
        }
    );
    tracing::debug!(
        target: "vrrpd",
        "Random numbers from {}",
        if f.getrandom {
            "getrandom"
        } else {
            "/dev/urandom (getrandom unavailable)"
        }
    );
}
