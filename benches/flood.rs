//! Benchmark: a pair under a flood of hostile VRRP traffic, keepalived pair against vrrpd pair in
//! the same run and the same lab (tests/common/lab.rs).
//!
//! The pair (r0 priority 150, r1 100, VRRPv2, one-second adverts, `auth_type PASS`) holds
//! 10.0.0.100; both run a UDP echo service and a client asks the VIP every 2 ms. A third node
//! sends 20,000 packets/s to 224.0.0.18 for [`FLOOD`], rotating through: a wrong password, a
//! bad TTL, a bad checksum, random garbage, other VRIDs, a spoofed source (the master's own
//! address, higher priority but a wrong password) and valid lower-priority adverts.
//!
//! Printed per daemon: holder changes of the VIP during the flood (target 0), the client's
//! longest gap (target <= 50 ms), the CPU seconds the daemons used, their resident memory before
//! and after (target: flat), and how many log lines they wrote during the flood (target:
//! bounded, not proportional to the packets). Prints figures, asserts nothing.
//! Needs root and keepalived: `cargo bench --bench flood` (as root).

#[path = "../tests/common/lab.rs"]
mod lab;
#[path = "../tests/common/probe.rs"]
mod probe;

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use lab::{config, Daemon, Instance, Lab};
use probe::{longest_gap, probe, Echo};
use vrrpd::wire::{emit_ipv4_datagram, Addrs, Advert, Auth, Checksum, Ipv4Repr, Version};

const VIP: &str = "10.0.0.100";
/// The flood's length under `cargo bench` (a short smoke run otherwise).
const FLOOD: Duration = Duration::from_secs(60);
const RATE: u64 = 20_000;
const PASS: &str = "secret12";

/// The packets of the flood, built once (with the real codec), sent in rotation.
fn flood_packets() -> Vec<Vec<u8>> {
    let group = Ipv4Addr::new(224, 0, 0, 18);
    let vip: Ipv4Addr = VIP.parse().expect("VIP");
    let advert = |vrid: u8, prio: u8, pass: &str| Advert {
        version: Version::V2,
        vrid,
        priority: prio,
        interval: 1,
        auth: Auth::pass_from_str(pass),
        addrs: Addrs::V4(vec![vip]),
    };
    let build = |src: Ipv4Addr, ttl: u8, adv: &Advert| {
        let msg = adv.to_vec(Checksum::V2).expect("advert");
        let ip = Ipv4Repr::vrrp(src, group, ttl, 1, msg.len());
        emit_ipv4_datagram(&ip, &msg).expect("datagram")
    };
    let stranger = Ipv4Addr::new(10, 0, 0, 66);
    let master = Ipv4Addr::new(10, 0, 0, 1);
    let mut out = vec![
        build(stranger, 255, &advert(51, 200, "wrong")),
        build(stranger, 64, &advert(51, 200, PASS)),
        {
            let mut p = build(stranger, 255, &advert(51, 200, PASS));
            if let Some(b) = p.get_mut(26) {
                *b ^= 0xff; // the VRRP checksum
            }
            p
        },
        build(stranger, 255, &advert(52, 200, PASS)),
        build(stranger, 255, &advert(99, 250, PASS)),
        build(master, 255, &advert(51, 254, "wrong")),
        build(stranger, 255, &advert(51, 50, PASS)),
    ];
    // Garbage with a VRRP header's VRID.
    let mut garbage = build(stranger, 255, &advert(51, 200, PASS));
    for (i, b) in garbage.iter_mut().enumerate().skip(20) {
        *b = (i as u8).wrapping_mul(37) ^ 0x5a;
    }
    if let Some(b) = garbage.get_mut(21) {
        *b = 51;
    }
    out.push(garbage);
    out
}

/// The attacker: `RATE` packets/s from namespace `ns` for `length`; returns how many were sent.
fn attacker(lab: &Lab, ns: &str, length: Duration) -> JoinHandle<u64> {
    let packets = flood_packets();
    lab.spawn_in(ns, move || {
        use socket2::{Domain, Protocol, Socket, Type};
        let sock = Socket::new(
            Domain::IPV4,
            Type::RAW,
            Some(Protocol::from(libc::IPPROTO_RAW)),
        )
        .expect("raw socket");
        let dst: std::net::SocketAddr = "224.0.0.18:0".parse().expect("group");
        let dst = socket2::SockAddr::from(dst);
        let start = Instant::now();
        let mut sent = 0u64;
        while start.elapsed() < length {
            // Catch up to the rate in small batches (a 1 ms sleep between them).
            let due = (start.elapsed().as_secs_f64() * RATE as f64) as u64;
            while sent < due {
                let p = &packets[(sent % packets.len() as u64) as usize];
                if sock.send_to(p, &dst).is_err() {
                    // A full send queue: try again after the pause.
                    break;
                }
                sent += 1;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        sent
    })
}

/// CPU seconds (user + system) and resident KiB of the daemon processes in namespace `ns`.
fn usage(ns: &str, daemon: Daemon) -> (f64, u64) {
    let pids = lab::sh(&["ip", "netns", "pids", ns]);
    let want: String = daemon.name().chars().take(15).collect();
    let ticks = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .unwrap_or(100) as f64;
    let (mut cpu, mut rss) = (0.0, 0);
    for pid in pids.split_whitespace() {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let comm = stat
            .get(stat.find('(').map_or(0, |i| i + 1)..close)
            .unwrap_or("");
        if comm != want {
            continue;
        }
        let f: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        // Fields after the comm: state is 0, utime 11, stime 12.
        cpu += (t(11) + t(12)) / ticks;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        rss += status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0);
    }
    (cpu, rss)
}

fn log_lines(lab: &Lab) -> usize {
    lab.all_logs().lines().count()
}

struct Figures {
    sent: u64,
    holder_changes: usize,
    gap: Duration,
    cpu: f64,
    rss_before: u64,
    rss_after: u64,
    log_lines: usize,
}

fn run(d: Daemon, length: Duration) -> Figures {
    let mut lab = Lab::new(
        &lab::tag("flood", if d == Daemon::Vrrpd { "v" } else { "k" }),
        3,
    );
    let echoes = [Echo::start(&lab, lab.ns(0)), Echo::start(&lab, lab.ns(1))];
    for (i, prio) in [(0usize, 150u8), (1, 100)] {
        let inst = Instance::v2("VI_1", 51, prio)
            .pass(PASS)
            .vip(&format!("{VIP}/24"));
        lab.start(i, d, &config(&format!("r{i}"), &[inst]));
    }
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    lab.wait_holders(VIP, &[0], Duration::from_secs(15));
    std::thread::sleep(Duration::from_secs(2));
    let before: Vec<(f64, u64)> = (0..2).map(|i| usage(lab.ns(i), d)).collect();
    let lines_before = log_lines(&lab);
    let probe_stop = Arc::new(AtomicBool::new(false));
    let prober = probe(&lab, VIP, probe_stop.clone());
    std::thread::sleep(Duration::from_millis(300));
    // The attacker's multicast goes out of its LAN port.
    lab.ip(lab.ns(2), &["route", "add", "224.0.0.0/4", "dev", lab::IF]);
    let attack = attacker(&lab, lab.ns(2), length);
    // Watch the VIP's holder while the flood lasts.
    let changes = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let mut last = lab.holders(VIP);
    while t0.elapsed() < length {
        let now = lab.holders(VIP);
        if now != last {
            changes.fetch_add(1, Ordering::Relaxed);
            last = now;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = attack.join().unwrap_or(0);
    std::thread::sleep(Duration::from_millis(300));
    probe_stop.store(true, Ordering::Relaxed);
    let answers = prober.join().unwrap_or_default();
    let gap = longest_gap(&answers);
    let after: Vec<(f64, u64)> = (0..2).map(|i| usage(lab.ns(i), d)).collect();
    let lines_after = log_lines(&lab);
    drop(echoes);
    lab.stop(0);
    lab.stop(1);
    Figures {
        sent,
        holder_changes: changes.load(Ordering::Relaxed) as usize,
        gap,
        cpu: after.iter().map(|a| a.0).sum::<f64>() - before.iter().map(|b| b.0).sum::<f64>(),
        rss_before: before.iter().map(|b| b.1).sum(),
        rss_after: after.iter().map(|a| a.1).sum(),
        log_lines: lines_after.saturating_sub(lines_before),
    }
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let length = if bench { FLOOD } else { Duration::from_secs(3) };
    println!(
        "\n== a pair under {RATE} hostile VRRP packets/s for {} s (VRRPv2, advert_int 1, PASS)",
        length.as_secs()
    );
    println!(
        "{:<11} {:>10} {:>8} {:>9} {:>8} {:>18} {:>10}",
        "daemon", "sent", "changes", "gap ms", "CPU s", "RSS KiB before>after", "log lines"
    );
    for d in [Daemon::Keepalived, Daemon::Vrrpd] {
        let f = run(d, length);
        println!(
            "{:<11} {:>10} {:>8} {:>9.1} {:>8.2} {:>9}>{:<8} {:>10}",
            d.name(),
            f.sent,
            f.holder_changes,
            f.gap.as_secs_f64() * 1000.0,
            f.cpu,
            f.rss_before,
            f.rss_after,
            f.log_lines
        );
    }
    println!("targets: 0 holder changes, gap <= 50 ms, RSS flat, log lines bounded");
}
