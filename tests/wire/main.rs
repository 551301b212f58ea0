//! Wire codec tests (`src/wire`): captured keepalived packets, the fuzz property, and the
//! frames we build judged by tshark and by a real keepalived (those two need the
//! `netns-tests` feature). `cargo test --test wire fixtures::` runs one module.

#[path = "../common/mod.rs"]
mod common;

mod ah;
mod fixtures;
mod keepalived_rx;
mod roundtrip;
mod tshark;
