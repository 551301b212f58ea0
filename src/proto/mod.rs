//! The VRRP protocol core: a deterministic, sans-IO state machine (quinn-proto style).
//!
//! [`Router`] holds every instance and sync group. Time is an argument, inputs are
//! [`Input`]s, effects come out as [`Action`]s; see the doc on [`Router`] for the call
//! order. Behaviour follows keepalived 2.2.7 (docs/keepalived-compat.md#protocol) except where a
//! doc comment says "vrrpd:".
//!
//! # Deliberate differences from keepalived 2.2.7
//!
//! * `RouterSettings::fast_preempt` (default on): a backup that may preempt (no
//!   `nopreempt`, no `preempt_delay`) and hears a valid advert of lower priority than its own
//!   takes over after its Skew_Time instead of waiting out the Master_Down_Interval.
//! * A MASTER whose effective priority changes sends an advert with the new priority at once.
//! * A VIP deleted externally while MASTER is put back at once (with a GARP/NA burst) and
//!   logged; the instance stays MASTER (keepalived drops to BACKUP, sends priority 0 and
//!   reclaims after Skew_Time, docs/keepalived-compat.md#addresses-deleted-while-master). The same holds for a deleted `virtual_routes` /
//!   `virtual_rules` entry ([`Input::Route`], [`Input::Rule`]): re-added at once, staying
//!   MASTER; `no_track` entries are left alone until the next transition to MASTER.
//! * Entering FAULT from MASTER sends one priority-0 advert (keepalived 2.2.7 sends two).
//!
//! # Not handled here (the shell's job)
//!
//! Reading and writing sockets (the shell hands received datagrams over as
//! [`Input::Ipv4`] / [`Input::Packet`], and the core runs every receive check of docs/keepalived-compat.md#receive-checks on them,
//! IP-level ones included), the IPv4 header of sent adverts (`wire::emit_ipv4_datagram` with
//! the ID counter), GARP/NA frames (`wire::garp`), start-up
//! removal of leftover VIPs (docs/keepalived-compat.md#start-up-cleanup), tracker scripts/files/processes (fed as
//! [`Input::Tracker`]), and parsing/validating a new configuration before
//! [`Router::reconfigure`] (reload) applies it.
//!
//! Files: `settings` (resolved runtime configuration), `routes` (virtual routes/rules),
//! `input`/`action` (the serde enums crossing the boundary), `router` (API, dispatch),
//! `reload` (reconfigure), `group` (state changes with sync groups), `instance`
//! (per-instance FSM), `rx` (receive validation: the instance-specific part around
//! `wire::check_ipv4` / `check_ipv6` / `check_message`), `interval` (skew and master-down math), `timer` (timers as
//! data), `stats`, `snapshot`.

mod action;
mod group;
mod input;
mod instance;
pub mod interval;
mod leaving;
mod reload;
mod router;
mod routes;
mod rx;
mod settings;
mod snapshot;
mod state;
mod stats;
mod timer;
mod transition;

pub use action::{shrink_idle, Action, AhSeal, LogLevel, NotifyEvent, NotifyTarget};
pub use input::{hex_bytes, Input, TrackTarget, TrackerState};
pub use instance::{LINGER as HANDOVER_LINGER, STOP_LIMIT as HANDOVER_STOP_LIMIT};
pub use router::Router;
pub use routes::{Prefix, RouteSpec, RuleSpec};
pub use settings::{
    AuthSettings, Centisecs, GarpSettings, InstanceSettings, OldUnicastChecksum, PeerSettings,
    RouterSettings, SyncGroupSettings, VipSpec,
};
pub use snapshot::{GroupSnapshot, InstanceSnapshot, Snapshot};
pub use state::State;
pub use stats::{Counters, GlobalCounters};
pub use timer::Timer;
pub use transition::{TransitionReason, TransitionRecord};
