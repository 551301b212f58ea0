//! Pid files (keepalived-behaviour.md §8.4): `/run/keepalived.pid` holding `PID\n`, mode
//! 0644, removed at exit; a live process named by an existing pid file means "daemon is
//! already running".

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::signal::kill;
use nix::unistd::Pid;

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

/// A pid file we wrote; removed when dropped (or by [`PidFile::remove`]).
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
    pid: u32,
}

impl PidFile {
    /// Writes `PID\n` for this process, unless the file names another live process.
    pub fn create(path: impl Into<PathBuf>) -> Result<PidFile, PidFileError> {
        let path = path.into();
        if let Some(pid) = running_pid(&path) {
            return Err(PidFileError::AlreadyRunning { pid, path });
        }
        let pid = std::process::id();
        let io_err = |source| PidFileError::Io {
            path: path.clone(),
            source,
        };
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(&path)
            .map_err(io_err)?;
        // The mode above is filtered by the umask; the file must be 0644 regardless.
        f.set_permissions(fs::Permissions::from_mode(0o644))
            .map_err(io_err)?;
        f.write_all(format!("{pid}\n").as_bytes()).map_err(io_err)?;
        Ok(PidFile { path, pid })
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

/// The pid in `path` if that process is alive and is not this process.
pub fn running_pid(path: &Path) -> Option<i32> {
    let pid = read_pid(path)?;
    if pid <= 0 || pid == std::process::id() as i32 {
        return None;
    }
    // Signal 0 checks existence; EPERM means it exists but belongs to someone else.
    match kill(Pid::from_raw(pid), None) {
        Ok(()) | Err(Errno::EPERM) => Some(pid),
        Err(_) => None,
    }
}

fn read_pid(path: &Path) -> Option<i32> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}
