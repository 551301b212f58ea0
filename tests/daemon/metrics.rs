//! `vrrpd --metrics-listen` in the lab (README "Monitoring"): every keepalived-exporter name and
//! label is served, the keepalived_* counters equal the SIGUSR2 stats dump's, `promtool check
//! metrics` accepts the exposition, and a real Prometheus server scraping a pair during a
//! failover sees `keepalived_vrrp_state` go 2 -> 1 on the old master and 1 -> 2 on the new one.
//! Needs root, curl and Debian's `prometheus` (promtool).

use crate::common;

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::lab::{config, require_tool, tag, Daemon, Instance, Lab};

const VIP: &str = "10.0.0.100";
const PORT: u16 = 9165;

/// The exposition of router i (served on its LAN address, port [`PORT`]), fetched from
/// inside its namespace.
fn scrape(lab: &Lab, i: usize) -> String {
    let url = format!("http://{}:{PORT}/metrics", lab.addr(i));
    let out = lab
        .command(lab.ns(i), &["curl", "-sS", "--max-time", "5", &url])
        .output()
        .expect("curl");
    assert!(out.status.success(), "curl {url}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The value of the sample whose name and labels start `prefix` (a full `name{...}` or a
/// bare name).
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find(|l| l.starts_with(prefix) && l[prefix.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// The number after `key` in the line following `section` in a stats file.
fn stat(text: &str, section: &str, key: &str) -> u64 {
    let mut lines = text.lines().skip_while(|l| l.trim() != section);
    lines
        .find_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().parse().ok()))
        .flatten()
        .unwrap_or_else(|| panic!("no `{key}` after `{section}` in:\n{text}"))
}

/// (metric, stats-file section, key) for every counter the stats dump shows.
const COUNTERS: &[(&str, &str, &str)] = &[
    (
        "keepalived_advertisements_received_total",
        "Advertisements:",
        "Received:",
    ),
    (
        "keepalived_advertisements_sent_total",
        "Advertisements:",
        "Sent:",
    ),
    (
        "keepalived_become_master_total",
        "Advertisements:",
        "Became master:",
    ),
    (
        "keepalived_release_master_total",
        "Advertisements:",
        "Released master:",
    ),
    (
        "keepalived_packet_length_errors_total",
        "Packet Errors:",
        "Length:",
    ),
    ("keepalived_ip_ttl_errors_total", "Packet Errors:", "TTL:"),
    (
        "keepalived_invalid_type_received_total",
        "Packet Errors:",
        "Invalid Type:",
    ),
    (
        "keepalived_advertisements_interval_errors_total",
        "Packet Errors:",
        "Advertisement Interval:",
    ),
    (
        "keepalived_address_list_errors_total",
        "Packet Errors:",
        "Address List:",
    ),
    (
        "keepalived_authentication_invalid_total",
        "Authentication Errors:",
        "Invalid Type:",
    ),
    (
        "keepalived_authentication_mismatch_total",
        "Authentication Errors:",
        "Type Mismatch:",
    ),
    (
        "keepalived_authentication_failure_total",
        "Authentication Errors:",
        "Failure:",
    ),
    (
        "keepalived_priority_zero_received_total",
        "Priority Zero:",
        "Received:",
    ),
    (
        "keepalived_priority_zero_sent_total",
        "Priority Zero:",
        "Sent:",
    ),
];

/// A pair (r0 MASTER at 150, r1 BACKUP at 100) serving metrics on their LAN addresses.
fn pair(tag: &str) -> Lab {
    require_tool("curl");
    let mut lab = Lab::new(tag, 2);
    for (i, prio) in [(0, 150), (1, 100)] {
        let listen = format!("{}:{PORT}", lab.addr(i));
        let conf = config(
            &format!("r{i}"),
            &[Instance::v3("VI_1", 51, prio, "0.2").vip("10.0.0.100/24 dev eth0")],
        );
        lab.start_with(i, Daemon::Vrrpd, &conf, &["--metrics-listen", &listen]);
    }
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    lab
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn names_labels_and_the_stats_dump_agree() {
    require_tool("promtool");
    let lab = pair(&tag("metrics", "n"));
    std::thread::sleep(Duration::from_millis(600));
    for (i, state) in [(0, 2.0), (1, 1.0)] {
        let text = scrape(&lab, i);
        let ids = "iname=\"VI_1\",intf=\"eth0\",vrid=\"51\"";
        let want_state = format!("keepalived_vrrp_state{{{ids},ip_address=\"10.0.0.100/24\"}}");
        assert_eq!(sample(&text, &want_state), Some(state), "{text}");
        assert_eq!(sample(&text, "keepalived_up"), Some(1.0), "{text}");
        assert_eq!(
            sample(
                &text,
                &format!("keepalived_gratuitous_arp_delay_total{{{ids}}}")
            ),
            Some(5.0),
            "{text}"
        );
        for name in [
            "vrrpd_build_info",
            "vrrpd_base_priority",
            "vrrpd_effective_priority",
            "vrrpd_master_priority",
            "vrrpd_unknown_vrid_packets_total",
            "vrrpd_address_operations_total",
            "vrrpd_gratuitous_arp_sent_total",
            "vrrpd_script_runs_total",
            "vrrpd_notify_queue_depth",
            "vrrpd_notify_runs_total",
            "vrrpd_config_reloads_total",
            "vrrpd_config_last_reload_successful",
            "vrrpd_advert_timer_lateness_seconds_bucket",
            "vrrpd_transitions_total",
            "vrrpd_last_transition_timestamp_seconds",
            "vrrpd_dual_master_total",
        ] {
            assert!(text.contains(&format!("\n{name}")), "no {name} in\n{text}");
        }
        // The counters equal the stats dump's: read the dump before and after the scrape
        // and compare when no advert came in between.
        let mut compared = false;
        for _ in 0..20 {
            let before = lab.dump(i, libc::SIGUSR2, "keepalived.stats");
            let text = scrape(&lab, i);
            let after = lab.dump(i, libc::SIGUSR2, "keepalived.stats");
            if before != after {
                continue;
            }
            for (metric, section, key) in COUNTERS {
                let got = sample(&text, &format!("{metric}{{{ids}}}"))
                    .unwrap_or_else(|| panic!("no {metric}{{{ids}}} in\n{text}"));
                assert_eq!(
                    got,
                    stat(&before, section, key) as f64,
                    "{metric}\n{text}\n{before}"
                );
            }
            compared = true;
            break;
        }
        assert!(compared, "router {i}: the stats never held still");
        // promtool's lint accepts the exposition.
        let mut lint = Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("promtool");
        if let Some(mut stdin) = lint.stdin.take() {
            stdin.write_all(text.as_bytes()).expect("write to promtool");
        }
        let out = lint.wait_with_output().expect("promtool");
        assert!(
            out.status.success(),
            "promtool check metrics: {}{}\n{text}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A Prometheus server in the lab's client namespace; killed when dropped.
struct Prometheus(Child);

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `query_range` of `query` over the last `span`, 1 s steps: (target, values) per series.
fn query_range(lab: &Lab, query: &str, span: Duration) -> Vec<(String, Vec<f64>)> {
    let end = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let start = end - span.as_secs();
    let out = lab
        .command(
            &lab.client,
            &[
                "curl",
                "-sS",
                "--max-time",
                "5",
                "http://127.0.0.1:9090/api/v1/query_range",
                "--data-urlencode",
                &format!("query={query}"),
                "--data-urlencode",
                &format!("start={start}"),
                "--data-urlencode",
                &format!("end={end}"),
                "--data-urlencode",
                "step=1",
            ],
        )
        .output()
        .expect("curl");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let mut series = Vec::new();
    for s in v["data"]["result"].as_array().cloned().unwrap_or_default() {
        let target = s["metric"]["instance"].as_str().unwrap_or("").to_string();
        let values = s["values"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p[1].as_str().and_then(|x| x.parse().ok()))
            .collect();
        series.push((target, values));
    }
    series
}

/// The distinct values of `values` in order (runs collapsed).
fn runs(values: &[f64]) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::new();
    for v in values {
        if out.last() != Some(v) {
            out.push(*v);
        }
    }
    out
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn prometheus_sees_a_failover() {
    require_tool("prometheus");
    let lab = pair(&tag("metrics", "p"));
    let targets: Vec<String> = (0..2)
        .map(|i| format!("\"{}:{PORT}\"", lab.addr(i)))
        .collect();
    let conf = lab.dir.join("prometheus.yml");
    std::fs::write(
        &conf,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  \
             - job_name: vrrpd\n    scrape_interval: 1s\n    static_configs:\n      \
             - targets: [{}]\n",
            targets.join(", ")
        ),
    )
    .expect("prometheus.yml");
    // Prometheus listens on the client namespace's loopback.
    lab.ip(&lab.client.clone(), &["link", "set", "lo", "up"]);
    let data = lab.dir.join("prometheus-data");
    let log = std::fs::File::create(lab.dir.join("prometheus.log")).expect("log");
    let child = lab
        .command(
            &lab.client.clone(),
            &[
                "prometheus",
                &format!("--config.file={}", conf.display()),
                &format!("--storage.tsdb.path={}", data.display()),
                "--web.listen-address=127.0.0.1:9090",
            ],
        )
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("prometheus");
    let _prom = Prometheus(child);
    let t0 = Instant::now();
    // Scrapes of the steady state first.
    let steady = |lab: &Lab| {
        let s = query_range(lab, "keepalived_vrrp_state", Duration::from_secs(60));
        s.len() == 2 && s.iter().all(|(_, v)| v.len() >= 3)
    };
    while !steady(&lab) {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "Prometheus never scraped both routers: {}",
            std::fs::read_to_string(lab.dir.join("prometheus.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    // The failover: r1 reloads with a higher priority and preempts r0, which stays up as
    // BACKUP (its endpoint keeps answering).
    let conf1 = config(
        "r1",
        &[Instance::v3("VI_1", 51, 200, "0.2").vip("10.0.0.100/24 dev eth0")],
    );
    lab.write_conf(1, &conf1);
    lab.signal(1, nix::sys::signal::Signal::SIGHUP);
    lab.wait_holders(VIP, &[1], Duration::from_secs(10));
    // vrrpd's own account of why: the old master heard a higher priority.
    let ids = "iname=\"VI_1\",intf=\"eth0\",vrid=\"51\"";
    let text = scrape(&lab, 0);
    let why = format!("vrrpd_transitions_total{{{ids},reason=\"higher_priority\"}}");
    assert_eq!(sample(&text, &why), Some(1.0), "{text}");
    assert!(
        text.contains(&format!(
            "vrrpd_last_transition_info{{{ids},from=\"MASTER\",to=\"BACKUP\",reason=\"higher_priority\"}} 1"
        )),
        "{text}"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let series = query_range(&lab, "keepalived_vrrp_state", Duration::from_secs(120));
        let of = |i: usize| {
            let want = format!("{}:{PORT}", lab.addr(i));
            series
                .iter()
                .find(|(t, _)| *t == want)
                .map(|(_, v)| runs(v))
                .unwrap_or_default()
        };
        let (old, new) = (of(0), of(1));
        if old.ends_with(&[2.0, 1.0]) && new.ends_with(&[1.0, 2.0]) {
            eprintln!(
                "keepalived_vrrp_state via Prometheus: old master {old:?}, new master {new:?}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus did not see the failover: old master {old:?}, new master {new:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn silent_clients_stall_neither_adverts_nor_later_scrapes() {
    let lab = pair(&tag("metrics", "s"));
    // 24 connections (more than the 16 slots) that never send a byte, held for 7 s.
    let script = format!(
        "for i in $(seq 3 26); do eval \"exec $i<>/dev/tcp/{}/{PORT}\"; done; sleep 7",
        lab.addr(0)
    );
    let mut hog = lab
        .command(lab.ns(0), &["bash", "-c", &script])
        .spawn()
        .expect("bash");
    std::thread::sleep(Duration::from_millis(500));
    let before = stat(
        &lab.dump(1, libc::SIGUSR2, "keepalived.stats"),
        "Advertisements:",
        "Received:",
    );
    // Master-down is under a second at 0.2 s adverts: any stall of the master's loop would
    // hand the VIP over.
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(3) {
        assert_eq!(lab.holders(VIP), vec![0], "the master stalled");
        std::thread::sleep(Duration::from_millis(100));
    }
    let after = stat(
        &lab.dump(1, libc::SIGUSR2, "keepalived.stats"),
        "Advertisements:",
        "Received:",
    );
    assert!(after >= before + 12, "adverts {before} -> {after} in 3 s");
    // The silent clients are dropped at the header timeout; a scrape gets through then.
    let t0 = Instant::now();
    loop {
        let url = format!("http://{}:{PORT}/metrics", lab.addr(0));
        let out = lab
            .command(lab.ns(0), &["curl", "-sS", "--max-time", "2", &url])
            .output()
            .expect("curl");
        if out.status.success() && String::from_utf8_lossy(&out.stdout).contains("keepalived_up 1")
        {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "no scrape got through"
        );
    }
    let _ = hog.kill();
    let _ = hog.wait();
}
