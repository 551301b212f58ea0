//! A backup must never run deaf, or it becomes a second MASTER:
//!
//! * its interface is deleted and created again under the same name (a new index; VLANs,
//!   bonds, bridges and veths are re-created so by network managers): the sockets follow the
//!   new index and the backup keeps hearing the master;
//! * a reload gives it a `unicast_src_ip` that is not an address of the host: the instance
//!   goes to FAULT (a log line says why) instead of listening on nothing, and comes back when
//!   the address appears.
//!
//! vrrpd on both routers, VRRPv3 with 0.2 s adverts. Needs root.

use crate::common;

use std::net::Ipv4Addr;
use std::time::Duration;

use common::lab::{self, config, Daemon, Instance, Lab, IF};
use nix::sys::signal::Signal;

const VIP: &str = "10.0.0.100";

fn start(lab: &mut Lab, master: Daemon, inst: &[Instance; 2]) {
    lab.start(0, master, &config("r0", &[inst[0].clone()]));
    lab.start(1, Daemon::Vrrpd, &config("r1", &[inst[1].clone()]));
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
}

/// Stays so for `d` (checked every 50 ms), with the logs on failure.
fn holders_stay(lab: &Lab, want: &[usize], d: Duration) {
    let t0 = std::time::Instant::now();
    while t0.elapsed() < d {
        let h = lab.holders(VIP);
        assert_eq!(
            h,
            want,
            "{VIP} holders after {:?}\n{}",
            t0.elapsed(),
            lab.all_logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn a_backup_whose_interface_is_recreated_keeps_hearing_the_master() {
    recreated(Daemon::Vrrpd, "v");
}

/// The same with keepalived 2.2.7 as the master.
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn a_backup_whose_interface_is_recreated_keeps_hearing_a_keepalived_master() {
    recreated(Daemon::Keepalived, "k");
}

/// vrrpd backup (r1) whose eth0 is deleted and created again; `master` on r0.
fn recreated(master: Daemon, suffix: &str) {
    let mut lab = Lab::new(&lab::tag("ifrecreate", suffix), 2);
    let vip = format!("{VIP}/24 dev eth0");
    let inst = [
        Instance::v3("VI_1", 51, 150, "0.2").vip(&vip),
        Instance::v3("VI_1", 51, 100, "0.2").vip(&vip),
    ];
    start(&mut lab, master, &inst);
    let (ns, lan, port) = (
        lab.ns(1).to_string(),
        lab.lan.clone(),
        lab.nodes[1].port.clone(),
    );
    let old_index = lab.ip_json(&ns, &["link", "show", "dev", IF])[0]["ifindex"].clone();
    // Delete the veth (its bridge end goes with it) and create it again, as lab.rs plugs it.
    lab.ip(&ns, &["link", "del", IF]);
    std::thread::sleep(Duration::from_millis(300));
    lab::sh(&[
        "ip", "link", "add", IF, "netns", &ns, "type", "veth", "peer", "name", &port, "netns", &lan,
    ]);
    lab.ip(&lan, &["link", "set", &port, "master", "br0", "up"]);
    lab.ip(&ns, &["addr", "add", "10.0.0.2/24", "dev", IF]);
    lab.ip(&ns, &["link", "set", IF, "up"]);
    let new_index = lab.ip_json(&ns, &["link", "show", "dev", IF])[0]["ifindex"].clone();
    assert_ne!(
        old_index, new_index,
        "the kernel reused the index; nothing to test"
    );
    // Several master-down intervals (0.8 s): a deaf backup would have taken over by now.
    holders_stay(&lab, &[0], Duration::from_secs(3));
    // It still hears the master: when the master goes, it takes over.
    lab.signal(0, Signal::SIGTERM);
    lab.wait_holders(VIP, &[1], Duration::from_secs(5));
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn a_reload_to_a_foreign_unicast_src_ip_is_fault_until_the_address_appears() {
    let mut lab = Lab::new(&lab::tag("foreignsrc", "v"), 2);
    let vip = format!("{VIP}/24 dev eth0");
    let (r0, r1, new_src) = (lab.addr(0), lab.addr(1), Ipv4Addr::new(10, 0, 0, 77));
    let inst = [
        Instance::v3("VI_1", 51, 150, "0.2")
            .vip(&vip)
            .unicast(r0, &[r1, new_src]),
        Instance::v3("VI_1", 51, 100, "0.2")
            .vip(&vip)
            .unicast(r1, &[r0]),
    ];
    start(&mut lab, Daemon::Vrrpd, &inst);
    // r1 reloads with a source this host does not have.
    let moved = inst[1].clone().unicast(new_src, &[r0]);
    lab.write_conf(1, &config("r1", &[moved]));
    let n = lab.log(1).matches("Reload complete").count();
    lab.signal(1, Signal::SIGHUP);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while lab.log(1).matches("Reload complete").count() <= n {
        assert!(std::time::Instant::now() < deadline, "{}", lab.log(1));
        std::thread::sleep(Duration::from_millis(10));
    }
    lab.wait_log(1, "Entering FAULT STATE", Duration::from_secs(2));
    let log = lab.log(1);
    assert!(
        log.contains("unicast_src_ip 10.0.0.77") && log.contains("not an address of this host"),
        "{log}"
    );
    holders_stay(&lab, &[0], Duration::from_secs(2));
    // The address appears: out of FAULT, a backup that hears the master (it sends to .77 too).
    let before = lab.log(1).matches("Entering BACKUP STATE").count();
    lab.ip(lab.ns(1), &["addr", "add", "10.0.0.77/24", "dev", IF]);
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while lab.log(1).matches("Entering BACKUP STATE").count() <= before {
        assert!(std::time::Instant::now() < deadline, "{}", lab.log(1));
        std::thread::sleep(Duration::from_millis(10));
    }
    holders_stay(&lab, &[0], Duration::from_secs(2));
}

/// The route monitor is subscribed only when the plan has virtual routes or rules; with one,
/// a virtual route deleted by hand on the MASTER still comes back
/// (docs/keepalived-compat.md#addresses-deleted-while-master).
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn a_virtual_route_deleted_by_hand_comes_back() {
    let mut lab = Lab::new(&lab::tag("routeback", "v"), 1);
    let inst = Instance::v3("VI_1", 51, 150, "0.2")
        .vip(&format!("{VIP}/24 dev eth0"))
        .extra("virtual_routes {\n        192.168.50.0/24 dev eth0\n    }");
    lab.start(0, Daemon::Vrrpd, &config("r0", &[inst]));
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    let has_route = |lab: &Lab| {
        lab.ip(lab.ns(0), &["route", "show", "192.168.50.0/24"])
            .contains("192.168.50.0/24")
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while !has_route(&lab) {
        assert!(
            std::time::Instant::now() < deadline,
            "route never added\n{}",
            lab.all_logs()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    lab.ip(lab.ns(0), &["route", "del", "192.168.50.0/24"]);
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while !has_route(&lab) {
        assert!(
            std::time::Instant::now() < deadline,
            "route not restored\n{}",
            lab.all_logs()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
