//! Make-before-break hand-over (src/proto/instance/handover.rs, README "Planned hand-over"):
//! a drained or stopping MASTER sends priority 0 but keeps its VIPs, silent, until a new
//! master's advert is heard; the wait is bounded by the master-down interval (a stop also by
//! `HANDOVER_STOP_LIMIT`). Simulated time throughout, plus a two-router LAN where the VIP is
//! never unheld.

use crate::common;

use std::time::Duration;

use common::*;
use vrrpd::proto::{
    interval, Action, Input, InstanceSettings, NotifyEvent, Router, RouterSettings, State,
    SyncGroupSettings, TrackTarget, TrackerState, TransitionReason, HANDOVER_LINGER,
    HANDOVER_STOP_LIMIT,
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

/// Master at 3.61 s (no peer), drained at 4.2 s.
fn draining() -> Rig {
    let mut rig = Rig::one(vi_1());
    rig.advance_to(ms(4000));
    assert_eq!(rig.state("VI_1"), State::Master);
    rig.clear();
    rig.input_at(ms(4200), drain(&[], true));
    rig
}

fn handing_over(rig: &Rig, name: &str) -> bool {
    rig.router.snapshot().instance(name).unwrap().handing_over
}

fn master_down(inst: &InstanceSettings) -> Duration {
    interval::master_down(inst.version, inst.priority, inst.advert_int, 3)
}

fn stop_notified(rig: &Rig) -> usize {
    rig.count(|a| {
        matches!(
            a,
            Action::Notify {
                event: NotifyEvent::Stop,
                ..
            }
        )
    })
}

#[test]
fn the_new_masters_advert_ends_the_wait() {
    let mut rig = draining();
    // Priority 0 at once, the VIPs stay, and the master is silent from then on.
    assert_eq!(rig.sent_adverts(), vec![(ms(4200), ip("224.0.0.18"), 0)]);
    assert_eq!(rig.count(is_del), 0);
    assert_eq!(rig.state("VI_1"), State::Master);
    assert!(handing_over(&rig, "VI_1"));
    assert!(!rig
        .router
        .snapshot()
        .instance("VI_1")
        .unwrap()
        .vips
        .is_empty());
    rig.advance_to(ms(4790));
    assert_eq!(rig.sent_adverts().len(), 1, "no advert while handing over");
    assert_eq!(rig.count(is_garp), 0, "no GARP while handing over");
    // The backup took over after its skew time: its first advert ends the wait, and the VIPs
    // go a linger later (its GARP lands first); its next adverts change nothing.
    rig.rx_at(ms(4800), "10.0.0.2", &advert_like(&vi_1(), 90));
    rig.rx_at(ms(4820), "10.0.0.2", &advert_like(&vi_1(), 90));
    rig.advance_to(ms(4800) + HANDOVER_LINGER - ms(1));
    assert_eq!(rig.state("VI_1"), State::Master);
    assert_eq!(rig.count(is_del), 0);
    rig.advance_to(ms(4800) + HANDOVER_LINGER);
    assert_eq!(rig.state("VI_1"), State::Backup);
    assert_eq!(rig.count(is_del), 1);
    assert!(!handing_over(&rig, "VI_1"));
    assert_eq!(
        rig.sent_adverts().len(),
        1,
        "a lower priority is never answered"
    );
    let snap = rig.router.snapshot();
    let vi = snap.instance("VI_1").unwrap();
    assert_eq!(vi.master_addr, Some(ip("10.0.0.2")));
    assert_eq!(vi.master_priority, 90);
    let t = vi.last_transition.unwrap();
    assert_eq!((t.reason, t.at), (TransitionReason::Drain, ms(4850)));
    assert!(
        rig.logs().iter().any(|l| l
            == "(VI_1) new master 10.0.0.2 (priority 90) heard after 600 ms: removing the VIPs in 50 ms"),
        "{:?}",
        rig.logs()
    );
    // Still drained: it follows the new master and never takes over.
    rig.advance_to(ms(20_000));
    assert_eq!(rig.state("VI_1"), State::Backup);
}

#[test]
fn the_master_down_interval_bounds_the_wait() {
    let mut rig = draining();
    let bound = master_down(&vi_1());
    rig.advance_to(ms(4200) + bound - ms(1));
    assert_eq!(rig.state("VI_1"), State::Master);
    assert_eq!(rig.count(is_del), 0);
    rig.advance_to(ms(4200) + bound);
    assert_eq!(rig.state("VI_1"), State::Backup);
    assert_eq!(rig.count(is_del), 1);
    assert_eq!(
        rig.when_logged("(VI_1) no new master heard within 3.61 s: removing the VIPs"),
        Some(ms(4200) + bound)
    );
}

#[test]
fn a_higher_priority_advert_from_someone_else_ends_the_wait_and_priority_zero_does_not() {
    let mut rig = draining();
    // Someone else leaving too (priority 0) and our own address change nothing, and are
    // not answered.
    rig.rx_at(ms(4300), "10.0.0.3", &advert_like(&vi_1(), 0));
    rig.rx_at(ms(4310), "10.0.0.1", &advert_like(&vi_1(), 120));
    assert_eq!(rig.state("VI_1"), State::Master);
    assert_eq!(rig.sent_adverts().len(), 1);
    rig.rx_at(ms(4400), "10.0.0.3", &advert_like(&vi_1(), 200));
    rig.advance_to(ms(4400) + HANDOVER_LINGER);
    assert_eq!(rig.state("VI_1"), State::Backup);
    assert_eq!(rig.count(is_del), 1);
    let snap = rig.router.snapshot();
    let vi = snap.instance("VI_1").unwrap();
    assert_eq!(
        (vi.master_addr, vi.master_priority),
        (Some(ip("10.0.0.3")), 200)
    );
}

#[test]
fn draining_again_during_the_wait_changes_nothing_and_undraining_stays_master() {
    let mut rig = draining();
    let before = rig.out.len();
    rig.input_at(ms(4300), drain(&["VI_1"], true));
    assert_eq!(rig.out.len(), before, "a second drain: {:?}", rig.out);
    rig.clear();
    rig.input_at(ms(4400), drain(&[], false));
    assert_eq!(rig.state("VI_1"), State::Master);
    assert!(!handing_over(&rig, "VI_1"));
    // It advertises its priority at once (a backup that heard priority 0 follows it again)
    // and every interval from then on; the VIPs never moved.
    assert_eq!(
        rig.sent_adverts().first(),
        Some(&(ms(4400), ip("224.0.0.18"), 100))
    );
    rig.advance_to(ms(7500));
    assert_eq!(rig.sent_adverts().len(), 4);
    assert_eq!(rig.count(is_del) + rig.count(is_add), 0);
    // GARPs, in case the backup took over meanwhile and moved clients.
    assert!(rig.count(is_garp) > 0);
    assert!(rig
        .logs()
        .iter()
        .any(|l| l == "(VI_1) undrained during the hand-over: staying MASTER"));
    // The old deadline is gone: still MASTER long after it.
    rig.advance_to(ms(20_000));
    assert_eq!(rig.state("VI_1"), State::Master);
}

#[test]
fn a_tracker_changing_the_priority_during_the_wait_sends_nothing() {
    let mut rig = draining();
    rig.input_at(
        ms(4300),
        Input::Tracker {
            target: TrackTarget::Instance("VI_1".into()),
            id: "script:chk".into(),
            state: TrackerState::Weight(20),
        },
    );
    assert_eq!(rig.sent_adverts().len(), 1);
    assert_eq!(rig.state("VI_1"), State::Master);
}

#[test]
fn stop_hands_over_and_ends_with_the_stop_notification() {
    let mut rig = Rig::one(vi_1());
    rig.advance_to(ms(4000));
    rig.clear();
    rig.input_at(ms(4200), Input::Stop { release: true });
    assert_eq!(rig.sent_adverts(), vec![(ms(4200), ip("224.0.0.18"), 0)]);
    assert_eq!((rig.count(is_del), stop_notified(&rig)), (0, 0));
    assert!(!rig.router.is_stopped());
    // Stopping: only adverts, timers and a second stop are heard.
    rig.input_at(ms(4300), drain(&[], false));
    rig.input_at(
        ms(4310),
        Input::Link {
            ifname: "eth0".into(),
            up: false,
        },
    );
    assert_eq!(rig.state("VI_1"), State::Master);
    rig.rx_at(ms(4800), "10.0.0.2", &advert_like(&vi_1(), 90));
    assert_eq!(rig.state("VI_1"), State::Master);
    rig.advance_to(ms(4850));
    assert_eq!(rig.state("VI_1"), State::Stopped);
    assert_eq!((rig.count(is_del), stop_notified(&rig)), (1, 1));
    assert!(rig.router.is_stopped());
    let t = rig
        .router
        .snapshot()
        .instance("VI_1")
        .unwrap()
        .last_transition
        .unwrap();
    assert_eq!((t.reason, t.at), (TransitionReason::Stop, ms(4850)));
    // The STOP notification follows the removal.
    let del = rig.out.iter().position(|t| is_del(&t.action)).unwrap();
    let stop = rig
        .out
        .iter()
        .position(|t| {
            matches!(
                t.action,
                Action::Notify {
                    event: NotifyEvent::Stop,
                    ..
                }
            )
        })
        .unwrap();
    assert!(del < stop);
    rig.clear();
    rig.advance_to(ms(30_000));
    assert!(rig.out.is_empty(), "{:?}", rig.out);
}

#[test]
fn a_second_stop_releases_at_once() {
    let mut rig = Rig::one(vi_1());
    rig.advance_to(ms(4000));
    rig.input_at(ms(4200), Input::Stop { release: true });
    rig.clear();
    rig.input_at(ms(4250), Input::Stop { release: true });
    assert!(rig.router.is_stopped());
    assert_eq!(rig.state("VI_1"), State::Stopped);
    assert_eq!((rig.count(is_del), stop_notified(&rig)), (1, 1));
    assert!(rig.sent_adverts().is_empty(), "priority 0 went out once");
    assert!(rig
        .logs()
        .iter()
        .any(|l| l == "(VI_1) stopping again: removing the VIPs now"));
}

#[test]
fn a_stop_without_release_and_a_backup_stop_at_once() {
    for (release, dels) in [(false, 0), (true, 0)] {
        let mut rig = Rig::new(RouterSettings::new(vec![
            vi_1(),
            InstanceSettings::backup("VI_2", 52).vip("10.0.0.101/24"),
        ]));
        rig.advance_to(ms(100));
        rig.input_at(ms(200), Input::Stop { release });
        assert!(rig.router.is_stopped(), "nobody was MASTER");
        assert_eq!((rig.count(is_del), stop_notified(&rig)), (dels, 2));
    }
    // -V: a master keeps its VIPs and sends nothing (docs/keepalived-compat.md#removing-addresses).
    let mut rig = Rig::one(vi_1());
    rig.advance_to(ms(4000));
    rig.clear();
    rig.input_at(ms(4200), Input::Stop { release: false });
    assert!(rig.router.is_stopped());
    assert_eq!(rig.count(is_del) + rig.sent_adverts().len(), 0);
}

#[test]
fn a_stop_waits_at_most_its_limit_even_with_long_intervals() {
    // v3 at 40 s: master-down is two minutes, the stop waits 10 s.
    let inst = vi_1().v3().advert_cs(4000);
    let mut rig = Rig::one(inst.clone());
    let up = master_down(&inst) + ms(10);
    rig.advance_to(up);
    assert_eq!(rig.state("VI_1"), State::Master);
    rig.input_at(up + ms(100), Input::Stop { release: true });
    rig.advance_to(up + ms(100) + HANDOVER_STOP_LIMIT - ms(1));
    assert!(!rig.router.is_stopped());
    rig.advance_to(up + ms(100) + HANDOVER_STOP_LIMIT);
    assert!(rig.router.is_stopped());
    assert_eq!(rig.count(is_del), 1);
}

#[test]
fn a_stop_during_a_drain_keeps_the_drains_deadline() {
    let mut rig = draining();
    rig.input_at(ms(5000), Input::Stop { release: true });
    assert_eq!(rig.sent_adverts().len(), 1, "one priority 0 only");
    let bound = master_down(&vi_1());
    rig.advance_to(ms(4200) + bound);
    assert!(rig.router.is_stopped());
    assert_eq!(rig.state("VI_1"), State::Stopped);
    assert_eq!((rig.count(is_del), stop_notified(&rig)), (1, 1));
}

#[test]
fn a_sync_group_member_leaves_when_its_own_successor_is_heard() {
    let mut s = RouterSettings::new(vec![
        vi_1(),
        InstanceSettings::backup("VI_2", 52)
            .priority(100)
            .vip("10.0.0.101/24"),
    ]);
    s.groups.push(SyncGroupSettings {
        name: "G".into(),
        members: vec!["VI_1".into(), "VI_2".into()],
    });
    let mut rig = Rig::new(s);
    rig.advance_to(ms(4000));
    assert_eq!(rig.state("VI_2"), State::Master);
    rig.clear();
    rig.input_at(ms(4200), drain(&["VI_1"], true));
    assert!(handing_over(&rig, "VI_1") && handing_over(&rig, "VI_2"));
    assert_eq!(rig.sent_adverts().len(), 2);
    let vi_2 = InstanceSettings::backup("VI_2", 52).vip("10.0.0.101/24");
    rig.rx_at(ms(4800), "10.0.0.2", &advert_like(&vi_1(), 90));
    rig.advance_to(ms(4850));
    assert_eq!(
        (rig.state("VI_1"), rig.state("VI_2")),
        (State::Backup, State::Master)
    );
    assert_eq!(rig.count(is_del), 1);
    assert_eq!(rig.router.snapshot().groups[0].state, State::Master);
    rig.rx_at(ms(4851), "10.0.0.2", &advert_like(&vi_2, 90));
    rig.advance_to(ms(4901));
    assert_eq!(
        (rig.state("VI_1"), rig.state("VI_2")),
        (State::Backup, State::Backup)
    );
    assert_eq!(rig.count(is_del), 2);
    assert_eq!(rig.router.snapshot().groups[0].state, State::Backup);
}

/// Two routers on a LAN with 1 ms latency: A (150) holds the VIP, B (100) backs up. At every
/// step at least one of them holds the VIP (from the actions they emitted), and A lets go
/// one latency plus the linger after B's first advert as MASTER.
#[test]
fn on_a_lan_the_vip_is_never_unheld_during_a_drain_or_a_stop() {
    for leave in [drain(&[], true), Input::Stop { release: true }] {
        let latency = ms(1);
        let a_cfg = vi_1().priority(150);
        let b_cfg = vi_1().src("10.0.0.2");
        let mut routers = [
            Router::new(RouterSettings::new(vec![a_cfg]), t0()),
            Router::new(RouterSettings::new(vec![b_cfg]), t0() + ms(5)),
        ];
        let mut held = [false, false];
        let mut queue: Vec<(std::time::Instant, usize, Input)> = Vec::new();
        let mut now = t0();
        let end = t0() + ms(12_000);
        let mut a_released = None;
        let mut b_first_advert = None;
        let mut left = false;
        while now < end {
            // Run what is due (timers and deliveries) at `now`, then collect actions.
            for (i, r) in routers.iter_mut().enumerate() {
                if r.poll_timeout().is_some_and(|d| d <= now) {
                    r.handle_timeout(now);
                }
                let due: Vec<Input> = queue
                    .iter()
                    .filter(|(t, to, _)| *t <= now && *to == i)
                    .map(|(_, _, inp)| inp.clone())
                    .collect();
                queue.retain(|(t, to, _)| !(*t <= now && *to == i));
                for inp in due {
                    r.handle(now, inp);
                }
            }
            if !left && now >= t0() + ms(6000) {
                assert!(held[0] && !held[1], "A holds the VIP before it leaves");
                routers[0].handle(now, leave.clone());
                left = true;
            }
            for (i, r) in routers.iter_mut().enumerate() {
                while let Some(a) = r.poll_action() {
                    match a {
                        Action::AddVip { .. } => held[i] = true,
                        Action::DelVip { .. } => {
                            held[i] = false;
                            if i == 0 && left {
                                a_released.get_or_insert(now);
                            }
                        }
                        Action::SendAdvert {
                            src, dst, bytes, ..
                        } => {
                            if i == 1 && bytes[2] > 0 {
                                b_first_advert.get_or_insert(now);
                            }
                            queue.push((
                                now + latency,
                                1 - i,
                                Input::Packet {
                                    ifindex: 2,
                                    src,
                                    dst,
                                    ttl: 255,
                                    bytes,
                                },
                            ));
                        }
                        _ => {}
                    }
                }
            }
            if now >= t0() + ms(4000) {
                assert!(
                    held[0] || held[1],
                    "{leave:?}: nobody holds the VIP at {:?}",
                    now - t0()
                );
            }
            now += Duration::from_micros(250);
        }
        let (released, taken) = (a_released.unwrap(), b_first_advert.unwrap());
        assert!(held[1] && !held[0], "{leave:?}: B holds the VIP at the end");
        assert!(
            released >= taken && released - taken <= latency + HANDOVER_LINGER + ms(1),
            "{leave:?}: A released {:?} after B's first advert",
            released - taken
        );
    }
}

fn ip(text: &str) -> std::net::IpAddr {
    text.parse().unwrap()
}

#[test]
fn a_second_stop_during_the_linger_releases_at_once() {
    let mut rig = Rig::one(vi_1());
    rig.advance_to(ms(4000));
    rig.input_at(ms(4200), Input::Stop { release: true });
    rig.rx_at(ms(4800), "10.0.0.2", &advert_like(&vi_1(), 90));
    rig.input_at(ms(4810), Input::Stop { release: true });
    assert!(rig.router.is_stopped());
    assert_eq!(rig.count(is_del), 1);
}

/// `use_vmac` (docs/vmac.md): two nodes serving one virtual MAC would make the switch move it
/// between their ports, so a vmac instance breaks before it makes: priority 0 and the VIPs go
/// at once, as keepalived does.
#[test]
fn a_vmac_instance_releases_at_once() {
    let mut inst = vi_1();
    inst.vmac = Some("vrrp.51".into());
    let mut rig = Rig::one(inst);
    rig.advance_to(ms(4000));
    assert_eq!(rig.state("VI_1"), State::Master);
    rig.clear();
    rig.input_at(ms(4200), drain(&[], true));
    rig.advance_to(ms(4200));
    assert_eq!(rig.state("VI_1"), State::Backup);
    assert_eq!(rig.count(is_del), 1);
    assert_eq!(rig.sent_adverts().len(), 1);
}
