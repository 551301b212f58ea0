//! `auth_type AH` against keepalived 2.2.7 beyond the mixed-pair failovers of `interop.rs`
//! (docs/keepalived-compat.md#ipsec-ah):
//!
//! * a replayed advert: one AH advert of the master is captured from the LAN (a raw
//!   protocol-51 socket in the backup's namespace) and sent again, unchanged, a few adverts
//!   later from the client; the backup refuses it as already processed, with keepalived's log
//!   line, whichever daemon is the backup, and vrrpd counts it under
//!   `Authentication Errors: Failure` in its stats dump; both daemons' data dumps say
//!   `Authentication type = IPSEC_AH` and print no password;
//! * a wrong key: vrrpd as backup refuses keepalived's adverts with keepalived's line, counts
//!   them as authentication failures, and becomes master itself.
//!
//! Needs root and keepalived; fails loudly without them.

use crate::common;

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::{Duration, Instant};

use common::lab::{self, config, Daemon, Instance, Lab};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use vrrpd::wire::{GROUP_V4, PROTO_AH};

const VIP: &str = "10.0.0.100";

fn inst(prio: u8, key: &str) -> Instance {
    Instance::v2("VI_1", 58, prio)
        .ah(key)
        .vip(&format!("{VIP}/24 dev eth0"))
}

/// The number after `key` in the first line after `section` that has it, in a stats dump.
fn stat(text: &str, section: &str, key: &str) -> u64 {
    let mut lines = text.lines().skip_while(|l| l.trim() != section);
    lines
        .find_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().parse().ok()))
        .flatten()
        .unwrap_or_else(|| panic!("no `{key}` after `{section}` in:\n{text}"))
}

/// The first AH datagram from `from` read by a raw protocol-51 socket in `ns` (the group is
/// joined there by the daemon), within 5 s.
fn capture_one(lab: &Lab, ns: &str, from: Ipv4Addr) -> Vec<u8> {
    lab.spawn_in(ns, move || {
        let sock = Socket::new(
            Domain::IPV4,
            Type::RAW,
            Some(Protocol::from(i32::from(PROTO_AH))),
        )
        .expect("raw AH socket");
        sock.bind_device(Some(lab::IF.as_bytes())).expect("bind");
        sock.set_read_timeout(Some(Duration::from_millis(500)))
            .expect("timeout");
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 2048];
        while Instant::now() < deadline {
            if let Ok(n) = sock.recv(&mut buf) {
                // SAFETY: recv initialised the first n bytes.
                let got: Vec<u8> = buf[..n]
                    .iter()
                    .map(|b| unsafe { b.assume_init() })
                    .collect();
                if got.get(12..16) == Some(&from.octets()[..]) {
                    return got;
                }
            }
        }
        panic!("no AH advert from {from} within 5 s");
    })
    .join()
    .expect("capture thread")
}

/// Sends `datagram` (IP header included, unchanged) to the VRRP group from namespace `ns`.
fn resend(lab: &Lab, ns: &str, datagram: Vec<u8>) {
    lab.spawn_in(ns, move || {
        let sock = Socket::new(
            Domain::IPV4,
            Type::RAW,
            Some(Protocol::from(i32::from(PROTO_AH))),
        )
        .expect("raw socket");
        sock.set_header_included_v4(true).expect("IP_HDRINCL");
        sock.bind_device(Some(lab::IF.as_bytes())).expect("bind");
        let to = SockAddr::from(SocketAddrV4::new(GROUP_V4, 0));
        sock.send_to(&datagram, &to).expect("send");
    })
    .join()
    .expect("sender thread");
}

fn replay(master: Daemon, backup: Daemon, tag: &str) {
    let mut lab = Lab::new(tag, 2);
    let a = lab.addr(0);
    lab.start(1, backup, &config("r1", &[inst(100, "replay12")]));
    lab.start(0, master, &config("r0", &[inst(150, "replay12")]));
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));

    let ns1 = lab.ns(1).to_string();
    let old = capture_one(&lab, &ns1, a);
    let seq = u32::from_be_bytes(old[28..32].try_into().expect("AH sequence"));
    // A few more adverts: the backup's counter moves past the captured one.
    std::thread::sleep(Duration::from_millis(2500));
    let client = lab.client.clone();
    resend(&lab, &client, old);
    let line = format!(
        "(VI_1) IPSEC-AH : sequence number {seq} already processed. Packet dropped. Local("
    );
    lab.wait_log(1, &line, Duration::from_secs(3));
    assert_eq!(lab.holders(VIP), vec![0], "the replay changed nothing");
    // Both daemons' SIGUSR1 dumps name the type and keep the key to themselves.
    for i in 0..2 {
        let data = lab.dump(i, libc::SIGUSR1, "keepalived.data");
        assert!(
            data.contains("   Authentication type = IPSEC_AH\n") && !data.contains("Password"),
            "router {i}:\n{data}"
        );
    }
    if backup == Daemon::Vrrpd {
        let stats = lab.dump(1, libc::SIGUSR2, "keepalived.stats");
        assert_eq!(
            stat(&stats, "Authentication Errors:", "Failure:"),
            1,
            "{stats}"
        );
    }
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn replayed_advert_refused_by_vrrpd_backup() {
    replay(
        Daemon::Keepalived,
        Daemon::Vrrpd,
        &lab::tag("ahreplay", "v"),
    );
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn replayed_advert_refused_by_keepalived_backup() {
    replay(
        Daemon::Vrrpd,
        Daemon::Keepalived,
        &lab::tag("ahreplay", "k"),
    );
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn wrong_key_refused_and_counted_by_vrrpd() {
    let mut lab = Lab::new(&lab::tag("ahkey", "v"), 2);
    lab.start(0, Daemon::Keepalived, &config("r0", &[inst(150, "right")]));
    lab.start(1, Daemon::Vrrpd, &config("r1", &[inst(100, "wrong")]));
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    lab.wait_log(
        1,
        "(VI_1) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !",
        Duration::from_secs(6),
    );
    lab.wait_holds(1, VIP, Duration::from_secs(6));
    let stats = lab.dump(1, libc::SIGUSR2, "keepalived.stats");
    assert!(
        stat(&stats, "Authentication Errors:", "Failure:") >= 1,
        "{stats}"
    );
    assert_eq!(stat(&stats, "Advertisements:", "Received:"), 0, "{stats}");
}
