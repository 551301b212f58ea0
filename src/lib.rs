//! vrrpd: a keepalived-compatible VRRP daemon.
//!
//! # Layout and the purity contract
//!
//! The crate is split like quinn-proto / quinn, as module boundaries instead of crates:
//!
//! * [`config`] reads keepalived.conf syntax into a typed model with source spans and
//!   diagnostics. Its only I/O is reading the configuration files themselves, behind the
//!   [`config::read::source::Loader`] trait so tests and fuzzers run from memory.
//! * [`wire`] encodes and decodes VRRPv2/v3 adverts, IPv4 headers and gratuitous ARP /
//!   unsolicited NA frames. std only, no allocation on the parse path.
//! * [`proto`] is the per-instance VRRP state machine. It is fully deterministic: time is an
//!   argument (`handle(now, input)`, `handle_timeout(now)`), outputs are drained with
//!   `poll_action()`, and the next deadline is `poll_timeout()`.
//!
//! None of these three modules may use tokio, socket2, rtnetlink, pnet, nix, sockets or read
//! the clock; `tests/purity.rs` enforces it. [`track`] (tracker logic: script results, weights,
//! process quorum) follows the same rule. Everything that touches the operating system
//! lives in the daemon shell (`main.rs` and the modules it owns).
//!
//! # One boundary from configuration to runtime
//!
//! [`plan`] is the only module that turns the checked configuration model plus one snapshot of
//! the host's interfaces into what the runtime needs ([`plan::Runtime`]: the core's settings,
//! the trackers' settings, the script and hook commands, the `init_file` actions, the
//! interface table, warnings). [`track`], [`node`], [`sys`] and [`daemon`] take those plain
//! settings and never read `config::model` (`tests/layers.rs` checks it; `sys` uses only
//! `config::command`, keepalived's command-line splitting). On SIGHUP the daemon's loop asks a
//! [`daemon::Loader`] for a new plan.

pub mod check_config;
pub mod cli;
pub mod compat;
pub mod config;
pub mod control;
pub mod daemon;
pub mod host;
pub mod logging;
pub mod metrics;
pub mod node;
pub mod plan;
pub mod proto;
pub mod script_files;
pub mod sys;
pub mod track;
pub mod wire;

/// A start time for the unit tests of the pure modules, which may not read the clock
/// themselves (`tests/purity.rs` scans them); any instant will do.
#[cfg(test)]
pub(crate) fn test_epoch() -> std::time::Instant {
    std::time::Instant::now()
}
