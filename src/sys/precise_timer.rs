//! The protocol loop's wake-up at the deadline itself (README "Real-time under load").
//!
//! tokio's timer wheel has a resolution of one millisecond and rounds every deadline up to
//! the next tick, so a due advert leaves 0–1 ms late; at `advert_int 0.01` that is a tenth of
//! the interval, and it adds to a backup's master-down timer on every crash failover. A
//! timerfd on CLOCK_MONOTONIC (the clock of `std::time::Instant` on Linux) fires within the
//! thread's timer slack instead: 50 µs by default, none for a SCHED_RR thread
//! (`vrrp_rt_priority`). keepalived 2.2.7 sleeps in epoll with a timerfd as well.
//!
//! Only the daemon's real shell uses it; the loop's tests run on tokio's paused clock and use
//! tokio's sleep.

use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::{Duration, Instant};

use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use tokio::io::unix::AsyncFd;

/// `AsyncFd` wants `AsRawFd`; nix's `TimerFd` offers `AsFd`.
#[derive(Debug)]
struct Fd(TimerFd);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

/// A one-shot timer the loop re-arms before each sleep.
#[derive(Debug)]
pub struct PreciseTimer {
    fd: AsyncFd<Fd>,
}

impl PreciseTimer {
    /// A non-blocking, close-on-exec timerfd registered with the runtime.
    pub fn new() -> std::io::Result<PreciseTimer> {
        let fd = TimerFd::new(
            ClockId::CLOCK_MONOTONIC,
            TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
        )?;
        // SAFETY: `Fd` owns the timerfd and always returns that descriptor; it is closed only
        // when the `AsyncFd` (its only owner) drops it.
        let fd = unsafe { AsyncFd::register_with_interest(Fd(fd), tokio::io::Interest::READABLE) }
            .map_err(|e| e.into_parts().1)?;
        Ok(PreciseTimer { fd })
    }

    /// Returns at `deadline` (at once when it has passed). Cancel-safe: a sleep dropped
    /// before it fires leaves at most a stale expiry, which the next sleep's re-arm clears
    /// (timerfd_settime resets the expiry count) and a read that would block ignores.
    pub async fn sleep_until(&self, deadline: Instant) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        // A zero `it_value` would disarm the timer: never arm below a nanosecond.
        let when = Expiration::OneShot(TimeSpec::from_duration(left.max(Duration::from_nanos(1))));
        if self
            .fd
            .get_ref()
            .0
            .set(when, TimerSetTimeFlags::empty())
            .is_err()
        {
            // Cannot happen with a valid timerfd; the coarse timer still wakes the loop.
            return coarse_sleep_until(deadline).await;
        }
        loop {
            let Ok(mut ready) = self.fd.readable().await else {
                return coarse_sleep_until(deadline).await;
            };
            let mut count = [0u8; 8];
            match ready.try_io(|fd| {
                nix::unistd::read(fd.get_ref().0.as_fd(), &mut count).map_err(std::io::Error::from)
            }) {
                // The expiry of this arming (or a stale one: the loop checks the clock anyway).
                Ok(_) => return,
                // Readiness was stale; `try_io` cleared it.
                Err(_would_block) => continue,
            }
        }
    }
}

/// tokio's millisecond timer (on its paused clock in tests).
pub async fn coarse_sleep_until(deadline: Instant) {
    tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn wakes_at_the_deadline_not_the_next_millisecond() {
        let t = PreciseTimer::new().expect("timerfd");
        let mut worst = Duration::ZERO;
        for _ in 0..20 {
            let deadline = Instant::now() + Duration::from_micros(2_300);
            t.sleep_until(deadline).await;
            let now = Instant::now();
            assert!(now >= deadline, "woke {:?} early", deadline - now);
            worst = worst.max(now - deadline);
        }
        // Generous: a loaded CI machine may schedule late, but never a whole tick every time.
        assert!(
            worst < Duration::from_millis(200),
            "worst lateness {worst:?}"
        );
    }

    #[tokio::test]
    async fn a_past_deadline_returns_at_once_and_a_dropped_sleep_does_not_leak() {
        let t = PreciseTimer::new().expect("timerfd");
        t.sleep_until(Instant::now() - Duration::from_millis(1))
            .await;
        // Dropped before it fires: the stale expiry must not end the next sleep early.
        let _ = tokio::time::timeout(
            Duration::from_micros(100),
            t.sleep_until(Instant::now() + Duration::from_millis(1)),
        )
        .await;
        std::thread::sleep(Duration::from_millis(2));
        let deadline = Instant::now() + Duration::from_millis(5);
        t.sleep_until(deadline).await;
        assert!(Instant::now() >= deadline);
    }
}
