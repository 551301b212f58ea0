//! Benchmark: the outage a client sees when the master fails, keepalived pair against vrrpd pair
//! in the same run and the same lab (tests/common/lab.rs), plus each daemon's resident memory.
//!
//! A client in its own namespace sends a UDP datagram to the VIP every 2 ms; each router runs a
//! UDP echo responder on port 7000 (any address, so it answers while it holds the VIP). The gap is
//! the longest interval between two answers. Scenarios:
//!
//! * SIGKILL: every process of the master dies at once (the daemon and the echo service, like a
//!   crashed node; the daemon sends no priority 0 and leaves its VIP behind);
//! * SIGTERM: the daemon on the master stops (priority 0, VIP released); the service stays;
//! * link cut: the master's switch port goes down.
//!
//! * nginx death: both routers run nginx and track it with a `vrrp_script`
//!   (`interval 1`, `fall 1`, `weight -100`, priorities 150/100); nginx on the master is
//!   killed; the client sends an HTTP request to the VIP every 5 ms and the gap is the longest
//!   interval between two answered requests. Target: fall × interval + the backup's skew time +
//!   50 ms (the master advertises its lower priority at once and the backup preempts after its
//!   skew time).
//!
//! Each scenario runs [`RUNS`] times per daemon; the median is printed with the target:
//! SIGKILL and link cut within master-down + 5 ms, SIGTERM within skew + 5 ms, RSS at most half of
//! keepalived's (VmRSS of all its processes, one instance). Prints figures, asserts nothing.
//! Needs root and keepalived: `sudo cargo bench --bench failover`.

#[path = "../tests/common/lab.rs"]
mod lab;
#[path = "../tests/common/probe.rs"]
mod probe;
#[path = "../tests/common/track.rs"]
mod track;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lab::{config, Daemon, Instance, Lab};
use nix::sys::signal::Signal;
use probe::{http_probe, longest_gap, probe, Echo, StopOnDrop};

/// Runs per scenario and daemon under `cargo bench` (1 under `cargo test --all-targets`, which
/// runs this file without `--bench` as a smoke test of the lab).
const RUNS: usize = 3;
const VIP: &str = "10.0.0.100";

#[derive(Clone, Copy, PartialEq)]
enum Scenario {
    Sigkill,
    Sigterm,
    LinkCut,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Sigkill => "SIGKILL of the master",
            Scenario::Sigterm => "SIGTERM of the master",
            Scenario::LinkCut => "link cut at the master",
        }
    }
}

/// `cargo bench --bench failover -- scrape`: each vrrpd also serves `--metrics-listen` and is
/// scraped every 250 ms (twenty times Prometheus' usual 5 s) throughout each run, so the
/// figures show whether scraping costs the failover anything.
static SCRAPE: AtomicBool = AtomicBool::new(false);
const METRICS: &str = "127.0.0.1:9165";

/// Scrapes `/metrics` in every namespace of `nss` until `stop`; the number of good scrapes.
fn scraper(nss: Vec<String>, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let mut ok = 0;
        while !stop.load(Ordering::Relaxed) {
            for ns in &nss {
                let url = format!("http://{METRICS}/metrics");
                let r = std::process::Command::new("ip")
                    .args(["netns", "exec", ns, "curl", "-sf", "-o", "/dev/null", &url])
                    .status();
                ok += usize::from(r.is_ok_and(|s| s.success()));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        ok
    })
}

/// One run: a fresh pair, the event, the longest gap the client saw.
fn run(d: Daemon, sc: Scenario, inst: &[Instance; 2], tag: &str) -> Option<Duration> {
    let mut lab = Lab::new(tag, 2);
    let echo = [Echo::start(&lab, lab.ns(0)), Echo::start(&lab, lab.ns(1))];
    let scrape = SCRAPE.load(Ordering::Relaxed) && d == Daemon::Vrrpd;
    let extra: &[&str] = if scrape {
        &["--metrics-listen", METRICS]
    } else {
        &[]
    };
    lab.start_with(0, d, &config("r0", &[inst[0].clone()]), extra);
    lab.start_with(1, d, &config("r1", &[inst[1].clone()]), extra);
    let scraping = Arc::new(AtomicBool::new(false));
    let _stop_scraping = StopOnDrop(scraping.clone());
    let scrapes = scrape.then(|| {
        scraper(
            vec![lab.ns(0).to_string(), lab.ns(1).to_string()],
            scraping.clone(),
        )
    });
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    lab.wait_holders(VIP, &[0], Duration::from_secs(15));
    // Past the start-up GARP bursts and the client's first ARP.
    std::thread::sleep(Duration::from_millis(700));

    let stop = Arc::new(AtomicBool::new(false));
    let prober = probe(&lab, VIP, stop.clone());
    // Stops the prober even when this run panics.
    let _stop = StopOnDrop(stop.clone());
    std::thread::sleep(Duration::from_millis(300));
    match sc {
        Scenario::Sigkill => {
            echo[0].up.store(false, Ordering::Relaxed);
            lab.kill9(0);
        }
        Scenario::Sigterm => lab.signal(0, Signal::SIGTERM),
        Scenario::LinkCut => lab.cut_link(0),
    }
    lab.wait_holds(1, VIP, inst[1].master_down() + Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(600));
    stop.store(true, Ordering::Relaxed);
    scraping.store(true, Ordering::Relaxed);
    let answers = prober.join().ok()?;
    if let Some(n) = scrapes.and_then(|h| h.join().ok()) {
        // Both routers are scraped through the run; the old master stops answering when it dies.
        assert!(n > 0, "no scrape succeeded");
    }
    drop(echo);
    Some(longest_gap(&answers))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or(Duration::MAX)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn pair(version: u8) -> [Instance; 2] {
    let vip = format!("{VIP}/24 dev eth0");
    if version == 2 {
        [
            Instance::v2("VI_1", 51, 150).vip(&vip),
            Instance::v2("VI_1", 51, 100).vip(&vip),
        ]
    } else {
        [
            Instance::v3("VI_1", 51, 150, "0.1").vip(&vip),
            Instance::v3("VI_1", 51, 100, "0.1").vip(&vip),
        ]
    }
}

fn failover(version: u8, runs: usize) {
    let inst = pair(version);
    let (md, skew) = (inst[1].master_down(), inst[1].skew());
    println!(
        "\n== failover, VRRPv{version}, advert_int {} s, priorities 150/100: backup master-down {}, skew {}",
        inst[1].advert_int,
        ms(md),
        ms(skew)
    );
    println!(
        "{:<24} {:<11} {:>11}   {:<30} target",
        "scenario", "daemon", "median gap", "runs"
    );
    for sc in [Scenario::Sigkill, Scenario::Sigterm, Scenario::LinkCut] {
        let target = match sc {
            Scenario::Sigterm => skew,
            _ => md,
        } + Duration::from_millis(5);
        for d in [Daemon::Keepalived, Daemon::Vrrpd] {
            let mut gaps = Vec::new();
            for r in 0..runs {
                let tag = format!(
                    "bf{version}{}{}{r}",
                    match sc {
                        Scenario::Sigkill => "k",
                        Scenario::Sigterm => "t",
                        Scenario::LinkCut => "c",
                    },
                    &d.name()[..1]
                );
                let g = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run(d, sc, &inst, &tag)
                }));
                if let Ok(Some(g)) = g {
                    gaps.push(g);
                }
            }
            let runs: Vec<String> = gaps
                .iter()
                .map(|g| format!("{:.0}", g.as_secs_f64() * 1e3))
                .collect();
            if gaps.is_empty() {
                println!(
                    "{:<24} {:<11} {:>11}   (every run failed)",
                    sc.name(),
                    d.name(),
                    "-"
                );
                continue;
            }
            let m = median(gaps);
            println!(
                "{:<24} {:<11} {:>11}   {:<30} <= {} {}",
                sc.name(),
                d.name(),
                ms(m),
                format!("[{}] ms", runs.join(", ")),
                ms(target),
                if m <= target { "ok" } else { "MISSED" }
            );
        }
    }
}

/// One nginx-death run: a fresh pair with nginx tracked on both, nginx killed on the master.
fn nginx_run(d: Daemon, tag: &str, r: usize) -> Option<Duration> {
    let mut lab = Lab::new(tag, 2);
    let nginx: Vec<track::Nginx> = (0..2).map(|i| track::Nginx::new(&lab, i)).collect();
    for n in &nginx {
        n.start();
    }
    for (i, prio) in [150u8, 100].into_iter().enumerate() {
        let inst = Instance::v2("VI_1", 51, prio)
            .vip(&format!("{VIP}/24 dev eth0"))
            .extra("track_script {\n        chk_nginx\n    }");
        let block = track::script_block("chk_nginx", &nginx[i].check(), 1, 1, 1, -100);
        let text = track::with_prelude(&config(&format!("r{i}"), &[inst]), &block);
        lab.start(i, d, &text);
    }
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    lab.wait_holders(VIP, &[0], Duration::from_secs(15));
    // Past the start-up GARP bursts, with the scripts' first results in.
    std::thread::sleep(Duration::from_millis(1500));
    let stop = Arc::new(AtomicBool::new(false));
    let prober = http_probe(&lab, VIP, stop.clone());
    // Runs kill nginx at different points of the scripts' one-second grid.
    std::thread::sleep(Duration::from_millis(300 + (r as u64 * 337) % 1000));
    nginx[0].kill();
    lab.wait_holds(1, VIP, Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(600));
    stop.store(true, Ordering::Relaxed);
    let answers = prober.join().ok()?;
    Some(longest_gap(&answers))
}

fn nginx_death(runs: usize) {
    let backup = Instance::v2("VI_1", 51, 100);
    let target = Duration::from_secs(1) + backup.skew() + Duration::from_millis(50);
    println!(
        "\n== nginx dies on the master: vrrp_script interval 1, fall 1, weight -100, priorities 150/100, VRRPv2 advert_int 1 s (backup skew {})",
        ms(backup.skew())
    );
    println!(
        "{:<24} {:<11} {:>11}   {:<30} target",
        "scenario", "daemon", "median gap", "runs"
    );
    for d in [Daemon::Keepalived, Daemon::Vrrpd] {
        let mut gaps = Vec::new();
        for r in 0..runs {
            let tag = format!("bng{}{r}", &d.name()[..1]);
            let g =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| nginx_run(d, &tag, r)));
            if let Ok(Some(g)) = g {
                gaps.push(g);
            }
        }
        let list: Vec<String> = gaps
            .iter()
            .map(|g| format!("{:.0}", g.as_secs_f64() * 1e3))
            .collect();
        if gaps.is_empty() {
            println!(
                "{:<24} {:<11} {:>11}   (every run failed)",
                "nginx death",
                d.name(),
                "-"
            );
            continue;
        }
        let m = median(gaps);
        println!(
            "{:<24} {:<11} {:>11}   {:<30} <= {} {}",
            "nginx death",
            d.name(),
            ms(m),
            format!("[{}] ms", list.join(", ")),
            ms(target),
            if m <= target { "ok" } else { "MISSED" }
        );
    }
}

fn rss() {
    println!(
        "\n== resident memory, one instance (VmRSS of all the daemon's processes), master state"
    );
    let mut got = Vec::new();
    for d in [Daemon::Keepalived, Daemon::Vrrpd] {
        let mut lab = Lab::new(&format!("brss{}", &d.name()[..1]), 1);
        let inst = Instance::v2("VI_1", 51, 150).vip(&format!("{VIP}/24 dev eth0"));
        lab.start(0, d, &config("r0", &[inst]));
        lab.wait_ready(0, Duration::from_secs(10));
        lab.wait_holders(VIP, &[0], Duration::from_secs(10));
        std::thread::sleep(Duration::from_secs(1));
        let kib = lab.rss_kib(0);
        println!("{:<11} {:>6} KiB", d.name(), kib);
        got.push(kib);
    }
    if cfg!(debug_assertions) {
        println!("(debug build of vrrpd under `cargo test`: see `cargo bench` for its real RSS)");
    }
    if let [ka, vr] = got[..] {
        println!(
            "vrrpd/keepalived = {:.2} (target <= 0.50: {})",
            vr as f64 / ka as f64,
            if vr * 2 <= ka { "ok" } else { "MISSED" }
        );
    }
}

fn main() {
    lab::require_root();
    lab::require_tool("keepalived");
    // `cargo bench` passes `--bench`; `cargo test --all-targets` does not: then one quick round.
    let bench = std::env::args().any(|a| a == "--bench");
    // `cargo bench --bench failover -- nginx`: only the nginx scenario.
    if std::env::args().any(|a| a == "nginx") {
        nginx_death(if bench { RUNS } else { 1 });
        return;
    }
    if std::env::args().any(|a| a == "scrape") {
        SCRAPE.store(true, Ordering::Relaxed);
        println!("(vrrpd scraped at /metrics every 250 ms during every run)");
    }
    rss();
    if bench {
        failover(2, RUNS);
        failover(3, RUNS);
        nginx_death(RUNS);
    } else {
        println!("\n(smoke run under `cargo test`: VRRPv3 only, one run each; `cargo bench` for figures)");
        failover(3, 1);
        nginx_death(1);
    }
}
