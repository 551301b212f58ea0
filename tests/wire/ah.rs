//! `auth_type AH` against real keepalived 2.2.7 adverts (tests/fixtures/keepalived-ah, captured
//! by tests/fixtures/capture-keepalived-ah.sh; docs/keepalived-compat.md#ipsec-ah): vrrpd's
//! receive checks accept them with the right key and refuse them with a wrong one or as
//! replays, and vrrpd's sealing of the same advert gives the same bytes, ICV included, for
//! multicast (TTL covered) and unicast (TTL zeroed in the ICV).

use crate::common::fixtures::{assert_eq_hex, parse_hex};

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use vrrpd::wire::ah::{seal, AhHeader};
use vrrpd::wire::{
    check_ipv4_ah, emit_ipv4_datagram, AhCheck, Auth, Checksum, Error, Expect, Ipv4Packet,
    Ipv4Repr, SeqCounter, UnicastChecksum, Version, GROUP_V4, PROTO_AH,
};

fn datagram(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keepalived-ah")
        .join(format!("{name}.hex"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
    parse_hex(&text)
}

/// `auth_pass` as keepalived keys the HMAC: zero-padded to 8 bytes.
fn key(pass: &str) -> [u8; 8] {
    let mut k = [0u8; 8];
    k[..pass.len()].copy_from_slice(pass.as_bytes());
    k
}

/// (fixture stem, key, multicast, VIP count) of the captured instances.
const CASES: [(&str, &str, bool, usize); 2] = [
    ("v2-mcast-ah", "secret12", true, 2),
    ("v2-unicast-ah", "ah4", false, 1),
];

fn expect(multicast: bool, vips: usize) -> Expect {
    Expect {
        version: Version::V2,
        auth: Auth::Ah,
        interval: 1,
        vip_count: Some(vips),
        multicast,
        group_v4: GROUP_V4,
        unicast_checksum: UnicastChecksum::Detect,
    }
}

#[test]
fn keepalived_adverts_verify_in_order_and_replays_do_not() {
    for (stem, pass, multicast, vips) in CASES {
        let mut ah = AhCheck {
            key: key(pass),
            counter: SeqCounter::default(),
        };
        let e = expect(multicast, vips);
        let first = datagram(stem);
        let next = datagram(&format!("{stem}-next"));
        let last = datagram(&format!("{stem}-prio0"));
        let got = check_ipv4_ah(&first, &e, Some(&mut ah)).unwrap();
        assert_eq!(got.ah_seq, Some(1), "{stem}: keepalived starts at 1");
        assert_eq!(got.advert.auth, Auth::Ah);
        let got = check_ipv4_ah(&next, &e, Some(&mut ah)).unwrap();
        assert_eq!(got.ah_seq, Some(2), "{stem}: and counts by one");
        assert_eq!(
            check_ipv4_ah(&first, &e, Some(&mut ah)),
            Err(Error::AhReplay {
                vrid: first[45],
                seq: 1,
                local: 2
            }),
            "{stem}: a replay"
        );
        let got = check_ipv4_ah(&last, &e, Some(&mut ah)).unwrap();
        assert_eq!(got.advert.priority, 0, "{stem}: the priority-0 advert");

        let mut wrong = AhCheck {
            key: key("secret13"),
            counter: SeqCounter::default(),
        };
        assert_eq!(
            check_ipv4_ah(&first, &e, Some(&mut wrong)),
            Err(Error::AhIcv { vrid: first[45] }),
            "{stem}: wrong key"
        );
        assert_eq!(
            wrong.counter.seq, 0,
            "a refused advert does not move the counter"
        );
    }
}

#[test]
fn vrrpd_seals_keepalived_s_adverts_byte_for_byte() {
    for (stem, pass, multicast, vips) in CASES {
        for name in [
            stem.to_string(),
            format!("{stem}-next"),
            format!("{stem}-prio0"),
        ] {
            let want = datagram(&name);
            let ip = Ipv4Packet::new_checked(&want[..]).unwrap();
            let header = Ipv4Repr::parse(&ip).unwrap();
            assert_eq!(header.protocol, PROTO_AH);
            let ah = AhHeader::parse(&want[20..]).unwrap();
            assert_eq!(
                (ah.next_header, ah.payload_len, ah.spi),
                (112, 4, [10, 99, 0, 1]),
                "{name}: next header, payload length, SPI = source"
            );
            // The advert as the core would encode it (auth type 2, zero auth data).
            let mut counter = AhCheck {
                key: key(pass),
                counter: SeqCounter::default(),
            };
            let rx = check_ipv4_ah(&want, &expect(multicast, vips), Some(&mut counter)).unwrap();
            assert_eq!(rx.src, IpAddr::V4(Ipv4Addr::new(10, 99, 0, 1)));
            let message = rx.advert.to_vec(Checksum::V2).unwrap();
            assert_eq!(&message[..], &want[44..], "{name}: VRRP message");
            let sealed = seal(&header, &key(pass), ah.seq, !multicast, &message).unwrap();
            let got = emit_ipv4_datagram(&header, &sealed).unwrap();
            assert_eq_hex(&name, &got, &want);
        }
    }
}

/// Every single-byte change of a captured AH advert is refused, except in the fields the ICV
/// treats as mutable (TOS, flags + fragment offset, header checksum: the kernel verifies the
/// latter before a raw socket sees the datagram; the TTL for unicast), and nothing panics. The fuzz property
/// (tests/common/roundtrip.rs, selector bit 7) runs on every variant too.
#[test]
fn every_covered_byte_is_protected_and_hostile_bytes_never_panic() {
    for (stem, pass, multicast, vips) in CASES {
        let good = datagram(stem);
        let e = expect(multicast, vips);
        for i in 0..good.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut p = good.clone();
                p[i] ^= flip;
                let mut ah = AhCheck {
                    key: key(pass),
                    counter: SeqCounter::default(),
                };
                let got = check_ipv4_ah(&p, &e, Some(&mut ah));
                // The TTL is left out of the ICV of unicast instances only.
                let mutable = matches!(i, 1 | 6 | 7 | 10 | 11) || (i == 8 && !multicast);
                assert_eq!(
                    got.is_ok(),
                    mutable,
                    "{stem}: byte {i} ^ {flip:#04x}: {got:?}"
                );
                let mut input = vec![0x80];
                input.extend_from_slice(&p);
                crate::common::roundtrip::check(&input);
            }
            let _ = check_ipv4_ah(&good[..i], &e, None);
        }
    }
}
