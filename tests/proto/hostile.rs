//! The protocol core under packets an attacker (or a broken peer) on the LAN can send: none of
//! them may silence a master, make it an amplifier, flood the log, or reach the wrong
//! instance. Deterministic, on the rig's simulated clock.

use crate::common;

use std::time::Duration;

use common::*;
use vrrpd::proto::{Action, InstanceSettings, NotifyEvent, RouterSettings, State};
use vrrpd::wire::Auth;

fn vi_1() -> InstanceSettings {
    InstanceSettings::backup("VI_1", 51)
        .priority(150)
        .vip("10.0.0.100/24")
}

/// VI_1 as MASTER (alone for 4 s), output cleared.
fn master() -> Rig {
    let mut rig = Rig::one(vi_1());
    rig.advance_to(ms(4000));
    assert_eq!(rig.state("VI_1"), State::Master);
    rig.clear();
    rig
}

fn adverts_between(rig: &Rig, from: Duration, to: Duration) -> usize {
    rig.sent_adverts()
        .iter()
        .filter(|(t, _, _)| *t >= from && *t < to)
        .count()
}

/// Junk with the right VRID (a wrong password here) every 300 ms must not push the master's
/// advert timer back: it keeps advertising every second.
#[test]
fn junk_faster_than_advert_int_does_not_silence_the_master() {
    let mut rig = master();
    let mut junk = advert_like(&vi_1(), 200);
    junk.auth = Auth::pass_from_str("wrong");
    for i in 0..20u64 {
        rig.rx_at(ms(4000 + 300 * i), "10.0.0.66", &junk);
    }
    rig.advance_to(ms(10_000));
    let sent = adverts_between(&rig, ms(4000), ms(10_000));
    assert!(sent >= 5, "the master went quiet: {sent} adverts in 6 s");
    assert_eq!(rig.state("VI_1"), State::Master);
}

/// A flood of valid lower-priority adverts gets at most one answer (advert, GARP burst,
/// notification) per advert interval; the rest is counted.
#[test]
fn lower_priority_adverts_are_answered_at_most_once_per_interval() {
    let mut rig = master();
    let lower = advert_like(&vi_1(), 100);
    // 100 adverts over one second.
    for i in 0..100u64 {
        rig.rx_at(ms(4000 + 10 * i), "10.0.0.66", &lower);
    }
    let answers = adverts_between(&rig, ms(4000), ms(5000));
    // One answer, plus at most the regular advert of the interval.
    assert!(answers <= 2, "{answers} adverts sent in one interval");
    let garps = rig.count(is_garp);
    let burst = vi_1().garp.lower_prio_repeat as usize;
    assert!(
        garps <= burst,
        "{garps} GARPs, more than one burst of {burst}"
    );
    let notifies = rig.count(|a| {
        matches!(
            a,
            Action::Notify {
                event: NotifyEvent::MasterRxLowerPri,
                ..
            }
        )
    });
    assert_eq!(notifies, 1);
    let lines = rig
        .logs()
        .iter()
        .filter(|l| l.contains("with lower priority 100"))
        .count();
    assert_eq!(lines, 1, "{:?}", rig.logs());
    // The next interval may answer again.
    rig.rx_at(ms(5200), "10.0.0.66", &lower);
    let notifies = rig.count(|a| {
        matches!(
            a,
            Action::Notify {
                event: NotifyEvent::MasterRxLowerPri,
                ..
            }
        )
    });
    assert_eq!(notifies, 2);
    assert_eq!(rig.state("VI_1"), State::Master);
}

/// Each kind of receive error is logged once per instance until a valid advert arrives;
/// every one is counted.
#[test]
fn receive_errors_are_logged_once_per_kind_until_a_valid_advert() {
    let mut rig = Rig::one(vi_1());
    let mut bad = advert_like(&vi_1(), 100);
    bad.auth = Auth::pass_from_str("wrong");
    let mut other_vips = advert_like(&vi_1(), 100);
    other_vips.addrs = vrrpd::wire::Addrs::V4(vec!["10.0.0.200".parse().unwrap()]);
    for i in 0..50u64 {
        rig.rx_at(ms(10 + i), "10.0.0.66", &bad);
        rig.rx_at(ms(10 + i), "10.0.0.66", &other_vips);
    }
    let snap = rig.router.snapshot();
    let c = &snap.instances[0].counters;
    assert_eq!(
        c.auth_failure + c.authtype_mismatch + c.invalid_authtype,
        50
    );
    assert_eq!(c.addr_list_err, 50);
    let logs = rig.logs();
    let error_lines = logs
        .iter()
        .filter(|l| !l.contains("Entering") && !l.contains("discarding"))
        .count();
    assert_eq!(error_lines, 2, "{logs:?}");
    // A valid advert re-arms the lines, for once an advert interval at the most.
    rig.rx_at(ms(200), "10.0.0.66", &advert_like(&vi_1(), 200));
    rig.rx_at(ms(210), "10.0.0.66", &bad);
    rig.rx_at(ms(1100), "10.0.0.66", &bad);
    let after = rig
        .logs()
        .iter()
        .filter(|l| !l.contains("Entering") && !l.contains("discarding") && !l.contains("priority"))
        .count();
    assert_eq!(after, 3, "{:?}", rig.logs());
}

/// Junk mixed with valid adverts (which re-arm the lines) still costs at most one line per
/// kind and advert interval.
#[test]
fn a_mixed_flood_logs_a_bounded_number_of_lines() {
    let mut rig = Rig::one(vi_1());
    let mut bad = advert_like(&vi_1(), 200);
    bad.auth = Auth::pass_from_str("wrong");
    let good = advert_like(&vi_1(), 200);
    for i in 0..300u64 {
        rig.rx_at(
            ms(10 * i),
            "10.0.0.66",
            if i % 2 == 0 { &bad } else { &good },
        );
    }
    let lines = rig.logs().iter().filter(|l| l.contains("auth")).count();
    assert!(lines <= 4, "{lines} lines in 3 s");
}

/// A stranger's valid lower-priority adverts say nothing about the master the backup follows:
/// they must not make it preempt (fast preemption reacts to the master's own adverts only).
#[test]
fn a_strangers_lower_priority_adverts_do_not_make_a_backup_preempt() {
    let inst = InstanceSettings::backup("VI_1", 51)
        .priority(100)
        .vip("10.0.0.100/24");
    let mut rig = Rig::one(inst.clone());
    let master = advert_like(&inst, 150);
    let lower = advert_like(&inst, 50);
    for i in 0..30u64 {
        if i % 10 == 0 {
            rig.rx_at(ms(100 * i), "10.0.0.2", &master);
        }
        rig.rx_at(ms(100 * i + 50), "10.0.0.66", &lower);
    }
    rig.advance_to(ms(3000));
    assert_eq!(rig.state("VI_1"), State::Backup);
    // The master itself lowering its priority still hands over after the skew time.
    rig.rx_at(ms(3000), "10.0.0.2", &advert_like(&inst, 50));
    rig.advance_to(ms(3700));
    assert_eq!(rig.state("VI_1"), State::Master);
}

/// Two unicast instances share VRID 51 on one interface, each with its own peer: an advert
/// from a source that is neither's peer reaches no instance (keepalived drops it too).
#[test]
fn a_unicast_advert_from_no_ones_peer_is_dropped_and_counted() {
    let a = InstanceSettings::backup("VI_A", 51)
        .priority(150)
        .vip("10.0.0.100/24")
        .src("10.0.0.1")
        .peer("10.0.0.2");
    let b = InstanceSettings::backup("VI_B", 51)
        .priority(150)
        .vip("10.0.0.101/24")
        .src("10.0.0.1")
        .peer("10.0.0.3");
    let mut rig = Rig::new(RouterSettings::new(vec![a.clone(), b]));
    let stranger: std::net::IpAddr = "10.0.0.66".parse().unwrap();
    let me: std::net::IpAddr = "10.0.0.1".parse().unwrap();
    let higher = advert_like(&a, 200);
    rig.rx_to(ms(100), stranger, me, 255, &higher);
    let snap = rig.router.snapshot();
    for i in &snap.instances {
        assert_eq!(
            i.counters.advert_rcvd, 0,
            "{} took the stranger's advert",
            i.name
        );
    }
    assert_eq!(snap.global.unknown_vrid, 1, "{:?}", snap.global);
    // From VI_A's peer, it reaches VI_A.
    rig.rx_to(ms(200), "10.0.0.2".parse().unwrap(), me, 255, &higher);
    let snap = rig.router.snapshot();
    assert_eq!(snap.instances[0].counters.advert_rcvd, 1);
}

/// `log_unknown_vrids` (docs/keywords.md): an advert for a VRID nobody here uses is logged in
/// keepalived's words, once per interface and VRID however many arrive, and counted each time;
/// without the keyword it is only counted.
#[test]
fn unknown_vrids_are_logged_once_each_with_log_unknown_vrids() {
    let mine = InstanceSettings::backup("VI_1", 51).vip("10.0.0.100/24");
    let other = InstanceSettings::backup("VI_X", 99).vip("10.0.0.199/24");
    let third = InstanceSettings::backup("VI_Y", 98).vip("10.0.0.198/24");
    for log in [false, true] {
        let mut settings = RouterSettings::new(vec![mine.clone()]);
        settings.log_unknown_vrids = log;
        let mut rig = Rig::new(settings);
        for k in 0..5 {
            rig.rx_at(ms(100 + 10 * k), "10.0.0.9", &advert_like(&other, 100));
        }
        rig.rx_at(ms(200), "10.0.0.9", &advert_like(&third, 100));
        let logged: Vec<String> = rig
            .all_logs()
            .into_iter()
            .filter(|l| l.contains("Unknown VRID"))
            .collect();
        let expected: Vec<String> = if log {
            vec![
                "Unknown VRID(99) received on interface(eth0). ignoring...".into(),
                "Unknown VRID(98) received on interface(eth0). ignoring...".into(),
            ]
        } else {
            Vec::new()
        };
        assert_eq!(logged, expected);
        assert_eq!(rig.router.snapshot().global.unknown_vrid, 6);
    }
}
