//! Service death and track files seen at once (issue #13,
//! docs/keepalived-compat.md#how-tracked-sources-are-watched): a `vrrp_track_process` exit is
//! seen through a pidfd, a `track_file` write through inotify, so the VIP moves after the
//! backup's skew time plus a few milliseconds instead of after the next poll; with
//! `VRRPD_TRACK_POLL=1` (the fallback of kernels without them) the polls still do the job.
//! Needs root.
//!
//! The timings are asserted loosely (machines are noisy), but where it matters the event is
//! provoked right after a poll would have run, so the old polling (1 s for `/proc`, 0.5 s for
//! files) cannot pass by luck.

use crate::common;

use std::time::{Duration, Instant};

use common::lab::{config, tag, Daemon, Instance, Lab};
use common::track::{with_prelude, NamedSleep};
use nix::sys::signal::Signal;

const VIP: &str = "10.0.0.100";

/// Router i's instance: r0 at 150 tracking `extra`, r1 at 100 tracking nothing.
fn pair_configs(extra: &str, prelude: &str) -> [String; 2] {
    let vip = format!("{VIP}/24 dev eth0");
    let r0 = Instance::v2("VI_1", 51, 150).vip(&vip).extra(extra);
    let r1 = Instance::v2("VI_1", 51, 100).vip(&vip);
    [
        with_prelude(&config("r0", &[r0]), prelude),
        config("r1", &[r1]),
    ]
}

fn start_pair(lab: &mut Lab, confs: &[String; 2], env: &[(&str, &str)]) {
    lab.start_env(0, Daemon::Vrrpd, &confs[0], &[], env);
    lab.start_env(1, Daemon::Vrrpd, &confs[1], &[], env);
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    lab.wait_holders(VIP, &[0], Duration::from_secs(15));
}

/// Waits until router i's log holds `needle` `n` times; the time it took.
fn wait_count(lab: &mut Lab, i: usize, needle: &str, n: usize, timeout: Duration) -> Duration {
    let t0 = Instant::now();
    while lab.log(i).matches(needle).count() < n {
        lab.assert_running(i, &format!("waiting for {needle:?}"));
        assert!(
            t0.elapsed() < timeout,
            "router {i}: {needle:?} not {n} times within {timeout:?}\n{}",
            lab.log(i)
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    t0.elapsed()
}

/// The backup's skew time (priority 100, advert_int 1).
fn skew() -> Duration {
    Instance::v2("VI_1", 51, 100).skew()
}

/// A tracked process SIGKILLed on the master: the VIP moves within skew + a margin, and an
/// exit right after a `/proc` scan is still seen at once (the scan alone would take ~1 s).
fn process_death(test: &str, short: &str, weight: &str, env: &[(&str, &str)], fast: bool) {
    let mut lab = Lab::new(&tag(test, "t"), 2);
    let mut proc_ = NamedSleep::new(&lab, short);
    proc_.start();
    let prelude = format!(
        "vrrp_track_process tp {{\n    process {}\n    quorum 1\n    {weight}\n}}\n\n",
        proc_.name
    );
    let confs = pair_configs("track_process {\n        tp\n    }", &prelude);
    start_pair(&mut lab, &confs, env);
    wait_count(
        &mut lab,
        0,
        "Quorum gained for tracked process tp",
        1,
        Duration::from_secs(3),
    );
    std::thread::sleep(Duration::from_millis(300));

    proc_.kill9();
    let moved = lab.wait_holds(1, VIP, Duration::from_secs(8));
    let lost = wait_count(
        &mut lab,
        0,
        "Quorum lost for tracked process tp",
        1,
        Duration::from_secs(3),
    );
    eprintln!(
        "{test}: VIP moved {moved:?} after the kill (skew {:?})",
        skew()
    );
    if fast {
        // The old poll gave 0.6-1.6 s here; generous for a busy machine, still under it.
        assert!(
            moved < skew() + Duration::from_millis(350),
            "VIP moved after {moved:?}\n{}",
            lab.all_logs()
        );
    } else {
        assert!(
            moved < skew() + Duration::from_millis(2500),
            "fallback: {moved:?}"
        );
    }
    let _ = lost;

    // Back, then killed right after the scan that found it: only the pidfd sees that at once.
    proc_.start();
    wait_count(
        &mut lab,
        0,
        "Quorum gained for tracked process tp",
        2,
        Duration::from_secs(3),
    );
    let t0 = Instant::now();
    proc_.kill9();
    wait_count(
        &mut lab,
        0,
        "Quorum lost for tracked process tp",
        2,
        Duration::from_secs(3),
    );
    let seen = t0.elapsed();
    eprintln!("{test}: exit just after a scan seen in {seen:?}");
    if fast {
        assert!(seen < Duration::from_millis(300), "seen after {seen:?}");
    } else {
        assert!(
            seen > Duration::from_millis(300),
            "the scan, not an event: {seen:?}"
        );
    }

    // A reload rebuilds the watcher (its first scan at once): an exit 1.2 s later, 0.8 s
    // before the next scan, is still seen at once.
    proc_.start();
    wait_count(
        &mut lab,
        0,
        "Quorum gained for tracked process tp",
        3,
        Duration::from_secs(3),
    );
    lab.signal(0, Signal::SIGHUP);
    wait_count(&mut lab, 0, "Reload complete", 1, Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(1200));
    let t0 = Instant::now();
    proc_.kill9();
    wait_count(
        &mut lab,
        0,
        "Quorum lost for tracked process tp",
        3,
        Duration::from_secs(3),
    );
    let seen = t0.elapsed();
    eprintln!("{test}: exit after a reload seen in {seen:?}");
    if fast {
        assert!(
            seen < Duration::from_millis(300),
            "after a reload: {seen:?}"
        );
    }
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn tracked_process_killed_fault_moves_the_vip_at_once() {
    process_death("procfault", "tpf", "", &[], true);
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn tracked_process_killed_weight_moves_the_vip_at_once() {
    process_death("procweight", "tpw", "weight -100", &[], true);
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn tracked_process_fallback_scan_still_works() {
    process_death("procpoll", "tpp", "", &[("VRRPD_TRACK_POLL", "1")], false);
}

/// A track file written by a watcher on the master: the VIP moves within skew + a margin,
/// and later writes are each seen at once (the 0.5 s poll would miss that by luck only).
fn file_write(test: &str, env: &[(&str, &str)], fast: bool) {
    let mut lab = Lab::new(&tag(test, "t"), 2);
    let file = lab.dir.join("state");
    let prelude = format!(
        "track_file tf {{\n    file {}\n    weight -10\n    init_file 0 overwrite\n}}\n\n",
        file.display()
    );
    let confs = pair_configs("track_file {\n        tf\n    }", &prelude);
    start_pair(&mut lab, &confs, env);
    std::thread::sleep(Duration::from_millis(300));

    // 10 × -10: 150 → 50, below the backup's 100.
    std::fs::write(&file, "10\n").unwrap();
    let moved = lab.wait_holds(1, VIP, Duration::from_secs(8));
    eprintln!(
        "{test}: VIP moved {moved:?} after the write (skew {:?})",
        skew()
    );
    let limit = if fast {
        skew() + Duration::from_millis(350)
    } else {
        skew() + Duration::from_millis(1500)
    };
    assert!(
        moved < limit,
        "VIP moved after {moved:?}\n{}",
        lab.all_logs()
    );

    // Three more writes, each timed to the log line it causes.
    let mut worst = Duration::ZERO;
    for (v, prio) in [(11, 40), (12, 30), (13, 20)] {
        // Written by rename, as a watcher doing it atomically would.
        let tmp = lab.dir.join("state.tmp");
        std::fs::write(&tmp, format!("{v}\n")).unwrap();
        let t0 = Instant::now();
        std::fs::rename(&tmp, &file).unwrap();
        let line = format!("Changing effective priority from {} to {prio}", prio + 10);
        wait_count(&mut lab, 0, &line, 1, Duration::from_secs(3));
        worst = worst.max(t0.elapsed());
    }
    eprintln!("{test}: slowest of three writes seen in {worst:?}");
    if fast {
        assert!(worst < Duration::from_millis(150), "slowest {worst:?}");
    }
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn track_file_written_moves_the_vip_at_once() {
    file_write("filewrite", &[], true);
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn track_file_fallback_poll_still_works() {
    file_write("filepoll", &[("VRRPD_TRACK_POLL", "1")], false);
}
