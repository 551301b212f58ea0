//! State changes that may involve a `vrrp_sync_group` (docs/keepalived-compat.md#sync-groups): start-up,
//! MASTER/BACKUP transitions and FAULT propagation. A solo instance is the degenerate case.

use std::time::Instant;

use super::action::{Action, LogLevel, NotifyEvent, NotifyTarget};
use super::instance::Transition;
use super::router::{ctx, Router};
use super::state::State;
use super::timer::{deadline, Timer};
use super::transition::TransitionReason;

impl Router {
    /// Start-up (docs/keepalived-compat.md#timers-and-start-up): owners wanting MASTER go MASTER at once; everyone else enters
    /// BACKUP `(init)` and waits the master-down interval. A group starts MASTER only when
    /// every member would; otherwise all members start BACKUP (docs/keepalived-compat.md#sync-groups).
    pub(crate) fn start(&mut self, now: Instant) {
        let all: Vec<usize> = (0..self.instances.len()).collect();
        self.start_instances(now, &all);
        for g in 0..self.groups.len() {
            self.start_group(g);
        }
    }

    /// Records a new group's state from its first member after start-up (with its notify).
    pub(crate) fn start_group(&mut self, g: usize) {
        let state = self
            .groups
            .get(g)
            .and_then(|g| g.members.first())
            .and_then(|m| self.instances.get(*m))
            .map_or(State::Backup, |i| i.state);
        self.set_group_state(g, state);
    }

    /// Starts the instances `idxs` as at boot (docs/keepalived-compat.md#timers-and-start-up), in order.
    pub(crate) fn start_instances(&mut self, now: Instant, idxs: &[usize]) {
        for &idx in idxs {
            let starting = |i: usize| {
                self.instances
                    .get(i)
                    .is_some_and(|o| o.is_starting_master())
            };
            let faulty = |i: usize| self.instances.get(i).is_some_and(|o| o.has_fault());
            let group = self.instances.get(idx).and_then(|i| i.group);
            let (master, fault) = match group.and_then(|g| self.groups.get(g)) {
                Some(g) => (
                    g.members.iter().all(|m| starting(*m)),
                    g.members.iter().any(|m| faulty(*m)),
                ),
                None => (starting(idx), faulty(idx)),
            };
            let mut ctx = ctx!(self, now);
            let Some(inst) = self.instances.get_mut(idx) else {
                continue;
            };
            if fault {
                if !inst.link_up && !inst.cfg.dont_track_primary {
                    let text = format!("entering FAULT state (interface {} down)", inst.cfg.ifname);
                    ctx.out.push_back(Action::Log {
                        level: LogLevel::Info,
                        message: format!("({}): {text}", inst.cfg.name),
                    });
                }
                inst.enter_fault(&mut ctx, true);
            } else if master {
                inst.enter_master(&mut ctx);
            } else {
                inst.enter_backup(&mut ctx, true);
            }
        }
    }

    /// Applies a transition requested by instance `idx`, syncing its group.
    pub(crate) fn apply(&mut self, now: Instant, idx: usize, t: Transition) {
        let group = self.instances.get(idx).and_then(|i| i.group);
        match t {
            Transition::ToMaster => {
                let Some(g) = group else {
                    let mut ctx = ctx!(self, now);
                    if let Some(inst) = self.instances.get_mut(idx) {
                        inst.enter_master(&mut ctx);
                    }
                    return;
                };
                if let Some(inst) = self.instances.get_mut(idx) {
                    inst.wants_master_now = true;
                }
                let members = self.members(g);
                let ready = members.iter().all(|m| {
                    self.instances
                        .get(*m)
                        .is_some_and(|o| o.state == State::Master || o.wants_master_now)
                });
                let mut ctx = ctx!(self, now);
                if !ready {
                    // docs/keepalived-compat.md#sync-groups: only become MASTER when every member wants it; wait again.
                    if let Some(inst) = self.instances.get(idx) {
                        let at = deadline(now, inst.master_down_interval());
                        ctx.timers.set(idx, Timer::MasterDown, at);
                    }
                    return;
                }
                if let Some(inst) = self.instances.get_mut(idx) {
                    inst.enter_master(&mut ctx);
                }
                self.sync_members(now, g, idx, State::Master);
            }
            Transition::HandedOver => self.finish_handover(now, idx),
            Transition::ToBackup => {
                let mut ctx = ctx!(self, now);
                if let Some(inst) = self.instances.get_mut(idx) {
                    inst.enter_backup(&mut ctx, false);
                }
                if let Some(g) = group {
                    self.sync_members(now, g, idx, State::Backup);
                }
            }
        }
    }

    pub(crate) fn members(&self, g: usize) -> Vec<usize> {
        self.groups
            .get(g)
            .map(|g| g.members.clone())
            .unwrap_or_default()
    }

    /// `VRRP_Group(G) Syncing instances to X state`, then every other member follows.
    fn sync_members(&mut self, now: Instant, g: usize, except: usize, to: State) {
        self.with_cause(TransitionReason::SyncGroup, |r| {
            r.sync_members_now(now, g, except, to)
        });
    }

    fn sync_members_now(&mut self, now: Instant, g: usize, except: usize, to: State) {
        let others: Vec<usize> = self
            .members(g)
            .into_iter()
            .filter(|m| *m != except)
            .filter(|m| {
                self.instances.get(*m).is_some_and(|i| match to {
                    State::Master => i.state == State::Backup,
                    State::Backup => i.state == State::Master,
                    State::Fault => !matches!(i.state, State::Fault | State::Stopped),
                    State::Init | State::Stopped => false,
                })
            })
            .collect();
        if !others.is_empty() {
            let name = self
                .groups
                .get(g)
                .map(|g| g.name.clone())
                .unwrap_or_default();
            self.actions.push_back(Action::Log {
                level: LogLevel::Info,
                message: format!(
                    "VRRP_Group({name}) Syncing instances to {} state",
                    to.word()
                ),
            });
        }
        let mut ctx = ctx!(self, now);
        for m in others {
            if let Some(inst) = self.instances.get_mut(m) {
                match to {
                    State::Master => inst.enter_master(&mut ctx),
                    State::Backup => inst.enter_backup(&mut ctx, false),
                    State::Fault => inst.enter_fault(&mut ctx, false),
                    State::Init | State::Stopped => {}
                }
            }
        }
        self.set_group_state(g, to);
    }

    /// Records a group state and sends the group notification (`GROUP NAME STATE 0`).
    pub(crate) fn set_group_state(&mut self, g: usize, state: State) {
        let Some(group) = self.groups.get_mut(g) else {
            return;
        };
        if group.state == state {
            return;
        }
        group.state = state;
        if let Some(event) = NotifyEvent::of_state(state) {
            self.actions.push_back(Action::Notify {
                target: NotifyTarget::Group(group.name.clone()),
                event,
                priority: 0,
            });
        }
    }

    /// Enters or leaves FAULT after a change of link, source address or tracker (docs/keepalived-compat.md#state-machine),
    /// propagating through the sync group (docs/keepalived-compat.md#sync-groups).
    pub(crate) fn update_fault(&mut self, now: Instant, idx: usize) {
        let Some(inst) = self.instances.get(idx) else {
            return;
        };
        if inst.state == State::Stopped {
            return;
        }
        match inst.group {
            None => {
                let fault = inst.has_fault();
                let mut ctx = ctx!(self, now);
                let Some(inst) = self.instances.get_mut(idx) else {
                    return;
                };
                if fault && inst.state != State::Fault {
                    inst.enter_fault(&mut ctx, false);
                } else if !fault && inst.state == State::Fault {
                    inst.prepare_leave_fault(&mut ctx);
                    if inst.is_starting_master() {
                        inst.enter_master(&mut ctx);
                    } else {
                        inst.enter_backup(&mut ctx, false);
                    }
                }
            }
            Some(g) => {
                let members = self.members(g);
                let group_fault = members
                    .iter()
                    .any(|m| self.instances.get(*m).is_some_and(|i| i.has_fault()));
                let group_state = self.groups.get(g).map_or(State::Init, |g| g.state);
                if group_fault && group_state != State::Fault {
                    // The faulty member(s) first, then the sync line and the others.
                    let mut ctx = ctx!(self, now);
                    let mut first = None;
                    for m in &members {
                        if let Some(i) = self.instances.get_mut(*m) {
                            if i.has_fault() && i.state != State::Fault {
                                i.enter_fault(&mut ctx, false);
                                first.get_or_insert(*m);
                            }
                        }
                    }
                    self.sync_members(now, g, first.unwrap_or(idx), State::Fault);
                } else if !group_fault && group_state == State::Fault {
                    // docs/keepalived-compat.md#sync-groups: members move to BACKUP together and re-elect.
                    let mut ctx = ctx!(self, now);
                    for m in &members {
                        if let Some(i) = self.instances.get_mut(*m) {
                            if i.state == State::Fault {
                                i.prepare_leave_fault(&mut ctx);
                                i.enter_backup(&mut ctx, false);
                            }
                        }
                    }
                    self.set_group_state(g, State::Backup);
                } else if group_fault {
                    // Already FAULT as a group: make sure this member is too.
                    let mut ctx = ctx!(self, now);
                    if let Some(i) = self.instances.get_mut(idx) {
                        if i.state != State::Fault {
                            i.enter_fault(&mut ctx, false);
                        }
                    }
                }
            }
        }
    }
}
