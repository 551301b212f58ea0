//! One VRRP instance: the RFC 3768 / RFC 5798 state machine with keepalived's FAULT state and
//! keepalived 2.2.7's reactions (docs/keepalived-compat.md#timers-and-start-up, docs/keepalived-compat.md#state-machine).
//!
//! State *entries* (`enter_master`, `enter_backup`, `enter_fault`, `stop`) are called by the
//! [`super::Router`], which coordinates sync groups; event handlers return a [`Transition`]
//! instead of changing state themselves.

use std::cmp::Ordering;
use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::action::{Action, LogLevel, NotifyEvent, NotifyTarget};
use super::input::TrackerState;
use super::interval;
use super::routes::{RouteSpec, RuleSpec};
use super::settings::{Centisecs, InstanceSettings, OldUnicastChecksum, VipSpec};
use super::state::State;
use super::stats::Counters;
use super::timer::{deadline, Timer, TimerTable};
use crate::wire::{Addrs, Advert, Auth, Checksum, Version, ADVERT_TTL};

/// What the core hands an instance for one step: the time, the timers and the output queue.
pub(crate) struct Ctx<'a> {
    pub now: Instant,
    pub timers: &'a mut TimerTable,
    pub out: &'a mut VecDeque<Action>,
    pub fast_preempt: bool,
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
}

/// One kind of receive error that was logged (see `Instance::quiet_errors`).
pub(crate) struct QuietError {
    pub kind: std::mem::Discriminant<crate::wire::Error>,
    pub logged: Instant,
    /// A valid advert arrived since it was logged.
    pub rearmed: bool,
}

/// What a lower-priority advert may cause at most once per advert interval.
#[derive(Clone, Copy)]
enum Lower {
    /// MASTER: the answer (advert, GARP burst, notification).
    Answer,
    /// BACKUP: the log line.
    Log,
}

pub(crate) struct Instance {
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
}

impl Instance {
    pub fn new(cfg: InstanceSettings, idx: usize) -> Instance {
        let mut inst = Instance {
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
            advert_addrs: Addrs::V4(Vec::new()),
            vip_addrs: Vec::new(),
            peer_addrs: Vec::new(),
            group: None,
            quiet_errors: Vec::new(),
            last_lower_answer: None,
            last_lower_log: None,
            cfg,
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
        self.cfg.is_owner() && self.cfg.wants_master && !self.owner_conflict
    }

    /// True while something keeps the instance in FAULT (docs/keepalived-compat.md#state-machine).
    pub fn has_fault(&self) -> bool {
        (!self.link_up && !self.cfg.dont_track_primary)
            || !self.src_present
            || self.trackers.values().any(|t| *t == TrackerState::Down)
    }

    // ===== output helpers =====

    fn checksum_for(&self, dst: IpAddr) -> Checksum {
        match (self.cfg.version, self.cfg.src, dst) {
            (Version::V2, _, _) => Checksum::V2,
            (Version::V3, IpAddr::V4(src), IpAddr::V4(dst)) => {
                let dst = match (
                    self.old_checksum && self.cfg.is_unicast(),
                    self.cfg.mcast_group,
                ) {
                    (true, IpAddr::V4(group)) => group,
                    _ => dst,
                };
                Checksum::V3Ipv4 { src, dst }
            }
            (Version::V3, IpAddr::V6(src), IpAddr::V6(dst)) => Checksum::V3Ipv6 { src, dst },
            _ => Checksum::Offload,
        }
    }

    fn advert(&self, priority: u8) -> Advert {
        let interval = match self.cfg.version {
            Version::V2 => u16::try_from(self.cfg.advert_int.whole_secs().min(255)).unwrap_or(255),
            Version::V3 => u16::try_from(self.cfg.advert_int.0.min(0x0fff)).unwrap_or(0x0fff),
        };
        Advert {
            version: self.cfg.version,
            vrid: self.cfg.vrid,
            priority,
            interval,
            auth: self.auth,
            addrs: self.advert_addrs.clone(),
        }
    }

    /// Sends one advert with `priority`: to the group, or one copy per unicast peer (docs/keepalived-compat.md#unicast-mode).
    pub fn send_advert(&mut self, ctx: &mut Ctx, priority: u8) {
        let advert = self.advert(priority);
        let dsts: Vec<(IpAddr, u8)> = if self.cfg.is_unicast() {
            self.cfg
                .unicast_peers
                .iter()
                .map(|p| (p.addr, self.cfg.unicast_ttl))
                .collect()
        } else {
            vec![(self.cfg.mcast_group, ADVERT_TTL)]
        };
        for (dst, ttl) in dsts {
            match advert.to_vec(self.checksum_for(dst)) {
                Ok(bytes) => ctx.out.push_back(Action::SendAdvert {
                    instance: self.cfg.name.clone(),
                    ifindex: self.cfg.ifindex,
                    ifname: self.cfg.ifname.clone(),
                    src: self.cfg.src,
                    dst,
                    ttl,
                    bytes,
                }),
                Err(e) => {
                    self.log(ctx, LogLevel::Error, &format!("cannot build advert: {e}"));
                    return;
                }
            }
        }
        self.counters.advert_sent += 1;
        if priority == 0 {
            self.counters.pri_zero_sent += 1;
            self.log(ctx, LogLevel::Detail, "sent 0 priority");
        }
    }

    pub(crate) fn all_vips(&self) -> impl Iterator<Item = &VipSpec> {
        self.cfg.vips.iter().chain(self.cfg.excluded_vips.iter())
    }

    /// VIPs then excluded VIPs, in configuration order (docs/keepalived-compat.md#adding-addresses), then `virtual_routes`,
    /// then `virtual_rules` (docs/keepalived-compat.md#state-machine).
    fn add_vips(&mut self, ctx: &mut Ctx) {
        if self.vips_held {
            return;
        }
        self.log(ctx, LogLevel::Detail, "setting VIPs.");
        let instance = &self.cfg.name;
        for vip in self.all_vips() {
            ctx.out.push_back(Action::AddVip {
                instance: instance.clone(),
                vip: vip.clone(),
            });
        }
        for spec in &self.cfg.routes {
            ctx.out.push_back(Action::AddRoute {
                instance: instance.clone(),
                spec: spec.clone(),
            });
        }
        for spec in &self.cfg.rules {
            ctx.out.push_back(Action::AddRule {
                instance: instance.clone(),
                spec: spec.clone(),
            });
        }
        self.vips_held = true;
    }

    /// Removes everything added, in keepalived's order: rules, routes, then addresses
    /// (docs/keepalived-compat.md#removing-addresses).
    pub(crate) fn del_vips(&mut self, ctx: &mut Ctx) {
        if !self.vips_held {
            return;
        }
        let instance = &self.cfg.name;
        for spec in &self.cfg.rules {
            ctx.out.push_back(Action::DelRule {
                instance: instance.clone(),
                spec: spec.clone(),
            });
        }
        for spec in &self.cfg.routes {
            ctx.out.push_back(Action::DelRoute {
                instance: instance.clone(),
                spec: spec.clone(),
            });
        }
        self.log(ctx, LogLevel::Detail, "removing VIPs.");
        for vip in self.all_vips() {
            ctx.out.push_back(Action::DelVip {
                instance: self.cfg.name.clone(),
                vip: vip.clone(),
            });
        }
        self.vips_held = false;
    }

    /// One burst: `repeat` GARP/NA per VIP and excluded VIP, interleaved (docs/keepalived-compat.md#state-machine, docs/keepalived-compat.md#gratuitous-arp-and-unsolicited-na).
    pub fn garp_burst(&self, ctx: &mut Ctx, repeat: u32) {
        if repeat == 0 {
            return;
        }
        for vip in self.all_vips() {
            let what = match vip.addr {
                IpAddr::V4(_) => "gratuitous ARPs",
                IpAddr::V6(_) => "Unsolicited Neighbour Adverts",
            };
            self.log(
                ctx,
                LogLevel::Detail,
                &format!("Sending/queueing {what} on {} for {}", vip.ifname, vip.addr),
            );
        }
        for _ in 0..repeat {
            for vip in self.all_vips() {
                ctx.out.push_back(self.garp_action(&vip.ifname, vip.addr));
            }
        }
    }

    pub(crate) fn garp_action(&self, ifname: &str, ip: IpAddr) -> Action {
        match ip {
            IpAddr::V4(ip) => Action::SendGarp {
                instance: self.cfg.name.clone(),
                ifname: ifname.to_string(),
                ip,
            },
            IpAddr::V6(ip) => Action::SendNa {
                instance: self.cfg.name.clone(),
                ifname: ifname.to_string(),
                ip,
            },
        }
    }

    pub(crate) fn notify(&self, ctx: &mut Ctx, event: NotifyEvent) {
        ctx.out.push_back(Action::Notify {
            target: NotifyTarget::Instance(self.cfg.name.clone()),
            event,
            priority: self.effective,
        });
    }

    fn arm_master_down(&self, ctx: &mut Ctx) {
        ctx.arm(self.idx, Timer::MasterDown, self.master_down_interval());
    }

    fn stop_master_timers(&self, ctx: &mut Ctx) {
        for t in [
            Timer::Advert,
            Timer::GarpMasterDelay,
            Timer::GarpLowerPrio,
            Timer::GarpRefresh,
        ] {
            ctx.timers.stop(self.idx, t);
        }
    }

    pub(crate) fn cancel_preempt_delay(&mut self, ctx: &mut Ctx) {
        ctx.timers.stop(self.idx, Timer::PreemptDelay);
        self.preempt_expired = false;
    }

    // ===== state entries (docs/keepalived-compat.md#state-machine) =====

    /// Becoming MASTER: one advert first, then VIPs, then the GARP burst, refresh and
    /// second-burst timers, then notifications.
    pub fn enter_master(&mut self, ctx: &mut Ctx) {
        self.log(ctx, LogLevel::Info, "Entering MASTER STATE");
        self.state = State::Master;
        self.wants_master_now = false;
        self.master_adver_int = self.cfg.advert_int;
        self.master_addr = Some(self.cfg.src);
        self.master_priority = self.effective;
        ctx.timers.stop(self.idx, Timer::MasterDown);
        self.cancel_preempt_delay(ctx);
        self.send_advert(ctx, self.effective);
        self.add_vips(ctx);
        let garp = self.cfg.garp.clone();
        self.garp_burst(ctx, garp.master_repeat);
        ctx.arm(self.idx, Timer::Advert, self.cfg.advert_int.to_duration());
        if garp.master_refresh.0 > 0 {
            ctx.arm(
                self.idx,
                Timer::GarpRefresh,
                garp.master_refresh.to_duration(),
            );
        }
        if garp.master_delay.0 > 0 && garp.master_repeat > 0 {
            ctx.arm(
                self.idx,
                Timer::GarpMasterDelay,
                garp.master_delay.to_duration(),
            );
        }
        self.counters.become_master += 1;
        self.notify(ctx, NotifyEvent::Master);
    }

    /// BACKUP: from start-up (`init`), from MASTER (VIPs removed, no priority 0) or from
    /// FAULT. Timer = Master_Down_Interval.
    pub fn enter_backup(&mut self, ctx: &mut Ctx, init: bool) {
        let text = if init {
            "Entering BACKUP STATE (init)"
        } else {
            "Entering BACKUP STATE"
        };
        self.log(ctx, LogLevel::Info, text);
        if self.state == State::Master {
            self.stop_master_timers(ctx);
            self.del_vips(ctx);
            self.counters.release_master += 1;
        }
        self.state = State::Backup;
        self.wants_master_now = false;
        self.arm_master_down(ctx);
        self.notify(ctx, NotifyEvent::Backup);
    }

    /// FAULT: a master sends priority 0 and removes its VIPs; all timers stop.
    pub fn enter_fault(&mut self, ctx: &mut Ctx, init: bool) {
        // At start-up keepalived 2.2.7 logs the reason line, then `(VI) entering FAULT state`
        // in lower case and without "(init)" (observed in the namespace lab; the
        // `Entering FAULT STATE (init)` string of its source is not what it prints).
        let text = if init {
            "entering FAULT state"
        } else {
            "Entering FAULT STATE"
        };
        self.log(ctx, LogLevel::Info, text);
        if self.state == State::Master {
            self.send_advert(ctx, 0);
            self.del_vips(ctx);
            self.counters.release_master += 1;
        }
        self.state = State::Fault;
        self.wants_master_now = false;
        self.preempt_expired = false;
        self.master_addr = None;
        self.master_priority = 0;
        ctx.timers.stop_all(self.idx);
        self.notify(ctx, NotifyEvent::Fault);
    }

    /// Leaving FAULT: back to the own interval; a unicast instance refreshes its peers' ARP
    /// cache with a GARP for its source address (docs/keepalived-compat.md#state-machine). The router then enters BACKUP or,
    /// for an owner, MASTER.
    pub fn prepare_leave_fault(&mut self, ctx: &mut Ctx) {
        self.master_adver_int = self.cfg.advert_int;
        if self.cfg.is_unicast() {
            ctx.out
                .push_back(self.garp_action(&self.cfg.ifname, self.cfg.src));
        }
    }

    /// Graceful stop (docs/keepalived-compat.md#shutdown): priority 0 from a master, VIPs removed, STOP notify.
    /// Without `release` (`-V/--dont-release-vrrp`, docs/keepalived-compat.md#removing-addresses) a master
    /// sends nothing and keeps its VIPs, routes and rules; the STOP notification still runs.
    pub fn stop(&mut self, ctx: &mut Ctx, release: bool) {
        if self.state == State::Master && release {
            self.send_advert(ctx, 0);
            self.del_vips(ctx);
        }
        self.state = State::Stopped;
        ctx.timers.stop_all(self.idx);
        self.notify(ctx, NotifyEvent::Stop);
    }

    // ===== events =====

    /// A valid advert (all checks of docs/keepalived-compat.md#receive-checks passed).
    /// True when the lower-priority `what` may happen now (and notes that it did): at most once
    /// per advert interval.
    fn once_per_interval(&mut self, now: Instant, what: Lower) -> bool {
        let last = match what {
            Lower::Answer => &mut self.last_lower_answer,
            Lower::Log => &mut self.last_lower_log,
        };
        let interval = self.cfg.advert_int.to_duration();
        if last.is_some_and(|t| now < t + interval) {
            return false;
        }
        *last = Some(now);
        true
    }

    pub fn on_advert(&mut self, ctx: &mut Ctx, src: IpAddr, adv: &Advert) -> Option<Transition> {
        match self.state {
            State::Backup => {
                self.backup_rx(ctx, src, adv);
                None
            }
            State::Master => self.master_rx(ctx, src, adv),
            State::Init | State::Fault | State::Stopped => None,
        }
    }

    /// v3: adopt the accepted master's interval (docs/keepalived-compat.md#timers-and-start-up).
    fn learn_interval(&mut self, ctx: &mut Ctx, adv: &Advert) {
        if self.cfg.version != Version::V3 {
            return;
        }
        let learned = Centisecs(adv.interval_cs());
        if learned != self.master_adver_int && learned.0 > 0 {
            let text = format!(
                "advertisement interval updated from {}ms to {}ms by master",
                u64::from(self.master_adver_int.0) * 10,
                u64::from(learned.0) * 10
            );
            self.log(ctx, LogLevel::Detail, &text);
            self.master_adver_int = learned;
        }
    }

    /// BACKUP on a valid advert (docs/keepalived-compat.md#state-machine).
    fn backup_rx(&mut self, ctx: &mut Ctx, src: IpAddr, adv: &Advert) {
        let (p, e) = (adv.priority, self.effective);
        if p == 0 {
            // RFC 5798 §6.4.2: priority 0 ⇒ Master_Down_Timer = Skew_Time.
            self.log(
                ctx,
                LogLevel::Detail,
                "Backup received priority 0 advertisement",
            );
            ctx.arm(self.idx, Timer::MasterDown, self.skew());
            return;
        }
        let has_delay = self.cfg.preempt_delay.0 > 0;
        let delay_running = ctx.timers.get(self.idx, Timer::PreemptDelay).is_some();
        if !self.cfg.preempt || p >= e || (has_delay && !self.preempt_expired) {
            if has_delay {
                if p >= e {
                    if delay_running || self.preempt_expired {
                        self.log(ctx, LogLevel::Detail, "stop preempt delay");
                    }
                    self.cancel_preempt_delay(ctx);
                } else if self.cfg.preempt && !delay_running && !self.preempt_expired {
                    let d = self.cfg.preempt_delay;
                    let text = format!("start preempt delay ({}.{:02})", d.0 / 100, d.0 % 100);
                    self.log(ctx, LogLevel::Detail, &text);
                    ctx.arm(self.idx, Timer::PreemptDelay, d.to_duration());
                }
            }
            self.master_addr = Some(src);
            self.master_priority = p;
            self.learn_interval(ctx, adv);
            self.wants_master_now = false;
            self.arm_master_down(ctx);
        } else {
            // Lower priority, preemption allowed: the timer keeps running. Logged at most once
            // per advert interval (a flood of valid lower adverts must not flood the log).
            if self.once_per_interval(ctx.now, Lower::Log) {
                let text = format!("received lower priority ({p}) advert from {src} - discarding");
                self.log(ctx, LogLevel::Info, &text);
            }
            // Only the master we follow lowering its priority counts (or any advert before we
            // know a master): a stranger's lower-priority advert says nothing about the master,
            // and a flood of spoofed ones must not make a backup preempt a healthy master.
            let from_master = self.master_addr.is_none_or(|m| m == src);
            if ctx.fast_preempt && !has_delay && from_master {
                // vrrpd improvement: take over after Skew_Time, not the full interval.
                let at = deadline(ctx.now, self.skew());
                let current = ctx.timers.get(self.idx, Timer::MasterDown);
                if current.is_none_or(|c| at < c) {
                    ctx.timers.set(self.idx, Timer::MasterDown, at);
                }
            }
        }
    }

    /// MASTER on a valid advert (docs/keepalived-compat.md#state-machine). `cmp` compares the sender with our source address
    /// as unsigned integers (IpAddr's order within one family is exactly that).
    fn master_rx(&mut self, ctx: &mut Ctx, src: IpAddr, adv: &Advert) -> Option<Transition> {
        let p = adv.priority;
        if p == 0 {
            self.log(ctx, LogLevel::Detail, "Master received priority 0 message");
            self.send_advert(ctx, self.effective);
            return None;
        }
        let e = self.effective;
        let cmp = src.cmp(&self.cfg.src);
        if self.cfg.higher_prio_send_advert && (p > e || (p == e && cmp == Ordering::Greater)) {
            self.send_advert(ctx, e);
        }
        if p == e && cmp == Ordering::Equal {
            self.log(
                ctx,
                LogLevel::Warning,
                "WARNING - equal priority advert received from remote host with our IP address.",
            );
        }
        if e == 255 && p == 255 {
            self.log(
                ctx,
                LogLevel::Error,
                "CONFIGURATION ERROR: local instance and a remote instance are both configured \
                 as address owner, please fix - reducing local priority",
            );
            self.owner_conflict = true;
            self.effective = 254;
        } else if p < e || (p == e && cmp == Ordering::Less) {
            // RFC 5798 §6.4.3 has the master discard a lower-priority advert; keepalived
            // answers it (advert, GARP burst, notify_master_rx_lower_pri) to end a dual-master
            // state. vrrpd answers at most once per advert interval and counts the rest, so a
            // flood of such adverts gets one answer an interval, not one each
            // (docs/keepalived-compat.md#state-machine).
            if !self.once_per_interval(ctx.now, Lower::Answer) {
                self.counters.lower_prio_unanswered += 1;
                return None;
            }
            let suffix = if self.cfg.lower_prio_no_advert {
                ""
            } else {
                ", forcing new election"
            };
            let text =
                format!("Received advert from {src} with lower priority {p}, ours {e}{suffix}");
            self.log(ctx, LogLevel::Info, &text);
            if !self.cfg.lower_prio_no_advert {
                self.send_advert(ctx, e);
            }
            let garp = self.cfg.garp.clone();
            if garp.lower_prio_repeat > 0 {
                self.garp_burst(ctx, garp.lower_prio_repeat);
                if garp.lower_prio_delay.0 > 0 {
                    ctx.arm(
                        self.idx,
                        Timer::GarpLowerPrio,
                        garp.lower_prio_delay.to_duration(),
                    );
                }
            }
            self.notify(ctx, NotifyEvent::MasterRxLowerPri);
            return None;
        }
        let e = self.effective;
        if p > e || (p == e && cmp == Ordering::Greater) {
            let text = if p > e {
                format!("Master received advert from {src} with higher priority {p}, ours {e}")
            } else {
                format!(
                    "Master received advert from {src} with same priority {p} but higher IP \
                     address than ours"
                )
            };
            self.log(ctx, LogLevel::Info, &text);
            self.master_addr = Some(src);
            self.master_priority = p;
            if self.cfg.version == Version::V3 && adv.interval_cs() > 0 {
                self.master_adver_int = Centisecs(adv.interval_cs());
            }
            return Some(Transition::ToBackup);
        }
        None
    }

    /// A timer of this instance expired; `due` is the deadline it was set for (the caller
    /// may be late: a real timer wakes up after its deadline).
    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: Timer, due: Instant) -> Option<Transition> {
        match (self.state, timer) {
            (State::Master, Timer::Advert) => {
                self.send_advert(ctx, self.effective);
                // RFC 5798 §6.4.3: adverts every Advertisement_Interval. Re-arm from the
                // deadline, not from the (late) wake-up, so the cadence does not drift by the
                // shell's timer lateness each period (measured ~1 % at 0.1 s); after a long
                // stall, restart from now instead of sending a burst.
                let interval = self.cfg.advert_int.to_duration();
                match due.checked_add(interval).filter(|next| *next > ctx.now) {
                    Some(next) => ctx.timers.set(self.idx, Timer::Advert, next),
                    None => ctx.arm(self.idx, Timer::Advert, interval),
                }
                None
            }
            (State::Backup, Timer::MasterDown) => {
                self.log(ctx, LogLevel::Detail, "Receive advertisement timeout");
                Some(Transition::ToMaster)
            }
            (State::Backup, Timer::PreemptDelay) => {
                self.preempt_expired = true;
                None
            }
            (State::Master, Timer::GarpMasterDelay) => {
                self.garp_burst(ctx, self.cfg.garp.master_repeat);
                None
            }
            (State::Master, Timer::GarpLowerPrio) => {
                self.garp_burst(ctx, self.cfg.garp.lower_prio_repeat);
                None
            }
            (State::Master, Timer::GarpRefresh) => {
                self.garp_burst(ctx, self.cfg.garp.refresh_repeat);
                let refresh = self.cfg.garp.master_refresh;
                if refresh.0 > 0 {
                    ctx.arm(self.idx, Timer::GarpRefresh, refresh.to_duration());
                }
                None
            }
            _ => None,
        }
    }

    /// Recomputes the effective priority from the base and the weighted trackers (docs/keepalived-compat.md#weights-and-effective-priority):
    /// clamped to 1..=254; an owner (255) never changes. Logs the change; a MASTER
    /// re-advertises at once (vrrpd: not at its next tick), a BACKUP shifts its running
    /// master-down timer by the skew difference.
    pub fn recompute_priority(&mut self, ctx: &mut Ctx) {
        let new = if self.cfg.priority == 255 {
            if self.owner_conflict {
                254
            } else {
                255
            }
        } else {
            let weights: i64 = self
                .trackers
                .values()
                .map(|t| match t {
                    TrackerState::Weight(w) => i64::from(*w),
                    TrackerState::Up | TrackerState::Down => 0,
                })
                .sum();
            let total = i64::from(self.cfg.priority) + weights;
            u8::try_from(total.clamp(1, 254)).unwrap_or(254)
        };
        if new == self.effective {
            return;
        }
        let old = self.effective;
        let old_skew = self.skew();
        self.log(
            ctx,
            LogLevel::Info,
            &format!("Changing effective priority from {old} to {new}"),
        );
        self.effective = new;
        match self.state {
            State::Master => {
                self.master_priority = new;
                // A tracker that went Down makes this instance FAULT right after
                // (`Router::update_fault`), which sends priority 0: announcing the new
                // priority first would advertise, for an instant, a master that is leaving
                // (a track_file value past -254 turns its weight into FAULT; found by the
                // replay case 28_conf_track_file).
                if !self.trackers.values().any(|t| *t == TrackerState::Down) {
                    self.send_advert(ctx, new);
                    ctx.arm(self.idx, Timer::Advert, self.cfg.advert_int.to_duration());
                }
            }
            State::Backup => {
                if let Some(at) = ctx.timers.get(self.idx, Timer::MasterDown) {
                    let shifted = at
                        .checked_sub(old_skew)
                        .and_then(|t| t.checked_add(self.skew()))
                        .unwrap_or(at)
                        .max(ctx.now);
                    ctx.timers.set(self.idx, Timer::MasterDown, shifted);
                }
            }
            State::Init | State::Fault | State::Stopped => {}
        }
    }

    /// An address of the instance disappeared while MASTER (docs/keepalived-compat.md#addresses-deleted-while-master). vrrpd puts it back at
    /// once and stays MASTER (keepalived would drop to BACKUP, send priority 0 and reclaim
    /// after Skew_Time). Returns true when the address was one of ours.
    pub fn restore_vip(&mut self, ctx: &mut Ctx, ifname: &str, addr: IpAddr) -> bool {
        if self.state != State::Master || !self.vips_held {
            return false;
        }
        let Some(vip) = self
            .all_vips()
            .find(|v| v.addr == addr && v.ifname == ifname && !v.no_track)
            .cloned()
        else {
            return false;
        };
        ctx.log(
            LogLevel::Detail,
            format!("Netlink reflector reports IP {addr} removed from {ifname}"),
        );
        self.log(
            ctx,
            LogLevel::Info,
            &format!("VIP {addr} deleted externally on {ifname} - restoring it (staying MASTER)"),
        );
        ctx.out.push_back(Action::AddVip {
            instance: self.cfg.name.clone(),
            vip: vip.clone(),
        });
        for _ in 0..self.cfg.garp.master_repeat {
            ctx.out.push_back(self.garp_action(&vip.ifname, vip.addr));
        }
        true
    }

    /// A `virtual_routes` entry disappeared while MASTER. keepalived treats it like a deleted
    /// VIP (docs/keepalived-compat.md#addresses-deleted-while-master: leave MASTER unless `no_track`); vrrpd follows its own VIP policy: put it
    /// back at once and stay MASTER. Returns true when the route was one of ours.
    pub fn restore_route(&mut self, ctx: &mut Ctx, spec: &RouteSpec) -> bool {
        if self.state != State::Master || !self.vips_held {
            return false;
        }
        let Some(ours) = self
            .cfg
            .routes
            .iter()
            .find(|r| !r.no_track && r.same_route(spec))
            .cloned()
        else {
            return false;
        };
        self.log(
            ctx,
            LogLevel::Info,
            &format!("virtual route {ours} deleted externally - restoring it (staying MASTER)"),
        );
        ctx.out.push_back(Action::AddRoute {
            instance: self.cfg.name.clone(),
            spec: ours,
        });
        true
    }

    /// A `virtual_rules` entry disappeared while MASTER: same policy as
    /// [`Instance::restore_route`].
    pub fn restore_rule(&mut self, ctx: &mut Ctx, spec: &RuleSpec) -> bool {
        if self.state != State::Master || !self.vips_held {
            return false;
        }
        let Some(ours) = self
            .cfg
            .rules
            .iter()
            .find(|r| !r.no_track && r.same_rule(spec))
            .cloned()
        else {
            return false;
        };
        self.log(
            ctx,
            LogLevel::Info,
            &format!("virtual rule {ours} deleted externally - restoring it (staying MASTER)"),
        );
        ctx.out.push_back(Action::AddRule {
            instance: self.cfg.name.clone(),
            spec: ours,
        });
        true
    }
}
