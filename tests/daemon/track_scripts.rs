//! `vrrp_script` under the daemon (docs/keepalived-compat.md#tracking-and-priority): the second seed's
//! nginx deployment (nginx dies on the master → the VIP moves; nginx back → it returns with
//! preempt), a hanging script killed at its timeout with its children, many runs without a
//! zombie or stray process, and a mixed pair whose keepalived side tracks a script. Needs
//! root, nginx and keepalived (`sudo ./tests/setup-deps.sh`).

use crate::common;

use std::time::{Duration, Instant};

use common::lab::{config, tag, Daemon, Instance, Lab};
use common::track::{
    children_of, http_ok, processes_with, script_block, wait_until, with_prelude, write_script,
    Nginx,
};

const VIP: &str = "10.0.0.100";

/// An instance tracking `scripts` (priority `prio`, one-second VRRPv2 adverts).
fn tracked(prio: u8, scripts: &[&str]) -> Instance {
    let mut i = Instance::v2("VI_1", 51, prio).vip("10.0.0.100/24");
    i = i.extra("track_script {");
    for s in scripts {
        i = i.extra(&format!("    {s}"));
    }
    i.extra("}")
}

/// Router i's config: `prelude` (script blocks) and one tracked instance.
fn conf(i: usize, prelude: &str, inst: &Instance) -> String {
    with_prelude(
        &config(&format!("r{i}"), std::slice::from_ref(inst)),
        prelude,
    )
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn nginx_death_on_the_master_moves_the_vip_and_its_return_brings_it_back() {
    let mut lab = Lab::new(&tag("nginx", "s"), 2);
    let nginx: Vec<Nginx> = (0..2).map(|i| Nginx::new(&lab, i)).collect();
    for n in &nginx {
        n.start();
    }
    // The values: interval 1, fall 1, weight -100; priorities 150 / 100.
    let prios = [150, 100];
    for i in 0..2 {
        let block = script_block("chk_nginx", &nginx[i].check(), 1, 1, 1, -100);
        lab.start_ready(
            i,
            Daemon::Vrrpd,
            &conf(i, &block, &tracked(prios[i], &["chk_nginx"])),
        );
    }
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    assert!(
        http_ok(&lab, VIP, Duration::from_secs(1)),
        "nginx answers on the VIP"
    );

    nginx[0].kill();
    let t0 = Instant::now();
    lab.wait_holders(VIP, &[1], Duration::from_secs(6));
    let moved = t0.elapsed();
    // fall × interval + skew time of the backup (prio 100: 0.61 s) + slack for polling.
    let bound =
        Duration::from_secs(1) + Instance::v2("x", 1, 100).skew() + Duration::from_millis(400);
    assert!(
        moved <= bound,
        "the VIP moved after {moved:?}, more than {bound:?}\n{}",
        lab.all_logs()
    );
    wait_until(
        "nginx on r1 answers on the VIP",
        Duration::from_secs(3),
        || http_ok(&lab, VIP, Duration::from_millis(500)),
    );
    let log0 = lab.log(0);
    assert!(log0.contains("VRRP_Script(chk_nginx) failed"), "{log0}");
    assert!(
        log0.contains("Changing effective priority from 150 to 50"),
        "{log0}"
    );

    nginx[0].start();
    // rise 1: the next run succeeds, priority 150 again, and r0 preempts.
    lab.wait_holders(VIP, &[0], Duration::from_secs(8));
    assert!(lab.log(0).contains("VRRP_Script(chk_nginx) succeeded"));
    wait_until(
        "nginx on r0 answers on the VIP",
        Duration::from_secs(3),
        || http_ok(&lab, VIP, Duration::from_millis(500)),
    );
}

/// The daemon's pid and its children in state Z (zombies), as "pid state (comm)".
fn zombies(pid: i32) -> Vec<String> {
    children_of(pid)
        .into_iter()
        .filter(|(_, s)| s.starts_with('Z'))
        .map(|(p, s)| format!("{p} {s}"))
        .collect()
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn a_hanging_script_is_killed_at_its_timeout_with_its_children_and_counts_as_failure() {
    let mut lab = Lab::new(&tag("hang", "s"), 1);
    // A child that ignores SIGTERM (only the SIGKILL to the group ends it) and one that does
    // not; the script itself hangs too. The sleep lengths mark them in /proc.
    let hang = write_script(
        &lab,
        "hang.sh",
        "(trap '' TERM; exec sleep 9871) &\nsleep 9872 &\nexec sleep 9873",
    );
    let block = format!(
        "vrrp_script chk_hang {{\n    script \"{}\"\n    interval 10\n    timeout 1\n    fall 1\n    rise 1\n    weight -60\n}}\n\n",
        hang.display()
    );
    lab.start_ready(
        0,
        Daemon::Vrrpd,
        &conf(0, &block, &tracked(150, &["chk_hang"])),
    );
    wait_until("the hanging script runs", Duration::from_secs(5), || {
        processes_with("sleep 987").len() == 3
    });
    let first: Vec<i32> = processes_with("sleep 987");
    lab.wait_log(0, "VRRP_Script(chk_hang) timed_out", Duration::from_secs(5));
    lab.wait_log(
        0,
        "Changing effective priority from 150 to 90",
        Duration::from_secs(2),
    );
    // SIGTERM at the timeout, SIGKILL 2 s later for what ignored it: nothing survives.
    wait_until(
        "every process of the timed-out run is gone",
        Duration::from_secs(5),
        || {
            first
                .iter()
                .all(|p| std::fs::metadata(format!("/proc/{p}")).is_err())
        },
    );
    assert!(zombies(lab.pid(0)).is_empty(), "{:?}", zombies(lab.pid(0)));
    lab.stop(0);
    assert!(processes_with("sleep 987").is_empty());
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn a_thousand_script_runs_leave_no_zombie_and_no_stray_process() {
    let mut lab = Lab::new(&tag("thousand", "s"), 1);
    let runs = lab.dir.join("runs");
    // Every run leaves a short-lived grandchild behind (re-parented to vrrpd, the subreaper)
    // and half of them fail.
    let body = format!(
        "echo $$ >> {}\nsleep 0.0{}42 &\nexit $(( $$ % 2 ))",
        runs.display(),
        std::process::id() % 10
    );
    let check = write_script(&lab, "run.sh", &body);
    let n = 40;
    let mut prelude = String::new();
    let mut names = Vec::new();
    for k in 0..n {
        prelude.push_str(&script_block(
            &format!("chk{k}"),
            &check.display().to_string(),
            1,
            1,
            1,
            -1,
        ));
        names.push(format!("chk{k}"));
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    lab.start_ready(0, Daemon::Vrrpd, &conf(0, &prelude, &tracked(150, &refs)));
    let pid = lab.pid(0);
    let count = || {
        std::fs::read_to_string(&runs)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    let mut persistent: Option<Vec<String>> = None;
    let t0 = Instant::now();
    while count() < 1000 {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "only {} runs in 60 s",
            count()
        );
        // A zombie seen in two samples 300 ms apart was never reaped.
        let z = zombies(pid);
        if let Some(prev) = &persistent {
            let stuck: Vec<&String> = z.iter().filter(|x| prev.contains(x)).collect();
            assert!(stuck.is_empty(), "zombies not reaped: {stuck:?}");
        }
        persistent = Some(z);
        std::thread::sleep(Duration::from_millis(300));
    }
    lab.assert_running(0, "after 1,000 script runs");
    assert!(lab.stop(0).is_some_and(|s| s.success()));
    std::thread::sleep(Duration::from_millis(300));
    let marker = check.display().to_string();
    assert!(processes_with(&marker).is_empty(), "stray script processes");
    assert!(
        children_of(pid).is_empty(),
        "children of the stopped daemon"
    );
}

/// A mixed pair: router 0 (priority 150) runs `tracker` and tracks a file test with weight
/// -100, router 1 (priority 100) runs the other daemon without scripts.
fn mixed_pair(tracker: Daemon, other: Daemon, name: &str) {
    let mut lab = Lab::new(&tag(name, "s"), 2);
    let ok = lab.dir.join("ok");
    std::fs::write(&ok, "").unwrap();
    let block = script_block(
        "chk_ok",
        &format!("/usr/bin/test -e {}", ok.display()),
        1,
        1,
        1,
        -100,
    );
    lab.start_ready(0, tracker, &conf(0, &block, &tracked(150, &["chk_ok"])));
    let plain = Instance::v2("VI_1", 51, 100).vip("10.0.0.100/24");
    lab.start_ready(1, other, &config("r1", &[plain]));
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    std::fs::remove_file(&ok).unwrap();
    // Router 0 lowers its priority to 50 and advertises it; router 1 (100) takes over.
    lab.wait_holders(VIP, &[1], Duration::from_secs(8));
    std::fs::write(&ok, "").unwrap();
    lab.wait_holders(VIP, &[0], Duration::from_secs(8));
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn mixed_pair_keepalived_side_tracks_a_script() {
    mixed_pair(Daemon::Keepalived, Daemon::Vrrpd, "mixtrackk");
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn mixed_pair_vrrpd_side_tracks_a_script() {
    mixed_pair(Daemon::Vrrpd, Daemon::Keepalived, "mixtrackv");
}
