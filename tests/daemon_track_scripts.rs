//! `vrrp_script` under the daemon (issue #5, keepalived-behaviour.md §4): the second seed's
//! nginx deployment (nginx dies on the master → the VIP moves; nginx back → it returns with
//! preempt), a hanging script killed at its timeout with its children, many runs without a
//! zombie or stray process, and a mixed pair whose keepalived side tracks a script. Needs
//! root, nginx and keepalived (`sudo ./tests/setup-deps.sh`).

mod common;

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
