//! SIGHUP reloads on a running pair (docs/keepalived-compat.md#reload):
//!
//! * an unchanged file: zero transitions on the master and the backup, VIPs untouched (no
//!   address event at all in `ip monitor address` during the reload);
//! * a broken file (vrrpd only: keepalived has no such guarantee): the old configuration keeps
//!   running, the VIP stays, the diagnostics are logged;
//! * a file adding a VIP: only that VIP is added, nothing is removed, no transition;
//! * a file removing a VIP: only that VIP is removed, no transition;
//! * the backup's priority raised above the master's: it takes over (the change takes effect
//!   without a restart);
//! * 100 `vrrp_script` blocks nothing tracks: each is warned about at start and at every
//!   reload (`Warning - script X is not used`, vrrpd from a background thread past 64
//!   warnings) and none ever runs.
//!
//! The unchanged and added-VIP cases also run against keepalived, which behaves so (docs/keepalived-compat.md#reload:
//! instances matched by VRID/interface keep their state and addresses). Needs root and
//! keepalived; fails loudly without them.

use crate::common;

use std::time::Duration;

use common::lab::{config, Daemon, Instance, Lab};
use nix::sys::signal::Signal;

const VIP: &str = "10.0.0.100";
const VIP2: &str = "10.0.0.101";

both!(
    unchanged_file,
    adding_a_vip,
    removing_a_vip,
    raising_the_backup_priority,
    sighup_burst,
    removing_the_master_instance,
    master_changes_advert_int,
    unused_scripts_are_warned_about_and_never_run
);

fn pair(vips: &[&str]) -> [Instance; 2] {
    let mk = |prio| {
        vips.iter()
            .fold(Instance::v3("VI_1", 51, prio, "0.2"), |i, v| {
                i.vip(&format!("{v}/24 dev eth0 label eth0:1"))
            })
    };
    [mk(150), mk(100)]
}

/// SIGHUP to router i only; waits for its `Reload complete`.
fn reload_one(lab: &mut Lab, i: usize) {
    let n = lab.log(i).matches("Reload complete").count();
    lab.signal(i, Signal::SIGHUP);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while lab.log(i).matches("Reload complete").count() <= n {
        lab.assert_running(i, "reloading");
        assert!(std::time::Instant::now() < deadline, "{}", lab.log(i));
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn start_pair(d: Daemon, tag: &str, inst: &[Instance; 2]) -> Lab {
    let mut lab = Lab::new(tag, 2);
    lab.start(0, d, &config("r0", &[inst[0].clone()]));
    lab.start(1, d, &config("r1", &[inst[1].clone()]));
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    // Let the start-up GARP bursts and transitions settle.
    std::thread::sleep(Duration::from_millis(500));
    lab
}

fn transitions(lab: &Lab, i: usize) -> usize {
    lab.log(i).matches("Entering").count()
}

/// SIGHUP to both routers, then waits until each has finished reloading: `Reload complete`
/// in its log, and for vrrpd also `RELOADING=1` then `READY=1` on its NOTIFY_SOCKET.
fn reload_both(lab: &mut Lab, d: Daemon) {
    let before: Vec<usize> = (0..2)
        .map(|i| lab.log(i).matches("Reload complete").count())
        .collect();
    lab.signal(0, Signal::SIGHUP);
    lab.signal(1, Signal::SIGHUP);
    for (i, n) in before.into_iter().enumerate() {
        if d == Daemon::Vrrpd {
            let notes = lab.wait_note(i, "READY=1", Duration::from_secs(5));
            assert!(
                notes.iter().any(|m| m.lines().any(|l| l == "RELOADING=1")),
                "RELOADING=1 before READY=1: {notes:?}"
            );
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while lab.log(i).matches("Reload complete").count() <= n {
            lab.assert_running(i, "reloading");
            assert!(
                std::time::Instant::now() < deadline,
                "router {i}: no `Reload complete`\n{}",
                lab.log(i)
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Address events about `vip` in an `ip monitor address` transcript.
fn events_about<'a>(monitor: &'a str, vip: &str) -> Vec<&'a str> {
    monitor
        .lines()
        .filter(|l| l.contains(&format!("inet {vip}/")))
        .collect()
}

fn unchanged_file(d: Daemon, tag: &str) {
    let inst = pair(&[VIP]);
    let mut lab = start_pair(d, tag, &inst);
    let before = [transitions(&lab, 0), transitions(&lab, 1)];
    let mon = [
        lab.monitor_addresses(0, "mon0"),
        lab.monitor_addresses(1, "mon1"),
    ];

    reload_both(&mut lab, d);
    // Several adverts after the reload.
    std::thread::sleep(Duration::from_millis(1200));

    assert_eq!(
        [transitions(&lab, 0), transitions(&lab, 1)],
        before,
        "no state transition after reloading an unchanged file\n{}",
        lab.all_logs()
    );
    assert_eq!(lab.holders(VIP), vec![0]);
    let [m0, m1] = mon;
    let (t0, t1) = (m0.text(), m1.text());
    assert!(
        events_about(&t0, VIP).is_empty() && events_about(&t1, VIP).is_empty(),
        "the VIP flapped during the reload:\nmaster: {t0}\nbackup: {t1}"
    );
}

fn adding_a_vip(d: Daemon, tag: &str) {
    let mut lab = start_pair(d, tag, &pair(&[VIP]));
    let before = [transitions(&lab, 0), transitions(&lab, 1)];
    let mon = lab.monitor_addresses(0, "mon0");

    // Both nodes get the new file (peers with different VIP sets reject each other's adverts).
    let new = pair(&[VIP, VIP2]);
    lab.write_conf(0, &config("r0", &[new[0].clone()]));
    lab.write_conf(1, &config("r1", &[new[1].clone()]));
    reload_both(&mut lab, d);
    lab.wait_holders(VIP2, &[0], Duration::from_secs(3));
    std::thread::sleep(Duration::from_millis(1200));

    assert_eq!(lab.holders(VIP), vec![0]);
    assert_eq!(lab.holders(VIP2), vec![0]);
    assert_eq!(
        [transitions(&lab, 0), transitions(&lab, 1)],
        before,
        "no state transition when a VIP is added\n{}",
        lab.all_logs()
    );
    let text = mon.text();
    assert!(
        events_about(&text, VIP).is_empty(),
        "the existing VIP was touched:\n{text}"
    );
    let added = events_about(&text, VIP2);
    assert!(
        !added.is_empty() && added.iter().all(|l| !l.starts_with("Deleted")),
        "the new VIP is only added:\n{text}"
    );
}

/// vrrpd only: a reload with a broken file keeps the running configuration.
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn broken_file_keeps_the_old_config() {
    let d = Daemon::Vrrpd;
    let inst = pair(&[VIP]);
    let mut lab = start_pair(d, "brokenv", &inst);
    let before = [transitions(&lab, 0), transitions(&lab, 1)];
    let log_len = lab.log(0).len();
    let mon = lab.monitor_addresses(0, "mon0");

    let broken = config("r0", &[inst[0].clone()]).replace("priority 150", "priority 300");
    lab.write_conf(0, &broken);
    lab.signal(0, Signal::SIGHUP);
    let notes = lab.wait_note(0, "READY=1", Duration::from_secs(5));
    assert!(
        notes.iter().any(|m| m.lines().any(|l| l == "RELOADING=1")),
        "{notes:?}"
    );
    std::thread::sleep(Duration::from_millis(1200));

    lab.assert_running(0, "after a reload with a broken file");
    let log = lab.log(0);
    let after = log.get(log_len..).unwrap_or_default();
    assert!(
        after.contains("300"),
        "the diagnostic about `priority 300` is logged:\n{after}"
    );
    assert_eq!(lab.holders(VIP), vec![0], "the VIP stays on the master");
    assert_eq!([transitions(&lab, 0), transitions(&lab, 1)], before);
    let text = mon.text();
    assert!(events_about(&text, VIP).is_empty(), "{text}");
}

fn removing_a_vip(d: Daemon, tag: &str) {
    let mut lab = start_pair(d, tag, &pair(&[VIP, VIP2]));
    assert_eq!(lab.holders(VIP2), vec![0]);
    let before = [transitions(&lab, 0), transitions(&lab, 1)];
    let mon = lab.monitor_addresses(0, "mon0");

    let new = pair(&[VIP]);
    lab.write_conf(0, &config("r0", &[new[0].clone()]));
    lab.write_conf(1, &config("r1", &[new[1].clone()]));
    reload_both(&mut lab, d);
    lab.wait_holders(VIP2, &[], Duration::from_secs(3));
    std::thread::sleep(Duration::from_millis(1200));

    assert_eq!(lab.holders(VIP), vec![0]);
    assert_eq!(
        [transitions(&lab, 0), transitions(&lab, 1)],
        before,
        "no state transition when a VIP is removed\n{}",
        lab.all_logs()
    );
    let text = mon.text();
    assert!(
        events_about(&text, VIP).is_empty(),
        "the remaining VIP was touched:\n{text}"
    );
    let removed = events_about(&text, VIP2);
    assert!(
        !removed.is_empty() && removed.iter().all(|l| l.starts_with("Deleted")),
        "the VIP is only removed:\n{text}"
    );
}

fn raising_the_backup_priority(d: Daemon, tag: &str) {
    let inst = pair(&[VIP]);
    let mut lab = start_pair(d, tag, &inst);
    let mut up = inst[1].clone();
    up.priority = 200;
    lab.write_conf(1, &config("r1", &[up.clone()]));
    reload_one(&mut lab, 1);
    // It preempts at the latest one master-down interval after the reload.
    lab.wait_holders(VIP, &[1], up.master_down() + Duration::from_secs(1));
    let log0 = lab.log(0);
    assert!(
        log0.lines()
            .rfind(|l| l.contains("Entering"))
            .is_some_and(|l| l.contains("BACKUP")),
        "r0 went back to BACKUP\n{log0}"
    );
}

/// Five SIGHUPs 50 ms apart to the master and the backup: they survive, no transition, the VIP
/// stays where it is.
fn sighup_burst(d: Daemon, tag: &str) {
    let mut lab = start_pair(d, tag, &pair(&[VIP]));
    let before = [transitions(&lab, 0), transitions(&lab, 1)];
    for _ in 0..5 {
        lab.signal(0, Signal::SIGHUP);
        lab.signal(1, Signal::SIGHUP);
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(1500));
    lab.assert_running(0, "after five SIGHUPs");
    lab.assert_running(1, "after five SIGHUPs");
    assert_eq!(lab.holders(VIP), vec![0]);
    assert_eq!(
        [transitions(&lab, 0), transitions(&lab, 1)],
        before,
        "{}",
        lab.all_logs()
    );
}

/// docs/keepalived-compat.md#reload: an instance removed from the master's file at a reload is released like a stop
/// (priority 0, VIP removed), so the backup takes over within its skew time; the daemon keeps
/// running the rest (here a second instance, which stays MASTER).
fn removing_the_master_instance(d: Daemon, tag: &str) {
    let other = |p| Instance::v3("VI_2", 52, p, "0.2").vip("10.0.0.102/24 dev eth0");
    let inst = pair(&[VIP]);
    let mut lab = Lab::new(tag, 2);
    lab.start(0, d, &config("r0", &[inst[0].clone(), other(150)]));
    lab.start(1, d, &config("r1", &[inst[1].clone(), other(100)]));
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    lab.wait_holders("10.0.0.102", &[0], Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(500));

    lab.write_conf(0, &config("r0", &[other(150)]));
    let t0 = std::time::Instant::now();
    reload_one(&mut lab, 0);
    lab.wait_holders(VIP, &[1], Duration::from_secs(3));
    let skew = inst[1].skew();
    assert!(
        t0.elapsed() <= skew + Duration::from_millis(400),
        "takeover {:?} after the reload, skew {skew:?}",
        t0.elapsed()
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(lab.holders("10.0.0.102"), vec![0], "VI_2 stays on r0");
    lab.assert_running(0, "after the reload");
}

/// VRRPv3 (docs/keepalived-compat.md#timers-and-start-up): the master's advert_int changed from 0.2 to 0.5 s by a reload on the master
/// only; the backup adopts the interval carried in the adverts and does not take over.
fn master_changes_advert_int(d: Daemon, tag: &str) {
    let inst = pair(&[VIP]);
    let mut lab = start_pair(d, tag, &inst);
    let before = [transitions(&lab, 0), transitions(&lab, 1)];
    let mut slow = inst[0].clone();
    slow.advert_int = "0.5".into();
    lab.write_conf(0, &config("r0", &[slow]));
    reload_one(&mut lab, 0);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(lab.holders(VIP), vec![0]);
    assert_eq!(
        [transitions(&lab, 0), transitions(&lab, 1)],
        before,
        "{}",
        lab.all_logs()
    );
}

/// docs/keepalived-compat.md#vrrp_script-keywords: a script nothing tracks is dropped after
/// its warning. 100 of them take vrrpd past its 64 in-order warnings, so they are logged by
/// the background thread at start (README "Differences") and by the loader at a reload.
fn unused_scripts_are_warned_about_and_never_run(d: Daemon, tag: &str) {
    const UNUSED: usize = 100;
    let inst = pair(&[VIP]);
    let mut lab = Lab::new(tag, 2);
    let ran = lab.dir.join("unused-script-ran");
    let mut text = config("r0", &[inst[0].clone()]);
    for k in 0..UNUSED {
        text.push_str(&format!(
            "vrrp_script chk_unused_{k} {{\n    script \"/usr/bin/touch {}\"\n    interval 1\n}}\n",
            ran.display()
        ));
    }
    lab.start(0, d, &text);
    lab.start(1, d, &config("r1", &[inst[1].clone()]));
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    let warned = |lab: &Lab| {
        (0..UNUSED)
            .filter(|k| {
                lab.log(0)
                    .contains(&format!("Warning - script chk_unused_{k} is not used"))
            })
            .count()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while warned(&lab) < UNUSED && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(warned(&lab), UNUSED, "{}", lab.log(0));
    let at_start = lab.log(0).matches("is not used").count();
    reload_one(&mut lab, 0);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while lab.log(0).matches("is not used").count() < 2 * at_start
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        lab.log(0).matches("is not used").count(),
        2 * at_start,
        "every warning again at the reload"
    );
    // Scripts run every second when they run at all.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!ran.exists(), "an unused script ran");
    assert_eq!(lab.holders(VIP), vec![0]);
}
