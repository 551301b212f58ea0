//! Protocol-core tests (`src/proto`, `src/node`, `src/track` on a virtual clock): one test per
//! rule, reload, routes, hostile packets, interop with captured keepalived adverts, the fuzz
//! property, replay cases and the simulated LANs. No OS, no root.
//! `cargo test --test proto rules::` runs one module.

#[path = "../common/mod.rs"]
mod common;

mod drain;
mod fuzz_property;
mod handover;
mod hostile;
mod interop;
mod reload;
mod replay;
mod routes;
mod rules;
mod sim;
mod sim_tracking;
mod sockets;
