//! The fuzz property (tests/common/roundtrip.rs) over every keepalived fixture and a few
//! thousand deterministic pseudo-random inputs, so CI covers it without cargo-fuzz.

use crate::common::fixtures;
use crate::common::rng;
use crate::common::roundtrip;

use rng::Rng;
use vrrpd::wire::{Advert, Checksum, Family};

/// Selector bytes for the family + checksum mode of a fixture.
fn selector(family: Family, csum: Checksum) -> Vec<u8> {
    let fam = if family == Family::V4 { 0 } else { 1 };
    (0..=255u8)
        .filter(|s| {
            let (f, c) = roundtrip::mode(*s);
            f == family
                && matches!(
                    (c, csum),
                    (Checksum::V2, Checksum::V2)
                        | (Checksum::V3Ipv4 { .. }, Checksum::V3Ipv4 { .. })
                        | (Checksum::V3Ipv6 { .. }, Checksum::V3Ipv6 { .. })
                        | (Checksum::Offload, Checksum::Offload)
                )
                && s & 1 == fam
        })
        .collect()
}

#[test]
fn fixtures_round_trip() {
    let payloads = fixtures::vrrp_payloads();
    assert!(
        payloads.len() >= 16,
        "only {} advert fixtures",
        payloads.len()
    );
    for (name, family, msg, csum) in payloads {
        // With the fixture's own checksum mode (the fuzz selector uses fixed addresses, so
        // check the real ones here) and with offload through the property.
        let a = Advert::parse(&msg, family, csum).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(a.to_vec(csum).unwrap(), msg, "{name}");
        for sel in selector(family, Checksum::Offload) {
            let mut input = vec![sel];
            input.extend_from_slice(&msg);
            assert!(roundtrip::check(&input), "{name} with selector {sel:#04x}");
        }
    }
    // Whole IPv4 packets too: the receive checks must not panic on them.
    for (_, frame) in fixtures::all() {
        if fixtures::ethertype(&frame) == 0x0800 {
            for sel in [0u8, 0x30, 0x70] {
                let mut input = vec![sel];
                input.extend_from_slice(&frame[14..]);
                let _ = roundtrip::check(&input);
            }
        }
    }
}

#[test]
fn pseudo_random_inputs_round_trip() {
    let mut rng = Rng::from_state(0x5eed_1234_abcd_0001);
    let mut parsed = 0;
    let n = 20_000;
    for _ in 0..n {
        let mut input = vec![rng.byte()];
        if rng.below(4) == 0 {
            // Unstructured bytes.
            let len = rng.below(64) as usize;
            input.extend((0..len).map(|_| rng.byte()));
        } else {
            // A plausible header: version 2/3, type 1 mostly, a count that matches the length
            // mostly, random fields and addresses.
            let version = if rng.below(2) == 0 { 2u8 } else { 3 };
            let kind = if rng.below(8) == 0 {
                rng.byte() & 15
            } else {
                1
            };
            let count = rng.below(5) as u8;
            let alen = if input[0] & 1 == 0 { 4 } else { 16 };
            let auth = if version == 2 && alen == 4 { 8 } else { 0 };
            let mut len = 8 + usize::from(count) * alen + auth;
            if rng.below(8) == 0 {
                len = rng.below(80) as usize;
            }
            input.push((version << 4) | kind);
            input.extend((1..len).map(|i| if i == 3 { count } else { rng.byte() }));
            input.truncate(len + 1);
            // Pick the offload mode most of the time so the random checksum does not stop us.
            if rng.below(4) != 0 {
                input[0] |= 0b110;
            }
        }
        if roundtrip::check(&input) {
            parsed += 1;
        }
    }
    assert!(
        parsed > n / 4,
        "only {parsed} of {n} inputs parsed: the generator is off"
    );
}

/// Inputs the fuzzer found (`fuzz/artifacts/wire_vrrp`), kept so `cargo test` runs them.
#[test]
fn fuzzer_findings_hold() {
    let found: &[&[u8]] = &[&[
        128, 69, 0, 0, 68, 192, 2, 0, 0, 255, 51, 208, 78, 10, 99, 0, 1, 224, 255, 255, 255, 255,
        255, 255, 255, 255, 255, 1, 0, 1, 212, 52, 10, 99, 0, 51, 0, 0, 219, 241, 44, 57, 124, 6,
        6, 49, 71, 100, 4, 0, 100, 49, 71, 100, 1, 0, 100, 74, 100, 10, 99, 0, 71, 2, 0, 240, 0, 0,
        71,
    ]];
    for input in found {
        let _ = roundtrip::check(input);
    }
}
