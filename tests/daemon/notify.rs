//! sd_notify from the running daemon (docs/keepalived-compat.md#processes-and-systemd: Debian's unit is
//! `Type=notify`): a test unix datagram socket in `NOTIFY_SOCKET` receives `READY=1` once the
//! daemon runs, `RELOADING=1` then `READY=1` around a SIGHUP, and `STOPPING=1` on SIGTERM,
//! after which the daemon exits 0. Needs root.

use crate::common;

use std::time::Duration;

use common::lab::{config, Daemon, Instance, Lab};
use nix::sys::signal::Signal;

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn ready_reloading_ready_stopping() {
    let mut lab = Lab::new("notify", 1);
    let inst = Instance::v3("VI_1", 51, 150, "0.2").vip("10.0.0.100/24");
    lab.start(0, Daemon::Vrrpd, &config("r0", &[inst]));
    let first = lab.wait_note(0, "READY=1", Duration::from_secs(10));
    assert!(!first.iter().any(|m| m.contains("STOPPING=1")), "{first:?}");

    lab.signal(0, Signal::SIGHUP);
    let reload = lab.wait_note(0, "READY=1", Duration::from_secs(5));
    let reloading = reload
        .iter()
        .position(|m| m.lines().any(|l| l == "RELOADING=1"))
        .unwrap_or_else(|| panic!("RELOADING=1 before READY=1: {reload:?}"));
    assert!(
        reload[reloading]
            .lines()
            .any(|l| l.starts_with("MONOTONIC_USEC=")),
        "systemd >= 253 wants MONOTONIC_USEC with RELOADING=1: {reload:?}"
    );

    lab.signal(0, Signal::SIGTERM);
    lab.wait_note(0, "STOPPING=1", Duration::from_secs(5));
    let st = lab.wait_exit(0, Duration::from_secs(5));
    assert!(
        st.is_some_and(|s| s.success()),
        "exit after SIGTERM: {st:?}"
    );
}
