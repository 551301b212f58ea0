//! The dump signals on a running pair (docs/keepalived-compat.md#reload, docs/keepalived-compat.md#dump-files): SIGUSR2 writes
//! `$TMPDIR/keepalived.stats` in keepalived's layout, SIGUSR1 `keepalived.data` with each
//! instance's state, SIGRTMIN+2 `keepalived.json` with `data.state` (2 MASTER, 1 BACKUP) and the
//! counters. Run against vrrpd and keepalived; needs root and keepalived.

use crate::common;

use std::time::Duration;

use common::lab::{config, Daemon, Instance, Lab};

both!(dumps);

/// The number after `key` (e.g. "Sent:") in the line following `section` in a stats file.
fn stat(text: &str, section: &str, key: &str) -> u64 {
    let mut lines = text.lines().skip_while(|l| l.trim() != section);
    lines
        .find_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().parse().ok()))
        .flatten()
        .unwrap_or_else(|| panic!("no `{key}` after `{section}` in:\n{text}"))
}

fn dumps(d: Daemon, tag: &str) {
    let vip = "10.0.0.100/24 dev eth0";
    let mut lab = Lab::new(tag, 2);
    lab.start(
        0,
        d,
        &config("r0", &[Instance::v3("VI_1", 51, 150, "0.2").vip(vip)]),
    );
    lab.start(
        1,
        d,
        &config("r1", &[Instance::v3("VI_1", 51, 100, "0.2").vip(vip)]),
    );
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    lab.wait_holders("10.0.0.100", &[0], Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(1200));

    let (m, b) = (
        lab.dump(0, libc::SIGUSR2, "keepalived.stats"),
        lab.dump(1, libc::SIGUSR2, "keepalived.stats"),
    );
    assert!(m.starts_with("VRRP Instance: VI_1\n"), "{m}");
    assert!(stat(&m, "Advertisements:", "Sent:") >= 5, "{m}");
    assert_eq!(stat(&m, "Advertisements:", "Became master:"), 1, "{m}");
    assert!(stat(&b, "Advertisements:", "Received:") >= 5, "{b}");
    assert_eq!(stat(&b, "Advertisements:", "Became master:"), 0, "{b}");
    assert_eq!(stat(&b, "Advertisements:", "Sent:"), 0, "{b}");

    let (m, b) = (
        lab.dump(0, libc::SIGUSR1, "keepalived.data"),
        lab.dump(1, libc::SIGUSR1, "keepalived.data"),
    );
    assert!(m.contains("State = MASTER"), "{m}");
    assert!(b.contains("State = BACKUP"), "{b}");

    let json = libc::SIGRTMIN() + 2;
    for (i, state) in [(0, 2), (1, 1)] {
        let text = lab.dump(i, json, "keepalived.json");
        let v: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        let inst = &v[0];
        assert_eq!(inst["data"]["iname"], "VI_1", "{text}");
        assert_eq!(inst["data"]["state"], state, "{text}");
        assert_eq!(inst["data"]["vrid"], 51, "{text}");
        let sent = inst["stats"]["advert_sent"].as_u64().unwrap_or(0);
        let rcvd = inst["stats"]["advert_rcvd"].as_u64().unwrap_or(0);
        if state == 2 {
            assert!(sent >= 5, "{text}");
        } else {
            assert!(rcvd >= 5 && sent == 0, "{text}");
        }
    }
}
