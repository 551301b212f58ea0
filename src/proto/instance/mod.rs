//! One VRRP instance: the RFC 3768 / RFC 5798 state machine with keepalived's FAULT state and
//! keepalived 2.2.7's reactions (docs/keepalived-compat.md#timers-and-start-up, docs/keepalived-compat.md#state-machine).
//!
//! State *entries* (`enter_master`, `enter_backup`, `enter_fault`, `stop`) are called by the
//! [`super::Router`], which coordinates sync groups; event handlers return a [`Transition`]
//! instead of changing state themselves.
//!
//! One concern per file: this file holds the instance's data and what is derived from its
//! settings; `transitions.rs` the state entries and timer expiry, `rx.rs` the reaction to a
//! valid advert, `advert.rs` building and sending adverts, `addresses.rs` adding and removing
//! VIPs, routes and rules, `restore.rs` putting back what was deleted externally while
//! MASTER, `garp.rs` GARP/NA bursts and their timers, `priority.rs` the effective priority.

mod addresses;
mod advert;
mod garp;
mod handover;
mod priority;
mod restore;
mod rx;
mod transitions;

use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::action::{Action, LogLevel, NotifyEvent, NotifyTarget};
use super::input::TrackerState;
use super::interval;
use super::settings::{Centisecs, InstanceSettings, OldUnicastChecksum};
use super::state::State;
use super::stats::Counters;
use super::timer::{deadline, Timer, TimerTable};
use super::transition::{TransitionReason, TransitionRecord};
use crate::wire::{Addrs, AhKey, Auth, SeqCounter, Version};
pub(crate) use handover::Leaving;
pub use handover::{LINGER, STOP_LIMIT};

/// What the core hands an instance for one step: the time, the timers and the output queue.
pub(crate) struct Ctx<'a> {
    pub now: Instant,
    pub timers: &'a mut TimerTable,
    pub out: &'a mut VecDeque<Action>,
    pub fast_preempt: bool,
    /// Why the router is acting, when it knows better than the instance (a sync group, a
    /// reload, a drain, the stop): the reason recorded for any state change in this step.
    pub cause: Option<TransitionReason>,
    /// When the router started, so a transition's time can be told as an offset.
    pub started: Instant,
}

impl Ctx<'_> {
    pub(crate) fn log(&mut self, level: LogLevel, message: String) {
        self.out.push_back(Action::Log { level, message });
    }

    /// Arms a timer `after` from now (never in the past).
    pub(crate) fn arm(&mut self, instance: usize, timer: Timer, after: Duration) {
        self.timers.set(instance, timer, deadline(self.now, after));
    }
}

/// A state change an instance asks for; the router applies it (sync groups, docs/keepalived-compat.md#sync-groups).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transition {
    /// Master-down timer expired in BACKUP.
    ToMaster,
    /// A MASTER heard a higher priority (or won tie-break) advert.
    ToBackup,
    /// A MASTER handing over heard its successor, or waited as long as it may
    /// (`handover.rs`): the router removes the VIPs and ends the drain or the stop.
    HandedOver,
}

/// One kind of receive error that was logged (see `VirtualRouter::quiet_errors`).
pub(crate) struct QuietError {
    pub kind: std::mem::Discriminant<crate::wire::Error>,
    pub logged: Instant,
    /// A valid advert arrived since it was logged.
    pub rearmed: bool,
}

/// One `vrrp_instance` at run time: what RFC 5798 calls a virtual router (its state, timers,
/// counters and what it holds), as opposed to `config::model::Instance`, the block as written.
pub(crate) struct VirtualRouter {
    pub cfg: InstanceSettings,
    pub idx: usize,
    pub state: State,
    /// Priority advertised and compared (keepalived `effective_priority`, docs/keepalived-compat.md#weights-and-effective-priority).
    pub effective: u8,
    /// Two owners met: local priority reduced to 254 (docs/keepalived-compat.md#state-machine).
    pub owner_conflict: bool,
    /// Tracker id → state (instance trackers and, prefixed `group:`, group trackers).
    pub trackers: BTreeMap<String, TrackerState>,
    pub link_up: bool,
    pub src_present: bool,
    pub master_addr: Option<IpAddr>,
    pub master_priority: u8,
    /// v3: the interval learned from the accepted master (docs/keepalived-compat.md#timers-and-start-up); own interval otherwise.
    pub master_adver_int: Centisecs,
    pub vips_held: bool,
    /// Set when this member's master-down timer expired but its sync group held it back.
    pub wants_master_now: bool,
    /// preempt_delay ran out (the timer table only holds the running deadline).
    pub preempt_expired: bool,
    /// The VRRPv3/IPv4 unicast checksum uses the multicast group (docs/keepalived-compat.md#checksums).
    pub old_checksum: bool,
    pub counters: Counters,
    pub auth: Auth,
    /// `auth_type AH`: the key (from the settings, at creation and reload).
    pub ah_key: Option<AhKey>,
    /// `auth_type AH`: keepalived's one sequence counter for sending and replay protection
    /// (docs/keepalived-compat.md#ipsec-ah). Kept across a reload, like keepalived.
    pub ah_seq: SeqCounter,
    /// The AH sequence number of the advert being handled, for the master's "syncing" rule.
    pub rx_ah_seq: Option<u32>,
    /// The VIPs of the instance family, as carried in adverts.
    pub advert_addrs: Addrs,
    /// The same addresses as a list, for check 14 of docs/keepalived-compat.md#receive-checks.
    pub vip_addrs: Vec<IpAddr>,
    /// The unicast peers' addresses, for check 15 of docs/keepalived-compat.md#receive-checks.
    pub peer_addrs: Vec<IpAddr>,
    pub group: Option<usize>,
    /// Each kind of receive error logged, when, and whether a valid advert has arrived since:
    /// a kind is logged again only after a valid advert (keepalived 2.3.3 and later do the same)
    /// and never more than once per advert interval, so a flood that mixes junk with valid
    /// adverts still costs a few lines, not one per packet. Every error is counted.
    pub quiet_errors: Vec<QuietError>,
    /// When a lower-priority advert was last answered as MASTER (advert, GARP burst,
    /// notification): at most once per advert interval, so the LAN cannot use us as an
    /// amplifier.
    pub last_lower_answer: Option<Instant>,
    /// When a lower-priority advert was last logged as BACKUP: likewise once per interval.
    pub last_lower_log: Option<Instant>,
    /// Why the next state change happens, when the instance knows (a priority-0 advert, the
    /// followed master lowering its priority); taken by the change.
    pub pending_reason: Option<TransitionReason>,
    /// The last state change.
    pub last_transition: Option<TransitionRecord>,
    /// State changes by reason.
    pub transitions: BTreeMap<TransitionReason, u64>,
    /// Drained by an operator: released if MASTER, and never MASTER again until undrained.
    pub drained: bool,
    /// MASTER leaving make-before-break (`handover.rs`): priority 0 sent, VIPs kept until a
    /// new master is heard; why it leaves, and since when.
    pub handover: Option<Leaving>,
    pub handover_since: Option<Instant>,
    /// Handing over, the successor's advert was heard: the VIPs go when the linger ends.
    pub successor_heard: bool,
}

impl VirtualRouter {
    pub fn new(cfg: InstanceSettings, idx: usize) -> VirtualRouter {
        let mut inst = VirtualRouter {
            idx,
            state: State::Init,
            effective: cfg.priority.max(1),
            owner_conflict: false,
            trackers: BTreeMap::new(),
            link_up: true,
            src_present: true,
            master_addr: None,
            master_priority: 0,
            master_adver_int: cfg.advert_int,
            vips_held: false,
            wants_master_now: false,
            preempt_expired: false,
            old_checksum: cfg.old_unicast_checksum == OldUnicastChecksum::Always,
            counters: Counters::default(),
            auth: Auth::None,
            ah_key: None,
            ah_seq: SeqCounter::default(),
            rx_ah_seq: None,
            advert_addrs: Addrs::V4(Vec::new()),
            vip_addrs: Vec::new(),
            peer_addrs: Vec::new(),
            group: None,
            quiet_errors: Vec::new(),
            last_lower_answer: None,
            last_lower_log: None,
            cfg,
            pending_reason: None,
            last_transition: None,
            transitions: BTreeMap::new(),
            drained: false,
            handover: None,
            handover_since: None,
            successor_heard: false,
        };
        inst.derive();
        inst
    }

    /// Recomputes what is derived from the settings (at creation and after a reload).
    pub(crate) fn derive(&mut self) {
        let cfg = &self.cfg;
        self.advert_addrs = match cfg.src {
            IpAddr::V4(_) => Addrs::V4(
                cfg.vips
                    .iter()
                    .filter_map(|v| match v.addr {
                        IpAddr::V4(a) => Some(a),
                        IpAddr::V6(_) => None,
                    })
                    .collect(),
            ),
            IpAddr::V6(_) => Addrs::V6(
                cfg.vips
                    .iter()
                    .filter_map(|v| match v.addr {
                        IpAddr::V6(a) => Some(a),
                        IpAddr::V4(_) => None,
                    })
                    .collect(),
            ),
        };
        self.vip_addrs = cfg
            .vips
            .iter()
            .map(|v| v.addr)
            .filter(|a| a.is_ipv4() == cfg.src.is_ipv4())
            .collect();
        self.peer_addrs = cfg.unicast_peers.iter().map(|p| p.addr).collect();
        self.auth = match cfg.version {
            Version::V2 => cfg.auth.to_wire(),
            Version::V3 => Auth::None,
        };
        self.ah_key = match self.auth {
            Auth::Ah => self.cfg.auth.ah_key(),
            _ => None,
        };
    }

    pub(crate) fn log(&self, ctx: &mut Ctx, level: LogLevel, text: &str) {
        ctx.log(level, format!("({}) {}", self.cfg.name, text));
    }

    pub fn skew(&self) -> Duration {
        interval::skew(self.cfg.version, self.effective, self.master_adver_int)
    }

    pub fn master_down_interval(&self) -> Duration {
        interval::master_down(
            self.cfg.version,
            self.effective,
            self.master_adver_int,
            self.cfg.down_timer_adverts,
        )
    }

    /// Wants MASTER at start-up / after FAULT without waiting: an address owner with
    /// `state MASTER` (explicit or implied) (docs/keepalived-compat.md#timers-and-start-up).
    pub fn is_starting_master(&self) -> bool {
        self.cfg.is_owner() && self.cfg.wants_master && !self.owner_conflict && !self.drained
    }

    /// keepalived's `wantstate` (docs/keepalived-compat.md#dump-files): the state the
    /// instance is heading for. MASTER while MASTER or when its master-down timer ran out but
    /// its sync group holds it back, BACKUP while BACKUP; before the start, in FAULT or
    /// stopped, the configured `state`.
    pub(crate) fn wanted_state(&self) -> State {
        match self.state {
            State::Master => State::Master,
            State::Backup if self.wants_master_now => State::Master,
            State::Backup => State::Backup,
            _ if self.cfg.wants_master => State::Master,
            _ => State::Backup,
        }
    }

    /// Records a change from the current state to `to`: the router's cause if it has one,
    /// else the instance's own reason, else what the two states imply.
    pub(crate) fn record_transition(&mut self, ctx: &Ctx, to: State) {
        let from = self.state;
        let implied = match (from, to) {
            (State::Init, _) => TransitionReason::Start,
            (_, State::Fault) => TransitionReason::Fault,
            (State::Fault, _) => TransitionReason::Recovered,
            (_, State::Stopped) => TransitionReason::Stop,
            (_, State::Master) => TransitionReason::MasterDown,
            _ => TransitionReason::HigherPriority,
        };
        // `take` runs whether or not the router's cause wins: the instance's reason is spent
        // by this change either way.
        let reason = ctx.cause.or(self.pending_reason.take()).unwrap_or(implied);
        *self.transitions.entry(reason).or_default() += 1;
        self.last_transition = Some(TransitionRecord {
            at: ctx.now.saturating_duration_since(ctx.started),
            from,
            to,
            reason,
        });
    }

    /// True while something keeps the instance in FAULT (docs/keepalived-compat.md#state-machine).
    pub fn has_fault(&self) -> bool {
        (!self.link_up && !self.cfg.dont_track_primary)
            || !self.src_present
            || self.trackers.values().any(|t| *t == TrackerState::Down)
    }

    pub(crate) fn notify(&self, ctx: &mut Ctx, event: NotifyEvent) {
        ctx.out.push_back(Action::Notify {
            target: NotifyTarget::Instance(self.cfg.name.clone()),
            event,
            priority: self.effective,
        });
    }
}
