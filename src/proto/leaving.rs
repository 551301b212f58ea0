//! The router's side of a planned departure (docs/keepalived-compat.md#planned-hand-over): the
//! stop, and the end of an instance's make-before-break hand-over (`instance/handover.rs`),
//! with its sync group and the stop that waits for it.

use std::time::Instant;

use super::action::LogLevel;
use super::instance::Leaving;
use super::router::{ctx, Router};
use super::state::State;
use super::transition::TransitionReason;

impl Router {
    /// Graceful shutdown (docs/keepalived-compat.md#shutdown). Masters hand over (priority 0,
    /// VIPs kept until the successor is heard, at most the master-down interval or
    /// `STOP_LIMIT`); everything else stops at once with its STOP notification. Without
    /// `release` (`-V`, docs/keepalived-compat.md#removing-addresses) masters keep their VIPs
    /// and send nothing. The router is stopped (later inputs ignored) once no master is left
    /// handing over; [`Router::is_stopped`] tells the shell. A second stop while masters are
    /// handing over releases them at once (an impatient operator, a second SIGTERM).
    pub(crate) fn stop(&mut self, now: Instant, release: bool) {
        self.cause = Some(TransitionReason::Stop);
        if self.stopping {
            let waiting: Vec<usize> = self
                .instances
                .iter()
                .filter(|i| i.handing_over())
                .map(|i| i.idx)
                .collect();
            for idx in waiting {
                let mut ctx = ctx!(self, now);
                if let Some(inst) = self.instances.get_mut(idx) {
                    inst.log(
                        &mut ctx,
                        LogLevel::Info,
                        "stopping again: removing the VIPs now",
                    );
                }
                self.finish_handover(now, idx);
            }
            self.finish_stop();
            return;
        }
        self.stopping = true;
        let mut ctx = ctx!(self, now);
        for inst in &mut self.instances {
            if release && inst.state == State::Master {
                inst.begin_handover(&mut ctx, Leaving::Stop);
            } else {
                inst.stop(&mut ctx, release);
            }
        }
        self.finish_stop();
    }

    /// True once the stop is complete: every master has handed over (or waited as long as it
    /// may) and the STOP notifications are out.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Ends instance `idx`'s hand-over: its VIPs go now, then it is BACKUP (a drain; its
    /// sync group is BACKUP once no member is MASTER any more) or STOP (the stop).
    pub(crate) fn finish_handover(&mut self, now: Instant, idx: usize) {
        let mut ctx = ctx!(self, now);
        let Some(inst) = self.instances.get_mut(idx) else {
            return;
        };
        let Some(why) = inst.handover else {
            return;
        };
        inst.clear_handover(&mut ctx);
        match why {
            Leaving::Drain => {
                // Each member leaves when its own successor is heard: a member whose
                // successor is slower keeps its VIPs meanwhile (no sync to BACKUP here).
                inst.enter_backup(&mut ctx, false);
                let group = inst.group;
                if let Some(g) = group {
                    let masters = self.members(g).iter().any(|m| {
                        self.instances
                            .get(*m)
                            .is_some_and(|i| i.state == State::Master)
                    });
                    if !masters {
                        self.set_group_state(g, State::Backup);
                    }
                }
            }
            Leaving::Stop => {
                inst.del_vips(&mut ctx);
                inst.counters.release_master += 1;
                inst.stop(&mut ctx, false);
            }
        }
        self.finish_stop();
    }

    /// The stop is complete when nobody is handing over any more: group STOP notifications,
    /// all timers cleared, later inputs ignored.
    fn finish_stop(&mut self) {
        if !self.stopping || self.stopped || self.instances.iter().any(|i| i.handing_over()) {
            return;
        }
        for g in 0..self.groups.len() {
            self.set_group_state(g, State::Stopped);
        }
        self.timers.clear();
        self.stopped = true;
    }
}
