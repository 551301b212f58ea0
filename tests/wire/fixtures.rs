//! The wire codec against real keepalived 2.2.7 packets (tests/fixtures/keepalived, captured
//! by tests/fixtures/capture-keepalived.sh): decode, check every field, re-emit and compare
//! byte for byte, IPv4 header included.
//!
//! The functions called are the daemon's own send and receive path: `Advert::to_vec` (the core
//! encodes every advert with it) and `emit_ipv4_datagram` (the IPv4 send socket's datagram);
//! `check_ipv4` / `check_ipv6` (the core runs them on every datagram a receive socket hands
//! over).

use crate::common::fixtures;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use fixtures::{assert_eq_hex, frame};
use vrrpd::wire::vrrp::verifies_as_old_unicast;
use vrrpd::wire::GROUP_V4 as DEFAULT_GROUP_V4;
use vrrpd::wire::{
    check_ipv4, check_ipv6, check_vips, emit_ipv4_advert, emit_ipv4_datagram, garp_frame,
    unsolicited_na_frame, Addrs, Advert, Auth, Checksum, Error, Expect, Family, Ipv4Packet,
    Ipv4Repr, UnicastChecksum, Version,
};

/// MAC of the interface keepalived ran on.
const MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];
const SRC: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 1);
const PEER: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 2);
const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);

fn v4(list: &[&str]) -> Addrs {
    Addrs::V4(list.iter().map(|a| a.parse().unwrap()).collect())
}

fn advert(
    version: Version,
    vrid: u8,
    priority: u8,
    interval: u16,
    auth: Auth,
    addrs: Addrs,
) -> Advert {
    Advert {
        version,
        vrid,
        priority,
        interval,
        auth,
        addrs,
    }
}

/// (fixture, expected advert, destination) for every IPv4 advert captured.
fn ipv4_cases() -> Vec<(&'static str, Advert, Ipv4Addr)> {
    let pass8 = Auth::pass_from_str("secret12");
    let pass4 = Auth::pass_from_str("1234");
    let noauth = v4(&["10.99.0.51"]);
    let three = v4(&["10.99.0.52", "10.99.0.152", "10.99.0.252"]);
    let v3 = v4(&["10.99.0.60", "10.99.0.160"]);
    let mut cases = Vec::new();
    for (suffix, p) in [("", 1u8), ("-prio0", 0u8)] {
        let prio = |n: u8| if p == 0 { 0 } else { n };
        let name =
            |base: &str| -> &'static str { Box::leak(format!("{base}{suffix}").into_boxed_str()) };
        cases.push((
            name("v2-mcast-noauth"),
            advert(Version::V2, 51, prio(100), 1, Auth::None, noauth.clone()),
            GROUP,
        ));
        cases.push((
            name("v2-mcast-pass-secret12"),
            advert(Version::V2, 52, prio(150), 1, pass8, three.clone()),
            GROUP,
        ));
        cases.push((
            name("v2-mcast-pass-1234"),
            advert(Version::V2, 53, prio(200), 2, pass4, v4(&["10.99.0.53"])),
            GROUP,
        ));
        cases.push((
            name("v3-ipv4-mcast-0.5s"),
            advert(Version::V3, 60, prio(100), 50, Auth::None, v3.clone()),
            GROUP,
        ));
        cases.push((
            name("v2-unicast"),
            advert(
                Version::V2,
                70,
                prio(100),
                1,
                Auth::None,
                v4(&["10.99.0.70"]),
            ),
            PEER,
        ));
        cases.push((
            name("v3-ipv4-unicast"),
            advert(
                Version::V3,
                71,
                prio(100),
                100,
                Auth::None,
                v4(&["10.99.0.71"]),
            ),
            PEER,
        ));
        cases.push((
            name("v3-ipv4-unicast-oldcsum"),
            advert(
                Version::V3,
                72,
                prio(100),
                100,
                Auth::None,
                v4(&["10.99.0.72"]),
            ),
            PEER,
        ));
    }
    cases
}

fn expect_for(a: &Advert, dst: Ipv4Addr) -> Expect {
    Expect {
        version: a.version,
        auth: a.auth,
        interval: a.interval,
        vip_count: Some(a.addrs.len()),
        multicast: dst.is_multicast(),
        group_v4: DEFAULT_GROUP_V4,
        unicast_checksum: if a.vrid == 72 {
            UnicastChecksum::Old
        } else {
            UnicastChecksum::Detect
        },
    }
}

#[test]
fn ipv4_adverts_decode_to_the_expected_fields() {
    for (name, want, dst) in ipv4_cases() {
        let f = frame(name);
        let packet = &f[14..];
        let ip = Ipv4Packet::new_checked(packet).unwrap();
        assert_eq!(
            (ip.src(), ip.dst(), ip.ttl(), ip.tos(), ip.protocol()),
            (SRC, dst, 255, 0xc0, 112),
            "{name}"
        );
        assert_eq!(ip.flags_frag(), 0, "{name}: DF clear");
        assert!(ip.verify_checksum(), "{name}: IP header checksum");

        let csum = if name.contains("oldcsum") {
            Checksum::V3Ipv4 {
                src: SRC,
                dst: GROUP,
            }
        } else {
            Checksum::ipv4(want.version, SRC, dst)
        };
        let got = Advert::parse(ip.payload(), Family::V4, csum)
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(got, want, "{name}");

        let rx =
            check_ipv4(packet, &expect_for(&want, dst)).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(rx.advert, want, "{name}");
        assert_eq!(
            (rx.src, rx.dst, rx.ttl),
            (IpAddr::V4(SRC), IpAddr::V4(dst), 255),
            "{name}"
        );
        assert!(!rx.old_unicast_checksum, "{name}");
        let vips: Vec<IpAddr> = want.addrs.iter().collect();
        assert_eq!(check_vips(&rx.advert, &vips), Ok(()), "{name}");
    }
}

#[test]
fn ipv4_adverts_reemit_byte_for_byte_with_ip_header() {
    for (name, want, dst) in ipv4_cases() {
        let f = frame(name);
        let packet = &f[14..];
        let ident = Ipv4Packet::new_unchecked(packet).ident();
        let csum_dst = if name.contains("oldcsum") { GROUP } else { dst };
        let ip = Ipv4Repr::vrrp(SRC, dst, 255, ident, 0);
        let mut buf = vec![0xa5u8; packet.len()];
        let n = emit_ipv4_advert(
            &want,
            &ip,
            Checksum::ipv4(want.version, SRC, csum_dst),
            &mut buf,
        )
        .unwrap();
        assert_eq!(n, packet.len(), "{name}");
        assert_eq_hex(name, &buf, packet);
        // The VRRP message alone, too.
        let msg = want
            .to_vec(Checksum::ipv4(want.version, SRC, csum_dst))
            .unwrap();
        assert_eq_hex(name, &msg, &packet[20..]);
        // And the datagram the daemon's send socket builds around that message.
        let sent = emit_ipv4_datagram(&ip, &msg).unwrap();
        assert_eq_hex(name, &sent, packet);
    }
}

#[test]
fn v3_ipv4_checksum_includes_the_pseudo_header() {
    let f = frame("v3-ipv4-mcast-0.5s");
    let msg = &f[34..];
    assert!(Advert::parse(
        msg,
        Family::V4,
        Checksum::V3Ipv4 {
            src: SRC,
            dst: GROUP
        }
    )
    .is_ok());
    // Without the pseudo-header (v3_checksum_as_v2 style) the captured value does not verify.
    assert_eq!(
        Advert::parse(msg, Family::V4, Checksum::V2),
        Err(Error::Checksum {
            vrid: 60,
            version: Version::V3
        })
    );
}

#[test]
fn unicast_v3_checksum_is_per_destination() {
    let f = frame("v3-ipv4-unicast");
    let msg = &f[34..];
    assert!(Advert::parse(
        msg,
        Family::V4,
        Checksum::V3Ipv4 {
            src: SRC,
            dst: PEER
        }
    )
    .is_ok());
    assert!(!verifies_as_old_unicast(msg, SRC, GROUP));
    let other = Ipv4Addr::new(10, 99, 0, 3);
    assert!(Advert::parse(
        msg,
        Family::V4,
        Checksum::V3Ipv4 {
            src: SRC,
            dst: other
        }
    )
    .is_err());
}

#[test]
fn old_unicast_checksum_is_detected_like_keepalived() {
    let f = frame("v3-ipv4-unicast-oldcsum");
    let packet = &f[14..];
    let msg = &packet[20..];
    assert_eq!(
        Advert::parse(
            msg,
            Family::V4,
            Checksum::V3Ipv4 {
                src: SRC,
                dst: PEER
            }
        ),
        Err(Error::Checksum {
            vrid: 72,
            version: Version::V3
        })
    );
    assert!(verifies_as_old_unicast(msg, SRC, GROUP));

    let want = advert(Version::V3, 72, 100, 100, Auth::None, v4(&["10.99.0.72"]));
    let mut expect = expect_for(&want, PEER);
    expect.unicast_checksum = UnicastChecksum::Detect;
    let rx = check_ipv4(packet, &expect).unwrap();
    assert!(
        rx.old_unicast_checksum,
        "detected and reported for the switch"
    );
    expect.unicast_checksum = UnicastChecksum::Old;
    assert!(!check_ipv4(packet, &expect).unwrap().old_unicast_checksum);
    expect.unicast_checksum = UnicastChecksum::Never;
    assert_eq!(
        check_ipv4(packet, &expect),
        Err(Error::Checksum {
            vrid: 72,
            version: Version::V3
        })
    );
}

#[test]
fn ipv6_adverts_decode_and_reemit() {
    let src: Ipv6Addr = "fe80::5eff:fe10:1".parse().unwrap();
    let dst: Ipv6Addr = "ff02::12".parse().unwrap();
    let addrs = Addrs::V6(vec![
        "fe80::61".parse().unwrap(),
        "2001:db8::61".parse().unwrap(),
    ]);
    for (name, prio) in [("v3-ipv6-mcast", 100), ("v3-ipv6-mcast-prio0", 0)] {
        let f = frame(name);
        assert_eq!(f[21], 255, "{name}: hop limit");
        let msg = &f[54..];
        let want = advert(Version::V3, 61, prio, 100, Auth::None, addrs.clone());
        // The kernel computed this checksum (IPV6_CHECKSUM); ours must verify it...
        let csum = Checksum::V3Ipv6 { src, dst };
        assert_eq!(
            Advert::parse(msg, Family::V6, csum),
            Ok(want.clone()),
            "{name}"
        );
        // ...and produce the same bytes.
        assert_eq_hex(name, &want.to_vec(csum).unwrap(), msg);
        let expect = Expect {
            version: Version::V3,
            auth: Auth::None,
            interval: 100,
            vip_count: Some(2),
            multicast: true,
            group_v4: DEFAULT_GROUP_V4,
            unicast_checksum: UnicastChecksum::Detect,
        };
        let rx = check_ipv6(msg, src, dst, 255, &expect).unwrap();
        assert_eq!(rx.advert, want);
        assert_eq!(
            check_ipv6(msg, src, dst, 64, &expect),
            Err(Error::Ttl { vrid: 61, ttl: 64 })
        );
    }
}

#[test]
fn garp_frames_match_keepalived() {
    let mut n = 0;
    for (name, f) in fixtures::all() {
        let Some(ip) = name.strip_prefix("garp-") else {
            continue;
        };
        let vip: Ipv4Addr = ip.parse().unwrap();
        assert_eq_hex(&name, &garp_frame(MAC, vip), &f);
        n += 1;
    }
    assert!(n >= 8, "only {n} GARP fixtures");
}

#[test]
fn unsolicited_na_frames_match_keepalived() {
    for (name, vip) in [
        ("na-fe80__61", "fe80::61"),
        ("na-2001_db8__61", "2001:db8::61"),
    ] {
        let f = frame(name);
        // Captured without IPv6 forwarding, so no Router flag.
        assert_eq_hex(
            name,
            &unsolicited_na_frame(MAC, vip.parse().unwrap(), false),
            &f,
        );
    }
}

#[test]
fn display_reads_like_tcpdump() {
    let f = frame("v2-mcast-pass-secret12");
    let a = Advert::parse(&f[34..], Family::V4, Checksum::V2).unwrap();
    assert_eq!(
        a.to_string(),
        "VRRPv2 vrid 52 prio 150 auth simple intvl 1s addrs: 10.99.0.52,10.99.0.152,10.99.0.252"
    );
    let f = frame("v3-ipv4-mcast-0.5s");
    let a = Advert::parse(&f[34..], Family::V4, Checksum::Offload).unwrap();
    assert_eq!(
        a.to_string(),
        "VRRPv3 vrid 60 prio 100 intvl 0.5s addrs: 10.99.0.60,10.99.0.160"
    );
}

#[test]
fn every_advert_fixture_is_covered() {
    let covered: Vec<&str> = ipv4_cases().into_iter().map(|(n, _, _)| n).collect();
    for (name, family, _, _) in fixtures::vrrp_payloads() {
        assert!(
            family == Family::V6 || covered.contains(&name.as_str()),
            "fixture {name} has no expected advert in ipv4_cases()"
        );
    }
}
