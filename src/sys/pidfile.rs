//! Pid files (docs/keepalived-compat.md#files-written): `/run/keepalived.pid` holding `PID\n`, mode
//! 0644, removed at exit; an existing pid file means "daemon is already running" when it is
//! locked, or when it names a live process running this same program.
//!
//! # Safety against local users (keepalived's CVE-2018-19044 was this)
//!
//! * The file is opened with `O_NOFOLLOW`, checked to be a regular file and `fchmod`ed on the
//!   descriptor: a symlink planted at the path makes no file elsewhere change.
//! * While the daemon runs, it holds an OFD write lock on the file, as keepalived does; a
//!   locked file is "running" whatever pid it names (this also keeps vrrpd and a real
//!   keepalived off each other's pid file).
//! * An unlocked file naming a live process counts only when `/proc/PID/exe` is the same
//!   file as ours (whatever name it was started under, e.g. a `keepalived` symlink): after a
//!   reboot the pid may belong to anything else, which must not block the start.

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::Pid;

use super::fsafe;

/// Why a pid file could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum PidFileError {
    /// Another live process holds it (keepalived's wording).
    #[error("daemon is already running (pid {pid} in {path})")]
    AlreadyRunning { pid: i32, path: PathBuf },
    #[error("cannot write pid file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// A pid file we wrote and hold locked; removed when dropped (or by [`PidFile::remove`]).
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
    pid: u32,
    /// Holds the lock until the file is removed.
    _file: File,
}

impl PidFile {
    /// Writes `PID\n` for this process, unless another daemon holds the file.
    pub fn create(path: impl Into<PathBuf>) -> Result<PidFile, PidFileError> {
        let path = path.into();
        if let Some(pid) = running_pid(&path) {
            return Err(PidFileError::AlreadyRunning { pid, path });
        }
        let io_err = |source| PidFileError::Io {
            path: path.clone(),
            source,
        };
        let mut f = open_locked(&path).map_err(|e| match e {
            Locked::ByOther => PidFileError::AlreadyRunning {
                pid: read_pid(&path).unwrap_or(0),
                path: path.clone(),
            },
            Locked::Io(e) => io_err(e),
        })?;
        let pid = std::process::id();
        // The open mode is filtered by the umask; the file must be 0644 regardless.
        f.set_permissions(fs::Permissions::from_mode(0o644))
            .and_then(|()| f.set_len(0))
            .and_then(|()| f.write_all(format!("{pid}\n").as_bytes()))
            .map_err(io_err)?;
        Ok(PidFile {
            path,
            pid,
            _file: f,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the file now.
    pub fn remove(self) {
        drop(self)
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        // Only remove a file that still names us (a forked child must not remove the
        // parent's file, and a successor may have replaced it).
        if read_pid(&self.path) == Some(self.pid as i32) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

enum Locked {
    ByOther,
    Io(io::Error),
}

/// How often the open-and-lock is retried when the file is replaced under us.
const OPEN_TRIES: usize = 4;

/// Opens (creating) the pid file without following a symlink and takes its lock; retries
/// when the path no longer names the file locked (removed or replaced meanwhile).
fn open_locked(path: &Path) -> Result<File, Locked> {
    for _ in 0..OPEN_TRIES {
        let f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .mode(0o644)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(path)
            .map_err(|e| Locked::Io(fsafe::symlink_error(e)))?;
        fsafe::require_regular(&f).map_err(Locked::Io)?;
        // Locked by someone else, unless the lock is ours through another descriptor (the
        // same file given to -p and -r).
        if !try_lock(&f).map_err(Locked::Io)? && read_pid(path) != Some(std::process::id() as i32) {
            return Err(Locked::ByOther);
        }
        if same_file(&f, path) {
            return Ok(f);
        }
    }
    Err(Locked::Io(io::Error::other(
        "the file keeps being replaced",
    )))
}

/// `true` when `path` still names the open file `f`.
fn same_file(f: &File, path: &Path) -> bool {
    match (f.metadata(), fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

fn whole_file_lock(kind: libc::c_int) -> libc::flock {
    libc::flock {
        l_type: kind as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    }
}

/// Takes an OFD write lock on the whole file (keepalived does the same); `false` when
/// someone else holds a lock.
fn try_lock(f: &File) -> io::Result<bool> {
    let lock = whole_file_lock(libc::F_WRLCK);
    loop {
        // SAFETY: fcntl on a descriptor we own with a valid flock.
        if unsafe { libc::fcntl(f.as_raw_fd(), libc::F_OFD_SETLK, &lock) } == 0 {
            return Ok(true);
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EAGAIN) | Some(libc::EACCES) => return Ok(false),
            _ => return Err(e),
        }
    }
}

/// Whether some process holds a lock on `path` (an OFD or a classic POSIX lock).
fn is_locked(path: &Path) -> bool {
    let Ok(f) = open_for_reading(path) else {
        return false;
    };
    let mut lock = whole_file_lock(libc::F_WRLCK);
    // SAFETY: fcntl on a descriptor we own with a valid, writable flock.
    let rc = unsafe { libc::fcntl(f.as_raw_fd(), libc::F_OFD_GETLK, &mut lock) };
    rc == 0 && lock.l_type != libc::F_UNLCK as libc::c_short
}

fn open_for_reading(path: &Path) -> io::Result<File> {
    fsafe::open_regular(path, false)
}

/// The pid in `path` if another daemon holds it: the file is locked, or it names a live
/// process (not this one) running the same executable as this process.
pub fn running_pid(path: &Path) -> Option<i32> {
    let pid = read_pid(path)?;
    if pid <= 0 || pid == std::process::id() as i32 {
        return None;
    }
    if is_locked(path) {
        return Some(pid);
    }
    // Signal 0 checks existence; EPERM means it exists but belongs to someone else.
    match kill(Pid::from_raw(pid), None) {
        Ok(()) | Err(Errno::EPERM) => {}
        Err(_) => return None,
    }
    same_program(pid).then_some(pid)
}

/// Whether process `pid` runs the same executable file as this process (whatever its name
/// or `argv[0]`). Unknown (no permission to look) counts as the same: better a refused
/// start than two daemons.
fn same_program(pid: i32) -> bool {
    let theirs = format!("/proc/{pid}/exe");
    match (fs::metadata("/proc/self/exe"), fs::metadata(&theirs)) {
        (Ok(a), Ok(b)) if a.dev() == b.dev() && a.ino() == b.ino() => return true,
        (Ok(_), Err(e)) if e.kind() == io::ErrorKind::PermissionDenied => return true,
        _ => {}
    }
    // An upgrade replaced the file the running daemon was started from: same path.
    match (fs::read_link("/proc/self/exe"), fs::read_link(&theirs)) {
        (Ok(a), Ok(b)) => strip_deleted(&a) == strip_deleted(&b),
        _ => false,
    }
}

/// `/usr/sbin/vrrpd (deleted)` -> `/usr/sbin/vrrpd`.
fn strip_deleted(p: &Path) -> PathBuf {
    let s = p.to_string_lossy();
    PathBuf::from(s.strip_suffix(" (deleted)").unwrap_or(&s))
}

/// The pid a pid file holds: a few bytes read without following a symlink.
fn read_pid(path: &Path) -> Option<i32> {
    let mut f = open_for_reading(path).ok()?;
    let bytes = fsafe::read_prefix(&mut f, 32).ok()?;
    std::str::from_utf8(&bytes).ok()?.trim().parse().ok()
}
