//! Tests of the running daemon, one module per subject: the shell loop on a paused clock with
//! a recording `Sys` (`shell`, no root), and whole `vrrpd` processes (and keepalived) in
//! namespace labs (`common::lab`, `common::netns`; root and the `netns-tests` feature):
//! failover, interop with keepalived, reload, dumps (and their shapes against keepalived
//! 2.2.7), sd_notify and the watchdog, `--record-events`, receive
//! errors, tracking scripts and sources, notify hooks, the daemon when things go wrong. `cargo test --features netns-tests
//! --test daemon failover::` runs one module.
//!
//! They share one process because none of them changes process-wide state: the daemons are
//! child processes (their environment, `NOTIFY_SOCKET` included, is set on the child's
//! command), signals go to those children, the shell tests feed signals to the loop as events,
//! and nothing here runs `vrrpd::sys::script` (whose reaper would own `waitpid(-1)`). Lab and
//! namespace names carry the process id and a tag unique to each test (`lab::tag`).
//! `old_kernel`'s seccomp filter belongs to its own test thread (no TSYNC), so only the daemons
//! that test starts see it.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod ah;
mod control;
mod dump_shapes;
mod dumps;
mod failover;
mod firewall;
mod handover;
mod hardening;
mod iface_recreate;
mod interop;
mod metrics;
mod notify;
mod old_kernel;
mod process_settings;
mod record;
mod reload;
mod rx_errors;
mod shell;
mod smoke;
mod smtp;
mod socket_fault;
mod track_events;
mod track_hooks;
mod track_scripts;
mod track_sources;
mod vmac;
mod watchdog;
