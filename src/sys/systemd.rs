//! The sd_notify protocol, by hand (docs/keepalived-compat.md#processes-and-systemd: Debian's unit is
//! `Type=notify`; keepalived sends READY=1 after `Startup complete` and RELOADING=1 / READY=1
//! around reloads).
//!
//! The protocol is one unix datagram of `KEY=VALUE` lines to the socket named by
//! `$NOTIFY_SOCKET` (a path, or an abstract socket when it starts with `@`). Without
//! `$NOTIFY_SOCKET` every call is a no-op, so the daemon behaves the same outside systemd.
//! systemd ≥ 253 ignores `RELOADING=1` unless it carries `MONOTONIC_USEC`, the
//! CLOCK_MONOTONIC time of the reload request, so [`Notifier::reloading`] always sends it.
//! Sending never waits: a message the manager's full queue cannot take is dropped with an
//! error (see [`Notifier::to_socket`]).

use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

use nix::time::{clock_gettime, ClockId};

use super::SysError;

/// Sends state changes to the service manager.
#[derive(Debug)]
pub struct Notifier {
    target: Option<(UnixDatagram, SocketAddr)>,
}

impl Notifier {
    /// Reads `$NOTIFY_SOCKET`; a notifier that does nothing when it is unset or empty.
    pub fn from_env() -> Result<Notifier, SysError> {
        match std::env::var_os("NOTIFY_SOCKET") {
            Some(path) if !path.is_empty() => Notifier::to_socket(&path.to_string_lossy()),
            _ => Ok(Notifier::disabled()),
        }
    }

    /// A notifier that sends nothing.
    pub fn disabled() -> Notifier {
        Notifier { target: None }
    }

    /// A notifier for the given socket name (`/path` or `@abstract`).
    pub fn to_socket(name: &str) -> Result<Notifier, SysError> {
        let what = || format!("use NOTIFY_SOCKET {name}");
        let addr = match name.strip_prefix('@') {
            Some(abstract_name) => SocketAddr::from_abstract_name(abstract_name.as_bytes()),
            None => SocketAddr::from_pathname(name),
        }
        .map_err(|e| SysError::io(what(), e))?;
        let sock = UnixDatagram::unbound().map_err(|e| SysError::io(what(), e))?;
        // The loop sends these (WATCHDOG=1 every half interval, STATUS= on changes): when the
        // manager's queue is full (it does not read, or not fast enough) a send fails with
        // EAGAIN and the message is dropped, instead of blocking the loop and its adverts.
        sock.set_nonblocking(true)
            .map_err(|e| SysError::io(what(), e))?;
        Ok(Notifier {
            target: Some((sock, addr)),
        })
    }

    /// Whether a service manager is listening.
    pub fn is_enabled(&self) -> bool {
        self.target.is_some()
    }

    /// `READY=1`: start-up (or a reload) is complete.
    pub fn ready(&self) -> Result<(), SysError> {
        self.send("READY=1\n")
    }

    /// `RELOADING=1` with `MONOTONIC_USEC` (required by systemd ≥ 253).
    pub fn reloading(&self) -> Result<(), SysError> {
        let usec = monotonic_usec().unwrap_or(0);
        self.send(&format!("RELOADING=1\nMONOTONIC_USEC={usec}\n"))
    }

    /// `STOPPING=1`: shutdown has begun.
    pub fn stopping(&self) -> Result<(), SysError> {
        self.send("STOPPING=1\n")
    }

    /// `STATUS=...`: free text shown by `systemctl status` (newlines are replaced by spaces).
    pub fn status(&self, text: &str) -> Result<(), SysError> {
        let one_line: String = text
            .chars()
            .map(|c| if c == '\n' { ' ' } else { c })
            .collect();
        self.send(&format!("STATUS={one_line}\n"))
    }

    /// `WATCHDOG=1`: keep-alive ping, to be sent every [`watchdog_interval`] / 2.
    pub fn watchdog(&self) -> Result<(), SysError> {
        self.send("WATCHDOG=1\n")
    }

    /// Sends one raw notification message.
    pub fn send(&self, message: &str) -> Result<(), SysError> {
        let Some((sock, addr)) = &self.target else {
            return Ok(());
        };
        sock.send_to_addr(message.as_bytes(), addr)
            .map(|_| ())
            .map_err(|e| SysError::io("notify systemd", e))
    }
}

/// CLOCK_MONOTONIC in microseconds, the clock systemd compares `MONOTONIC_USEC` with.
pub fn monotonic_usec() -> Option<u64> {
    let ts = clock_gettime(ClockId::CLOCK_MONOTONIC).ok()?;
    let secs = u64::try_from(ts.tv_sec()).ok()?;
    let micros = u64::try_from(ts.tv_nsec()).ok()? / 1000;
    secs.checked_mul(1_000_000)?.checked_add(micros)
}

/// The watchdog interval systemd expects pings within (`WatchdogSec=`), if it is enabled for
/// this process (`$WATCHDOG_USEC`, and `$WATCHDOG_PID` unset or ours).
pub fn watchdog_interval() -> Option<Duration> {
    if let Ok(pid) = std::env::var("WATCHDOG_PID") {
        if pid.trim().parse::<u32>().ok()? != std::process::id() {
            return None;
        }
    }
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.trim().parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_notifier_is_a_no_op() {
        let n = Notifier::disabled();
        assert!(!n.is_enabled());
        n.ready().unwrap();
        n.reloading().unwrap();
        n.stopping().unwrap();
    }

    #[test]
    fn monotonic_clock_is_readable() {
        assert!(monotonic_usec().unwrap() > 0);
    }
}
