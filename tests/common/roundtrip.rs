//! The wire round-trip property, shared by `tests/wire/roundtrip.rs` and the cargo-fuzz
//! target `fuzz/fuzz_targets/wire_vrrp.rs` (included there by path).
//!
//! The first input byte picks the family and checksum mode, the rest is the VRRP message:
//! if `Advert::parse` accepts it, emitting the advert into a `buffer_len()` buffer must
//! succeed and parse back to the same advert with the same mode, and `Display` must not
//! panic. The same bytes also go through the receive checks as a whole IPv4 packet, which
//! must not panic either; with bit 7 of the first byte set, as an `auth_type AH` instance's
//! (keyed like the multicast AH fixture, so that captured keepalived advert gets through the ICV).
#![allow(dead_code)]

use std::net::{Ipv4Addr, Ipv6Addr};

use vrrpd::wire::GROUP_V4 as DEFAULT_GROUP_V4;
use vrrpd::wire::{
    check_ipv4, check_ipv4_ah, check_ipv6, Advert, AhCheck, Auth, Checksum, Expect, Family,
    SeqCounter, UnicastChecksum, Version,
};

/// The family and checksum mode selected by `sel`.
pub fn mode(sel: u8) -> (Family, Checksum) {
    let family = if sel & 1 == 0 { Family::V4 } else { Family::V6 };
    let csum = match (sel >> 1) & 3 {
        0 => Checksum::V2,
        1 => Checksum::V3Ipv4 {
            src: Ipv4Addr::new(10, 99, 0, 1),
            dst: Ipv4Addr::new(224, 0, 0, 18),
        },
        2 => Checksum::V3Ipv6 {
            src: Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1),
            dst: Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12),
        },
        _ => Checksum::Offload,
    };
    (family, csum)
}

/// Runs the property on one input; panics when it does not hold. Returns whether the input
/// parsed.
pub fn check(data: &[u8]) -> bool {
    let Some((&sel, bytes)) = data.split_first() else {
        return false;
    };
    let (family, csum) = mode(sel);
    let parsed = match Advert::parse(bytes, family, csum) {
        Ok(advert) => {
            let mut buf = vec![0u8; advert.buffer_len()];
            let n = advert
                .emit(&mut buf, csum)
                .unwrap_or_else(|e| panic!("emit of parsed {advert:?} failed: {e}"));
            assert_eq!(n, buf.len());
            assert_eq!(
                Advert::parse(&buf, family, csum).as_ref(),
                Ok(&advert),
                "re-parse differs for input {bytes:02x?}"
            );
            let _ = advert.to_string();
            true
        }
        Err(e) => {
            let _ = e.vrid();
            false
        }
    };
    for version in [Version::V2, Version::V3] {
        let expect = Expect {
            version,
            auth: match (sel & 0x80 != 0, sel & 0x10 != 0) {
                (true, _) => Auth::Ah,
                (false, false) => Auth::None,
                (false, true) => Auth::pass_from_str("secret12"),
            },
            interval: 1,
            vip_count: if sel & 0x20 == 0 { None } else { Some(1) },
            multicast: sel & 0x40 == 0,
            group_v4: DEFAULT_GROUP_V4,
            unicast_checksum: UnicastChecksum::Detect,
        };
        if let Ok(rx) = check_ipv4(bytes, &expect) {
            assert_eq!(rx.advert.version, version);
        }
        if expect.auth == Auth::Ah {
            let mut ah = AhCheck {
                key: *b"secret12",
                counter: SeqCounter::default(),
            };
            if let Ok(rx) = check_ipv4_ah(bytes, &expect, Some(&mut ah)) {
                assert_eq!(rx.ah_seq, Some(ah.counter.seq), "the counter follows");
                assert_eq!(rx.advert.auth, Auth::Ah);
            }
        }
        let _ = check_ipv6(
            bytes,
            Ipv6Addr::LOCALHOST,
            Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12),
            255,
            &expect,
        );
    }
    parsed
}
