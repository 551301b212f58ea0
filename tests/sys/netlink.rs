//! rtnetlink VIP handling and the monitor, inside network namespaces (root required).
//!
//! docs/keepalived-compat.md#adding-addresses (the address keepalived adds equals `ip addr add ... label`),
//! docs/keepalived-compat.md#removing-addresses (removal ignores absent addresses), docs/keepalived-compat.md#addresses-deleted-while-master / docs/keepalived-compat.md#log-lines (netlink link and address events).

use crate::common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::mpsc;

use common::{join, veth_pair, within, Netns};
use serde_json::Value;
use vrrpd::sys::netlink::{Added, Change, Monitor, Netlink, Removed, Vip};

fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

/// One namespace with a veth pair `eth0`/`eth1` inside it, both up, 10.99.0.1/24 on eth0.
fn single_ns(tag: &str) -> Netns {
    let ns = Netns::new(tag);
    ns.ip(&[
        "link", "add", "eth0", "type", "veth", "peer", "name", "eth1",
    ]);
    ns.ip(&["addr", "add", "10.99.0.1/24", "dev", "eth0"]);
    ns.ip(&["link", "set", "eth0", "up"]);
    ns.ip(&["link", "set", "eth1", "up"]);
    ns
}

/// The `addr_info` entry of `local` on `dev`, without the lifetimes (they tick).
fn addr_info(ns: &Netns, dev: &str, local: &str) -> Option<Value> {
    let v = ns.ip_json(&["addr", "show", "dev", dev]);
    let mut info = v[0]["addr_info"]
        .as_array()?
        .iter()
        .find(|a| a["local"] == local)?
        .clone();
    let obj = info.as_object_mut()?;
    obj.remove("valid_life_time");
    obj.remove("preferred_life_time");
    Some(info)
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn vip_with_label_equals_ip_addr_add_and_delete_is_idempotent() {
    let ns = single_ns("vip");
    let idx = ns.ifindex("eth0");

    // What iproute2 produces for keepalived's reference line (docs/keepalived-compat.md#adding-addresses)...
    ns.ip(&[
        "addr",
        "add",
        "10.99.0.100/24",
        "dev",
        "eth0",
        "label",
        "eth0:1",
    ]);
    let by_ip = addr_info(&ns, "eth0", "10.99.0.100").expect("ip added it");
    ns.ip(&["addr", "del", "10.99.0.100/24", "dev", "eth0"]);
    assert!(addr_info(&ns, "eth0", "10.99.0.100").is_none());

    // ...is exactly what add_vip produces.
    let mut vip = Vip::new(idx, v4(10, 99, 0, 100), 24);
    vip.label = Some("eth0:1".into());
    let vip2 = vip.clone();
    let (first, second) = ns.run(move || async move {
        let nl = Netlink::open().unwrap();
        (
            nl.add_vip(&vip2).await.unwrap(),
            nl.add_vip(&vip2).await.unwrap(),
        )
    });
    assert_eq!((first, second), (Added::Added, Added::AlreadyPresent));
    let by_us = addr_info(&ns, "eth0", "10.99.0.100").expect("add_vip added it");
    assert_eq!(by_us, by_ip);
    assert_eq!(by_us["prefixlen"], 24);
    assert_eq!(by_us["label"], "eth0:1");
    assert!(
        by_us.get("broadcast").is_none(),
        "no brd unless configured: {by_us}"
    );

    // Delete, then delete again: the second is "not present", not an error (docs/keepalived-compat.md#removing-addresses).
    let (d1, d2, listed) = ns.run(move || async move {
        let nl = Netlink::open().unwrap();
        let mut listed = nl.all_addresses().await.unwrap();
        listed.retain(|a| a.ifindex == idx);
        (
            nl.del_vip(&vip).await.unwrap(),
            nl.del_vip(&vip).await.unwrap(),
            listed,
        )
    });
    assert_eq!((d1, d2), (Removed::Removed, Removed::NotPresent));
    assert!(addr_info(&ns, "eth0", "10.99.0.100").is_none());
    let ours = listed
        .iter()
        .find(|a| a.addr == v4(10, 99, 0, 100))
        .expect("addresses() lists the VIP");
    assert_eq!((ours.prefix, ours.label.as_deref()), (24, Some("eth0:1")));
    assert!(
        ours.secondary,
        "10.99.0.100/24 is secondary to 10.99.0.1/24"
    );
    // The interface's own address is untouched.
    assert!(addr_info(&ns, "eth0", "10.99.0.1").is_some());
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn vip_with_broadcast_and_host_vip_equal_ip_addr_add() {
    let ns = single_ns("brd");
    let idx = ns.ifindex("eth0");

    ns.ip(&[
        "addr",
        "add",
        "10.99.0.100/24",
        "brd",
        "10.99.0.255",
        "dev",
        "eth0",
    ]);
    ns.ip(&["addr", "add", "10.99.0.101/32", "dev", "eth0"]);
    let want_brd = addr_info(&ns, "eth0", "10.99.0.100").unwrap();
    let want_host = addr_info(&ns, "eth0", "10.99.0.101").unwrap();
    ns.ip(&["addr", "flush", "dev", "eth0", "to", "10.99.0.100/31"]);
    assert!(addr_info(&ns, "eth0", "10.99.0.100").is_none());

    let mut brd = Vip::new(idx, v4(10, 99, 0, 100), 24);
    brd.broadcast = Some(Ipv4Addr::new(10, 99, 0, 255));
    let host = Vip::new(idx, v4(10, 99, 0, 101), 32);
    ns.run(move || async move {
        let nl = Netlink::open().unwrap();
        assert_eq!(nl.add_vip(&brd).await.unwrap(), Added::Added);
        assert_eq!(nl.add_vip(&host).await.unwrap(), Added::Added);
    });
    assert_eq!(addr_info(&ns, "eth0", "10.99.0.100").unwrap(), want_brd);
    assert_eq!(addr_info(&ns, "eth0", "10.99.0.101").unwrap(), want_host);
    assert_eq!(want_brd["broadcast"], "10.99.0.255");
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn ipv6_vips_skip_dad_and_host_vips_are_deprecated() {
    let ns = single_ns("six");
    let idx = ns.ifindex("eth0");
    let net = IpAddr::V6(Ipv6Addr::new(0xfd00, 0x99, 0, 0, 0, 0, 0, 0x61));
    let host = IpAddr::V6(Ipv6Addr::new(0xfd00, 0x99, 0, 0, 0, 0, 0, 0x62));
    ns.run(move || async move {
        let nl = Netlink::open().unwrap();
        assert_eq!(
            nl.add_vip(&Vip::new(idx, net, 64)).await.unwrap(),
            Added::Added
        );
        assert_eq!(
            nl.add_vip(&Vip::new(idx, host, 128)).await.unwrap(),
            Added::Added
        );
    });
    let v = ns.ip_json(&["addr", "show", "dev", "eth0"]);
    let find = |local: &str| {
        v[0]["addr_info"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["local"] == local)
            .cloned()
            .unwrap_or_else(|| panic!("{local} missing: {v}"))
    };
    let net = find("fd00:99::61");
    assert_eq!(net["prefixlen"], 64);
    assert!(
        net.get("tentative").is_none(),
        "NODAD: usable at once: {net}"
    );
    assert_eq!(net["preferred_life_time"], 4294967295u64, "{net}");
    let host = find("fd00:99::62");
    assert!(host.get("tentative").is_none(), "{host}");
    assert_eq!(
        host["preferred_life_time"], 0,
        "/128: deprecated, never a source: {host}"
    );
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn links_are_looked_up_by_name_and_index() {
    let ns = single_ns("lnk");
    let idx = ns.ifindex("eth0");
    let mac = ns.mac("eth0");
    ns.ip(&["link", "set", "eth1", "down"]); // eth0 stays admin up but loses carrier
    let (by_name, by_index, missing, all) = ns.run(move || async move {
        let nl = Netlink::open().unwrap();
        (
            nl.link_by_name("eth0").await.unwrap(),
            nl.link_by_index(idx).await.unwrap(),
            nl.link_by_name("nosuch0").await.unwrap(),
            nl.links().await.unwrap(),
        )
    });
    let link = by_name.expect("eth0 exists");
    assert_eq!(Some(&link), by_index.as_ref());
    assert_eq!(
        (link.index, link.name.as_str(), link.mac),
        (idx, "eth0", Some(mac))
    );
    assert!(link.admin_up && !link.running && !link.is_up(), "{link:?}");
    assert!(missing.is_none());
    let names: Vec<_> = all.iter().map(|l| l.name.as_str()).collect();
    assert!(
        names.contains(&"lo") && names.contains(&"eth1"),
        "{names:?}"
    );
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn add_to_a_missing_interface_is_a_sentence_not_a_panic() {
    let ns = Netns::new("mis");
    let err = ns.run(|| async {
        let nl = Netlink::open().unwrap();
        nl.add_vip(&Vip::new(4242, v4(10, 99, 0, 100), 24))
            .await
            .unwrap_err()
    });
    assert_eq!(err.errno(), Some(libc::ENODEV));
    assert!(
        err.to_string()
            .starts_with("cannot add address 10.99.0.100/24 to interface index 4242: "),
        "{err}"
    );
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn monitor_reports_link_down_up_address_delete_and_link_removal() {
    let (a, _b) = veth_pair("mon", "10.99.0.1/24", "10.99.0.2/24");
    let idx = a.ifindex("eth0");
    let (ready_tx, ready_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel::<()>();

    let watcher = a.spawn(move || async move {
        let mut mon = Monitor::open().unwrap();
        ready_tx.send(()).unwrap();
        let mut seen = Vec::new();
        let expected = 5;
        within(5, "netlink events", async {
            while seen.len() < expected {
                match mon.next().await.expect("monitor stream open") {
                    // Only eth0 and its IPv4 address; link-local IPv6 churn is not the point.
                    e @ Change::LinkChange { ifindex, .. }
                    | e @ Change::LinkRemoved { ifindex, .. }
                        if ifindex == idx =>
                    {
                        seen.push(e)
                    }
                    e @ Change::AddrChange {
                        addr: IpAddr::V4(_),
                        ifindex,
                        ..
                    } if ifindex == idx => seen.push(e),
                    _ => {}
                }
            }
        })
        .await;
        drop(done_tx);
        seen
    });

    ready_rx.recv().unwrap();
    a.ip(&["link", "set", "eth0", "down"]);
    a.ip(&["link", "set", "eth0", "up"]);
    std::thread::sleep(std::time::Duration::from_millis(300)); // carrier comes back
    a.ip(&["addr", "del", "10.99.0.1/24", "dev", "eth0"]);
    a.ip(&["link", "del", "eth0"]);
    let _ = done_rx.recv();
    let seen = join(watcher);

    let kinds: Vec<String> = seen
        .iter()
        .map(|e| match e {
            Change::LinkChange { name, up, .. } => format!("link {name} up={up}"),
            Change::LinkRemoved { name, .. } => format!("removed {name}"),
            Change::AddrChange {
                addr,
                prefix,
                added,
                ..
            } => format!("addr {addr}/{prefix} added={added}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "link eth0 up=false",
            "link eth0 up=true",
            "addr 10.99.0.1/24 added=false",
            "link eth0 up=false",
            "removed eth0",
        ],
        "{seen:#?}"
    );
}
