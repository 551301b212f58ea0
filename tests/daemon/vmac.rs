//! `use_vmac` (docs/vmac.md) against keepalived 2.2.7, both using a vmac, in both roles:
//! the VIP lives on `vrrp.51`, a private macvlan with 00:00:5e:00:01:33; adverts and
//! gratuitous ARPs seen on the client's side come from that MAC (and tshark finds the ARPs
//! well-formed); the client's neighbour entry for the VIP is that MAC; the vmac and parent
//! sysctls are set; SIGTERM removes the vmac and puts the parent's back; after SIGKILL the
//! leftover vmac is adopted by the next start. Then alone: a leftover with the wrong MAC is
//! updated, a name held by another kind of link is left alone, `all.rp_filter` is cleared
//! and restored, and `vmac_xmit_base` sends adverts from the parent.
//! Needs root, keepalived, tcpdump and tshark; fails loudly without them.

use crate::common;

use std::time::Duration;

use common::lab::{self, config, Daemon, Instance, Lab};

const VIP: &str = "10.0.0.100";
const VMAC: &str = "vrrp.51";
const MAC: &str = "00:00:5e:00:01:33";

fn inst(prio: u8) -> Instance {
    bare(prio).extra("use_vmac")
}

fn bare(prio: u8) -> Instance {
    Instance::v2("VI_1", 51, prio).vip(&format!("{VIP}/24"))
}

fn sysctl(lab: &Lab, i: usize, path: &str) -> String {
    let out = lab
        .command(lab.ns(i), &["cat", &format!("/proc/sys/net/{path}")])
        .output()
        .expect("cat");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `ip -d -j link show NAME` in router i, if it exists.
fn link(lab: &Lab, i: usize, name: &str) -> Option<serde_json::Value> {
    let out = lab
        .command(lab.ns(i), &["ip", "-d", "-j", "link", "show", "dev", name])
        .output()
        .expect("ip link");
    if !out.status.success() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    v.get(0).cloned()
}

/// The macvlan links of router i, by name.
fn macvlans(lab: &Lab, i: usize) -> Vec<String> {
    let v = lab.ip_json(lab.ns(i), &["link", "show", "type", "macvlan"]);
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|l| l["ifname"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn holds_on(lab: &Lab, i: usize, dev: &str) -> bool {
    let Some(_) = link(lab, i, dev) else {
        return false;
    };
    let v = lab.ip_json(lab.ns(i), &["addr", "show", "dev", dev]);
    v[0]["addr_info"]
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x["local"].as_str() == Some(VIP)))
}

fn wait_on(lab: &Lab, i: usize, dev: &str, want: bool, secs: u64) {
    let t0 = std::time::Instant::now();
    while holds_on(lab, i, dev) != want {
        assert!(
            t0.elapsed() < Duration::from_secs(secs),
            "router {i}: VIP on {dev} is not {want} after {secs} s\n{}",
            lab.all_logs()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The vmac of router i is what keepalived makes: a private macvlan on eth0, the RFC MAC, up.
fn assert_vmac(lab: &Lab, i: usize) {
    let l = link(lab, i, VMAC).unwrap_or_else(|| panic!("router {i} has no {VMAC}"));
    assert_eq!(l["address"].as_str(), Some(MAC), "{l}");
    assert_eq!(l["link"].as_str(), Some("eth0"), "{l}");
    assert_eq!(l["linkinfo"]["info_kind"].as_str(), Some("macvlan"), "{l}");
    assert_eq!(
        l["linkinfo"]["info_data"]["mode"].as_str(),
        Some("private"),
        "{l}"
    );
    let flags = l["flags"].to_string();
    assert!(flags.contains("\"UP\""), "{l}");
}

/// The sysctls keepalived sets for an IPv4 vmac (docs/vmac.md#sysctls).
fn assert_sysctls(lab: &Lab, i: usize) {
    for (p, v) in [
        ("ipv4/conf/vrrp.51/arp_ignore", "1"),
        ("ipv4/conf/vrrp.51/accept_local", "1"),
        ("ipv4/conf/vrrp.51/rp_filter", "0"),
        ("ipv4/conf/vrrp.51/promote_secondaries", "1"),
        ("ipv6/conf/vrrp.51/disable_ipv6", "1"),
        ("ipv6/conf/vrrp.51/addr_gen_mode", "1"),
        ("ipv4/conf/eth0/arp_ignore", "1"),
        ("ipv4/conf/eth0/arp_filter", "1"),
    ] {
        assert_eq!(sysctl(lab, i, p), v, "router {i}: {p}");
    }
}

/// Adverts from `src` and gratuitous ARPs for the VIP in the capture: every one from the
/// virtual MAC, the ARPs well-formed by tshark's judgement. Returns (adverts, garps).
fn assert_virtual_source(pcap: &std::path::Path, src: &str) -> (usize, usize) {
    let adverts = lab::fields(pcap, &format!("vrrp && ip.src == {src}"), &["eth.src"]);
    assert!(!adverts.is_empty(), "no advert from {src}");
    for r in &adverts {
        assert_eq!(r[0], MAC, "advert source MAC");
    }
    let garp = format!("arp && arp.src.proto_ipv4 == {VIP} && arp.dst.proto_ipv4 == {VIP}");
    let rows = lab::fields(
        pcap,
        &garp,
        &["eth.src", "arp.src.hw_mac", "arp.isgratuitous", "eth.dst"],
    );
    assert!(!rows.is_empty(), "no gratuitous ARP for {VIP}");
    for r in &rows {
        assert_eq!(r[0], MAC, "GARP Ethernet source: {r:?}");
        assert_eq!(r[1], MAC, "GARP sender MAC: {r:?}");
        assert_eq!(r[2], "1", "tshark sees a gratuitous ARP: {r:?}");
        assert_eq!(r[3], "ff:ff:ff:ff:ff:ff", "{r:?}");
    }
    let bad = lab::fields(
        pcap,
        &format!("({garp}) && (_ws.malformed || _ws.expert)"),
        &["frame.number"],
    );
    assert!(bad.is_empty(), "tshark flags GARP frames {bad:?}");
    (adverts.len(), rows.len())
}

/// The client resolves the VIP to the virtual MAC. The master first learns the client's
/// MAC on eth0: its replies leave by eth0 (the older route of the subnet), and an ARP it sent
/// from there for the client would carry the VIP as sender, as keepalived's does
/// (docs/vmac.md#what-the-client-sees).
fn client_sees_virtual_mac(lab: &Lab, master: usize) {
    let _ = lab.ip(&lab.client, &["neigh", "flush", "dev", "eth0"]);
    let client: std::net::SocketAddr = "10.0.0.50:9".parse().expect("address");
    let knock = lab.spawn_in(lab.ns(master), move || {
        std::net::TcpStream::connect_timeout(&client, Duration::from_secs(1))
    });
    let reached =
        matches!(knock.join(), Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused);
    assert!(reached, "router {master} cannot reach the client");
    assert!(lab.client_reaches(VIP), "client cannot reach {VIP}");
    assert_eq!(lab.client_neigh(VIP).as_deref(), Some(MAC));
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn vrrpd_master_keepalived_backup() {
    lab::require_tool("tshark");
    let mut lab = Lab::new(&lab::tag("vmacvm", ""), 2);
    lab.start_ready(1, Daemon::Keepalived, &config("r1", &[inst(100)]));
    let cap = lab.capture_filter(&lab.client.clone(), "c1", "ip proto 112 or arp");
    lab.start_ready(0, Daemon::Vrrpd, &config("r0", &[inst(150)]));
    wait_on(&lab, 0, VMAC, true, 10);
    std::thread::sleep(Duration::from_millis(1500));
    assert_vmac(&lab, 0);
    assert_vmac(&lab, 1);
    assert_sysctls(&lab, 0);
    // The vmac is set up before the link monitor starts: no spurious FAULT at start.
    assert!(!lab.log(0).contains("FAULT"), "{}", lab.log(0));
    assert!(!holds_on(&lab, 1, VMAC) && !holds_on(&lab, 0, "eth0"));
    client_sees_virtual_mac(&lab, 0);
    let (a, g) = assert_virtual_source(&cap.stop(), "10.0.0.1");
    println!("vrrpd master: {a} adverts, {g} GARPs from {MAC}");

    // SIGTERM: keepalived takes over; the vmac goes, eth0's sysctls come back.
    let t = std::time::Instant::now();
    let st = lab.stop(0);
    assert!(st.is_some_and(|s| s.success()), "clean exit: {st:?}");
    wait_on(&lab, 1, VMAC, true, 3);
    println!(
        "keepalived took over from a stopped vrrpd in {:?}",
        t.elapsed()
    );
    assert!(link(&lab, 0, VMAC).is_none(), "vmac left after SIGTERM");
    assert_eq!(sysctl(&lab, 0, "ipv4/conf/eth0/arp_ignore"), "0");
    assert_eq!(sysctl(&lab, 0, "ipv4/conf/eth0/arp_filter"), "0");
    client_sees_virtual_mac(&lab, 1);

    // Back: vrrpd preempts.
    lab.start_ready(0, Daemon::Vrrpd, &config("r0", &[inst(150)]));
    wait_on(&lab, 0, VMAC, true, 8);
    wait_on(&lab, 1, VMAC, false, 3);

    // SIGKILL: the vmac stays behind; keepalived takes over; the next start adopts it.
    lab.kill9(0);
    lab.forget(0);
    assert!(link(&lab, 0, VMAC).is_some(), "a crash leaves the vmac");
    wait_on(&lab, 1, VMAC, true, 6);
    lab.start_ready(0, Daemon::Vrrpd, &config("r0", &[inst(150)]));
    wait_on(&lab, 0, VMAC, true, 8);
    let log = lab.log(0);
    assert!(
        log.contains("(VI_1) Found matching interface vrrp.51"),
        "{log}"
    );
    assert!(!log.contains("Unable to create"), "{log}");
    assert_eq!(macvlans(&lab, 0), [VMAC]);
    assert_vmac(&lab, 0);
    client_sees_virtual_mac(&lab, 0);
    assert!(lab.stop(0).is_some_and(|s| s.success()));
    assert!(macvlans(&lab, 0).is_empty());
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn keepalived_master_vrrpd_backup() {
    lab::require_tool("tshark");
    let mut lab = Lab::new(&lab::tag("vmackm", ""), 2);
    lab.start_ready(1, Daemon::Vrrpd, &config("r1", &[inst(100)]));
    lab.start_ready(0, Daemon::Keepalived, &config("r0", &[inst(150)]));
    wait_on(&lab, 0, VMAC, true, 10);
    std::thread::sleep(Duration::from_millis(1500));
    // The backup's vmac is there, up, configured, and has no VIP.
    assert_vmac(&lab, 1);
    assert_sysctls(&lab, 1);
    assert!(!holds_on(&lab, 1, VMAC));
    client_sees_virtual_mac(&lab, 0);

    // keepalived stops: vrrpd takes over from its vmac.
    let cap = lab.capture_filter(&lab.client.clone(), "c2", "ip proto 112 or arp");
    let t = std::time::Instant::now();
    lab.stop(0);
    wait_on(&lab, 1, VMAC, true, 3);
    println!(
        "vrrpd took over from a stopped keepalived in {:?}",
        t.elapsed()
    );
    std::thread::sleep(Duration::from_millis(1500));
    client_sees_virtual_mac(&lab, 1);
    let (a, g) = assert_virtual_source(&cap.stop(), "10.0.0.2");
    println!("vrrpd takeover: {a} adverts, {g} GARPs from {MAC}");

    // keepalived back: it preempts; then a crash of keepalived: vrrpd takes over again.
    lab.start_ready(0, Daemon::Keepalived, &config("r0", &[inst(150)]));
    wait_on(&lab, 0, VMAC, true, 8);
    wait_on(&lab, 1, VMAC, false, 3);
    let t = std::time::Instant::now();
    lab.kill9(0);
    lab.forget(0);
    wait_on(&lab, 1, VMAC, true, 6);
    println!(
        "vrrpd took over from a killed keepalived in {:?}",
        t.elapsed()
    );
    client_sees_virtual_mac(&lab, 1);
    assert!(lab.stop(1).is_some_and(|s| s.success()));
    assert!(macvlans(&lab, 1).is_empty(), "vmac left after SIGTERM");
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn leftovers_rp_filter_and_xmit_base() {
    lab::require_tool("tshark");
    let mut lab = Lab::new(&lab::tag("vmacleft", ""), 1);
    let ns = lab.ns(0).to_string();
    // A macvlan of the name with a wrong MAC: updated in place.
    lab.ip(
        &ns,
        &[
            "link",
            "add",
            VMAC,
            "link",
            "eth0",
            "address",
            "02:00:00:00:00:51",
            "type",
            "macvlan",
            "mode",
            "private",
        ],
    );
    // all.rp_filter 2: raised on eth0 and default, cleared on all, all put back at stop.
    let _ = lab
        .command(&ns, &["sysctl", "-qw", "net.ipv4.conf.all.rp_filter=2"])
        .status();
    let _ = lab
        .command(&ns, &["sysctl", "-qw", "net.ipv4.conf.eth0.rp_filter=0"])
        .status();
    let _ = lab
        .command(&ns, &["sysctl", "-qw", "net.ipv4.conf.default.rp_filter=1"])
        .status();
    let conf = config("r0", &[bare(150).extra(&format!("use_vmac {VMAC}"))]);
    lab.start_ready(0, Daemon::Vrrpd, &conf);
    wait_on(&lab, 0, VMAC, true, 10);
    assert_vmac(&lab, 0);
    assert!(
        lab.log(0).contains("Update old VMAC interface vrrp.51"),
        "{}",
        lab.log(0)
    );
    assert_eq!(sysctl(&lab, 0, "ipv4/conf/all/rp_filter"), "0");
    assert_eq!(sysctl(&lab, 0, "ipv4/conf/default/rp_filter"), "2");
    assert_eq!(sysctl(&lab, 0, "ipv4/conf/eth0/rp_filter"), "2");
    assert_eq!(sysctl(&lab, 0, "ipv4/conf/vrrp.51/rp_filter"), "0");
    assert!(lab.stop(0).is_some_and(|s| s.success()));
    assert_eq!(sysctl(&lab, 0, "ipv4/conf/all/rp_filter"), "2");
    assert_eq!(sysctl(&lab, 0, "ipv4/conf/default/rp_filter"), "1");
    assert_eq!(sysctl(&lab, 0, "ipv4/conf/eth0/rp_filter"), "0");
    assert!(macvlans(&lab, 0).is_empty());
    let _ = lab
        .command(&ns, &["sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0"])
        .status();

    // The name held by a bridge: left alone, the vmac is vrrp1.51.
    lab.ip(&ns, &["link", "add", VMAC, "type", "bridge"]);
    lab.start_ready(0, Daemon::Vrrpd, &config("r0", &[inst(150)]));
    wait_on(&lab, 0, "vrrp1.51", true, 10);
    assert!(lab.stop(0).is_some_and(|s| s.success()));
    assert!(link(&lab, 0, VMAC).is_some(), "the bridge stays");
    assert!(link(&lab, 0, "vrrp1.51").is_none());
    lab.ip(&ns, &["link", "del", VMAC]);

    // vmac_xmit_base: adverts from eth0's MAC, the VIP and its GARPs on the vmac.
    let cap = lab.capture_filter(&lab.client.clone(), "c3", "ip proto 112 or arp");
    lab.start_ready(
        0,
        Daemon::Vrrpd,
        &config("r0", &[inst(150).extra("vmac_xmit_base")]),
    );
    wait_on(&lab, 0, VMAC, true, 10);
    std::thread::sleep(Duration::from_millis(1500));
    client_sees_virtual_mac(&lab, 0);
    let pcap = cap.stop();
    let eth0 = lab.mac(0);
    let adverts = lab::fields(&pcap, "vrrp", &["eth.src"]);
    assert!(
        !adverts.is_empty() && adverts.iter().all(|r| r[0] == eth0),
        "{adverts:?}"
    );
    let garps = lab::fields(&pcap, &format!("arp.src.proto_ipv4 == {VIP}"), &["eth.src"]);
    assert!(
        !garps.is_empty() && garps.iter().all(|r| r[0] == MAC),
        "{garps:?}"
    );
    assert!(lab.stop(0).is_some_and(|s| s.success()));
}

const VIP6: &str = "2001:db8::100";
const MAC6: &str = "00:00:5e:00:02:33";

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn ipv6_vrrpd_master_keepalived_backup() {
    lab::require_tool("tshark");
    let mut lab = Lab::new(&lab::tag("vmac6", ""), 2);
    let inst6 = |prio| {
        Instance::v3("VI_6", 51, prio, "1")
            .vip(&format!("{VIP6}/64"))
            .extra("use_vmac")
    };
    lab.start_ready(1, Daemon::Keepalived, &config("r1", &[inst6(100)]));
    let cap = lab.capture_filter(&lab.client.clone(), "c6", "ip6");
    lab.start_ready(0, Daemon::Vrrpd, &config("r0", &[inst6(150)]));
    let has_vip6 = |lab: &Lab, i: usize| {
        link(lab, i, VMAC).is_some() && {
            let v = lab.ip_json(lab.ns(i), &["addr", "show", "dev", VMAC]);
            v[0]["addr_info"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x["local"].as_str() == Some(VIP6)))
        }
    };
    let t0 = std::time::Instant::now();
    while !has_vip6(&lab, 0) {
        assert!(t0.elapsed() < Duration::from_secs(10), "{}", lab.all_logs());
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        !has_vip6(&lab, 1),
        "keepalived stays BACKUP\n{}",
        lab.all_logs()
    );
    let l = link(&lab, 0, VMAC).expect("vmac");
    assert_eq!(l["address"].as_str(), Some(MAC6));
    assert_eq!(sysctl(&lab, 0, "ipv6/conf/vrrp.51/disable_ipv6"), "0");
    assert_eq!(sysctl(&lab, 0, "ipv6/conf/vrrp.51/addr_gen_mode"), "1");
    // The vmac's only link-local address is eth0's: none made from the virtual MAC.
    let lls = |dev: &str| -> Vec<String> {
        let v = lab.ip_json(
            lab.ns(0),
            &["-6", "addr", "show", "dev", dev, "scope", "link"],
        );
        v[0]["addr_info"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x["local"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let eth0_ll = lls("eth0");
    assert_eq!(eth0_ll.len(), 1, "{eth0_ll:?}");
    assert_eq!(lls(VMAC), eth0_ll);
    let pcap = cap.stop();
    let adverts = lab::fields(
        &pcap,
        &format!("vrrp && ipv6.src == {}", eth0_ll[0]),
        &["eth.src"],
    );
    assert!(
        !adverts.is_empty() && adverts.iter().all(|r| r[0] == MAC6),
        "{adverts:?}"
    );
    let na = lab::fields(
        &pcap,
        &format!("icmpv6.type == 136 && icmpv6.nd.na.target_address == {VIP6}"),
        &["eth.src", "icmpv6.opt.linkaddr"],
    );
    assert!(!na.is_empty(), "no unsolicited NA");
    for r in &na {
        assert_eq!((r[0].as_str(), r[1].as_str()), (MAC6, MAC6), "{r:?}");
    }
    assert!(lab.stop(0).is_some_and(|s| s.success()));
    assert!(link(&lab, 0, VMAC).is_none());
}

/// SIGHUP to router i; waits for its `Reload complete`.
fn reload(lab: &mut Lab, i: usize) {
    let n = lab.log(i).matches("Reload complete").count();
    lab.signal(i, nix::sys::signal::Signal::SIGHUP);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while lab.log(i).matches("Reload complete").count() <= n {
        lab.assert_running(i, "reloading");
        assert!(std::time::Instant::now() < deadline, "{}", lab.log(i));
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn reload_adds_and_drops_the_vmac() {
    let mut lab = Lab::new(&lab::tag("vmacrel", ""), 1);
    lab.start_ready(0, Daemon::Vrrpd, &config("r0", &[bare(150)]));
    wait_on(&lab, 0, "eth0", true, 10);
    lab.write_conf(0, &config("r0", &[inst(150)]));
    reload(&mut lab, 0);
    wait_on(&lab, 0, VMAC, true, 5);
    wait_on(&lab, 0, "eth0", false, 2);
    assert_vmac(&lab, 0);
    assert_sysctls(&lab, 0);
    lab.write_conf(0, &config("r0", &[bare(150)]));
    reload(&mut lab, 0);
    wait_on(&lab, 0, "eth0", true, 5);
    assert!(macvlans(&lab, 0).is_empty(), "{}", lab.log(0));
    assert!(lab
        .log(0)
        .contains("(VI_1) Deleting old VMAC interface vrrp.51"));
    assert_eq!(sysctl(&lab, 0, "ipv4/conf/eth0/arp_ignore"), "0");
    assert!(lab.stop(0).is_some_and(|s| s.success()));
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn a_vmac_deleted_by_hand_comes_back_and_follows_its_parent() {
    let mut lab = Lab::new(&lab::tag("vmacdel", ""), 1);
    lab.start_ready(0, Daemon::Vrrpd, &config("r0", &[inst(150)]));
    wait_on(&lab, 0, VMAC, true, 10);
    let before = link(&lab, 0, VMAC).expect("vmac")["ifindex"].clone();
    lab.ip(lab.ns(0), &["link", "del", VMAC]);
    wait_on(&lab, 0, VMAC, true, 10);
    let after = link(&lab, 0, VMAC).expect("vmac");
    assert_ne!(after["ifindex"], before, "a new link");
    assert_vmac(&lab, 0);
    assert_sysctls(&lab, 0);
    // The parent losing its carrier takes the vmac down with it: FAULT, then back.
    wait_on(&lab, 0, VMAC, true, 10);
    lab.cut_link(0);
    wait_on(&lab, 0, VMAC, false, 3);
    assert!(
        lab.log(0).contains("Netlink reports vrrp.51 down"),
        "{}",
        lab.log(0)
    );
    lab.restore_link(0);
    wait_on(&lab, 0, VMAC, true, 10);
    assert!(lab.stop(0).is_some_and(|s| s.success()));
    assert!(macvlans(&lab, 0).is_empty());
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn use_vmac_addr_puts_other_family_addresses_on_their_own_vmac() {
    let mut lab = Lab::new(&lab::tag("vmacaddr", ""), 1);
    let i = inst(150)
        .extra("use_vmac_addr")
        .extra("virtual_ipaddress_excluded {\n        2001:db8::5/64\n    }");
    lab.start_ready(0, Daemon::Vrrpd, &config("r0", &[i]));
    wait_on(&lab, 0, VMAC, true, 10);
    let extra = link(&lab, 0, "vrrp6.51").unwrap_or_else(|| panic!("{}", lab.log(0)));
    assert_eq!(extra["address"].as_str(), Some(MAC6));
    assert_eq!(
        extra["linkinfo"]["info_data"]["mode"].as_str(),
        Some("private")
    );
    let v = lab.ip_json(lab.ns(0), &["addr", "show", "dev", "vrrp6.51"]);
    let has = v[0]["addr_info"]
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x["local"].as_str() == Some("2001:db8::5")));
    assert!(has, "{v}\n{}", lab.log(0));
    assert!(lab.stop(0).is_some_and(|s| s.success()));
    assert!(macvlans(&lab, 0).is_empty());
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn a_vmac_gone_with_its_parent_comes_back_with_it() {
    let mut lab = Lab::new(&lab::tag("vmacpar", ""), 1);
    let ns = lab.ns(0).to_string();
    let plug = |lab: &Lab| {
        lab.ip(
            &ns,
            &["link", "add", "vp0", "type", "veth", "peer", "name", "vp1"],
        );
        lab.ip(&ns, &["addr", "add", "10.9.0.1/24", "dev", "vp0"]);
        lab.ip(&ns, &["link", "set", "vp1", "up"]);
        lab.ip(&ns, &["link", "set", "vp0", "up"]);
    };
    plug(&lab);
    let mut i = Instance::v2("VI_1", 51, 150)
        .vip("10.0.0.100/24")
        .extra("use_vmac");
    i.interface = "vp0".into();
    lab.start_ready(0, Daemon::Vrrpd, &config("r0", &[i]));
    wait_on(&lab, 0, VMAC, true, 10);
    lab.ip(&ns, &["link", "del", "vp0"]);
    let t0 = std::time::Instant::now();
    while link(&lab, 0, VMAC).is_some() {
        assert!(t0.elapsed() < Duration::from_secs(3), "vmac still there");
        std::thread::sleep(Duration::from_millis(20));
    }
    lab.assert_running(0, "its parent went");
    plug(&lab);
    wait_on(&lab, 0, VMAC, true, 10);
    let l = link(&lab, 0, VMAC).expect("vmac");
    assert_eq!(l["link"].as_str(), Some("vp0"), "{l}");
    assert_eq!(l["address"].as_str(), Some(MAC));
    assert!(lab.stop(0).is_some_and(|s| s.success()));
    assert!(macvlans(&lab, 0).is_empty());
}
