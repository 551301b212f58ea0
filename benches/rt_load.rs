//! Benchmark (README "Real-time under load"): a VRRPv3 pair at `advert_int 0.01` on a machine
//! whose cores are saturated by CPU and I/O hogs, with and without `vrrp_rt_priority`,
//! keepalived pair and vrrpd pair in the same run (tests/common/lab.rs).
//!
//! Both pairs (lb1 priority 150, lb2 100, one VIP) run at the same time, each in its own lab,
//! under the same load: 2 × the number of CPUs busy loops and two I/O hogs (a direct-I/O
//! writer and an fsync writer), all at normal priority. For each phase (no real-time
//! priority, then `vrrp_rt_priority 50` in both daemons' `global_defs`):
//!
//! * [`phase_secs`] seconds of load: holder changes (lb2 entering MASTER, from its log, and
//!   runs of lb2 adverts in a capture on lb2's side; target 0) and the longest interval
//!   between two of lb1's adverts, less `advert_int` (its worst advert delay);
//! * then [`CRASHES`] crashes of lb1 (SIGKILL) under the same load: the gap from lb1's last
//!   advert to lb2's first advert, as captured (target: master-down + 5 ms; master-down is
//!   3 × 10 ms + skew 6.09 ms for lb2's priority 100 = 36.1 ms). lb1 is restarted after each crash and
//!   takes the VIP back.
//!
//! Prints figures, asserts nothing. Needs root, keepalived, tcpdump and tshark:
//! `sudo cargo bench --bench rt_load` (300 s per phase; `VRRPD_RT_SECS=N` for another length).
//! Without `--bench` (e.g. `cargo test --all-targets`) each phase lasts 5 s.

#[path = "../tests/common/lab.rs"]
mod lab;

use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lab::{config, Daemon, Instance, Lab, Seen};

const VIP: &str = "10.0.0.100";
const ADVERT: &str = "0.01";
const VRID: u8 = 51;
/// Crashes of lb1 per phase and daemon.
const CRASHES: usize = 3;
const RT_PRIORITY: u32 = 50;

/// Seconds of load per phase.
fn phase_secs() -> u64 {
    if let Some(s) = std::env::var("VRRPD_RT_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return s;
    }
    if std::env::args().any(|a| a == "--bench") {
        300
    } else {
        5
    }
}

/// The hogs: killed (with their process groups) when dropped.
struct Hogs {
    children: Vec<Child>,
}

impl Hogs {
    fn start(dir: &std::path::Path) -> Hogs {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        let mut children = Vec::new();
        let mut spawn = |script: &str| {
            let child = Command::new("sh")
                .args(["-c", script])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .expect("start a hog");
            children.push(child);
        };
        for _ in 0..2 * cpus {
            spawn("while :; do :; done");
        }
        let d = dir.display();
        // Direct I/O bypasses the page cache: every block goes to the disk.
        spawn(&format!(
            "while :; do dd if=/dev/zero of={d}/hog-direct bs=1M count=256 oflag=direct 2>/dev/null; done"
        ));
        spawn(&format!(
            "while :; do dd if=/dev/zero of={d}/hog-fsync bs=64k count=1024 conv=fsync 2>/dev/null; done"
        ));
        Hogs { children }
    }
}

impl Drop for Hogs {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(c.id() as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
            let _ = c.wait();
        }
    }
}

/// One daemon's pair.
struct Pair {
    daemon: Daemon,
    lab: Lab,
    conf: [String; 2],
}

impl Pair {
    fn new(daemon: Daemon, rt: bool, tag: &str) -> Pair {
        let mut lab = Lab::new(tag, 2);
        let vip = format!("{VIP}/24 dev eth0");
        let conf = [150u8, 100].map(|p| {
            let i = Instance::v3("VI_1", VRID, p, ADVERT).vip(&vip);
            let text = config(&format!("lb{p}"), &[i]);
            if rt {
                text.replacen(
                    "global_defs {\n",
                    &format!("global_defs {{\n    vrrp_rt_priority {RT_PRIORITY}\n"),
                    1,
                )
            } else {
                text
            }
        });
        lab.start(1, daemon, &conf[1]);
        lab.wait_ready(1, Duration::from_secs(30));
        lab.start(0, daemon, &conf[0]);
        lab.wait_ready(0, Duration::from_secs(30));
        lab.wait_holders(VIP, &[0], Duration::from_secs(30));
        Pair { daemon, lab, conf }
    }

    /// Times lb2 logged `Entering MASTER STATE` so far.
    fn lb2_masters(&self) -> usize {
        self.lab.log(1).matches("Entering MASTER STATE").count()
    }
}

fn epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// What one pair showed in one phase.
#[derive(Default)]
struct Figures {
    lb2_master_logs: usize,
    lb2_runs: usize,
    worst_delay: f64,
    adverts: usize,
    crash_gaps: Vec<f64>,
}

/// Runs of consecutive lb2 adverts (priority > 0) among the pair's adverts: each one is lb2
/// holding the VIP for a while.
fn lb2_runs(adverts: &[&Seen], lb2: &str) -> usize {
    let mut runs = 0;
    let mut in_run = false;
    for a in adverts {
        let mine = a.src == lb2 && a.prio > 0;
        if mine && !in_run {
            runs += 1;
        }
        in_run = mine;
    }
    runs
}

fn measure(pair: &mut Pair, secs: u64, crashes: usize, name: &str) -> Figures {
    let masters0 = pair.lb2_masters();
    let cap = pair.lab.capture(pair.lab.ns(1), name);
    let start = epoch();
    std::thread::sleep(Duration::from_secs(secs));
    let load_end = epoch();
    let masters_during_load = pair.lb2_masters() - masters0;
    let mut kills = Vec::new();
    for _ in 0..crashes {
        kills.push(epoch());
        pair.lab.kill9(0);
        pair.lab.wait_holds(1, VIP, Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(300));
        pair.lab.forget(0);
        // A crash leaves the VIP behind; the node comes back as if rebooted.
        let ns = pair.lab.ns(0).to_string();
        let _ = pair
            .lab
            .command(
                &ns,
                &["ip", "addr", "del", &format!("{VIP}/24"), "dev", "eth0"],
            )
            .status();
        let conf = pair.conf[0].clone();
        pair.lab.start(0, pair.daemon, &conf);
        pair.lab.wait_holders(VIP, &[0], Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(500));
    }
    let pcap = cap.stop();
    let all = lab::adverts(&pcap);
    let (lb1, lb2) = (pair.lab.addr(0).to_string(), pair.lab.addr(1).to_string());
    let ours: Vec<&Seen> = all.iter().filter(|a| a.vrid == VRID).collect();
    let in_load: Vec<&Seen> = ours
        .iter()
        .copied()
        .filter(|a| a.time >= start && a.time <= load_end)
        .collect();
    let lb1_times: Vec<f64> = in_load
        .iter()
        .filter(|a| a.src == lb1)
        .map(|a| a.time)
        .collect();
    let advert: f64 = ADVERT.parse().unwrap_or(0.01);
    let worst = lb1_times
        .windows(2)
        .map(|w| w[1] - w[0])
        .fold(0.0f64, f64::max);
    let mut gaps = Vec::new();
    for k in kills {
        let last = ours
            .iter()
            .filter(|a| a.src == lb1 && a.time <= k)
            .map(|a| a.time)
            .fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.max(t))));
        let first = ours
            .iter()
            .find(|a| a.src == lb2 && a.prio > 0 && a.time > k)
            .map(|a| a.time);
        if let (Some(l), Some(f)) = (last, first) {
            gaps.push(f - l);
        }
    }
    Figures {
        lb2_master_logs: masters_during_load,
        lb2_runs: lb2_runs(&in_load, &lb2),
        worst_delay: (worst - advert).max(0.0),
        adverts: lb1_times.len(),
        crash_gaps: gaps,
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

fn main() {
    lab::require_root();
    lab::require_tool("keepalived");
    lab::require_tool("tcpdump");
    lab::require_tool("tshark");
    let secs = phase_secs();
    let crashes = if std::env::args().any(|a| a == "--bench") {
        CRASHES
    } else {
        1
    };
    let master_down = Instance::v3("VI_1", VRID, 100, ADVERT).master_down();
    let target = master_down.as_secs_f64() + 0.005;
    println!(
        "== VRRPv3 advert_int {ADVERT}, lb1 150 / lb2 100, both pairs at once under {} busy loops and 2 I/O hogs, {secs} s per phase; \
         targets: 0 holder changes, crash failover <= master-down + 5 ms = {:.1} ms",
        2 * std::thread::available_parallelism().map_or(2, |n| n.get()),
        target * 1e3
    );
    println!(
        "{:<22} {:<11} {:>9} {:>14} {:>12} {:>15} {:>26}",
        "phase",
        "daemon",
        "adverts",
        "lb2 MASTER",
        "lb2 runs",
        "worst delay",
        "crash failover (median)"
    );
    for (k, rt) in [false, true].into_iter().enumerate() {
        let phase = if rt {
            format!("vrrp_rt_priority {RT_PRIORITY}")
        } else {
            "no real-time priority".to_string()
        };
        let mut pairs = [Daemon::Keepalived, Daemon::Vrrpd]
            .map(|d| Pair::new(d, rt, &format!("rt{k}{}", &d.name()[..1])));
        let hogs = Hogs::start(&pairs[0].lab.dir);
        // Both pairs measured at the same time, under the same load.
        let figures: Vec<Figures> = std::thread::scope(|s| {
            let handles: Vec<_> = pairs
                .iter_mut()
                .map(|p| {
                    let name = format!("rt-{}", p.daemon.name());
                    s.spawn(move || measure(p, secs, crashes, &name))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        drop(hogs);
        for (p, f) in pairs.iter().zip(figures) {
            let gaps: Vec<String> = f
                .crash_gaps
                .iter()
                .map(|g| format!("{:.1}", g * 1e3))
                .collect();
            let med = median(f.crash_gaps.clone())
                .map_or("-".to_string(), |m| format!("{:.1} ms", m * 1e3));
            println!(
                "{:<22} {:<11} {:>9} {:>14} {:>12} {:>12.1} ms {:>12} [{}]",
                phase,
                p.daemon.name(),
                f.adverts,
                f.lb2_master_logs,
                f.lb2_runs,
                f.worst_delay * 1e3,
                med,
                gaps.join(", ")
            );
        }
    }
}
