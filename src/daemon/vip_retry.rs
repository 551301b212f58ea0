//! VIPs the kernel refused for a reason that can pass (an interface being reconfigured, no
//! buffer space, a busy device): retried with a doubling delay, 100 ms up to 5 s, for as long
//! as the core still wants them. keepalived logs a refused address and carries on without it;
//! vrrpd used to exit, which left no master at all when the node had just taken over. Only a
//! refusal no retry can fix (missing privileges, a request the kernel calls malformed) still
//! ends the daemon (exec.rs).
//!
//! The loop sleeps until the earlier of the node's deadline and [`VipRetries::due`]
//! (daemon/mod.rs), then lets `Exec::retry_vips` try the due ones again. A retry is dropped
//! when the core removes the VIP (it left MASTER) or adds it again itself.

use std::time::{Duration, Instant};

use tracing::error;

use crate::proto::VipSpec;
use crate::sys::SysError;

/// The first delay after a refusal.
pub const FIRST_DELAY: Duration = Duration::from_millis(100);
/// The longest delay between two attempts.
pub const MAX_DELAY: Duration = Duration::from_secs(5);

/// Whether a refused VIP is worth retrying: everything but missing privileges and requests the
/// kernel rejects as malformed or unsupported, which no retry changes.
pub fn is_transient(e: &SysError) -> bool {
    match e {
        SysError::Permission { .. } => false,
        SysError::NoSuchInterface { .. } | SysError::FrameDropped { .. } => true,
        SysError::Os { source, .. } => !matches!(
            source.raw_os_error(),
            Some(libc::EINVAL | libc::EOPNOTSUPP | libc::EAFNOSUPPORT | libc::EPROTONOSUPPORT)
        ),
    }
}

/// One VIP waiting for its next attempt.
#[derive(Clone, Debug)]
pub struct Pending {
    pub instance: String,
    pub spec: VipSpec,
    pub due: Instant,
    /// The delay that led to `due`; doubled after each failure, up to [`MAX_DELAY`].
    delay: Duration,
    /// The error last logged, so a failure that repeats at the longest delay is not logged
    /// again every 5 s.
    logged: String,
}

/// The VIPs waiting to be retried.
#[derive(Debug, Default)]
pub struct VipRetries {
    pending: Vec<Pending>,
}

fn same(p: &Pending, instance: &str, spec: &VipSpec) -> bool {
    p.instance == instance
        && p.spec.addr == spec.addr
        && p.spec.prefix_len == spec.prefix_len
        && p.spec.ifname == spec.ifname
}

impl VipRetries {
    /// The earliest attempt due, if any.
    pub fn due(&self) -> Option<Instant> {
        self.pending.iter().map(|p| p.due).min()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// The first refusal of `spec`: logged, retried after [`FIRST_DELAY`].
    pub fn schedule(&mut self, instance: &str, spec: &VipSpec, e: &SysError, now: Instant) {
        self.cancel(instance, spec);
        let logged = e.to_string();
        error!(target: "vrrpd", "({instance}) {logged} - retrying in {} ms", FIRST_DELAY.as_millis());
        self.pending.push(Pending {
            instance: instance.to_string(),
            spec: spec.clone(),
            due: now + FIRST_DELAY,
            delay: FIRST_DELAY,
            logged,
        });
    }

    /// Drops the retry of `spec` for `instance`, if one is pending.
    pub fn cancel(&mut self, instance: &str, spec: &VipSpec) {
        self.pending.retain(|p| !same(p, instance, spec));
    }

    /// Drops every pending retry (the stop sequence).
    pub fn clear(&mut self) {
        self.pending.clear();
    }

    /// Removes and returns the retries due at `now`.
    pub fn take_due(&mut self, now: Instant) -> Vec<Pending> {
        let (due, later) = self.pending.drain(..).partition(|p| p.due <= now);
        self.pending = later;
        due
    }

    /// `p` failed again: doubles its delay (up to [`MAX_DELAY`]) and logs once per step, and
    /// at the longest delay only when the error changes.
    pub fn failed_again(&mut self, mut p: Pending, e: &SysError, now: Instant) {
        let next = (p.delay * 2).min(MAX_DELAY);
        let text = e.to_string();
        if next != p.delay || text != p.logged {
            error!(target: "vrrpd", "({}) {text} - retrying in {} ms", p.instance, next.as_millis());
            p.logged = text;
        }
        p.delay = next;
        p.due = now + next;
        self.pending.push(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused() -> SysError {
        SysError::io("add", std::io::Error::from_raw_os_error(libc::ENOBUFS))
    }

    #[test]
    fn delays_double_up_to_five_seconds_and_cancel_drops_the_retry() {
        let t0 = Instant::now();
        let spec = VipSpec::parse("10.0.0.100/24", "eth0");
        let mut r = VipRetries::default();
        r.schedule("VI_1", &spec, &refused(), t0);
        assert_eq!(r.due(), Some(t0 + FIRST_DELAY));
        let mut now = t0;
        let mut delays = Vec::new();
        for _ in 0..8 {
            now = r.due().unwrap();
            let p = r.take_due(now).pop().unwrap();
            r.failed_again(p, &refused(), now);
            delays.push((r.due().unwrap() - now).as_millis());
        }
        assert_eq!(delays, [200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
        assert!(r.take_due(now).is_empty());
        r.cancel("VI_2", &spec);
        assert!(!r.is_empty());
        r.cancel("VI_1", &spec);
        assert!(r.is_empty());
    }

    #[test]
    fn only_privileges_and_malformed_requests_are_final() {
        let os = |n| SysError::io("add", std::io::Error::from_raw_os_error(n));
        assert!(is_transient(&os(libc::ENOBUFS)));
        assert!(is_transient(&os(libc::ENODEV)));
        assert!(is_transient(&os(libc::EBUSY)));
        assert!(!is_transient(&os(libc::EINVAL)));
        assert!(!is_transient(&SysError::os(
            "add",
            crate::sys::Privilege::NetAdmin,
            std::io::Error::from_raw_os_error(libc::EPERM)
        )));
    }
}
