//! Notify hooks and sync groups under the daemon (docs/keepalived-compat.md#running-scripts,
//! docs/keepalived-compat.md#notifications, docs/keepalived-compat.md#trackers-in-sync-groups, docs/keepalived-compat.md#sync-groups): a notify script sees every transition in order while the instance flaps,
//! and a sync group of two instances moves together when one member's tracked script fails.
//! Needs root.

use crate::common;

use std::time::Duration;

use common::lab::{config, tag, Daemon, Instance, Lab};
use common::track::{script_block, wait_until, with_prelude, write_script};

/// The states of the `(VI_1) Entering X STATE` lines of a vrrpd log, in order.
fn entered(log: &str, inst: &str) -> Vec<String> {
    let head = format!("({inst}) Entering ");
    log.lines()
        .filter_map(|l| {
            let rest = &l[l.find(&head)? + head.len()..];
            Some(rest.split_whitespace().next()?.to_string())
        })
        .collect()
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn a_notify_script_sees_every_transition_in_order_under_rapid_flapping() {
    let mut lab = Lab::new(&tag("flap", "h"), 1);
    let ns = lab.ns(0).to_string();
    // A tracked veth pair inside the router (no dummy module here).
    lab.ip(
        &ns,
        &[
            "link", "add", "dum0", "type", "veth", "peer", "name", "dum1",
        ],
    );
    lab.ip(&ns, &["link", "set", "dum1", "up"]);
    lab.ip(&ns, &["link", "set", "dum0", "up"]);
    let out = lab.dir.join("transitions");
    // Slow on purpose (50 ms per run): transitions queue up behind it.
    let notify = write_script(
        &lab,
        "notify.sh",
        &format!("echo \"$@\" >> {}\nsleep 0.05", out.display()),
    );
    let inst = Instance::v3("VI_1", 51, 150, "0.1")
        .vip("10.0.0.100/24")
        .extra("track_interface {\n        dum0\n    }")
        .extra(&format!("notify {}", notify.display()));
    lab.start_ready(0, Daemon::Vrrpd, &config("r0", &[inst]));
    // Flap: sometimes long enough to become MASTER, sometimes not.
    for k in 0..20u64 {
        lab.ip(&ns, &["link", "set", "dum0", "down"]);
        std::thread::sleep(Duration::from_millis(30 + (k * 37) % 90));
        lab.ip(&ns, &["link", "set", "dum0", "up"]);
        std::thread::sleep(Duration::from_millis(60 + (k * 53) % 400));
    }
    std::thread::sleep(Duration::from_secs(1));
    assert!(lab.stop(0).is_some_and(|s| s.success()));
    let log = std::fs::read_to_string(lab.dir.join("r0.vrrpd.1.log")).unwrap_or_default();
    let want = entered(&log, "VI_1");
    assert!(
        want.iter().filter(|s| *s == "FAULT").count() >= 10 && want.iter().any(|s| s == "MASTER"),
        "the instance flapped: {want:?}"
    );
    let lines = std::fs::read_to_string(&out).unwrap();
    let got: Vec<String> = lines
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(f.get(..2), Some(&["INSTANCE", "VI_1"][..]), "{l}");
            f.get(2).unwrap_or(&"").to_string()
        })
        .collect();
    // Every transition, in order, then STOP (the stop sequence waits for it).
    assert_eq!(got.last().map(String::as_str), Some("STOP"), "{got:?}");
    assert_eq!(got[..got.len() - 1], want[..], "notify lines vs log");
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn a_sync_group_moves_together_when_one_members_script_fails() {
    let mut lab = Lab::new(&tag("syncgrp", "h"), 2);
    let ok = lab.dir.join("ok");
    std::fs::write(&ok, "").unwrap();
    let gnotify = lab.dir.join("group");
    let gscript = write_script(
        &lab,
        "group.sh",
        &format!("echo \"$@\" >> {}", gnotify.display()),
    );
    for i in 0..2 {
        let prio = [150, 100][i];
        let a = Instance::v2("VI_1", 51, prio).vip("10.0.0.100/24");
        let b = Instance::v2("VI_2", 52, prio).vip("10.0.0.101/24");
        // Only r0's VI_1 tracks the script (weight 0: FAULT when it fails).
        let a = if i == 0 {
            a.extra("track_script {\n        chk_ok weight 0\n    }")
        } else {
            a
        };
        let mut prelude = format!(
            "vrrp_sync_group G {{\n    group {{\n        VI_1\n        VI_2\n    }}\n    notify {}\n}}\n\n",
            gscript.display()
        );
        prelude.push_str(&script_block(
            "chk_ok",
            &format!("/usr/bin/test -e {}", ok.display()),
            1,
            1,
            1,
            0,
        ));
        lab.start_ready(
            i,
            Daemon::Vrrpd,
            &with_prelude(&config(&format!("r{i}"), &[a, b]), &prelude),
        );
    }
    lab.wait_holders("10.0.0.100", &[0], Duration::from_secs(10));
    lab.wait_holders("10.0.0.101", &[0], Duration::from_secs(5));
    std::fs::remove_file(&ok).unwrap();
    lab.wait_holders("10.0.0.100", &[1], Duration::from_secs(8));
    lab.wait_holders("10.0.0.101", &[1], Duration::from_secs(3));
    let log0 = lab.log(0);
    assert!(log0.contains("(VI_1) Entering FAULT STATE"), "{log0}");
    assert!(log0.contains("(VI_2) Entering FAULT STATE"), "{log0}");
    wait_until(
        "the group notify saw FAULT on r0",
        Duration::from_secs(3),
        || {
            std::fs::read_to_string(&gnotify)
                .unwrap_or_default()
                .contains("GROUP G FAULT 0")
        },
    );
    std::fs::write(&ok, "").unwrap();
    lab.wait_holders("10.0.0.100", &[0], Duration::from_secs(8));
    lab.wait_holders("10.0.0.101", &[0], Duration::from_secs(3));
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn notify_fifo_lines_and_a_hanging_notify_stop_killed_after_a_second() {
    let mut lab = Lab::new(&tag("fifostop", "h"), 1);
    let fifo = lab.dir.join("notify.fifo");
    let stop = write_script(&lab, "stop.sh", "exec sleep 8765");
    let master = lab.dir.join("master");
    let on_master = write_script(
        &lab,
        "master.sh",
        &format!("echo \"$#\" >> {}", master.display()),
    );
    let inst = Instance::v2("VI_1", 51, 150)
        .vip("10.0.0.100/24")
        .extra(&format!("notify_stop {}", stop.display()))
        .extra(&format!("notify_master {}", on_master.display()));
    let text = format!(
        "global_defs {{\n    router_id r0\n    vrrp_notify_fifo {}\n}}\n\n{}",
        fifo.display(),
        inst.render()
    );
    lab.start_ready(0, Daemon::Vrrpd, &text);
    // vrrpd created the FIFO and holds it open read-write: a reader coming later gets every
    // line written so far.
    use std::os::unix::fs::OpenOptionsExt;
    let mut reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo)
        .expect("open the notify FIFO");
    lab.wait_holders("10.0.0.100", &[0], Duration::from_secs(10));
    // notify_master gets no arguments (docs/keepalived-compat.md#notifications).
    wait_until("notify_master ran", Duration::from_secs(3), || {
        std::fs::read_to_string(&master).unwrap_or_default() == "0\n"
    });
    let t0 = std::time::Instant::now();
    // Alone, a stopping MASTER waits master-down for a successor (README "Planned
    // hand-over"); a second SIGTERM ends that wait, so what is timed is notify_stop.
    lab.signal(0, nix::sys::signal::Signal::SIGTERM);
    std::thread::sleep(Duration::from_millis(50));
    lab.signal(0, nix::sys::signal::Signal::SIGTERM);
    let st = lab.wait_exit(0, Duration::from_secs(5));
    lab.forget(0);
    assert!(st.is_some_and(|s| s.success()), "{st:?}");
    let took = t0.elapsed();
    // docs/keepalived-compat.md#shutdown: at most 1 s for notify_stop, then its group is SIGKILLed.
    assert!(took < Duration::from_millis(2500), "stop took {took:?}");
    assert!(
        took >= Duration::from_millis(900),
        "stop did not wait for notify_stop: {took:?}"
    );
    assert!(common::track::processes_with("sleep 8765").is_empty());
    let mut lines = String::new();
    let _ = std::io::Read::read_to_string(&mut reader, &mut lines);
    assert_eq!(
        lines,
        "INSTANCE \"VI_1\" BACKUP 150\nINSTANCE \"VI_1\" MASTER 150\nINSTANCE \"VI_1\" STOP 150\n"
    );
}
