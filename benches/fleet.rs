//! Benchmark (README "Benchmarks", 1,000 instances): one node with 1,000 idle MASTER instances,
//! keepalived against vrrpd in the same run and the same lab (tests/common/lab.rs).
//!
//! The node runs 1,000 VRRPv3 instances (one-second adverts, one VIP each, 250 per interface on
//! eth0 and three veth interfaces, no peer). For each daemon:
//!
//! * all up: from the daemon's start until every VIP is on its interface (target: 4 s);
//! * idle CPU: the CPU time of all the daemon's processes over a quiet window, as % of a core
//!   (target: at most a third of keepalived's);
//! * resident memory (VmRSS of all its processes) when idle, and after [`RELOADS`] SIGHUPs
//!   (each waited for: `Reload complete` in the log) (target: at most keepalived's, both).
//!
//! Prints figures, asserts nothing. Needs root and keepalived: `sudo cargo bench --bench fleet`.

#[path = "../tests/common/lab.rs"]
mod lab;

use std::time::{Duration, Instant};

use lab::{config, Daemon, Instance, Lab};
use nix::sys::signal::Signal;

const PER_IF: u8 = 250;
const RELOADS: usize = 100;

struct Row {
    all_up: Duration,
    cpu_pct: f64,
    rss_idle: u64,
    rss_reloaded: u64,
}

/// How many of the 1,000 VIPs are on the node's interfaces.
fn vips_up(lab: &Lab) -> usize {
    lab::sh(&[
        "ip",
        "netns",
        "exec",
        lab.ns(0),
        "ip",
        "-4",
        "-o",
        "addr",
        "show",
    ])
    .lines()
    .filter(|l| l.contains(" 10.10") && l.contains("/32"))
    .count()
}

fn run(d: Daemon, window: Duration, reloads: usize) -> Row {
    let mut lab = Lab::new(&format!("fl{}", &d.name()[..1]), 1);
    let ifaces = lab.fleet_interfaces(0);
    let mut instances = Vec::new();
    for (k, ifname) in ifaces.iter().enumerate() {
        for vrid in 1..=PER_IF {
            let mut i = Instance::v3(&format!("VI_{k}_{vrid}"), vrid, 100, "1")
                .vip(&format!("10.{}.1.{vrid}/32 dev {ifname}", 100 + k));
            i.interface = ifname.clone();
            instances.push(i);
        }
    }
    let total = instances.len();
    let t0 = Instant::now();
    lab.start(0, d, &config("fleet", &instances));
    while vips_up(&lab) < total && t0.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let all_up = t0.elapsed();
    // Past the start-up GARP bursts.
    std::thread::sleep(Duration::from_secs(6));
    let c0 = lab.cpu_seconds(0);
    std::thread::sleep(window);
    let cpu_pct = (lab.cpu_seconds(0) - c0) / window.as_secs_f64() * 100.0;
    let rss_idle = lab.rss_kib(0);
    for _ in 0..reloads {
        let before = lab.log(0).matches("Reload complete").count();
        lab.signal(0, Signal::SIGHUP);
        let deadline = Instant::now() + Duration::from_secs(60);
        while lab.log(0).matches("Reload complete").count() <= before && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    std::thread::sleep(Duration::from_secs(3));
    let rss_reloaded = lab.rss_kib(0);
    Row {
        all_up,
        cpu_pct,
        rss_idle,
        rss_reloaded,
    }
}

fn main() {
    lab::require_root();
    lab::require_tool("keepalived");
    let bench = std::env::args().any(|a| a == "--bench");
    let (window, reloads) = if bench {
        (Duration::from_secs(60), RELOADS)
    } else {
        (Duration::from_secs(5), 5)
    };
    println!(
        "== 1,000 idle MASTER instances (VRRPv3, 1 s adverts), CPU over {} s, RSS idle and after {reloads} reloads",
        window.as_secs()
    );
    let rows: Vec<(Daemon, Row)> = [Daemon::Keepalived, Daemon::Vrrpd]
        .into_iter()
        .map(|d| (d, run(d, window, reloads)))
        .collect();
    println!(
        "{:<11} {:>9} {:>10} {:>13} {:>18}",
        "daemon", "all up", "idle CPU", "RSS idle", "RSS after reloads"
    );
    for (d, r) in &rows {
        println!(
            "{:<11} {:>7.2} s {:>9.2}% {:>9} KiB {:>14} KiB",
            d.name(),
            r.all_up.as_secs_f64(),
            r.cpu_pct,
            r.rss_idle,
            r.rss_reloaded
        );
    }
    if let [(_, k), (_, v)] = &rows[..] {
        println!(
            "vrrpd/keepalived: CPU {:.2} (target <= 0.33), RSS idle {:.2} and after reloads {:.2} \
             (target <= 1.00), all up {:.2} s (target <= 4 s)",
            v.cpu_pct / k.cpu_pct.max(f64::MIN_POSITIVE),
            v.rss_idle as f64 / k.rss_idle.max(1) as f64,
            v.rss_reloaded as f64 / k.rss_reloaded.max(1) as f64,
            v.all_up.as_secs_f64()
        );
    }
}
