//! The Prometheus endpoint (`--metrics-listen ADDR:PORT`, README "Monitoring"): text exposition
//! at `/metrics`, keepalived-exporter's names plus vrrpd's own.
//!
//! The endpoint never touches the protocol state: each scrape asks the loop for one picture
//! (`daemon::observe`, answered between two steps of the node) and encodes it on its own
//! task. A slow or hostile client only holds one of a few connection slots (`server`).

pub mod families;
pub mod server;
pub mod transitions;

use crate::daemon::observe::Observed;

/// The text exposition (Prometheus format 0.0.4, which `promtool check metrics` reads) of
/// one picture.
pub fn encode(p: &Observed) -> String {
    use prometheus::Encoder;
    let mut buf = Vec::new();
    let families = families::families(p);
    // Only fails on a family without samples or a writer error; neither happens here, and
    // a partial answer beats none.
    let _ = prometheus::TextEncoder::new().encode(&families, &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::observe::Observers;
    use crate::daemon::shell_counters;
    use crate::proto::{InstanceSettings, Router, RouterSettings};
    use crate::track::{TrackerSettings, Trackers};
    use std::time::Instant;

    /// A picture of one BACKUP instance with one VIP, as the loop would take it.
    pub(crate) fn picture() -> std::sync::Arc<Observed> {
        let settings = RouterSettings::new(vec![InstanceSettings::backup("VI_1", 51)
            .priority(100)
            .vip("10.0.0.100/24")
            .excluded_vip("10.9.0.1")]);
        let t0 = Instant::now();
        let router = Router::new(settings.clone(), t0);
        let trackers = Trackers::new(&TrackerSettings::default(), t0);
        let mut o = Observers::new(t0);
        o.shell.timer_late(std::time::Duration::from_micros(200));
        let view = shell_counters::view(&settings, &trackers, &o.shell, None);
        o.picture_with(router.snapshot(), t0, view)
    }

    #[test]
    fn exposition_has_keepalived_exporter_names_and_labels() {
        let text = encode(&picture());
        for line in [
            "keepalived_up 1",
            "keepalived_vrrp_excluded_state{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\",ip_address=\"10.9.0.1\"} 1",
            "keepalived_vrrp_state{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\",ip_address=\"10.0.0.100/24\"} 1",
            "keepalived_advertisements_received_total{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\"} 0",
            "keepalived_gratuitous_arp_delay_total{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\"} 5",
            "# TYPE keepalived_priority_zero_sent_total counter",
            "vrrpd_base_priority{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\"} 100",
            "vrrpd_advert_timer_lateness_seconds_bucket{le=\"0.0005\"} 1",
            "vrrpd_config_reloads_total{result=\"failed\"} 0",
            "vrrpd_notify_runs_total{result=\"ok\"} 0",
            "vrrpd_smtp_alerts_total{result=\"dropped\"} 0",
            "vrrpd_transitions_total{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\",reason=\"master_down\"} 0",
            "vrrpd_dual_master_total{iname=\"VI_1\",intf=\"eth0\",vrid=\"51\"} 0",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
    }
}
