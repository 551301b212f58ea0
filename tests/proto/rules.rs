//! One test per protocol rule of docs/keepalived-compat.md#timers-and-start-up–docs/keepalived-compat.md#gratuitous-arp-and-unsolicited-na, docs/keepalived-compat.md#addresses-deleted-while-master–docs/keepalived-compat.md#shutdown, on explicit
//! times from a fixed t0. Each test's settings read like the keepalived.conf they model.

use crate::common;

use std::net::IpAddr;
use std::time::Duration;

use common::*;
use vrrpd::proto::{
    Action, GarpSettings, Input, InstanceSettings, LogLevel, NotifyEvent, NotifyTarget,
    RouterSettings, State, TrackTarget, TrackerState,
};

/// `vrrp_instance VI_1 { state BACKUP; interface eth0; virtual_router_id 51; priority 100;
/// advert_int 1; virtual_ipaddress { 10.0.0.100/24 } }`, source 10.0.0.1.
fn vi_1() -> InstanceSettings {
    InstanceSettings::backup("VI_1", 51)
        .priority(100)
        .vip("10.0.0.100/24")
}

/// A rig whose single instance is already MASTER (alone for 3.609375 s).
fn master_rig(inst: InstanceSettings) -> Rig {
    let mut rig = Rig::one(inst);
    rig.advance_to(ms(4000));
    assert_eq!(rig.state("VI_1"), State::Master);
    rig.clear();
    rig
}

// ===== start-up (docs/keepalived-compat.md#timers-and-start-up) =====

#[test]
fn backup_start_waits_master_down_then_becomes_master() {
    let mut rig = Rig::one(vi_1());
    assert_eq!(rig.logs(), vec!["(VI_1) Entering BACKUP STATE (init)"]);
    assert!(rig.out.iter().any(|t| t.action
        == Action::Notify {
            target: NotifyTarget::Instance("VI_1".into()),
            event: NotifyEvent::Backup,
            priority: 100
        }));
    assert_eq!(rig.router.poll_timeout(), Some(t0() + us(3_609_375)));
    rig.advance_to(ms(3609));
    assert_eq!(rig.state("VI_1"), State::Backup);
    rig.advance_to(ms(3610));
    assert_eq!(rig.state("VI_1"), State::Master);
    assert_eq!(
        rig.when_logged("(VI_1) Entering MASTER STATE"),
        Some(us(3_609_375))
    );
    // Order on entry: advert first, then VIPs, then 5 GARPs, then notify (docs/keepalived-compat.md#state-machine).
    let kinds: Vec<&str> = rig
        .since(us(3_609_375))
        .iter()
        .filter_map(|t| match &t.action {
            Action::SendAdvert { .. } => Some("advert"),
            Action::AddVip { .. } => Some("add"),
            Action::SendGarp { .. } => Some("garp"),
            Action::Notify { .. } => Some("notify"),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        ["advert", "add", "garp", "garp", "garp", "garp", "garp", "notify"]
    );
    // The Receive advertisement timeout line is -D only.
    assert!(rig.out.iter().any(|t| t.action
        == Action::Log {
            level: LogLevel::Detail,
            message: "(VI_1) Receive advertisement timeout".into()
        }));
}

#[test]
fn owner_with_state_master_is_master_at_once_without_init_line() {
    let rig = Rig::one(
        InstanceSettings::master("VI_1", 51)
            .priority(255)
            .vip("10.0.0.100"),
    );
    assert_eq!(rig.logs(), vec!["(VI_1) Entering MASTER STATE"]);
    assert_eq!(rig.state("VI_1"), State::Master);
    assert_eq!(
        rig.sent_adverts(),
        vec![(ms(0), "224.0.0.18".parse().unwrap(), 255)]
    );
}

#[test]
fn non_owner_state_master_still_waits_in_backup() {
    let mut rig = Rig::one(
        InstanceSettings::master("VI_1", 51)
            .priority(150)
            .vip("10.0.0.100"),
    );
    assert_eq!(rig.logs(), vec!["(VI_1) Entering BACKUP STATE (init)"]);
    rig.advance_to(ms(3414));
    assert_eq!(rig.state("VI_1"), State::Backup);
    rig.advance_to(ms(3500));
    // 3 s + (256-150)/256 s = 3.4140625 s (observed ~3.41 s, docs/keepalived-compat.md#timers-and-start-up).
    assert_eq!(
        rig.when_logged("(VI_1) Entering MASTER STATE"),
        Some(us(3_414_062) + Duration::from_nanos(500))
    );
}

#[test]
fn v3_half_second_start_takes_1_8_seconds() {
    let mut rig = Rig::one(vi_1().v3().advert_cs(50));
    rig.advance_to(ms(2000));
    // 1.5 s + 156 × 0.5 s / 256 = 1.8046875 s (observed ~1.8 s).
    assert_eq!(
        rig.when_logged("(VI_1) Entering MASTER STATE"),
        Some(us(1_804_687) + Duration::from_nanos(500))
    );
}

#[test]
fn master_sends_periodic_adverts_and_second_garp_burst() {
    let mut rig = master_rig(vi_1());
    rig.advance_to(ms(10_000));
    let times: Vec<Duration> = rig.sent_adverts().iter().map(|a| a.0).collect();
    let base = us(3_609_375);
    let expected: Vec<Duration> = (1..=6).map(|k| base + ms(1000 * k)).collect();
    assert_eq!(times, expected);
    // Second burst garp_master_delay (5 s) after entry.
    let garps: Vec<Duration> = rig
        .out
        .iter()
        .filter(|t| is_garp(&t.action))
        .map(|t| t.at)
        .collect();
    assert_eq!(garps, vec![base + ms(5000); 5]);
}

#[test]
fn garp_refresh_repeats_while_master() {
    let garp = GarpSettings {
        master_refresh: vrrpd::proto::Centisecs::from_secs(2),
        refresh_repeat: 2,
        master_delay: vrrpd::proto::Centisecs(0),
        ..GarpSettings::default()
    };
    let mut rig = master_rig(vi_1().garp(garp));
    rig.advance_to(ms(8_000));
    let garps: Vec<Duration> = rig
        .out
        .iter()
        .filter(|t| is_garp(&t.action))
        .map(|t| t.at)
        .collect();
    let base = us(3_609_375);
    assert_eq!(
        garps,
        vec![
            base + ms(2000),
            base + ms(2000),
            base + ms(4000),
            base + ms(4000)
        ]
    );
}

/// docs/keepalived-compat.md#timers-and-start-up ("Many timers due at once"): 40 backups that
/// started together reach master-down in the same instant as a fast master's advert falls due.
/// Taken 16 at a time, the advert comes first, and the rest stay due for the next steps.
#[test]
fn a_crowd_of_due_timers_is_taken_in_steps_with_due_adverts_first() {
    let mut all = vec![InstanceSettings::backup("FAST", 1)
        .v3()
        .advert_cs(3)
        .priority(255)
        .vip("10.0.1.1/24")];
    for k in 0..40u8 {
        all.push(
            InstanceSettings::backup(&format!("VI_{k}"), 10 + k).vip(&format!("10.0.2.{k}/24")),
        );
    }
    let mut rig = Rig::new(RouterSettings::new(all));
    rig.advance_to(ms(3600));
    assert_eq!(rig.state("FAST"), State::Master);
    assert_eq!(rig.state("VI_0"), State::Backup);
    rig.clear();
    // 3.65 s: the 40 master-down timers (3.609375 s) and FAST's next advert are all due.
    let at = t0() + ms(3650);
    let due = |rig: &Rig| rig.router.poll_timeout().is_some_and(|d| d <= at);
    rig.router.handle_timeouts(at, 16);
    assert!(due(&rig), "25 master-down timers still due");
    let mut first = Vec::new();
    while let Some(a) = rig.router.poll_action() {
        first.push(a);
    }
    let instance_of = |a: &Action| match a {
        Action::SendAdvert { instance, .. } => Some(instance.clone()),
        _ => None,
    };
    assert_eq!(first.first().and_then(instance_of).as_deref(), Some("FAST"));
    let masters = (0..40).filter(|k| rig.state(&format!("VI_{k}")) == State::Master);
    assert_eq!(masters.count(), 15, "the advert took one of the 16");
    rig.router.handle_timeouts(at, 16);
    assert!(due(&rig), "9 still due");
    rig.router.handle_timeouts(at, 16);
    assert!(!due(&rig), "the last 9 were taken");
    assert!((0..40).all(|k| rig.state(&format!("VI_{k}")) == State::Master));
}

// ===== BACKUP receiving (docs/keepalived-compat.md#state-machine) =====

#[test]
fn backup_accepts_higher_master_and_restarts_master_down() {
    let mut rig = Rig::one(vi_1());
    let adv = advert_like(&vi_1(), 150);
    for k in 0..10 {
        rig.rx_at(ms(1000 * k), "10.0.0.2", &adv);
    }
    rig.advance_to(ms(9000 + 3609));
    assert_eq!(rig.state("VI_1"), State::Backup);
    rig.advance_to(ms(9000 + 3610));
    assert_eq!(rig.state("VI_1"), State::Master);
    let snap = rig.router.snapshot();
    assert_eq!(snap.instances[0].counters.advert_rcvd, 10);
}

#[test]
fn backup_receiving_priority_zero_takes_over_after_skew() {
    let mut rig = Rig::one(vi_1());
    rig.rx_at(ms(1000), "10.0.0.2", &advert_like(&vi_1(), 150));
    rig.rx_at(ms(2000), "10.0.0.2", &advert_like(&vi_1(), 0));
    rig.advance_to(ms(5000));
    assert_eq!(
        rig.when_logged("(VI_1) Entering MASTER STATE"),
        Some(ms(2000) + us(609_375))
    );
    assert!(rig
        .all_logs()
        .contains(&"(VI_1) Backup received priority 0 advertisement".to_string()));
    assert_eq!(rig.router.snapshot().instances[0].counters.pri_zero_rcvd, 1);
}

#[test]
fn backup_never_preempts_on_equal_priority() {
    let mut rig = Rig::one(vi_1().src("10.0.0.9"));
    for k in 0..8 {
        rig.rx_at(ms(1000 * k), "10.0.0.2", &advert_like(&vi_1(), 100));
    }
    rig.advance_to(ms(7500));
    assert_eq!(rig.state("VI_1"), State::Backup);
}

#[test]
fn backup_discards_lower_priority_and_preempts_after_skew_with_fast_preempt() {
    let mut rig = Rig::one(vi_1().priority(200));
    rig.rx_at(ms(1000), "10.0.0.2", &advert_like(&vi_1(), 150));
    assert_eq!(
        rig.logs().last().unwrap(),
        "(VI_1) received lower priority (150) advert from 10.0.0.2 - discarding"
    );
    rig.advance_to(ms(3000));
    // skew(200) = 56/256 s = 218.75 ms.
    assert_eq!(
        rig.when_logged("(VI_1) Entering MASTER STATE"),
        Some(ms(1000) + us(218_750))
    );
}

#[test]
fn backup_lower_priority_exact_keepalived_waits_master_down_from_start() {
    let inst = vi_1().priority(200);
    let mut rig = Rig::new(RouterSettings::new(vec![inst]).exact_keepalived());
    for k in 0..3 {
        rig.rx_at(ms(500 + 1000 * k), "10.0.0.2", &advert_like(&vi_1(), 150));
    }
    rig.advance_to(ms(5000));
    // Never accepted: the init timer (3 s + 218.75 ms) runs out.
    assert_eq!(
        rig.when_logged("(VI_1) Entering MASTER STATE"),
        Some(us(3_218_750))
    );
}

#[test]
fn nopreempt_backup_accepts_lower_priority_master() {
    let mut rig = Rig::one(vi_1().priority(200).nopreempt());
    for k in 0..10 {
        rig.rx_at(ms(1000 * k), "10.0.0.2", &advert_like(&vi_1(), 150));
    }
    rig.advance_to(ms(9500));
    assert_eq!(rig.state("VI_1"), State::Backup);
    assert!(!rig.logs().iter().any(|l| l.contains("discarding")));
}

#[test]
fn preempt_delay_accepts_lower_master_until_the_delay_ran_out() {
    let mut rig = Rig::one(vi_1().priority(200).preempt_delay_cs(500));
    let lower = advert_like(&vi_1(), 150);
    for k in 0..12 {
        rig.rx_at(ms(1000 * k), "10.0.0.2", &lower);
    }
    // Delay started at 0 and ran out at 5 s (the advert at exactly 5 s is already
    // discarded); master-down (3 s + 218.75 ms) after the last accepted one at 4 s.
    rig.advance_to(ms(12_000));
    assert_eq!(
        rig.when_logged("(VI_1) Entering MASTER STATE"),
        Some(ms(4000) + us(3_218_750))
    );
    assert!(rig
        .all_logs()
        .contains(&"(VI_1) start preempt delay (5.00)".to_string()));
}

#[test]
fn preempt_delay_is_cancelled_by_a_higher_advert() {
    let mut rig = Rig::one(vi_1().priority(200).preempt_delay_cs(300));
    rig.rx_at(ms(0), "10.0.0.2", &advert_like(&vi_1(), 150));
    rig.rx_at(ms(1000), "10.0.0.3", &advert_like(&vi_1(), 220));
    rig.rx_at(ms(2000), "10.0.0.2", &advert_like(&vi_1(), 150));
    rig.rx_at(ms(3000), "10.0.0.2", &advert_like(&vi_1(), 150));
    rig.rx_at(ms(4000), "10.0.0.2", &advert_like(&vi_1(), 150));
    // Restarted at 2 s, so 4 s is still inside the delay: accepted.
    assert!(!rig.logs().iter().any(|l| l.contains("discarding")));
    rig.rx_at(ms(5000), "10.0.0.2", &advert_like(&vi_1(), 150));
    assert!(rig.logs().last().unwrap().contains("discarding"));
}

#[test]
fn v3_backup_learns_the_master_interval_and_reverts_as_master() {
    let mine = vi_1().v3(); // 100 cs
    let mut theirs = advert_like(&mine, 150);
    theirs.interval = 50;
    let mut rig = Rig::one(mine);
    rig.rx_at(ms(0), "10.0.0.2", &theirs);
    assert!(rig
        .all_logs()
        .contains(&"(VI_1) advertisement interval updated from 1000ms to 500ms by master".into()));
    assert_eq!(rig.router.snapshot().instances[0].master_adver_int.0, 50);
    // Master down = 3 × 0.5 + 156 × 0.5 / 256 = 1.8046875 s.
    rig.advance_to(ms(2000));
    assert_eq!(
        rig.when_logged("(VI_1) Entering MASTER STATE"),
        Some(us(1_804_687) + Duration::from_nanos(500))
    );
    assert_eq!(rig.router.snapshot().instances[0].master_adver_int.0, 100);
    // Own interval on the wire (100 cs).
    let adv = rig.out.iter().find_map(|t| match &t.action {
        Action::SendAdvert { bytes, .. } => Some(bytes.clone()),
        _ => None,
    });
    assert_eq!(&adv.unwrap()[4..6], &[0, 100]);
}

// ===== MASTER receiving (docs/keepalived-compat.md#state-machine) =====

#[test]
fn master_yields_to_higher_priority_without_priority_zero() {
    let mut rig = master_rig(vi_1());
    rig.rx_at(ms(4100), "10.0.0.2", &advert_like(&vi_1(), 160));
    assert_eq!(
        rig.logs(),
        vec![
            "(VI_1) Master received advert from 10.0.0.2 with higher priority 160, ours 100",
            "(VI_1) Entering BACKUP STATE"
        ]
    );
    assert_eq!(rig.count(is_del), 1);
    assert!(rig.sent_adverts().is_empty());
    let snap = rig.router.snapshot();
    assert_eq!(snap.instances[0].counters.release_master, 1);
    assert_eq!(
        snap.instances[0].master_addr,
        Some("10.0.0.2".parse().unwrap())
    );
    assert!(snap.instances[0].vips.is_empty());
}

#[test]
fn master_equal_priority_higher_address_wins() {
    let mut rig = master_rig(vi_1());
    rig.rx_at(ms(4100), "10.0.0.2", &advert_like(&vi_1(), 100));
    assert_eq!(
        rig.logs()[0],
        "(VI_1) Master received advert from 10.0.0.2 with same priority 100 but higher IP address than ours"
    );
    assert_eq!(rig.state("VI_1"), State::Backup);
}

#[test]
fn master_equal_priority_lower_address_forces_new_election() {
    let mut rig = master_rig(vi_1().src("10.0.0.5"));
    rig.rx_at(ms(4100), "10.0.0.2", &advert_like(&vi_1(), 100));
    assert_eq!(
        rig.logs(),
        vec!["(VI_1) Received advert from 10.0.0.2 with lower priority 100, ours 100, forcing new election"]
    );
    assert_eq!(rig.state("VI_1"), State::Master);
}

#[test]
fn master_hearing_lower_sends_advert_and_two_garp_bursts() {
    let mut rig = master_rig(vi_1().vip("10.0.0.101"));
    rig.rx_at(
        ms(4100),
        "10.0.0.2",
        &advert_like(&vi_1().vip("10.0.0.101"), 50),
    );
    assert_eq!(
        rig.sent_adverts(),
        vec![(ms(4100), "224.0.0.18".parse().unwrap(), 100)]
    );
    let garps = |rig: &Rig, from: Duration, to: Duration| {
        rig.out
            .iter()
            .filter(|t| is_garp(&t.action) && t.at >= from && t.at <= to)
            .count()
    };
    assert_eq!(garps(&rig, ms(4100), ms(4100)), 10); // 5 per VIP, interleaved
    assert!(rig.out.iter().any(|t| matches!(
        t.action,
        Action::Notify {
            event: NotifyEvent::MasterRxLowerPri,
            ..
        }
    )));
    rig.advance_to(ms(9200));
    assert_eq!(garps(&rig, ms(9100), ms(9100)), 10);
    // Interleaving: VIP1, VIP2, VIP1, ...
    let ips: Vec<IpAddr> = rig
        .out
        .iter()
        .filter_map(|t| match &t.action {
            Action::SendGarp { ip, .. } => Some(IpAddr::V4(*ip)),
            _ => None,
        })
        .take(3)
        .collect();
    assert_eq!(
        ips,
        ["10.0.0.100", "10.0.0.101", "10.0.0.100"].map(|s| s.parse::<IpAddr>().unwrap())
    );
    // The advert timer restarted a full interval after the answer.
    assert_eq!(rig.sent_adverts()[1].0, ms(5100));
}

#[test]
fn lower_prio_no_advert_only_logs_and_garps() {
    let mut inst = vi_1();
    inst.lower_prio_no_advert = true;
    let mut rig = master_rig(inst);
    rig.rx_at(ms(4100), "10.0.0.2", &advert_like(&vi_1(), 50));
    assert_eq!(
        rig.logs(),
        vec!["(VI_1) Received advert from 10.0.0.2 with lower priority 50, ours 100"]
    );
    assert!(rig.sent_adverts().is_empty());
    assert_eq!(rig.count(is_garp), 5);
}

#[test]
fn master_receiving_priority_zero_re_advertises_at_once() {
    let mut rig = master_rig(vi_1());
    rig.rx_at(ms(4100), "10.0.0.2", &advert_like(&vi_1(), 0));
    assert_eq!(
        rig.sent_adverts(),
        vec![(ms(4100), "224.0.0.18".parse().unwrap(), 100)]
    );
    assert_eq!(rig.state("VI_1"), State::Master);
}

#[test]
fn higher_prio_send_advert_answers_before_yielding() {
    let mut inst = vi_1();
    inst.higher_prio_send_advert = true;
    let mut rig = master_rig(inst);
    rig.rx_at(ms(4100), "10.0.0.2", &advert_like(&vi_1(), 200));
    assert_eq!(rig.sent_adverts().len(), 1);
    assert_eq!(rig.state("VI_1"), State::Backup);
}

#[test]
fn two_owners_reduce_local_priority_and_yield() {
    let owner = InstanceSettings::master("VI_1", 51)
        .priority(255)
        .vip("10.0.0.100");
    let mut rig = Rig::one(owner.clone());
    rig.clear();
    rig.rx_at(ms(500), "10.0.0.2", &advert_like(&owner, 255));
    assert_eq!(
        rig.logs(),
        vec![
            "(VI_1) CONFIGURATION ERROR: local instance and a remote instance are both configured as address owner, please fix - reducing local priority",
            "(VI_1) Master received advert from 10.0.0.2 with higher priority 255, ours 254",
            "(VI_1) Entering BACKUP STATE",
        ]
    );
    assert_eq!(rig.router.snapshot().instances[0].effective_priority, 254);
}

#[test]
fn equal_priority_from_our_own_address_warns() {
    let mut rig = master_rig(vi_1());
    rig.rx_at(ms(4100), "10.0.0.1", &advert_like(&vi_1(), 100));
    assert_eq!(
        rig.logs(),
        vec![
            "(VI_1) WARNING - equal priority advert received from remote host with our IP address."
        ]
    );
    assert_eq!(rig.state("VI_1"), State::Master);
}

// ===== receive validation (docs/keepalived-compat.md#receive-checks) =====

#[test]
fn vip_list_mismatch_is_dropped_and_counted() {
    let mut rig = Rig::one(vi_1());
    let other = InstanceSettings::backup("X", 51).vip("10.0.0.177");
    rig.rx_at(ms(1000), "10.0.0.2", &advert_like(&other, 200));
    assert_eq!(
        rig.logs().last().unwrap(),
        "(VI_1) ip address associated with VRID 51 not present in MASTER advert: 10.0.0.100"
    );
    let two = InstanceSettings::backup("X", 51)
        .vip("10.0.0.100")
        .vip("10.0.0.101");
    rig.rx_at(ms(1500), "10.0.0.2", &advert_like(&two, 200));
    assert_eq!(
        rig.logs().last().unwrap(),
        "(VI_1) received an unexpected ip number count 2, expected 1!"
    );
    let c = rig.router.snapshot().instances[0].counters.clone();
    assert_eq!((c.addr_list_err, c.advert_rcvd), (2, 1));
    // Dropped: we still become master on the start-up timer (dual master, docs/keepalived-compat.md#receive-checks).
    rig.advance_to(ms(4000));
    assert_eq!(rig.state("VI_1"), State::Master);
}

#[test]
fn skip_check_adv_addr_only_checks_a_new_sender() {
    let mut inst = vi_1();
    inst.skip_check_adv_addr = true;
    let mut rig = Rig::one(inst);
    rig.rx_at(ms(0), "10.0.0.2", &advert_like(&vi_1(), 150));
    let other = InstanceSettings::backup("X", 51).vip("10.0.0.177");
    rig.rx_at(ms(1000), "10.0.0.2", &advert_like(&other, 150));
    assert_eq!(rig.router.snapshot().instances[0].counters.addr_list_err, 0);
    rig.rx_at(ms(1500), "10.0.0.3", &advert_like(&other, 150));
    assert_eq!(rig.router.snapshot().instances[0].counters.addr_list_err, 1);
}

#[test]
fn v2_interval_mismatch_is_dropped_without_counter() {
    let mut rig = Rig::one(vi_1());
    let mut adv = advert_like(&vi_1(), 150);
    adv.interval = 2;
    rig.rx_at(ms(100), "10.0.0.2", &adv);
    assert_eq!(
        rig.logs().last().unwrap(),
        "(VI_1) advertisement interval mismatch mine=1 sec rcv'd=2 sec"
    );
    let c = rig.router.snapshot().instances[0].counters.clone();
    assert_eq!((c.advert_rcvd, c.advert_interval_err), (0, 0));
}

#[test]
fn authentication_errors_are_counted() {
    let mut rig = Rig::one(vi_1().auth_pass("secret12"));
    rig.rx_at(
        ms(100),
        "10.0.0.2",
        &advert_like(&vi_1().auth_pass("wrong"), 150),
    );
    assert_eq!(
        rig.logs().last().unwrap(),
        "(VI_1) received an invalid passwd!"
    );
    rig.rx_at(ms(200), "10.0.0.2", &advert_like(&vi_1(), 150));
    assert_eq!(
        rig.logs().last().unwrap(),
        "(VI_1) received a 0 auth, expecting 1!"
    );
    let mut bad = advert_like(&vi_1(), 150);
    bad.auth = vrrpd::wire::Auth::Unknown(7, [0; 8]);
    rig.rx_at(ms(300), "10.0.0.2", &bad);
    assert_eq!(rig.logs().last().unwrap(), "(VI_1) Invalid auth type: 7");
    rig.rx_at(
        ms(400),
        "10.0.0.2",
        &advert_like(&vi_1().auth_pass("secret12"), 150),
    );
    let c = rig.router.snapshot().instances[0].counters.clone();
    assert_eq!(
        (
            c.auth_failure,
            c.authtype_mismatch,
            c.invalid_authtype,
            c.advert_rcvd
        ),
        (1, 1, 1, 1)
    );
}

#[test]
fn multicast_ttl_version_type_and_checksum_errors() {
    let mut rig = Rig::one(vi_1());
    let good = advert_like(&vi_1(), 150);
    let (src, dst): (IpAddr, IpAddr) = ("10.0.0.2".parse().unwrap(), "224.0.0.18".parse().unwrap());
    rig.rx_to(ms(100), src, dst, 64, &good);
    assert_eq!(
        rig.logs().last().unwrap(),
        "(VI_1) invalid TTL/HL. Received 64 and expect 255"
    );
    let mut v3 = good.clone();
    v3.version = vrrpd::wire::Version::V3;
    v3.auth = vrrpd::wire::Auth::None;
    // keepalived 2.2.7 sizes the message by the received version, so a well-formed v3
    // advert passes the length check and fails the version check (observed in the lab).
    rig.rx_at(ms(200), "10.0.0.2", &v3);
    assert_eq!(
        rig.logs().last().unwrap(),
        "(VI_1) wrong version. Received 3 and expect 2"
    );
    let mut bytes = encode(&good, src, dst);
    bytes[0] = 0x31;
    rig.input_at(
        ms(300),
        Input::Packet {
            ifindex: 2,
            src,
            dst,
            ttl: 255,
            bytes: bytes.clone(),
        },
    );
    // The v2 layout with a v3 nibble is sized as v3: 8 bytes too long.
    assert_eq!(
        rig.logs().last().unwrap(),
        "(VI_1) vrrp packet too long, length 20 and expect 12"
    );
    bytes[0] = 0x22;
    rig.input_at(
        ms(400),
        Input::Packet {
            ifindex: 2,
            src,
            dst,
            ttl: 255,
            bytes: bytes.clone(),
        },
    );
    assert_eq!(
        rig.logs().last().unwrap(),
        "(VI_1) Invalid packet type. 2 and expect 1"
    );
    bytes[0] = 0x21;
    bytes[6] ^= 0xff;
    rig.input_at(
        ms(500),
        Input::Packet {
            ifindex: 2,
            src,
            dst,
            ttl: 255,
            bytes,
        },
    );
    assert_eq!(rig.logs().last().unwrap(), "(VI_1) Invalid VRRPv2 checksum");
    let c = rig.router.snapshot().instances[0].counters.clone();
    assert_eq!(
        (
            c.ip_ttl_err,
            c.packet_len_err,
            c.vers_err,
            c.invalid_type_rcvd,
            c.chk_err,
            c.advert_rcvd
        ),
        (1, 1, 1, 1, 1, 0)
    );
}

#[test]
fn short_and_unknown_packets_are_counted_globally() {
    let mut rig = Rig::one(vi_1());
    let (src, dst): (IpAddr, IpAddr) = ("10.0.0.2".parse().unwrap(), "224.0.0.18".parse().unwrap());
    rig.input_at(
        ms(1),
        Input::Packet {
            ifindex: 2,
            src,
            dst,
            ttl: 255,
            bytes: vec![0x21, 51, 1],
        },
    );
    let mut other = advert_like(&vi_1(), 100);
    other.vrid = 52;
    rig.rx_at(ms(2), "10.0.0.2", &other);
    let g = rig.router.snapshot().global;
    assert_eq!((g.packet_too_short, g.unknown_vrid), (1, 1));
    assert_eq!(
        rig.logs().last().unwrap(),
        "IPv4 VRRP packet too short - 3 bytes"
    );
}

// ===== unicast (docs/keepalived-compat.md#unicast-mode) =====

#[test]
fn unicast_sends_one_copy_per_peer_and_rejects_multicast() {
    let inst = vi_1().src("10.0.0.1").peer("10.0.0.2").peer("10.0.0.3");
    let mut rig = master_rig(inst.clone());
    rig.advance_to(ms(4700));
    let dsts: Vec<IpAddr> = rig.sent_adverts().iter().map(|a| a.1).collect();
    assert_eq!(
        dsts,
        ["10.0.0.2", "10.0.0.3"].map(|s| s.parse::<IpAddr>().unwrap())
    );
    assert_eq!(rig.router.snapshot().instances[0].counters.advert_sent, 2);
    rig.rx_at(ms(4800), "10.0.0.2", &advert_like(&inst, 200));
    assert_eq!(
        rig.logs().last().unwrap(),
        "(VI_1) Expected unicast packet but received multicast packet"
    );
    let (src, dst) = ("10.0.0.2".parse().unwrap(), "10.0.0.1".parse().unwrap());
    rig.rx_to(ms(4900), src, dst, 64, &advert_like(&inst, 200));
    assert_eq!(rig.state("VI_1"), State::Backup);
}

#[test]
fn unicast_v3_checksum_auto_switches_to_old_variant() {
    let inst = vi_1().v3().peer("10.0.0.2");
    let mut rig = Rig::one(inst.clone());
    let src: IpAddr = "10.0.0.2".parse().unwrap();
    // Old keepalived: pseudo-header destination = the multicast group.
    let bytes = encode(&advert_like(&inst, 150), src, "224.0.0.18".parse().unwrap());
    rig.input_at(
        ms(100),
        Input::Packet {
            ifindex: 2,
            src,
            dst: "10.0.0.1".parse().unwrap(),
            ttl: 255,
            bytes,
        },
    );
    assert_eq!(
        rig.logs().last().unwrap(),
        "(VI_1) Setting unicast VRRPv3 checksum to old version"
    );
    assert_eq!(rig.router.snapshot().instances[0].counters.advert_rcvd, 1);
}

#[test]
fn check_unicast_src_rejects_strangers() {
    let mut inst = vi_1().peer("10.0.0.2");
    inst.check_unicast_src = true;
    let mut rig = Rig::one(inst.clone());
    let (src, dst) = ("10.0.0.9".parse().unwrap(), "10.0.0.1".parse().unwrap());
    rig.rx_to(ms(100), src, dst, 255, &advert_like(&inst, 150));
    assert_eq!(
        rig.logs().last().unwrap(),
        "(VI_1) unicast source address 10.0.0.9 not a unicast peer"
    );
}

// ===== FAULT, trackers, addresses (docs/keepalived-compat.md#weights-and-effective-priority, docs/keepalived-compat.md#state-machine, docs/keepalived-compat.md#addresses-deleted-while-master) =====

#[test]
fn link_down_faults_a_master_with_priority_zero_and_link_up_returns_to_backup() {
    let mut rig = master_rig(vi_1());
    rig.input_at(
        ms(4100),
        Input::Link {
            ifname: "eth0".into(),
            up: false,
        },
    );
    assert_eq!(
        rig.logs(),
        vec!["Netlink reports eth0 down", "(VI_1) Entering FAULT STATE"]
    );
    assert_eq!(
        rig.sent_adverts(),
        vec![(ms(4100), "224.0.0.18".parse().unwrap(), 0)]
    );
    assert_eq!(rig.count(is_del), 1);
    assert_eq!(rig.router.poll_timeout(), None);
    rig.input_at(
        ms(6000),
        Input::Link {
            ifname: "eth0".into(),
            up: true,
        },
    );
    assert_eq!(rig.state("VI_1"), State::Backup);
    rig.advance_to(ms(9610));
    assert_eq!(rig.state("VI_1"), State::Master);
}

#[test]
fn dont_track_primary_ignores_link_down() {
    let mut inst = vi_1();
    inst.dont_track_primary = true;
    let mut rig = master_rig(inst);
    rig.input_at(
        ms(4100),
        Input::Link {
            ifname: "eth0".into(),
            up: false,
        },
    );
    assert_eq!(rig.state("VI_1"), State::Master);
}

#[test]
fn owner_leaving_fault_goes_straight_to_master() {
    let mut rig = Rig::one(
        InstanceSettings::master("VI_1", 51)
            .priority(255)
            .vip("10.0.0.100"),
    );
    rig.input_at(
        ms(100),
        Input::Link {
            ifname: "eth0".into(),
            up: false,
        },
    );
    rig.input_at(
        ms(200),
        Input::Link {
            ifname: "eth0".into(),
            up: true,
        },
    );
    assert_eq!(rig.state("VI_1"), State::Master);
}

#[test]
fn weighted_trackers_change_effective_priority_and_master_re_advertises() {
    let mut rig = master_rig(vi_1().priority(150));
    let track = |w| Input::Tracker {
        target: TrackTarget::Instance("VI_1".into()),
        id: "script:chk".into(),
        state: TrackerState::Weight(w),
    };
    rig.input_at(ms(5000), track(10));
    assert_eq!(
        rig.logs(),
        vec!["(VI_1) Changing effective priority from 150 to 160"]
    );
    // Periodic advert at 4.414 s, then the new priority at once (not at 5.414 s).
    let adverts = rig.sent_adverts();
    assert_eq!(
        adverts.last(),
        Some(&(ms(5000), "224.0.0.18".parse().unwrap(), 160))
    );
    assert_eq!(adverts.len(), 2);
    rig.input_at(ms(5100), track(200));
    assert_eq!(rig.router.snapshot().instances[0].effective_priority, 254);
    rig.input_at(ms(5200), track(-300));
    assert_eq!(rig.router.snapshot().instances[0].effective_priority, 1);
}

#[test]
fn owner_priority_is_not_changed_by_weights() {
    let mut rig = Rig::one(
        InstanceSettings::master("VI_1", 51)
            .priority(255)
            .vip("10.0.0.100"),
    );
    rig.input_at(
        ms(100),
        Input::Tracker {
            target: TrackTarget::Instance("VI_1".into()),
            id: "script:chk".into(),
            state: TrackerState::Weight(-50),
        },
    );
    assert_eq!(rig.router.snapshot().instances[0].effective_priority, 255);
}

#[test]
fn backup_priority_change_shifts_master_down_by_skew_difference() {
    let mut rig = Rig::one(vi_1());
    rig.input_at(
        ms(100),
        Input::Tracker {
            target: TrackTarget::Instance("VI_1".into()),
            id: "script:chk".into(),
            state: TrackerState::Weight(100),
        },
    );
    // skew(100) = 609.375 ms → skew(200) = 218.75 ms.
    assert_eq!(
        rig.router.poll_timeout(),
        Some(t0() + ms(3000) + us(218_750))
    );
}

#[test]
fn unweighted_tracker_failure_faults_and_recovery_returns_to_backup() {
    let mut rig = master_rig(vi_1());
    let track = |s| Input::Tracker {
        target: TrackTarget::Instance("VI_1".into()),
        id: "script:chk".into(),
        state: s,
    };
    rig.input_at(ms(4100), track(TrackerState::Down));
    assert_eq!(rig.state("VI_1"), State::Fault);
    assert_eq!(rig.router.snapshot().instances[0].counters.pri_zero_sent, 1);
    rig.input_at(ms(4200), track(TrackerState::Up));
    assert_eq!(rig.state("VI_1"), State::Backup);
}

#[test]
fn vip_deleted_externally_is_restored_without_leaving_master() {
    let mut rig = master_rig(vi_1());
    rig.input_at(
        ms(4100),
        Input::Addr {
            ifname: "eth0".into(),
            addr: "10.0.0.100".parse().unwrap(),
            prefix: 24,
            added: false,
        },
    );
    assert_eq!(rig.state("VI_1"), State::Master);
    assert_eq!(rig.count(is_add), 1);
    assert_eq!(rig.count(is_garp), 5);
    assert_eq!(
        rig.logs(),
        vec!["(VI_1) VIP 10.0.0.100 deleted externally on eth0 - restoring it (staying MASTER)"]
    );
}

#[test]
fn removing_the_source_address_faults() {
    let mut rig = master_rig(vi_1());
    let addr = |added| Input::Addr {
        ifname: "eth0".into(),
        addr: "10.0.0.1".parse().unwrap(),
        prefix: 24,
        added,
    };
    rig.input_at(ms(4100), addr(false));
    assert_eq!(rig.state("VI_1"), State::Fault);
    rig.input_at(ms(4200), addr(true));
    assert_eq!(rig.state("VI_1"), State::Backup);
}

// ===== stop (docs/keepalived-compat.md#shutdown) =====

#[test]
fn stop_sends_priority_zero_removes_vips_and_notifies() {
    let mut rig = master_rig(vi_1());
    rig.input_at(ms(4100), Input::Stop { release: true });
    assert_eq!(
        rig.sent_adverts(),
        vec![(ms(4100), "224.0.0.18".parse().unwrap(), 0)]
    );
    // Make-before-break (tests/proto/handover.rs): the VIPs go when a successor is heard.
    assert_eq!(rig.count(is_del), 0);
    rig.rx_at(ms(4150), "10.0.0.2", &advert_like(&vi_1(), 90));
    rig.advance_to(ms(4200));
    assert_eq!(rig.count(is_del), 1);
    assert!(rig.out.iter().any(|t| matches!(
        t.action,
        Action::Notify {
            event: NotifyEvent::Stop,
            priority: 100,
            ..
        }
    )));
    assert_eq!(rig.router.poll_timeout(), None);
    rig.input_at(
        ms(4200),
        Input::Link {
            ifname: "eth0".into(),
            up: false,
        },
    );
    assert_eq!(rig.state("VI_1"), State::Stopped);
}

/// `-V/--dont-release-vrrp` (docs/keepalived-compat.md#removing-addresses): a master stopped
/// without release sends no priority-0 advert and removes nothing; STOP still notifies.
#[test]
fn stop_without_release_keeps_vips_and_sends_nothing() {
    let mut rig = master_rig(vi_1());
    rig.input_at(ms(4100), Input::Stop { release: false });
    assert!(rig.sent_adverts().is_empty());
    assert_eq!(rig.count(is_del), 0);
    assert!(!rig
        .out
        .iter()
        .any(|t| matches!(t.action, Action::DelRoute { .. } | Action::DelRule { .. })));
    assert!(rig.out.iter().any(|t| matches!(
        t.action,
        Action::Notify {
            event: NotifyEvent::Stop,
            priority: 100,
            ..
        }
    )));
    assert_eq!(rig.state("VI_1"), State::Stopped);
    assert_eq!(rig.router.poll_timeout(), None);
}

#[test]
fn backup_stop_sends_no_advert() {
    let mut rig = Rig::one(vi_1());
    rig.input_at(ms(100), Input::Stop { release: true });
    assert!(rig.sent_adverts().is_empty());
}

// ===== IPv6 =====

#[test]
fn ipv6_instance_sends_v3_to_ff02_12_and_unsolicited_nas() {
    let inst = InstanceSettings::backup("VI_6", 61)
        .src("fe80::1")
        .vip("fe80::61/64");
    let mut rig = Rig::one(inst.clone());
    rig.advance_to(ms(4000));
    assert_eq!(
        rig.sent_adverts()[0].1,
        "ff02::12".parse::<IpAddr>().unwrap()
    );
    assert_eq!(rig.count(|a| matches!(a, Action::SendNa { .. })), 5);
    rig.rx_at(ms(4100), "fe80::2", &advert_like(&inst, 200));
    assert_eq!(rig.state("VI_6"), State::Backup);
}

// ===== sync groups (docs/keepalived-compat.md#sync-groups) =====

fn group_rig() -> Rig {
    let a = InstanceSettings::backup("VI_A", 1).vip("10.0.0.100");
    let b = InstanceSettings::backup("VI_B", 2)
        .priority(200)
        .vip("10.0.1.100");
    Rig::new(RouterSettings::new(vec![a, b]).group("G1", &["VI_A", "VI_B"]))
}

#[test]
fn sync_group_members_become_master_together() {
    let mut rig = group_rig();
    rig.advance_to(ms(4000));
    // VI_B (prio 200) expires first but waits for VI_A; both go MASTER at VI_A's expiry.
    let a = rig.when_logged("(VI_A) Entering MASTER STATE").unwrap();
    let b = rig.when_logged("(VI_B) Entering MASTER STATE").unwrap();
    assert_eq!(a, us(3_609_375));
    assert_eq!(a, b);
    assert!(rig
        .logs()
        .contains(&"VRRP_Group(G1) Syncing instances to MASTER state".into()));
    assert!(rig.out.iter().any(|t| t.action
        == Action::Notify {
            target: NotifyTarget::Group("G1".into()),
            event: NotifyEvent::Master,
            priority: 0
        }));
}

#[test]
fn sync_group_member_yielding_takes_the_group_to_backup() {
    let mut rig = group_rig();
    rig.advance_to(ms(4000));
    rig.clear();
    let a = InstanceSettings::backup("VI_A", 1).vip("10.0.0.100");
    rig.rx_at(ms(4100), "10.0.0.2", &advert_like(&a, 250));
    assert_eq!(rig.state("VI_A"), State::Backup);
    assert_eq!(rig.state("VI_B"), State::Backup);
    assert!(rig
        .logs()
        .contains(&"VRRP_Group(G1) Syncing instances to BACKUP state".into()));
}

#[test]
fn sync_group_fault_propagates_and_recovers_together() {
    let mut rig = group_rig();
    rig.advance_to(ms(4000));
    rig.clear();
    rig.input_at(
        ms(4100),
        Input::Tracker {
            target: TrackTarget::Instance("VI_A".into()),
            id: "interface:eth1".into(),
            state: TrackerState::Down,
        },
    );
    assert_eq!(
        rig.logs(),
        vec![
            "(VI_A) Entering FAULT STATE",
            "VRRP_Group(G1) Syncing instances to FAULT state",
            "(VI_B) Entering FAULT STATE"
        ]
    );
    assert_eq!(rig.sent_adverts().iter().filter(|a| a.2 == 0).count(), 2);
    rig.input_at(
        ms(4200),
        Input::Tracker {
            target: TrackTarget::Instance("VI_A".into()),
            id: "interface:eth1".into(),
            state: TrackerState::Up,
        },
    );
    assert_eq!(rig.state("VI_A"), State::Backup);
    assert_eq!(rig.state("VI_B"), State::Backup);
}

// ===== general properties =====

#[test]
fn poll_timeout_is_never_in_the_past() {
    let mut rig = Rig::one(vi_1());
    for k in 0..50u64 {
        let t = ms(k * 137);
        rig.advance_to(t);
        if let Some(d) = rig.router.poll_timeout() {
            assert!(d >= rig.now);
        }
        if k % 7 == 0 {
            rig.rx_at(t, "10.0.0.2", &advert_like(&vi_1(), (k * 5 % 256) as u8));
        }
    }
}

#[test]
fn inputs_and_actions_round_trip_through_json() {
    let input = Input::Packet {
        ifindex: 2,
        src: "10.0.0.2".parse().unwrap(),
        dst: "224.0.0.18".parse().unwrap(),
        ttl: 255,
        bytes: vec![0x21, 0x33],
    };
    let text = serde_json::to_string(&input).unwrap();
    assert!(text.contains("\"2133\""));
    assert_eq!(serde_json::from_str::<Input>(&text).unwrap(), input);
    let rig = master_rig(vi_1());
    let snap = serde_json::to_string(&rig.router.snapshot()).unwrap();
    assert!(snap.contains("\"advert_sent\""));
}

#[test]
fn interface_down_at_start_means_fault_init_until_link_up() {
    let mut settings = RouterSettings::new(vec![vi_1()]);
    settings.down_interfaces = vec!["eth0".into()];
    let mut rig = Rig::new(settings);
    assert_eq!(
        rig.logs(),
        vec![
            "(VI_1): entering FAULT state (interface eth0 down)",
            "(VI_1) entering FAULT state"
        ]
    );
    assert_eq!(rig.router.poll_timeout(), None);
    rig.input_at(
        ms(1000),
        Input::Link {
            ifname: "eth0".into(),
            up: true,
        },
    );
    assert_eq!(rig.state("VI_1"), State::Backup);
    rig.advance_to(ms(4610));
    assert_eq!(rig.state("VI_1"), State::Master);
}

#[test]
fn absurd_settings_are_clamped_instead_of_looping() {
    let mut inst = vi_1().v3().advert_cs(0);
    inst.garp.master_repeat = u32::MAX;
    inst.garp.master_refresh = vrrpd::proto::Centisecs(u32::MAX);
    inst.down_timer_adverts = 0;
    let mut rig = Rig::one(inst);
    rig.advance_to(ms(100));
    assert_eq!(rig.state("VI_1"), State::Master);
    assert_eq!(rig.count(is_garp), 255);
    let mut big = vi_1().v3().advert_cs(u32::MAX);
    big.preempt_delay = vrrpd::proto::Centisecs(u32::MAX);
    let mut rig = Rig::one(big);
    rig.advance_to(Duration::from_secs(60));
    assert_eq!(rig.state("VI_1"), State::Backup);
}

// ===== advert cadence under a late timer (found by the namespace lab) =====

/// A real shell wakes up after the deadline (tokio rounds sleeps up to the next millisecond).
/// The master re-arms from the deadline, so adverts stay on the `advert_int` grid instead of
/// drifting by the lateness every period; after a long stall it restarts from now (no burst).
#[test]
fn master_advert_cadence_does_not_drift_when_woken_late() {
    let v3 = InstanceSettings::backup("VI_1", 51)
        .priority(100)
        .vip("10.0.0.100/24")
        .v3()
        .advert_cs(10);
    let mut rig = Rig::one(v3);
    rig.advance_to(ms(2000));
    assert_eq!(rig.state("VI_1"), State::Master);
    rig.clear();
    let mut wakeups = Vec::new();
    for _ in 0..50 {
        let due = rig.router.poll_timeout().expect("advert timer armed");
        // Wake up 1.5 ms late, as tokio does.
        let late = due + us(1500);
        rig.now = late;
        rig.router.handle_timeout(late);
        rig.drain();
        wakeups.push(due - t0());
    }
    let steps: Vec<Duration> = wakeups.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        steps.iter().all(|s| *s == ms(100)),
        "deadlines must stay 100 ms apart: {steps:?}"
    );
    // A stall longer than an interval: the next deadline is a full interval after the late
    // wake-up, never in the past and never a burst.
    let due = rig.router.poll_timeout().expect("armed");
    let stalled = due + ms(350);
    rig.now = stalled;
    rig.router.handle_timeout(stalled);
    rig.drain();
    assert_eq!(rig.router.poll_timeout(), Some(stalled + ms(100)));
}
