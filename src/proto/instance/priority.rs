//! The effective priority: base priority plus tracker weights
//! (docs/keepalived-compat.md#weights-and-effective-priority).

use super::{Ctx, VirtualRouter};
use crate::proto::action::LogLevel;
use crate::proto::input::TrackerState;
use crate::proto::state::State;
use crate::proto::timer::Timer;

impl VirtualRouter {
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
                // A master handing over stays silent: an advert with a priority would hold the
                // backups back (instance/handover.rs).
                if self.handover.is_none()
                    && !self.trackers.values().any(|t| *t == TrackerState::Down)
                {
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
}
