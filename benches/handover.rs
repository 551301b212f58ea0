//! Benchmark: the client's gap during a planned hand-over (README "Planned hand-over"), vrrpd
//! and keepalived in the same run and the same lab (tests/common/lab.rs).
//!
//! A client in its own namespace sends a UDP datagram to the VIP every 2 ms; both routers run
//! a UDP echo responder (tests/common/probe.rs). The master (priority 150) leaves on purpose,
//! the backup (priority 100) takes over; the gap is the longest interval between two answers.
//! Rows:
//!
//! * vrrpd → vrrpd, and vrrpd → keepalived backup: `vrrpd drain --all` and SIGTERM (both
//!   make-before-break: priority 0, the VIP kept until the backup's first advert);
//! * keepalived → keepalived, and keepalived → vrrpd backup: keepalived's stop (SIGTERM:
//!   priority 0 and the VIP removed at once, so the client waits out the backup's skew time).
//!
//! A first row measures the client's longest gap when nothing happens over the same window:
//! the probe's own jitter on a loaded machine, the floor under every other row.
//!
//! VRRPv2, advert_int 1 s (keepalived's default; the backup's skew time is 609 ms). Each row
//! runs [`RUNS`] times; the median is printed with the target (≤ 10 ms for vrrpd's drain and
//! stop). Prints figures, asserts nothing. Needs root and keepalived:
//! `sudo cargo bench --bench handover`.

#[path = "../tests/common/lab.rs"]
mod lab;
#[path = "../tests/common/probe.rs"]
mod probe;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use lab::{config, Daemon, Instance, Lab};
use nix::sys::signal::Signal;
use probe::{longest_gap, probe, Echo, StopOnDrop};

/// Runs per row under `cargo bench` (1 under `cargo test --all-targets`).
const RUNS: usize = 3;
const VIP: &str = "10.0.0.100";
const TARGET: Duration = Duration::from_millis(10);

#[derive(Clone, Copy, PartialEq)]
enum How {
    Drain,
    Sigterm,
    /// Nothing happens: the client's own jitter on this machine over the same window.
    Nothing,
}

/// One run: a fresh pair (`master` leaves, `backup` takes over), the client's longest gap.
fn run(
    master: Daemon,
    backup: Daemon,
    how: How,
    inst: &[Instance; 2],
    tag: &str,
) -> Option<Duration> {
    let mut lab = Lab::new(tag, 2);
    let _echo = [Echo::start(&lab, lab.ns(0)), Echo::start(&lab, lab.ns(1))];
    lab.start(1, backup, &config("r1", &[inst[1].clone()]));
    lab.start(0, master, &config("r0", &[inst[0].clone()]));
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    lab.wait_holders(VIP, &[0], Duration::from_secs(15));
    // Past the start-up GARP bursts and the client's first ARP.
    std::thread::sleep(Duration::from_millis(700));
    let stop = Arc::new(AtomicBool::new(false));
    let prober = probe(&lab, VIP, stop.clone());
    let _stop = StopOnDrop(stop.clone());
    std::thread::sleep(Duration::from_millis(300));
    match how {
        How::Drain => {
            let o = lab.vrrpd_cli(0, &["drain", "--all"]);
            if !o.status.success() {
                return None;
            }
        }
        How::Sigterm => lab.signal(0, Signal::SIGTERM),
        How::Nothing => std::thread::sleep(inst[1].skew()),
    }
    if how != How::Nothing {
        lab.wait_holders(VIP, &[1], inst[1].master_down() + Duration::from_secs(5));
    }
    std::thread::sleep(Duration::from_millis(600));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let answers = prober.join().ok()?;
    Some(longest_gap(&answers))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or(Duration::MAX)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn handover(runs: usize) {
    let vip = format!("{VIP}/24 dev eth0");
    let inst = [
        Instance::v2("VI_1", 51, 150).vip(&vip),
        Instance::v2("VI_1", 51, 100).vip(&vip),
    ];
    let skew = inst[1].skew();
    println!(
        "\n== planned hand-over, VRRPv2, advert_int 1 s, priorities 150/100 (backup skew {}); client asks every 2 ms",
        ms(skew)
    );
    println!(
        "{:<34} {:>11}   {:<24} target",
        "master -> backup, how", "median gap", "runs"
    );
    let rows = [
        (Daemon::Vrrpd, Daemon::Vrrpd, How::Nothing),
        (Daemon::Vrrpd, Daemon::Vrrpd, How::Drain),
        (Daemon::Vrrpd, Daemon::Vrrpd, How::Sigterm),
        (Daemon::Vrrpd, Daemon::Keepalived, How::Drain),
        (Daemon::Vrrpd, Daemon::Keepalived, How::Sigterm),
        (Daemon::Keepalived, Daemon::Keepalived, How::Sigterm),
        (Daemon::Keepalived, Daemon::Vrrpd, How::Sigterm),
    ];
    for (r, (master, backup, how)) in rows.into_iter().enumerate() {
        let what = format!(
            "{} -> {}, {}",
            master.name(),
            backup.name(),
            match how {
                How::Drain => "drain",
                How::Sigterm => "SIGTERM",
                How::Nothing => "nothing (client jitter)",
            }
        );
        let mut gaps = Vec::new();
        for k in 0..runs {
            let tag = format!("bho{r}{k}");
            let g = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run(master, backup, how, &inst, &tag)
            }));
            if let Ok(Some(g)) = g {
                gaps.push(g);
            }
        }
        if gaps.is_empty() {
            println!("{what:<34} {:>11}   (every run failed)", "-");
            continue;
        }
        let list: Vec<String> = gaps
            .iter()
            .map(|g| format!("{:.1}", g.as_secs_f64() * 1e3))
            .collect();
        let m = median(gaps);
        // keepalived's stop is the reference: the backup's skew time.
        let target = if how == How::Nothing {
            "(baseline: no hand-over)".to_string()
        } else if master == Daemon::Vrrpd {
            format!(
                "<= {} {}",
                ms(TARGET),
                if m <= TARGET { "ok" } else { "MISSED" }
            )
        } else {
            format!("(reference: skew {})", ms(skew))
        };
        println!(
            "{what:<34} {:>11}   {:<24} {target}",
            ms(m),
            format!("[{}] ms", list.join(", "))
        );
    }
}

fn main() {
    lab::require_root();
    lab::require_tool("keepalived");
    // `cargo bench` passes `--bench`; `cargo test --all-targets` does not: then one quick round.
    let bench = std::env::args().any(|a| a == "--bench");
    handover(if bench { RUNS } else { 1 });
}
