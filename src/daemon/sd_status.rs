//! systemd's watchdog and `STATUS=` line, driven by the main loop (issue 10, "systemd";
//! docs/keepalived-compat.md#processes-and-systemd).
//!
//! * `WATCHDOG=1` goes out from the loop itself, at half the interval systemd asked for
//!   (`WATCHDOG_USEC`): the loop checks [`Liveness::due`] after every wake-up and sleeps no
//!   longer than it, so a loop that hangs (a stuck await, a busy loop) stops the pings and
//!   systemd kills and restarts the daemon, which is the point of the watchdog.
//! * `STATUS=` is a one-line summary (`VI_1 MASTER prio 150, VI_2 BACKUP prio 100`, or counts
//!   such as `3 MASTER, 997 BACKUP` past [`MAX_LISTED`] instances), with `; last reload
//!   failed` while the running configuration is not the file's. It is rebuilt only when
//!   something happened (a transition, a tracker change, a reload: the `observe` happenings),
//!   so an idle daemon with many instances takes no snapshot per advert, and at most once per
//!   [`STATUS_GAP`], so a mass failover costs one summary, not one per instance.

use std::time::{Duration, Instant};

use tokio::sync::broadcast;

use super::observe::Happening;
use super::Sys;
use crate::proto::{Snapshot, State};

/// Up to this many instances `STATUS=` names each one; beyond, it counts them by state.
pub const MAX_LISTED: usize = 5;
/// At most one `STATUS=` per this long: a mass failover of many instances makes one
/// summary, not one per transition (each summary walks every instance).
pub const STATUS_GAP: Duration = Duration::from_millis(100);

/// The loop's side of the watchdog and the status line.
#[derive(Debug)]
pub struct Liveness {
    /// Half of `WATCHDOG_USEC`; `None` without a watchdog.
    period: Option<Duration>,
    next_ping: Option<Instant>,
    happenings: broadcast::Receiver<Happening>,
    /// The last `STATUS=` sent, so an unchanged line is not sent again.
    last: Option<String>,
    /// Something happened that the last `STATUS=` does not show yet, and when that was sent.
    dirty: bool,
    sent_at: Option<Instant>,
}

impl Liveness {
    /// `watchdog`: the interval systemd expects pings within. The first ping is due at once.
    pub fn new(
        watchdog: Option<Duration>,
        happenings: broadcast::Receiver<Happening>,
        now: Instant,
    ) -> Liveness {
        let period = watchdog.map(|w| (w / 2).max(Duration::from_millis(1)));
        Liveness {
            period,
            next_ping: period.map(|_| now),
            happenings,
            last: None,
            dirty: true,
            sent_at: None,
        }
    }

    /// When the loop must wake up next: the next `WATCHDOG=1`, or a `STATUS=` held back by
    /// [`STATUS_GAP`].
    pub fn due(&self) -> Option<Instant> {
        let status = match (self.dirty, self.sent_at) {
            (true, Some(at)) => Some(at + STATUS_GAP),
            _ => None,
        };
        match (self.next_ping, status) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Sends `WATCHDOG=1` when due (the next one half an interval later) and `STATUS=` when
    /// something happened since the last call; `picture` is asked only then.
    pub fn after_wake<S: Sys>(
        &mut self,
        sys: &mut S,
        now: Instant,
        picture: impl FnOnce() -> (Snapshot, bool),
    ) {
        if let (Some(due), Some(period)) = (self.next_ping, self.period) {
            if due <= now {
                sys.watchdog_ping();
                self.next_ping = Some(now + period);
            }
        }
        if self.drain_happenings() {
            self.dirty = true;
        }
        if !self.dirty || self.sent_at.is_some_and(|at| now < at + STATUS_GAP) {
            return;
        }
        self.dirty = false;
        self.sent_at = Some(now);
        let (snap, reload_failed) = picture();
        let line = summary(&snap, reload_failed);
        if self.last.as_deref() != Some(line.as_str()) {
            sys.status(&line);
            self.last = Some(line);
        }
    }

    /// Whether anything happened since the last call (a listener that fell behind counts).
    fn drain_happenings(&mut self) -> bool {
        let mut any = false;
        loop {
            match self.happenings.try_recv() {
                Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) => any = true,
                Err(_) => return any,
            }
        }
    }
}

/// The `STATUS=` text: each instance's state and effective priority, or counts by state past
/// [`MAX_LISTED`] instances; `; last reload failed` when the last reload was refused.
pub fn summary(snap: &Snapshot, reload_failed: bool) -> String {
    let mut s = if snap.instances.is_empty() {
        "no VRRP instances".to_string()
    } else if snap.instances.len() <= MAX_LISTED {
        snap.instances
            .iter()
            .map(|i| {
                format!(
                    "{} {} prio {}",
                    i.name,
                    i.state.word(),
                    i.effective_priority
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        [
            State::Master,
            State::Backup,
            State::Fault,
            State::Init,
            State::Stopped,
        ]
        .iter()
        .filter_map(|st| {
            let n = snap.instances.iter().filter(|i| i.state == *st).count();
            (n > 0).then(|| format!("{n} {}", st.word()))
        })
        .collect::<Vec<_>>()
        .join(", ")
    };
    if reload_failed {
        s.push_str("; last reload failed");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{InstanceSettings, Router, RouterSettings};

    fn snapshot(n: usize) -> Snapshot {
        let list = (0..n)
            .map(|k| {
                let vrid = u8::try_from(k + 1).unwrap_or(1);
                InstanceSettings::backup(&format!("VI_{}", k + 1), vrid).priority(100)
            })
            .collect();
        Router::new(RouterSettings::new(list), Instant::now()).snapshot()
    }

    #[test]
    fn few_instances_are_named_many_are_counted() {
        let mut snap = snapshot(2);
        snap.instances[0].state = State::Master;
        snap.instances[0].effective_priority = 150;
        assert_eq!(
            summary(&snap, false),
            "VI_1 MASTER prio 150, VI_2 BACKUP prio 100"
        );
        assert_eq!(
            summary(&snap, true),
            "VI_1 MASTER prio 150, VI_2 BACKUP prio 100; last reload failed"
        );
        let mut many = snapshot(8);
        for i in many.instances.iter_mut().take(3) {
            i.state = State::Master;
        }
        assert_eq!(summary(&many, false), "3 MASTER, 5 BACKUP");
        assert_eq!(summary(&snapshot(0), false), "no VRRP instances");
    }

    /// A recording `Sys` for the watchdog alone (everything else unreachable here).
    #[derive(Default)]
    struct Pings(Vec<String>);

    impl Sys for Pings {
        async fn send_advert(
            &mut self,
            _: u32,
            _: &crate::wire::Ipv4Repr,
            _: &[u8],
        ) -> Result<(), crate::sys::SysError> {
            Ok(())
        }
        async fn send_advert6(
            &mut self,
            _: u32,
            _: std::net::Ipv6Addr,
            _: std::net::Ipv6Addr,
            _: u8,
            _: &[u8],
        ) -> Result<(), crate::sys::SysError> {
            Ok(())
        }
        async fn add_vip(
            &mut self,
            _: &crate::sys::netlink::Vip,
        ) -> Result<crate::sys::netlink::Added, crate::sys::SysError> {
            Err(crate::sys::SysError::NoSuchInterface {
                name: "unused".into(),
            })
        }
        async fn del_vip(
            &mut self,
            _: &crate::sys::netlink::Vip,
        ) -> Result<crate::sys::netlink::Removed, crate::sys::SysError> {
            Err(crate::sys::SysError::NoSuchInterface {
                name: "unused".into(),
            })
        }
        async fn route(
            &mut self,
            _: bool,
            _: &crate::proto::RouteSpec,
            _: Option<u32>,
        ) -> Result<(), crate::sys::SysError> {
            Ok(())
        }
        async fn rule(
            &mut self,
            _: bool,
            _: &crate::proto::RuleSpec,
        ) -> Result<(), crate::sys::SysError> {
            Ok(())
        }
        fn send_frame(&mut self, _: u32, _: &[u8]) -> Result<(), crate::sys::SysError> {
            Ok(())
        }
        fn sync_sockets(&mut self, _: &RouterSettings) -> Result<(), crate::sys::SysError> {
            Ok(())
        }
        fn systemd(&mut self, _: super::super::SdState) {}
        fn watchdog_ping(&mut self) {
            self.0.push("WATCHDOG=1".into());
        }
        fn status(&mut self, text: &str) {
            self.0.push(format!("STATUS={text}"));
        }
    }

    #[test]
    fn pings_at_half_the_interval_and_status_only_on_change() {
        let t0 = Instant::now();
        let (tx, rx) = broadcast::channel(8);
        let mut live = Liveness::new(Some(Duration::from_millis(400)), rx, t0);
        let mut sys = Pings::default();
        let pic = || (snapshot(1), false);
        live.after_wake(&mut sys, t0, pic);
        assert_eq!(sys.0, ["WATCHDOG=1", "STATUS=VI_1 BACKUP prio 100"]);
        assert_eq!(live.due(), Some(t0 + Duration::from_millis(200)));
        // Woken early, nothing happened: nothing sent.
        live.after_wake(&mut sys, t0 + Duration::from_millis(100), pic);
        assert_eq!(sys.0.len(), 2);
        // Due, and a transition happened, but the line is the same: only the ping.
        let _ = tx.send(Happening::Tracker { line: "x".into() });
        live.after_wake(&mut sys, t0 + Duration::from_millis(200), pic);
        assert_eq!(sys.0.len(), 3);
        let _ = tx.send(Happening::Tracker { line: "y".into() });
        live.after_wake(&mut sys, t0 + Duration::from_millis(300), || {
            (snapshot(1), true)
        });
        assert_eq!(
            sys.0.last().map(String::as_str),
            Some("STATUS=VI_1 BACKUP prio 100; last reload failed")
        );
        // A change right after a STATUS= waits STATUS_GAP, and the loop is told when.
        let _ = tx.send(Happening::Tracker { line: "z".into() });
        let t1 = t0 + Duration::from_millis(360);
        live.after_wake(&mut sys, t1, || (snapshot(2), false));
        assert_eq!(sys.0.len(), 4);
        assert_eq!(live.due(), Some(t0 + Duration::from_millis(400)));
        live.after_wake(&mut sys, t0 + Duration::from_millis(400), || {
            (snapshot(2), false)
        });
        assert_eq!(
            sys.0.last().map(String::as_str),
            Some("STATUS=VI_1 BACKUP prio 100, VI_2 BACKUP prio 100")
        );
        // No watchdog: never due.
        let (_tx, rx) = broadcast::channel(8);
        assert_eq!(Liveness::new(None, rx, t0).due(), None);
    }
}
