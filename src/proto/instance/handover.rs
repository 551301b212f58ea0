//! Make-before-break hand-over: how a MASTER leaves on purpose (an operator's drain, the
//! daemon's stop) without a gap a client can see (docs/keepalived-compat.md#planned-hand-over).
//!
//! keepalived leaves by sending priority 0 and removing its VIPs at once; the backups take over
//! after their Skew_Time (RFC 5798 §6.4.2), and clients hear nobody meanwhile. Here the leaving
//! master sends the same priority 0 (so a keepalived or RFC backup takes over after its skew
//! time, as usual) but keeps serving its VIPs, silent (no adverts, no GARPs, so nothing it
//! sends holds the backups back or pulls clients back), until the first advert of a new master
//! is heard; the VIPs are removed [`LINGER`] later. The new master's GARP/NA burst moves the clients:
//! Linux takes a gratuitous ARP over any entry, and ignores for `locktime` (1 s) the ordinary
//! ARP replies that follow it, so a late answer from the old node cannot pull a client back.
//!
//! The wait is bounded by the master-down interval (and, for a stop, by [`STOP_LIMIT`]), so a
//! dead or deaf peer costs a bounded delay, never a node that holds the VIPs for ever.

use std::net::IpAddr;
use std::time::Duration;

use super::{Ctx, VirtualRouter};
use crate::proto::action::LogLevel;
use crate::proto::settings::Centisecs;
use crate::proto::state::State;
use crate::proto::timer::Timer;
use crate::proto::transition::TransitionReason;
use crate::wire::{Advert, Version};

/// The longest a stop waits for a new master: systemd's default `TimeoutStopSec` is 90 s and
/// the STOP notifications take up to 1 s more; a backup that heard priority 0 takes over after
/// its skew time, at most one advert interval (at most 1 s with VRRPv2), so this bound only
/// matters with long v3 intervals or no peer.
pub const STOP_LIMIT: Duration = Duration::from_secs(10);

/// How long the VIPs stay after the successor's advert. The successor sends its advert
/// *before* it adds the VIPs and sends its GARPs (RFC 5798 §6.4.2; keepalived and vrrpd alike),
/// so removing them on the advert itself would leave the clients pointed at the old node for
/// as long as the successor takes to add its addresses and send its GARP (a netlink round
/// trip and a scheduling delay: milliseconds on a loaded machine). 50 ms covers that with a
/// wide margin. The overlap stays far inside Linux's ARP `locktime` (1 s), during which a client
/// ignores ordinary ARP replies that would undo the successor's GARP.
pub const LINGER: Duration = Duration::from_millis(50);

/// Why a master is handing over, and so where it ends up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Leaving {
    /// `vrrpd drain`: BACKUP (and drained) afterwards.
    Drain,
    /// SIGTERM: STOP afterwards.
    Stop,
}

impl VirtualRouter {
    /// True while this MASTER waits for its successor.
    pub fn handing_over(&self) -> bool {
        self.handover.is_some()
    }

    /// The longest wait for a new master (a dead peer cannot hold us longer).
    pub(crate) fn handover_limit(&self, why: Leaving) -> Duration {
        // With `use_vmac` both nodes would answer from the same virtual MAC on two switch
        // ports during the overlap, and the switch would move the MAC back and forth between
        // them (docs/vmac.md): such an instance breaks before it makes, as keepalived does
        // (priority 0, VIPs removed at once).
        if self.cfg.vmac.is_some() {
            return Duration::ZERO;
        }
        let down = self.master_down_interval();
        match why {
            Leaving::Drain => down,
            Leaving::Stop => down.min(STOP_LIMIT),
        }
    }

    /// Starts a hand-over from MASTER: one priority-0 advert (RFC 5798 §6.4.3: a master that
    /// leaves sends priority 0), then silence while the VIPs stay. A hand-over already running
    /// (a drain, then the stop) keeps its deadline and only changes where it ends.
    pub(crate) fn begin_handover(&mut self, ctx: &mut Ctx, why: Leaving) {
        if self.state != State::Master {
            return;
        }
        self.pending_reason = Some(match why {
            Leaving::Drain => TransitionReason::Drain,
            Leaving::Stop => TransitionReason::Stop,
        });
        if self.handover.is_some() {
            // Never later than it already had to end, and a stop keeps its own bound.
            let limit = crate::proto::timer::deadline(ctx.now, self.handover_limit(why));
            if let Some(at) = ctx.timers.get(self.idx, Timer::HandOver) {
                ctx.timers.set(self.idx, Timer::HandOver, at.min(limit));
            }
            self.handover = Some(why);
            return;
        }
        self.send_advert(ctx, 0);
        self.stop_master_timers(ctx);
        let limit = self.handover_limit(why);
        ctx.arm(self.idx, Timer::HandOver, limit);
        self.handover = Some(why);
        self.handover_since = Some(ctx.now);
        let text = if limit.is_zero() {
            "handing over: a vmac's VIPs go at once".to_string()
        } else {
            format!(
                "handing over: keeping the VIPs until a new master is heard (at most {})",
                millis(limit)
            )
        };
        self.log(ctx, LogLevel::Info, &text);
    }

    /// A valid advert while handing over: any other router advertising a real priority is the
    /// new master (the backup that took over after our priority 0, or one with a higher
    /// priority), so the VIPs can go. Priority 0 (someone else leaving too) and our own
    /// address change nothing; above all, a lower priority is never answered, or the old
    /// master would take the VIPs back from its successor.
    /// The VIPs go [`LINGER`] later (the hand-over timer, then `Transition::HandedOver`).
    pub(super) fn handover_rx(&mut self, ctx: &mut Ctx, src: IpAddr, adv: &Advert) {
        // Priority 0, our own address, or the successor's later adverts during the linger.
        if adv.priority == 0 || src == self.cfg.src || self.successor_heard {
            return;
        }
        self.master_addr = Some(src);
        self.master_priority = adv.priority;
        if self.cfg.version == Version::V3 && adv.interval_cs() > 0 {
            self.master_adver_int = Centisecs(adv.interval_cs());
        }
        let after = self
            .handover_since
            .map(|t| ctx.now.saturating_duration_since(t))
            .unwrap_or_default();
        let text = format!(
            "new master {src} (priority {}) heard after {}: removing the VIPs in {}",
            adv.priority,
            millis(after),
            millis(LINGER)
        );
        self.log(ctx, LogLevel::Info, &text);
        self.successor_heard = true;
        ctx.arm(self.idx, Timer::HandOver, LINGER);
    }

    /// The hand-over timer ran out: after the linger (the successor was heard), or at the
    /// bound with nobody taking over; the VIPs go anyway then (as keepalived's stop).
    pub(super) fn handover_expired(&mut self, ctx: &mut Ctx) {
        if self.successor_heard {
            return;
        }
        let limit = self
            .handover
            .map(|why| self.handover_limit(why))
            .unwrap_or_default();
        let text = format!(
            "no new master heard within {}: removing the VIPs",
            millis(limit)
        );
        self.log(ctx, LogLevel::Warning, &text);
    }

    /// Undrained while handing over: the operator changed their mind; stay MASTER and
    /// advertise at once, so a backup that heard our priority 0 follows us again (RFC 5798
    /// §6.4.2: an advert of higher or equal priority resets its Master_Down_Timer).
    pub(crate) fn cancel_handover(&mut self, ctx: &mut Ctx) {
        if self.handover != Some(Leaving::Drain) {
            return;
        }
        self.clear_handover(ctx);
        self.pending_reason = None;
        self.log(
            ctx,
            LogLevel::Info,
            "undrained during the hand-over: staying MASTER",
        );
        self.send_advert(ctx, self.effective);
        ctx.arm(self.idx, Timer::Advert, self.cfg.advert_int.to_duration());
        // A backup may have taken over already (its advert not heard yet): our priority makes
        // it yield (RFC 5798 §6.4.3), and the GARPs bring back the clients it moved, as when
        // becoming MASTER.
        self.start_master_garps(ctx);
    }

    /// Forgets the hand-over (the state entry that ends it removes the VIPs).
    pub(crate) fn clear_handover(&mut self, ctx: &mut Ctx) {
        self.handover = None;
        self.handover_since = None;
        self.successor_heard = false;
        ctx.timers.stop(self.idx, Timer::HandOver);
    }
}

/// `612 ms`, `3.61 s`.
fn millis(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}
