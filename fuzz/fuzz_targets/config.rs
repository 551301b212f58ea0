//! cargo-fuzz target: arbitrary text through the whole config front end (includes, parsing,
//! lowering, checks, rendering, dump) — never panics, every span inside its source.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/config_property.rs"]
mod property;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = property::check(data) {
        panic!("{e}");
    }
});
