//! The metric families of one picture ([`Observed`]): keepalived-exporter's names and labels
//! (so existing dashboards keep working) and vrrpd's own, prefixed `vrrpd_`.
//!
//! keepalived-exporter's semantics, kept here: `keepalived_vrrp_state` has one series per VIP
//! (`ip_address` = the address as keepalived's data file prints it, `intf` = the VIP's
//! device), or a single series with `ip_address=""` and the instance interface when the
//! instance has no VIP; the per-instance counters are labelled `iname,intf,vrid` with the
//! instance interface; `keepalived_script_status` is 1 GOOD / 0 BAD and
//! `keepalived_script_state` 0 idle / 1 running.

use prometheus::proto::{
    Bucket, Counter, Gauge, Histogram, LabelPair, Metric, MetricFamily, MetricType,
};

use crate::daemon::observe::Observed;
use crate::daemon::shell_counters::{self, InstanceView, Outcomes};
use crate::proto::{Counters, InstanceSnapshot, State};

/// Families under construction, in exposition order.
#[derive(Default)]
pub struct Families(Vec<MetricFamily>);

impl Families {
    /// The family `name`, created on first use.
    fn family(&mut self, name: &str, help: &str, kind: MetricType) -> &mut MetricFamily {
        let at = match self.0.iter().position(|f| f.name() == name) {
            Some(i) => i,
            None => {
                let mut f = MetricFamily::default();
                f.set_name(name.to_string());
                f.set_help(help.to_string());
                f.set_field_type(kind);
                self.0.push(f);
                self.0.len() - 1
            }
        };
        // `at` was found or just pushed.
        &mut self.0[at]
    }

    fn push(
        &mut self,
        name: &str,
        help: &str,
        kind: MetricType,
        labels: &[(&str, &str)],
        m: Metric,
    ) {
        let mut m = m;
        m.set_label(labels.iter().map(|(k, v)| pair(k, v)).collect());
        self.family(name, help, kind).mut_metric().push(m);
    }

    pub fn gauge(&mut self, name: &str, help: &str, labels: &[(&str, &str)], v: f64) {
        let mut g = Gauge::default();
        g.set_value(v);
        let mut m = Metric::default();
        m.set_gauge(g);
        self.push(name, help, MetricType::GAUGE, labels, m);
    }

    pub fn counter(&mut self, name: &str, help: &str, labels: &[(&str, &str)], v: u64) {
        let mut c = Counter::default();
        c.set_value(v as f64);
        let mut m = Metric::default();
        m.set_counter(c);
        self.push(name, help, MetricType::COUNTER, labels, m);
    }

    pub fn histogram(
        &mut self,
        name: &str,
        help: &str,
        bounds: &[f64],
        h: &shell_counters::Histogram,
    ) {
        let mut cumulative = 0;
        let buckets = bounds
            .iter()
            .enumerate()
            .map(|(i, b)| {
                cumulative += h.buckets.get(i).copied().unwrap_or(0);
                let mut bucket = Bucket::default();
                bucket.set_upper_bound(*b);
                bucket.set_cumulative_count(cumulative);
                bucket
            })
            .collect();
        let mut hist = Histogram::default();
        hist.set_bucket(buckets);
        hist.set_sample_count(h.count);
        hist.set_sample_sum(h.sum);
        let mut m = Metric::default();
        m.set_histogram(hist);
        self.push(name, help, MetricType::HISTOGRAM, &[], m);
    }

    fn outcomes(&mut self, name: &str, help: &str, labels: &[(&str, &str)], o: Outcomes) {
        for (result, v) in [("ok", o.ok), ("failed", o.failed)] {
            let mut l = labels.to_vec();
            l.push(("result", result));
            self.counter(name, help, &l, v);
        }
    }

    pub fn into_vec(self) -> Vec<MetricFamily> {
        self.0
    }
}

fn pair(name: &str, value: &str) -> LabelPair {
    let mut p = LabelPair::default();
    p.set_name(name.to_string());
    p.set_value(value.to_string());
    p
}

/// keepalived-exporter's state number: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT (STOP and
/// DELETED are not states an exporter sees; they read as INIT).
pub fn state_number(s: State) -> f64 {
    match s {
        State::Backup => 1.0,
        State::Master => 2.0,
        State::Fault => 3.0,
        _ => 0.0,
    }
}

/// Every family of `p`.
pub fn families(p: &Observed) -> Vec<MetricFamily> {
    let mut f = Families::default();
    f.gauge("keepalived_up", "Status", &[], 1.0);
    for i in &p.snapshot.instances {
        let view = p.shell.instances.iter().find(|v| v.name == i.name);
        keepalived_instance(&mut f, i, view);
    }
    for s in &p.shell.scripts {
        if let Some(good) = s.good {
            let l = [("name", s.name.as_str())];
            f.gauge(
                "keepalived_script_status",
                "Tracker Script Status",
                &l,
                if good { 1.0 } else { 0.0 },
            );
        }
        let l = [("name", s.name.as_str())];
        f.gauge(
            "keepalived_script_state",
            "Tracker Script State",
            &l,
            if s.running { 1.0 } else { 0.0 },
        );
    }
    vrrpd_own(&mut f, p);
    f.into_vec()
}

/// keepalived-exporter's families of one instance.
fn keepalived_instance(f: &mut Families, i: &InstanceSnapshot, view: Option<&InstanceView>) {
    let intf = view.map_or("", |v| v.ifname.as_str());
    let vrid = i.vrid.to_string();
    let state = state_number(i.state);
    let state_help = "State of vrrp";
    match view.filter(|v| !v.vips.is_empty()) {
        Some(v) => {
            for (addr, dev) in &v.vips {
                let l = [
                    ("iname", i.name.as_str()),
                    ("intf", dev.as_str()),
                    ("vrid", vrid.as_str()),
                    ("ip_address", addr.as_str()),
                ];
                f.gauge("keepalived_vrrp_state", state_help, &l, state);
            }
        }
        None => {
            let l = [
                ("iname", i.name.as_str()),
                ("intf", intf),
                ("vrid", vrid.as_str()),
                ("ip_address", ""),
            ];
            f.gauge("keepalived_vrrp_state", state_help, &l, state);
        }
    }
    for (addr, dev) in view.map_or(&[][..], |v| v.excluded.as_slice()) {
        let l = [
            ("iname", i.name.as_str()),
            ("intf", dev.as_str()),
            ("vrid", vrid.as_str()),
            ("ip_address", addr.as_str()),
        ];
        let help = "State of vrrp with excluded VIP";
        f.gauge("keepalived_vrrp_excluded_state", help, &l, state);
    }
    let l = [
        ("iname", i.name.as_str()),
        ("intf", intf),
        ("vrid", vrid.as_str()),
    ];
    let garp = view.map_or(0.0, |v| v.garp_delay_secs);
    let mut c = Counter::default();
    c.set_value(garp);
    let mut m = Metric::default();
    m.set_counter(c);
    f.push(
        "keepalived_gratuitous_arp_delay_total",
        "Gratuitous ARP delay",
        MetricType::COUNTER,
        &l,
        m,
    );
    for (name, help, v) in keepalived_counters(&i.counters) {
        f.counter(name, help, &l, v);
    }
}

/// The counters keepalived's stats dump shows, by keepalived-exporter's names.
pub fn keepalived_counters(c: &Counters) -> [(&'static str, &'static str, u64); 14] {
    [
        (
            "keepalived_advertisements_received_total",
            "Advertisements received",
            c.advert_rcvd,
        ),
        (
            "keepalived_advertisements_sent_total",
            "Advertisements sent",
            c.advert_sent,
        ),
        (
            "keepalived_become_master_total",
            "Became master",
            c.become_master,
        ),
        (
            "keepalived_release_master_total",
            "Released master",
            c.release_master,
        ),
        (
            "keepalived_packet_length_errors_total",
            "Packet length errors",
            c.packet_len_err,
        ),
        (
            "keepalived_advertisements_interval_errors_total",
            "Advertisement interval errors",
            c.advert_interval_err,
        ),
        ("keepalived_ip_ttl_errors_total", "TTL errors", c.ip_ttl_err),
        (
            "keepalived_invalid_type_received_total",
            "Invalid type errors",
            c.invalid_type_rcvd,
        ),
        (
            "keepalived_address_list_errors_total",
            "Address list errors",
            c.addr_list_err,
        ),
        (
            "keepalived_authentication_invalid_total",
            "Authentication invalid",
            c.invalid_authtype,
        ),
        (
            "keepalived_authentication_mismatch_total",
            "Authentication mismatch",
            c.authtype_mismatch,
        ),
        (
            "keepalived_authentication_failure_total",
            "Authentication failure",
            c.auth_failure,
        ),
        (
            "keepalived_priority_zero_received_total",
            "Priority zero received",
            c.pri_zero_rcvd,
        ),
        (
            "keepalived_priority_zero_sent_total",
            "Priority zero sent",
            c.pri_zero_sent,
        ),
    ]
}

/// vrrpd's own families (keepalived has no equivalent).
fn vrrpd_own(f: &mut Families, p: &Observed) {
    let version = env!("CARGO_PKG_VERSION");
    f.gauge(
        "vrrpd_build_info",
        "vrrpd's version (always 1)",
        &[("version", version)],
        1.0,
    );
    f.gauge(
        "vrrpd_uptime_seconds",
        "Seconds since the protocol loop started",
        &[],
        p.uptime.as_secs_f64(),
    );
    for i in &p.snapshot.instances {
        let intf = p
            .shell
            .instances
            .iter()
            .find(|v| v.name == i.name)
            .map_or("", |v| v.ifname.as_str());
        let vrid = i.vrid.to_string();
        let l = [
            ("iname", i.name.as_str()),
            ("intf", intf),
            ("vrid", vrid.as_str()),
        ];
        f.gauge(
            "vrrpd_base_priority",
            "Configured priority",
            &l,
            f64::from(i.base_priority),
        );
        f.gauge(
            "vrrpd_effective_priority",
            "Priority after trackers",
            &l,
            f64::from(i.effective_priority),
        );
        f.gauge(
            "vrrpd_master_priority",
            "Priority of the current master (0 when unknown)",
            &l,
            f64::from(i.master_priority),
        );
        super::transitions::instance(f, p, i, &l);
    }
    let g = &p.snapshot.global;
    f.counter(
        "vrrpd_unknown_vrid_packets_total",
        "Adverts for a VRID not configured on that interface",
        &[],
        g.unknown_vrid,
    );
    f.counter(
        "vrrpd_unknown_interface_packets_total",
        "Adverts received on an interface no instance uses",
        &[],
        g.unknown_interface,
    );
    let s = &p.shell.counters;
    let addr_help = "Virtual address changes by result";
    f.outcomes(
        "vrrpd_address_operations_total",
        addr_help,
        &[("op", "add")],
        s.vip_add,
    );
    f.outcomes(
        "vrrpd_address_operations_total",
        addr_help,
        &[("op", "del")],
        s.vip_del,
    );
    let route_help = "Virtual route and rule changes by result";
    f.outcomes(
        "vrrpd_route_operations_total",
        route_help,
        &[("kind", "route"), ("op", "add")],
        s.route_add,
    );
    f.outcomes(
        "vrrpd_route_operations_total",
        route_help,
        &[("kind", "route"), ("op", "del")],
        s.route_del,
    );
    f.outcomes(
        "vrrpd_route_operations_total",
        route_help,
        &[("kind", "rule"), ("op", "add")],
        s.rule_add,
    );
    f.outcomes(
        "vrrpd_route_operations_total",
        route_help,
        &[("kind", "rule"), ("op", "del")],
        s.rule_del,
    );
    f.outcomes(
        "vrrpd_gratuitous_arp_sent_total",
        "Gratuitous ARPs and unsolicited NAs by result",
        &[],
        s.garp,
    );
    f.outcomes(
        "vrrpd_script_runs_total",
        "Tracking script runs by result (exit 0 = ok)",
        &[],
        s.script,
    );
    f.histogram(
        "vrrpd_script_duration_seconds",
        "How long tracking script runs took",
        &shell_counters::SCRIPT_BOUNDS,
        &s.script_seconds,
    );
    f.outcomes(
        "vrrpd_notify_runs_total",
        "Notify script runs by result (exit 0 = ok)",
        &[],
        p.shell.notify_runs,
    );
    let m = p.shell.smtp_alerts;
    for (result, v) in [
        ("sent", m.sent),
        ("failed", m.failed),
        ("dropped", m.dropped),
    ] {
        f.counter(
            "vrrpd_smtp_alerts_total",
            "SMTP alert mails by result (dropped = the queue was full)",
            &[("result", result)],
            v,
        );
    }
    f.counter(
        "vrrpd_notify_queued_total",
        "Notifications handed to the notify hooks",
        &[],
        s.notify_queued,
    );
    f.gauge(
        "vrrpd_notify_queue_depth",
        "Notifications waiting for the notify hooks",
        &[],
        p.shell.notify_queue as f64,
    );
    let r = &p.reloads;
    let reload_help = "Configuration reloads by result";
    f.counter(
        "vrrpd_config_reloads_total",
        reload_help,
        &[("result", "ok")],
        r.succeeded,
    );
    f.counter(
        "vrrpd_config_reloads_total",
        reload_help,
        &[("result", "failed")],
        r.failed,
    );
    // The running configuration is the one that loaded at start when no reload happened.
    let last_ok = if r.last_ok.unwrap_or(true) { 1.0 } else { 0.0 };
    f.gauge(
        "vrrpd_config_last_reload_successful",
        "1 when the last reload was applied (or none happened)",
        &[],
        last_ok,
    );
    f.histogram(
        "vrrpd_advert_timer_lateness_seconds",
        "How late the loop handled the protocol timer's deadline",
        &shell_counters::LATENESS_BOUNDS,
        &s.timer_lateness,
    );
}
