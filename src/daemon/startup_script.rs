//! `startup_script` and `shutdown_script` (docs/keywords.md): keepalived 2.2.7 runs the first
//! before it starts VRRP and the second after VRRP has stopped, each waited for up to its
//! timeout (`startup_script_timeout` / `shutdown_script_timeout`, default 10 s), then SIGTERM
//! and SIGKILL to its process group. Their result changes nothing but a log line.

use std::time::Duration;

use tracing::{debug, info};

use crate::plan::GlobalScript;
use crate::sys::script::{run, ScriptDefaults};
use crate::track::ScriptOutcome;

/// How long a timed-out script gets between SIGTERM and SIGKILL (keepalived: 2 s).
const GRACE: Duration = Duration::from_secs(2);

/// Runs `script` (`what` is "startup" or "shutdown") and logs its end in keepalived's words.
pub async fn run_global(what: &str, script: &GlobalScript, defaults: &ScriptDefaults) {
    debug!(target: "vrrpd", "Running {what} script {}", script.command.cmd);
    let prepared = match defaults.prepare_command(&script.command) {
        Ok(p) => p,
        Err(e) => {
            info!(target: "vrrpd", "Call of {what} script {} failed: {e}", script.command.cmd);
            return;
        }
    };
    match run(&prepared, script.timeout, GRACE).await {
        ScriptOutcome::Exited(0) => debug!(target: "vrrpd", "{what} script script succeeded"),
        // keepalived's wording, "script" twice included.
        ScriptOutcome::Exited(n) => {
            info!(target: "vrrpd", "{what} script script failed, status {n}")
        }
        ScriptOutcome::Signaled(s) => {
            info!(target: "vrrpd", "{what} script exited due to signal {s}")
        }
        ScriptOutcome::TimedOut => info!(target: "vrrpd", "{what} script timed out"),
        ScriptOutcome::SpawnFailed(why) => {
            info!(target: "vrrpd", "Call of {what} script {} failed: {why}", script.command.cmd)
        }
    }
}
