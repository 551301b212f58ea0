//! Instance states (RFC 5798 §6.4 plus keepalived's FAULT).

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum State {
    /// Before start-up (only ever visible inside `Router::new`).
    Init,
    Backup,
    Master,
    /// keepalived's FAULT: interface down, unweighted tracker failing, no source address.
    Fault,
    /// After [`super::Input::Stop`].
    Stopped,
}

impl State {
    /// keepalived's log word (`Entering MASTER STATE`).
    pub fn word(self) -> &'static str {
        match self {
            State::Init => "INIT",
            State::Backup => "BACKUP",
            State::Master => "MASTER",
            State::Fault => "FAULT",
            State::Stopped => "STOP",
        }
    }
}
