//! The process-level `global_defs` keywords on a running daemon (root; docs/keywords.md):
//! `vrrp_rt_priority`, `vrrp_rlimit_rttime`, `vrrp_no_swap`, `vrrp_cpu_affinity` on the
//! protocol-loop thread, scripts back at normal scheduling, and
//! `vrrp_netlink_{cmd,monitor}_rcv_bufs[_force]` on the two netlink sockets, and
//! `disable_local_igmp` and `promote_secondaries` while the daemon runs, `startup_script` and
//! `shutdown_script` around it.

use crate::common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::lab::{config, require_tool, Daemon, Instance, Lab};

/// Fields of /proc/PID/stat after the command name (index 0 = field 3, `state`).
fn stat_fields(text: &str) -> Vec<String> {
    let after = text.rsplit_once(')').map_or("", |(_, rest)| rest);
    after.split_whitespace().map(str::to_string).collect()
}

/// Field `n` (1-based, as in proc(5)) of a /proc/PID/stat text.
fn stat_field(text: &str, n: usize) -> String {
    stat_fields(text)
        .get(n - 3)
        .cloned()
        .unwrap_or_else(|| panic!("no field {n} in {text}"))
}

fn status_line<'a>(status: &'a str, key: &str) -> &'a str {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {key} in {status}"))
}

/// `rb` (the receive buffer the kernel granted) of every rtnetlink socket opened in `ns` (only
/// the daemon runs there; ss cannot name the owner of a socket whose port id is not its pid).
fn netlink_rcvbufs(ns: &str) -> Vec<u64> {
    let out = common::lab::sh(&["ip", "netns", "exec", ns, "ss", "-f", "netlink", "-a", "-m"]);
    out.lines()
        .filter(|l| l.contains("rtnl:") && !l.contains("rtnl:kernel"))
        .filter_map(|l| {
            let rb = l.split("rb").nth(1)?;
            rb.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
        })
        .collect()
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn realtime_keywords_apply_to_the_loop_and_not_to_scripts() {
    require_tool("ss");
    let mut lab = Lab::new(&common::lab::tag("rtprio", ""), 1);
    let out = lab.dir.join("script-out");
    fs::create_dir_all(&out).unwrap();
    let script = lab.dir.join("record.sh");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\ncat /proc/$$/stat > {o}/stat.tmp\ncat /proc/$$/status > {o}/status\n\
             cat /proc/$$/limits > {o}/limits\nmv {o}/stat.tmp {o}/stat\n",
            o = out.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    // startup_script / shutdown_script: each leaves a marker file.
    for (name, marker) in [("start.sh", "started"), ("stop.sh", "stopped")] {
        let path = lab.dir.join(name);
        fs::write(
            &path,
            format!("#!/bin/sh\ntouch {}\n", out.join(marker).display()),
        )
        .unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let inst = Instance::v3("VI_1", 51, 200, "0.2")
        .vip("10.0.0.100/24 dev eth0")
        .extra(&format!("notify_master {}", script.display()))
        .extra("promote_secondaries");
    let globals = format!(
        "    router_id r0\n    vrrp_rt_priority 10\n    vrrp_rlimit_rttime 20000\n    \
         vrrp_no_swap\n    vrrp_cpu_affinity 0\n    \
         vrrp_netlink_cmd_rcv_bufs 1048576\n    vrrp_netlink_cmd_rcv_bufs_force\n    \
         vrrp_netlink_monitor_rcv_bufs 100000\n    disable_local_igmp\n    \
         startup_script {d}/start.sh\n    shutdown_script {d}/stop.sh\n",
        d = lab.dir.display()
    );
    let text = config("r0", &[inst]).replace("    router_id r0\n", &globals);
    let sysctl = |lab: &Lab, path: &str| {
        common::lab::sh(&["ip", "netns", "exec", lab.ns(0), "cat", path])
            .trim()
            .to_string()
    };
    const PROMOTE: &str = "/proc/sys/net/ipv4/conf/eth0/promote_secondaries";
    assert_eq!(sysctl(&lab, PROMOTE), "0", "precondition");
    lab.start_ready(0, Daemon::Vrrpd, &text);
    lab.wait_log(0, "Entering MASTER STATE", Duration::from_secs(10));
    assert!(out.join("started").exists(), "startup_script did not run");
    assert!(!out.join("stopped").exists(), "shutdown_script ran early");
    let pid = lab.pid(0);

    // The loop thread (the main thread: tid = pid).
    let stat = fs::read_to_string(format!("/proc/{pid}/task/{pid}/stat")).unwrap();
    assert_eq!(stat_field(&stat, 41), "2", "SCHED_RR: {stat}");
    assert_eq!(stat_field(&stat, 40), "10", "rt_priority: {stat}");
    let status = fs::read_to_string(format!("/proc/{pid}/task/{pid}/status")).unwrap();
    assert_eq!(status_line(&status, "Cpus_allowed_list:"), "0", "{status}");
    let proc_status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let locked = status_line(&proc_status, "VmLck:");
    assert_ne!(locked, "0 kB", "vrrp_no_swap: {proc_status}");
    let limits = fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let rt = limits
        .lines()
        .find(|l| l.starts_with("Max realtime timeout"))
        .unwrap();
    let words: Vec<&str> = rt.split_whitespace().collect();
    assert_eq!(words[3..5], ["10000", "20000"], "{rt}");

    // The notify_master script: normal scheduling, nice 0, every CPU, the original limit.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !out.join("stat").exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "notify_master did not run\n{}",
            lab.log(0)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let s_stat = fs::read_to_string(out.join("stat")).unwrap();
    assert_eq!(stat_field(&s_stat, 41), "0", "SCHED_OTHER: {s_stat}");
    assert_eq!(stat_field(&s_stat, 19), "0", "nice: {s_stat}");
    let s_status = fs::read_to_string(out.join("status")).unwrap();
    let mine = fs::read_to_string("/proc/self/status").unwrap();
    assert_eq!(
        status_line(&s_status, "Cpus_allowed_list:"),
        status_line(&mine, "Cpus_allowed_list:"),
        "{s_status}"
    );
    // RLIMIT_RTTIME only counts real-time CPU time, so the restored limit matters only to a
    // script that makes itself real-time; raising a hard limit back needs CAP_SYS_RESOURCE,
    // which some containers do not grant even to root.
    let s_limits = fs::read_to_string(out.join("limits")).unwrap();
    let caps = u64::from_str_radix(status_line(&mine, "CapEff:"), 16).unwrap();
    if caps & (1 << 24) != 0 {
        assert!(
            s_limits
                .lines()
                .any(|l| l.starts_with("Max realtime timeout") && l.contains("unlimited")),
            "{s_limits}"
        );
    } else {
        println!("no CAP_SYS_RESOURCE here: the script's RLIMIT_RTTIME is not checked");
    }

    // The netlink sockets: the kernel reports twice the size asked for.
    let bufs = netlink_rcvbufs(lab.ns(0));
    assert!(
        bufs.contains(&2_097_152),
        "command socket (forced): {bufs:?}"
    );
    assert!(bufs.contains(&200_000), "monitor socket: {bufs:?}");

    // disable_local_igmp: 0 while the daemon runs, 1 again after it stopped;
    // promote_secondaries on eth0: 1 while it runs, 0 again after.
    const IGMP: &str = "/proc/sys/net/ipv4/igmp_link_local_mcast_reports";
    assert_eq!(sysctl(&lab, PROMOTE), "1");
    assert_eq!(sysctl(&lab, IGMP), "0");
    lab.signal(0, nix::sys::signal::Signal::SIGTERM);
    assert!(
        lab.wait_exit(0, Duration::from_secs(5)).is_some(),
        "{}",
        lab.log(0)
    );
    assert_eq!(sysctl(&lab, IGMP), "1");
    assert_eq!(sysctl(&lab, PROMOTE), "0");
    assert!(out.join("stopped").exists(), "shutdown_script did not run");
}
