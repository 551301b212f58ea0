//! VRRP advert round trip: bytes → `Advert::parse` → `emit` into a `buffer_len()` buffer →
//! `parse` must give the same advert; the receive checks must not panic. The property lives
//! in tests/common/roundtrip.rs so `cargo test` runs it too. Checksums verify under
//! `cfg(fuzzing)`, so the fuzzer gets past them. Seed corpus: keepalived captures.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/roundtrip.rs"]
mod roundtrip;

fuzz_target!(|data: &[u8]| {
    roundtrip::check(data);
});
