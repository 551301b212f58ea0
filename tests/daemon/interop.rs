//! A mixed pair: vrrpd and Debian's keepalived 2.2.7 on one LAN, in both
//! roles, multicast and unicast, with PASS authentication (VRRPv2, 1 s adverts: v3 has no
//! authentication) and without (VRRPv2 multicast as in seed 003, and VRRPv3 with 0.2 s adverts).
//!
//! Each case: the master (priority 150) alone holds the VIP; over several adverts neither daemon
//! logs a rejected advert (docs/keepalived-compat.md#receive-checks, docs/keepalived-compat.md#log-lines lines 16–24) and the backup never
//! advertises; SIGKILL of the master → the other daemon takes over within its master-down
//! interval; the killed node comes back and preempts (so each daemon both takes over from and
//! yields to the other); SIGTERM of the master → its priority-0 advert makes the other take over
//! within its skew time. Needs root, keepalived, tcpdump and tshark; fails loudly without them.

use crate::common;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use common::lab::{self, config, Daemon, Instance, Lab};

const SLACK: Duration = Duration::from_millis(300);
const VIP: &str = "10.0.0.100";

/// Log text of a rejected advert, in keepalived's wording (vrrpd keeps it).
const REJECTED: &[&str] = &[
    "invalid passwd",
    "auth, expecting",
    "checksum",
    "ip number count",
    "not present in MASTER advert",
    "interval mismatch",
    "wrong version",
    "TTL",
    "not a unicast peer",
    "invalid",
    "Invalid",
    "already processed",
    "AH header",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Auth {
    /// VRRPv2, `auth_type PASS`, advert_int 1.
    Pass,
    /// VRRPv2, `auth_type AH` (IPsec AH, HMAC-MD5-96, protocol 51), advert_int 1.
    Ah,
    /// VRRPv2 without authentication (seed 003), advert_int 1.
    V2None,
    /// VRRPv3, advert_int 0.2.
    None,
}

#[derive(Clone, Copy)]
enum Mode {
    Multicast,
    Unicast,
}

macro_rules! cases {
    ($($name:ident: $auth:expr, $mode:expr;)*) => {$(
        mod $name {
            use super::*;
            #[cfg_attr(not(feature = "netns-tests"), ignore = "needs root, namespaces or keepalived: ./tests/run.sh")]
            #[test]
            fn vrrpd_master() {
                super::mixed(Daemon::Vrrpd, Daemon::Keepalived, $auth, $mode,
                    &lab::tag(stringify!($name), "v"));
            }
            #[cfg_attr(not(feature = "netns-tests"), ignore = "needs root, namespaces or keepalived: ./tests/run.sh")]
            #[test]
            fn keepalived_master() {
                super::mixed(Daemon::Keepalived, Daemon::Vrrpd, $auth, $mode,
                    &lab::tag(stringify!($name), "k"));
            }
        }
    )*};
}

cases! {
    v2_pass_multicast: Auth::Pass, Mode::Multicast;
    v2_pass_unicast: Auth::Pass, Mode::Unicast;
    v2_ah_multicast: Auth::Ah, Mode::Multicast;
    v2_ah_unicast: Auth::Ah, Mode::Unicast;
    v2_noauth_multicast: Auth::V2None, Mode::Multicast;
    v3_multicast: Auth::None, Mode::Multicast;
    v3_unicast: Auth::None, Mode::Unicast;
}

fn instance(auth: Auth, mode: Mode, prio: u8, me: Ipv4Addr, peer: Ipv4Addr) -> Instance {
    let vip = format!("{VIP}/24 dev eth0 label eth0:1");
    let i = match auth {
        Auth::Pass => Instance::v2("VI_1", 55, prio).pass("1234"),
        // Longer than 8 bytes: both daemons key the HMAC with the first 8.
        Auth::Ah => Instance::v2("VI_1", 55, prio).ah("ah-key-1234"),
        Auth::V2None => Instance::v2("VI_1", 55, prio),
        Auth::None => Instance::v3("VI_1", 55, prio, "0.2"),
    }
    .vip(&vip);
    match mode {
        Mode::Multicast => i,
        Mode::Unicast => i.unicast(me, &[peer]),
    }
}

fn rejections(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| REJECTED.iter().any(|r| l.contains(r)))
        .collect()
}

fn mixed(master: Daemon, backup: Daemon, auth: Auth, mode: Mode, tag: &str) {
    let mut lab = Lab::new(tag, 2);
    let (a, b) = (lab.addr(0), lab.addr(1));
    let inst = [
        instance(auth, mode, 150, a, b),
        instance(auth, mode, 100, b, a),
    ];
    // The backup starts first, so the master's first advert preempts a running peer.
    lab.start(1, backup, &config("r1", &[inst[1].clone()]));
    lab.start(0, master, &config("r0", &[inst[0].clone()]));
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    lab.wait_holders(VIP, &[0], inst[0].master_down() * 3);

    // Steady state: 6 adverts.
    let where_ = match mode {
        Mode::Multicast => lab.client.clone(),
        Mode::Unicast => lab.nodes[1].ns.clone(),
    };
    let cap = lab.capture_filter(&where_, "steady", "ip proto 112 or ip proto 51");
    let t_end = Instant::now() + inst[0].advert() * 6 + Duration::from_millis(100);
    while Instant::now() < t_end {
        assert_eq!(lab.holders(VIP), vec![0], "only the master holds the VIP");
        std::thread::sleep(Duration::from_millis(50));
    }
    let pcap = cap.stop();
    let seen = lab::adverts(&pcap);
    if auth == Auth::Ah {
        ah_well_formed(&pcap, a);
    }
    let from_master = seen.iter().filter(|s| s.src == a.to_string()).count();
    assert!(
        from_master >= 5,
        "{} master adverts seen: {seen:?}",
        from_master
    );
    assert!(
        seen.iter().all(|s| s.src == a.to_string() && s.prio == 150),
        "only the master advertises: {seen:?}"
    );
    for i in 0..2 {
        let log = lab.log(i);
        let bad = rejections(&log);
        assert!(bad.is_empty(), "router {i} rejected adverts: {bad:#?}");
    }
    let backup_log = lab.log(1);
    assert!(
        !backup_log.contains("Entering MASTER STATE"),
        "the backup never became master\n{backup_log}"
    );

    // Failover: the other daemon takes over from a crashed master...
    let t0 = Instant::now();
    lab.kill9(0);
    lab.wait_holds(1, VIP, inst[1].master_down() + Duration::from_secs(3));
    let took = t0.elapsed();
    let md = inst[1].master_down();
    assert!(
        took >= md.saturating_sub(inst[1].advert()) && took <= md + SLACK,
        "takeover by {} after SIGKILL of {}: {took:?}, master-down {md:?}",
        backup.name(),
        master.name()
    );
    lab.forget(0);

    // ...and yields to it when it is back (preemption by the higher priority).
    lab.start(0, master, &config("r0", &[inst[0].clone()]));
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_holders(VIP, &[0], inst[0].master_down() + Duration::from_secs(3));
    for i in 0..2 {
        let log = lab.log(i);
        let bad = rejections(&log);
        assert!(bad.is_empty(), "router {i} rejected adverts: {bad:#?}");
    }

    // A graceful stop of the master: its priority-0 advert makes the other daemon take over
    // within its skew time.
    std::thread::sleep(inst[0].advert() * 2);
    let t0 = Instant::now();
    lab.signal(0, nix::sys::signal::Signal::SIGTERM);
    lab.wait_holds(1, VIP, Duration::from_secs(5));
    let took = t0.elapsed();
    assert!(
        took <= inst[1].skew() + SLACK,
        "takeover by {} after SIGTERM of {}: {took:?}, skew {:?}",
        backup.name(),
        master.name(),
        inst[1].skew()
    );
}

/// tshark dissects every advert of the master as IPv4 protocol 51, an AH header (SPI = the
/// source address, sequence numbers growing by one) and a VRRPv2 advert of auth type 2 with a
/// good checksum. tshark cannot check the ICV; the peer accepting the adverts does.
fn ah_well_formed(pcap: &std::path::Path, src: Ipv4Addr) {
    let p = pcap.display().to_string();
    let text = lab::sh(&[
        "tshark",
        "-r",
        &p,
        "-Y",
        &format!("ip.src == {src}"),
        "-T",
        "fields",
        "-E",
        "separator=|",
        "-e",
        "ip.proto",
        "-e",
        "ah.spi",
        "-e",
        "ah.sequence",
        "-e",
        "vrrp.auth_type",
        "-e",
        "vrrp.checksum.status",
        "-e",
        "_ws.malformed",
    ]);
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('|').collect()).collect();
    assert!(rows.len() >= 5, "AH adverts dissected:\n{text}");
    let spi = format!("{:#010x}", u32::from(src));
    let mut last = None;
    for r in &rows {
        assert_eq!(r.len(), 6, "{text}");
        assert_eq!(r[0], "51", "{text}");
        assert_eq!(r[1], spi, "SPI = source address\n{text}");
        assert_eq!(
            (r[3], r[4], r[5]),
            ("2", "1", ""),
            "auth type 2, checksum good, not malformed\n{text}"
        );
        let seq: u32 = r[2]
            .parse()
            .unwrap_or_else(|_| panic!("sequence in {text}"));
        if let Some(prev) = last {
            assert_eq!(seq, prev + 1, "sequence numbers grow by one\n{text}");
        }
        last = Some(seq);
    }
}

/// VRRPv3 over IPv6 (link-local sources, ff02::12), multicast, mixed pair: the master alone holds
/// the VIP fd00::100, no rejection is logged, and SIGKILL of the master moves the VIP.
fn ipv6(master: Daemon, backup: Daemon, tag: &str) {
    const VIP6: &str = "fd00::100";
    let mut lab = Lab::new(tag, 2);
    let inst = [
        Instance::v3("VI_6", 56, 150, "0.2").vip(&format!("{VIP6}/64 dev eth0")),
        Instance::v3("VI_6", 56, 100, "0.2").vip(&format!("{VIP6}/64 dev eth0")),
    ];
    lab.start(1, backup, &config("r1", &[inst[1].clone()]));
    lab.start(0, master, &config("r0", &[inst[0].clone()]));
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    lab.wait_holders(VIP6, &[0], Duration::from_secs(10));
    let t_end = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < t_end {
        assert_eq!(lab.holders(VIP6), vec![0], "only the master holds the VIP");
        std::thread::sleep(Duration::from_millis(50));
    }
    for i in 0..2 {
        let log = lab.log(i);
        let bad = rejections(&log);
        assert!(bad.is_empty(), "router {i} rejected adverts: {bad:#?}");
    }
    let t0 = Instant::now();
    lab.kill9(0);
    lab.wait_holds(1, VIP6, Duration::from_secs(5));
    let md = inst[1].master_down();
    assert!(
        t0.elapsed() <= md + SLACK,
        "IPv6 takeover by {} after {:?}, master-down {md:?}",
        backup.name(),
        t0.elapsed()
    );
}

mod v3_ipv6 {
    use super::*;
    #[cfg_attr(
        not(feature = "netns-tests"),
        ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
    )]
    #[test]
    fn vrrpd_master() {
        super::ipv6(Daemon::Vrrpd, Daemon::Keepalived, &lab::tag("v3ipv6", "v"));
    }
    #[cfg_attr(
        not(feature = "netns-tests"),
        ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
    )]
    #[test]
    fn keepalived_master() {
        super::ipv6(Daemon::Keepalived, Daemon::Vrrpd, &lab::tag("v3ipv6", "k"));
    }
}

/// keepalived 2.2.7's `version 2` over IPv6 (docs/keepalived-compat.md#advert-packet-layout):
/// `version 2` written before the IPv6 address, mixed pair, multicast to ff02::12. Every advert on
/// the LAN is VRRP version 2, the master alone holds the VIP, no rejection is logged, vrrpd warns
/// that the adverts are not standard, and SIGKILL of the master moves the VIP within the
/// master-down interval.
fn v2_ipv6(master: Daemon, backup: Daemon, tag: &str) {
    const VIP6: &str = "fd00::100";
    let mut lab = Lab::new(tag, 2);
    let inst = [
        Instance::v2("VI_6", 57, 150).vip(&format!("{VIP6}/64 dev eth0")),
        Instance::v2("VI_6", 57, 100).vip(&format!("{VIP6}/64 dev eth0")),
    ];
    let ns1 = lab.ns(1).to_string();
    let cap = lab.capture_filter(&ns1, "v2ipv6", "ip6 proto 112");
    lab.start(1, backup, &config("r1", &[inst[1].clone()]));
    lab.start(0, master, &config("r0", &[inst[0].clone()]));
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    lab.wait_holders(VIP6, &[0], Duration::from_secs(10));
    let t_end = Instant::now() + Duration::from_millis(2500);
    while Instant::now() < t_end {
        assert_eq!(lab.holders(VIP6), vec![0], "only the master holds the VIP");
        std::thread::sleep(Duration::from_millis(50));
    }
    for i in 0..2 {
        let log = lab.log(i);
        let bad = rejections(&log);
        assert!(bad.is_empty(), "router {i} rejected adverts: {bad:#?}");
    }
    let vrrpd = if master == Daemon::Vrrpd { 0 } else { 1 };
    assert!(
        lab.log(vrrpd).contains("VRRPv2 over IPv6 is not standard"),
        "{}",
        lab.log(vrrpd)
    );
    let pcap = cap.stop();
    let rows = lab::fields(&pcap, "vrrp", &["ipv6.dst", "vrrp.version", "vrrp.prio"]);
    assert!(rows.len() >= 2, "adverts captured: {rows:?}");
    for r in &rows {
        assert_eq!(r[0], "ff02::12", "{rows:?}");
        assert_eq!(r[1], "2", "{rows:?}");
        assert_eq!(r[2], "150", "only the master advertises: {rows:?}");
    }
    let t0 = Instant::now();
    lab.kill9(0);
    lab.wait_holds(1, VIP6, Duration::from_secs(8));
    let md = inst[1].master_down();
    assert!(
        t0.elapsed() <= md + SLACK,
        "VRRPv2/IPv6 takeover by {} after {:?}, master-down {md:?}",
        backup.name(),
        t0.elapsed()
    );
}

mod v2_ipv6 {
    use super::*;
    #[cfg_attr(
        not(feature = "netns-tests"),
        ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
    )]
    #[test]
    fn vrrpd_master() {
        super::v2_ipv6(Daemon::Vrrpd, Daemon::Keepalived, &lab::tag("v2ipv6", "v"));
    }
    #[cfg_attr(
        not(feature = "netns-tests"),
        ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
    )]
    #[test]
    fn keepalived_master() {
        super::v2_ipv6(Daemon::Keepalived, Daemon::Vrrpd, &lab::tag("v2ipv6", "k"));
    }
}

/// The rejection check is live: a backup whose instance disagrees with the master's adverts
/// rejects them with keepalived's log line (docs/keepalived-compat.md#receive-checks, docs/keepalived-compat.md#log-lines lines 16–20) and
/// becomes master too, whichever daemon is the backup.
fn rejected(master: Daemon, backup: Daemon, tag: &str, m: Instance, b: Instance, line: &str) {
    let mut lab = Lab::new(tag, 2);
    lab.start(0, master, &config("r0", &[m]));
    lab.start(1, backup, &config("r1", std::slice::from_ref(&b)));
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    lab.wait_log(1, line, Duration::from_secs(6));
    lab.wait_holds(1, VIP, b.master_down() + Duration::from_secs(3));
}

fn v2(prio: u8) -> Instance {
    Instance::v2("VI_1", 55, prio).vip(&format!("{VIP}/24 dev eth0"))
}

fn v3(prio: u8) -> Instance {
    Instance::v3("VI_1", 55, prio, "1").vip(&format!("{VIP}/24 dev eth0"))
}

macro_rules! rejections {
    ($($name:ident: $m:expr, $b:expr, $line:expr;)*) => {$(
        mod $name {
            use super::*;
            #[cfg_attr(not(feature = "netns-tests"), ignore = "needs root, namespaces or keepalived: ./tests/run.sh")]
            #[test]
            fn vrrpd_backup() {
                super::rejected(Daemon::Keepalived, Daemon::Vrrpd,
                    &lab::tag(stringify!($name), "v"), $m, $b, $line);
            }
            #[cfg_attr(not(feature = "netns-tests"), ignore = "needs root, namespaces or keepalived: ./tests/run.sh")]
            #[test]
            fn keepalived_backup() {
                super::rejected(Daemon::Vrrpd, Daemon::Keepalived,
                    &lab::tag(stringify!($name), "k"), $m, $b, $line);
            }
        }
    )*};
}

rejections! {
    reject_wrong_password: v2(150).pass("1234"), v2(100).pass("4321"),
        "(VI_1) received an invalid passwd!";
    reject_wrong_ah_key: v2(150).ah("1234"), v2(100).ah("4321"),
        "(VI_1) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !";
    reject_auth_type: v2(150).pass("1234"), v2(100),
        "(VI_1) received a 1 auth, expecting 0!";
    reject_interval: v2(150), { let mut i = v2(100); i.advert_int = "2".into(); i },
        "(VI_1) advertisement interval mismatch mine=2 sec rcv'd=1 sec";
    // keepalived checks the length against the received version's layout, so a version
    // mismatch is reported as such (not as "vrrp packet too short/long").
    reject_version: v3(150), v2(100),
        "(VI_1) wrong version. Received 3 and expect 2";
    reject_version_2: v2(150), v3(100),
        "(VI_1) wrong version. Received 2 and expect 3";
    reject_vip_count: v3(150).vip("10.0.0.101/24 dev eth0"), v3(100),
        "(VI_1) received an unexpected ip number count 2, expected 1!";
    reject_vip_list: v3(150).vip("10.0.0.101/24 dev eth0"),
        v3(100).vip("10.0.0.102/24 dev eth0"),
        "(VI_1) ip address associated with VRID 55 not present in MASTER advert: 10.0.0.102";
}

/// Split brain healed, equal priorities (docs/keepalived-compat.md#state-machine): both are MASTER after a
/// partition; when it heals each hears the other's equal-priority advert and the higher address
/// (r1, 10.0.0.2) stays master, whichever daemon it runs.
fn equal_priority_split_brain(r0: Daemon, r1: Daemon, tag: &str) {
    let mut lab = Lab::new(tag, 2);
    let i = Instance::v3("VI_1", 57, 100, "0.2").vip(&format!("{VIP}/24 dev eth0"));
    lab.start(0, r0, &config("r0", std::slice::from_ref(&i)));
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_holders(VIP, &[0], Duration::from_secs(5));
    lab.start(1, r1, &config("r1", std::slice::from_ref(&i)));
    lab.wait_ready(1, Duration::from_secs(10));
    // A backup never preempts an equal priority.
    std::thread::sleep(i.master_down() * 2);
    assert_eq!(lab.holders(VIP), vec![0]);

    lab.partition(1);
    lab.wait_holders(VIP, &[0, 1], Duration::from_secs(3));
    lab.heal(1);
    lab.wait_holders(VIP, &[1], Duration::from_secs(3));
    lab.wait_log(
        0,
        "with same priority 100 but higher IP address than ours",
        Duration::from_secs(1),
    );
}

mod v3_equal_priority_split_brain {
    use super::*;
    #[cfg_attr(
        not(feature = "netns-tests"),
        ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
    )]
    #[test]
    fn vrrpd_higher_address() {
        super::equal_priority_split_brain(
            Daemon::Keepalived,
            Daemon::Vrrpd,
            &lab::tag("v3eqsplit", "v"),
        );
    }
    #[cfg_attr(
        not(feature = "netns-tests"),
        ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
    )]
    #[test]
    fn keepalived_higher_address() {
        super::equal_priority_split_brain(
            Daemon::Vrrpd,
            Daemon::Keepalived,
            &lab::tag("v3eqsplit", "k"),
        );
    }
}
