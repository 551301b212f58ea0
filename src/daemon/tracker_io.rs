//! The shell side of tracking and hooks: the prepared scripts, the file and process pollers
//! and the notify [`Hooks`]. The tracker logic itself ([`Trackers`]: rise/fall, weights,
//! quorum) is pure and lives in the [`crate::node::Node`] beside the protocol core; this module
//! builds it at start ([`TrackerIo::start`], handed over with [`TrackerIo::take_trackers`]),
//! runs the scripts the node asks for ([`TrackerIo::run_script`]) and turns what the scripts
//! and pollers report into [`NodeInput`]s ([`TrackerIo::next`], [`TrackerIo::report`]).
//!
//! docs/keepalived-compat.md#tracking-and-priority: tracker results become `Input::Tracker` for the core, which
//! changes the effective priority (and, being MASTER, advertises it at once). docs/keepalived-compat.md#running-scripts/docs/keepalived-compat.md#notifications/docs/keepalived-compat.md#sync-groups:
//! the core's `Action::Notify` are routed to [`Hooks::notify`] by [`super::exec::Exec`].

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{error, info, warn};

use crate::node::NodeInput;
use crate::plan::{HostInterface, Runtime};
use crate::sys::hooks::{HookConfig, Hooks};
use crate::sys::script::{self, ScriptDefaults};
use crate::sys::script_set::ScriptSet;
use crate::sys::track_sources::{self, FilePoller};
use crate::sys::track_watch::{self, ProcessEvent};
use crate::track::{ScriptOutcome, Trackers};

/// How often a `track_file` that cannot be watched with inotify is re-read
/// (docs/keepalived-compat.md#how-tracked-sources-are-watched).
pub const FILE_POLL: Duration = Duration::from_millis(500);
/// How often `/proc` is scanned for new `vrrp_track_process` matches (exits are seen at once
/// through pidfds where the kernel has them).
pub const PROCESS_POLL: Duration = Duration::from_secs(1);
/// keepalived waits at most 1 s for `notify_stop` scripts, then kills them (docs/keepalived-compat.md#shutdown).
pub const STOP_HOOK_DEADLINE: Duration = Duration::from_secs(1);

/// Something a tracking source reported.
#[derive(Debug)]
pub enum Report {
    Script(String, ScriptOutcome),
    File(String, i64),
    Processes(ProcessEvent),
}

/// The I/O side of the trackers (script runs, file and process pollers) and the notify hooks
/// of the running configuration; the pure trackers are `track::Trackers`, inside the node.
pub struct TrackerIo {
    /// The trackers until the node takes them ([`TrackerIo::take_trackers`]).
    trackers: Option<Trackers>,
    scripts: ScriptSet,
    done_tx: mpsc::UnboundedSender<(String, ScriptOutcome)>,
    done_rx: mpsc::UnboundedReceiver<(String, ScriptOutcome)>,
    file_tx: mpsc::UnboundedSender<(String, i64)>,
    file_rx: mpsc::UnboundedReceiver<(String, i64)>,
    proc_tx: mpsc::UnboundedSender<ProcessEvent>,
    proc_rx: mpsc::UnboundedReceiver<ProcessEvent>,
    pollers: Vec<JoinHandle<()>>,
    /// `SECURITY VIOLATION ...` was logged (once per process, as keepalived).
    warned_insecure: bool,
    /// What the data and JSON dumps say about the scripts and tracker references.
    facts: super::dump::Facts,
    /// When each running script was started (the duration metric).
    started: HashMap<String, std::time::Instant>,
}

impl std::fmt::Debug for TrackerIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrackerIo").finish_non_exhaustive()
    }
}

impl TrackerIo {
    /// No trackers and no hooks (tests of the loop, an empty configuration).
    pub fn none() -> (TrackerIo, Hooks) {
        TrackerIo::start(&Runtime::default(), &HashMap::new(), super::now())
    }

    /// Step 1 of the start-up (docs/keepalived-compat.md#tracking-and-priority, docs/keepalived-compat.md#running-scripts): scripts prepared (those that
    /// cannot run are disabled), track files initialised, pollers started, hooks started.
    /// Call inside the runtime, on its long-lived thread (scripts are forked from here).
    pub fn start(
        plan: &Runtime,
        ifaces: &HashMap<String, HostInterface>,
        now: Instant,
    ) -> (TrackerIo, Hooks) {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        let (file_tx, file_rx) = mpsc::unbounded_channel();
        let (proc_tx, proc_rx) = mpsc::unbounded_channel();
        let defaults = ScriptDefaults::resolve(&plan.script_defaults);
        // init_file before the first read (docs/keepalived-compat.md#weights-and-effective-priority).
        for line in track_sources::init_files(&plan.init_files) {
            warn!(target: "vrrpd", "{line}");
        }
        let mut trackers = Trackers::new(&plan.trackers, now);
        let mut t = TrackerIo {
            trackers: None,
            scripts: ScriptSet::default(),
            done_tx,
            done_rx,
            file_tx,
            file_rx,
            proc_tx,
            proc_rx,
            pollers: Vec::new(),
            warned_insecure: false,
            facts: super::dump::Facts::default(),
            started: HashMap::new(),
        };
        for name in t.prepare_scripts(plan, &defaults, &trackers) {
            trackers.disable_script(&name);
        }
        t.start_pollers(&trackers);
        feed_links(&mut trackers, ifaces);
        t.trackers = Some(trackers);
        (t, Hooks::start(hook_config(plan, &defaults)))
    }

    /// The trackers built by [`TrackerIo::start`], for the node (once; empty afterwards).
    pub fn take_trackers(&mut self, now: Instant) -> Trackers {
        self.trackers
            .take()
            .unwrap_or_else(|| Trackers::new(&Default::default(), now))
    }

    /// SIGHUP (docs/keepalived-compat.md#reload), after the node rebuilt its trackers (`Node::reconfigure`, results
    /// carried over for objects that still exist): scripts and pollers rebuilt for them.
    /// Returns the new hook configuration (the caller keeps its running hooks when it is
    /// unchanged, else starts new ones) and the inputs for the node (scripts that cannot run).
    pub fn reload(&mut self, plan: &Runtime, trackers: &Trackers) -> (HookConfig, Vec<NodeInput>) {
        let defaults = ScriptDefaults::resolve(&plan.script_defaults);
        // No init_file here: keepalived does not overwrite a track file on reload, so
        // `overwrite` does not reset the tracked value at every SIGHUP.
        // docs/keepalived-compat.md#reload: a script that was failing is reported as such.
        for n in trackers.script_names() {
            if trackers
                .script(n)
                .and_then(|s| s.health())
                .is_some_and(|h| !h)
            {
                info!(target: "vrrpd", "VRRP_Script({n}) considered unsuccessful on reload");
            }
        }
        let disabled = self.prepare_scripts(plan, &defaults, trackers);
        for h in self.pollers.drain(..) {
            h.abort();
        }
        self.start_pollers(trackers);
        let inputs = disabled
            .into_iter()
            .map(|name| NodeInput::ScriptDisabled { name })
            .collect();
        (hook_config(plan, &defaults), inputs)
    }

    /// Prepares the scripts the trackers run; returns the names of those that cannot run.
    fn prepare_scripts(
        &mut self,
        plan: &Runtime,
        defaults: &ScriptDefaults,
        trackers: &Trackers,
    ) -> Vec<String> {
        let names: Vec<String> = trackers.script_names().map(str::to_string).collect();
        if !names.is_empty() {
            if let Some(line) = &defaults.missing_user {
                warn!(target: "vrrpd", "{line}");
            }
        }
        let (scripts, problems) =
            ScriptSet::prepare(&plan.scripts, names.iter().map(String::as_str), defaults);
        let mut disabled = Vec::new();
        for (name, e) in problems {
            error!(target: "vrrpd", "VRRP_Script({name}): {e}");
            disabled.push(name);
        }
        if scripts.any_insecure() && !defaults.security && !self.warned_insecure {
            warn!(target: "vrrpd", "{}", script::SECURITY_VIOLATION);
            self.warned_insecure = true;
        }
        self.facts = super::dump::Facts::new(plan, &names, &scripts);
        self.scripts = scripts;
        disabled
    }

    /// The scripts and tracker references of the running configuration, for the dumps.
    pub fn dump_facts(&self) -> &super::dump::Facts {
        &self.facts
    }

    fn start_pollers(&mut self, trackers: &Trackers) {
        let files: Vec<(String, String)> = trackers
            .files()
            .map(|(n, p)| (n.to_string(), p.to_string()))
            .collect();
        if !files.is_empty() {
            let poller = FilePoller::new(files.iter().map(|(n, p)| (n.as_str(), p.as_str())));
            self.pollers.push(tokio::spawn(track_watch::run_file_watch(
                poller,
                FILE_POLL,
                track_watch::inotify_instance(),
                self.file_tx.clone(),
            )));
        }
        let procs: Vec<_> = trackers
            .processes()
            .map(|(n, m)| (n.to_string(), m.clone()))
            .collect();
        if !procs.is_empty() {
            self.pollers
                .push(tokio::spawn(track_watch::run_process_watch(
                    procs,
                    PROCESS_POLL,
                    track_watch::use_pidfds(),
                    self.proc_tx.clone(),
                )));
        }
    }

    /// The next report of a script run or poller; pending forever when there is none.
    pub async fn next(&mut self) -> Report {
        loop {
            tokio::select! {
                Some((n, o)) = self.done_rx.recv() => return Report::Script(n, o),
                Some((n, v)) = self.file_rx.recv() => return Report::File(n, v),
                Some(c) = self.proc_rx.recv() => return Report::Processes(c),
                // Cannot happen (the senders live in `self`), but never spin or panic.
                else => std::future::pending::<()>().await,
            }
        }
    }

    /// What a report means for the node.
    pub fn report(&self, r: Report) -> NodeInput {
        match r {
            Report::Script(name, outcome) => NodeInput::ScriptDone { name, outcome },
            Report::File(name, value) => NodeInput::FileValue { name, value },
            Report::Processes(ProcessEvent::Matching(pids)) => NodeInput::ProcessPids { pids },
            Report::Processes(ProcessEvent::Exited(pid)) => NodeInput::ProcessExited { pid },
        }
    }

    /// Starts one supervised run of `name` (the node's `RunScript`); its end is reported
    /// through [`TrackerIo::next`].
    pub fn run_script(&mut self, name: &str) {
        self.started
            .insert(name.to_string(), std::time::Instant::now());
        self.scripts.start(name, self.done_tx.clone());
    }

    /// How long the run of `name` that just ended took (metrics), when it was started here.
    pub fn took(&mut self, name: &str) -> Option<Duration> {
        self.started.remove(name).map(|t| t.elapsed())
    }

    /// Stops the pollers (script runs in flight finish on their own and are reaped).
    pub fn stop(&mut self) {
        for h in self.pollers.drain(..) {
            h.abort();
        }
    }
}

fn hook_config(plan: &Runtime, defaults: &ScriptDefaults) -> HookConfig {
    let (hook_cfg, problems) = HookConfig::prepare(&plan.hooks, defaults);
    for p in problems {
        error!(target: "vrrpd", "{p}");
    }
    hook_cfg
}

/// The current state of every tracked interface (a missing one is down).
fn feed_links(trackers: &mut Trackers, ifaces: &HashMap<String, HostInterface>) {
    let names: Vec<String> = trackers.interfaces().map(str::to_string).collect();
    for n in names {
        let up = ifaces.get(&n).is_some_and(|i| i.up);
        trackers.link(&n, up);
    }
}
