//! What the shell counts that the protocol core cannot: address, route and GARP operations,
//! script runs, notifications, how late the loop handled the node's deadline. Kept in
//! `Exec.observers` and copied into each picture ([`super::observe::Observed::shell`]) for
//! the metrics endpoint; counting is a few integer additions on the loop.

use std::time::Duration;

use serde::Serialize;

/// Upper bounds (seconds) of the advert-timer lateness histogram: a healthy loop handles its
/// deadline within a millisecond; a second late means adverts were missed.
pub const LATENESS_BOUNDS: [f64; 10] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// Upper bounds (seconds) of the script duration histogram.
pub const SCRIPT_BOUNDS: [f64; 8] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// A fixed-bucket histogram (cumulative counts are computed when encoded).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Histogram {
    /// Observations per bucket; the last one is +Inf.
    pub buckets: Vec<u64>,
    pub sum: f64,
    pub count: u64,
}

impl Histogram {
    pub fn observe(&mut self, bounds: &[f64], secs: f64) {
        if self.buckets.len() != bounds.len() + 1 {
            self.buckets = vec![0; bounds.len() + 1];
        }
        let i = bounds
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(bounds.len());
        if let Some(b) = self.buckets.get_mut(i) {
            *b += 1;
        }
        self.sum += secs;
        self.count += 1;
    }
}

/// Successes and failures of one kind of operation.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Outcomes {
    pub ok: u64,
    pub failed: u64,
}

impl Outcomes {
    pub fn record(&mut self, ok: bool) {
        if ok {
            self.ok += 1;
        } else {
            self.failed += 1;
        }
    }
}

/// The shell's counters since the daemon started.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ShellCounters {
    pub vip_add: Outcomes,
    pub vip_del: Outcomes,
    pub route_add: Outcomes,
    pub route_del: Outcomes,
    pub rule_add: Outcomes,
    pub rule_del: Outcomes,
    /// Gratuitous ARPs and unsolicited NAs handed to the kernel.
    pub garp: Outcomes,
    /// Tracking script runs by result (exit 0 = ok), and how long they took.
    pub script: Outcomes,
    pub script_seconds: Histogram,
    /// Notifications handed to the notify hooks' queue.
    pub notify_queued: u64,
    /// Notify script runs of hooks replaced by a reload (the running hooks count their own).
    pub notify_runs_before: Outcomes,
    /// How late the loop handled the node's deadline (advert and master-down timers).
    pub timer_lateness: Histogram,
}

impl ShellCounters {
    pub fn timer_late(&mut self, late: Duration) {
        self.timer_lateness
            .observe(&LATENESS_BOUNDS, late.as_secs_f64());
    }

    pub fn script_done(&mut self, ok: bool, took: Option<Duration>) {
        self.script.record(ok);
        if let Some(t) = took {
            self.script_seconds.observe(&SCRIPT_BOUNDS, t.as_secs_f64());
        }
    }
}

/// What the metrics need beyond the core's snapshot, read from the settings in force and
/// the trackers when the picture is taken.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ShellView {
    pub counters: ShellCounters,
    pub instances: Vec<InstanceView>,
    pub scripts: Vec<ScriptView>,
    /// Notifications waiting for the hooks.
    pub notify_queue: u64,
    /// Notify script runs by result (exit 0 = ok), since the daemon started.
    pub notify_runs: Outcomes,
    /// SMTP alert mails since the daemon started (`sys::smtp`).
    pub smtp_alerts: SmtpAlerts,
}

/// SMTP alert mails by outcome.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct SmtpAlerts {
    /// Accepted by the server.
    pub sent: u64,
    /// Refused, timed out or not delivered for another reason (logged).
    pub failed: u64,
    /// Dropped because the queue was full.
    pub dropped: u64,
}

impl SmtpAlerts {
    pub fn of(c: &crate::sys::smtp::MailCounts) -> SmtpAlerts {
        use std::sync::atomic::Ordering::Relaxed;
        SmtpAlerts {
            sent: c.sent.load(Relaxed),
            failed: c.failed.load(Relaxed),
            dropped: c.dropped.load(Relaxed),
        }
    }
}

/// One instance's configuration as the exporter labels it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct InstanceView {
    pub name: String,
    pub ifname: String,
    /// `(address as keepalived's data file prints it, dev)` per VIP.
    pub vips: Vec<(String, String)>,
    /// The same for `virtual_ipaddress_excluded`.
    pub excluded: Vec<(String, String)>,
    /// `garp_master_delay` in seconds.
    pub garp_delay_secs: f64,
}

/// One tracking script: its last result (`None` before the first) and whether it runs now.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ScriptView {
    pub name: String,
    pub good: Option<bool>,
    pub running: bool,
}

/// The address as keepalived's data file prints a VIP: the prefix only when it is not a
/// host route.
pub fn vip_text(addr: std::net::IpAddr, prefix_len: u8) -> String {
    let host = if addr.is_ipv4() { 32 } else { 128 };
    if prefix_len == host {
        addr.to_string()
    } else {
        format!("{addr}/{prefix_len}")
    }
}

/// The view of the settings in force and the trackers.
pub fn view(
    settings: &crate::proto::RouterSettings,
    trackers: &crate::track::Trackers,
    counters: &ShellCounters,
    hooks: Option<&crate::sys::hooks::Hooks>,
) -> ShellView {
    let (ok, failed) = hooks.map_or((0, 0), |h| h.runs());
    let before = counters.notify_runs_before;
    let notify_runs = Outcomes {
        ok: before.ok + ok,
        failed: before.failed + failed,
    };
    let instances = settings
        .instances
        .iter()
        .map(|i| InstanceView {
            name: i.name.clone(),
            ifname: i.ifname.clone(),
            vips: i
                .vips
                .iter()
                .map(|v| (vip_text(v.addr, v.prefix_len), v.ifname.clone()))
                .collect(),
            excluded: i
                .excluded_vips
                .iter()
                .map(|v| (vip_text(v.addr, v.prefix_len), v.ifname.clone()))
                .collect(),
            garp_delay_secs: f64::from(i.garp.master_delay.0) / 100.0,
        })
        .collect();
    let scripts = trackers
        .script_names()
        .filter_map(|n| trackers.script(n))
        .map(|s| ScriptView {
            name: s.name().to_string(),
            good: s.health(),
            running: s.is_running(),
        })
        .collect();
    ShellView {
        counters: counters.clone(),
        instances,
        scripts,
        notify_queue: hooks.map_or(0, |h| h.pending()) as u64,
        notify_runs,
        smtp_alerts: SmtpAlerts::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_and_vip_text() {
        let mut h = Histogram::default();
        h.observe(&LATENESS_BOUNDS, 0.0001);
        h.observe(&LATENESS_BOUNDS, 5.0);
        assert_eq!(h.count, 2);
        assert_eq!(h.buckets.first(), Some(&1));
        assert_eq!(h.buckets.last(), Some(&1));
        assert_eq!(vip_text("10.0.0.1".parse().unwrap(), 24), "10.0.0.1/24");
        assert_eq!(vip_text("10.0.0.1".parse().unwrap(), 32), "10.0.0.1");
    }
}
