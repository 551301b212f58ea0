//! VRRP advert round trip: bytes → `Advert::parse` → `emit` into a `buffer_len()` buffer →
//! `parse` must give the same advert; the receive checks must not panic. The property lives
//! in tests/common/roundtrip.rs so `cargo test` runs it too. Checksums verify under
//! `cfg(fuzzing)`, so the fuzzer gets past them. Seed corpus: keepalived captures in
//! fuzz/seeds/wire_vrrp (fuzz/make-seeds.sh). On a stable toolchain, from the repository root:
//!
//! ```text
//! mkdir -p fuzz/corpus/wire_vrrp
//! cargo fuzz run -s none wire_vrrp fuzz/corpus/wire_vrrp fuzz/seeds/wire_vrrp -- -max_total_time=60
//! ```
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/roundtrip.rs"]
mod roundtrip;

fuzz_target!(|data: &[u8]| {
    roundtrip::check(data);
});
