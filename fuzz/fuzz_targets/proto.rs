//! Protocol core: arbitrary (Δt, Input) sequences fed to a Router with a fixed 3-instance
//! configuration (v2 multicast + auth in a sync group, v3 unicast owner, v3 IPv6). After every
//! step: no panic, `poll_timeout()` not in the past after `handle_timeout`, VIP add/del
//! alternate per instance, MASTER iff VIPs held. The property lives in tests/property/mod.rs
//! so `cargo test --test proto fuzz_property` runs it on deterministic inputs too.
#![no_main]

use std::sync::OnceLock;
use std::time::Instant;

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/property/mod.rs"]
mod property;

fuzz_target!(|data: &[u8]| {
    static T0: OnceLock<Instant> = OnceLock::new();
    property::run(data, *T0.get_or_init(Instant::now));
});
