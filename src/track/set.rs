//! Every tracker of a configuration and whom it applies to: the pure part of tracking the
//! daemon drives like the protocol core (time is an argument, effects are drained).
//!
//! Call order (the same as [`crate::proto::Router`]):
//!
//! 1. [`Trackers::new`] from [`TrackerSettings`] (built from the checked configuration by
//!    `plan::trackers`, the one place that reads the model);
//! 2. feed events: [`Trackers::handle_timeout`] at [`Trackers::poll_timeout`],
//!    [`Trackers::script_done`] when a run ends, [`Trackers::file_value`],
//!    [`Trackers::process_pids`] / [`Trackers::process_exited`] (or
//!    [`Trackers::process_count`]), [`Trackers::link`];
//! 3. drain [`Trackers::poll_output`]: [`Output::Input`] goes to `Router::handle`,
//!    [`Output::RunScript`] starts a supervised run (`sys::script`), [`Output::Log`] is logged.

use std::collections::{BTreeMap, VecDeque};
use std::time::Instant;

use crate::proto::{Input, LogLevel, TrackTarget, TrackerState};

use super::effect::{bool_effect, file_effect, interface_weight};
use super::process::{ProcessMatcher, ProcessParams, ProcessQuorum};
use super::script::{LogLine, ScriptOutcome, ScriptParams, ScriptTracker};

/// What a tracker watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrackerKind {
    Interface,
    Script,
    File,
    Process,
}

/// One tracker reference of an instance or sync group, resolved: the weight after the
/// reference's own weight, the tracked object's and the sync-group / owner rules
/// (docs/keepalived-compat.md#weights-and-effective-priority,
/// docs/keepalived-compat.md#trackers-in-sync-groups). Weight 0 = unweighted (FAULT while down).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackerUse {
    pub kind: TrackerKind,
    pub name: String,
    pub target: TrackTarget,
    pub weight: i32,
    pub reverse: bool,
}

/// One tracker reference as `vrrpd status` shows it ([`Trackers::report`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TrackerReport {
    /// `script:chk_nginx`, `interface:eth1`, `file:f`, `process:p`.
    pub id: String,
    pub target: TrackTarget,
    pub weight: i32,
    pub reverse: bool,
    /// The last result of a script, process or interface (`None`: none yet).
    pub ok: Option<bool>,
    /// The last value of a track file.
    pub value: Option<i64>,
    /// The effect last given to the core.
    pub effect: Option<TrackerState>,
}

/// A `track_file`: its name and the path to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackedFile {
    pub name: String,
    pub path: String,
}

/// Everything [`Trackers::new`] needs: the tracked objects some instance or group references
/// (unreferenced scripts never run, docs/keepalived-compat.md#vrrp_script-keywords) and every
/// reference. Built by `plan::trackers`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrackerSettings {
    pub scripts: Vec<ScriptParams>,
    pub files: Vec<TrackedFile>,
    pub processes: Vec<ProcessParams>,
    pub uses: Vec<TrackerUse>,
}

/// What the shell must do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Feed this to the protocol core (`Input::Tracker`).
    Input(Input),
    /// Start one supervised run of `vrrp_script` `name` now; report it with
    /// [`Trackers::script_done`].
    RunScript { name: String },
    /// A log line in keepalived's wording.
    Log { level: LogLevel, message: String },
}

/// One tracker reference of an instance or sync group, resolved (weights after docs/keepalived-compat.md#trackers-in-sync-groups).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Use {
    kind: TrackerKind,
    name: String,
    target: TrackTarget,
    weight: i32,
    reverse: bool,
    /// Last effect sent to the core.
    sent: Option<TrackerState>,
}

/// A `track_file` and its last value.
#[derive(Clone, Debug)]
struct FileState {
    name: String,
    path: String,
    value: Option<i64>,
}

/// All trackers of one configuration.
#[derive(Debug)]
pub struct Trackers {
    scripts: Vec<ScriptTracker>,
    files: Vec<FileState>,
    processes: Vec<ProcessQuorum>,
    interfaces: BTreeMap<String, Option<bool>>,
    uses: Vec<Use>,
    out: VecDeque<Output>,
}

/// The id the core keys a tracker by, e.g. `script:chk_nginx` (see `Input::Tracker`).
pub fn tracker_id(kind: TrackerKind, name: &str) -> String {
    let k = match kind {
        TrackerKind::Interface => "interface",
        TrackerKind::Script => "script",
        TrackerKind::File => "file",
        TrackerKind::Process => "process",
    };
    format!("{k}:{name}")
}

impl Trackers {
    /// Builds the trackers of `settings`. The first script runs are due at `now`;
    /// `init_fail` scripts report their failed state at once.
    pub fn new(settings: &TrackerSettings, now: Instant) -> Trackers {
        let uses: Vec<Use> = settings
            .uses
            .iter()
            .map(|u| Use {
                kind: u.kind,
                name: u.name.clone(),
                target: u.target.clone(),
                weight: match u.kind {
                    TrackerKind::Interface => interface_weight(u.weight),
                    _ => u.weight,
                },
                reverse: u.reverse,
                sent: None,
            })
            .collect();
        let scripts = settings
            .scripts
            .iter()
            .map(|p| ScriptTracker::new(p.clone(), now))
            .collect();
        let files = settings
            .files
            .iter()
            .map(|f| FileState {
                name: f.name.clone(),
                path: f.path.clone(),
                value: None,
            })
            .collect();
        let processes = settings
            .processes
            .iter()
            .map(|p| ProcessQuorum::new(p.clone()))
            .collect();
        let interfaces = uses
            .iter()
            .filter(|u| u.kind == TrackerKind::Interface)
            .map(|u| (u.name.clone(), None))
            .collect();
        let mut t = Trackers {
            scripts,
            files,
            processes,
            interfaces,
            uses,
            out: VecDeque::new(),
        };
        let failed: Vec<String> = t
            .scripts
            .iter()
            .filter(|s| s.health() == Some(false))
            .map(|s| s.name().to_string())
            .collect();
        for name in failed {
            t.apply(TrackerKind::Script, &name, Health::Bool(false));
        }
        t
    }

    /// The trackers of reloaded `settings`, keeping what `old` knew about the objects that
    /// still exist (same name): script results (an OK script logs `VRRP_Script(NAME)
    /// considered successful on reload`, docs/keepalived-compat.md#log-lines line 32), file values,
    /// process quorums and link states. Every known effect is queued again (unchanged ones
    /// are no-ops in the core) and `TrackerState::Up` is queued for the (target, id) pairs the
    /// new configuration dropped, as `Router::reconfigure` expects (proto/reload.rs).
    pub fn reload(old: &Trackers, settings: &TrackerSettings, now: Instant) -> Trackers {
        let mut t = Trackers::new(settings, now);
        t.out.clear();
        let mut log = Vec::new();
        for s in &mut t.scripts {
            if let Some(h) = old.script(s.name()).and_then(ScriptTracker::health) {
                s.inherit(h);
                if h {
                    log.push((
                        LogLevel::Info,
                        format!("VRRP_Script({}) considered successful on reload", s.name()),
                    ));
                }
            }
        }
        for f in &mut t.files {
            if let Some(o) = old
                .files
                .iter()
                .find(|o| o.name == f.name && o.path == f.path)
            {
                f.value = o.value;
            }
        }
        for p in &mut t.processes {
            if let Some(o) = old
                .processes
                .iter()
                .find(|o| o.params().name == p.params().name)
            {
                p.inherit(o.health());
            }
        }
        for (ifname, state) in &mut t.interfaces {
            if let Some(s) = old.interfaces.get(ifname) {
                *state = *s;
            }
        }
        t.log_all(log);
        let keys: Vec<(TrackerKind, String)> =
            t.uses.iter().map(|u| (u.kind, u.name.clone())).collect();
        for (kind, name) in keys {
            if let Some(h) = t.current(kind, &name) {
                t.apply(kind, &name, h);
            }
        }
        let now_ids = t.ids();
        for (target, id) in old.ids() {
            if !now_ids.contains(&(target.clone(), id.clone())) {
                t.out.push_back(Output::Input(Input::Tracker {
                    target,
                    id,
                    state: TrackerState::Up,
                }));
            }
        }
        t
    }

    /// What is known now about one tracked object.
    fn current(&self, kind: TrackerKind, name: &str) -> Option<Health> {
        match kind {
            TrackerKind::Script => self.script(name)?.health().map(Health::Bool),
            TrackerKind::File => self
                .files
                .iter()
                .find(|f| f.name == name)?
                .value
                .map(Health::Value),
            TrackerKind::Process => self
                .processes
                .iter()
                .find(|p| p.params().name == name)?
                .health()
                .map(Health::Bool),
            TrackerKind::Interface => self
                .interfaces
                .get(name)
                .copied()
                .flatten()
                .map(Health::Bool),
        }
    }

    /// Names of the scripts that will run.
    pub fn script_names(&self) -> impl Iterator<Item = &str> {
        self.scripts.iter().map(|s| s.name())
    }

    pub fn script(&self, name: &str) -> Option<&ScriptTracker> {
        self.scripts.iter().find(|s| s.name() == name)
    }

    /// `(name, path)` of every referenced `track_file`.
    pub fn files(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files
            .iter()
            .map(|f| (f.name.as_str(), f.path.as_str()))
    }

    /// `(name, matcher)` of every referenced `vrrp_track_process`.
    pub fn processes(&self) -> impl Iterator<Item = (&str, &ProcessMatcher)> {
        self.processes
            .iter()
            .map(|p| (p.params().name.as_str(), &p.params().matcher))
    }

    /// Interfaces named by `track_interface` somewhere.
    pub fn interfaces(&self) -> impl Iterator<Item = &str> {
        self.interfaces.keys().map(String::as_str)
    }

    /// Every `(target, id)` pair this set feeds to the core. On reload, the shell sends
    /// `TrackerState::Up` for the pairs the new set no longer has (proto/reload.rs).
    pub fn ids(&self) -> Vec<(TrackTarget, String)> {
        self.uses
            .iter()
            .map(|u| (u.target.clone(), tracker_id(u.kind, &u.name)))
            .collect()
    }

    /// The earliest time [`Self::handle_timeout`] has work: a script run or the end of a
    /// process delay.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.scripts
            .iter()
            .map(ScriptTracker::poll_timeout)
            .chain(
                self.processes
                    .iter()
                    .filter_map(ProcessQuorum::poll_timeout),
            )
            .min()
    }

    /// Starts due script runs and reports process changes whose delay ran out.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut log = Vec::new();
        let mut run = Vec::new();
        for s in &mut self.scripts {
            if s.poll_timeout() <= now && s.on_tick(now, &mut log) {
                run.push(s.name().to_string());
            }
        }
        let mut changed = Vec::new();
        for p in &mut self.processes {
            if let Some(h) = p.handle_timeout(now, &mut log) {
                changed.push((p.params().name.clone(), h));
            }
        }
        self.log_all(log);
        self.out
            .extend(run.into_iter().map(|name| Output::RunScript { name }));
        for (name, h) in changed {
            self.apply(TrackerKind::Process, &name, Health::Bool(h));
        }
    }

    /// A run of script `name` ended.
    pub fn script_done(&mut self, name: &str, outcome: &ScriptOutcome) {
        let mut log = Vec::new();
        let changed = self
            .scripts
            .iter_mut()
            .find(|s| s.name() == name)
            .and_then(|s| s.on_result(outcome, &mut log));
        self.log_all(log);
        if let Some(h) = changed {
            self.apply(TrackerKind::Script, name, Health::Bool(h));
        }
    }

    /// The script cannot run at all (missing, not executable, unsafe with
    /// `enable_script_security`): it never runs again and contributes nothing (docs/keepalived-compat.md#running-scripts).
    pub fn disable_script(&mut self, name: &str) {
        let before = self.scripts.len();
        self.scripts.retain(|s| s.name() != name);
        if self.scripts.len() != before {
            self.log_all(vec![(
                LogLevel::Warning,
                format!("Disabling track script {name} since not found/accessible"),
            )]);
            let inputs: Vec<Input> = self
                .uses
                .iter_mut()
                .filter(|u| u.kind == TrackerKind::Script && u.name == name && u.sent.is_some())
                .map(|u| {
                    u.sent = None;
                    Input::Tracker {
                        target: u.target.clone(),
                        id: tracker_id(u.kind, &u.name),
                        state: TrackerState::Up,
                    }
                })
                .collect();
            self.out.extend(inputs.into_iter().map(Output::Input));
        }
    }

    /// The current value of `track_file` `name` (the shell reads the file; a missing or
    /// unreadable file counts as 0).
    pub fn file_value(&mut self, name: &str, value: i64) {
        let Some(f) = self.files.iter_mut().find(|f| f.name == name) else {
            return;
        };
        if f.value == Some(value) {
            return;
        }
        f.value = Some(value);
        self.apply(TrackerKind::File, name, Health::Value(value));
    }

    /// The number of processes matching `vrrp_track_process` `name` now.
    pub fn process_count(&mut self, now: Instant, name: &str, count: u32) {
        let mut log = Vec::new();
        let changed = self
            .processes
            .iter_mut()
            .find(|p| p.params().name == name)
            .and_then(|p| p.observe(now, count, &mut log));
        self.log_all(log);
        if let Some(h) = changed {
            self.apply(TrackerKind::Process, name, Health::Bool(h));
        }
    }

    /// The processes matching `vrrp_track_process` `name` now (a scan).
    pub fn process_pids(&mut self, now: Instant, name: &str, pids: Vec<u32>) {
        let mut log = Vec::new();
        let changed = self
            .processes
            .iter_mut()
            .find(|p| p.params().name == name)
            .and_then(|p| p.observe_pids(now, pids, &mut log));
        self.log_all(log);
        if let Some(h) = changed {
            self.apply(TrackerKind::Process, name, Health::Bool(h));
        }
    }

    /// Process `pid` exited (the shell saw it at once, through a pidfd): every tracked
    /// process it matched counts one less now.
    pub fn process_exited(&mut self, now: Instant, pid: u32) {
        let mut log = Vec::new();
        let mut changed = Vec::new();
        for p in &mut self.processes {
            if let Some(h) = p.exited(now, pid, &mut log) {
                changed.push((p.params().name.clone(), h));
            }
        }
        self.log_all(log);
        for (name, h) in changed {
            self.apply(TrackerKind::Process, &name, Health::Bool(h));
        }
    }

    /// Link state (IFF_UP and IFF_RUNNING) of an interface; ignored unless tracked.
    pub fn link(&mut self, ifname: &str, up: bool) {
        match self.interfaces.get_mut(ifname) {
            Some(s) if *s != Some(up) => *s = Some(up),
            _ => return,
        }
        self.apply(TrackerKind::Interface, ifname, Health::Bool(up));
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// Every reference with what is known of its object now and the effect last given to
    /// the core (for `vrrpd status`; a copy, cheap enough per question).
    pub fn report(&self) -> Vec<TrackerReport> {
        self.uses
            .iter()
            .map(|u| {
                let health = self.current(u.kind, &u.name);
                TrackerReport {
                    id: tracker_id(u.kind, &u.name),
                    target: u.target.clone(),
                    weight: u.weight,
                    reverse: u.reverse,
                    ok: match health {
                        Some(Health::Bool(b)) => Some(b),
                        _ => None,
                    },
                    value: match health {
                        Some(Health::Value(v)) => Some(v),
                        _ => None,
                    },
                    effect: u.sent,
                }
            })
            .collect()
    }

    fn log_all(&mut self, log: Vec<LogLine>) {
        self.out.extend(
            log.into_iter()
                .map(|(level, message)| Output::Log { level, message }),
        );
    }

    /// Sends the new effect of object `name` to every target that tracks it.
    fn apply(&mut self, kind: TrackerKind, name: &str, health: Health) {
        for u in &mut self.uses {
            if u.kind != kind || u.name != name {
                continue;
            }
            let state = match health {
                Health::Bool(up) => bool_effect(up, u.weight, u.reverse),
                Health::Value(v) => file_effect(v, u.weight, u.reverse),
            };
            if u.sent == Some(state) {
                continue;
            }
            u.sent = Some(state);
            self.out.push_back(Output::Input(Input::Tracker {
                target: u.target.clone(),
                id: tracker_id(kind, name),
                state,
            }));
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Health {
    Bool(bool),
    Value(i64),
}
