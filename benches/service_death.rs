//! Benchmark: the outage a client sees when the service a master tracks dies, vrrpd pair against
//! keepalived 2.2.7 pair in the same run and the same lab (tests/common/lab.rs), issue #13.
//!
//! Each router runs the UDP echo service of the failover bench; the client sends a datagram to
//! the VIP every 2 ms and the gap is the longest interval between two answers. Priorities
//! 150/100, VRRPv2, advert_int 1 s; only the master (r0) tracks anything. Scenarios:
//!
//! * process, FAULT: r0 tracks a process (a copy of `sleep` under a name of its own) with
//!   `vrrp_track_process`, quorum 1, no weight; it is SIGKILLed together with the echo
//!   service, so r0 goes to FAULT;
//! * process, weight -100: the same with `weight -100` (r0 drops to 50);
//! * track_file: r0 tracks a file with `weight -10`; a watcher notices the service dying and
//!   writes 10 into the file (r0 drops to 50).
//!
//! Target: the backup's skew time + 50 ms. A daemon that never notices is reported with what
//! it did instead (keepalived's process connector cannot work in a network namespace: it
//! never sees the process, so its instance is in FAULT or at the lowered priority from the
//! start and r0 never holds the VIP). Prints figures, asserts nothing.
//! Needs root and keepalived: `sudo cargo bench --bench service_death`.

#[path = "../tests/common/lab.rs"]
mod lab;
#[path = "../tests/common/probe.rs"]
mod probe;
#[path = "../tests/common/track.rs"]
mod track;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lab::{config, Daemon, Instance, Lab};
use probe::{longest_gap, probe, Echo, StopOnDrop};
use track::{with_prelude, NamedSleep};

/// Runs per scenario and daemon under `cargo bench` (1 under `cargo test --all-targets`).
const RUNS: usize = 3;
const VIP: &str = "10.0.0.100";

#[derive(Clone, Copy, PartialEq)]
enum Scenario {
    ProcessFault,
    ProcessWeight,
    File,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::ProcessFault => "process SIGKILL, FAULT",
            Scenario::ProcessWeight => "process SIGKILL, -100",
            Scenario::File => "track_file written",
        }
    }

    fn letter(self) -> char {
        match self {
            Scenario::ProcessFault => 'f',
            Scenario::ProcessWeight => 'w',
            Scenario::File => 'x',
        }
    }
}

/// What one run saw.
enum Outcome {
    Gap(Duration),
    /// The VIP never moved (or never was on r0): what happened instead.
    Never(String),
}

/// What r0's log says about why it never held or never gave up the VIP: a refused process
/// connector, and r0's last state line.
fn why(lab: &Lab) -> String {
    let log = lab.log(0);
    let mut s = if log.contains("errno 111") {
        "process connector refused (errno 111); ".to_string()
    } else {
        String::new()
    };
    let state = log
        .lines()
        .rfind(|l| l.to_ascii_lowercase().contains("entering") || l.contains("Quorum"))
        .map(|l| l.split("VI_1)").last().unwrap_or(l).trim().to_string());
    s.push_str(&format!(
        "r0 last: {}",
        state.as_deref().unwrap_or("no state line")
    ));
    s
}

/// Polls until `f` or `timeout`; whether it came true.
fn within(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let t0 = Instant::now();
    while !f() {
        if t0.elapsed() > timeout {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    true
}

fn run(d: Daemon, sc: Scenario, tag: &str, r: usize) -> Outcome {
    let mut lab = Lab::new(tag, 2);
    let echo = [Echo::start(&lab, lab.ns(0)), Echo::start(&lab, lab.ns(1))];
    let mut service = NamedSleep::new(&lab, &format!("bs{}{}", sc.letter(), &d.name()[..1]));
    service.start();
    let file = lab.dir.join("state");
    std::fs::write(&file, "0\n").expect("track file");
    let (extra, prelude) = match sc {
        Scenario::ProcessFault | Scenario::ProcessWeight => (
            "track_process {\n        tp\n    }",
            format!(
                "vrrp_track_process tp {{\n    process {}\n    quorum 1\n{}}}\n\n",
                service.name,
                if sc == Scenario::ProcessWeight {
                    "    weight -100\n"
                } else {
                    ""
                }
            ),
        ),
        Scenario::File => (
            "track_file {\n        tf\n    }",
            format!(
                "track_file tf {{\n    file {}\n    weight -10\n}}\n\n",
                file.display()
            ),
        ),
    };
    let vip = format!("{VIP}/24 dev eth0");
    let r0 = Instance::v2("VI_1", 51, 150).vip(&vip).extra(extra);
    let r1 = Instance::v2("VI_1", 51, 100).vip(&vip);
    lab.start(0, d, &with_prelude(&config("r0", &[r0]), &prelude));
    lab.start(1, d, &config("r1", &[r1]));
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    if !within(Duration::from_secs(15), || lab.holders(VIP) == [0]) {
        return Outcome::Never(format!(
            "never: VIP not on r0 at start ({}, holders {:?})",
            why(&lab),
            lab.holders(VIP)
        ));
    }
    // Past the start-up GARP bursts and the client's first ARP.
    std::thread::sleep(Duration::from_millis(700));
    let stop = Arc::new(AtomicBool::new(false));
    let prober = probe(&lab, VIP, stop.clone());
    let _stop = StopOnDrop(stop.clone());
    // Runs kill at different points of the pollers' grids.
    std::thread::sleep(Duration::from_millis(300 + (r as u64 * 337) % 1000));
    echo[0].up.store(false, Ordering::Relaxed);
    match sc {
        Scenario::File => std::fs::write(&file, "10\n").expect("write the track file"),
        _ => service.kill9(),
    }
    let moved = within(Duration::from_secs(10), || lab.vip_entry(1, VIP).is_some());
    std::thread::sleep(Duration::from_millis(600));
    stop.store(true, Ordering::Relaxed);
    let answers = prober.join().unwrap_or_default();
    if !moved {
        return Outcome::Never(format!("never: VIP not moved within 10 s ({})", why(&lab)));
    }
    Outcome::Gap(longest_gap(&answers))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or(Duration::MAX)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    lab::require_root();
    lab::require_tool("keepalived");
    let bench = std::env::args().any(|a| a == "--bench");
    let runs = if bench { RUNS } else { 1 };
    let skew = Instance::v2("VI_1", 51, 100).skew();
    let target = skew + Duration::from_millis(50);
    println!(
        "\n== the master's tracked service dies: VRRPv2, advert_int 1 s, priorities 150/100 (backup skew {})",
        ms(skew)
    );
    println!(
        "{:<24} {:<11} {:>11}   {:<30} target",
        "scenario", "daemon", "median gap", "runs"
    );
    // `cargo bench --bench service_death -- process` (or `file`): those scenarios only.
    let only = |word: &str| std::env::args().any(|a| a == word);
    let scenarios = [
        Scenario::ProcessFault,
        Scenario::ProcessWeight,
        Scenario::File,
    ]
    .into_iter()
    .filter(|sc| {
        (!only("process") && !only("file"))
            || (only("process") && *sc != Scenario::File)
            || (only("file") && *sc == Scenario::File)
    });
    for sc in scenarios {
        for d in [Daemon::Keepalived, Daemon::Vrrpd] {
            let mut gaps = Vec::new();
            let mut never = Vec::new();
            for r in 0..runs {
                let tag = format!("bsd{}{}{r}", sc.letter(), &d.name()[..1]);
                let o =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(d, sc, &tag, r)));
                match o {
                    Ok(Outcome::Gap(g)) => gaps.push(g),
                    Ok(Outcome::Never(why)) => never.push(why),
                    Err(_) => never.push("run failed".into()),
                }
            }
            if gaps.is_empty() {
                never.dedup();
                println!(
                    "{:<24} {:<11} {:>11}   {}",
                    sc.name(),
                    d.name(),
                    "never",
                    never.join("; ")
                );
                continue;
            }
            let list: Vec<String> = gaps
                .iter()
                .map(|g| format!("{:.0}", g.as_secs_f64() * 1e3))
                .collect();
            let m = median(gaps);
            println!(
                "{:<24} {:<11} {:>11}   {:<30} <= {} {}{}",
                sc.name(),
                d.name(),
                ms(m),
                format!("[{}] ms", list.join(", ")),
                ms(target),
                if m <= target { "ok" } else { "MISSED" },
                if never.is_empty() {
                    String::new()
                } else {
                    format!(" ({} runs never: {})", never.len(), never.join("; "))
                }
            );
        }
    }
}
