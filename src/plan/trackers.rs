//! The trackers' settings: which scripts, files, processes and interfaces some instance or
//! sync group tracks, with the resolved weight of every reference
//! (docs/keepalived-compat.md#tracking-and-priority). `track::Trackers::new` takes the result.

use std::time::Duration;

use crate::config::model::{
    Config, ResolvedTracker, TrackProcess, TrackerKind as Kind, VrrpScript,
};
use crate::proto::TrackTarget;
use crate::track::{
    ParamMatch, ProcessMatcher, ProcessParams, ScriptParams, TrackedFile, TrackerKind,
    TrackerSettings, TrackerUse,
};

/// The tracked objects `cfg` references and every reference (`Effective::trackers`,
/// `SyncGroup::trackers`, already resolved by `config::check` including the sync-group and
/// owner weight rules of docs/keepalived-compat.md#trackers-in-sync-groups). Unreferenced
/// scripts never run (docs/keepalived-compat.md#vrrp_script-keywords).
pub fn tracker_settings(cfg: &Config) -> TrackerSettings {
    let mut uses = Vec::new();
    let mut add = |list: &[ResolvedTracker], target: TrackTarget| {
        for t in list {
            uses.push(TrackerUse {
                kind: kind(t.kind),
                name: t.name.clone(),
                target: target.clone(),
                weight: t.weight.value,
                reverse: t.reverse,
            });
        }
    };
    for i in &cfg.instances {
        add(
            &i.effective.trackers,
            TrackTarget::Instance(i.name.value.clone()),
        );
    }
    for g in &cfg.sync_groups {
        add(&g.trackers, TrackTarget::Group(g.name.value.clone()));
    }
    // A set, not a scan of `uses` per object: generated files carry tens of thousands of
    // scripts (README "Reload at any size").
    let referenced: std::collections::HashSet<(TrackerKind, &str)> =
        uses.iter().map(|u| (u.kind, u.name.as_str())).collect();
    let used = |k: TrackerKind, name: &str| referenced.contains(&(k, name));
    let scripts = cfg
        .scripts
        .iter()
        .filter(|s| s.script.is_some() && used(TrackerKind::Script, &s.name.value))
        .map(script_params)
        .collect();
    let files = cfg
        .track_files
        .iter()
        .filter(|f| used(TrackerKind::File, &f.name.value))
        .filter_map(|f| {
            Some(TrackedFile {
                name: f.name.value.clone(),
                path: f.file.as_ref()?.value.clone(),
            })
        })
        .collect();
    let processes = cfg
        .track_processes
        .iter()
        .filter(|p| p.process.is_some() && used(TrackerKind::Process, &p.name.value))
        .map(process_params)
        .collect();
    TrackerSettings {
        scripts,
        files,
        processes,
        uses,
    }
}

/// The model's tracker kind as the trackers name it.
pub fn kind(k: Kind) -> TrackerKind {
    match k {
        Kind::Interface => TrackerKind::Interface,
        Kind::Script => TrackerKind::Script,
        Kind::File => TrackerKind::File,
        Kind::Process => TrackerKind::Process,
    }
}

/// One `vrrp_script`'s schedule and rise/fall (docs/keepalived-compat.md#vrrp_script-keywords):
/// interval default 1 s, timeout default the interval, rise and fall at least 1.
pub fn script_params(s: &VrrpScript) -> ScriptParams {
    ScriptParams {
        name: s.name.value.clone(),
        interval: Duration::from_secs(u64::from(s.interval_secs().max(1))),
        timeout: Duration::from_secs(u64::from(s.timeout_secs().max(1))),
        rise: s.rise_count().max(1),
        fall: s.fall_count().max(1),
        init_fail: s.init_fail.is_some(),
    }
}

/// One `vrrp_track_process` (docs/keepalived-compat.md#weights-and-effective-priority): the
/// matcher, the quorum (at least 1; a maximum below it is ignored) and the delays
/// (`terminate_delay` / `fork_delay`, else `delay`).
pub fn process_params(p: &TrackProcess) -> ProcessParams {
    let delay = p.delay.as_ref().map(|d| d.value).unwrap_or_default();
    let param_match = match p.param_match.as_ref().map(|m| m.value.as_str()) {
        Some("initial") => ParamMatch::Initial,
        Some("partial") => ParamMatch::Partial,
        _ => ParamMatch::Exact,
    };
    let quorum = p.quorum.as_ref().map(|q| q.value).unwrap_or(1).max(1);
    ProcessParams {
        name: p.name.value.clone(),
        matcher: ProcessMatcher {
            name: p
                .process
                .as_ref()
                .map(|x| x.value.clone())
                .unwrap_or_default(),
            params: p.args.iter().map(|a| a.value.clone()).collect(),
            param_match,
            full_command: p.full_command.is_some(),
        },
        quorum,
        quorum_max: p
            .quorum_max
            .as_ref()
            .map(|q| q.value)
            .filter(|m| *m >= quorum)
            .unwrap_or(u32::MAX),
        terminate_delay: p.terminate_delay.as_ref().map(|d| d.value).unwrap_or(delay),
        fork_delay: p.fork_delay.as_ref().map(|d| d.value).unwrap_or(delay),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_from_config_defaults() {
        let l = crate::config::load_str(
            "vrrp_script a {\n script /bin/true\n}\nvrrp_script b {\n script /bin/true\n interval 5\n fall 3\n rise 2\n init_fail\n}\nvrrp_script c {\n script /bin/true\n interval 5\n timeout 2\n}\n",
        );
        let c = l.config.expect("config");
        let a = script_params(&c.scripts[0]);
        assert_eq!(
            (a.interval, a.timeout, a.rise, a.fall, a.init_fail),
            (Duration::from_secs(1), Duration::from_secs(1), 1, 1, false)
        );
        let b = script_params(&c.scripts[1]);
        assert_eq!(
            (b.interval, b.timeout, b.rise, b.fall, b.init_fail),
            (Duration::from_secs(5), Duration::from_secs(5), 2, 3, true)
        );
        let cc = script_params(&c.scripts[2]);
        assert_eq!(cc.timeout, Duration::from_secs(2));
    }

    #[test]
    fn params_from_config() {
        let l = crate::config::load_str(
            "vrrp_track_process nginx {\n process nginx -g daemon\n param_match initial\n quorum 2\n quorum_max 4\n delay 3\n fork_delay 1\n full_command\n}\n",
        );
        let c = l.config.expect("config");
        let p = process_params(&c.track_processes[0]);
        assert_eq!(p.matcher.name, "nginx");
        assert_eq!(p.matcher.params, ["-g", "daemon"]);
        assert_eq!(p.matcher.param_match, ParamMatch::Initial);
        assert!(p.matcher.full_command);
        assert_eq!((p.quorum, p.quorum_max), (2, 4));
        assert_eq!(
            (p.fork_delay, p.terminate_delay),
            (Duration::from_secs(1), Duration::from_secs(3))
        );
    }
}
