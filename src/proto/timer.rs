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
    /// The [`Timer::Advert`] entries of `order` again, so the earliest due advert is found in
    /// O(log n) when many timers are due at once ([`TimerTable::pop_expired`]).
    adverts: BTreeSet<(Instant, usize)>,
}

impl TimerTable {
    pub fn new(instances: usize) -> TimerTable {
        TimerTable {
            slots: vec![[None; TIMER_COUNT]; instances],
            order: BTreeSet::new(),
            adverts: BTreeSet::new(),
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
            if timer == Timer::Advert {
                self.adverts.insert((at, instance));
            }
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
                if timer == Timer::Advert {
                    self.adverts.remove(&(old, instance));
                }
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
        self.adverts.clear();
    }

    /// The earliest armed deadline.
    pub fn next(&self) -> Option<Instant> {
        self.order.first().map(|(at, _, _)| *at)
    }

    /// A timer due at `now`, removed, with the deadline it was set for: the earliest due
    /// advert if any is due, else the earliest due timer. Why adverts first: when many timers
    /// are due at once (1,000 backups reaching master-down together, docs/keepalived-compat.md#timers-and-start-up),
    /// handling them takes milliseconds while a master's next advert falls due; the peer
    /// only sees adverts, and sending one costs little and changes no other instance.
    pub fn pop_expired(&mut self, now: Instant) -> Option<(usize, Timer, Instant)> {
        if let Some(&(at, instance)) = self.adverts.first().filter(|(at, _)| *at <= now) {
            self.stop(instance, Timer::Advert);
            return Some((instance, Timer::Advert, at));
        }
        let &(at, instance, timer) = self.order.first()?;
        if at > now {
            return None;
        }
        self.stop(instance, timer);
        Some((instance, timer, at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn due_adverts_come_out_before_earlier_due_timers_of_other_kinds() {
        let t0 = crate::test_epoch();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut t = TimerTable::new(4);
        t.set(0, Timer::MasterDown, ms(1));
        t.set(1, Timer::MasterDown, ms(2));
        t.set(2, Timer::Advert, ms(5));
        t.set(3, Timer::Advert, ms(9));
        assert_eq!(t.next(), Some(ms(1)));
        // At 6 ms: the due advert first, then the rest in deadline order; the advert due at
        // 9 ms is not due yet.
        assert_eq!(t.pop_expired(ms(6)), Some((2, Timer::Advert, ms(5))));
        assert_eq!(t.pop_expired(ms(6)), Some((0, Timer::MasterDown, ms(1))));
        assert_eq!(t.pop_expired(ms(6)), Some((1, Timer::MasterDown, ms(2))));
        assert_eq!(t.pop_expired(ms(6)), None);
        assert_eq!(t.next(), Some(ms(9)));
    }

    #[test]
    fn a_stopped_or_re_armed_advert_leaves_no_stale_entry() {
        let t0 = crate::test_epoch();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut t = TimerTable::new(2);
        t.set(0, Timer::Advert, ms(1));
        t.set(0, Timer::Advert, ms(20));
        t.set(1, Timer::Advert, ms(2));
        t.stop(1, Timer::Advert);
        t.set(1, Timer::MasterDown, ms(3));
        assert_eq!(t.pop_expired(ms(10)), Some((1, Timer::MasterDown, ms(3))));
        assert_eq!(t.pop_expired(ms(10)), None);
        assert_eq!(t.pop_expired(ms(20)), Some((0, Timer::Advert, ms(20))));
        t.set(1, Timer::Advert, ms(30));
        t.clear();
        assert_eq!((t.next(), t.pop_expired(ms(40))), (None, None));
    }
}
