//! What the loop shows the outside: the metrics endpoint, the control socket and systemd's
//! `STATUS=` see the daemon only through this module.
//!
//! * A picture ([`Observed`]) is taken by the loop when someone asks for it
//!   ([`Query::Picture`], sent as [`super::Event::Query`] through the loop's own channel),
//!   so its cost is one snapshot per question, never one per packet, and it is always
//!   consistent (taken between two steps of the node).
//! * Happenings (transitions, tracker changes, reloads) go out on a broadcast channel
//!   ([`Observers::happen`]): sending never waits, and a listener that falls behind loses
//!   the oldest lines (and is told how many), so no listener can hold up the loop.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::{broadcast, oneshot};

use crate::proto::Snapshot;

/// How many happenings a slow listener may fall behind before it loses the oldest.
pub const BACKLOG: usize = 1024;

/// The daemon as the loop saw it at one moment.
#[derive(Clone, Debug, Serialize)]
pub struct Observed {
    /// The protocol core's picture: instances, groups, counters.
    pub snapshot: Snapshot,
    /// How long the daemon has been running (since the node started).
    pub uptime: Duration,
    /// Reloads so far and how the last one went.
    pub reloads: ReloadRecord,
    /// The shell's counters and the configuration labels the metrics need.
    pub shell: super::shell_counters::ShellView,
}

/// Reloads by outcome, and the last one's diagnostics.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReloadRecord {
    pub succeeded: u64,
    pub failed: u64,
    /// `Some(true)` when the last reload was applied, `Some(false)` when it was refused.
    pub last_ok: Option<bool>,
    /// The diagnostics of the last reload (errors when refused, warnings when applied).
    /// Shared with the happening that told the listeners: a generated file may carry 40,000
    /// warnings, which the loop must neither copy nor free (README "Reload at any size").
    pub last_lines: Arc<Vec<String>>,
}

/// Something that happened, as listeners of `vrrpd events` see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Happening {
    /// An instance or sync group changed state (the notify event's word: MASTER, BACKUP,
    /// FAULT, STOP, DELETED).
    Transition {
        target: String,
        name: String,
        state: String,
        priority: u8,
    },
    /// A tracker log line (script, file, process or interface changed its result).
    Tracker { line: String },
    /// A reload was applied (`ok`) or refused, with its diagnostics.
    Reload { ok: bool, lines: Arc<Vec<String>> },
}

/// A question for the loop, answered between two steps of the node.
#[derive(Debug)]
pub enum Query {
    /// The current picture.
    Picture(oneshot::Sender<Arc<Observed>>),
    /// `vrrpd status`: the picture, the trackers' last results and the drained set.
    Status(oneshot::Sender<crate::control::at_loop::StatusParts>),
    /// `vrrpd drain`/`undrain` of `instances` (empty: all); the answer line comes back.
    Drain {
        instances: Vec<String>,
        drain: bool,
        reply: oneshot::Sender<serde_json::Value>,
    },
    /// `vrrpd reload`: answered once the reload was applied or refused.
    Reload(oneshot::Sender<serde_json::Value>),
    /// `vrrpd events`: a new listener of happenings.
    Listen(oneshot::Sender<broadcast::Receiver<Happening>>),
}

/// The loop's side: the happenings channel and the reload record.
#[derive(Debug)]
pub struct Observers {
    happenings: broadcast::Sender<Happening>,
    pub reloads: ReloadRecord,
    pub started: Instant,
    /// What the shell counts (metrics; daemon/shell_counters.rs).
    pub shell: super::shell_counters::ShellCounters,
}

impl Observers {
    pub fn new(started: Instant) -> Observers {
        let (happenings, _) = broadcast::channel(BACKLOG);
        Observers {
            happenings,
            reloads: ReloadRecord::default(),
            started,
            shell: Default::default(),
        }
    }

    /// A new listener of happenings (from now on).
    pub fn listen(&self) -> broadcast::Receiver<Happening> {
        self.happenings.subscribe()
    }

    /// Tells every listener; never waits (nobody listening is fine).
    pub fn happen(&self, h: Happening) {
        let _ = self.happenings.send(h);
    }

    /// Records a reload's outcome and tells the listeners. Returns the previous reload's
    /// lines, for the caller to free beside the loop with the rest of the old reading.
    #[must_use = "the previous lines may be 40,000 strings: free them beside the loop"]
    pub fn reloaded(&mut self, ok: bool, lines: Vec<String>) -> Arc<Vec<String>> {
        if ok {
            self.reloads.succeeded += 1;
        } else {
            self.reloads.failed += 1;
        }
        self.reloads.last_ok = Some(ok);
        let lines = Arc::new(lines);
        let old = std::mem::replace(&mut self.reloads.last_lines, lines.clone());
        self.happen(Happening::Reload { ok, lines });
        old
    }

    /// The picture of `snapshot` taken at `now`.
    pub fn picture(&self, snapshot: Snapshot, now: Instant) -> Arc<Observed> {
        self.picture_with(snapshot, now, Default::default())
    }

    /// [`Observers::picture`] with the shell's view (`shell_counters::view`).
    pub fn picture_with(
        &self,
        snapshot: Snapshot,
        now: Instant,
        shell: super::shell_counters::ShellView,
    ) -> Arc<Observed> {
        Arc::new(Observed {
            snapshot,
            uptime: now.saturating_duration_since(self.started),
            reloads: self.reloads.clone(),
            shell,
        })
    }
}

impl Default for Observers {
    fn default() -> Observers {
        Observers::new(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn happenings_reach_listeners_and_never_wait() {
        let mut o = Observers::new(Instant::now());
        // Nobody listening: fine.
        o.happen(Happening::Tracker { line: "x".into() });
        let mut rx = o.listen();
        for i in 0..(BACKLOG + 10) {
            o.happen(Happening::Tracker {
                line: i.to_string(),
            });
        }
        let _ = o.reloaded(false, vec!["bad".into()]);
        // The slow listener lost the oldest and is told so.
        assert!(matches!(
            rx.try_recv(),
            Err(broadcast::error::TryRecvError::Lagged(_))
        ));
        assert_eq!(o.reloads.failed, 1);
        assert_eq!(o.reloads.last_ok, Some(false));
    }
}
