//! `Router::reconfigure` (reload, docs/keepalived-compat.md#reload) on explicit times from t0.

use crate::common;

use std::net::IpAddr;
use std::time::Duration;

use common::*;
use vrrpd::proto::{
    Action, Centisecs, Input, InstanceSettings, NotifyEvent, NotifyTarget, RouteSpec,
    RouterSettings, State, TrackTarget, TrackerState,
};
use vrrpd::wire::{Advert, Auth};

/// `vrrp_instance VI_1 { state BACKUP; interface eth0; virtual_router_id 51; priority 100;
/// advert_int 1; virtual_ipaddress { 10.0.0.100/24 } }`, source 10.0.0.1.
fn vi_1() -> InstanceSettings {
    InstanceSettings::backup("VI_1", 51)
        .priority(100)
        .vip("10.0.0.100/24")
}

fn one(inst: InstanceSettings) -> RouterSettings {
    RouterSettings::new(vec![inst])
}

/// MASTER since 3.609375 s, output cleared at 4 s.
fn master_rig(inst: InstanceSettings) -> Rig {
    let mut rig = Rig::one(inst);
    rig.advance_to(ms(4000));
    assert_eq!(rig.state("VI_1"), State::Master);
    rig.clear();
    rig
}

/// BACKUP hearing a priority-150 master every second up to 4 s.
fn backup_rig(inst: InstanceSettings) -> Rig {
    let mut rig = Rig::one(inst.clone());
    for k in 0..5 {
        rig.rx_at(ms(1000 * k), "10.0.0.2", &advert_like(&inst, 150));
    }
    assert_eq!(rig.state("VI_1"), State::Backup);
    rig.clear();
    rig
}

fn debug_actions(rig: &Rig) -> Vec<String> {
    rig.out.iter().map(|t| format!("{:?}", t.action)).collect()
}

// ===== unchanged configuration =====

#[test]
fn unchanged_reload_emits_nothing_and_changes_nothing() {
    for make in [master_rig, backup_rig] {
        let mut rig = make(vi_1());
        let before = rig.router.snapshot();
        let deadline = rig.router.poll_timeout();
        rig.reconfigure_at(ms(4300), one(vi_1()));
        assert!(rig.out.is_empty(), "{:?}", debug_actions(&rig));
        assert_eq!(rig.router.snapshot(), before);
        assert_eq!(rig.router.poll_timeout(), deadline);
    }
}

#[test]
fn a_reloaded_router_behaves_exactly_like_one_that_was_not() {
    let run = |reload: bool| {
        let mut rig = Rig::one(vi_1());
        for t in [1000, 3609, 3610, 4000, 5609, 5610, 7000] {
            if reload {
                rig.reconfigure_at(ms(t), one(vi_1()));
            }
        }
        rig.advance_to(ms(12_000));
        rig.rx_at(ms(12_100), "10.0.0.2", &advert_like(&vi_1(), 200));
        if reload {
            rig.reconfigure_at(ms(12_200), one(vi_1()));
        }
        rig.advance_to(ms(20_000));
        (debug_actions(&rig), rig.router.snapshot())
    };
    assert_eq!(run(true), run(false));
}

#[test]
fn instances_are_matched_by_identity_not_by_name() {
    let mut rig = master_rig(vi_1());
    let mut renamed = vi_1();
    renamed.name = "WEB".into();
    rig.reconfigure_at(ms(4300), one(renamed));
    assert!(rig.out.is_empty(), "{:?}", debug_actions(&rig));
    let snap = rig.router.snapshot();
    assert_eq!(snap.instances[0].name, "WEB");
    assert_eq!(snap.instances[0].state, State::Master);
    assert_eq!(snap.instances[0].counters.become_master, 1);
    // Later actions carry the new name.
    rig.advance_to(ms(4700));
    assert!(matches!(
        &rig.out[0].action,
        Action::SendAdvert { instance, .. } if instance == "WEB"
    ));
}

// ===== changed parameters of a matched instance =====

#[test]
fn master_vip_changes_add_and_remove_only_the_difference() {
    let mut rig = master_rig(vi_1().vip("10.0.0.101"));
    let new = vi_1().vip("10.0.0.102").excluded_vip("192.168.1.1/24");
    rig.reconfigure_at(ms(4300), one(new));
    let kinds: Vec<String> = rig
        .out
        .iter()
        .filter_map(|t| match &t.action {
            Action::AddVip { vip, .. } => Some(format!("+{}", vip.addr)),
            Action::DelVip { vip, .. } => Some(format!("-{}", vip.addr)),
            Action::SendGarp { ip, .. } => Some(format!("garp {ip}")),
            Action::Log { .. } => None,
            other => Some(format!("{other:?}")),
        })
        .collect();
    let mut want = vec!["-10.0.0.101", "+10.0.0.102", "+192.168.1.1"];
    // One burst (garp_master_repeat 5) for the new addresses only, interleaved.
    for _ in 0..5 {
        want.extend(["garp 10.0.0.102", "garp 192.168.1.1"]);
    }
    assert_eq!(kinds, want);
    assert_eq!(rig.state("VI_1"), State::Master);
    assert!(rig.logs().is_empty(), "{:?}", rig.logs());
    // The next advert (at its usual time) carries the new list.
    rig.clear();
    rig.advance_to(ms(4610));
    let Some(Action::SendAdvert { bytes, .. }) = rig.out.first().map(|t| t.action.clone()) else {
        panic!("no advert: {:?}", debug_actions(&rig));
    };
    assert_eq!(rig.out[0].at, us(4_609_375));
    assert_eq!(bytes[3], 2, "address count");
}

#[test]
fn backup_vip_changes_emit_nothing_but_change_what_adverts_must_carry() {
    let mut rig = backup_rig(vi_1());
    let new = vi_1().vip("10.0.0.101");
    rig.reconfigure_at(ms(4300), one(new.clone()));
    assert!(rig.out.is_empty(), "{:?}", debug_actions(&rig));
    // A master still advertising the old list is now rejected (docs/keepalived-compat.md#receive-checks).
    rig.rx_at(ms(4400), "10.0.0.2", &advert_like(&vi_1(), 150));
    assert_eq!(
        rig.logs(),
        ["(VI_1) received an unexpected ip number count 1, expected 2!"]
    );
    rig.rx_at(ms(4500), "10.0.0.2", &advert_like(&new, 150));
    assert_eq!(rig.router.snapshot().instances[0].counters.advert_rcvd, 6);
}

#[test]
fn priority_change_logs_and_a_master_advertises_at_once() {
    let mut rig = master_rig(vi_1());
    rig.reconfigure_at(ms(4300), one(vi_1().priority(150)));
    assert_eq!(
        rig.logs(),
        ["(VI_1) Changing effective priority from 100 to 150"]
    );
    assert_eq!(
        rig.sent_adverts(),
        [(ms(4300), "224.0.0.18".parse::<IpAddr>().unwrap(), 150)]
    );
    assert_eq!(rig.count(|a| matches!(a, Action::Notify { .. })), 0);
    // The advert timer restarted from the reload.
    rig.advance_to(ms(5300));
    assert_eq!(rig.sent_adverts().last().unwrap().0, ms(5300));

    let mut rig = backup_rig(vi_1());
    rig.reconfigure_at(ms(4300), one(vi_1().priority(50)));
    assert_eq!(
        rig.logs(),
        ["(VI_1) Changing effective priority from 100 to 50"]
    );
    assert!(rig.sent_adverts().is_empty());
    assert_eq!(rig.state("VI_1"), State::Backup);
}

#[test]
fn advert_int_change_applies_from_the_next_timer() {
    let mut rig = master_rig(vi_1());
    rig.reconfigure_at(ms(4300), one(vi_1().advert_cs(300)));
    assert!(rig.out.is_empty(), "{:?}", debug_actions(&rig));
    rig.advance_to(ms(12_000));
    let times: Vec<Duration> = rig.sent_adverts().iter().map(|a| a.0).collect();
    // Already armed for 4.609375 s, then every 3 s.
    let base = us(4_609_375);
    assert_eq!(times, [base, base + ms(3000), base + ms(6000)]);
    assert_eq!(
        rig.router.snapshot().instances[0].master_adver_int,
        Centisecs(300)
    );
}

#[test]
fn other_parameter_changes_take_effect_without_a_transition() {
    let mut rig = master_rig(vi_1());
    rig.reconfigure_at(ms(4300), one(vi_1().auth_pass("secret").nopreempt()));
    assert!(rig.out.is_empty(), "{:?}", debug_actions(&rig));
    rig.advance_to(ms(4610));
    let adv = Advert::parse(
        match &rig.out[0].action {
            Action::SendAdvert { bytes, .. } => bytes,
            other => panic!("{other:?}"),
        },
        vrrpd::wire::Family::V4,
        vrrpd::wire::Checksum::V2,
    )
    .unwrap();
    assert_eq!(adv.auth, Auth::pass_from_str("secret"));
    // The old password is now rejected.
    rig.rx_at(ms(4700), "10.0.0.2", &advert_like(&vi_1(), 200));
    assert_eq!(
        rig.logs().last().unwrap(),
        "(VI_1) received a 0 auth, expecting 1!"
    );
    assert_eq!(rig.state("VI_1"), State::Master);
}

#[test]
fn trackers_keep_their_weight_across_a_reload() {
    let mut rig = master_rig(vi_1());
    rig.input_at(
        ms(4100),
        Input::Tracker {
            target: TrackTarget::Instance("VI_1".into()),
            id: "script:chk".into(),
            state: TrackerState::Weight(20),
        },
    );
    rig.clear();
    rig.reconfigure_at(ms(4300), one(vi_1()));
    assert!(rig.out.is_empty());
    assert_eq!(rig.router.snapshot().instances[0].effective_priority, 120);
    // A base priority change is combined with the kept weight.
    rig.reconfigure_at(ms(4400), one(vi_1().priority(110)));
    assert_eq!(
        rig.logs(),
        ["(VI_1) Changing effective priority from 120 to 130"]
    );
}

// ===== removed and added instances =====

#[test]
fn removed_master_sends_priority_zero_releases_and_notifies_fault() {
    for (notify_deleted, event) in [(false, NotifyEvent::Fault), (true, NotifyEvent::Deleted)] {
        let mut inst = vi_1().route(RouteSpec::to("192.168.10.0/24").via("10.0.0.254"));
        inst.notify_deleted = notify_deleted;
        let mut rig = master_rig(inst);
        rig.reconfigure_at(ms(4300), RouterSettings::new(vec![]));
        let kinds: Vec<String> = rig
            .out
            .iter()
            .filter_map(|t| match &t.action {
                Action::SendAdvert { bytes, .. } => Some(format!("advert{}", bytes[2])),
                Action::DelRoute { .. } => Some("-route".into()),
                Action::DelVip { .. } => Some("-ip".into()),
                Action::Notify { target, event, .. } => {
                    assert_eq!(target, &NotifyTarget::Instance("VI_1".into()));
                    Some(event.word().to_string())
                }
                _ => None,
            })
            .collect();
        assert_eq!(kinds, ["advert0", "-route", "-ip", event.word()]);
        assert!(rig.router.snapshot().instances.is_empty());
        assert_eq!(rig.router.poll_timeout(), None);
    }
}

#[test]
fn changed_vrid_or_mode_is_a_new_instance_starting_as_at_boot() {
    let mut rig = master_rig(vi_1());
    let mut moved = vi_1();
    moved.vrid = 52;
    rig.reconfigure_at(ms(4300), one(moved));
    assert_eq!(rig.logs(), ["(VI_1) Entering BACKUP STATE (init)"]);
    assert_eq!(
        rig.sent_adverts(),
        [(ms(4300), "224.0.0.18".parse().unwrap(), 0)]
    );
    assert_eq!(rig.state("VI_1"), State::Backup);
    // Multicast → unicast is also another instance.
    let mut rig = master_rig(vi_1());
    rig.reconfigure_at(ms(4300), one(vi_1().peer("10.0.0.2")));
    assert_eq!(rig.logs(), ["(VI_1) Entering BACKUP STATE (init)"]);
}

#[test]
fn added_instances_start_as_at_boot_and_owners_go_master() {
    let mut rig = master_rig(vi_1());
    let owner = InstanceSettings::master("VI_2", 52)
        .priority(255)
        .vip("10.0.0.200");
    let backup = InstanceSettings::backup("VI_3", 53).vip("10.0.0.201");
    let mut s = RouterSettings::new(vec![vi_1(), owner, backup]);
    s.down_interfaces = vec![];
    rig.reconfigure_at(ms(4300), s);
    assert_eq!(
        rig.logs(),
        [
            "(VI_2) Entering MASTER STATE",
            "(VI_3) Entering BACKUP STATE (init)"
        ]
    );
    assert_eq!(rig.state("VI_1"), State::Master);
    assert_eq!(rig.state("VI_2"), State::Master);
    rig.advance_to(ms(4300 + 3610));
    assert_eq!(rig.state("VI_3"), State::Master);
    // Packets still reach the right instances.
    let mut adv = advert_like(&InstanceSettings::backup("X", 53).vip("10.0.0.201"), 250);
    adv.vrid = 53;
    rig.rx_at(ms(8000), "10.0.0.2", &adv);
    assert_eq!(rig.state("VI_3"), State::Backup);
    assert_eq!(rig.state("VI_1"), State::Master);
}

#[test]
fn sync_groups_keep_their_state_by_name() {
    let settings = || {
        RouterSettings::new(vec![
            InstanceSettings::backup("VI_A", 1).vip("10.0.0.100"),
            InstanceSettings::backup("VI_B", 2).vip("10.0.1.100"),
        ])
        .group("G1", &["VI_A", "VI_B"])
    };
    let mut rig = Rig::new(settings());
    rig.advance_to(ms(4000));
    assert_eq!(rig.state("VI_A"), State::Master);
    rig.clear();
    rig.reconfigure_at(ms(4300), settings());
    assert!(rig.out.is_empty(), "{:?}", debug_actions(&rig));
    assert_eq!(rig.router.snapshot().groups[0].state, State::Master);
    // The group still moves together afterwards.
    let mut adv = advert_like(&InstanceSettings::backup("X", 2).vip("10.0.1.100"), 200);
    adv.vrid = 2;
    rig.rx_at(ms(4500), "10.0.0.2", &adv);
    assert_eq!(rig.state("VI_A"), State::Backup);
    assert_eq!(rig.state("VI_B"), State::Backup);
}

// ===== scale: timers and demultiplexing stay consistent =====

fn many(n: usize) -> Vec<InstanceSettings> {
    (0..n)
        .map(|i| {
            let ifindex = 2 + (i / 200) as u32;
            let vrid = 1 + (i % 200) as u8;
            InstanceSettings::backup(&format!("VI_{i}"), vrid)
                .interface(&format!("eth{ifindex}"), ifindex)
                .priority(100)
                .vip(&format!(
                    "10.{}.{}.{}",
                    i / 200,
                    (i % 200) / 100,
                    i % 100 + 1
                ))
        })
        .collect()
}

#[test]
fn thousand_instances_half_removed_still_route_and_time_correctly() {
    let all = many(1000);
    let mut rig = Rig::new(RouterSettings::new(all.clone()));
    // Half become MASTER (no peer), half stay BACKUP (a peer at 150 every second).
    let peer_adv = |inst: &InstanceSettings, prio: u8| {
        let mut a = advert_like(inst, prio);
        a.vrid = inst.vrid;
        a
    };
    let rx = |rig: &mut Rig, t: u64, inst: &InstanceSettings, prio: u8| {
        let src: IpAddr = "10.250.0.2".parse().unwrap();
        let dst: IpAddr = "224.0.0.18".parse().unwrap();
        let adv = peer_adv(inst, prio);
        rig.advance_to(ms(t));
        rig.router.handle(
            rig.now,
            Input::Packet {
                ifindex: inst.ifindex,
                src,
                dst,
                ttl: 255,
                bytes: encode(&adv, src, dst),
            },
        );
    };
    for k in 0..4 {
        for inst in all.iter().skip(1).step_by(2) {
            rx(&mut rig, 1000 * k, inst, 150);
        }
    }
    rig.advance_to(ms(4000));
    let snap = rig.router.snapshot();
    for (i, s) in snap.instances.iter().enumerate() {
        let want = if i % 2 == 0 {
            State::Master
        } else {
            State::Backup
        };
        assert_eq!(s.state, want, "{}", s.name);
    }
    // Keep every fourth instance: masters 0, 4, 8... and backups 1, 5, 9...
    let kept: Vec<InstanceSettings> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 4 < 2)
        .map(|(_, s)| s.clone())
        .collect();
    rig.clear();
    rig.reconfigure_at(ms(4100), RouterSettings::new(kept.clone()));
    // Only the removed masters spoke: one priority-0 advert each.
    assert_eq!(rig.sent_adverts().len(), 250);
    assert!(rig.sent_adverts().iter().all(|a| a.2 == 0));
    assert!(rig.router.poll_timeout().unwrap() >= rig.now);
    let snap = rig.router.snapshot();
    assert_eq!(snap.instances.len(), 500);
    for (s, k) in snap.instances.iter().zip(&kept) {
        assert_eq!(s.name, k.name);
    }
    // Adverts reach the right (moved) instances; removed VRIDs count as unknown.
    for inst in kept.iter().skip(1).step_by(2) {
        rx(&mut rig, 4200, inst, 150);
    }
    let unknown_before = rig.router.snapshot().global.unknown_vrid;
    rx(&mut rig, 4200, &all[2], 150);
    let snap = rig.router.snapshot();
    assert_eq!(snap.global.unknown_vrid, unknown_before + 1);
    for (i, s) in snap.instances.iter().enumerate() {
        let want = if i % 2 == 0 {
            (State::Master, 0)
        } else {
            (State::Backup, 5)
        };
        assert_eq!((s.state, s.counters.advert_rcvd), want, "{}", s.name);
    }
    // A kept master yields to a higher priority on its own VRID only.
    rx(&mut rig, 4300, &kept[2], 200);
    let snap = rig.router.snapshot();
    assert_eq!(snap.instances[2].state, State::Backup);
    assert_eq!(snap.instances[0].state, State::Master);
    assert_eq!(snap.instances[4].state, State::Master);
    // Timers keep running for everyone left, never in the past (the rig asserts it).
    rig.clear();
    rig.advance_to(ms(9000));
    let adverting: std::collections::BTreeSet<String> = rig
        .out
        .iter()
        .filter_map(|t| match &t.action {
            Action::SendAdvert { instance, .. } => Some(instance.clone()),
            _ => None,
        })
        .collect();
    // 125 kept masters minus the one that yielded; the backups take over after their
    // master-down interval: all 250 - 1 backups + the yielded one wait for 150/200 adverts
    // that no longer come, so by 9 s everyone is MASTER again.
    assert_eq!(adverting.len(), 500);
}

#[test]
fn master_route_and_rule_changes_are_applied_without_a_garp_burst() {
    let route_a = RouteSpec::to("192.168.10.0/24").via("10.0.0.254");
    let route_b = RouteSpec::to("172.16.0.0/12").dev("eth0");
    let rule = vrrpd::proto::RuleSpec::from_table("10.0.0.100", 100);
    let mut rig = master_rig(vi_1().route(route_a.clone()).rule(rule.clone()));
    rig.reconfigure_at(ms(4300), one(vi_1().route(route_b.clone())));
    let got: Vec<Action> = rig.out.iter().map(|t| t.action.clone()).collect();
    assert_eq!(
        got,
        [
            Action::DelRule {
                instance: "VI_1".into(),
                spec: rule
            },
            Action::DelRoute {
                instance: "VI_1".into(),
                spec: route_a
            },
            Action::AddRoute {
                instance: "VI_1".into(),
                spec: route_b
            },
        ]
    );
}

#[test]
fn a_reload_can_clear_a_fault_and_is_ignored_after_stop() {
    let mut rig = Rig::one(vi_1());
    rig.input_at(
        ms(100),
        Input::Link {
            ifname: "eth0".into(),
            up: false,
        },
    );
    assert_eq!(rig.state("VI_1"), State::Fault);
    rig.clear();
    let mut relaxed = vi_1();
    relaxed.dont_track_primary = true;
    rig.reconfigure_at(ms(200), one(relaxed));
    assert_eq!(rig.logs(), ["(VI_1) Entering BACKUP STATE"]);
    rig.input_at(ms(300), Input::Stop { release: true });
    rig.clear();
    rig.reconfigure_at(ms(400), RouterSettings::new(vec![]));
    assert!(rig.out.is_empty());
    assert_eq!(rig.state("VI_1"), State::Stopped);
}
