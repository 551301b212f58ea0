//! Benchmark: `vrrpd --check-config` against `keepalived -t` on the same generated
//! 10,000-instance configuration (about 260,000 lines), in the same run.
//!
//! Prints the wall time of every run of each (the two alternate, each net of the harness), the
//! per-run ratio, its minimum and median, and peak resident memory; asserts nothing.
//! Needs root and keepalived (`sudo ./tests/setup-deps.sh`). Run: `sudo cargo bench --bench check_config`.

#[path = "../tests/common/netns.rs"]
mod netns;

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

const INSTANCES: usize = 10_000;
/// VRIDs are unique per interface and family, so spread the instances over interfaces.
const INTERFACES: usize = 40;
const RUNS: usize = 5;
/// Required speed-up over `keepalived -t`, in every run.
const TARGET: f64 = 20.0;

/// One realistic load-balancer instance: about 25 lines.
fn instance(out: &mut String, i: usize) {
    let ifn = i % INTERFACES;
    let vrid = i / INTERFACES + 1;
    let (a, b) = (i / 250, i % 250);
    let _ = write!(
        out,
        "vrrp_instance VI_{i} {{
    state BACKUP
    interface eth{ifn}
    virtual_router_id {vrid}
    priority {prio}
    advert_int 1
    nopreempt
    garp_master_delay 5
    garp_master_repeat 3
    authentication {{
        auth_type PASS
        auth_pass s{pass}
    }}
    virtual_ipaddress {{
        10.{a}.{b}.1/24 dev eth{ifn} label eth{ifn}:{vrid}
        10.{a}.{b}.2/24 dev eth{ifn}
    }}
    virtual_ipaddress_excluded {{
        172.16.{a}.{b}/32
    }}
    track_interface {{
        eth{track}
    }}
    mcast_src_ip 192.168.{a}.{b2}
    ! comment line for realism
}}
",
        prio = 50 + i % 150,
        pass = i % 100_000,
        b2 = b + 1,
        track = (ifn + 1) % INTERFACES,
    );
}

fn generate() -> String {
    let mut s =
        String::from("global_defs {\n    router_id bench\n    vrrp_garp_master_delay 5\n}\n");
    for i in 0..INSTANCES {
        instance(&mut s, i);
    }
    s
}

/// Runs a command under `/usr/bin/time` and returns (wall seconds, peak RSS in KiB, exit code).
fn measure(ns: &netns::Netns, args: &[&str]) -> (f64, u64, i32) {
    let tmp = std::env::temp_dir().join(format!("vrrpd-bench-time-{}", std::process::id()));
    let tmp_s = tmp.display().to_string();
    let mut full = vec!["/usr/bin/time", "-f", "%M", "-o", tmp_s.as_str()];
    full.extend_from_slice(args);
    let start = Instant::now();
    let out = ns.command(&full).output().expect("run benchmark command");
    let wall = start.elapsed().as_secs_f64();
    let rss = std::fs::read_to_string(&tmp)
        .ok()
        .and_then(|s| s.lines().last().and_then(|l| l.trim().parse().ok()))
        .unwrap_or(0);
    let _ = std::fs::remove_file(&tmp);
    (wall, rss, out.status.code().unwrap_or(-1))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    netns::require_root();
    netns::require_tool("keepalived");
    netns::require_tool("/usr/bin/time");
    let vrrpd = env!("CARGO_BIN_EXE_vrrpd");

    let text = generate();
    let dir = std::env::temp_dir().join(format!("vrrpd-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let conf = dir.join("keepalived.conf");
    std::fs::write(&conf, &text).expect("write config");
    let conf_s = conf.display().to_string();
    println!(
        "config: {} instances, {} lines, {} bytes",
        INSTANCES,
        text.lines().count(),
        text.len()
    );

    // keepalived -t checks interfaces of the namespace it runs in: give it all of them.
    let ns = netns::Netns::new("bcc");
    for k in 0..INTERFACES {
        ns.add_veth(&format!("eth{k}"), &format!("peer{k}"));
    }

    // `ip netns exec` + `/usr/bin/time` cost the same fixed time around either program
    // (mount namespace set-up, exec); measure it with `true` and report each program's own
    // time net of it, so the ratio compares the two checkers, not the harness.
    let overhead = median((0..RUNS).map(|_| measure(&ns, &["true"]).0).collect());
    println!(
        "harness overhead (ip netns exec + /usr/bin/time running `true`): {:.3} s",
        overhead
    );
    // The two programs alternate run by run, so a burst of load on the shared machine hits
    // run k of both rather than all runs of one: the per-run ratio compares like with like.
    let programs = [
        (
            "keepalived -t",
            vec!["keepalived", "-t", "-f", conf_s.as_str()],
        ),
        (
            "vrrpd --check-config",
            vec![vrrpd, "--check-config", "-f", conf_s.as_str()],
        ),
    ];
    let mut walls = [Vec::new(), Vec::new()];
    let mut rss = [0u64; 2];
    let mut codes = [0i32; 2];
    for _ in 0..RUNS {
        for (p, (_, args)) in programs.iter().enumerate() {
            let (w, r, c) = measure(&ns, args);
            // Net of the harness, floored so a ratio stays finite.
            walls[p].push((w - overhead).max(0.001));
            rss[p] = rss[p].max(r);
            codes[p] = c;
        }
    }
    for (p, (name, _)) in programs.iter().enumerate() {
        let runs: Vec<String> = walls[p].iter().map(|w| format!("{w:.3}")).collect();
        println!(
            "{name:<22} median {:>8.3} s   runs [{}] s   peak RSS {:>8.1} MB   exit {}",
            median(walls[p].clone()),
            runs.join(", "),
            rss[p] as f64 / 1024.0,
            codes[p]
        );
    }
    let ratios: Vec<f64> = walls[0].iter().zip(&walls[1]).map(|(k, v)| k / v).collect();
    let shown: Vec<String> = ratios.iter().map(|r| format!("{r:.1}x")).collect();
    let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "per-run speed-up (keepalived run k / vrrpd run k): {}",
        shown.join(", ")
    );
    println!(
        "speed-up: min {:.1}x, median {:.1}x faster than keepalived -t; target >= {TARGET:.0}x in every run: {}",
        min,
        median(ratios.clone()),
        if min >= TARGET { "ok" } else { "MISSED" }
    );
    println!(
        "peak memory: keepalived {:.1} MB, vrrpd {:.1} MB (target < 100 MB: {})",
        rss[0] as f64 / 1024.0,
        rss[1] as f64 / 1024.0,
        if rss[1] < 100 * 1024 { "ok" } else { "MISSED" }
    );
    let _ = std::fs::remove_dir_all(Path::new(&dir));
}
