//! One node's decisions: the protocol core ([`Router`]) and its trackers ([`Trackers`]) behind
//! one sans-IO interface, so that everything vrrpd decides (rise and fall of scripts, weights,
//! process quorum, the state machine) runs in replay cases and the simulated LAN exactly as in
//! the daemon.
//!
//! The discipline is the router's: `handle(now, input)`, `handle_timeout(now)` at
//! `poll_timeout()`, then drain `poll_action()`. Time is an argument; nothing here does I/O.
//! The shell runs the scripts a [`NodeAction::RunScript`] asks for, reads track files, scans
//! processes, and reports back with [`NodeInput`]s.
//!
//! Ordering: actions come out in the order they arose. What the trackers say is given to the
//! core as soon as it is said, so a tracker's log line comes out before the core's reaction
//! to that tracker's change.

use std::collections::VecDeque;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::proto::{Action, Input, LogLevel, Router, RouterSettings, Snapshot};
use crate::track::{Output, ScriptOutcome, TrackerSettings, Trackers};

/// Everything that can happen to a node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeInput {
    /// For the protocol core: a received packet, a link or address change, a deleted route,
    /// the stop. A link change also reaches the interface trackers.
    Core(Input),
    /// A run of `vrrp_script` `name` ended.
    ScriptDone {
        name: String,
        outcome: ScriptOutcome,
    },
    /// `vrrp_script` `name` cannot run at all (missing, not executable, unsafe): it never runs
    /// again and contributes nothing (docs/keepalived-compat.md#running-scripts).
    ScriptDisabled { name: String },
    /// The current value of `track_file` `name` (a missing or unreadable file counts as 0).
    FileValue { name: String, value: i64 },
    /// How many processes match each `vrrp_track_process` now.
    ProcessCounts { counts: Vec<(String, u32)> },
    /// Which processes match each `vrrp_track_process` now (a `/proc` scan, less the
    /// processes the shell already saw exit).
    ProcessPids { pids: Vec<(String, Vec<u32>)> },
    /// Process `pid` exited (seen through its pidfd the moment it happened).
    ProcessExited { pid: u32 },
}

/// What the shell must do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeAction {
    /// An action of the protocol core (send, add a VIP, notify, log, ...).
    Core(Action),
    /// Start one supervised run of `vrrp_script` `name`; report it with
    /// [`NodeInput::ScriptDone`].
    RunScript { name: String },
    /// A tracker's log line, in keepalived's wording.
    Log { level: LogLevel, message: String },
}

/// The protocol core and the trackers of one configuration.
pub struct Node {
    router: Router,
    trackers: Trackers,
    out: VecDeque<NodeAction>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("trackers", &self.trackers)
            .field("queued", &self.out.len())
            .finish_non_exhaustive()
    }
}

impl Node {
    /// A node starting at `now`: the core in its initial states, the trackers with their first
    /// script runs due at once (`init_fail` scripts already failed).
    pub fn new(settings: RouterSettings, trackers: &TrackerSettings, now: Instant) -> Node {
        Node::from_parts(
            Router::new(settings, now),
            Trackers::new(trackers, now),
            now,
        )
    }

    /// A node from a core and trackers built elsewhere (tests, the daemon's start-up).
    pub fn from_parts(router: Router, trackers: Trackers, now: Instant) -> Node {
        let mut node = Node {
            router,
            trackers,
            out: VecDeque::new(),
        };
        // The core's start-up actions (Entering BACKUP STATE (init), ...), then the trackers'.
        node.take_core_actions();
        node.pump(now);
        node
    }

    pub fn handle(&mut self, now: Instant, input: NodeInput) {
        match input {
            NodeInput::Core(input) => {
                let link = match &input {
                    Input::Link { ifname, up } => Some((ifname.clone(), *up)),
                    _ => None,
                };
                self.router.handle(now, input);
                self.take_core_actions();
                // The link itself first, then what the interface trackers make of it.
                if let Some((ifname, up)) = link {
                    self.trackers.link(&ifname, up);
                }
            }
            NodeInput::ScriptDone { name, outcome } => self.trackers.script_done(&name, &outcome),
            NodeInput::ScriptDisabled { name } => self.trackers.disable_script(&name),
            NodeInput::FileValue { name, value } => self.trackers.file_value(&name, value),
            NodeInput::ProcessCounts { counts } => {
                for (name, n) in counts {
                    self.trackers.process_count(now, &name, n);
                }
            }
            NodeInput::ProcessPids { pids } => {
                for (name, p) in pids {
                    self.trackers.process_pids(now, &name, p);
                }
            }
            NodeInput::ProcessExited { pid } => self.trackers.process_exited(now, pid),
        }
        self.pump(now);
    }

    /// The link state of interfaces as the shell knows it at start or after a reload: only
    /// the interface trackers hear it (the core's settings already carry it).
    pub fn tracked_links<'a>(
        &mut self,
        now: Instant,
        links: impl IntoIterator<Item = (&'a str, bool)>,
    ) {
        let tracked: Vec<String> = self.trackers.interfaces().map(str::to_string).collect();
        for (name, up) in links {
            if tracked.iter().any(|t| t == name) {
                self.trackers.link(name, up);
            }
        }
        self.pump(now);
    }

    /// The earliest time [`Node::handle_timeout`] has work, for the core or a tracker.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.router.poll_timeout(), self.trackers.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        self.handle_timeouts(now, usize::MAX);
    }

    /// [`Node::handle_timeout`] for at most `limit` of the core's due timers
    /// (`Router::handle_timeouts`); the trackers' due timers all run.
    pub fn handle_timeouts(&mut self, now: Instant, limit: usize) {
        self.handle_core_timeouts(now, limit);
        if self.trackers.poll_timeout().is_some_and(|d| d <= now) {
            self.trackers.handle_timeout(now);
            self.pump(now);
        }
    }

    /// Runs only the core's due timers: while stopping, the masters' hand-over deadlines
    /// (the trackers are stopped and must not start scripts any more).
    pub fn handle_core_timeout(&mut self, now: Instant) {
        self.handle_core_timeouts(now, usize::MAX);
    }

    /// [`Node::handle_core_timeout`] for at most `limit` due timers, due adverts first.
    pub fn handle_core_timeouts(&mut self, now: Instant, limit: usize) {
        if self.router.poll_timeout().is_some_and(|d| d <= now) {
            self.router.handle_timeouts(now, limit);
            self.take_core_actions();
        }
    }

    /// The next thing to do.
    pub fn poll_action(&mut self) -> Option<NodeAction> {
        let next = self.out.pop_front();
        if next.is_none() {
            crate::proto::shrink_idle(&mut self.out);
        }
        next
    }

    /// A reload (docs/keepalived-compat.md#reload): the core keeps matched instances in their
    /// state; trackers keep the results of the objects that still exist, and every known
    /// effect is given to the core again (`Up` for the trackers the new configuration
    /// dropped; unchanged effects are no-ops there).
    pub fn reconfigure(
        &mut self,
        now: Instant,
        settings: Option<RouterSettings>,
        trackers: &TrackerSettings,
    ) {
        if let Some(settings) = settings {
            self.router.reconfigure(now, settings);
            self.take_core_actions();
        }
        self.trackers = Trackers::reload(&self.trackers, trackers, now);
        self.pump(now);
    }

    pub fn router(&self) -> &Router {
        &self.router
    }

    pub fn trackers(&self) -> &Trackers {
        &self.trackers
    }

    pub fn snapshot(&self) -> Snapshot {
        self.router.snapshot()
    }

    /// Gives the core what the trackers said and queues the trackers' own actions, each in
    /// its turn.
    fn pump(&mut self, now: Instant) {
        while let Some(out) = self.trackers.poll_output() {
            match out {
                Output::Input(input) => {
                    self.router.handle(now, input);
                    self.take_core_actions();
                }
                Output::RunScript { name } => self.out.push_back(NodeAction::RunScript { name }),
                Output::Log { level, message } => {
                    self.out.push_back(NodeAction::Log { level, message })
                }
            }
        }
    }

    fn take_core_actions(&mut self) {
        while let Some(a) = self.router.poll_action() {
            self.out.push_back(NodeAction::Core(a));
        }
    }
}
