//! Timers as data (quinn-proto `TimerTable` style): one `Option<Instant>` per
//! (instance, [`Timer`]), plus an ordered index so the next deadline and the expired timers
//! are found in O(log n) whatever the number of instances.

use std::collections::BTreeSet;
use std::time::Instant;

/// The per-instance timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// MASTER: send the next periodic advert.
    Advert,
    /// BACKUP: Master_Down_Interval (or Skew_Time after priority 0) since the last
    /// accepted advert.
    MasterDown,
    /// BACKUP with `preempt_delay`: the delay since the first lower-priority advert.
    PreemptDelay,
    /// MASTER: the second GARP/NA burst, `garp_master_delay` after becoming MASTER.
    GarpMasterDelay,
    /// MASTER: the second burst after a lower-priority advert (`garp_lower_prio_delay`).
    GarpLowerPrio,
    /// MASTER: periodic refresh (`garp_master_refresh`).
    GarpRefresh,
    /// MASTER handing over (drain, stop): the latest moment the VIPs are released when no
    /// new master has been heard (`instance/handover.rs`).
    HandOver,
}

pub const TIMER_COUNT: usize = 7;

impl Timer {
    pub const ALL: [Timer; TIMER_COUNT] = [
        Timer::Advert,
        Timer::MasterDown,
        Timer::PreemptDelay,
        Timer::GarpMasterDelay,
        Timer::GarpLowerPrio,
        Timer::GarpRefresh,
        Timer::HandOver,
    ];

    fn slot(self) -> usize {
        self as usize
    }
}

/// The longest delay ever armed (far beyond any VRRP interval): keeps `now + d` from
/// overflowing, which would otherwise fall back to `now` and fire in a loop.
pub const MAX_DELAY: std::time::Duration = std::time::Duration::from_secs(100 * 86_400);

/// `now + d` with `d` capped at [`MAX_DELAY`]; never earlier than `now`.
pub fn deadline(now: Instant, d: std::time::Duration) -> Instant {
    now.checked_add(d.min(MAX_DELAY)).unwrap_or(now)
}

/// All timers of all instances.
#[derive(Debug, Default)]
pub struct TimerTable {
    slots: Vec<[Option<Instant>; TIMER_COUNT]>,
    order: BTreeSet<(Instant, usize, Timer)>,
}

impl TimerTable {
    pub fn new(instances: usize) -> TimerTable {
        TimerTable {
            slots: vec![[None; TIMER_COUNT]; instances],
            order: BTreeSet::new(),
        }
    }

    pub fn get(&self, instance: usize, timer: Timer) -> Option<Instant> {
        self.slots
            .get(instance)
            .and_then(|s| s.get(timer.slot()).copied().flatten())
    }

    /// Arms (or re-arms) a timer.
    pub fn set(&mut self, instance: usize, timer: Timer, at: Instant) {
        self.stop(instance, timer);
        if let Some(slot) = self
            .slots
            .get_mut(instance)
            .and_then(|s| s.get_mut(timer.slot()))
        {
            *slot = Some(at);
            self.order.insert((at, instance, timer));
        }
    }

    pub fn stop(&mut self, instance: usize, timer: Timer) {
        if let Some(slot) = self
            .slots
            .get_mut(instance)
            .and_then(|s| s.get_mut(timer.slot()))
        {
            if let Some(old) = slot.take() {
                self.order.remove(&(old, instance, timer));
            }
        }
    }

    pub fn stop_all(&mut self, instance: usize) {
        for t in Timer::ALL {
            self.stop(instance, t);
        }
    }

    pub fn clear(&mut self) {
        for s in &mut self.slots {
            *s = [None; TIMER_COUNT];
        }
        self.order.clear();
    }

    /// The earliest armed deadline.
    pub fn next(&self) -> Option<Instant> {
        self.order.first().map(|(at, _, _)| *at)
    }

    /// Removes and returns the earliest timer due at or before `now`.
    /// The earliest timer due at `now`, removed, with the deadline it was set for.
    pub fn pop_expired(&mut self, now: Instant) -> Option<(usize, Timer, Instant)> {
        let &(at, instance, timer) = self.order.first()?;
        if at > now {
            return None;
        }
        self.stop(instance, timer);
        Some((instance, timer, at))
    }
}
