//! Waiting for a started script: the timeout's SIGTERM / SIGKILL sequence on its process
//! group, the outcome, and the line logged for it.

use std::time::Duration;

use super::prepare::Prepared;
use super::spawn::{spawn, Running};
use crate::track::ScriptOutcome;

/// Sends `sig` to process group `pgid`; a vanished group is fine.
fn kill_group(pgid: i32, sig: libc::c_int) {
    // SAFETY: plain syscall.
    unsafe {
        libc::kill(-pgid, sig);
    }
}

/// A raw wait status as a [`ScriptOutcome`].
fn outcome_of(status: i32) -> ScriptOutcome {
    if libc::WIFEXITED(status) {
        ScriptOutcome::Exited(libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        ScriptOutcome::Signaled(libc::WTERMSIG(status))
    } else {
        ScriptOutcome::Exited(status)
    }
}

impl Running {
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Waits for the script. After `timeout` its process group gets SIGTERM, after `grace`
    /// more SIGKILL; the result is then [`ScriptOutcome::TimedOut`]. Returns only once the
    /// script itself has been reaped.
    pub async fn wait(mut self, timeout: Duration, grace: Duration) -> ScriptOutcome {
        match tokio::time::timeout(timeout, &mut self.status).await {
            Ok(Ok(status)) => return outcome_of(status),
            Ok(Err(_)) => return ScriptOutcome::SpawnFailed("the reaper is gone".into()),
            Err(_) => {}
        }
        kill_group(self.pid, libc::SIGTERM);
        if tokio::time::timeout(grace, &mut self.status).await.is_err() {
            kill_group(self.pid, libc::SIGKILL);
            let _ = (&mut self.status).await;
        }
        // Group members that ignored SIGTERM do not outlive a timed-out run.
        kill_group(self.pid, libc::SIGKILL);
        ScriptOutcome::TimedOut
    }
}

/// Starts `p` and waits for it (see [`Running::wait`]); spawn errors become
/// [`ScriptOutcome::SpawnFailed`].
pub async fn run(p: &Prepared, timeout: Duration, grace: Duration) -> ScriptOutcome {
    match spawn(p) {
        Ok(r) => r.wait(timeout, grace).await,
        Err(e) => ScriptOutcome::SpawnFailed(format!("{}: {e}", p.path.display())),
    }
}

/// Logs the end of a run: keepalived's wording where it has one.
pub fn log_outcome(what: &str, outcome: &ScriptOutcome) {
    match outcome {
        ScriptOutcome::Exited(0) => tracing::debug!("{what} exited with status 0"),
        ScriptOutcome::Exited(n) => tracing::info!("{what} exited with status {n}"),
        ScriptOutcome::Signaled(s) => tracing::info!("{what} exited due to signal {s}"),
        ScriptOutcome::TimedOut => tracing::warn!("{what} timed out; its process group was killed"),
        ScriptOutcome::SpawnFailed(why) => tracing::error!("{what} could not be run: {why}"),
    }
}
