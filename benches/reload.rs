//! Benchmark (README "Reload at any size"): what a reload of a large configuration costs the
//! protocol, keepalived pair against vrrpd pair in the same run and the same lab
//! (tests/common/lab.rs).
//!
//! lb1 (router 0, priority 150) and lb2 (router 1, priority 100) run one VRRPv3 instance at
//! `advert_int 0.03` sharing 10.0.0.100. lb1's file also carries a load that the protocol does
//! not use: 1,000 / 10,000 / 40,000 `vrrp_script` blocks that no instance tracks, or 999 more
//! instances (one-second adverts, one VIP each, on eth0 and three veth interfaces, no peer).
//! For each daemon and load:
//!
//! * start-up: lb1 starts alone; the time from its start to holding the VIP, against the
//!   protocol's master-down interval (the target is master-down + 50 ms);
//! * reloads: lb2 starts, then lb1 is sent SIGHUP [`RELOADS`] times, each after the previous one
//!   completed (`Reload complete` in its log) and a quiet second. lb1's adverts are captured
//!   on lb2's side; the longest delay of a due advert is the longest interval between two of
//!   lb1's adverts less `advert_int` (target: 5 ms). The same measure over as long a window
//!   before the reloads, with none, is printed beside it ("no reload"): the machine's own
//!   scheduling noise. "not a stall" is the longest delay during the reloads that no stall of
//!   the machine explains: a probe thread per CPU (SCHED_FIFO, tests/common/stalls.rs) records
//!   the windows in which the virtual machine did not run that CPU at all, and a delay that
//!   overlaps one is the machine's, not the daemon's; "longest stall" is the longest such
//!   window. Holder changes are counted from `ip monitor address` in both
//!   namespaces, and lb2's adverts are counted (a backup sends none): target 0. CPU per
//!   reload is the daemon's processes' CPU time over each reload, averaged.
//!
//! Prints figures, asserts nothing. Needs root, keepalived, tcpdump and tshark:
//! `sudo cargo bench --bench reload` (all loads), `-- quick` (1,000 scripts only), `-- scripts`
//! (40,000 scripts only) or `-- instances` (1,000 instances only).

#[path = "../tests/common/lab.rs"]
mod lab;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "../tests/common/stalls.rs"]
mod stalls;

use lab::{config, Daemon, Instance, Lab};
use nix::sys::signal::Signal;

const VIP: &str = "10.0.0.100";
const ADVERT: &str = "0.03";
const RELOADS: usize = 5;

#[derive(Clone, Copy)]
enum Load {
    Scripts(usize),
    Instances(usize),
}

impl Load {
    fn name(self) -> String {
        match self {
            Load::Scripts(n) => format!("{n} scripts"),
            Load::Instances(n) => format!("{n} instances"),
        }
    }
}

/// The captures keep only the measured instance's adverts (VRID 51, byte 1 of the VRRP
/// header after a 20-byte IPv4 header): with 999 more instances, a capture of every advert
/// lost hundreds of packets to tcpdump's buffer in each second's burst (627 in one run), and a
/// lost advert of VRID 51 read as a 30 ms delay.
const MEASURED: &str = "ip proto 112 and ip[21] = 51";

/// What one daemon did under one load.
struct Row {
    startup: Duration,
    master_down: Duration,
    longest_delay: Duration,
    /// The longest delay that no stall of the machine explains (tests/common/stalls.rs).
    unexplained_delay: Duration,
    /// The longest stall of the machine during the reloads.
    longest_stall: Duration,
    /// The same measure over as long a window without any reload: what the machine's
    /// scheduling costs anyway, so the reload's own share can be told apart.
    idle_delay: Duration,
    holder_changes: usize,
    backup_adverts: usize,
    cpu_per_reload: f64,
    slowest_reload: Duration,
}

fn unused_scripts(n: usize) -> String {
    let mut s = String::new();
    for k in 0..n {
        let _ = writeln!(
            s,
            "vrrp_script chk_unused_{k} {{\n    script \"/bin/true\"\n    interval 1\n}}"
        );
    }
    s
}

/// The measured instance, plus `more` idle instances on eth0 and d1..d3 (created here).
fn instances(lab: &Lab, router: usize, priority: u8, more: usize) -> Vec<Instance> {
    let mut all =
        vec![Instance::v3("VI_1", 51, priority, ADVERT).vip(&format!("{VIP}/24 dev eth0"))];
    if more == 0 {
        return all;
    }
    let ifaces = lab.fleet_interfaces(router);
    'outer: for (k, ifname) in ifaces.iter().enumerate() {
        for vrid in 1..=255u8 {
            if all.len() > more {
                break 'outer;
            }
            if k == 0 && vrid == 51 {
                continue;
            }
            let mut i = Instance::v3(&format!("VI_{k}_{vrid}"), vrid, 100, "1")
                .vip(&format!("10.{}.1.{vrid}/32 dev {ifname}", 100 + k));
            i.interface = ifname.clone();
            all.push(i);
        }
    }
    all
}

/// Starts lb1 and returns the time from its start until the VIP is on its eth0, as `ip monitor
/// address` reports it. An event, not a poll: starting `ip` every 2 ms to look took a good
/// part of the second core on a two-core machine while the daemon was reading its file. The
/// file is written before the clock starts (writing it is the benchmark's work).
fn start_up(lab: &mut Lab, d: Daemon, text: &str) -> Duration {
    use std::io::BufRead;
    let mut monitor = std::process::Command::new("ip")
        .args(["-n", lab.ns(0), "-4", "monitor", "address"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("ip monitor address");
    let out = monitor.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel::<Instant>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
            if !line.starts_with("Deleted")
                && line.contains(" eth0")
                && line.contains(&format!(" {VIP}/"))
            {
                let _ = tx.send(Instant::now());
            }
        }
    });
    // The monitor is listening once it has had a moment to subscribe.
    std::thread::sleep(Duration::from_millis(200));
    lab.write_conf(0, text);
    let t0 = Instant::now();
    lab.start_written(0, d);
    let held = rx.recv_timeout(Duration::from_secs(120));
    let _ = monitor.kill();
    let _ = monitor.wait();
    let at = held.unwrap_or_else(|_| panic!("{VIP} not on lb1 after 120 s\n{}", lab.all_logs()));
    lab.wait_holds(0, VIP, Duration::from_secs(10));
    at.saturating_duration_since(t0)
}

/// Counts changes of the set of routers holding the VIP until `stop`, from `ip monitor
/// address` in each namespace: every change is seen, and nothing polls (spawning `ip` every
/// 10 ms cost the measured machine more than half a core).
fn holder_watch(
    lab: &Lab,
    stop: Arc<AtomicBool>,
    changes: Arc<AtomicUsize>,
) -> impl FnOnce() + Send + use<> {
    let nss = [lab.ns(0).to_string(), lab.ns(1).to_string()];
    move || {
        let (tx, rx) = std::sync::mpsc::channel::<(usize, bool)>();
        let mut monitors = Vec::new();
        for (k, ns) in nss.iter().enumerate() {
            let mut child = std::process::Command::new("ip")
                .args(["-n", ns, "-4", "monitor", "address"])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("ip monitor address");
            let out = child.stdout.take().expect("piped stdout");
            let tx = tx.clone();
            std::thread::spawn(move || {
                use std::io::BufRead;
                for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                    if line.contains(" eth0") && line.contains(&format!(" {VIP}/")) {
                        let _ = tx.send((k, !line.starts_with("Deleted")));
                    }
                }
            });
            monitors.push(child);
        }
        std::thread::sleep(Duration::from_millis(200));
        let holds = |ns: &str| {
            let out = lab::sh(&[
                "ip", "netns", "exec", ns, "ip", "-4", "-o", "addr", "show", "dev", "eth0",
            ]);
            out.contains(&format!(" {VIP}/"))
        };
        let mut now = [holds(&nss[0]), holds(&nss[1])];
        while !stop.load(Ordering::Relaxed) {
            if let Ok((k, held)) = rx.recv_timeout(Duration::from_millis(50)) {
                if now[k] != held {
                    now[k] = held;
                    changes.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        for mut m in monitors {
            let _ = m.kill();
            let _ = m.wait();
        }
    }
}

fn run(d: Daemon, load: Load, tag: &str) -> Row {
    let mut lab = Lab::new(tag, 2);
    let (extra, more) = match load {
        Load::Scripts(n) => (unused_scripts(n), 0),
        Load::Instances(n) => (String::new(), n.saturating_sub(1)),
    };
    let lb1 = instances(&lab, 0, 150, more);
    let lb2 = instances(&lab, 1, 100, 0);
    let master_down = lb1[0].master_down();
    let text1 = format!("{}{extra}", config("lb1", &lb1));

    // Start-up: lb1 alone, from its start to holding the VIP.
    let startup = start_up(&mut lab, d, &text1);
    lab.wait_ready(0, Duration::from_secs(120));

    lab.start(1, d, &config("lb2", &lb2));
    lab.wait_ready(1, Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(1));
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    let advert = lb1[0].advert().as_secs_f64();

    // Control: the same capture with no reload, as long as the reloads take (about 1.1 s each).
    let cap = lab.capture_filter(lab.ns(1), &format!("{tag}-idle"), MEASURED);
    std::thread::sleep(Duration::from_millis(300 + 1_100 * RELOADS as u64));
    let idle_sends = lb1_sends(&lab, &lab::adverts(&cap.stop()));
    let idle_delay = stalls::longest_unexplained(&idle_sends, advert, &[]);

    let probe = stalls::Probe::start();
    let cap = lab.capture_filter(lab.ns(1), &format!("{tag}-reloads"), MEASURED);
    std::thread::sleep(Duration::from_millis(300));
    let stop = Arc::new(AtomicBool::new(false));
    let changes = Arc::new(AtomicUsize::new(0));
    let mut cpu_total = 0.0;
    let mut slowest = Duration::ZERO;
    std::thread::scope(|s| {
        let watcher = s.spawn(holder_watch(&lab, stop.clone(), changes.clone()));
        // The watcher's monitors start and read the first holders.
        std::thread::sleep(Duration::from_millis(300));
        for _ in 0..RELOADS {
            let (_, mut read) = lab.log_since(0, 0);
            let c0 = lab.cpu_seconds(0);
            let r0 = Instant::now();
            lab.signal(0, Signal::SIGHUP);
            let deadline = Instant::now() + Duration::from_secs(180);
            loop {
                let (new, next) = lab.log_since(0, read);
                read = next;
                if new.contains("Reload complete") || Instant::now() >= deadline {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            slowest = slowest.max(r0.elapsed());
            std::thread::sleep(Duration::from_millis(500));
            cpu_total += lab.cpu_seconds(0) - c0;
            std::thread::sleep(Duration::from_millis(500));
        }
        stop.store(true, Ordering::Relaxed);
        let _ = watcher.join();
    });
    let pcap = cap.stop();
    let stalls = probe.stop();
    // Decoded once (tshark) for every figure below.
    let adverts = lab::adverts(&pcap);
    let sends = lb1_sends(&lab, &adverts);
    let lb2_addr = lab.addr(1).to_string();
    let backup_adverts = adverts
        .iter()
        .filter(|a| a.src == lb2_addr && a.vrid == 51 && a.prio != 0)
        .count();
    Row {
        startup,
        master_down,
        // With no stall excluded: the longest interval between two adverts less `advert`.
        longest_delay: stalls::longest_unexplained(&sends, advert, &[]),
        unexplained_delay: stalls::longest_unexplained(&sends, advert, &stalls),
        longest_stall: stalls::longest(&stalls),
        idle_delay,
        holder_changes: changes.load(Ordering::Relaxed),
        backup_adverts,
        cpu_per_reload: cpu_total / RELOADS as f64,
        slowest_reload: slowest,
    }
}

/// When lb1's adverts of the measured instance were captured, in seconds since the epoch.
fn lb1_sends(lab: &Lab, adverts: &[lab::Seen]) -> Vec<f64> {
    let lb1_addr = lab.addr(0).to_string();
    adverts
        .iter()
        .filter(|a| a.src == lb1_addr && a.vrid == 51)
        .map(|a| a.time)
        .collect()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    lab::require_root();
    lab::require_tool("keepalived");
    lab::require_tool("tcpdump");
    lab::require_tool("tshark");
    let quick = std::env::args().any(|a| a == "quick") || !std::env::args().any(|a| a == "--bench");
    let loads: Vec<Load> = if std::env::args().any(|a| a == "instances") {
        vec![Load::Instances(1_000)]
    } else if std::env::args().any(|a| a == "scripts") {
        vec![Load::Scripts(40_000)]
    } else if quick {
        vec![Load::Scripts(1_000)]
    } else {
        vec![
            Load::Scripts(1_000),
            Load::Scripts(10_000),
            Load::Scripts(40_000),
            Load::Instances(1_000),
        ]
    };
    println!(
        "== reload of lb1 ({RELOADS} SIGHUPs), VRRPv3 advert_int {ADVERT}, lb1 150 / lb2 100; \
         targets: delay <= 5 ms, 0 holder changes, start-up <= master-down + 50 ms"
    );
    println!(
        "{:<17} {:<11} {:>10} {:>12} {:>14} {:>11} {:>12} {:>13} {:>8} {:>13} {:>13} {:>14}",
        "load",
        "daemon",
        "start-up",
        "master-down",
        "longest delay",
        "(no reload)",
        "not a stall",
        "longest stall",
        "holders",
        "lb2 adverts",
        "CPU/reload",
        "slowest reload"
    );
    for (k, load) in loads.iter().enumerate() {
        for d in [Daemon::Keepalived, Daemon::Vrrpd] {
            let tag = format!("rl{k}{}", &d.name()[..1]);
            let r = run(d, *load, &tag);
            println!(
                "{:<17} {:<11} {:>10} {:>12} {:>14} {:>11} {:>12} {:>13} {:>8} {:>13} {:>11.3} s {:>14}",
                load.name(),
                d.name(),
                ms(r.startup),
                ms(r.master_down),
                ms(r.longest_delay),
                ms(r.idle_delay),
                ms(r.unexplained_delay),
                ms(r.longest_stall),
                r.holder_changes,
                r.backup_adverts,
                r.cpu_per_reload,
                ms(r.slowest_reload),
            );
        }
    }
}
