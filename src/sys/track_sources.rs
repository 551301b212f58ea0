//! Where `track_file` values and `vrrp_track_process` counts come from
//! (docs/keepalived-compat.md#weights-and-effective-priority). The pure side is `crate::track`; this file only reads.
//!
//! # Polling, the fallback
//!
//! The readers and the `/proc` scan live here; `sys::track_watch` makes them event-driven
//! (inotify on the files' directories, a pidfd per matched process) and keeps the polling
//! below only where events cannot be had (docs/keepalived-compat.md#how-tracked-sources-are-watched):
//! a file is then re-read every [`DEFAULT_FILE_POLL`], and `/proc` is scanned every
//! [`DEFAULT_PROCESS_POLL`] in any case (new processes are found only that way). Reading a few
//! small files and `/proc/*/stat` once a second costs little; `/proc/*/cmdline` is read
//! (its first 4 KiB) only when a tracked process is matched by parameters or `full_command`.
//!
//! # Values
//!
//! A track file holds an integer read like keepalived's `strtol`: leading blanks, optional
//! sign, digits; anything after the digits is ignored. A missing, unreadable, empty or
//! non-numeric file counts as 0, and so does anything that is not a regular file (a FIFO, a
//! device). Only the first 127 bytes are read, as keepalived does.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::mpsc;

use super::fsafe;
use crate::track::{ProcInfo, ProcessMatcher};

/// How often track files are re-read.
pub const DEFAULT_FILE_POLL: Duration = Duration::from_millis(500);
/// How often `/proc` is scanned for tracked processes.
pub const DEFAULT_PROCESS_POLL: Duration = Duration::from_secs(1);

/// Parses a track file's text like `strtol(text, NULL, 10)`; garbage gives 0.
pub fn parse_value(text: &str) -> i64 {
    let t = text.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, t.get(1..).unwrap_or("")),
        Some(b'+') => (false, t.get(1..).unwrap_or("")),
        _ => (false, t),
    };
    let end = digits
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    let mut v: i64 = 0;
    for b in digits.bytes().take(end) {
        v = v.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if neg {
        v.saturating_neg()
    } else {
        v
    }
}

/// keepalived reads at most this many bytes of a track file (a 128-byte buffer).
pub const TRACK_FILE_READ_MAX: usize = 127;

/// The current value of a track file (0 when missing, unreadable or not a regular file).
pub fn read_value(path: &Path) -> i64 {
    try_read_value(path).unwrap_or(0)
}

/// The value of a track file, or why it cannot be read. The open never blocks
/// (`O_NONBLOCK`), only a regular file is read (checked on the descriptor) and only its first
/// [`TRACK_FILE_READ_MAX`] bytes: a FIFO or `/dev/zero` planted at the path must neither
/// freeze the daemon nor eat its memory. A symlink is followed, as keepalived
/// does: the target is read, never written.
pub fn try_read_value(path: &Path) -> std::io::Result<i64> {
    let mut f = fsafe::open_regular(path, true)?;
    let bytes = fsafe::read_prefix(&mut f, TRACK_FILE_READ_MAX)?;
    Ok(parse_value(&String::from_utf8_lossy(&bytes)))
}

/// `init_file [VALUE] [overwrite]`: writes VALUE (default 0) when the file is missing, or
/// always with `overwrite`. Never through a symlink (a root write through a planted link): a missing file is created
/// with `O_CREAT|O_EXCL|O_NOFOLLOW` (mode 0666 less the umask, as keepalived), so a dangling
/// link is refused rather than followed; `overwrite` rewrites an existing regular file with
/// a single link in place (owner and mode kept) and refuses a symlink, a hard link or
/// anything that is not a regular file (keepalived: "it is not a regular file").
pub fn init_file(path: &Path, value: Option<i64>, overwrite: bool) -> std::io::Result<()> {
    let text = format!("{}\n", value.unwrap_or(0));
    match fsafe::create_new(path, 0o666) {
        Ok(mut f) => std::io::Write::write_all(&mut f, text.as_bytes()),
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
        Err(_) if overwrite => fsafe::overwrite_existing(path, text.as_bytes()),
        Err(_) if is_dangling_symlink(path) => Err(std::io::Error::other(
            "it is a symbolic link to nothing (not followed)",
        )),
        // Exists: kept.
        Err(_) => Ok(()),
    }
}

fn is_dangling_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
        && std::fs::metadata(path).is_err()
}

/// The `init_file` of one `track_file` block (docs/keepalived-compat.md#weights-and-effective-priority).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitFile {
    /// The `track_file` block's name.
    pub name: String,
    pub path: String,
    /// The value to write (none: 0).
    pub value: Option<i64>,
    /// Overwrite an existing file.
    pub overwrite: bool,
}

/// Applies the `init_file`s. Call once at start, before the first poll, and never on reload
/// (keepalived: "don't overwrite a file on reload"). Returns one line per file that could not
/// be written.
pub fn init_files(files: &[InitFile]) -> Vec<String> {
    let mut problems = Vec::new();
    for f in files {
        if let Err(e) = init_file(Path::new(&f.path), f.value, f.overwrite) {
            problems.push(format!(
                "Unable to initialise track file {} ({}): {e}",
                f.name, f.path
            ));
        }
    }
    problems
}

/// One polled track file.
#[derive(Debug)]
struct Polled {
    name: String,
    path: PathBuf,
    last: Option<i64>,
    /// The read problem last logged (logged again only when it changes).
    problem: Option<String>,
    /// The path was a symlink at the last read: a watch on its directory does not see writes
    /// to the target, so it is polled.
    link: bool,
}

impl Polled {
    /// Reads the value; a problem other than "missing" is logged once.
    fn read(&mut self) -> i64 {
        self.link = std::fs::symlink_metadata(&self.path).is_ok_and(|m| m.file_type().is_symlink());
        match try_read_value(&self.path) {
            Ok(v) => {
                self.problem = None;
                v
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.problem = None;
                0
            }
            Err(e) => {
                let why = e.to_string();
                if self.problem.as_deref() != Some(why.as_str()) {
                    tracing::warn!(
                        "track_file {}: cannot read {}: {why} - using 0",
                        self.name,
                        self.path.display()
                    );
                    self.problem = Some(why);
                }
                0
            }
        }
    }
}

/// Re-reads a set of track files and reports the ones whose value changed.
#[derive(Debug)]
pub struct FilePoller {
    files: Vec<Polled>,
}

impl FilePoller {
    /// `(name, path)` pairs, e.g. from `Trackers::files`.
    pub fn new<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> FilePoller {
        FilePoller {
            files: files
                .into_iter()
                .map(|(n, p)| Polled {
                    name: n.to_string(),
                    path: PathBuf::from(p),
                    last: None,
                    problem: None,
                    link: false,
                })
                .collect(),
        }
    }

    /// How many files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The path of file `i`.
    pub fn path(&self, i: usize) -> Option<&Path> {
        self.files.get(i).map(|f| f.path.as_path())
    }

    /// Whether file `i` was a symlink when last read.
    pub fn is_link(&self, i: usize) -> bool {
        self.files.get(i).is_some_and(|f| f.link)
    }

    /// `(name, value)` for every file read for the first time or changed since the last
    /// poll (feed them to `Trackers::file_value`).
    pub fn poll(&mut self) -> Vec<(String, i64)> {
        let all: Vec<usize> = (0..self.files.len()).collect();
        self.poll_some(&all)
    }

    /// Like [`Self::poll`], for files `which` only (indices; unknown ones are skipped).
    pub fn poll_some(&mut self, which: &[usize]) -> Vec<(String, i64)> {
        let mut changed = Vec::new();
        for &i in which {
            let Some(f) = self.files.get_mut(i) else {
                continue;
            };
            let v = f.read();
            if f.last != Some(v) {
                f.last = Some(v);
                changed.push((f.name.clone(), v));
            }
        }
        changed
    }

    /// Polls every `every` and sends the changes until the receiver is dropped. The reads run
    /// on the blocking pool, never on the runtime thread (a file on a hung NFS mount must not
    /// stop adverts).
    pub async fn run(mut self, every: Duration, tx: mpsc::UnboundedSender<(String, i64)>) {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let polled = tokio::task::spawn_blocking(move || {
                let changes = self.poll();
                (self, changes)
            })
            .await;
            let Ok((back, changes)) = polled else {
                return;
            };
            self = back;
            for c in changes {
                if tx.send(c).is_err() {
                    return;
                }
            }
        }
    }
}

/// At most this much of `/proc/PID/cmdline` is read: any local user can start a process
/// with megabytes of arguments, and the scan runs every second as root.
/// keepalived reads even less (the longest configured name and parameters).
pub const CMDLINE_READ_MAX: usize = 4096;

/// `/proc/PID/stat` is one short line; its name field is at most 15 bytes.
const STAT_READ_MAX: usize = 512;

/// `PF_KTHREAD` in the flags field of `/proc/PID/stat`.
const PF_KTHREAD: u64 = 0x0020_0000;

/// One process, command line included (its first [`CMDLINE_READ_MAX`] bytes); `None` if it
/// vanished.
pub fn read_proc(pid: u32) -> Option<ProcInfo> {
    read_proc_with(pid, true)
}

/// One process from `/proc/PID/stat` (name, state, kernel thread?) and, only when `cmdline`,
/// the start of `/proc/PID/cmdline` (keepalived too avoids reading command lines it does not
/// need: reading one touches the process's memory). `None` if it vanished.
pub fn read_proc_with(pid: u32, cmdline: bool) -> Option<ProcInfo> {
    let (comm, user) = read_stat(pid)?;
    let argv = if cmdline && user {
        read_cmdline(pid)?
    } else {
        Vec::new()
    };
    Some(ProcInfo {
        pid,
        comm,
        no_command: !user || (cmdline && argv.is_empty()),
        argv,
    })
}

fn read_proc_file(pid: u32, name: &str, max: usize) -> Option<Vec<u8>> {
    let mut f = std::fs::File::open(format!("/proc/{pid}/{name}")).ok()?;
    fsafe::read_prefix(&mut f, max).ok()
}

/// The name and whether it is a live user-space process (not a kernel thread, not a zombie),
/// from `PID (NAME) STATE PPID PGRP SESSION TTY TPGID FLAGS ...`. The name may hold spaces
/// and parentheses: it ends at the last `)`.
fn read_stat(pid: u32) -> Option<(String, bool)> {
    let bytes = read_proc_file(pid, "stat", STAT_READ_MAX)?;
    let text = String::from_utf8_lossy(&bytes);
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_string();
    let mut rest = text.get(close + 1..)?.split_ascii_whitespace();
    let state = rest.next()?;
    let flags: u64 = rest.nth(5)?.parse().ok()?;
    let user = flags & PF_KTHREAD == 0 && state != "Z" && state != "X";
    Some((comm, user))
}

/// The first [`CMDLINE_READ_MAX`] bytes of the command line, split at NUL.
fn read_cmdline(pid: u32) -> Option<Vec<String>> {
    let bytes = read_proc_file(pid, "cmdline", CMDLINE_READ_MAX)?;
    let mut argv: Vec<String> = bytes
        .split(|b| *b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    // cmdline ends with a NUL, which leaves one empty piece at the end.
    if argv.last().is_some_and(String::is_empty) {
        argv.pop();
    }
    Some(argv)
}

/// Every process visible in `/proc`, command lines included (processes that exit during
/// the scan are skipped).
pub fn scan_processes() -> Vec<ProcInfo> {
    scan_processes_with(true)
}

/// Every process visible in `/proc`; command lines only when `cmdline`.
pub fn scan_processes_with(cmdline: bool) -> Vec<ProcInfo> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| read_proc_with(pid, cmdline))
        .collect()
}

/// The number of processes matching each matcher, in order.
pub fn count_matches<'a>(
    procs: &[ProcInfo],
    matchers: impl IntoIterator<Item = (&'a str, &'a ProcessMatcher)>,
) -> Vec<(String, u32)> {
    matchers
        .into_iter()
        .map(|(name, m)| {
            let n = procs.iter().filter(|p| m.matches(p)).count();
            (name.to_string(), u32::try_from(n).unwrap_or(u32::MAX))
        })
        .collect()
}

/// The pids of the processes matching each matcher, in order.
pub fn match_pids<'a>(
    procs: &[ProcInfo],
    matchers: impl IntoIterator<Item = (&'a str, &'a ProcessMatcher)>,
) -> Vec<(String, Vec<u32>)> {
    matchers
        .into_iter()
        .map(|(name, m)| {
            let pids = procs.iter().filter(|p| m.matches(p)).map(|p| p.pid);
            (name.to_string(), pids.collect())
        })
        .collect()
}

/// Scans `/proc` every `every` and sends every count (changed or not: the quorum delays
/// need to see that a state persists) until the receiver is dropped. Feed them to
/// `Trackers::process_count`.
pub async fn run_process_poller(
    matchers: Vec<(String, ProcessMatcher)>,
    every: Duration,
    tx: mpsc::UnboundedSender<Vec<(String, u32)>>,
) {
    let cmdline = matchers.iter().any(|(_, m)| m.needs_cmdline());
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let counts = tokio::task::spawn_blocking({
            let matchers = matchers.clone();
            move || {
                let procs = scan_processes_with(cmdline);
                count_matches(&procs, matchers.iter().map(|(n, m)| (n.as_str(), m)))
            }
        })
        .await
        .unwrap_or_default();
        if tx.send(counts).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_like_strtol() {
        assert_eq!(parse_value("42\n"), 42);
        assert_eq!(parse_value("  -17 trailing"), -17);
        assert_eq!(parse_value("+5"), 5);
        assert_eq!(parse_value("12abc"), 12);
        assert_eq!(parse_value("abc"), 0);
        assert_eq!(parse_value(""), 0);
        assert_eq!(parse_value("-"), 0);
        assert_eq!(parse_value("99999999999999999999999"), i64::MAX);
        assert_eq!(read_value(Path::new("/nonexistent/vrrpd-track-file")), 0);
    }

    #[test]
    fn this_process_is_in_proc() {
        let me = read_proc(std::process::id()).expect("self");
        assert!(!me.comm.is_empty());
        assert!(!me.argv.is_empty());
        assert!(scan_processes().iter().any(|p| p.pid == std::process::id()));
    }
}
