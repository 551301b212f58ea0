//! The tracking scripts' settings and the track files' start-up actions: what
//! `sys::script::ScriptDefaults::resolve`, `sys::script_set::ScriptSet::prepare` and
//! `sys::track_sources::init_files` take (docs/keepalived-compat.md#vrrp_script-keywords,
//! docs/keepalived-compat.md#running-scripts).

use std::time::Duration;

use crate::config::model::{Config, RunAs as ModelRunAs};
use crate::sys::script::{CommandSpec, DefaultsSpec, RunAs};
use crate::sys::script_set::ScriptSpec;
use crate::sys::track_sources::InitFile;
use crate::track::TrackerSettings;

/// `script_user` and `enable_script_security` (docs/keepalived-compat.md#global_defs-keywords).
pub fn defaults(cfg: &Config) -> DefaultsSpec {
    let g = &cfg.global;
    DefaultsSpec {
        script_user: g.script_user.as_ref().map(run_as),
        security: g.enable_script_security.as_ref().is_some_and(|s| s.value),
    }
}

/// Every tracked `vrrp_script` with a command: the command, its `user`, its timeout (default
/// the interval, at least 1 s). A script nothing tracks is dropped, as keepalived drops it
/// after `Warning - script X is not used` (docs/keepalived-compat.md#vrrp_script-keywords):
/// it never runs, so neither its user nor its path is looked up, and a file generated with
/// 40,000 of them plans and reloads as fast as one without (README "Reload at any size").
pub fn script_specs(cfg: &Config, trackers: &TrackerSettings) -> Vec<ScriptSpec> {
    let tracked: std::collections::HashSet<&str> =
        trackers.scripts.iter().map(|s| s.name.as_str()).collect();
    cfg.scripts
        .iter()
        .filter(|s| tracked.contains(s.name.value.as_str()))
        .filter_map(|s| {
            Some(ScriptSpec {
                name: s.name.value.clone(),
                command: CommandSpec {
                    cmd: s.script.as_ref()?.value.clone(),
                    user: s.user.as_deref().map(run_as),
                },
                timeout: Duration::from_secs(u64::from(s.timeout_secs().max(1))),
                weight: s.weight.as_ref().map_or(0, |w| w.value),
                weight_reverse: s.weight_reverse,
            })
        })
        .collect()
}

/// The `init_file` of every `track_file` block that has one and a `file`.
pub fn init_files(cfg: &Config) -> Vec<InitFile> {
    cfg.track_files
        .iter()
        .filter_map(|f| {
            let (path, init) = (f.file.as_ref()?, f.init_file.as_ref()?);
            Some(InitFile {
                name: f.name.value.clone(),
                path: path.value.clone(),
                value: init.value.value,
                overwrite: init.value.overwrite,
            })
        })
        .collect()
}

fn run_as(r: &ModelRunAs) -> RunAs {
    RunAs {
        user: r.user.value.clone(),
        group: r.group.as_ref().map(|g| g.value.clone()),
    }
}
