//! The `vrrp_script`s of a configuration, prepared and ready to run on request of
//! `track::Trackers` (`Output::RunScript { name }`).
//!
//! The daemon wires it like this (docs/keepalived-compat.md#tracking-and-priority):
//!
//! ```text
//! let defaults = ScriptDefaults::resolve(&plan.script_defaults);
//! let mut trackers = Trackers::new(&plan.trackers, now);
//! let (scripts, problems) = ScriptSet::prepare(&plan.scripts, trackers.script_names(), &defaults);
//! for (name, e) in problems { log(e); trackers.disable_script(&name); }
//! if scripts.any_insecure() && !defaults.security { log(SECURITY_VIOLATION) }
//! ...
//! Output::RunScript { name } => scripts.start(&name, done_tx.clone()),
//! (name, outcome) = done_rx.recv() => trackers.script_done(&name, &outcome),
//! ```

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::mpsc;

use super::script::{self, CommandSpec, PrepareError, Prepared, ScriptDefaults};
use crate::track::ScriptOutcome;

/// One `vrrp_script` as configured: its command and its timeout (built by `plan::scripts`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptSpec {
    pub name: String,
    pub command: CommandSpec,
    pub timeout: Duration,
    /// The script's own `weight [reverse]` (for the data dump; references carry theirs).
    pub weight: i32,
    pub weight_reverse: bool,
}

impl ScriptSpec {
    /// The specs by name, the first of a name as a scan would find it: a map, because a
    /// generated file names tens of thousands (README "Reload at any size").
    pub fn by_name(specs: &[ScriptSpec]) -> HashMap<&str, &ScriptSpec> {
        let mut map = HashMap::with_capacity(specs.len());
        for s in specs {
            map.entry(s.name.as_str()).or_insert(s);
        }
        map
    }
}

/// Prepared track scripts with their timeouts.
#[derive(Clone, Debug, Default)]
pub struct ScriptSet {
    scripts: HashMap<String, (Prepared, Duration)>,
    /// SIGTERM → SIGKILL delay (keepalived: 2 s).
    pub grace: Duration,
}

impl ScriptSet {
    /// Prepares the scripts named in `names` (those some instance or group tracks). A script
    /// that cannot be prepared is returned with the reason; the caller disables it.
    pub fn prepare<'a>(
        specs: &[ScriptSpec],
        names: impl IntoIterator<Item = &'a str>,
        defaults: &ScriptDefaults,
    ) -> (ScriptSet, Vec<(String, PrepareError)>) {
        let mut set = ScriptSet {
            scripts: HashMap::new(),
            grace: script::KILL_GRACE,
        };
        let mut problems = Vec::new();
        let by_name = ScriptSpec::by_name(specs);
        for name in names {
            let Some(s) = by_name.get(name) else {
                continue;
            };
            match defaults.prepare_command(&s.command) {
                Ok(p) => {
                    set.scripts.insert(name.to_string(), (p, s.timeout));
                }
                Err(e) => problems.push((name.to_string(), e)),
            }
        }
        (set, problems)
    }

    pub fn get(&self, name: &str) -> Option<&Prepared> {
        self.scripts.get(name).map(|(p, _)| p)
    }

    /// True if some script would run although its path is writable by non-root (log
    /// [`script::SECURITY_VIOLATION`] once when security is off).
    pub fn any_insecure(&self) -> bool {
        self.scripts.values().any(|(p, _)| p.insecure)
    }

    /// Starts one supervised run of `name` on the current tokio runtime; the outcome is sent
    /// to `done` as `(name, outcome)`. Unknown names report `SpawnFailed`.
    pub fn start(&self, name: &str, done: mpsc::UnboundedSender<(String, ScriptOutcome)>) {
        let name = name.to_string();
        let Some((p, timeout)) = self.scripts.get(&name).cloned() else {
            let _ = done.send((name, ScriptOutcome::SpawnFailed("no such script".into())));
            return;
        };
        // Fork here, on the caller's (long-lived) thread: the parent-death signal is tied to
        // the forking thread (sys::script module doc).
        let started = script::spawn(&p);
        let grace = self.grace;
        tokio::spawn(async move {
            let outcome = match started {
                Ok(r) => r.wait(timeout, grace).await,
                Err(e) => ScriptOutcome::SpawnFailed(format!("{}: {e}", p.path.display())),
            };
            let _ = done.send((name, outcome));
        });
    }
}
