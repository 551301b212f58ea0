//! The [`Router`]: every instance and sync group of one daemon, behind a quinn-proto style
//! sans-IO API.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::Instant;

use super::action::{Action, LogLevel};
use super::input::{Input, TrackTarget, TrackerState};
use super::instance::{Leaving, VirtualRouter};
use super::rx::Packet;
use super::settings::{Centisecs, RouterSettings, SyncGroupSettings};
use super::snapshot::{GroupSnapshot, InstanceSnapshot, Snapshot};
use super::state::State;
use super::stats::GlobalCounters;
use super::timer::{deadline, Timer, TimerTable};
use super::transition::TransitionReason;
use crate::wire::{parse_ipv4_datagram, Error as WireError, Family, Ipv4Packet, Version};

/// The tracker key that holds an instance in FAULT while its sockets cannot be opened
/// ([`Input::Sockets`]); tracker ids are `kind:name`, so none can collide with it.
const SOCKETS_REASON: &str = "(sockets)";

/// A sync group at run time.
pub(crate) struct Group {
    pub name: String,
    pub members: Vec<usize>,
    pub state: State,
}

/// All VRRP instances and sync groups of one daemon: a deterministic state machine.
///
/// The router never reads the clock and performs no I/O (quinn-proto's contract,
/// the sans-IO shape). Time is an argument, effects are queued as [`Action`]s.
///
/// # API
///
/// * Construction: [`Router::new`] starts every instance at `now` (
///   docs/keepalived-compat.md#timers-and-start-up): owners wanting MASTER become MASTER at once, the others log
///   `Entering BACKUP STATE (init)` and arm their master-down timer.
/// * Inputs: [`Router::handle`] for network, netlink, tracker and stop events;
///   [`Router::handle_timeout`] when the deadline from `poll_timeout` is reached. Calling
///   `handle_timeout` early or repeatedly is harmless.
/// * Outputs: [`Router::poll_action`] drains the queued actions, in order;
///   [`Router::poll_timeout`] is the next deadline (never earlier than the last `now` once
///   `handle_timeout(now)` has run).
/// * Getters: [`Router::snapshot`] (state, priorities, counters; serde-serialisable).
/// * Reload: [`Router::reconfigure`] applies new settings at `now`, keeping the state of
///   instances matched as keepalived matches them (VRID, family, interface, unicast/multicast,
///   unicast source / group; docs/keepalived-compat.md#reload) and queueing the side effects like
///   `handle` does. An unchanged instance produces no action. Rules in `reload.rs`.
///
/// # Call order (the shell's loop)
///
/// 1. `Router::new(settings, now)`, then drain `poll_action()` until `None`.
/// 2. Sleep until `poll_timeout()` or until an input arrives.
/// 3. On an input: `handle(now, input)`; on the deadline: `handle_timeout(now)`.
/// 4. Drain `poll_action()` completely, performing each action in order, then go to 2.
///
/// `now` must never go backwards between calls.
pub struct Router {
    pub(crate) instances: Vec<VirtualRouter>,
    pub(crate) groups: Vec<Group>,
    /// Demultiplexing of received adverts by (ifindex, VRID, family): O(1) per packet
    /// whatever the number of instances. Several entries only for unicast instances that
    /// share a VRID on one interface with distinct peers (docs/keepalived-compat.md#unicast-mode).
    pub(crate) demux: HashMap<(u32, u8, Family), Vec<usize>>,
    by_name: HashMap<String, usize>,
    group_by_name: HashMap<String, usize>,
    pub(crate) timers: TimerTable,
    pub(crate) actions: VecDeque<Action>,
    pub(crate) fast_preempt: bool,
    /// `log_unknown_vrids`, and the unknown (interface, VRID, family)s already logged.
    pub(crate) log_unknown_vrids: bool,
    unknown_logged: std::collections::HashSet<(u32, u8, Family)>,
    pub(crate) stopped: bool,
    /// A stop is under way and masters are still handing over (`leaving.rs`): only adverts,
    /// timers and a second stop are heard.
    pub(crate) stopping: bool,
    global: GlobalCounters,
    /// Why the router is acting in the current step, when it is the cause of the state
    /// changes it makes (a sync group, a reload, a drain, the stop).
    pub(crate) cause: Option<TransitionReason>,
    /// When the router was built: transitions are reported as offsets from it.
    pub(crate) started: Instant,
}

/// Splits the router into the instance list and a [`Ctx`] borrowing the other fields.
macro_rules! ctx {
    ($self:ident, $now:expr) => {
        $crate::proto::instance::Ctx {
            now: $now,
            timers: &mut $self.timers,
            out: &mut $self.actions,
            fast_preempt: $self.fast_preempt,
            cause: $self.cause,
            started: $self.started,
        }
    };
}
pub(crate) use ctx;

impl Router {
    /// Builds the router and starts every instance at `now` (docs/keepalived-compat.md#timers-and-start-up).
    pub fn new(settings: RouterSettings, now: Instant) -> Router {
        Router::new_drained(settings, now, None)
    }

    /// [`Router::new`] with the instances named in `drained` (every one when the list is
    /// empty, as in `Input::Drain`) drained from the start: an operator's drain kept across a
    /// restart (README "Control"). Set before start-up, so an address owner starts as BACKUP
    /// instead of taking over for a moment and then releasing.
    pub fn new_drained(
        settings: RouterSettings,
        now: Instant,
        drained: Option<&[String]>,
    ) -> Router {
        let mut instances: Vec<VirtualRouter> = Vec::with_capacity(settings.instances.len());
        for (idx, mut cfg) in settings.instances.into_iter().enumerate() {
            sanitise(&mut cfg);
            let mut inst = VirtualRouter::new(cfg, idx);
            if settings.down_interfaces.contains(&inst.cfg.ifname) {
                inst.link_up = false;
            }
            instances.push(inst);
        }
        let n = instances.len();
        let mut router = Router {
            instances,
            groups: Vec::new(),
            demux: HashMap::new(),
            by_name: HashMap::new(),
            group_by_name: HashMap::new(),
            timers: TimerTable::new(n),
            actions: VecDeque::new(),
            fast_preempt: settings.fast_preempt,
            log_unknown_vrids: settings.log_unknown_vrids,
            unknown_logged: std::collections::HashSet::new(),
            stopped: false,
            stopping: false,
            global: GlobalCounters::default(),
            cause: None,
            started: now,
        };
        router.index(settings.groups);
        if let Some(names) = drained {
            for inst in &mut router.instances {
                if names.is_empty() || names.contains(&inst.cfg.name) {
                    inst.drained = true;
                }
            }
        }
        router.start(now);
        router
    }

    /// Rebuilds the name and demultiplexing maps and the sync groups from `self.instances`
    /// (whose `idx` must be their position). A group keeps the state of the previous group
    /// of the same name (reload, docs/keepalived-compat.md#reload); a new one starts in INIT.
    pub(crate) fn index(&mut self, groups: Vec<SyncGroupSettings>) {
        self.by_name.clear();
        for inst in &mut self.instances {
            inst.group = None;
            self.by_name.insert(inst.cfg.name.clone(), inst.idx);
        }
        self.index_demux();
        let old: HashMap<String, State> =
            self.groups.drain(..).map(|g| (g.name, g.state)).collect();
        self.group_by_name.clear();
        for g in groups {
            let gi = self.groups.len();
            let mut members = Vec::new();
            for m in &g.members {
                if let Some(&i) = self.by_name.get(m) {
                    if let Some(inst) = self.instances.get_mut(i) {
                        if inst.group.is_none() {
                            inst.group = Some(gi);
                            members.push(i);
                        }
                    }
                }
            }
            if members.is_empty() {
                continue;
            }
            self.group_by_name.insert(g.name.clone(), gi);
            let state = old.get(&g.name).copied().unwrap_or(State::Init);
            self.groups.push(Group {
                name: g.name,
                members,
                state,
            });
        }
    }

    /// Rebuilds the demultiplexing map from the instances' interface indexes.
    fn index_demux(&mut self) {
        self.demux.clear();
        for inst in &self.instances {
            self.demux
                .entry((inst.cfg.ifindex, inst.cfg.vrid, inst.cfg.family()))
                .or_default()
                .push(inst.idx);
        }
    }

    /// Processes one input at `now`.
    pub fn handle(&mut self, now: Instant, input: Input) {
        if self.stopped {
            return;
        }
        // Stopping: the masters still handing over need their successors' adverts, keep what
        // they serve (a deleted VIP, route or rule is put back), and a second stop releases
        // at once; nothing else may start anything new (no state change but the stop's).
        if self.stopping {
            match input {
                Input::Ipv4 { .. }
                | Input::Packet { .. }
                | Input::Stop { .. }
                | Input::Route { .. }
                | Input::Rule { .. } => {}
                Input::Addr {
                    ifname,
                    addr,
                    added: false,
                    ..
                } => {
                    let mut ctx = ctx!(self, now);
                    for inst in &mut self.instances {
                        inst.restore_vip(&mut ctx, &ifname, addr);
                    }
                    return;
                }
                _ => return,
            }
        }
        match input {
            Input::Ipv4 { ifindex, datagram } => self.on_ipv4(now, ifindex, &datagram),
            Input::Packet {
                ifindex,
                src,
                dst,
                ttl,
                bytes,
            } => self.on_message(
                now,
                ifindex,
                &Packet {
                    src,
                    dst,
                    ttl,
                    bytes: &bytes,
                    ipv4_datagram: false,
                },
            ),
            Input::Link { ifname, up } => self.on_link(now, &ifname, up),
            Input::Addr {
                ifname,
                addr,
                added,
                ..
            } => self.on_addr(now, &ifname, addr, added),
            Input::Route { spec, added } => {
                if !added {
                    let mut ctx = ctx!(self, now);
                    for inst in &mut self.instances {
                        inst.restore(&mut ctx, &spec);
                    }
                }
            }
            Input::Rule { spec, added } => {
                if !added {
                    let mut ctx = ctx!(self, now);
                    for inst in &mut self.instances {
                        inst.restore(&mut ctx, &spec);
                    }
                }
            }
            Input::Tracker { target, id, state } => self.on_tracker(now, target, id, state),
            Input::Ifindex { ifname, ifindex } => self.on_ifindex(&ifname, ifindex),
            Input::Sockets { instance, open } => self.on_sockets(now, &instance, open),
            Input::Stop { release } => self.stop(now, release),
            Input::Drain { instances, drain } => self.with_cause(TransitionReason::Drain, |r| {
                r.on_drain(now, &instances, drain)
            }),
        }
    }

    /// Runs every timer due at or before `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.handle_timeouts(now, usize::MAX);
    }

    /// [`Router::handle_timeout`] for at most `limit` of the due timers (due adverts first,
    /// `TimerTable::pop_expired`); [`Router::poll_timeout`] tells whether more are due. The
    /// shell handles a crowd of due timers a few at a time with a fresh `now` each time, so an
    /// advert that falls due meanwhile is not held up by them
    /// (docs/keepalived-compat.md#timers-and-start-up).
    pub fn handle_timeouts(&mut self, now: Instant, limit: usize) {
        if self.stopped {
            return;
        }
        for _ in 0..limit {
            let Some((idx, timer, due)) = self.timers.pop_expired(now) else {
                return;
            };
            let mut ctx = ctx!(self, now);
            let Some(inst) = self.instances.get_mut(idx) else {
                continue;
            };
            if let Some(t) = inst.on_timer(&mut ctx, timer, due) {
                self.apply(now, idx, t);
            }
        }
    }

    /// The next queued action.
    pub fn poll_action(&mut self) -> Option<Action> {
        let next = self.actions.pop_front();
        if next.is_none() {
            super::shrink_idle(&mut self.actions);
        }
        next
    }

    /// The next deadline at which [`Router::handle_timeout`] must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// A serialisable picture of every instance and group.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            instances: self
                .instances
                .iter()
                .map(|i| InstanceSnapshot {
                    name: i.cfg.name.clone(),
                    vrid: i.cfg.vrid,
                    state: i.state,
                    base_priority: i.cfg.priority,
                    effective_priority: i.effective,
                    master_addr: i.master_addr,
                    master_priority: i.master_priority,
                    master_adver_int: i.master_adver_int,
                    vips: if i.vips_held {
                        i.cfg
                            .vips
                            .iter()
                            .chain(i.cfg.excluded_vips.iter())
                            .map(|v| v.addr)
                            .collect()
                    } else {
                        Vec::new()
                    },
                    counters: i.counters.clone(),
                    wanted_state: i.wanted_state(),
                    last_transition: i.last_transition,
                    transitions: i.transitions.clone(),
                    drained: i.drained,
                    handing_over: i.handing_over(),
                })
                .collect(),
            groups: self
                .groups
                .iter()
                .map(|g| GroupSnapshot {
                    name: g.name.clone(),
                    state: g.state,
                })
                .collect(),
            global: self.global.clone(),
        }
    }

    /// The instance index of a name.
    pub(crate) fn instance_index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    // ===== inputs =====

    /// A whole IPv4 datagram: check 1 and the IPv4 header (keepalived's dispatcher) decide
    /// the VRID, then the instance runs every check on the datagram (docs/keepalived-compat.md#receive-checks). Errors found before
    /// a VRID can be read have no instance to be charged to.
    fn on_ipv4(&mut self, now: Instant, ifindex: u32, datagram: &[u8]) {
        let (vrid, error) = match parse_ipv4_datagram(datagram) {
            Ok(d) => (d.vrid(), None),
            Err(e) => (e.vrid(), Some(e)),
        };
        let Some(vrid) = vrid else {
            match error {
                Some(WireError::BadIpHeader) => self.global.bad_ip_header += 1,
                _ => self.too_short("IPv4", datagram.len()),
            }
            return;
        };
        let ip = Ipv4Packet::new_unchecked(datagram);
        let rx = Packet {
            src: IpAddr::V4(ip.src()),
            dst: IpAddr::V4(ip.dst()),
            ttl: ip.ttl(),
            bytes: datagram,
            ipv4_datagram: true,
        };
        self.on_packet(now, ifindex, vrid, &rx);
    }

    /// A VRRP message without its IP header (IPv6, or a bare IPv4 message).
    fn on_message(&mut self, now: Instant, ifindex: u32, rx: &Packet) {
        // docs/keepalived-compat.md#receive-checks check 1 (the dispatcher).
        let Some(&vrid) = rx.bytes.get(1).filter(|_| rx.bytes.len() >= 8) else {
            let fam = if rx.dst.is_ipv4() { "IPv4" } else { "IPv6" };
            self.too_short(fam, rx.bytes.len());
            return;
        };
        self.on_packet(now, ifindex, vrid, rx);
    }

    /// Check 1 failed: counted globally, logged as keepalived's dispatcher does.
    fn too_short(&mut self, family: &str, len: usize) {
        self.global.packet_too_short += 1;
        self.actions.push_back(Action::Log {
            level: LogLevel::Info,
            message: format!("{family} VRRP packet too short - {len} bytes"),
        });
    }

    /// An advert no instance takes: counted; with `log_unknown_vrids` logged in keepalived's
    /// words, once per (interface, VRID, family): at most 255 × 2 lines per interface.
    fn unknown_vrid(&mut self, ifindex: u32, vrid: u8, family: Family, from: Option<IpAddr>) {
        self.global.unknown_vrid += 1;
        if !self.log_unknown_vrids || !self.unknown_logged.insert((ifindex, vrid, family)) {
            return;
        }
        let ifname = self
            .instances
            .iter()
            .find(|i| i.cfg.ifindex == ifindex)
            .map_or_else(|| ifindex.to_string(), |i| i.cfg.ifname.clone());
        let message = match from {
            None => format!("Unknown VRID({vrid}) received on interface({ifname}). ignoring..."),
            Some(src) => format!(
                "Unknown VRID({vrid}) received on interface({ifname}) from {src}. ignoring..."
            ),
        };
        self.actions.push_back(Action::Log {
            level: LogLevel::Info,
            message,
        });
    }

    fn on_packet(&mut self, now: Instant, ifindex: u32, vrid: u8, rx: &Packet) {
        let family = match rx.dst {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        };
        let Some(candidates) = self.demux.get(&(ifindex, vrid, family)) else {
            self.unknown_vrid(ifindex, vrid, family, None);
            return;
        };
        let idx = match candidates.as_slice() {
            [one] => *one,
            // Several instances share this VRID on the interface (unicast ones with their own
            // peers): the one whose peer sent it, else a multicast one for a multicast advert.
            // An advert from no one's peer reaches no instance and is counted, as keepalived
            // drops it: falling back to any instance would let a stranger steer it.
            many => {
                let by_peer = many.iter().copied().find(|i| {
                    self.instances
                        .get(*i)
                        .is_some_and(|inst| inst.cfg.unicast_peers.iter().any(|p| p.addr == rx.src))
                });
                let multicast = || {
                    many.iter().copied().find(|i| {
                        rx.dst.is_multicast()
                            && self
                                .instances
                                .get(*i)
                                .is_some_and(|inst| inst.cfg.unicast_peers.is_empty())
                    })
                };
                match by_peer.or_else(multicast) {
                    Some(i) => i,
                    None => {
                        self.unknown_vrid(ifindex, vrid, family, Some(rx.src));
                        return;
                    }
                }
            }
        };
        let mut ctx = ctx!(self, now);
        let Some(inst) = self.instances.get_mut(idx) else {
            return;
        };
        // docs/keepalived-compat.md#sockets: packets arriving in FAULT or INIT are ignored silently.
        if !matches!(inst.state, State::Backup | State::Master) {
            return;
        }
        let sent_before = inst.counters.advert_sent;
        let transition = inst
            .validate(&mut ctx, rx)
            .and_then(|adv| inst.on_advert(&mut ctx, rx.src, &adv));
        // An advert sent in answer (to a lower priority, a priority 0, ...) restarts the
        // advert timer a full interval from now, as keepalived does
        // (docs/keepalived-compat.md#state-machine). keepalived restarts it after any packet,
        // which lets junk sent faster than advert_int silence a master; vrrpd only when an
        // advert actually went out.
        if inst.state == State::Master && inst.counters.advert_sent != sent_before {
            let at = deadline(now, inst.cfg.advert_int.to_duration());
            ctx.timers.set(idx, Timer::Advert, at);
        }
        if let Some(t) = transition {
            self.apply(now, idx, t);
        }
    }

    fn on_link(&mut self, now: Instant, ifname: &str, up: bool) {
        let users: Vec<usize> = self
            .instances
            .iter()
            .filter(|i| i.cfg.ifname == ifname && i.link_up != up)
            .map(|i| i.idx)
            .collect();
        if users.is_empty() {
            return;
        }
        let word = if up { "up" } else { "down" };
        self.actions.push_back(Action::Log {
            level: LogLevel::Info,
            message: format!("Netlink reports {ifname} {word}"),
        });
        for idx in users {
            if let Some(inst) = self.instances.get_mut(idx) {
                inst.link_up = up;
            }
            self.update_fault(now, idx);
        }
    }

    fn on_addr(&mut self, now: Instant, ifname: &str, addr: IpAddr, added: bool) {
        let sources: Vec<usize> = self
            .instances
            .iter()
            .filter(|i| i.cfg.ifname == ifname && i.cfg.src == addr)
            .map(|i| i.idx)
            .collect();
        for idx in sources {
            let mut ctx = ctx!(self, now);
            if let Some(inst) = self.instances.get_mut(idx) {
                if inst.src_present == added {
                    continue;
                }
                inst.src_present = added;
                if !added && !matches!(inst.state, State::Fault | State::Stopped) {
                    let fam = if addr.is_ipv4() { "IPv4" } else { "IPv6" };
                    let text = format!("entering FAULT state (no {fam} address for interface)");
                    inst.log(&mut ctx, LogLevel::Info, &text);
                }
            }
            self.update_fault(now, idx);
        }
        if !added {
            let mut ctx = ctx!(self, now);
            for inst in &mut self.instances {
                inst.restore_vip(&mut ctx, ifname, addr);
            }
        }
    }

    /// The interface was re-created with a new index: adverts, GARPs and the demultiplexing
    /// of received adverts follow it. Nothing else changes; the link and address events that
    /// came with the re-creation decide the state.
    fn on_ifindex(&mut self, ifname: &str, ifindex: u32) {
        let mut changed = false;
        for inst in &mut self.instances {
            if inst.cfg.ifname == ifname && inst.cfg.ifindex != ifindex {
                inst.cfg.ifindex = ifindex;
                changed = true;
            }
        }
        if changed {
            self.index_demux();
        }
    }

    /// The shell could (not) open the instance's sockets: held in FAULT while it cannot, as by
    /// an unweighted tracker that is down (the reason is kept among the trackers, under a
    /// name no configured tracker can have).
    fn on_sockets(&mut self, now: Instant, name: &str, open: bool) {
        let Some(idx) = self.instance_index(name) else {
            return;
        };
        let state = if open {
            TrackerState::Up
        } else {
            TrackerState::Down
        };
        let mut ctx = ctx!(self, now);
        let Some(inst) = self.instances.get_mut(idx) else {
            return;
        };
        let was = inst.trackers.get(SOCKETS_REASON).copied();
        if was.unwrap_or(TrackerState::Up) == state {
            return;
        }
        if open {
            inst.trackers.remove(SOCKETS_REASON);
        } else {
            inst.trackers.insert(SOCKETS_REASON.to_owned(), state);
            if !matches!(inst.state, State::Fault | State::Stopped) {
                inst.log(
                    &mut ctx,
                    LogLevel::Info,
                    "entering FAULT state (VRRP socket unavailable)",
                );
            }
        }
        self.update_fault(now, idx);
    }

    fn on_tracker(&mut self, now: Instant, target: TrackTarget, id: String, state: TrackerState) {
        let (members, key) = match target {
            TrackTarget::Instance(name) => match self.instance_index(&name) {
                Some(i) => (vec![i], id),
                None => return,
            },
            TrackTarget::Group(name) => match self.group_by_name.get(&name) {
                Some(&g) => (
                    self.groups
                        .get(g)
                        .map(|g| g.members.clone())
                        .unwrap_or_default(),
                    format!("group:{id}"),
                ),
                None => return,
            },
        };
        for idx in members {
            let mut ctx = ctx!(self, now);
            if let Some(inst) = self.instances.get_mut(idx) {
                inst.trackers.insert(key.clone(), state);
                if inst.state != State::Stopped {
                    inst.recompute_priority(&mut ctx);
                }
            }
            self.update_fault(now, idx);
        }
    }

    /// Runs `f` with `cause` recorded as the reason of every state change it makes (an
    /// outer cause, e.g. a reload that drains, wins).
    pub(crate) fn with_cause(&mut self, cause: TransitionReason, f: impl FnOnce(&mut Router)) {
        let outer = self.cause;
        self.cause = outer.or(Some(cause));
        f(self);
        self.cause = outer;
    }

    /// An operator's drain or undrain (`Input::Drain`; README "Control"). A drained MASTER
    /// hands over the graceful way, as a stopping one does (RFC 5798 §6.4.3: priority 0, so
    /// the backups take over after their skew time), removes its addresses once the new
    /// master is heard (instance/handover.rs) and stays BACKUP; undrained before that, it
    /// stays MASTER;
    /// a drained BACKUP never takes over. Undraining lets the election run again.
    fn on_drain(&mut self, now: Instant, names: &[String], drain: bool) {
        // A sync group moves as one (docs/keepalived-compat.md#sync-groups): draining one
        // member drains them all, or the others would pull it back to MASTER.
        let named: Vec<usize> = self
            .instances
            .iter()
            .filter(|i| names.is_empty() || names.contains(&i.cfg.name))
            .map(|i| i.idx)
            .collect();
        let mut chosen: Vec<usize> = Vec::new();
        for idx in named {
            let group = self.instances.get(idx).and_then(|i| i.group);
            let members = group.map_or_else(|| vec![idx], |g| self.members(g));
            for m in members {
                let differs = self.instances.get(m).is_some_and(|i| i.drained != drain);
                if differs && !chosen.contains(&m) {
                    chosen.push(m);
                }
            }
        }
        for idx in chosen {
            let Some(inst) = self.instances.get_mut(idx) else {
                continue;
            };
            inst.drained = drain;
            let text = if drain {
                "drained: handing over and staying BACKUP"
            } else {
                "undrained: taking part in elections again"
            };
            let mut ctx = ctx!(self, now);
            inst.log(&mut ctx, LogLevel::Info, text);
            if drain && inst.state == State::Master {
                // Make-before-break (instance/handover.rs): priority 0 now, the VIPs go when
                // the successor is heard.
                inst.begin_handover(&mut ctx, Leaving::Drain);
            } else if !drain && inst.handing_over() {
                inst.cancel_handover(&mut ctx);
            }
            // Undrained, a BACKUP's master-down timer (kept running while drained) decides
            // as usual.
        }
    }
}

/// Keeps settings inside what the wire can carry and what keepalived accepts (docs/keepalived-compat.md#vrrp_instance-keywords), and
/// away from values that would make a timer fire at `now` forever.
pub(crate) fn sanitise(cfg: &mut super::settings::InstanceSettings) {
    // IPv6 instances are version 3 (RFC 5798) unless the configuration asked for keepalived's
    // VRRPv2 over IPv6 (docs/keepalived-compat.md#advert-packet-layout), which the
    // configuration check allows only in that one case.
    let (min, max) = match cfg.version {
        Version::V2 => (100, 255 * 100),
        Version::V3 => (1, 4095),
    };
    cfg.advert_int = Centisecs(cfg.advert_int.0.clamp(min, max));
    cfg.preempt_delay = Centisecs(cfg.preempt_delay.0.min(1000 * 100));
    let g = &mut cfg.garp;
    for repeat in [
        &mut g.master_repeat,
        &mut g.refresh_repeat,
        &mut g.lower_prio_repeat,
    ] {
        *repeat = (*repeat).min(255);
    }
    cfg.down_timer_adverts = cfg.down_timer_adverts.clamp(1, 100);
    cfg.priority = cfg.priority.max(1);
}
