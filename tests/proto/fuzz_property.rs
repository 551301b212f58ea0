//! The `proto` fuzz property (tests/property/mod.rs) on deterministic pseudo-random inputs,
//! so CI covers it without cargo-fuzz.

use crate::common;
#[path = "../property/mod.rs"]
mod property;

use common::rng::Rng;

#[test]
fn router_property_holds_on_pseudo_random_sequences() {
    for seed in 1..=600u64 {
        let mut rng = Rng::new(seed);
        let len = 64 + rng.index(1500);
        let mut data: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
        // Bias half the runs towards short gaps so adverts interleave with timers.
        if seed % 2 == 0 {
            for chunk in data.chunks_mut(9) {
                if let Some(hi) = chunk.first_mut() {
                    *hi = 0;
                }
            }
        }
        property::run(&data, common::t0());
    }
}

#[test]
fn router_property_holds_on_empty_and_tiny_inputs() {
    for data in [&[][..], &[0], &[0, 0, 0], &[0xff; 64], &[0x00; 64]] {
        property::run(data, common::t0());
    }
}

/// Inputs the `proto` fuzz target found (fuzz/artifacts/proto), kept as regressions.
#[test]
fn router_property_holds_on_fuzzer_findings() {
    let found: &[&[u8]] = &[&[
        0xff, 0x33, 0x7f, 0x98, 0x63, 0x5f, 0xff, 0xf0, 0x49, 0xdf, 0xdf,
    ]];
    for data in found {
        property::run(data, common::t0());
    }
}
