//! Hitless reload: [`Router::reconfigure`] applies the difference between the running
//! settings and new ones (docs/keepalived-compat.md#reload).
//!
//! The shell parses and validates the new keepalived.conf first and keeps the old one on any
//! error; the core only sees a valid [`RouterSettings`].
//!
//! # What is kept, what changes
//!
//! * Old and new instances are matched as keepalived matches them: by (VRID, address family,
//!   configured interface, unicast vs multicast, unicast source address / multicast group),
//!   **not by name**. A matched instance keeps its state, counters, learned master and
//!   interval, tracker states, link/source-address status and running timers. If none of
//!   its VRRP parameters changed it produces no action at all (no advert, no VIP re-add, no
//!   notify, no log).
//! * Address changes of a matched MASTER: removed rules, routes and addresses are deleted
//!   (in that order, docs/keepalived-compat.md#removing-addresses), new addresses, routes and rules added (docs/keepalived-compat.md#state-machine), and one GARP/NA
//!   burst (`garp_master_repeat`) is sent for the **new addresses only**. vrrpd: keepalived
//!   re-sends a burst for every VIP. A matched BACKUP/FAULT only updates its lists.
//! * Priority change: `Changing effective priority from A to B`; a MASTER advertises the new
//!   priority at once, a BACKUP shifts its master-down timer by the skew difference.
//! * `advert_int` change: used from the next time a timer is armed (the running one keeps
//!   its deadline). Other parameters (authentication, version, peers, GARP schedule,
//!   preemption, ...) take effect without a transition.
//! * Unmatched old instances: a MASTER sends one priority-0 advert and removes its rules,
//!   routes and addresses; then `Notify FAULT` (or `DELETED` with `notify_deleted`); the
//!   instance is gone.
//! * Unmatched new instances start as at boot (`Entering BACKUP STATE (init)`, owners go
//!   MASTER), honouring `down_interfaces`.
//! * Sync groups keep their state by name (no notification if unchanged); a new group gets
//!   its state (and notification) from its first member.
//! * Trackers: matched instances keep the tracker states they have. The shell re-feeds
//!   every tracker of the new configuration as usual ([`super::Input::Tracker`], unchanged
//!   states are no-ops) and sends `TrackerState::Up` for a tracker that the new
//!   configuration dropped, which removes its weight/fault.
//! * A changed advert source address of a multicast instance is assumed present; the shell
//!   reports otherwise with [`super::Input::Addr`].
//! * A renamed matched instance keeps everything; later actions carry the new name, so a
//!   shell that books installed addresses per instance name re-keys them by the same match.
//! * Known simplification: a new instance joining an existing sync group that is MASTER
//!   starts in BACKUP like at boot; the group re-converges when its master-down timer
//!   fires (every other member is MASTER, so it follows at once).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::Instant;

use super::action::{Action, LogLevel, NotifyEvent};
use super::instance::{Ctx, VirtualRouter};
use super::router::{ctx, sanitise, Router};
use super::settings::{InstanceSettings, OldUnicastChecksum, RouterSettings, VipSpec};
use super::state::State;
use super::timer::{Timer, TimerTable};
use super::transition::TransitionReason;
use crate::wire::{Family, Version};

/// keepalived's identity of an instance across a reload (docs/keepalived-compat.md#reload).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct MatchKey {
    vrid: u8,
    family: Family,
    ifname: String,
    unicast: bool,
    /// The unicast source address, or the multicast group.
    addr: IpAddr,
}

impl MatchKey {
    fn of(cfg: &InstanceSettings) -> MatchKey {
        MatchKey {
            vrid: cfg.vrid,
            family: cfg.family(),
            ifname: cfg.ifname.clone(),
            unicast: cfg.is_unicast(),
            addr: if cfg.is_unicast() {
                cfg.src
            } else {
                cfg.mcast_group
            },
        }
    }
}

impl Router {
    /// Reload (SIGHUP): replaces the settings at `now`, keeping the state of every instance
    /// that keepalived would match (see the module documentation for the exact rules).
    /// Side effects are queued like [`Router::handle`]'s. Ignored after `Input::Stop`.
    pub fn reconfigure(&mut self, now: Instant, settings: RouterSettings) {
        // A router that is stopping (masters handing over, docs/keepalived-compat.md#planned-hand-over)
        // takes no new configuration: it would add or remove addresses, routes and rules of a
        // node that is leaving (found by the `proto` fuzz target).
        if self.stopped || self.stopping {
            return;
        }
        self.with_cause(TransitionReason::Reload, |r| {
            r.reconfigure_now(now, settings)
        });
    }

    fn reconfigure_now(&mut self, now: Instant, settings: RouterSettings) {
        let RouterSettings {
            instances: mut new_cfgs,
            groups,
            fast_preempt,
            down_interfaces,
            log_unknown_vrids,
        } = settings;
        self.fast_preempt = fast_preempt;
        self.log_unknown_vrids = log_unknown_vrids;
        for cfg in &mut new_cfgs {
            sanitise(cfg);
        }

        // 1. Match, first come first served among equal keys.
        let mut pool: HashMap<MatchKey, VecDeque<usize>> = HashMap::new();
        for inst in &self.instances {
            pool.entry(MatchKey::of(&inst.cfg))
                .or_default()
                .push_back(inst.idx);
        }
        let sources: Vec<Option<usize>> = new_cfgs
            .iter()
            .map(|cfg| {
                pool.get_mut(&MatchKey::of(cfg))
                    .and_then(VecDeque::pop_front)
            })
            .collect();
        let mut removed: Vec<usize> = pool.into_values().flatten().collect();
        removed.sort_unstable();

        // 2. Unmatched old instances leave first, releasing their addresses.
        for &idx in &removed {
            let mut ctx = ctx!(self, now);
            if let Some(inst) = self.instances.get_mut(idx) {
                inst.remove(&mut ctx);
            }
        }

        // 3. The new instance list, timers moved to the new positions.
        let n = new_cfgs.len();
        let mut old: Vec<Option<VirtualRouter>> = std::mem::take(&mut self.instances)
            .into_iter()
            .map(Some)
            .collect();
        let old_timers = std::mem::replace(&mut self.timers, TimerTable::new(n));
        let mut matched: Vec<(usize, InstanceSettings)> = Vec::new();
        let mut fresh: Vec<usize> = Vec::new();
        for (idx, (cfg, source)) in new_cfgs.into_iter().zip(sources).enumerate() {
            let taken = source.and_then(|o| old.get_mut(o).and_then(Option::take).map(|i| (o, i)));
            let inst = match taken {
                Some((old_idx, mut inst)) => {
                    for t in Timer::ALL {
                        if let Some(at) = old_timers.get(old_idx, t) {
                            self.timers.set(idx, t, at);
                        }
                    }
                    inst.idx = idx;
                    matched.push((idx, std::mem::replace(&mut inst.cfg, cfg)));
                    inst
                }
                None => {
                    let mut inst = VirtualRouter::new(cfg, idx);
                    if down_interfaces.contains(&inst.cfg.ifname) {
                        inst.link_up = false;
                    }
                    fresh.push(idx);
                    inst
                }
            };
            self.instances.push(inst);
        }
        self.index(groups);

        // 4. Matched instances apply their parameter changes.
        for (idx, old_cfg) in &matched {
            let mut ctx = ctx!(self, now);
            if let Some(inst) = self.instances.get_mut(*idx) {
                inst.reconfigured(&mut ctx, old_cfg);
            }
            self.update_fault(now, *idx);
        }

        // 5. New instances start as at boot; new groups take their first member's state.
        self.start_instances(now, &fresh);
        for g in 0..self.groups.len() {
            if self.groups.get(g).is_some_and(|g| g.state == State::Init) {
                self.start_group(g);
            }
        }
    }
}

impl VirtualRouter {
    /// Removal by a reload (docs/keepalived-compat.md#reload): priority 0 and address removal from a MASTER, then
    /// `FAULT` (or `DELETED` with `notify_deleted`). All timers stop.
    fn remove(&mut self, ctx: &mut Ctx) {
        if self.state == State::Master {
            self.send_advert(ctx, 0);
            self.del_vips(ctx);
            self.counters.release_master += 1;
        }
        ctx.timers.stop_all(self.idx);
        self.state = State::Stopped;
        let event = if self.cfg.notify_deleted {
            NotifyEvent::Deleted
        } else {
            NotifyEvent::Fault
        };
        self.notify(ctx, event);
    }

    /// Applies the difference between `old` and the new `self.cfg` to a matched instance.
    /// Emits nothing when nothing that matters changed.
    fn reconfigured(&mut self, ctx: &mut Ctx, old: &InstanceSettings) {
        self.derive();
        if self.cfg.old_unicast_checksum != old.old_unicast_checksum {
            self.old_checksum = self.cfg.old_unicast_checksum == OldUnicastChecksum::Always;
        }
        // advert_int: a v3 backup keeps an interval learned from its master.
        if self.cfg.advert_int != old.advert_int
            && (self.cfg.version == Version::V2
                || self.state == State::Master
                || self.master_adver_int == old.advert_int)
        {
            self.master_adver_int = self.cfg.advert_int;
        }
        if self.cfg.preempt_delay.0 == 0 || !self.cfg.preempt {
            self.cancel_preempt_delay(ctx);
        }
        if self.cfg.priority != old.priority {
            self.owner_conflict = false;
        }
        // A master handing over sends no GARP (instance/handover.rs).
        if self.state == State::Master && !self.handing_over() {
            let refresh = self.cfg.garp.master_refresh;
            if refresh != old.garp.master_refresh {
                if refresh.0 > 0 {
                    ctx.arm(self.idx, Timer::GarpRefresh, refresh.to_duration());
                } else {
                    ctx.timers.stop(self.idx, Timer::GarpRefresh);
                }
            }
        }
        if self.vips_held {
            self.apply_address_diff(ctx, old);
        }
        if self.state != State::Stopped {
            self.recompute_priority(ctx);
        }
    }

    /// A MASTER's address/route/rule changes: removals (rules, routes, addresses), then
    /// additions (addresses, routes, rules), then one burst for the new addresses only.
    fn apply_address_diff(&mut self, ctx: &mut Ctx, old: &InstanceSettings) {
        let name = self.cfg.name.clone();
        let old_addrs: Vec<&VipSpec> = old.vips.iter().chain(old.excluded_vips.iter()).collect();
        let new_addrs: Vec<VipSpec> = self.all_vips().cloned().collect();
        for spec in old.rules.iter().filter(|r| !self.cfg.rules.contains(r)) {
            ctx.out.push_back(Action::DelRule {
                instance: name.clone(),
                spec: spec.clone(),
            });
        }
        for spec in old.routes.iter().filter(|r| !self.cfg.routes.contains(r)) {
            ctx.out.push_back(Action::DelRoute {
                instance: name.clone(),
                spec: spec.clone(),
            });
        }
        for vip in old_addrs.iter().filter(|v| !new_addrs.contains(v)) {
            ctx.out.push_back(Action::DelVip {
                instance: name.clone(),
                vip: (*vip).clone(),
            });
        }
        let added: Vec<VipSpec> = new_addrs
            .iter()
            .filter(|v| !old_addrs.contains(v))
            .cloned()
            .collect();
        for vip in &added {
            ctx.out.push_back(Action::AddVip {
                instance: name.clone(),
                vip: vip.clone(),
            });
        }
        for spec in self.cfg.routes.iter().filter(|r| !old.routes.contains(r)) {
            ctx.out.push_back(Action::AddRoute {
                instance: name.clone(),
                spec: spec.clone(),
            });
        }
        for spec in self.cfg.rules.iter().filter(|r| !old.rules.contains(r)) {
            ctx.out.push_back(Action::AddRule {
                instance: name.clone(),
                spec: spec.clone(),
            });
        }
        if added.is_empty() {
            return;
        }
        for vip in &added {
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
        for _ in 0..self.cfg.garp.master_repeat {
            for vip in &added {
                ctx.out.push_back(self.garp_action(&vip.ifname, vip.addr));
            }
        }
    }
}
