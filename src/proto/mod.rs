//! The VRRP protocol core: a deterministic, sans-IO state machine (quinn-proto style).
//!
//! [`Router`] holds every instance and sync group. Time is an argument, inputs are
//! [`Input`]s, effects come out as [`Action`]s; see the doc on [`Router`] for the call
//! order. Behaviour follows keepalived 2.2.7 (keepalived-behaviour.md §6) except where a
//! doc comment says "vrrpd:".
//!
//! Files: `settings` (resolved runtime configuration), `input`/`action` (the serde enums
//! crossing the boundary), `router` (API, dispatch), `group` (state changes with sync
//! groups), `instance` (per-instance FSM), `rx` (receive validation in keepalived order),
//! `interval` (skew and master-down math), `timer` (timers as data), `stats`, `snapshot`.

mod action;
mod group;
mod input;
mod instance;
pub mod interval;
mod router;
mod rx;
mod settings;
mod snapshot;
mod state;
mod stats;
mod timer;

pub use action::{Action, LogLevel, NotifyEvent, NotifyTarget, ADVERT_TOS, IPPROTO_VRRP};
pub use input::{hex_bytes, Input, TrackTarget, TrackerState};
pub use router::Router;
pub use settings::{
    AuthSettings, Centisecs, GarpSettings, InstanceSettings, OldUnicastChecksum, PeerSettings,
    RouterSettings, SyncGroupSettings, VipSpec, MCAST_GROUP_V4, MCAST_GROUP_V6,
};
pub use snapshot::{GroupSnapshot, InstanceSnapshot, Snapshot};
pub use state::State;
pub use stats::{Counters, GlobalCounters};
pub use timer::Timer;
