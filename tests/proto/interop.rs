//! Interoperability with real keepalived 2.2.7 adverts (the captures in
//! `tests/fixtures/keepalived/`): for every captured advert, a Router configured like the
//! capturing keepalived emits byte-identical VRRP messages, and a Router configured as its peer
//! accepts the captured bytes with no error counted.

use crate::common;
use crate::common::fixtures;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use common::{ms, Rig};
use vrrpd::proto::{
    Action, AuthSettings, Centisecs, Input, InstanceSettings, OldUnicastChecksum, RouterSettings,
    State, VipSpec,
};
use vrrpd::wire::{Advert, Auth, Checksum, Family, Version};

struct Capture {
    name: String,
    src: IpAddr,
    dst: IpAddr,
    ttl: u8,
    payload: Vec<u8>,
    advert: Advert,
}

fn captures() -> Vec<Capture> {
    let mut out = Vec::new();
    for (name, frame) in fixtures::all() {
        if !name.starts_with('v') {
            continue; // GARP / NA frames
        }
        let ip = &frame[14..];
        let (src, dst, ttl, payload, family): (IpAddr, IpAddr, u8, &[u8], Family) =
            match fixtures::ethertype(&frame) {
                0x0800 => {
                    let ihl = usize::from(ip[0] & 0x0f) * 4;
                    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
                    let s: [u8; 4] = ip[12..16].try_into().unwrap();
                    let d: [u8; 4] = ip[16..20].try_into().unwrap();
                    (
                        Ipv4Addr::from(s).into(),
                        Ipv4Addr::from(d).into(),
                        ip[8],
                        &ip[ihl..total],
                        Family::V4,
                    )
                }
                _ => {
                    let len = usize::from(u16::from_be_bytes([ip[4], ip[5]]));
                    let s: [u8; 16] = ip[8..24].try_into().unwrap();
                    let d: [u8; 16] = ip[24..40].try_into().unwrap();
                    (
                        Ipv6Addr::from(s).into(),
                        Ipv6Addr::from(d).into(),
                        ip[7],
                        &ip[40..40 + len],
                        Family::V6,
                    )
                }
            };
        let advert = Advert::parse(payload, family, Checksum::Offload)
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        out.push(Capture {
            name,
            src,
            dst,
            ttl,
            payload: payload.to_vec(),
            advert,
        });
    }
    assert!(out.len() >= 12, "expected the keepalived captures");
    out
}

/// The keepalived configuration that produced a capture, seen from `me` with peer `peer`.
fn instance(c: &Capture, me: IpAddr, peer: IpAddr, priority: u8) -> InstanceSettings {
    let ifname = "eth0";
    let mut inst = InstanceSettings::backup("VI_1", c.advert.vrid)
        .src(&me.to_string())
        .priority(priority);
    inst.version = c.advert.version;
    inst.advert_int = Centisecs(c.advert.interval_cs());
    inst.vips = c
        .advert
        .addrs
        .iter()
        .map(|a| VipSpec::parse(&a.to_string(), ifname))
        .collect();
    inst.auth = match c.advert.auth {
        Auth::Pass(data) => {
            let end = data.iter().position(|b| *b == 0).unwrap_or(8);
            AuthSettings::Pass(String::from_utf8_lossy(&data[..end]).into_owned())
        }
        _ => AuthSettings::None,
    };
    if !c.dst.is_multicast() {
        inst = inst.peer(&peer.to_string());
    }
    if c.name.contains("oldcsum") {
        inst.old_unicast_checksum = OldUnicastChecksum::Always;
    }
    inst
}

fn other(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => "10.99.0.2".parse().unwrap(),
        IpAddr::V6(_) => "fe80::2".parse().unwrap(),
    }
}

#[test]
fn our_adverts_are_byte_identical_to_keepalived_captures() {
    let mut failures = Vec::new();
    for c in captures() {
        let peer = if c.dst.is_multicast() {
            other(c.src)
        } else {
            c.dst
        };
        let prio = if c.advert.priority == 0 {
            100
        } else {
            c.advert.priority
        };
        let mut rig = Rig::one(instance(&c, c.src, peer, prio));
        rig.advance_to(Duration::from_secs(10));
        assert_eq!(rig.state("VI_1"), State::Master, "{}", c.name);
        if c.advert.priority == 0 {
            rig.input_at(Duration::from_secs(10), Input::Stop { release: true });
        }
        let sent = rig.out.iter().rev().find_map(|t| match &t.action {
            Action::SendAdvert {
                bytes, dst, ttl, ..
            } => Some((bytes.clone(), *dst, *ttl)),
            _ => None,
        });
        let (bytes, dst, ttl) = sent.expect("an advert");
        if bytes != c.payload || dst != c.dst || ttl != c.ttl {
            failures.push(format!(
                "{}: ours {} to {dst} ttl {ttl}, keepalived {} to {} ttl {}",
                c.name,
                vrrpd::proto::hex_bytes::encode(&bytes),
                vrrpd::proto::hex_bytes::encode(&c.payload),
                c.dst,
                c.ttl
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn keepalived_captures_are_accepted_by_a_peer() {
    let mut failures = Vec::new();
    for c in captures() {
        let me = if c.dst.is_multicast() {
            other(c.src)
        } else {
            c.dst
        };
        let mut inst = instance(&c, me, c.src, 50);
        inst.old_unicast_checksum = OldUnicastChecksum::Auto;
        let mut rig = Rig::new(RouterSettings::new(vec![inst]));
        rig.input_at(
            ms(100),
            Input::Packet {
                ifindex: 2,
                src: c.src,
                dst: c.dst,
                ttl: c.ttl,
                bytes: c.payload.clone(),
            },
        );
        let k = rig.router.snapshot().instances[0].counters.clone();
        let errors = k.packet_len_err
            + k.ip_ttl_err
            + k.invalid_type_rcvd
            + k.addr_list_err
            + k.invalid_authtype
            + k.authtype_mismatch
            + k.auth_failure
            + k.chk_err
            + k.vers_err;
        let zero = u64::from(c.advert.priority == 0);
        if k.advert_rcvd != 1 || errors != 0 || k.pri_zero_rcvd != zero {
            failures.push(format!("{}: {k:?} logs {:?}", c.name, rig.logs()));
        }
        if c.name.contains("oldcsum")
            && !rig
                .logs()
                .contains(&"(VI_1) Setting unicast VRRPv3 checksum to old version".to_string())
        {
            failures.push(format!("{}: old checksum not detected", c.name));
        }
        if c.advert.version == Version::V3
            && c.advert.interval_cs() != 100
            && c.advert.priority != 0
        {
            let learned = rig.router.snapshot().instances[0].master_adver_int;
            if learned.0 != c.advert.interval_cs() {
                failures.push(format!("{}: interval not learned", c.name));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
