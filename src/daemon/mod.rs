//! The daemon shell: the one loop that owns the [`Node`] (the protocol core and its trackers;
//! the shell around the sans-IO core).
//!
//! * Child tasks (one receive task per VRRP socket, the netlink monitor, signals) send
//!   [`Event`]s into one channel.
//! * The main task `select!`s on that channel and on a single sleep, re-armed to
//!   `router.poll_timeout()` after every wake-up; before sleeping it compares the deadline
//!   with the clock (quinn's `drive_timer`), so a late wake-up never loses a timer.
//! * After every input or timeout it drains `poll_action()` into the OS through [`Sys`]
//!   ([`exec::Exec`] turns actions into headers, netlink requests and frames).
//! * `now` is `tokio::time::Instant::now().into_std()`, so tests run on tokio's paused clock.
//!
//! [`linux::LinuxSys`] is the real [`Sys`]; tests use a recording one. On SIGHUP the loop
//! asks a [`Loader`] for a new [`Runtime`] (the plan of the configuration on this host,
//! `crate::plan`); [`linux::FileLoader`] reads the file and the host, tests script it. Nothing
//! here reads the configuration model.

mod backlog;
pub mod dump;
pub mod exec;
pub mod firewall;
pub mod held;
pub mod linux;
pub mod observe;
pub mod record;
pub mod resync;
pub mod sd_status;
pub mod shell_counters;
pub mod sockets;
pub mod startup_script;
pub mod tracker_io;
pub mod vip_retry;
pub mod vmac;
pub mod vmac_conf;
pub mod watch;

use std::collections::HashSet;
use std::future::Future;
use std::time::Instant;

use tokio::sync::mpsc;
use tracing::{debug, error, info, warn};

use crate::node::{Node, NodeAction, NodeInput};
use crate::plan::{HostInterface, Runtime};
use crate::proto::{Input, Router, RouterSettings};
use crate::sys::netlink::{self, Added, Removed, Vip};
use crate::sys::signals::Signal;
use crate::sys::vrrp_socket::Unopened;
use crate::sys::SysError;
use crate::wire::Ipv4Repr;
use exec::{Exec, Fatal};
use tracker_io::TrackerIo;

/// Everything that wakes the main task.
#[derive(Debug)]
pub enum Event {
    /// An input for the core; received datagrams come unparsed (the core runs every receive
    /// check on them).
    Input(Input),
    /// A link or address change from the kernel.
    Net(netlink::Change),
    /// A route or rule deleted (from the route monitor).
    Deleted(crate::sys::routes::Deleted),
    /// keepalived's signals (docs/keepalived-compat.md#signals).
    Signal(Signal),
    /// The host's links and addresses read again after the monitor lost events (overrun, or
    /// a reopened monitor); the loop feeds the differences as [`Event::Net`] would.
    Resync(crate::plan::HostInfo),
    /// A child task hit an error worth one log line (for example a socket read failing).
    Warning(String),
    /// A question from the metrics endpoint or the control socket (`observe`).
    Query(observe::Query),
}

/// systemd states the loop reports (docs/keepalived-compat.md#processes-and-systemd).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SdState {
    Ready,
    Reloading,
    Stopping,
}

/// The operating system as the loop sees it. [`linux::LinuxSys`] is the real one; a
/// recording implementation makes the loop testable on a paused clock.
#[allow(async_fn_in_trait)]
pub trait Sys {
    /// Sends one IPv4 advert: the header `header` (built by `wire::emit_ipv4_datagram`) in
    /// front of `payload`, the VRRP message.
    async fn send_advert(
        &mut self,
        ifindex: u32,
        header: &Ipv4Repr,
        payload: &[u8],
    ) -> Result<(), SysError>;
    /// Sends one IPv6 advert (the kernel builds the header; `hops` is used for unicast).
    async fn send_advert6(
        &mut self,
        ifindex: u32,
        src: std::net::Ipv6Addr,
        dst: std::net::Ipv6Addr,
        hops: u8,
        payload: &[u8],
    ) -> Result<(), SysError>;
    async fn add_vip(&mut self, vip: &Vip) -> Result<Added, SysError>;
    async fn del_vip(&mut self, vip: &Vip) -> Result<Removed, SysError>;
    /// `ip route add|del` (`oif` = index of the route's `dev`).
    async fn route(
        &mut self,
        add: bool,
        spec: &crate::proto::RouteSpec,
        oif: Option<u32>,
    ) -> Result<(), SysError>;
    /// `ip rule add|del`.
    async fn rule(&mut self, add: bool, spec: &crate::proto::RuleSpec) -> Result<(), SysError>;
    /// Sends one Ethernet frame (GARP / NA).
    fn send_frame(&mut self, ifindex: u32, frame: &[u8]) -> Result<(), SysError>;
    /// A reload's settings are in force: the shell drops what only the old ones needed (the
    /// vmacs, docs/vmac.md#reload).
    fn settings_applied(&mut self, _settings: &RouterSettings) {}
    /// A link appeared, changed or was deleted: the shell re-creates its vmacs that are
    /// missing while their parent is there (docs/vmac.md#deleted-by-hand).
    fn link_event(&mut self, _name: &str) {}
    /// Opens and closes sockets so that exactly those `settings` need exist (docs/keepalived-compat.md#sockets).
    fn sync_sockets(&mut self, settings: &RouterSettings) -> Result<(), SysError>;
    /// [`Sys::sync_sockets`], telling which sockets could not be opened and whose they are
    /// (those instances go to FAULT). The default cannot tell whose, so it blames every
    /// instance.
    fn open_sockets(&mut self, settings: &RouterSettings) -> Vec<Unopened> {
        match self.sync_sockets(settings) {
            Ok(()) => Vec::new(),
            Err(error) => vec![Unopened {
                instances: settings.instances.iter().map(|i| i.name.clone()).collect(),
                error,
            }],
        }
    }
    fn systemd(&mut self, state: SdState);
    /// The interval systemd's watchdog expects pings within (`WATCHDOG_USEC` for this
    /// process), if any; see `sd_status`.
    fn watchdog_interval(&self) -> Option<std::time::Duration> {
        None
    }
    /// `WATCHDOG=1`.
    fn watchdog_ping(&mut self) {}
    /// `STATUS=text`: the one-line summary `systemctl status` shows.
    fn status(&mut self, _text: &str) {}
}

/// Where the loop gets a new plan on SIGHUP (docs/keepalived-compat.md#reload).
/// [`linux::FileLoader`] reads and checks the configuration file and snapshots the host's
/// interfaces; tests script the outcome.
pub trait Loader {
    /// The plan of the configuration as it is now, or the lines explaining why it cannot be
    /// used. The future owns what it needs (`'static`): the loop keeps running (adverts,
    /// received packets, trackers, signals) while it is pending, and applies the plan when
    /// it is ready.
    fn load(&mut self) -> impl Future<Output = Reloaded> + 'static;
}

/// A loader that never has a new plan (tests of the loop without reloads).
#[derive(Debug, Default)]
pub struct NoReload;

impl Loader for NoReload {
    fn load(&mut self) -> impl Future<Output = Reloaded> + 'static {
        std::future::ready(Reloaded::Failed(vec!["no configuration to reload".into()]))
    }
}

/// A reload whose plan is still being read.
type PendingLoad = std::pin::Pin<Box<dyn Future<Output = Reloaded>>>;

/// The outcome of [`Loader::load`].
#[derive(Debug)]
pub enum Reloaded {
    /// The new plan: settings, trackers, scripts, hooks, the interface table, warnings.
    Ok(Box<Runtime>),
    /// Every diagnostic / the resolution error, one per line.
    Failed(Vec<String>),
}

/// Why the daemon stopped other than by a signal.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Sys(#[from] SysError),
    #[error(transparent)]
    Fatal(#[from] Fatal),
    #[error("{0}")]
    Other(String),
}

/// The shell's `now`: tokio's clock, so tests can pause it.
pub fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// Runs the daemon without trackers or hooks (tests of the loop); see [`run_tracked`].
pub async fn run<S: Sys, L: Loader>(
    sys: &mut S,
    loader: &mut L,
    exec: &mut Exec,
    settings: RouterSettings,
    events: &mut mpsc::Receiver<Event>,
) -> Result<(), DaemonError> {
    let (tracking, hooks) = TrackerIo::none();
    exec.hooks = Some(hooks);
    run_tracked(sys, loader, exec, settings, tracking, events).await
}

/// Runs the daemon until SIGTERM/SIGINT: start-up cleanup (docs/keepalived-compat.md#start-up-cleanup), sockets, the node (the
/// core and the trackers), the loop, and the stop sequence (docs/keepalived-compat.md#shutdown). `exec.hooks` receives the
/// core's notifications; `exec.recorder`, when set, every input of the node.
pub async fn run_tracked<S: Sys, L: Loader>(
    sys: &mut S,
    loader: &mut L,
    exec: &mut Exec,
    settings: RouterSettings,
    mut tracking: TrackerIo,
    events: &mut mpsc::Receiver<Event>,
) -> Result<(), DaemonError> {
    release_leftovers(sys, exec, &settings).await?;
    // At start-up a socket that cannot be opened is an error (exit 1, README "Errors before
    // forking"); later it only holds its instances in FAULT.
    let (_, failed) = exec.sockets.open(sys, &settings, &exec.ifaces);
    if let Some(u) = failed.into_iter().next() {
        return Err(u.error.into());
    }
    let mut current = settings.clone();
    let t0 = now();
    exec.observers.started = t0;
    if let Some(r) = exec.recorder.as_mut() {
        r.begin(t0);
    }
    let trackers = tracking.take_trackers(t0);
    // `vrrpd drain` survives a restart (src/control/drains.rs): drained from the start, and
    // the input once more so sync-group partners follow as they do on a live drain.
    let names: Vec<String> = settings.instances.iter().map(|i| i.name.clone()).collect();
    let drained = exec.control.drains.for_core(&names);
    let router = Router::new_drained(settings, t0, drained.as_deref());
    let mut node = Node::from_parts(router, trackers, t0);
    reapply_drains(&mut node, exec);
    let result = serve(
        &mut node,
        &mut current,
        sys,
        loader,
        exec,
        &mut tracking,
        events,
    )
    .await;
    // Also after a fatal error (reported by the caller): release what can be released.
    tracking.stop();
    // A fatal error releases at once; a stop signal (or the end of the event stream) lets the
    // masters hand over first (src/proto/leaving.rs).
    let patient = result.is_ok();
    let stopped = stop(
        &mut node,
        &current,
        sys,
        exec,
        &mut tracking,
        events,
        patient,
    )
    .await;
    if let Some(r) = exec.recorder.as_mut() {
        r.flush();
    }
    result.and(stopped)
}

/// Start-up notifications and the loop, until a stop signal or a fatal error.
async fn serve<S: Sys, L: Loader>(
    node: &mut Node,
    current: &mut RouterSettings,
    sys: &mut S,
    loader: &mut L,
    exec: &mut Exec,
    tracking: &mut TrackerIo,
    events: &mut mpsc::Receiver<Event>,
) -> Result<(), DaemonError> {
    drain(node, sys, exec, tracking).await?;
    if current.instances.is_empty() {
        warn!(target: "vrrpd", "Warning - keepalived has no configuration to run");
    }
    sys.systemd(SdState::Ready);
    info!(target: "vrrpd", "Startup complete");
    let mut baseline = dump::Baseline::default();
    // The SIGHUP being read, and whether another SIGHUP came in meanwhile.
    let mut loading: Option<PendingLoad> = None;
    let mut load_again = false;
    // `vrrpd reload` requests waiting for the outcome (src/control/at_loop.rs).
    let mut reload_waiters = crate::control::at_loop::ReloadWaiters::default();
    let mut live =
        sd_status::Liveness::new(sys.watchdog_interval(), exec.observers.listen(), now());
    loop {
        // quinn's drive_timer: trust the clock, not the sleep.
        let t = now();
        // Pings come from here, after every wake-up: a hung loop stops them (sd_status).
        live.after_wake(sys, t, || {
            let failed = exec.observers.reloads.last_ok == Some(false);
            (node.router().snapshot(), failed)
        });
        if let Some(d) = node.poll_timeout().filter(|d| *d <= t) {
            // How late the loop got to the deadline (vrrpd_advert_timer_lateness_seconds).
            exec.observers
                .shell
                .timer_late(t.saturating_duration_since(d));
            // A crowd of due timers (1,000 backups reaching master-down together) is taken a
            // few dozen at a time, each step with a fresh `now`: an advert that falls due meanwhile
            // goes first (proto/timer.rs).
            node.handle_timeouts(t, TIMERS_PER_STEP);
            drain(node, sys, exec, tracking).await?;
            continue;
        }
        if exec.vip_retries.due().is_some_and(|d| d <= t) {
            exec.retry_vips(sys, t).await?;
            continue;
        }
        let deadline = earliest(next_deadline(node, exec), live.due());
        let event = tokio::select! {
            ev = events.recv() => ev,
            report = tracking.next() => {
                if let tracker_io::Report::Script(name, outcome) = &report {
                    let took = tracking.took(name);
                    exec.observers.shell.script_done(outcome.is_success(), took);
                }
                let input = tracking.report(report);
                give(node, exec, now(), input);
                drain(node, sys, exec, tracking).await?;
                continue;
            }
            outcome = until_loaded(&mut loading) => {
                loading = None;
                apply_reload(outcome, node, current, sys, exec, tracking).await?;
                // A reload may add instances: drained stays drained.
                reapply_drains(node, exec);
                drain(node, sys, exec, tracking).await?;
                reload_waiters.done(&exec.observers.reloads);
                if std::mem::take(&mut load_again) {
                    loading = Some(begin_reload(sys, loader));
                }
                continue;
            }
            // The check at the top of the loop handles the deadline.
            () = sleep_until(exec.timer.as_ref(), deadline) => continue,
        };
        let Some(event) = event else {
            // Every sender is gone: nothing can wake us any more; stop cleanly.
            return Ok(());
        };
        match event {
            Event::Input(input) => give(node, exec, now(), NodeInput::Core(input)),
            Event::Net(ev) => on_net(node, current, sys, exec, ev),
            Event::Resync(host) => {
                for ev in resync::diff(&exec.ifaces, &host) {
                    on_net(node, current, sys, exec, ev);
                }
            }
            Event::Deleted(d) => {
                if let Some(input) = exec.deleted_input(d) {
                    give(node, exec, now(), NodeInput::Core(input));
                }
            }
            Event::Warning(text) => warn!(target: "vrrpd", "{text}"),
            Event::Query(observe::Query::Reload(reply)) => {
                reload_waiters.add(reply, loading.is_some());
                if loading.is_some() {
                    load_again = true;
                } else {
                    loading = Some(begin_reload(sys, loader));
                }
            }
            Event::Query(q) => answer(q, node, current, exec),
            Event::Signal(Signal::Stop) => return Ok(()),
            // docs/keepalived-compat.md#reload: the new file is read while the loop runs on
            // (keepalived sends its pending adverts before it stops to re-read; here nothing
            // waits). A SIGHUP during a reload is remembered and read once that one is done.
            Event::Signal(Signal::Reload) if loading.is_some() => load_again = true,
            Event::Signal(Signal::Reload) => loading = Some(begin_reload(sys, loader)),
            Event::Signal(sig) => {
                let clock = (exec.observers.started, now());
                let facts = tracking.dump_facts();
                let hooks = exec.hooks.as_ref().map(|h| h.config());
                dump::on_signal(sig, node, current, facts, hooks, clock, &mut baseline)
            }
        }
        drain(node, sys, exec, tracking).await?;
    }
}

/// Frees `value` and hands the freed heap back to the kernel on a blocking thread at
/// background priority (sys/background.rs), so a large model or plan costs the loop nothing
/// (README "Memory"). Outside a runtime (unit tests) it is simply dropped.
pub(crate) fn free_beside_the_loop<T: Send + 'static>(value: T) {
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        return drop(value);
    };
    rt.spawn_blocking(move || {
        let _bg = crate::sys::background::enter();
        drop(value);
        crate::sys::memory::trim();
    });
}

/// When the loop must wake up: the node's deadline or a VIP retry (daemon/vip_retry.rs),
/// whichever is earlier.
fn next_deadline(node: &Node, exec: &Exec) -> Option<Instant> {
    earliest(node.poll_timeout(), exec.vip_retries.due())
}

/// The earlier of two optional deadlines.
fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Answers a question from outside between two steps of the node (`observe`); a reload
/// request is taken by the loop itself (it starts a reading).
fn answer(q: observe::Query, node: &mut Node, current: &RouterSettings, exec: &mut Exec) {
    match q {
        observe::Query::Picture(reply) => {
            let mut shell = shell_counters::view(
                current,
                node.trackers(),
                &exec.observers.shell,
                exec.hooks.as_ref(),
            );
            shell.smtp_alerts = shell_counters::SmtpAlerts::of(exec.mailer.counts());
            let picture = exec
                .observers
                .picture_with(node.router().snapshot(), now(), shell);
            // The asker may have gone away meanwhile.
            let _ = reply.send(picture);
        }
        observe::Query::Status(reply) => {
            let parts = crate::control::at_loop::StatusParts {
                picture: exec.observers.picture(node.router().snapshot(), now()),
                trackers: node.trackers().report(),
                drains: exec.control.drains.clone(),
            };
            let _ = reply.send(parts);
        }
        observe::Query::Drain {
            instances,
            drain,
            reply,
        } => {
            let known = instance_names(node);
            let (line, input) = exec.control.request(instances, drain, &known);
            if let Some(input) = input {
                give(node, exec, now(), NodeInput::Core(input));
            }
            let _ = reply.send(line);
        }
        observe::Query::Listen(reply) => {
            let _ = reply.send(exec.observers.listen());
        }
        observe::Query::Reload(reply) => {
            // serve() starts the reading; reaching here would be a bug: say so, never hang.
            let _ = reply
                .send(serde_json::json!({ "answer": "error", "message": "reload not available" }));
        }
    }
}

/// The names of the running instances.
fn instance_names(node: &Node) -> Vec<String> {
    node.router()
        .snapshot()
        .instances
        .into_iter()
        .map(|i| i.name)
        .collect()
}

/// Drains again what `vrrpd drain` drained (at start and after a reload).
fn reapply_drains(node: &mut Node, exec: &mut Exec) {
    let known = instance_names(node);
    if let Some(input) = exec.control.reapply(&known) {
        give(node, exec, now(), NodeInput::Core(input));
    }
}

/// Gives the node one input, recorded first when `--record-events` is on.
fn give(node: &mut Node, exec: &mut Exec, now: Instant, input: NodeInput) {
    if let Some(r) = exec.recorder.as_mut() {
        r.input(now, &input);
        if r.just_filled() {
            warn!(target: "vrrpd", "--record-events: the recording reached its size limit and stops here");
        }
    }
    node.handle(now, input);
}

/// Sleeps until `deadline`, or forever without one: on the precise timer when the shell has
/// one (sys/precise_timer.rs), else on tokio's millisecond timer.
async fn sleep_until(
    timer: Option<&crate::sys::precise_timer::PreciseTimer>,
    deadline: Option<Instant>,
) {
    match (deadline, timer) {
        (Some(d), Some(t)) => t.sleep_until(d).await,
        (Some(d), None) => crate::sys::precise_timer::coarse_sleep_until(d).await,
        (None, _) => std::future::pending().await,
    }
}

/// Performs every queued action, in order: the core's through [`Exec`], script runs through
/// [`TrackerIo`], the trackers' log lines. A core timer that falls due meanwhile is handled
/// between two actions, its adverts ahead of the rest (daemon/backlog.rs); not while
/// stopping, when the stop sequence runs the core's timers itself.
async fn drain<S: Sys>(
    node: &mut Node,
    sys: &mut S,
    exec: &mut Exec,
    tracking: &mut TrackerIo,
) -> Result<(), Fatal> {
    let mut performed = 0usize;
    let mut backlog: std::collections::VecDeque<NodeAction> = std::collections::VecDeque::new();
    loop {
        while let Some(a) = node.poll_action() {
            backlog.push_back(a);
        }
        if !exec.stopping && !backlog.is_empty() {
            let t = now();
            if let Some(d) = node.router().poll_timeout().filter(|d| *d <= t) {
                exec.observers
                    .shell
                    .timer_late(t.saturating_duration_since(d));
                node.handle_core_timeouts(t, TIMERS_PER_STEP);
                backlog::hurry(&mut backlog, std::iter::from_fn(|| node.poll_action()));
            }
        }
        let Some(action) = backlog.pop_front() else {
            break;
        };
        performed += 1;
        match action {
            NodeAction::Core(a) => exec.perform(sys, a).await?,
            NodeAction::RunScript { name } => tracking.run_script(&name),
            NodeAction::Log { level, message } => {
                exec::log(level, &message);
                exec.observers
                    .happen(observe::Happening::Tracker { line: message });
            }
        }
    }
    // A burst (start-up or a mass transition: every instance's GARPs at once) left megabytes
    // of freed queue and action memory behind; hand it back (README "Memory").
    if performed >= TRIM_AFTER_ACTIONS {
        crate::sys::memory::trim();
    }
    Ok(())
}

/// Due core timers handled in one step: a master-down timer that makes its instance MASTER
/// costs the core about 10 µs (measured with 1,000 instances), so an advert that falls due
/// behind a crowd of them waits at most some 0.7 ms. Smaller steps cost idle CPU: with 16,
/// 1,000 one-second masters took 0.88-0.93 % of a core instead of 0.77 % (`benches/fleet.rs`).
const TIMERS_PER_STEP: usize = 64;

/// Actions in one drain past which the freed memory is returned to the kernel: far above
/// what a pair of instances does per event, so the walk is paid only after bursts.
const TRIM_AFTER_ACTIONS: usize = 4096;

/// The stop sequence (docs/keepalived-compat.md#shutdown): priority 0 from masters, which keep
/// their VIPs until their successor is heard (docs/keepalived-compat.md#planned-hand-over; not
/// `patient`: removed at once), STOP notifications, `STOPPING=1`. With `-V` masters keep their
/// VIPs and send nothing.
async fn stop<S: Sys>(
    node: &mut Node,
    current: &RouterSettings,
    sys: &mut S,
    exec: &mut Exec,
    tracking: &mut TrackerIo,
    events: &mut mpsc::Receiver<Event>,
    patient: bool,
) -> Result<(), DaemonError> {
    info!(target: "vrrpd", "Stopping");
    sys.systemd(SdState::Stopping);
    exec.stopping = true;
    exec.vip_retries.clear();
    let release = !exec.keep_vips_on_stop;
    give(node, exec, now(), NodeInput::Core(Input::Stop { release }));
    if !patient {
        // A second stop ends every hand-over at once.
        give(node, exec, now(), NodeInput::Core(Input::Stop { release }));
    }
    let mut drained = drain(node, sys, exec, tracking).await;
    if drained.is_ok() {
        drained = hand_over(node, current, sys, exec, tracking, events).await;
    }
    if !node.router().is_stopped() {
        // The hand-over failed half way: never leave with the VIPs (two holders on the LAN).
        give(node, exec, now(), NodeInput::Core(Input::Stop { release }));
        let _ = drain(node, sys, exec, tracking).await;
    }
    // docs/keepalived-compat.md#shutdown: the STOP notifications run, for at most a second, then their groups are killed.
    if let Some(hooks) = exec.hooks.take() {
        hooks.shutdown(tracker_io::STOP_HOOK_DEADLINE).await;
    }
    // docs/keepalived-compat.md#smtp-alerts: mails still queued get a second, no more.
    std::mem::take(&mut exec.mailer)
        .shutdown(crate::sys::smtp::STOP_DEADLINE)
        .await;
    // keepalived deletes its tables last (after the VIPs are gone).
    exec.firewall.stop().await;
    drained?;
    // Best-effort: every removal was attempted and each failure logged (exec.rs); the first
    // one makes the exit status non-zero.
    if let Some(failure) = exec.take_stop_failure() {
        return Err(failure.into());
    }
    info!(target: "vrrpd", "Stopped");
    Ok(())
}

/// While masters hand over after the stop: received adverts go to the core (the successor's
/// ends the wait), its deadlines run, status questions are answered. A second SIGTERM/SIGINT,
/// or an event stream that ends, releases at once. The core bounds the wait itself
/// (`proto::HANDOVER_STOP_LIMIT`); the shell never waits a second longer than that, whatever
/// the core says, so the stop stays inside systemd's `TimeoutStopSec`.
async fn hand_over<S: Sys>(
    node: &mut Node,
    current: &RouterSettings,
    sys: &mut S,
    exec: &mut Exec,
    tracking: &mut TrackerIo,
    events: &mut mpsc::Receiver<Event>,
) -> Result<(), Fatal> {
    let release = Input::Stop {
        release: !exec.keep_vips_on_stop,
    };
    let cap = now() + crate::proto::HANDOVER_STOP_LIMIT + std::time::Duration::from_secs(1);
    while !node.router().is_stopped() {
        let t = now();
        if t >= cap {
            warn!(target: "vrrpd", "hand-over still running at the stop's limit: removing the VIPs now");
            give(node, exec, t, NodeInput::Core(release.clone()));
            drain(node, sys, exec, tracking).await?;
            break;
        }
        if node.router().poll_timeout().is_some_and(|d| d <= t) {
            node.handle_core_timeout(t);
            drain(node, sys, exec, tracking).await?;
            continue;
        }
        let deadline = earliest(node.router().poll_timeout(), Some(cap));
        let event = tokio::select! {
            ev = events.recv() => ev,
            () = sleep_until(exec.timer.as_ref(), deadline) => continue,
        };
        match event {
            Some(Event::Input(input @ (Input::Ipv4 { .. } | Input::Packet { .. }))) => {
                give(node, exec, now(), NodeInput::Core(input))
            }
            Some(Event::Signal(crate::sys::signals::Signal::Stop)) => {
                info!(target: "vrrpd", "Stop signal during the hand-over: removing the VIPs now");
                give(node, exec, now(), NodeInput::Core(release.clone()));
            }
            Some(Event::Query(q)) => answer(q, node, current, exec),
            Some(_) => {}
            None => give(node, exec, now(), NodeInput::Core(release.clone())),
        }
        drain(node, sys, exec, tracking).await?;
    }
    Ok(())
}

/// docs/keepalived-compat.md#start-up-cleanup: on a fresh start every VIP and excluded VIP of every instance whose interface exists
/// is deleted ("not present" is fine), so a leftover from a crash or a hand-added copy of a
/// VIP never lingers on a backup.
async fn release_leftovers<S: Sys>(
    sys: &mut S,
    exec: &Exec,
    settings: &RouterSettings,
) -> Result<(), Fatal> {
    // Only the addresses the host has, by the snapshot the plan was made from (taken
    // milliseconds ago): an address on no interface needs no RTM_DELADDR. Asking for every VIP
    // in turn cost 17 ms of start-up with 1,000 instances, each request waiting for its answer
    // before the first instance could start.
    let present: HashSet<std::net::IpAddr> = exec
        .ifaces
        .values()
        .flat_map(|i| i.addrs.iter().map(|a| a.addr))
        .collect();
    for inst in &settings.instances {
        let leftover = |v: &crate::proto::VipSpec| present.contains(&v.addr);
        if inst.vips.iter().chain(&inst.excluded_vips).any(leftover) {
            delete_addresses(sys, exec, inst, &[]).await?;
        }
    }
    Ok(())
}

/// `-X/--release-vips` after a reload: keepalived 2.2.7 re-initialises every instance after a
/// reload and, with `-X`, an instance that is not MASTER deletes its VIPs and excluded VIPs
/// even though it never added them (vrrp.c, `vrrp_restore_interface` with `RELEASE_VIPS`): a
/// copy left on a backup (by hand, or by a configuration change) does not survive the reload.
/// Addresses a MASTER instance holds are left alone.
async fn release_not_master<S: Sys>(
    sys: &mut S,
    exec: &Exec,
    settings: &RouterSettings,
    node: &Node,
) -> Result<(), Fatal> {
    let snap = node.snapshot();
    let held: Vec<std::net::IpAddr> = snap
        .instances
        .iter()
        .flat_map(|i| i.vips.iter().copied())
        .collect();
    for inst in &settings.instances {
        let master = snap
            .instances
            .iter()
            .any(|s| s.name == inst.name && s.state == crate::proto::State::Master);
        if !master {
            delete_addresses(sys, exec, inst, &held).await?;
        }
    }
    Ok(())
}

/// Deletes `inst`'s VIPs and excluded VIPs except those in `keep` ("not present" is fine);
/// nothing when its interface does not exist.
async fn delete_addresses<S: Sys>(
    sys: &mut S,
    exec: &Exec,
    inst: &crate::proto::InstanceSettings,
    keep: &[std::net::IpAddr],
) -> Result<(), Fatal> {
    if !exec.ifaces.contains_key(&inst.ifname) {
        return Ok(());
    }
    debug!(target: "vrrpd", "({}) removing VIPs.", inst.name);
    for spec in inst.vips.iter().chain(inst.excluded_vips.iter()) {
        if keep.contains(&spec.addr) {
            continue;
        }
        let Some(vip) = exec.vip(spec) else { continue };
        match sys.del_vip(&vip).await {
            Ok(_) => {}
            Err(e @ SysError::Permission { .. }) => return Err(Fatal(e)),
            Err(e) => error!(target: "vrrpd", "({}) {e}", inst.name),
        }
    }
    Ok(())
}

/// Waits for the pending reload, or forever without one.
async fn until_loaded(loading: &mut Option<PendingLoad>) -> Reloaded {
    match loading {
        Some(f) => f.await,
        None => std::future::pending().await,
    }
}

/// SIGHUP (docs/keepalived-compat.md#reload): `RELOADING=1`, then the new file is read and
/// checked by the loader while the loop carries on; [`apply_reload`] takes the result.
fn begin_reload<S: Sys, L: Loader>(sys: &mut S, loader: &mut L) -> PendingLoad {
    info!(target: "vrrpd", "Reloading");
    sys.systemd(SdState::Reloading);
    Box::pin(loader.load())
}

/// The end of a reload: on any error keep running the old configuration; otherwise apply
/// the new plan hitlessly. `READY=1` either way.
async fn apply_reload<S: Sys>(
    outcome: Reloaded,
    node: &mut Node,
    current: &mut RouterSettings,
    sys: &mut S,
    exec: &mut Exec,
    tracking: &mut TrackerIo,
) -> Result<(), DaemonError> {
    match outcome {
        Reloaded::Failed(lines) => {
            for l in &lines {
                error!(target: "vrrpd", "{l}");
            }
            error!(target: "vrrpd", "Reload failed; keeping the running configuration");
            free_beside_the_loop(exec.observers.reloaded(false, lines));
        }
        Reloaded::Ok(mut plan) => {
            if !plan.warnings_logged {
                for w in &plan.warnings {
                    warn!(target: "vrrpd", "{w}");
                }
            }
            exec.ifaces = crate::plan::host::by_name(&plan.host);
            if let Some(r) = exec.recorder.as_mut() {
                r.reload(now());
            }
            let changed = (plan.settings != *current).then(|| plan.settings.clone());
            exec.firewall.reconfigure(plan.firewall.clone());
            apply_settings(node, current, changed, &plan, sys, exec, tracking).await?;
            // Unchanged hooks keep running (their queues keep their order, the FIFO stays
            // open). Otherwise the notifications of the reconfiguration (e.g. DELETED) went to
            // the old hooks, which finish in the background while the new ones take over.
            exec.mailer.configure(plan.mail.clone());
            let (hook_cfg, inputs) = tracking.reload(&plan, node.trackers());
            for input in inputs {
                give(node, exec, now(), input);
            }
            let links: Vec<(String, bool)> =
                exec.ifaces.iter().map(|(n, i)| (n.clone(), i.up)).collect();
            node.tracked_links(now(), links.iter().map(|(n, up)| (n.as_str(), *up)));
            if exec.hooks.as_ref().is_none_or(|h| *h.config() != hook_cfg) {
                let hooks = crate::sys::hooks::Hooks::start(hook_cfg);
                if let Some(old) = exec.hooks.replace(hooks) {
                    // Runs the old hooks finish from now on are not counted.
                    let (ok, failed) = old.runs();
                    let before = &mut exec.observers.shell.notify_runs_before;
                    before.ok += ok;
                    before.failed += failed;
                    tokio::spawn(old.shutdown(crate::sys::hooks::DEFAULT_TIMEOUT));
                }
            }
            drain(node, sys, exec, tracking).await?;
            if exec.release_vips {
                release_not_master(sys, exec, current, node).await?;
            }
            info!(target: "vrrpd", "Reload complete");
            // Moved, not cloned: a generated file may carry 40,000 warnings.
            let old_lines = exec
                .observers
                .reloaded(true, std::mem::take(&mut plan.warnings));
            // Freeing a large plan (40,000 scripts: 20 ms) and the previous reload's lines is
            // done beside the loop, with one trim.
            free_beside_the_loop((plan, old_lines));
        }
    }
    sys.systemd(SdState::Ready);
    Ok(())
}

/// Replaces the running settings hitlessly (`Router::reconfigure`,
/// docs/keepalived-compat.md#reload): instances matched by VRID/family/interface/mode keep their state and VIPs. Sockets
/// for both the old and the new instances are open while the core acts, so a removed MASTER
/// still sends its priority-0 advert; afterwards only the new set stays open.
async fn apply_settings<S: Sys>(
    node: &mut Node,
    current: &mut RouterSettings,
    settings: Option<RouterSettings>,
    plan: &Runtime,
    sys: &mut S,
    exec: &mut Exec,
    tracking: &mut TrackerIo,
) -> Result<(), DaemonError> {
    let Some(settings) = settings else {
        // The same instances: only the trackers are rebuilt (results carried over).
        node.reconfigure(now(), None, &plan.trackers);
        return Ok(drain(node, sys, exec, tracking).await?);
    };
    // A socket that cannot be opened after a reload puts its instances in FAULT (never
    // deaf); the others keep working. Failures are logged by the second sync.
    let mut both = current.clone();
    both.instances.extend(settings.instances.iter().cloned());
    let _ = sys.open_sockets(&both);
    node.reconfigure(now(), Some(settings.clone()), &plan.trackers);
    drain(node, sys, exec, tracking).await?;
    let inputs = exec.sockets.sync(sys, &settings, &exec.ifaces);
    // An instance the reload created anew does not know it is held yet.
    for input in inputs.into_iter().chain(exec.sockets.held(&settings)) {
        give(node, exec, now(), NodeInput::Core(input));
    }
    *current = settings;
    sys.settings_applied(current);
    Ok(())
}

/// One kernel change: the interface table, a re-created interface's new index (the core and
/// the sockets follow it), the core's inputs, and another try at the sockets of instances
/// held in FAULT without them (the missing address or interface may just have appeared).
fn on_net<S: Sys>(
    node: &mut Node,
    current: &mut RouterSettings,
    sys: &mut S,
    exec: &mut Exec,
    ev: netlink::Change,
) {
    let mut resync = exec.sockets.waiting();
    if let netlink::Change::LinkRemoved { name, .. } | netlink::Change::LinkChange { name, .. } =
        &ev
    {
        sys.link_event(name);
    }
    if let netlink::Change::LinkChange { ifindex, name, .. } = &ev {
        if sockets::reindex(current, name, *ifindex) {
            info!(target: "vrrpd", "Interface {name} has a new index {ifindex}; reopening its VRRP sockets");
            let input = Input::Ifindex {
                ifname: name.clone(),
                ifindex: *ifindex,
            };
            give(node, exec, now(), NodeInput::Core(input));
            resync = true;
        }
    }
    for input in net_inputs(exec, ev) {
        give(node, exec, now(), NodeInput::Core(input));
    }
    if resync {
        for input in exec.sockets.sync(sys, current, &exec.ifaces) {
            give(node, exec, now(), NodeInput::Core(input));
        }
    }
}

/// Turns a kernel change into the core's inputs (a link change also reaches the interface
/// trackers, inside the node), keeping the interface table fresh.
fn net_inputs(exec: &mut Exec, ev: netlink::Change) -> Vec<Input> {
    match ev {
        netlink::Change::LinkChange {
            ifindex,
            name,
            up,
            mac,
        } => {
            let entry = exec
                .ifaces
                .entry(name.clone())
                .or_insert_with(|| HostInterface {
                    name: name.clone(),
                    index: ifindex,
                    ..HostInterface::default()
                });
            if entry.index != ifindex {
                // Re-created: the old interface's addresses went with it.
                entry.addrs.clear();
            }
            entry.index = ifindex;
            entry.mac = mac.or(entry.mac);
            entry.up = up;
            vec![Input::Link { ifname: name, up }]
        }
        netlink::Change::LinkRemoved { name, .. } => {
            if let Some(i) = exec.ifaces.get_mut(&name) {
                i.up = false;
            }
            vec![Input::Link {
                ifname: name,
                up: false,
            }]
        }
        netlink::Change::AddrChange {
            ifindex,
            addr,
            prefix,
            added,
        } => {
            let Some(ifname) = exec.name_of(ifindex).map(str::to_string) else {
                return Vec::new();
            };
            if let Some(i) = exec.ifaces.get_mut(&ifname) {
                let net = crate::plan::host::HostAddr { addr, prefix };
                i.addrs.retain(|a| *a != net);
                if added {
                    i.addrs.push(net);
                }
            }
            if exec.log_addresses {
                let what = if added { "added to" } else { "removed from" };
                info!(target: "vrrpd", "Netlink reflector reports IP {addr} {what} {ifname}");
            }
            vec![Input::Addr {
                ifname,
                addr,
                prefix,
                added,
            }]
        }
    }
}
