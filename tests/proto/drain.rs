//! An operator's drain (`Input::Drain`) and the record of why each state change happened
//! (`InstanceSnapshot::last_transition` / `transitions`), plus the dual-master counter.

use crate::common;

use common::*;
use vrrpd::proto::{
    Input, InstanceSettings, RouterSettings, State, SyncGroupSettings, TransitionReason,
};

fn vi_1() -> InstanceSettings {
    InstanceSettings::backup("VI_1", 51)
        .priority(100)
        .vip("10.0.0.100/24")
}

fn drain(names: &[&str], drain: bool) -> Input {
    Input::Drain {
        instances: names.iter().map(|n| n.to_string()).collect(),
        drain,
    }
}

fn reason(rig: &Rig, name: &str) -> Option<TransitionReason> {
    rig.router
        .snapshot()
        .instance(name)
        .and_then(|i| i.last_transition)
        .map(|t| t.reason)
}

#[test]
fn a_drained_master_hands_over_with_priority_zero_and_stays_backup() {
    let mut rig = Rig::one(vi_1());
    rig.advance_to(ms(4000));
    assert_eq!(rig.state("VI_1"), State::Master);
    assert_eq!(reason(&rig, "VI_1"), Some(TransitionReason::MasterDown));
    rig.clear();
    rig.input_at(ms(4200), drain(&[], true));
    // Make-before-break (tests/proto/handover.rs): the VIP goes when a new master is heard.
    assert_eq!(rig.state("VI_1"), State::Master);
    assert_eq!(rig.count(is_del), 0);
    rig.rx_at(ms(4300), "10.0.0.2", &advert_like(&vi_1(), 90));
    rig.advance_to(ms(4350));
    assert_eq!(rig.state("VI_1"), State::Backup);
    // Priority 0 first (RFC 5798 §6.4.3's graceful release), then the VIP goes.
    assert_eq!(rig.sent_adverts().first().map(|a| a.2), Some(0));
    assert_eq!(rig.count(is_del), 1);
    assert!(rig
        .logs()
        .iter()
        .any(|l| l == "(VI_1) drained: handing over and staying BACKUP"));
    let snap = rig.router.snapshot();
    let vi = snap.instance("VI_1").unwrap();
    assert!(vi.drained);
    let t = vi.last_transition.unwrap();
    assert_eq!(
        (t.from, t.to, t.reason),
        (State::Master, State::Backup, TransitionReason::Drain)
    );
    assert_eq!(t.at, ms(4350));
    // Nobody else is there, yet it never takes over while drained.
    rig.advance_to(ms(20_000));
    assert_eq!(rig.state("VI_1"), State::Backup);
    assert_eq!(rig.count(is_add), 0);
    // Undrained, the election runs again: MASTER after master-down.
    rig.input_at(ms(20_000), drain(&["VI_1"], false));
    rig.advance_to(ms(24_000));
    assert_eq!(rig.state("VI_1"), State::Master);
    assert!(!rig.router.snapshot().instance("VI_1").unwrap().drained);
}

#[test]
fn draining_names_only_those_and_unknown_names_are_ignored() {
    let mut rig = Rig::new(RouterSettings::new(vec![
        vi_1(),
        InstanceSettings::backup("VI_2", 52).vip("10.0.0.101/24"),
    ]));
    rig.advance_to(ms(4000));
    rig.input_at(ms(4100), drain(&["VI_2", "NOPE"], true));
    // Nobody takes over: released after master-down.
    rig.advance_to(ms(8000));
    assert_eq!(
        (rig.state("VI_1"), rig.state("VI_2")),
        (State::Master, State::Backup)
    );
    // Draining again changes nothing.
    rig.clear();
    rig.input_at(ms(8200), drain(&["VI_2"], true));
    assert!(rig.out.is_empty(), "{:?}", rig.out);
}

#[test]
fn draining_one_sync_group_member_drains_the_group() {
    let mut s = RouterSettings::new(vec![
        vi_1(),
        InstanceSettings::backup("VI_2", 52).vip("10.0.0.101/24"),
    ]);
    s.groups.push(SyncGroupSettings {
        name: "G".into(),
        members: vec!["VI_1".into(), "VI_2".into()],
    });
    let mut rig = Rig::new(s);
    rig.advance_to(ms(4000));
    assert_eq!(rig.state("VI_2"), State::Master);
    rig.input_at(ms(4100), drain(&["VI_1"], true));
    rig.advance_to(ms(8000));
    assert_eq!(
        (rig.state("VI_1"), rig.state("VI_2")),
        (State::Backup, State::Backup)
    );
    rig.advance_to(ms(20_000));
    assert_eq!(rig.state("VI_2"), State::Backup);
    let snap = rig.router.snapshot();
    assert!(snap.instances.iter().all(|i| i.drained));
}

#[test]
fn reasons_follow_what_happened() {
    let mut rig = Rig::one(vi_1());
    assert_eq!(reason(&rig, "VI_1"), Some(TransitionReason::Start));
    rig.advance_to(ms(4000));
    // A higher-priority master appears: the master yields.
    let inst = vi_1();
    rig.rx_at(ms(4100), "10.0.0.2", &advert_like(&inst, 200));
    assert_eq!(rig.state("VI_1"), State::Backup);
    assert_eq!(reason(&rig, "VI_1"), Some(TransitionReason::HigherPriority));
    // It releases (priority 0): we take over after the skew time.
    rig.rx_at(ms(5000), "10.0.0.2", &advert_like(&inst, 0));
    rig.advance_to(ms(6000));
    assert_eq!(rig.state("VI_1"), State::Master);
    assert_eq!(reason(&rig, "VI_1"), Some(TransitionReason::PriorityZero));
    let snap = rig.router.snapshot();
    let vi = snap.instance("VI_1").unwrap();
    // keepalived's Wantstate follows where the instance is heading: MASTER now.
    assert_eq!(vi.wanted_state, State::Master);
    assert_eq!(
        vi.transitions.values().sum::<u64>(),
        4,
        "{:?}",
        vi.transitions
    );
    // Stopping is a transition too.
    rig.input_at(ms(7000), Input::Stop { release: true });
    // A second stop ends the hand-over at once.
    rig.input_at(ms(7001), Input::Stop { release: true });
    assert_eq!(reason(&rig, "VI_1"), Some(TransitionReason::Stop));
}

#[test]
fn a_master_counts_other_masters_it_hears() {
    let mut rig = Rig::one(vi_1());
    rig.advance_to(ms(4000));
    let inst = vi_1();
    for i in 0..3 {
        rig.rx_at(ms(4100 + i * 300), "10.0.0.0", &advert_like(&inst, 50));
    }
    // Priority 0 is a release, not a second master.
    rig.rx_at(ms(5500), "10.0.0.0", &advert_like(&inst, 0));
    let snap = rig.router.snapshot();
    assert_eq!(snap.instance("VI_1").unwrap().counters.dual_master, 3);
}

#[test]
fn a_drained_backup_follows_a_lower_priority_master() {
    // The peer (priority 50) took over from us (100) after the drain: we follow it (its
    // address becomes the master's, for `vrrpd drain --wait` and status) instead of
    // discarding its adverts as a preempting backup would.
    let mut rig = Rig::one(vi_1());
    rig.advance_to(ms(4000));
    rig.input_at(ms(4100), drain(&[], true));
    let inst = vi_1();
    rig.clear();
    for i in 0..5 {
        rig.rx_at(ms(4300 + i * 1000), "10.0.0.2", &advert_like(&inst, 50));
    }
    assert_eq!(rig.state("VI_1"), State::Backup);
    let snap = rig.router.snapshot();
    let vi = snap.instance("VI_1").unwrap();
    assert_eq!(vi.master_addr, Some("10.0.0.2".parse().unwrap()));
    assert_eq!(vi.master_priority, 50);
    assert!(
        !rig.logs().iter().any(|l| l.contains("discarding")),
        "{:?}",
        rig.logs()
    );
}
