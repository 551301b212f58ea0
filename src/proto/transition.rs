//! Why an instance changed state, and the record of its last change: what `vrrpd status`,
//! the metrics (`vrrpd_transitions_total{reason}`) and the dump files' `Last transition`
//! show. keepalived records only the time; the reason is vrrpd's.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::state::State;

/// The cause of a state change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionReason {
    /// The daemon started (INIT to BACKUP, MASTER or FAULT).
    Start,
    /// No advert from the master for Master_Down_Interval (RFC 5798 §6.4.2).
    MasterDown,
    /// A MASTER heard a higher priority, or an equal one from a greater address (RFC 5798
    /// §6.4.3).
    HigherPriority,
    /// The master we follow lowered its priority below ours and we took over after our skew
    /// time (vrrpd's fast preemption).
    LowerPriority,
    /// The master released (priority 0) and we took over after our skew time (RFC 5798
    /// §6.4.2).
    PriorityZero,
    /// A tracker, the link, the source address or the sockets failed.
    Fault,
    /// What held the instance in FAULT is gone.
    Recovered,
    /// Another member of its sync group changed state.
    SyncGroup,
    /// A reload changed the instance.
    Reload,
    /// An operator drained (or undrained) it.
    Drain,
    /// The daemon is stopping.
    Stop,
}

impl TransitionReason {
    /// The reason as written in metrics labels, status output and events.
    pub fn as_str(self) -> &'static str {
        match self {
            TransitionReason::Start => "start",
            TransitionReason::MasterDown => "master_down",
            TransitionReason::HigherPriority => "higher_priority",
            TransitionReason::LowerPriority => "lower_priority",
            TransitionReason::PriorityZero => "priority_zero",
            TransitionReason::Fault => "fault",
            TransitionReason::Recovered => "recovered",
            TransitionReason::SyncGroup => "sync_group",
            TransitionReason::Reload => "reload",
            TransitionReason::Drain => "drain",
            TransitionReason::Stop => "stop",
        }
    }

    /// Every reason, in order (metrics export each, zeros included).
    pub const ALL: [TransitionReason; 11] = [
        TransitionReason::Start,
        TransitionReason::MasterDown,
        TransitionReason::HigherPriority,
        TransitionReason::LowerPriority,
        TransitionReason::PriorityZero,
        TransitionReason::Fault,
        TransitionReason::Recovered,
        TransitionReason::SyncGroup,
        TransitionReason::Reload,
        TransitionReason::Drain,
        TransitionReason::Stop,
    ];
}

/// An instance's last state change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionRecord {
    /// When, counted from the router's start (the core has no wall clock).
    pub at: Duration,
    pub from: State,
    pub to: State,
    pub reason: TransitionReason,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_are_the_serde_names() {
        for r in TransitionReason::ALL {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
        }
    }
}
