//! The control socket: `vrrpd status`, `drain`/`undrain`, `events` and `reload` talk to a
//! running daemon through a Unix stream socket (README "Control").
//!
//! * [`protocol`]: one JSON request per line; one JSON answer line, or a stream of lines
//!   (`events`). Bounded: request size, read and write timeouts, client count.
//! * [`server`]: the daemon's side, tokio tasks that never touch the node: every question
//!   goes to the loop as `Event::Query` (daemon/observe.rs) and is answered between two steps
//!   of the node.
//! * [`at_loop`]: what the loop does with those questions (status picture, drain, reload
//!   waiters).
//! * [`drains`]: the drained instances, kept in a file next to the socket so a drained node
//!   stays drained across a restart or reload.
//! * [`client`]: the subcommands, blocking std code (no runtime needed).
//! * [`place`]: creating the socket's directory and the socket safely.

pub mod at_loop;
pub mod client;
pub mod drains;
pub mod place;
pub mod protocol;
pub mod render;
pub mod server;

use std::path::{Path, PathBuf};

/// Where the daemon listens and the clients connect unless `--control-socket` says otherwise.
pub const DEFAULT_SOCKET: &str = "/run/vrrpd/control.sock";

/// The control socket path: `--control-socket`, else [`DEFAULT_SOCKET`].
pub fn socket_path(given: Option<&Path>) -> PathBuf {
    given
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SOCKET))
}

/// The drained-state file of the daemon listening at `socket`: the same directory and stem,
/// extension `drained` (`/run/vrrpd/control.drained`). Tied to the socket so that two daemons
/// on one host, each with its own `--control-socket`, also keep their own drained state.
pub fn drains_path(socket: &Path) -> PathBuf {
    socket.with_extension("drained")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drained_file_sits_next_to_the_socket() {
        assert_eq!(
            drains_path(Path::new("/run/vrrpd/control.sock")),
            PathBuf::from("/run/vrrpd/control.drained")
        );
        assert_eq!(
            drains_path(Path::new("/tmp/x/ctl")),
            PathBuf::from("/tmp/x/ctl.drained")
        );
    }
}
