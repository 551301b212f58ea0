//! The one error type of the OS layer.
//!
//! Every variant reads as a sentence naming what was attempted and where, so the shell can log
//! it as is and `main` can print it as the single `Error: ...` line. Missing privileges get
//! their own variant: running vrrpd as an ordinary user is the most common start-up mistake
//! and deserves one clear line instead of "Operation not permitted (os error 1)".

use std::io;

/// The privilege an operation needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Privilege {
    /// Raw IP and packet sockets.
    NetRaw,
    /// Adding and deleting addresses through netlink.
    NetAdmin,
}

impl std::fmt::Display for Privilege {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Privilege::NetRaw => "raw sockets need root or CAP_NET_RAW",
            Privilege::NetAdmin => "changing addresses needs root or CAP_NET_ADMIN",
        })
    }
}

/// An operating-system operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SysError {
    /// `what` is a phrase such as "open the VRRP receive socket on eth0".
    #[error("cannot {what}: {source}")]
    Os {
        what: String,
        #[source]
        source: io::Error,
    },
    /// EPERM/EACCES while doing something that needs a capability.
    #[error("cannot {what}: {need}")]
    Permission { what: String, need: Privilege },
    /// The named interface does not exist (in this network namespace).
    #[error("interface {name} does not exist")]
    NoSuchInterface { name: String },
    /// A frame found no room in its socket's send buffer and was dropped (sends never wait).
    #[error("cannot send a frame on {ifname}: the transmit queue is full; frame dropped")]
    FrameDropped { ifname: String },
}

impl SysError {
    /// Wraps an OS error; EPERM and EACCES become [`SysError::Permission`] with `need`.
    pub fn os(what: impl Into<String>, need: Privilege, source: io::Error) -> SysError {
        let what = what.into();
        match source.raw_os_error() {
            Some(libc::EPERM) | Some(libc::EACCES) => SysError::Permission { what, need },
            _ => SysError::Os { what, source },
        }
    }

    /// Wraps an OS error that has nothing to do with privileges.
    pub fn io(what: impl Into<String>, source: io::Error) -> SysError {
        SysError::Os {
            what: what.into(),
            source,
        }
    }

    /// The errno of the underlying OS error, if any.
    pub fn errno(&self) -> Option<i32> {
        match self {
            SysError::Os { source, .. } => source.raw_os_error(),
            SysError::Permission { .. } => Some(libc::EPERM),
            SysError::NoSuchInterface { .. } => Some(libc::ENODEV),
            SysError::FrameDropped { .. } => Some(libc::ENOBUFS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eperm_becomes_one_clear_line() {
        let e = SysError::os(
            "open the VRRP receive socket on eth0",
            Privilege::NetRaw,
            io::Error::from_raw_os_error(libc::EPERM),
        );
        assert_eq!(
            e.to_string(),
            "cannot open the VRRP receive socket on eth0: raw sockets need root or CAP_NET_RAW"
        );
        assert!(matches!(e, SysError::Permission { .. }));
    }

    #[test]
    fn other_errors_keep_the_os_text() {
        let e = SysError::os(
            "bind the VRRP receive socket to 10.0.0.9 on eth0",
            Privilege::NetRaw,
            io::Error::from_raw_os_error(libc::EADDRNOTAVAIL),
        );
        assert!(e
            .to_string()
            .starts_with("cannot bind the VRRP receive socket to 10.0.0.9 on eth0: "));
        assert_eq!(e.errno(), Some(libc::EADDRNOTAVAIL));
    }
}
