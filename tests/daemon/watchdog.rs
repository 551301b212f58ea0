//! systemd's watchdog and `STATUS=` from the running daemon (issue 10, "systemd"): with
//! `WATCHDOG_USEC` set, the test `NOTIFY_SOCKET` receives `WATCHDOG=1` from the main loop every
//! half interval; `STATUS=` names each instance's state and priority, follows a failover, and
//! says when the last reload failed. A `WATCHDOG_PID` naming another process turns the pings
//! off (systemd's rule: the variables were meant for someone else). Needs root.

use crate::common;

use std::time::{Duration, Instant};

use common::lab::{config, tag, Daemon, Instance, Lab};
use nix::sys::signal::Signal;

const VIP: &str = "10.0.0.100/24 dev eth0";

/// Reads router i's notifications for `window`.
fn listen(lab: &mut Lab, i: usize, window: Duration) {
    let end = Instant::now() + window;
    while Instant::now() < end {
        let _ = lab.recv_note(i, Duration::from_millis(20));
    }
}

fn pings(lab: &Lab, i: usize) -> usize {
    lab.proc(i)
        .notes
        .iter()
        .filter(|m| m.lines().any(|l| l == "WATCHDOG=1"))
        .count()
}

/// The `STATUS=` lines router i sent so far, oldest first.
fn statuses(lab: &Lab, i: usize) -> Vec<String> {
    lab.proc(i)
        .notes
        .iter()
        .flat_map(|m| m.lines())
        .filter_map(|l| l.strip_prefix("STATUS="))
        .map(str::to_string)
        .collect()
}

/// Waits until router i's latest `STATUS=` is `want`.
fn wait_status(lab: &mut Lab, i: usize, want: &str, timeout: Duration) {
    let end = Instant::now() + timeout;
    loop {
        if statuses(lab, i).last().is_some_and(|s| s == want) {
            return;
        }
        assert!(
            Instant::now() < end,
            "router {i}: no STATUS={want} within {timeout:?}; got {:?}\n{}",
            statuses(lab, i),
            lab.log(i)
        );
        let _ = lab.recv_note(i, Duration::from_millis(50));
    }
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn watchdog_pings_and_status_follow_a_failover() {
    let mut lab = Lab::new(&tag("watchdog_status", "v"), 3);
    let watchdog = [("WATCHDOG_USEC", "400000")];
    for (i, prio) in [(0, 150), (1, 100)] {
        let conf = config(
            &format!("r{i}"),
            &[Instance::v3("VI_1", 51, prio, "0.2").vip(VIP)],
        );
        lab.start_env(i, Daemon::Vrrpd, &conf, &[], &watchdog);
    }
    // Router 2: the watchdog variables name another process (pid 1): no pings.
    let other = config(
        "r2",
        &[Instance::v3("VI_2", 52, 100, "0.2").vip("10.0.0.200/24 dev eth0")],
    );
    let not_ours = [("WATCHDOG_USEC", "400000"), ("WATCHDOG_PID", "1")];
    lab.start_env(2, Daemon::Vrrpd, &other, &[], &not_ours);
    for i in 0..3 {
        lab.wait_ready(i, Duration::from_secs(10));
    }
    lab.wait_holders("10.0.0.100", &[0], Duration::from_secs(10));
    wait_status(&mut lab, 0, "VI_1 MASTER prio 150", Duration::from_secs(5));
    wait_status(&mut lab, 1, "VI_1 BACKUP prio 100", Duration::from_secs(5));

    // Cadence: one ping per 200 ms (half of WATCHDOG_USEC), about 15 in 3 s; generous
    // bounds, as the test machine is shared.
    let before = pings(&lab, 0);
    listen(&mut lab, 0, Duration::from_secs(3));
    let seen = pings(&lab, 0) - before;
    assert!(
        (8..=25).contains(&seen),
        "{seen} WATCHDOG=1 in 3 s, expected about 15"
    );
    listen(&mut lab, 2, Duration::from_millis(500));
    assert_eq!(pings(&lab, 2), 0, "WATCHDOG_PID names another process");
    assert!(
        pings(&lab, 1) > 0 || {
            listen(&mut lab, 1, Duration::from_millis(500));
            pings(&lab, 1) > 0
        }
    );

    // Failover: the master stops (priority 0), the backup's STATUS= says MASTER.
    lab.signal(0, Signal::SIGTERM);
    wait_status(&mut lab, 1, "VI_1 MASTER prio 100", Duration::from_secs(5));

    // A reload that fails is said in STATUS= (the old configuration keeps running).
    let broken = config("r1", &[Instance::v3("VI_1", 51, 100, "0.2").vip(VIP)])
        .replace("priority 100", "priority 300");
    lab.write_conf(1, &broken);
    lab.signal(1, Signal::SIGHUP);
    wait_status(
        &mut lab,
        1,
        "VI_1 MASTER prio 100; last reload failed",
        Duration::from_secs(5),
    );
    // Still pinging after all this.
    let before = pings(&lab, 1);
    listen(&mut lab, 1, Duration::from_secs(1));
    assert!(pings(&lab, 1) > before, "pings stopped after the reload");
}
