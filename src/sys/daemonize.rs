//! Going to the background like keepalived without `--dont-fork` (
//! docs/keepalived-compat.md#processes-and-systemd): fork, `setsid`, fork again (so the daemon is not a session leader and can never
//! acquire a controlling terminal), `chdir /`, and stdin/stdout/stderr on `/dev/null`.
//!
//! **Call [`daemonize`] before the tokio runtime (or any other thread) starts.** `fork` copies
//! only the calling thread; a runtime's worker threads, and any lock they held, would not
//! exist in the child. `main` therefore daemonizes first, then builds the runtime. Under
//! systemd (`--dont-fork`, `Type=notify`) it is not called at all.
//!
//! The original process returns to its caller (an init script, `start-stop-daemon`, a shell)
//! only once the daemon says it is in place ([`Detached::ready`], after its pid files are
//! written), exiting 0; if the daemon dies before that, it exits 1. So `service keepalived
//! start` followed at once by `status`, `reload` or `stop` finds the pid file.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};

use nix::unistd::{chdir, dup2_stderr, dup2_stdin, dup2_stdout, fork, pipe, setsid, ForkResult};

use super::SysError;

/// The daemon's end of the start-up pipe: tells the waiting original process that it is up.
#[derive(Debug)]
pub struct Detached {
    to_parent: File,
}

impl Detached {
    /// Lets the original process exit 0.
    pub fn ready(mut self) {
        let _ = self.to_parent.write_all(b"1");
    }
}

/// Detaches the process. Returns only in the daemon (the grandchild); the original process
/// waits for [`Detached::ready`] (exit 0) or for the daemon's end of the pipe to close
/// without it (exit 1); the intermediate child exits 0 at once.
pub fn daemonize() -> Result<Detached, SysError> {
    let (from_daemon, to_parent) =
        pipe().map_err(|e| SysError::io("create the start-up pipe", e.into()))?;
    // SAFETY: documented precondition: no other thread exists yet, so the child is a
    // complete copy of the process.
    match unsafe { fork() } {
        Ok(ForkResult::Parent { .. }) => {
            drop(to_parent);
            let mut byte = [0u8; 1];
            let up = matches!(File::from(from_daemon).read(&mut byte), Ok(1));
            std::process::exit(if up { 0 } else { 1 })
        }
        Ok(ForkResult::Child) => drop(from_daemon),
        Err(e) => return Err(SysError::io("fork into the background", e.into())),
    }
    setsid().map_err(|e| SysError::io("start a new session", e.into()))?;
    // SAFETY: as above; the intermediate child has a single thread too.
    match unsafe { fork() } {
        Ok(ForkResult::Parent { .. }) => std::process::exit(0),
        Ok(ForkResult::Child) => {}
        Err(e) => return Err(SysError::io("fork into the background", e.into())),
    }
    chdir("/").map_err(|e| SysError::io("change directory to /", e.into()))?;
    let null = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .map_err(|e| SysError::io("open /dev/null", e))?;
    dup2_stdin(&null).map_err(|e| SysError::io("redirect stdin to /dev/null", e.into()))?;
    dup2_stdout(&null).map_err(|e| SysError::io("redirect stdout to /dev/null", e.into()))?;
    dup2_stderr(&null).map_err(|e| SysError::io("redirect stderr to /dev/null", e.into()))?;
    Ok(Detached {
        to_parent: File::from(to_parent),
    })
}
