//! State entries (called by the router, which coordinates sync groups) and timer expiry
//! (docs/keepalived-compat.md#state-machine).

use std::time::Instant;

use super::{Ctx, Transition, VirtualRouter};
use crate::proto::action::{LogLevel, NotifyEvent};
use crate::proto::state::State;
use crate::proto::timer::Timer;

impl VirtualRouter {
    pub(super) fn arm_master_down(&self, ctx: &mut Ctx) {
        ctx.arm(self.idx, Timer::MasterDown, self.master_down_interval());
    }

    pub(super) fn stop_master_timers(&self, ctx: &mut Ctx) {
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
        self.record_transition(ctx, State::Master);
        // AH: a counter that reached its ceiling starts again (keepalived's
        // vrrp_state_goto_master).
        self.ah_seq.on_become_master();
        self.clear_handover(ctx);
        self.state = State::Master;
        self.wants_master_now = false;
        self.master_adver_int = self.cfg.advert_int;
        self.master_addr = Some(self.cfg.src);
        self.master_priority = self.effective;
        ctx.timers.stop(self.idx, Timer::MasterDown);
        self.cancel_preempt_delay(ctx);
        self.send_advert(ctx, self.effective);
        self.add_vips(ctx);
        self.start_master_garps(ctx);
        // RFC 5798 §6.4.1 / §6.4.2: "Set the Adver_Timer to Advertisement_Interval".
        ctx.arm(self.idx, Timer::Advert, self.cfg.advert_int.to_duration());
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
        self.clear_handover(ctx);
        if self.state == State::Master {
            self.stop_master_timers(ctx);
            self.del_vips(ctx);
            self.counters.release_master += 1;
        }
        self.record_transition(ctx, State::Backup);
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
        self.clear_handover(ctx);
        if self.state == State::Master {
            self.send_advert(ctx, 0);
            self.del_vips(ctx);
            self.counters.release_master += 1;
        }
        self.record_transition(ctx, State::Fault);
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
        self.clear_handover(ctx);
        if self.state == State::Master && release {
            self.send_advert(ctx, 0);
            self.del_vips(ctx);
        }
        self.record_transition(ctx, State::Stopped);
        self.state = State::Stopped;
        ctx.timers.stop_all(self.idx);
        self.notify(ctx, NotifyEvent::Stop);
    }

    /// A timer of this instance expired; `due` is the deadline it was set for (the caller
    /// may be late: a real timer wakes up after its deadline).
    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: Timer, due: Instant) -> Option<Transition> {
        match (self.state, timer) {
            (State::Master, Timer::Advert) => {
                self.send_advert(ctx, self.effective);
                // RFC 5798 §6.4.3: "If the Adver_Timer fires", send an advert and reset the
                // timer to Advertisement_Interval. Re-arm from the
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
            (State::Master, Timer::HandOver) if self.handing_over() => {
                self.handover_expired(ctx);
                Some(Transition::HandedOver)
            }
            (State::Backup, Timer::MasterDown) if self.drained => {
                // Drained by an operator: stay BACKUP whatever the master does; watch again.
                self.pending_reason = None;
                self.arm_master_down(ctx);
                None
            }
            (State::Backup, Timer::MasterDown) => {
                // RFC 5798 §6.4.2: "If the Master_Down_Timer fires", send an advert, GARP/NA
                // and "Transition to the {Master} state" (the router applies it, through
                // `enter_master`, which does all three).
                self.log(ctx, LogLevel::Detail, "Receive advertisement timeout");
                Some(Transition::ToMaster)
            }
            (State::Backup, Timer::PreemptDelay) => {
                self.preempt_expired = true;
                None
            }
            (
                State::Master,
                t @ (Timer::GarpMasterDelay | Timer::GarpLowerPrio | Timer::GarpRefresh),
            ) => {
                self.on_garp_timer(ctx, t);
                None
            }
            _ => None,
        }
    }
}
