//! Per-instance transition metrics from the core's transition record: transitions by reason
//! (every reason exported, zeros included, so `increase()` works from the first scrape), the
//! last transition's wall-clock time and reason, dual master, drained.

use std::time::{SystemTime, UNIX_EPOCH};

use super::families::Families;
use crate::daemon::observe::Observed;
use crate::proto::{InstanceSnapshot, TransitionReason};

/// The transition families of one instance, labelled `labels` (iname, intf, vrid).
pub fn instance(f: &mut Families, p: &Observed, i: &InstanceSnapshot, labels: &[(&str, &str)]) {
    let help = "State changes by reason";
    for reason in TransitionReason::ALL {
        let mut l = labels.to_vec();
        l.push(("reason", reason.as_str()));
        let n = i.transitions.get(&reason).copied().unwrap_or(0);
        f.counter("vrrpd_transitions_total", help, &l, n);
    }
    if let Some(t) = &i.last_transition {
        // The record counts from the node's start; the picture says how long ago that was.
        let ago = p.uptime.saturating_sub(t.at);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let at = now.saturating_sub(ago).as_secs_f64();
        f.gauge(
            "vrrpd_last_transition_timestamp_seconds",
            "When the instance last changed state (Unix time)",
            labels,
            at,
        );
        let mut l = labels.to_vec();
        l.extend([
            ("from", t.from.word()),
            ("to", t.to.word()),
            ("reason", t.reason.as_str()),
        ]);
        f.gauge(
            "vrrpd_last_transition_info",
            "The last state change (always 1; the labels say which)",
            &l,
            1.0,
        );
    }
    f.counter(
        "vrrpd_dual_master_total",
        "Adverts of another MASTER heard while MASTER",
        labels,
        i.counters.dual_master,
    );
    f.gauge(
        "vrrpd_drained",
        "1 while the instance is drained for maintenance",
        labels,
        if i.drained { 1.0 } else { 0.0 },
    );
}
