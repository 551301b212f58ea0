//! Event-driven tracking sources (docs/keepalived-compat.md#how-tracked-sources-are-watched):
//! an exit of a tracked process and a change of a track file are reported the moment they
//! happen, not at the next poll.
//!
//! * Processes: `/proc` is still scanned every second, because only a scan finds a *new*
//!   matching process; every matched process then gets a pidfd (`sys::pidfd`), and the pidfd
//!   becoming readable is reported at once as [`ProcessEvent::Exited`]. This works in any
//!   network namespace, unlike keepalived's netlink process connector. Without pidfds (kernel
//!   before 5.3, a seccomp filter) or beyond [`MAX_PIDFDS`] descriptors, exits are seen at the
//!   next scan, as before.
//! * Files: inotify on each file's directory (`sys::inotify`); a file is read when an event
//!   names it. A file whose directory cannot be watched (missing, inotify unavailable, the
//!   user's watch limit reached) or which is a symlink (writes to its target happen elsewhere)
//!   is polled every 0.5 s; watched files are re-read every [`WATCHED_REREAD`] in case a
//!   writer never closes the file.
//!
//! Which path is used is decided once per start or reload and logged at debug level.
//! `VRRPD_TRACK_POLL=1` in the environment forces the polling paths (for tests).

use std::collections::HashMap;
use std::time::Duration;

use tokio::io::unix::AsyncFd;
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinHandle, JoinSet};
use tracing::debug;

use super::inotify::{Event, Inotify};
use super::pidfd;
use super::track_sources::{self, FilePoller};
use crate::track::ProcessMatcher;

/// At most this many pidfds are held: a local user starting thousands of processes that match
/// a tracked name must not use up the daemon's descriptors. Beyond it, exits are seen at the
/// next scan.
pub const MAX_PIDFDS: usize = 256;

/// Watched track files are still re-read this often (a writer that never closes the file).
pub const WATCHED_REREAD: Duration = Duration::from_secs(5);

/// The processes matching each tracked process, by its name.
pub type Matches = Vec<(String, Vec<u32>)>;

/// What the process watcher reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcessEvent {
    /// A scan: the processes matching each tracked process, less those already seen exiting.
    Matching(Matches),
    /// A matched process exited (its pidfd became readable).
    Exited(u32),
}

/// The test switch: `VRRPD_TRACK_POLL=1` forces polling.
fn forced_polling() -> bool {
    std::env::var_os("VRRPD_TRACK_POLL").is_some_and(|v| v == "1")
}

/// Whether exits are watched through pidfds here (probed once per call; logged at debug).
pub fn use_pidfds() -> bool {
    if forced_polling() {
        debug!(target: "vrrpd", "vrrp_track_process: VRRPD_TRACK_POLL=1 - exits seen by the /proc scan");
        return false;
    }
    match pidfd::probe() {
        Ok(()) => {
            debug!(target: "vrrpd", "vrrp_track_process: exits seen at once through pidfds, new processes by the /proc scan");
            true
        }
        Err(e) => {
            debug!(target: "vrrpd", "vrrp_track_process: pidfd_open unavailable ({e}) - exits seen by the /proc scan");
            false
        }
    }
}

/// Scans `/proc` every `every` (at once first) and sends the matching processes; with
/// `pidfds`, also every exit of a matched process the moment it happens. Runs until the
/// receiver is dropped or the task is aborted (which closes every pidfd).
pub async fn run_process_watch(
    matchers: Vec<(String, ProcessMatcher)>,
    every: Duration,
    pidfds: bool,
    tx: mpsc::UnboundedSender<ProcessEvent>,
) {
    let cmdline = matchers.iter().any(|(_, m)| m.needs_cmdline());
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut watch = PidWatch {
        enabled: pidfds,
        held: HashMap::new(),
        waits: JoinSet::new(),
    };
    let mut scan: Option<JoinHandle<Matches>> = None;
    loop {
        tokio::select! {
            _ = tick.tick(), if scan.is_none() => {
                let matchers = matchers.clone();
                scan = Some(tokio::task::spawn_blocking(move || {
                    let procs = track_sources::scan_processes_with(cmdline);
                    track_sources::match_pids(&procs, matchers.iter().map(|(n, m)| (n.as_str(), m)))
                }));
            }
            done = async {
                match scan.as_mut() {
                    Some(h) => h.await.unwrap_or_default(),
                    None => std::future::pending().await,
                }
            }, if scan.is_some() => {
                scan = None;
                let alive = watch.after_scan(done);
                if tx.send(ProcessEvent::Matching(alive)).is_err() {
                    return;
                }
            }
            Some(ended) = watch.waits.join_next(), if !watch.waits.is_empty() => {
                // A cancelled wait is a process no longer matched: nothing to report.
                let Ok(pid) = ended else { continue };
                if watch.held.remove(&pid).is_some() && tx.send(ProcessEvent::Exited(pid)).is_err() {
                    return;
                }
            }
        }
    }
}

/// Hands a descriptor to tokio's reactor, for reading.
fn register<T: std::os::fd::AsRawFd>(inner: T) -> std::io::Result<AsyncFd<T>> {
    // SAFETY: the AsyncFd takes ownership of `inner` (an OwnedFd or the Inotify holding one),
    // so the descriptor stays open and unchanged for as long as the registration lives.
    unsafe { AsyncFd::register_with_interest(inner, tokio::io::Interest::READABLE) }
        .map_err(|e| e.into_parts().1)
}

/// The pidfds held, one wait per matched process.
struct PidWatch {
    enabled: bool,
    held: HashMap<u32, AbortHandle>,
    /// Each task waits for one pidfd to become readable and returns its pid.
    waits: JoinSet<u32>,
}

impl PidWatch {
    /// Opens pidfds for newly matched processes, closes those of processes no longer matched,
    /// and returns the scan less the processes found dead on the way (a scan may list a
    /// process whose exit was already reported: it is not resurrected).
    fn after_scan(&mut self, scanned: Matches) -> Matches {
        if !self.enabled {
            return scanned;
        }
        let mut dead = Vec::new();
        let mut alive = Vec::with_capacity(scanned.len());
        for (name, pids) in scanned {
            let mut keep = Vec::with_capacity(pids.len());
            for pid in pids {
                if dead.contains(&pid) {
                    continue;
                }
                if self.watch(pid) {
                    keep.push(pid);
                } else {
                    dead.push(pid);
                }
            }
            alive.push((name, keep));
        }
        let matched: std::collections::HashSet<u32> =
            alive.iter().flat_map(|(_, p)| p.iter().copied()).collect();
        self.held.retain(|pid, wait| {
            let keep = matched.contains(pid);
            if !keep {
                wait.abort();
            }
            keep
        });
        alive
    }

    /// Makes sure `pid` is watched; false when it turned out dead already.
    fn watch(&mut self, pid: u32) -> bool {
        if self.held.contains_key(&pid) || !self.enabled || self.held.len() >= MAX_PIDFDS {
            return true;
        }
        let fd = match pidfd::open(pid) {
            Ok(fd) => fd,
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => return false,
            Err(e) => {
                if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) {
                    debug!(target: "vrrpd", "vrrp_track_process: pidfd_open: {e} - exits seen by the /proc scan");
                    self.enabled = false;
                }
                // EMFILE and the like: this one is left to the scan.
                return true;
            }
        };
        if pidfd::has_exited(&fd) {
            return false;
        }
        let Ok(fd) = register(fd) else {
            return true;
        };
        let wait = self.waits.spawn(async move {
            // Readable = exited; an error of the reactor is taken as an exit too (the next
            // scan lists the process again if it is alive).
            let _ = fd.readable().await;
            pid
        });
        self.held.insert(pid, wait);
        true
    }
}

/// Whether track files are watched with inotify here (an instance is made; logged at debug).
pub fn inotify_instance() -> Option<Inotify> {
    if forced_polling() {
        debug!(target: "vrrpd", "track_file: VRRPD_TRACK_POLL=1 - files polled every 0.5 s");
        return None;
    }
    match Inotify::new() {
        Ok(i) => {
            debug!(target: "vrrpd", "track_file: files read at once on inotify events of their directories");
            Some(i)
        }
        Err(e) => {
            debug!(target: "vrrpd", "track_file: inotify unavailable ({e}) - files polled every 0.5 s");
            None
        }
    }
}

/// Reads every file at once, then again whenever inotify names it (with `inotify`), and polls
/// the files that cannot be watched every `poll`; sends every new value until the receiver
/// is dropped or the task is aborted. The reads run on the blocking pool (a file on a hung
/// NFS mount must not stop adverts).
pub async fn run_file_watch(
    mut files: FilePoller,
    poll: Duration,
    inotify: Option<Inotify>,
    tx: mpsc::UnboundedSender<(String, i64)>,
) {
    let mut inotify = inotify.and_then(|i| register(i).ok());
    let mut wds: Vec<Option<i32>> = vec![None; files.len()];
    let mut tick = tokio::time::interval(poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let every_nth = u32::try_from(WATCHED_REREAD.as_millis() / poll.as_millis().max(1))
        .unwrap_or(u32::MAX)
        .max(1);
    let mut ticks: u32 = 0;
    loop {
        let due: Vec<usize> = tokio::select! {
            _ = tick.tick() => {
                if let Some(ino) = &inotify {
                    add_watches(ino.get_ref(), &files, &mut wds);
                }
                let all = ticks % every_nth == 0;
                ticks = ticks.wrapping_add(1);
                (0..files.len())
                    .filter(|&i| all || wds.get(i).copied().flatten().is_none() || files.is_link(i))
                    .collect()
            }
            events = async {
                match &inotify {
                    Some(ino) => read_ready(ino).await,
                    None => std::future::pending().await,
                }
            } => match events {
                Ok(Some(events)) => named(&events, &files, &mut wds),
                Ok(None) => continue,
                Err(e) => {
                    // Never spin on a descriptor that keeps failing: poll every file instead.
                    debug!(target: "vrrpd", "track_file: inotify read failed ({e}) - files polled every 0.5 s");
                    inotify = None;
                    wds.iter_mut().for_each(|w| *w = None);
                    (0..files.len()).collect()
                }
            }
        };
        if due.is_empty() {
            continue;
        }
        let read = tokio::task::spawn_blocking(move || {
            let changes = files.poll_some(&due);
            (files, changes)
        })
        .await;
        let Ok((back, changes)) = read else {
            return;
        };
        files = back;
        for c in changes {
            if tx.send(c).is_err() {
                return;
            }
        }
    }
}

/// Watches the directory of every file not watched yet (a directory created after the start
/// is picked up at a later tick).
fn add_watches(ino: &Inotify, files: &FilePoller, wds: &mut [Option<i32>]) {
    for (i, wd) in wds.iter_mut().enumerate() {
        if wd.is_some() {
            continue;
        }
        let Some(path) = files.path(i) else { continue };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => std::path::Path::new("."),
        };
        *wd = ino.watch_dir(dir).ok();
    }
}

/// The next batch of events; `Ok(None)` when there was nothing after all (the readiness is
/// then cleared), an error when reading failed (the readiness would stay set: the caller
/// must stop using the instance).
async fn read_ready(ino: &AsyncFd<Inotify>) -> std::io::Result<Option<Vec<Event>>> {
    let mut guard = ino.readable().await?;
    match guard.try_io(|i| i.get_ref().read_events()) {
        Ok(Ok(events)) => Ok(Some(events)),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => Ok(None),
        Ok(Err(e)) => Err(e),
        // WouldBlock: the readiness is cleared, wait for the next.
        Err(_would_block) => Ok(None),
    }
}

/// The files the events name (all of them after a queue overflow); the files of a watch that
/// ended are polled from now on (and read now).
fn named(events: &[Event], files: &FilePoller, wds: &mut [Option<i32>]) -> Vec<usize> {
    let mut due = Vec::new();
    for e in events {
        for (i, wd) in wds.iter_mut().enumerate() {
            let hit = if e.overflowed() {
                true
            } else if *wd != Some(e.wd) {
                false
            } else if e.watch_ended() {
                *wd = None;
                true
            } else {
                files
                    .path(i)
                    .and_then(|p| p.file_name())
                    .is_some_and(|n| e.name.as_deref() == Some(n))
            };
            if hit && !due.contains(&i) {
                due.push(i);
            }
        }
    }
    due
}
