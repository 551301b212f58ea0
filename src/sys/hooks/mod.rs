//! Notify hooks: `notify_master|backup|fault|stop|deleted`, generic `notify`,
//! `notify_master_rx_lower_pri`, sync-group notifies and the notify FIFO
//! (docs/keepalived-compat.md#running-scripts, docs/keepalived-compat.md#notifications, docs/keepalived-compat.md#sync-groups; field-notes.md item 4).
//!
//! # Order and supervision (vrrpd: stricter than keepalived)
//!
//! keepalived forks notify scripts and forgets them, so under flapping they run
//! concurrently and may finish in any order (keepalived #996, #1055). vrrpd keeps one FIFO
//! queue per instance and per sync group: [`Hooks::notify`] appends the transition, and a
//! worker task runs that target's hooks strictly one after the other — the next hook starts
//! when the previous one has ended or has been killed at its timeout. Per transition:
//!
//! 1. the state's own script (`notify_master` etc., no arguments);
//! 2. the generic `notify` with `INSTANCE NAME STATE PRIO` (groups: `GROUP NAME STATE 0`)
//!    appended — not for `MASTER_RX_LOWER_PRI`, which only has its own script and the FIFO
//!    line.
//!
//! Every run is supervised by `sys::script` (own process group, SIGTERM then SIGKILL to the
//! group at the timeout, always reaped) and its end is logged with the exit status.
//! keepalived has no timeout for notify scripts; an ordered queue needs one, so a hung script
//! cannot hold back every later transition. Default [`DEFAULT_TIMEOUT`] (30 s: long enough
//! for a cloud API call that moves an address, short enough to recover from a hang).
//!
//! **No transition is ever dropped:** the queues are unbounded. When one target's backlog
//! reaches 64, 128, 256, ... transitions, a warning says so (a script slower than the flap
//! rate).
//!
//! `MASTER_RX_LOWER_PRI` is not a transition and is not queued like one (`queue.rs`): at
//! most one such run waits per instance (newer events join it), and it waits behind every
//! state notify queued after it, so the hooks of a transition are never delayed by
//! lower-priority adverts the MASTER heard.
//!
//! # The FIFO
//!
//! `vrrp_notify_fifo PATH` (and `notify_fifo PATH`, if it names another file) receive one
//! line per event, `INSTANCE "VI_1" MASTER 100` / `GROUP "G1" BACKUP 0`. The line is written
//! when the transition is queued, in global event order: keepalived writes it right after
//! forking the scripts without waiting for them, and FIFO readers must not be delayed by a
//! slow script. The FIFO is created (mode 0600, owner from `USER [GROUP]`) when absent and
//! opened read-write and non-blocking, never through a symlink; an existing one must be a
//! FIFO owned by root or by its `USER` (keepalived's CVE-2018-19044 was this class). So:
//!
//! * with no reader, writes neither block the daemon nor fail with ENXIO/SIGPIPE: lines are
//!   kept in the pipe buffer (64 KiB) for a reader that comes later;
//! * when the buffer is full (no reader for a long time), further lines are dropped and
//!   counted, with one warning per burst. Lines are shorter than PIPE_BUF, so a line is
//!   never torn.
//!
//! `vrrp_notify_fifo_script CMD` is started once with the FIFO path appended and runs until
//! shutdown.

use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;

mod queue;

use queue::{Job, JobQueue};

use super::fsafe;
use super::script::{self, CommandSpec, Identity, Prepared, ScriptDefaults};
use crate::proto::{NotifyEvent, NotifyTarget};

/// Default timeout of one notify script (keepalived has none; see the module doc).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The prepared notify scripts of one instance or group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotifyScripts {
    pub master: Option<Prepared>,
    pub backup: Option<Prepared>,
    pub fault: Option<Prepared>,
    pub stop: Option<Prepared>,
    pub deleted: Option<Prepared>,
    /// Generic `notify`: `INSTANCE|GROUP NAME STATE PRIO` appended.
    pub any: Option<Prepared>,
    pub master_rx_lower_pri: Option<Prepared>,
}

impl NotifyScripts {
    fn for_event(&self, event: NotifyEvent) -> Option<(&'static str, &Prepared)> {
        let (kw, p) = match event {
            NotifyEvent::Master => ("notify_master", &self.master),
            NotifyEvent::Backup => ("notify_backup", &self.backup),
            NotifyEvent::Fault => ("notify_fault", &self.fault),
            NotifyEvent::Stop => ("notify_stop", &self.stop),
            NotifyEvent::Deleted => ("notify_deleted", &self.deleted),
            NotifyEvent::MasterRxLowerPri => {
                ("notify_master_rx_lower_pri", &self.master_rx_lower_pri)
            }
        };
        p.as_ref().map(|p| (kw, p))
    }

    fn is_empty(&self) -> bool {
        [
            &self.master,
            &self.backup,
            &self.fault,
            &self.stop,
            &self.deleted,
            &self.any,
            &self.master_rx_lower_pri,
        ]
        .iter()
        .all(|p| p.is_none())
    }
}

/// A FIFO to open: path and optional owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FifoSpec {
    pub path: PathBuf,
    pub owner: Option<(String, Option<String>)>,
}

/// Everything [`Hooks`] needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookConfig {
    pub instances: HashMap<String, NotifyScripts>,
    pub groups: HashMap<String, NotifyScripts>,
    pub fifos: Vec<FifoSpec>,
    /// `vrrp_notify_fifo_script`: started once with the (first) FIFO path appended.
    pub fifo_script: Option<Prepared>,
    /// Per notify script.
    pub timeout: Duration,
    /// SIGTERM → SIGKILL delay.
    pub grace: Duration,
}

impl Default for HookConfig {
    fn default() -> Self {
        HookConfig {
            instances: HashMap::new(),
            groups: HashMap::new(),
            fifos: Vec::new(),
            fifo_script: None,
            timeout: DEFAULT_TIMEOUT,
            grace: script::KILL_GRACE,
        }
    }
}

/// The notify commands of one instance or group as configured (docs/keepalived-compat.md#notifications).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotifySpec {
    pub master: Option<CommandSpec>,
    pub backup: Option<CommandSpec>,
    pub fault: Option<CommandSpec>,
    pub stop: Option<CommandSpec>,
    pub deleted: Option<CommandSpec>,
    pub any: Option<CommandSpec>,
    pub master_rx_lower_pri: Option<CommandSpec>,
}

/// Every notify command and FIFO as configured (built by `plan::hooks`); [`HookConfig::prepare`]
/// resolves the commands on this host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HookSpec {
    /// By instance name, in configuration order.
    pub instances: Vec<(String, NotifySpec)>,
    /// By sync group name, in configuration order.
    pub groups: Vec<(String, NotifySpec)>,
    /// `vrrp_notify_fifo`, then `notify_fifo` when it names another file.
    pub fifos: Vec<FifoSpec>,
    /// `vrrp_notify_fifo_script` (else `notify_fifo_script`).
    pub fifo_script: Option<CommandSpec>,
}

impl HookConfig {
    /// Prepares every notify command of `spec` (docs/keepalived-compat.md#running-scripts: split,
    /// `PATH`, realpath, run-as identity = the command's `USER [GROUP]` else `default`).
    /// A command that cannot be prepared is dropped; the returned lines say why (log them).
    pub fn prepare(spec: &HookSpec, defaults: &ScriptDefaults) -> (HookConfig, Vec<String>) {
        let mut problems = Vec::new();
        let mut cfg = HookConfig::default();
        let mut prep = |c: Option<&CommandSpec>, who: &str, kw: &str| -> Option<Prepared> {
            match defaults.prepare_command(c?) {
                Ok(p) => Some(p),
                Err(e) => {
                    problems.push(format!("{who} {kw}: {e}"));
                    None
                }
            }
        };
        let mut scripts = |n: &NotifySpec, who: &str| NotifyScripts {
            master: prep(n.master.as_ref(), who, "notify_master"),
            backup: prep(n.backup.as_ref(), who, "notify_backup"),
            fault: prep(n.fault.as_ref(), who, "notify_fault"),
            stop: prep(n.stop.as_ref(), who, "notify_stop"),
            deleted: prep(n.deleted.as_ref(), who, "notify_deleted"),
            any: prep(n.any.as_ref(), who, "notify"),
            master_rx_lower_pri: prep(
                n.master_rx_lower_pri.as_ref(),
                who,
                "notify_master_rx_lower_pri",
            ),
        };
        for (name, n) in &spec.instances {
            let s = scripts(n, &format!("({name})"));
            if !s.is_empty() {
                cfg.instances.insert(name.clone(), s);
            }
        }
        for (name, n) in &spec.groups {
            let s = scripts(n, &format!("VRRP_Group({name})"));
            if !s.is_empty() {
                cfg.groups.insert(name.clone(), s);
            }
        }
        cfg.fifos = spec.fifos.clone();
        cfg.fifo_script = prep(
            spec.fifo_script.as_ref(),
            "global_defs",
            "vrrp_notify_fifo_script",
        );
        (cfg, problems)
    }
}

struct Worker {
    queue: Arc<JobQueue>,
    /// The next backlog size that gets a warning.
    warn_at: usize,
    handle: JoinHandle<()>,
}

/// An open notify FIFO.
struct FifoOut {
    path: PathBuf,
    file: std::fs::File,
    dropping: bool,
}

/// The running notify machinery. Create inside a tokio runtime.
pub struct Hooks {
    cfg: Arc<HookConfig>,
    workers: HashMap<(bool, String), Worker>,
    fifos: Vec<FifoOut>,
    fifo_script: Option<script::Running>,
    /// Process groups of the notify scripts running now (killed at shutdown if needed).
    running: Arc<Mutex<Vec<i32>>>,
    dropped_lines: Arc<AtomicU64>,
    /// Notify script runs that exited 0, and those that did not (metrics).
    outcomes: Arc<[AtomicU64; 2]>,
}

const FIRST_BACKLOG_WARNING: usize = 64;

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("targets", &self.workers.len())
            .field("fifos", &self.fifos.len())
            .finish_non_exhaustive()
    }
}

impl Hooks {
    /// Opens (creating if needed) the FIFOs and starts the FIFO script. Problems are logged;
    /// the hooks run without the broken part.
    pub fn start(cfg: HookConfig) -> Hooks {
        let mut fifos = Vec::new();
        for f in &cfg.fifos {
            match open_fifo(f) {
                Ok(file) => fifos.push(FifoOut {
                    path: f.path.clone(),
                    file,
                    dropping: false,
                }),
                Err(e) => tracing::error!("cannot open notify FIFO {}: {e}", f.path.display()),
            }
        }
        let fifo_script = match (&cfg.fifo_script, cfg.fifos.first()) {
            (Some(p), Some(f)) => {
                let p = p.with_args([f.path.to_string_lossy().into_owned()]);
                match script::spawn(&p) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        tracing::error!(
                            "cannot start notify FIFO script {}: {e}",
                            p.path.display()
                        );
                        None
                    }
                }
            }
            _ => None,
        };
        Hooks {
            cfg: Arc::new(cfg),
            workers: HashMap::new(),
            fifos,
            fifo_script,
            running: Arc::new(Mutex::new(Vec::new())),
            dropped_lines: Arc::new(AtomicU64::new(0)),
            outcomes: Arc::new([AtomicU64::new(0), AtomicU64::new(0)]),
        }
    }

    /// Queues the hooks of one event (an `Action::Notify` of the core) and writes its FIFO
    /// line. Never blocks.
    pub fn notify(&mut self, target: &NotifyTarget, event: NotifyEvent, priority: u8) {
        let (is_group, name) = match target {
            NotifyTarget::Instance(n) => (false, n.clone()),
            NotifyTarget::Group(n) => (true, n.clone()),
        };
        // docs/keepalived-compat.md#notifications / docs/keepalived-compat.md#sync-groups: the priority field of groups is always 0.
        let priority = if is_group { 0 } else { priority };
        self.write_fifo(&fifo_line(target, event, priority));
        let scripts = if is_group {
            self.cfg.groups.get(&name)
        } else {
            self.cfg.instances.get(&name)
        };
        if scripts.is_none() {
            return;
        }
        let key = (is_group, name);
        let worker = match self.workers.get_mut(&key) {
            Some(w) => w,
            None => {
                let w = self.spawn_worker(key.0, &key.1);
                self.workers.entry(key.clone()).or_insert(w)
            }
        };
        if !worker.queue.push(Job { event, priority }) {
            // Joined the waiting MASTER_RX_LOWER_PRI run: the backlog did not grow.
            return;
        }
        let n = worker.queue.len();
        if n >= worker.warn_at {
            tracing::warn!(
                "{} has {n} notify transitions queued: its notify scripts are slower than its state changes",
                who(key.0, &key.1)
            );
            worker.warn_at = worker.warn_at.saturating_mul(2);
        } else if n < FIRST_BACKLOG_WARNING / 2 {
            worker.warn_at = FIRST_BACKLOG_WARNING;
        }
    }

    /// What these hooks were started with (a reload that prepares the same keeps them).
    pub fn config(&self) -> &HookConfig {
        &self.cfg
    }

    /// Transitions queued and not yet finished, over all targets.
    pub fn pending(&self) -> usize {
        self.workers.values().map(|w| w.queue.len()).sum()
    }

    /// Notify script runs so far: (exited 0, failed, timed out or could not start).
    pub fn runs(&self) -> (u64, u64) {
        let [ok, failed] = &*self.outcomes;
        (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed))
    }

    /// FIFO lines dropped because the FIFO was full.
    pub fn dropped_fifo_lines(&self) -> u64 {
        self.dropped_lines.load(Ordering::Relaxed)
    }

    /// Shutdown: lets every queued hook run (the STOP notifies included) for at most
    /// `deadline`, then kills the process groups still running, and stops the FIFO script.
    /// Returns the number of transitions whose hooks did not complete.
    pub async fn shutdown(mut self, deadline: Duration) -> usize {
        let workers: Vec<Worker> = self.workers.drain().map(|(_, w)| w).collect();
        let queues: Vec<Arc<JobQueue>> = workers.iter().map(|w| w.queue.clone()).collect();
        let mut handles = Vec::new();
        for w in workers {
            w.queue.close();
            handles.push(w.handle);
        }
        let all = futures::future::join_all(handles.iter_mut());
        if tokio::time::timeout(deadline, all).await.is_err() {
            if let Ok(groups) = self.running.lock() {
                for pgid in groups.iter() {
                    // SAFETY: plain syscall.
                    unsafe {
                        libc::kill(-pgid, libc::SIGKILL);
                    }
                }
            }
            for h in &handles {
                h.abort();
            }
        }
        if let Some(r) = self.fifo_script.take() {
            let _ = r.wait(Duration::ZERO, script::KILL_GRACE).await;
        }
        queues.iter().map(|q| q.len()).sum()
    }

    fn spawn_worker(&self, is_group: bool, name: &str) -> Worker {
        let queue = Arc::new(JobQueue::default());
        let cfg = self.cfg.clone();
        let running = self.running.clone();
        let outcomes = self.outcomes.clone();
        let q = queue.clone();
        let name = name.to_string();
        let handle = tokio::spawn(async move {
            while let Some(job) = q.next().await {
                let scripts = if is_group {
                    cfg.groups.get(&name)
                } else {
                    cfg.instances.get(&name)
                };
                if let Some(s) = scripts {
                    run_job(&cfg, s, is_group, &name, &job, &running, &outcomes).await;
                }
                q.done();
            }
        });
        Worker {
            queue,
            warn_at: FIRST_BACKLOG_WARNING,
            handle,
        }
    }

    fn write_fifo(&mut self, line: &str) {
        for f in &mut self.fifos {
            match f.file.write(line.as_bytes()) {
                Ok(n) if n == line.len() => {
                    if f.dropping {
                        tracing::info!("notify FIFO {} is being read again", f.path.display());
                        f.dropping = false;
                    }
                }
                Ok(_) | Err(_) => {
                    self.dropped_lines.fetch_add(1, Ordering::Relaxed);
                    if !f.dropping {
                        tracing::warn!(
                            "notify FIFO {} is full (no reader?): dropping lines until it drains",
                            f.path.display()
                        );
                        f.dropping = true;
                    }
                }
            }
        }
    }
}

fn who(is_group: bool, name: &str) -> String {
    if is_group {
        format!("VRRP_Group({name})")
    } else {
        format!("({name})")
    }
}

/// keepalived's FIFO line: `INSTANCE "VI_1" MASTER 100\n` / `GROUP "G1" FAULT 0\n` (docs/keepalived-compat.md#notifications).
pub fn fifo_line(target: &NotifyTarget, event: NotifyEvent, priority: u8) -> String {
    let (kind, name) = match target {
        NotifyTarget::Instance(n) => ("INSTANCE", n),
        NotifyTarget::Group(n) => ("GROUP", n),
    };
    format!("{kind} \"{name}\" {} {priority}\n", event.word())
}

/// The arguments appended to the generic `notify` (docs/keepalived-compat.md#notifications, docs/keepalived-compat.md#sync-groups).
pub fn notify_args(target: &NotifyTarget, event: NotifyEvent, priority: u8) -> [String; 4] {
    match target {
        NotifyTarget::Instance(n) => [
            "INSTANCE".into(),
            n.clone(),
            event.word().into(),
            priority.to_string(),
        ],
        NotifyTarget::Group(n) => ["GROUP".into(), n.clone(), event.word().into(), "0".into()],
    }
}

/// Runs one transition's hooks in order: state script, then generic `notify`.
async fn run_job(
    cfg: &HookConfig,
    s: &NotifyScripts,
    is_group: bool,
    name: &str,
    job: &Job,
    running: &Arc<Mutex<Vec<i32>>>,
    outcomes: &[AtomicU64; 2],
) {
    let target = if is_group {
        NotifyTarget::Group(name.to_string())
    } else {
        NotifyTarget::Instance(name.to_string())
    };
    let mut runs: Vec<(&str, Prepared)> = Vec::new();
    if let Some((kw, p)) = s.for_event(job.event) {
        runs.push((kw, p.clone()));
    }
    if job.event != NotifyEvent::MasterRxLowerPri {
        if let Some(p) = &s.any {
            runs.push((
                "notify",
                p.with_args(notify_args(&target, job.event, job.priority)),
            ));
        }
    }
    for (kw, p) in runs {
        let what = format!(
            "{} {kw} {} ({})",
            who(is_group, name),
            p.path.display(),
            job.event.word()
        );
        let outcome = match script::spawn(&p) {
            Ok(r) => {
                let pgid = r.pid();
                if let Ok(mut g) = running.lock() {
                    g.push(pgid);
                }
                let o = r.wait(cfg.timeout, cfg.grace).await;
                if let Ok(mut g) = running.lock() {
                    g.retain(|x| *x != pgid);
                }
                o
            }
            Err(e) => crate::track::ScriptOutcome::SpawnFailed(e.to_string()),
        };
        script::log_outcome(&what, &outcome);
        let [ok, failed] = outcomes;
        let counter = if outcome.is_success() { ok } else { failed };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Opens the notify FIFO read-write and non-blocking (see the module doc), creating it
/// (mkfifo 0600, given to the configured owner) when absent. Never through a symlink, and
/// only a FIFO owned by root, by us or by the configured owner: what is checked is the open
/// descriptor (`fstat`, `fchown`), so nothing can be swapped in between (keepalived's
/// CVE-2018-19045 class: root writing where a local user points it).
pub fn open_fifo(f: &FifoSpec) -> std::io::Result<std::fs::File> {
    let owner = match &f.owner {
        Some((user, group)) => Some(
            Identity::lookup(user, group.as_deref())
                .map_err(|e| std::io::Error::other(e.to_string()))?,
        ),
        None => None,
    };
    let (file, created) = match open_fifo_path(&f.path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            nix::unistd::mkfifo(&f.path, nix::sys::stat::Mode::from_bits_truncate(0o600))
                .map_err(|e| std::io::Error::from_raw_os_error(e as i32))?;
            (open_fifo_path(&f.path)?, true)
        }
        r => (r?, false),
    };
    let m = file.metadata()?;
    if !m.file_type().is_fifo() {
        return Err(std::io::Error::other("it exists and is not a FIFO"));
    }
    let me = nix::unistd::geteuid().as_raw();
    let allowed = m.uid() == 0 || m.uid() == me || owner.as_ref().is_some_and(|o| o.uid == m.uid());
    if !allowed {
        return Err(std::io::Error::other(format!(
            "it is owned by uid {}, not by root or its configured user - refusing",
            m.uid()
        )));
    }
    if let (true, Some(o)) = (created, &owner) {
        fsafe::fchown(&file, o.uid, o.gid)?;
    }
    Ok(file)
}

/// `open(path, O_RDWR|O_NONBLOCK|O_NOFOLLOW)`: never blocks, never follows a final symlink.
fn open_fifo_path(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(fsafe::symlink_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_lines_and_notify_args_use_keepalived_format() {
        let vi = NotifyTarget::Instance("VI_1".into());
        let g = NotifyTarget::Group("G1".into());
        assert_eq!(
            fifo_line(&vi, NotifyEvent::Master, 100),
            "INSTANCE \"VI_1\" MASTER 100\n"
        );
        assert_eq!(
            fifo_line(&g, NotifyEvent::Fault, 0),
            "GROUP \"G1\" FAULT 0\n"
        );
        assert_eq!(
            fifo_line(&vi, NotifyEvent::MasterRxLowerPri, 150),
            "INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 150\n"
        );
        assert_eq!(
            notify_args(&vi, NotifyEvent::Backup, 140),
            ["INSTANCE", "VI_1", "BACKUP", "140"]
        );
        assert_eq!(
            notify_args(&g, NotifyEvent::Stop, 77),
            ["GROUP", "G1", "STOP", "0"]
        );
    }
}
