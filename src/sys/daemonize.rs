//! Going to the background like keepalived without `--dont-fork` (keepalived-behaviour.md
//! §8.1): fork, `setsid`, fork again (so the daemon is not a session leader and can never
//! acquire a controlling terminal), `chdir /`, and stdin/stdout/stderr on `/dev/null`.
//!
//! **Call [`daemonize`] before the tokio runtime (or any other thread) starts.** `fork` copies
//! only the calling thread; a runtime's worker threads, and any lock they held, would not
//! exist in the child. `main` therefore daemonizes first, then builds the runtime. Under
//! systemd (`--dont-fork`, `Type=notify`) it is not called at all.

use std::fs::OpenOptions;

use nix::unistd::{chdir, dup2_stderr, dup2_stdin, dup2_stdout, fork, setsid, ForkResult};

use super::SysError;

/// Detaches the process. Returns only in the daemon (the grandchild); the original process
/// and the intermediate child exit with status 0.
pub fn daemonize() -> Result<(), SysError> {
    // SAFETY: documented precondition: no other thread exists yet, so the child is a
    // complete copy of the process.
    match unsafe { fork() } {
        Ok(ForkResult::Parent { .. }) => std::process::exit(0),
        Ok(ForkResult::Child) => {}
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
    Ok(())
}
