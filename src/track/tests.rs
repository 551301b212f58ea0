//! [`Trackers`] on real keepalived.conf snippets, and through the protocol core for the
//! priorities observed with keepalived (docs/keepalived-compat.md#weights-and-effective-priority).

use std::time::{Duration, Instant};

use super::*;
use crate::proto::{
    Action, Input, InstanceSettings, LogLevel, Router, RouterSettings, TrackTarget, TrackerState,
};

fn trackers(conf: &str, now: Instant) -> Trackers {
    let l = crate::config::load_str(conf);
    let Some(c) = l.config.clone() else {
        panic!("config errors:\n{}", l.render());
    };
    Trackers::new(&crate::plan::trackers::tracker_settings(&c), now)
}

fn drain(t: &mut Trackers) -> Vec<Output> {
    std::iter::from_fn(|| t.poll_output()).collect()
}

fn inst(name: &str) -> TrackTarget {
    TrackTarget::Instance(name.into())
}

fn tracker(target: TrackTarget, id: &str, state: TrackerState) -> Output {
    Output::Input(Input::Tracker {
        target,
        id: id.into(),
        state,
    })
}

fn log(level: LogLevel, m: &str) -> Output {
    Output::Log {
        level,
        message: m.into(),
    }
}

const VI: &str = "vrrp_instance VI_1 {\n interface lo\n virtual_router_id 51\n priority 150\n virtual_ipaddress { 10.0.0.100 }\n";

#[test]
fn scripts_run_when_tracked_and_report_weighted_effects() {
    let t0 = crate::test_epoch();
    let conf = format!(
        "vrrp_script chk_ok {{\n script /bin/true\n weight 10\n}}\nvrrp_script chk_file {{\n script \"/bin/test -e /x\"\n weight -30\n fall 2\n rise 2\n interval 2\n}}\nvrrp_script unused {{\n script /bin/true\n}}\n{VI} track_script {{\n chk_ok\n chk_file\n }}\n}}\n"
    );
    let mut t = trackers(&conf, t0);
    assert_eq!(t.script_names().collect::<Vec<_>>(), ["chk_ok", "chk_file"]);
    assert_eq!(t.poll_timeout(), Some(t0));
    t.handle_timeout(t0);
    assert_eq!(
        drain(&mut t),
        [
            Output::RunScript {
                name: "chk_ok".into()
            },
            Output::RunScript {
                name: "chk_file".into()
            }
        ]
    );
    t.script_done("chk_ok", &ScriptOutcome::Exited(0));
    t.script_done("chk_file", &ScriptOutcome::Exited(0));
    assert_eq!(
        drain(&mut t),
        [
            log(LogLevel::Info, "VRRP_Script(chk_ok) succeeded"),
            tracker(inst("VI_1"), "script:chk_ok", TrackerState::Weight(10)),
            log(LogLevel::Info, "VRRP_Script(chk_file) succeeded"),
            tracker(inst("VI_1"), "script:chk_file", TrackerState::Weight(0)),
        ]
    );
    assert_eq!(t.poll_timeout(), Some(t0 + Duration::from_secs(1)));
    // Two failures of chk_file (fall 2) before it counts.
    t.script_done("chk_file", &ScriptOutcome::Exited(1));
    assert_eq!(
        drain(&mut t),
        [log(LogLevel::Info, "Script `chk_file` now returning 1")]
    );
    t.script_done("chk_file", &ScriptOutcome::Exited(1));
    assert_eq!(
        drain(&mut t),
        [
            log(
                LogLevel::Info,
                "VRRP_Script(chk_file) failed (exited with status 1)"
            ),
            tracker(inst("VI_1"), "script:chk_file", TrackerState::Weight(-30)),
        ]
    );
}

#[test]
fn unweighted_script_faults_and_init_fail_reports_at_once() {
    let t0 = crate::test_epoch();
    let conf = format!(
        "vrrp_script chk {{\n script /bin/false\n init_fail\n}}\n{VI} track_script {{\n chk\n }}\n}}\n"
    );
    let mut t = trackers(&conf, t0);
    assert_eq!(
        drain(&mut t),
        [tracker(inst("VI_1"), "script:chk", TrackerState::Down)]
    );
    t.handle_timeout(t0);
    assert_eq!(drain(&mut t), [Output::RunScript { name: "chk".into() }]);
    t.script_done("chk", &ScriptOutcome::Exited(0));
    assert_eq!(
        drain(&mut t),
        [
            log(LogLevel::Info, "VRRP_Script(chk) succeeded"),
            tracker(inst("VI_1"), "script:chk", TrackerState::Up)
        ]
    );
    t.disable_script("chk");
    assert_eq!(
        drain(&mut t),
        [
            log(
                LogLevel::Warning,
                "Disabling track script chk since not found/accessible"
            ),
            tracker(inst("VI_1"), "script:chk", TrackerState::Up)
        ]
    );
    assert_eq!(t.poll_timeout(), None);
}

#[test]
fn reference_weight_and_reverse_override_the_script() {
    let t0 = crate::test_epoch();
    let conf = format!(
        "vrrp_script ok {{\n script /bin/true\n weight 10 reverse\n}}\nvrrp_script bad {{\n script /bin/false\n weight -7\n}}\n{VI} track_script {{\n ok\n bad\n }}\n}}\n"
    );
    let mut t = trackers(&conf, t0);
    t.script_done("ok", &ScriptOutcome::Exited(0));
    t.script_done("bad", &ScriptOutcome::Exited(1));
    let inputs: Vec<_> = drain(&mut t)
        .into_iter()
        .filter(|o| matches!(o, Output::Input(_)))
        .collect();
    assert_eq!(
        inputs,
        [
            tracker(inst("VI_1"), "script:ok", TrackerState::Weight(-10)),
            tracker(inst("VI_1"), "script:bad", TrackerState::Weight(-7)),
        ]
    );
    // With a weight on the reference.
    let conf = format!(
        "vrrp_script ok {{\n script /bin/true\n weight 10\n}}\n{VI} track_script {{\n ok weight -20 reverse\n }}\n}}\n"
    );
    let mut t = trackers(&conf, t0);
    t.script_done("ok", &ScriptOutcome::Exited(1));
    assert!(drain(&mut t).contains(&tracker(
        inst("VI_1"),
        "script:ok",
        TrackerState::Weight(20)
    )));
}

#[test]
fn interfaces_files_and_processes() {
    let t0 = crate::test_epoch();
    let conf = format!(
        "track_file tf {{\n file /tmp/x\n weight 2\n}}\nvrrp_track_process tp {{\n process nginx\n weight 15\n delay 2\n}}\n{VI} track_interface {{\n eth9\n eth8 weight 254\n }}\n track_file {{\n tf\n }}\n track_process {{\n tp\n }}\n}}\n"
    );
    let mut t = trackers(&conf, t0);
    assert_eq!(t.interfaces().collect::<Vec<_>>(), ["eth8", "eth9"]);
    assert_eq!(t.files().collect::<Vec<_>>(), [("tf", "/tmp/x")]);
    assert_eq!(t.processes().map(|p| p.0).collect::<Vec<_>>(), ["tp"]);
    t.link("eth9", false);
    t.link("eth9", false);
    t.link("eth8", true);
    t.link("eth7", false);
    assert_eq!(
        drain(&mut t),
        [
            tracker(inst("VI_1"), "interface:eth9", TrackerState::Down),
            tracker(inst("VI_1"), "interface:eth8", TrackerState::Weight(253)),
        ]
    );
    t.file_value("tf", 5);
    t.file_value("tf", 5);
    t.file_value("tf", -200);
    assert_eq!(
        drain(&mut t),
        [
            tracker(inst("VI_1"), "file:tf", TrackerState::Weight(10)),
            tracker(inst("VI_1"), "file:tf", TrackerState::Down),
        ]
    );
    t.process_count(t0, "tp", 1);
    t.process_count(t0 + Duration::from_secs(1), "tp", 0);
    assert_eq!(t.poll_timeout(), Some(t0 + Duration::from_secs(3)));
    t.handle_timeout(t0 + Duration::from_secs(3));
    assert_eq!(
        drain(&mut t),
        [
            log(LogLevel::Info, "Quorum gained for tracked process tp"),
            tracker(inst("VI_1"), "process:tp", TrackerState::Weight(15)),
            log(LogLevel::Info, "Quorum lost for tracked process tp"),
            tracker(inst("VI_1"), "process:tp", TrackerState::Weight(0)),
        ]
    );
}

#[test]
fn sync_group_rules_come_from_the_config_check() {
    let t0 = crate::test_epoch();
    let conf = "vrrp_script chk {\n script /bin/true\n weight 10\n}\nvrrp_script gchk {\n script /bin/true\n}\nvrrp_instance A {\n interface lo\n virtual_router_id 1\n priority 100\n virtual_ipaddress { 10.0.0.1 }\n track_script {\n chk\n }\n}\nvrrp_instance B {\n interface lo\n virtual_router_id 2\n priority 100\n virtual_ipaddress { 10.0.0.2 }\n}\nvrrp_sync_group G {\n group {\n A\n B\n }\n track_script {\n gchk\n }\n}\n";
    let mut t = trackers(conf, t0);
    t.script_done("chk", &ScriptOutcome::Exited(1));
    t.script_done("gchk", &ScriptOutcome::Exited(1));
    let inputs: Vec<_> = drain(&mut t)
        .into_iter()
        .filter(|o| matches!(o, Output::Input(_)))
        .collect();
    // The member's weighted script lost its weight (docs/keepalived-compat.md#trackers-in-sync-groups): unweighted ⇒ FAULT.
    assert_eq!(
        inputs,
        [
            tracker(inst("A"), "script:chk", TrackerState::Down),
            tracker(
                TrackTarget::Group("G".into()),
                "script:gchk",
                TrackerState::Down
            ),
        ]
    );
    assert_eq!(t.ids().len(), 2);
}

/// Feeds tracker outputs to a real Router and collects the priority log lines.
fn priority_lines(router: &mut Router, now: Instant, outputs: Vec<Output>) -> Vec<String> {
    for o in outputs {
        if let Output::Input(i) = o {
            router.handle(now, i);
        }
    }
    std::iter::from_fn(|| router.poll_action())
        .filter_map(|a| match a {
            Action::Log { message, .. } if message.contains("effective priority") => Some(message),
            _ => None,
        })
        .collect()
}

#[test]
fn observed_keepalived_priorities_through_the_core() {
    // docs/keepalived-compat.md#weights-and-effective-priority: priority 150, chk_ok weight 10, chk_file weight -30
    // fall 2 rise 2: 150 → 160 (ok), → 130 after two failures, → 160 after two successes.
    let t0 = crate::test_epoch();
    let conf = format!(
        "vrrp_script chk_ok {{\n script /bin/true\n weight 10\n}}\nvrrp_script chk_file {{\n script /bin/true\n weight -30\n fall 2\n rise 2\n}}\n{VI} track_script {{\n chk_ok\n chk_file\n }}\n}}\n"
    );
    let mut t = trackers(&conf, t0);
    let mut r = Router::new(
        RouterSettings::new(vec![InstanceSettings::backup("VI_1", 51)
            .interface("lo", 1)
            .priority(150)
            .vip("10.0.0.100")]),
        t0,
    );
    let _ = std::iter::from_fn(|| r.poll_action()).count();
    let mut step = |t: &mut Trackers, name: &str, code: i32| {
        t.script_done(name, &ScriptOutcome::Exited(code));
        priority_lines(&mut r, t0, drain(t))
    };
    assert_eq!(
        step(&mut t, "chk_ok", 0),
        ["(VI_1) Changing effective priority from 150 to 160"]
    );
    assert!(step(&mut t, "chk_file", 0).is_empty());
    assert!(step(&mut t, "chk_file", 1).is_empty());
    assert_eq!(
        step(&mut t, "chk_file", 1),
        ["(VI_1) Changing effective priority from 160 to 130"]
    );
    assert!(step(&mut t, "chk_file", 0).is_empty());
    assert_eq!(
        step(&mut t, "chk_file", 0),
        ["(VI_1) Changing effective priority from 130 to 160"]
    );

    // Base 100: `ok weight 10 reverse` OK → 90, and `bad` weight -7 failing → 93.
    for (script, code, want) in [("weight 10 reverse", 0, 90), ("weight -7", 1, 93)] {
        let conf = format!(
            "vrrp_script s {{\n script /bin/true\n {script}\n}}\n{VI} track_script {{\n s\n }}\n}}\n"
        );
        let mut t = trackers(&conf, t0);
        let mut r = Router::new(
            RouterSettings::new(vec![InstanceSettings::backup("VI_1", 51).priority(100)]),
            t0,
        );
        let _ = std::iter::from_fn(|| r.poll_action()).count();
        t.script_done("s", &ScriptOutcome::Exited(code));
        assert_eq!(
            priority_lines(&mut r, t0, drain(&mut t)),
            [format!(
                "(VI_1) Changing effective priority from 100 to {want}"
            )]
        );
    }
}

#[test]
fn reload_keeps_known_states_and_releases_dropped_trackers() {
    let t0 = crate::test_epoch();
    let old_conf = format!(
        "vrrp_script a {{\n script /bin/true\n weight 10\n}}\nvrrp_script b {{\n script /bin/true\n}}\n{VI} track_script {{\n a\n b\n }}\n track_interface {{\n eth9\n }}\n}}\n"
    );
    let mut old = trackers(&old_conf, t0);
    old.script_done("a", &ScriptOutcome::Exited(0));
    old.script_done("b", &ScriptOutcome::Exited(1));
    old.link("eth9", false);
    drain(&mut old);
    // b is no longer tracked; a keeps its result; eth9 stays down.
    let new_conf = format!(
        "vrrp_script a {{\n script /bin/true\n weight 10\n rise 3\n}}\n{VI} track_script {{\n a\n }}\n track_interface {{\n eth9\n }}\n}}\n"
    );
    let l = crate::config::load_str(&new_conf);
    let c = l.config.clone().expect("config");
    let mut t = Trackers::reload(&old, &crate::plan::trackers::tracker_settings(&c), t0);
    assert_eq!(
        drain(&mut t),
        [
            log(
                LogLevel::Info,
                "VRRP_Script(a) considered successful on reload"
            ),
            tracker(inst("VI_1"), "interface:eth9", TrackerState::Down),
            tracker(inst("VI_1"), "script:a", TrackerState::Weight(10)),
            tracker(inst("VI_1"), "script:b", TrackerState::Up),
        ]
    );
    // The inherited result counts on: with fall 1, one failure flips it.
    t.script_done("a", &ScriptOutcome::Exited(1));
    assert!(drain(&mut t).contains(&tracker(inst("VI_1"), "script:a", TrackerState::Weight(0))));
}

/// docs/keepalived-compat.md#how-tracked-sources-are-watched: the shell lists the matching
/// processes at each scan and reports an exit the moment its pidfd says so; the exit of a
/// process matched by two trackers counts for both, an unknown pid for none.
#[test]
fn an_exit_reported_between_scans_counts_at_once() {
    let t0 = crate::test_epoch();
    let ms = Duration::from_millis;
    let conf = format!(
        "vrrp_track_process a {{\n process nginx\n quorum 2\n}}\nvrrp_track_process b {{\n process nginx\n weight -100\n}}\n{VI} track_process {{\n a\n b\n }}\n}}\n"
    );
    let mut t = trackers(&conf, t0);
    t.process_pids(t0, "a", vec![100, 101]);
    t.process_pids(t0, "b", vec![100, 101]);
    drain(&mut t);
    t.process_exited(t0 + ms(5), 999);
    assert_eq!(drain(&mut t), [], "not a tracked process");
    t.process_exited(t0 + ms(10), 101);
    assert_eq!(
        drain(&mut t),
        [
            log(LogLevel::Info, "Quorum lost for tracked process a"),
            tracker(inst("VI_1"), "process:a", TrackerState::Down),
        ],
        "a needs 2; b still has 100"
    );
    t.process_exited(t0 + ms(20), 100);
    assert_eq!(
        drain(&mut t),
        [
            log(LogLevel::Info, "Quorum lost for tracked process b"),
            tracker(inst("VI_1"), "process:b", TrackerState::Weight(-100)),
        ]
    );
    // The next scan finds new ones.
    t.process_pids(t0 + ms(1000), "b", vec![102]);
    assert_eq!(
        drain(&mut t),
        [
            log(LogLevel::Info, "Quorum gained for tracked process b"),
            tracker(inst("VI_1"), "process:b", TrackerState::Weight(0)),
        ]
    );
}
