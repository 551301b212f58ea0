//! IP-level receive errors reach keepalived's counters (docs/keepalived-compat.md#receive-checks checks 1
//! and 10, docs/keepalived-compat.md#dump-files): vrrpd is sent an advert whose IPv4 header length runs past the datagram and
//! one whose total length is wrong, and its SIGUSR2 stats dump counts both under
//! `Packet Errors: Length`.
//!
//! Such datagrams never get past a Linux kernel on their own: a sender's `IP_HDRINCL` socket
//! rewrites the total length, and the receiver's IP layer drops a header longer than the
//! datagram and trims it to its total length before any raw socket sees it. So the lab sends
//! well-formed adverts with `IP_HDRINCL` from router 1, marked by their IP ID, and an nftables
//! rule in router 0's input hook (after those kernel checks, before raw-socket delivery)
//! corrupts the marked ones. Needs root and nft; fails loudly without them.

use crate::common;

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use common::frames;
use common::lab::{self, config, Daemon, Instance, Lab};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use vrrpd::wire::{Addrs, Advert, Auth, Version, GROUP_V4, PROTO_VRRP};

/// IP IDs that mark the adverts to corrupt, and what router 0's input hook does to them.
const BAD_IHL: u16 = 0xbad1;
const BAD_TOTAL: u16 = 0xbad2;

const RULES: &str = "table ip vrrpd_rx_errors {
    chain input {
        type filter hook input priority 0; policy accept;
        ip protocol vrrp ip id 0xbad1 ip hdrlength set 15
        ip protocol vrrp ip id 0xbad2 ip length set 100
    }
}
";

/// The number after `key` in the line following `section` in a stats file.
fn stat(text: &str, section: &str, key: &str) -> u64 {
    let mut lines = text.lines().skip_while(|l| l.trim() != section);
    lines
        .find_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().parse().ok()))
        .flatten()
        .unwrap_or_else(|| panic!("no `{key}` after `{section}` in:\n{text}"))
}

/// A well-formed v2 advert for router 0's instance, from router 1, with IP ID `ident`: the
/// datagram vrrpd's own send socket would build (`emit_ipv4_datagram`).
fn advert(from: Ipv4Addr, ident: u16) -> Vec<u8> {
    let a = Advert {
        version: Version::V2,
        vrid: 51,
        priority: 100,
        interval: 1,
        auth: Auth::None,
        addrs: Addrs::V4(vec![Ipv4Addr::new(10, 0, 0, 100)]),
    };
    frames::ipv4_datagram(&a, from, GROUP_V4, ident)
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn bad_header_length_and_total_length_are_counted_in_the_stats_dump() {
    lab::require_tool("nft");
    let mut lab = Lab::new(&lab::tag("rxerr", "v"), 2);
    let rules = lab.dir.join("rules.nft");
    std::fs::write(&rules, RULES).expect("write the nft rules");
    lab::sh(&[
        "ip",
        "netns",
        "exec",
        lab.ns(0),
        "nft",
        "-f",
        &rules.display().to_string(),
    ]);
    let inst = Instance::v2("VI_1", 51, 100).vip("10.0.0.100/24 dev eth0");
    lab.start_ready(0, Daemon::Vrrpd, &config("r0", &[inst]));

    let from = lab.addr(1);
    let sent = lab.spawn_in(lab.ns(1), move || {
        let sock = Socket::new(
            Domain::IPV4,
            Type::RAW,
            Some(Protocol::from(i32::from(PROTO_VRRP))),
        )
        .expect("raw socket");
        sock.set_header_included_v4(true).expect("IP_HDRINCL");
        sock.bind_device(Some(lab::IF.as_bytes())).expect("bind");
        let to = SockAddr::from(SocketAddrV4::new(GROUP_V4, 0));
        for ident in [BAD_IHL, BAD_TOTAL] {
            sock.send_to(&advert(from, ident), &to).expect("send");
        }
    });
    sent.join().expect("sender thread");

    // One log line each, in the wording of the other receive errors.
    lab.wait_log(
        0,
        "(VI_1) ip header length 60 beyond received length 40",
        Duration::from_secs(3),
    );
    lab.wait_log(
        0,
        "(VI_1) ip_tot_len mismatch against received length. 100 and received 40",
        Duration::from_secs(3),
    );
    let stats = lab.dump(0, libc::SIGUSR2, "keepalived.stats");
    assert_eq!(stat(&stats, "Packet Errors:", "Length:"), 2, "{stats}");
    assert_eq!(stat(&stats, "Advertisements:", "Received:"), 0, "{stats}");
}
