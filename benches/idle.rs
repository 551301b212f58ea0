//! Benchmark: what the metrics endpoint costs. One vrrpd with 1,000 idle MASTER instances
//! (VRRPv3, one-second adverts, 250 per interface on eth0 and three veth interfaces, one VIP
//! each, no peer) in a lab namespace; the daemon's CPU seconds are read from /proc over a
//! quiet window and over a window with a `GET /metrics` every 5 s (README "Monitoring").
//! Prints figures, asserts nothing. Needs root and curl: `sudo cargo bench --bench idle`.

#[path = "../tests/common/lab.rs"]
mod lab;

use std::time::{Duration, Instant};

use lab::{config, Daemon, Instance, Lab};

const PER_IF: u8 = 250;
const SCRAPE_EVERY: Duration = Duration::from_secs(5);

/// `vrrpd_advert_timer_lateness_seconds`: (deadlines handled more than 5 ms late, all).
fn lateness(lab: &Lab) -> (f64, f64) {
    let url = format!("http://{}:9165/metrics", lab.addr(0));
    let out = lab
        .command(lab.ns(0), &["curl", "-sS", &url])
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&out.stdout);
    let value = |prefix: &str| {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let within = value("vrrpd_advert_timer_lateness_seconds_bucket{le=\"0.005\"}");
    let all = value("vrrpd_advert_timer_lateness_seconds_count");
    (all - within, all)
}

/// What one window cost: CPU seconds, the slowest scrape, timer deadlines handled late
/// (> 5 ms) out of all.
struct Window {
    cpu: f64,
    slowest: Duration,
    late: f64,
    deadlines: f64,
}

/// The daemon over `window`, scraping every [`SCRAPE_EVERY`] when `scrape`.
fn window(lab: &Lab, window: Duration, scrape: bool) -> Window {
    let url = format!("http://{}:9165/metrics", lab.addr(0));
    let (late0, all0) = lateness(lab);
    let before = lab.cpu_seconds(0);
    let t0 = Instant::now();
    let mut slowest = Duration::ZERO;
    while t0.elapsed() < window {
        if scrape {
            let s = Instant::now();
            let out = lab
                .command(lab.ns(0), &["curl", "-sS", "-o", "/dev/null", &url])
                .output()
                .expect("curl");
            assert!(out.status.success(), "scrape failed: {out:?}");
            slowest = slowest.max(s.elapsed());
        }
        std::thread::sleep(SCRAPE_EVERY.min(window.saturating_sub(t0.elapsed())));
    }
    let cpu = lab.cpu_seconds(0) - before;
    let (late1, all1) = lateness(lab);
    Window {
        cpu,
        slowest,
        late: late1 - late0,
        deadlines: all1 - all0,
    }
}

fn main() {
    lab::require_root();
    lab::require_tool("curl");
    let bench = std::env::args().any(|a| a == "--bench");
    let length = if bench {
        Duration::from_secs(60)
    } else {
        Duration::from_secs(5)
    };
    let mut lab = Lab::new("idle", 1);
    let ifaces = lab.fleet_interfaces(0);
    let mut instances = Vec::new();
    for (k, ifname) in ifaces.iter().enumerate() {
        for vrid in 1..=PER_IF {
            let mut i = Instance::v3(&format!("VI_{k}_{vrid}"), vrid, 100, "1")
                .state("MASTER")
                .vip(&format!("10.{}.1.{vrid}/32 dev {ifname}", 100 + k));
            i.interface = ifname.clone();
            instances.push(i);
        }
    }
    let listen = format!("{}:9165", lab.addr(0));
    lab.start_with(
        0,
        Daemon::Vrrpd,
        &config("r0", &instances),
        &["--metrics-listen", &listen],
    );
    lab.wait_ready(0, Duration::from_secs(60));
    // Every instance becomes MASTER after master-down (about 3 s); let the start settle.
    std::thread::sleep(Duration::from_secs(if bench { 10 } else { 5 }));
    let quiet = window(&lab, length, false);
    let scraped = window(&lab, length, true);
    let bytes = lab
        .command(
            lab.ns(0),
            &["curl", "-sS", &format!("http://{listen}/metrics")],
        )
        .output()
        .map(|o| o.stdout.len())
        .unwrap_or(0);
    let pct = |s: f64| s / length.as_secs_f64() * 100.0;
    println!(
        "\n== vrrpd, {} idle MASTER instances, {} s windows",
        instances.len(),
        length.as_secs()
    );
    println!(
        "no scrape:         {:.2} CPU s ({:.2}% of a core); timer deadlines > 5 ms late: {} of {}",
        quiet.cpu,
        pct(quiet.cpu),
        quiet.late,
        quiet.deadlines
    );
    println!(
        "scrape every {} s:  {:.2} CPU s ({:.2}% of a core); timer deadlines > 5 ms late: {} of {}; \
         slowest scrape {:.1} ms, {} KiB",
        SCRAPE_EVERY.as_secs(),
        scraped.cpu,
        pct(scraped.cpu),
        scraped.late,
        scraped.deadlines,
        scraped.slowest.as_secs_f64() * 1000.0,
        bytes / 1024
    );
}
