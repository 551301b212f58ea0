//! A valid advert (all checks of docs/keepalived-compat.md#receive-checks passed) in BACKUP
//! and in MASTER (docs/keepalived-compat.md#state-machine, RFC 5798 §6.4.2 and §6.4.3).

use std::cmp::Ordering;
use std::net::IpAddr;
use std::time::Instant;

use super::{Ctx, Transition, VirtualRouter};
use crate::proto::action::{LogLevel, NotifyEvent};
use crate::proto::settings::Centisecs;
use crate::proto::state::State;
use crate::proto::timer::{deadline, Timer};
use crate::proto::transition::TransitionReason;
use crate::wire::{Advert, Version};

/// What a lower-priority advert may cause at most once per advert interval.
#[derive(Clone, Copy)]
enum Lower {
    /// MASTER: the answer (advert, GARP burst, notification).
    Answer,
    /// BACKUP: the log line.
    Log,
}

impl VirtualRouter {
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

    /// A valid advert (all checks of docs/keepalived-compat.md#receive-checks passed).
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
            self.pending_reason = Some(TransitionReason::PriorityZero);
            return;
        }
        let has_delay = self.cfg.preempt_delay.0 > 0;
        let delay_running = ctx.timers.get(self.idx, Timer::PreemptDelay).is_some();
        // RFC 5798 §6.4.2: "If Preempt_Mode is False, or if the Priority in the ADVERTISEMENT
        // is greater than or equal to the local Priority", follow that master: learn its
        // interval and reset Master_Down_Timer to Master_Down_Interval. keepalived's
        // preempt_delay holds preemption off the same way until it has run out.
        // A drained instance never takes over (README "Control"), so it follows whichever
        // master it hears, as a non-preempting backup does: it knows who took over from it.
        if !self.cfg.preempt || self.drained || p >= e || (has_delay && !self.preempt_expired) {
            if has_delay {
                if p >= e {
                    if delay_running || self.preempt_expired {
                        self.log(ctx, LogLevel::Detail, "stop preempt delay");
                    }
                    self.cancel_preempt_delay(ctx);
                } else if self.cfg.preempt
                    && !self.drained
                    && !delay_running
                    && !self.preempt_expired
                {
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
            self.pending_reason = None;
            self.arm_master_down(ctx);
        } else {
            // RFC 5798 §6.4.2: otherwise (preemption allowed, lower priority) "Discard the
            // ADVERTISEMENT": the timer keeps running. Logged at most once
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
                    self.pending_reason = Some(TransitionReason::LowerPriority);
                }
            }
        }
    }

    /// MASTER on a valid advert (docs/keepalived-compat.md#state-machine). `cmp` compares the sender with our source address
    /// as unsigned integers (IpAddr's order within one family is exactly that).
    fn master_rx(&mut self, ctx: &mut Ctx, src: IpAddr, adv: &Advert) -> Option<Transition> {
        if self.handing_over() {
            // The successor's advert starts the linger; its timer ends the hand-over.
            self.handover_rx(ctx, src, adv);
            return None;
        }
        let p = adv.priority;
        if p == 0 {
            // RFC 5798 §6.4.3: priority 0 ⇒ "Send an ADVERTISEMENT" (so the backups see a
            // master at once). vrrpd leaves the running Adver_Timer as it is.
            self.log(ctx, LogLevel::Detail, "Master received priority 0 message");
            self.send_advert(ctx, self.effective);
            return None;
        }
        // Another router advertises as MASTER while we are MASTER (split brain, or the
        // moment before one of us yields).
        self.counters.dual_master += 1;
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
            // AH: keepalived takes the counter to one above the lower advert's number (which
            // verified, so it was above ours), so our next advert is not a replay to it.
            let synced = self.rx_ah_seq.take().map(|seq| self.ah_seq.sync_above(seq));
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
            if synced.is_some() {
                self.log(
                    ctx,
                    LogLevel::Info,
                    "IPSEC-AH : Syncing seq_num - Increment seq",
                );
            }
            if !self.cfg.lower_prio_no_advert {
                self.send_advert(ctx, e);
            }
            self.answer_lower_prio_garps(ctx);
            self.notify(ctx, NotifyEvent::MasterRxLowerPri);
            return None;
        }
        let e = self.effective;
        // RFC 5798 §6.4.3: a higher priority, or an equal one from a greater primary address
        // (unsigned comparison in network byte order) ⇒ cancel Adver_Timer, take
        // Master_Adver_Interval from the advert (v3), and go to BACKUP (whose entry sets
        // Master_Down_Timer to Master_Down_Interval).
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
            self.ah_seq.cycle = false;
            self.master_addr = Some(src);
            self.master_priority = p;
            if self.cfg.version == Version::V3 && adv.interval_cs() > 0 {
                self.master_adver_int = Centisecs(adv.interval_cs());
            }
            return Some(Transition::ToBackup);
        }
        None
    }
}
