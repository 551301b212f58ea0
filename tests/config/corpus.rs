//! Configuration corpus tests:
//! * `examples/*.conf`: real-world configs from the seed tutorials; they lower with no
//!   error and give the expected model;
//! * `tests/config/samples/*`: keepalived's VRRP sample files with the diagnostics expected from
//!   docs/keepalived-compat.md#sample-configurations;
//! * `tests/config/err/NAME.conf` + `NAME.stderr`: broken configs and their exact rendered
//!   diagnostics (`VRRPD_BLESS=1` rewrites the `.stderr` files);
//! * a mutation test (a bogus keyword in every block gives exactly one new error, at its line);
//! * lowering never panics on random statement trees or random text.

use crate::common::rng;

use rng::Rng;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use vrrpd::config::diag::{Diagnostic, Severity};
use vrrpd::config::model::{AuthType, Config, Family, InitialState, Origin, Version};
use vrrpd::config::read::source::{FsLoader, SourceMap};
use vrrpd::config::read::syntax::{Block, Stmt, Word};
use vrrpd::config::read::{ParseOptions, Parsed};
use vrrpd::config::span::{FileId, Span};
use vrrpd::config::{self, Loaded};

fn load(path: &str) -> Loaded {
    config::load(&FsLoader, Path::new(path), &ParseOptions::default())
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn load_with_id(path: &str, id: &str) -> Loaded {
    let opts = ParseOptions {
        config_id: Some(id.to_string()),
        ..ParseOptions::default()
    };
    config::load(&FsLoader, Path::new(path), &opts)
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// Loads a file that must have no error and returns its model.
fn ok(path: &str) -> (Config, Loaded) {
    let mut loaded = load(path);
    let errors: Vec<&Diagnostic> = loaded.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{path} has errors:\n{}", loaded.render());
    let config = loaded.config.take().expect("no errors => Some(config)");
    (config, loaded)
}

/// The (severity, line, message) of every diagnostic.
fn diags(loaded: &Loaded) -> Vec<(Severity, usize, String)> {
    loaded
        .diagnostics
        .iter()
        .map(|d| {
            let line = d
                .span
                .and_then(|s| loaded.sources.locate(s))
                .map(|(_, l, _)| l)
                .unwrap_or(0);
            (d.severity, line, d.message.clone())
        })
        .collect()
}

fn has(loaded: &Loaded, sev: Severity, line: usize, needle: &str) -> bool {
    diags(loaded)
        .iter()
        .any(|(s, l, m)| *s == sev && *l == line && m.contains(needle))
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

fn files_in(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        // Not configurations: scripts, and examples/grafana-vrrpd.json (a dashboard).
        .filter(|p| {
            p.extension()
                .is_none_or(|e| e != "sh" && e != "rs" && e != "json")
        })
        .collect();
    v.sort();
    v
}

// ---------------------------------------------------------------------------------------------
// examples/: the seed tutorials

#[test]
fn every_ok_config_has_no_error() {
    for p in files_in("examples") {
        let p = p.to_string_lossy().to_string();
        let _ = ok(&p);
    }
}

#[test]
fn seed000_nginx_pair() {
    let (c, l) = ok("examples/seed000-nginx01.conf");
    assert!(l.diagnostics.is_empty(), "{}", l.render());
    assert_eq!(
        c.global.router_id.as_ref().map(|r| r.value.as_str()),
        Some("nginx01")
    );
    let i = c.instance("web_server_group").expect("instance");
    assert_eq!(
        i.state.as_ref().map(|s| s.value),
        Some(InitialState::Master)
    );
    assert_eq!(
        i.interface.as_ref().map(|s| s.value.as_str()),
        Some("ens33")
    );
    assert_eq!(i.vrid.as_ref().map(|v| v.value), Some(55));
    assert_eq!(i.effective.priority.value, 100);
    assert_eq!(i.effective.advert_int_cs.value, 100);
    assert_eq!(i.effective.version.value, Some(Version::V2));
    assert_eq!(
        i.effective.auth.value,
        Some((AuthType::Pass, b"1234".to_vec()))
    );
    assert_eq!(i.vips.len(), 1);
    assert_eq!(i.vips[0].net.value.addr, ip("192.168.175.100"));
    assert_eq!(i.vips[0].net.value.prefix, 32);
    assert!(!i.vips[0].prefix_written);
    assert!(!i.is_unicast());

    let (c, _) = ok("examples/seed000-nginx02.conf");
    let i = c.instance("web_server_group").expect("instance");
    assert_eq!(i.effective.state.value, Some(InitialState::Backup));
    assert_eq!(i.effective.priority.value, 80);

    for (file, src, peer) in [
        (
            "seed000-unicast-nginx01.conf",
            "192.168.175.101",
            "192.168.175.102",
        ),
        (
            "seed000-unicast-nginx02.conf",
            "192.168.175.102",
            "192.168.175.101",
        ),
    ] {
        let (c, l) = ok(&format!("examples/{file}"));
        assert!(l.diagnostics.is_empty(), "{}", l.render());
        let i = c.instance("web_server_group").expect("instance");
        assert!(i.is_unicast());
        assert_eq!(i.unicast_src_ip.as_ref().map(|a| a.value), Some(ip(src)));
        let peers: Vec<IpAddr> = i.unicast_peers.iter().map(|p| p.addr.value).collect();
        assert_eq!(peers, vec![ip(peer)]);
    }
}

#[test]
fn seed001_legacy_forms() {
    let (c, l) = ok("examples/seed001-master.conf");
    assert_eq!(
        c.global.router_id.as_ref().map(|r| r.value.as_str()),
        Some("LVS_DEVEL")
    );
    let emails: Vec<&str> = c
        .global
        .notification_email
        .iter()
        .map(|e| e.value.as_str())
        .collect();
    assert_eq!(emails, vec!["735896273@qq.com"]);
    assert_eq!(
        c.global.smtp_connect_timeout.as_ref().map(|t| t.value),
        Some(30)
    );
    let s = c.script("check_http").expect("script");
    assert_eq!(
        s.script.as_ref().map(|x| x.value.as_str()),
        Some("/root/check_nginx.sh")
    );
    assert_eq!(s.interval_secs(), 2);
    assert_eq!(s.weight_value(), 2);
    let i = c.instance("VI_1").expect("instance");
    assert_eq!(i.effective.priority.value, 101);
    assert_eq!(
        i.effective.auth.value,
        Some((AuthType::Pass, b"mynginx".to_vec()))
    );
    // nopreempt with state MASTER is cleared, as keepalived does.
    assert!(i.nopreempt.is_some());
    assert!(!i.effective.nopreempt.value);
    assert!(matches!(i.effective.nopreempt.origin, Origin::Derived(_)));
    let names: Vec<&str> = i
        .tracking
        .scripts
        .iter()
        .map(|r| r.name.value.as_str())
        .collect();
    assert_eq!(names, vec!["check_http"]);
    assert_eq!(i.effective.trackers.len(), 1);
    assert_eq!(i.effective.trackers[0].weight.value, 2);
    // `debug` without a level: a note; the trailing Chinese words: a warning.
    assert!(has(&l, Severity::Note, 49, "`debug` without a level"));
    assert!(has(
        &l,
        Severity::Warning,
        69,
        "unknown track_script option '(调用nginx进程检测脚本)' after `check_http`"
    ));
    assert!(has(
        &l,
        Severity::Warning,
        47,
        "nopreempt has no effect with state MASTER"
    ));
    assert!(has(&l, Severity::Warning, 27, "SECURITY VIOLATION"));
    assert_eq!(l.diagnostics.len(), 4, "{}", l.render());
}

#[test]
fn seed002_label_and_dual_master() {
    let (c, l) = ok("examples/seed002-lb01-single.conf");
    assert!(l.diagnostics.is_empty(), "{}", l.render());
    let i = c.instance("VI_1").expect("instance");
    assert_eq!(i.effective.priority.value, 150);
    let v = &i.vips[0];
    assert_eq!(v.net.value.addr, ip("192.168.178.3"));
    assert_eq!(v.net.value.prefix, 24);
    assert_eq!(v.dev.as_ref().map(|d| d.value.as_str()), Some("ens33"));
    assert_eq!(v.label.as_ref().map(|d| d.value.as_str()), Some("ens33:3"));

    for (file, vi1, vi2) in [
        (
            "seed002-lb01-dual.conf",
            (InitialState::Master, 150),
            (InitialState::Backup, 100),
        ),
        (
            "seed002-lb02-dual.conf",
            (InitialState::Backup, 100),
            (InitialState::Master, 150),
        ),
    ] {
        let (c, l) = ok(&format!("examples/{file}"));
        assert!(l.diagnostics.is_empty(), "{}", l.render());
        let names: Vec<&str> = c.instances.iter().map(|i| i.name.value.as_str()).collect();
        assert_eq!(names, vec!["VI_1", "VI_2"]);
        for (i, (state, prio), vrid, vip, label) in [
            (&c.instances[0], vi1, 51, "192.168.178.3", "ens33:3"),
            (&c.instances[1], vi2, 52, "192.168.178.4", "ens33:4"),
        ] {
            assert_eq!(i.effective.state.value, Some(state));
            assert_eq!(i.effective.priority.value, prio);
            assert_eq!(i.vrid.as_ref().map(|v| v.value), Some(vrid));
            assert_eq!(i.vips[0].net.value.addr, ip(vip));
            assert_eq!(
                i.vips[0].label.as_ref().map(|x| x.value.as_str()),
                Some(label)
            );
        }
    }
    // lb01 writes the second VIP without a prefix, lb02 with /24: both valid.
    let (c, _) = ok("examples/seed002-lb01-dual.conf");
    assert_eq!(c.instances[1].vips[0].net.value.prefix, 32);
    let (c, _) = ok("examples/seed002-lb02-dual.conf");
    assert_eq!(c.instances[1].vips[0].net.value.prefix, 24);
}

#[test]
fn seed003_mcast_src_ip_and_nopreempt() {
    let (c, l) = ok("examples/seed003-master.conf");
    let i = c.instance("VI_1").expect("instance");
    assert_eq!(
        i.mcast_src_ip.as_ref().map(|a| a.value),
        Some(ip("192.168.3.27"))
    );
    assert_eq!(i.vrid.as_ref().map(|v| v.value), Some(33));
    assert!(i.effective.auth.value.is_none());
    assert!(!i.effective.nopreempt.value);
    assert!(has(
        &l,
        Severity::Warning,
        8,
        "nopreempt has no effect with state MASTER"
    ));
    assert_eq!(l.diagnostics.len(), 1, "{}", l.render());

    let (c, l) = ok("examples/seed003-backup.conf");
    assert!(l.diagnostics.is_empty(), "{}", l.render());
    let i = c.instance("VI_1").expect("instance");
    assert_eq!(i.effective.priority.value, 90);
    assert_eq!(
        i.mcast_src_ip.as_ref().map(|a| a.value),
        Some(ip("192.168.3.28"))
    );
    assert_eq!(i.effective.family.value, Some(Family::V4));
}

// ---------------------------------------------------------------------------------------------
// samples/: keepalived's doc/samples (docs/keepalived-compat.md#sample-configurations)

const S: &str = "tests/config/samples/keepalived.conf.";

#[test]
fn sample_vrrp_is_clean() {
    let (c, l) = ok(&format!("{S}vrrp"));
    assert!(l.diagnostics.is_empty(), "{}", l.render());
    let names: Vec<&str> = c.instances.iter().map(|i| i.name.value.as_str()).collect();
    assert_eq!(names, vec!["VI_1", "VI_2", "VI_3", "VI_4"]);
    let i = c.instance("VI_1").expect("VI_1");
    assert_eq!(i.interface.as_ref().map(|x| x.value.as_str()), Some("eth0"));
    assert_eq!(i.vrid.as_ref().map(|x| x.value), Some(51));
    assert_eq!(i.effective.priority.value, 100);
    assert_eq!(
        i.effective.auth.value,
        Some((AuthType::Pass, b"1111".to_vec()))
    );
    assert_eq!(i.vips.len(), 4);
    assert_eq!(
        i.vips[3].label.as_ref().map(|x| x.value.as_str()),
        Some("eth0:1")
    );
    let dump = config::dump(&c);
    assert!(dump.contains("vrrp_instance VI_1 {"), "{dump}");
}

#[test]
fn sample_localcheck_scripts() {
    let (c, l) = ok(&format!("{S}vrrp.localcheck"));
    assert_eq!(c.instances.len(), 9);
    assert_eq!(c.scripts.len(), 5);
    let msgs = diags(&l);
    assert_eq!(msgs.len(), 1, "{}", l.render());
    assert!(msgs[0].2.starts_with("SECURITY VIOLATION"));
    assert!(c.scripts.iter().all(|s| s.script.is_some()));
    let sshd = c.script("chk_sshd").expect("chk_sshd");
    assert_eq!(
        sshd.script.as_ref().map(|s| s.value.as_str()),
        Some("killall -0 sshd")
    );
    assert_eq!(
        (
            sshd.interval_secs(),
            sshd.weight_value(),
            sshd.fall_count(),
            sshd.rise_count()
        ),
        (2, -4, 2, 2)
    );
    assert_eq!(sshd.timeout_secs(), 2);
    let i = c.instance("VI_1").expect("VI_1");
    let ifs: Vec<(&str, Option<i32>)> = i
        .tracking
        .interfaces
        .iter()
        .map(|t| (t.name.value.as_str(), t.weight.as_ref().map(|w| w.value)))
        .collect();
    assert_eq!(
        ifs,
        vec![("eth1", Some(2)), ("eth2", Some(-2)), ("eth3", None)]
    );
    let eff: Vec<(&str, i32)> = i
        .effective
        .trackers
        .iter()
        .filter(|t| t.kind == vrrpd::config::model::TrackerKind::Script)
        .map(|t| (t.name.as_str(), t.weight.value))
        .collect();
    assert_eq!(
        eff,
        vec![
            ("chk_sshd", -4),
            ("chk_haproxy", 2),
            ("chk_http_port", -2),
            ("chk_https_port", -2),
            ("chk_smtp_port", -2)
        ]
    );
    assert_eq!(i.vips[0].net.value.prefix, 25);
    assert!(c
        .instances
        .iter()
        .any(|i| !i.tracking.interfaces.is_empty()));
}

#[test]
fn sample_lvs_syncd_old_style_group() {
    let l = load(&format!("{S}vrrp.lvs_syncd"));
    assert!(l.config.is_none());
    assert!(has(&l, Severity::Error, 4, "Unknown keyword 'VI_2'"));
    assert!(has(&l, Severity::Error, 5, "Unknown keyword 'VI_3'"));
    assert!(has(
        &l,
        Severity::Warning,
        3,
        "Sync group VG1 has no virtual router(s). removing"
    ));
    assert!(has(
        &l,
        Severity::Warning,
        11,
        "ignored: vrrpd manages VRRP only"
    ));
    assert!(has(
        &l,
        Severity::Warning,
        50,
        "ignored: vrrpd manages VRRP only"
    ));
    assert_eq!(l.diagnostics.len(), 5, "{}", l.render());
}

#[test]
fn sample_routes() {
    let (c, l) = ok(&format!("{S}vrrp.routes"));
    assert_eq!(c.static_routes.len(), 5);
    let i = c.instance("VI_1").expect("VI_1");
    assert_eq!(i.routes.len(), 7);
    assert_eq!(
        i.routes[4].or_via.as_ref().map(|x| x.value),
        Some(ip("192.168.100.253"))
    );
    assert_eq!(
        i.routes[5].kind.as_ref().map(|x| x.value.as_str()),
        Some("blackhole")
    );
    assert_eq!(
        i.routes[6].table.as_ref().map(|x| x.value.as_str()),
        Some("100")
    );
    assert_eq!(
        i.vips[1].dev.as_ref().map(|x| x.value.as_str()),
        Some("eth1")
    );
    assert!(has(
        &l,
        Severity::Warning,
        30,
        "\"or\" for routes is deprecated"
    ));
    assert!(has(
        &l,
        Severity::Warning,
        32,
        "\"gw\" for routes is deprecated"
    ));
    // The second gateway is not added (docs/keywords.md).
    assert!(has(
        &l,
        Severity::Warning,
        30,
        "`or` is not performed by vrrpd"
    ));
    assert_eq!(l.diagnostics.len(), 3, "{}", l.render());
}

#[test]
fn sample_rules_has_invalid_prefixes() {
    let l = load(&format!("{S}vrrp.rules"));
    assert!(has(
        &l,
        Severity::Error,
        11,
        "invalid IP address '192.168.100./24'"
    ));
    assert!(has(
        &l,
        Severity::Error,
        26,
        "invalid IP address '192.168.200./24'"
    ));
    assert_eq!(l.diagnostics.len(), 2, "{}", l.render());
}

#[test]
fn sample_scripts_and_sync() {
    for (file, instances, groups) in [("vrrp.scripts", 3, 1), ("vrrp.sync", 9, 2)] {
        let (c, l) = ok(&format!("{S}{file}"));
        assert_eq!(c.instances.len(), instances, "{file}");
        assert_eq!(c.sync_groups.len(), groups, "{file}");
        for g in &c.sync_groups {
            assert!(!g.members.is_empty());
            for m in &g.members {
                let i = c.instance(&m.value).expect("member resolves");
                assert_eq!(
                    i.effective.sync_group.as_deref(),
                    Some(g.name.value.as_str())
                );
            }
        }
        let msgs = diags(&l);
        assert_eq!(msgs.len(), 1, "{}", l.render());
        assert!(msgs[0].2.starts_with("SECURITY VIOLATION"));
    }
    let (c, _) = ok(&format!("{S}vrrp.scripts"));
    let g = c.sync_group("G1").expect("G1");
    let members: Vec<&str> = g.members.iter().map(|m| m.value.as_str()).collect();
    assert_eq!(members, vec!["VI_2", "VI_3"]);
    assert_eq!(
        g.notify.backup.as_ref().map(|n| n.cmd.value.as_str()),
        Some("/usr/local/bin/vrrp.back arg1 arg2")
    );
    let i = c.instance("VI_1").expect("VI_1");
    assert_eq!(
        i.notify.master.as_ref().map(|n| n.cmd.value.as_str()),
        Some("/usr/local/bin/vrrp.sh  MASTER  VI_1")
    );
    assert_eq!(i.smtp_alert.as_ref().map(|s| s.value), Some(true));
    assert_eq!(i.effective.sync_group, None);
    let vi2 = c.instance("VI_2").expect("VI_2");
    assert_eq!(vi2.effective.priority.value, 150);
    assert_eq!(vi2.vips[0].net.value.prefix, 27);
}

#[test]
fn sample_static_ipaddress_and_track_interface() {
    let (c, l) = ok(&format!("{S}vrrp.static_ipaddress"));
    assert!(l.diagnostics.is_empty(), "{}", l.render());
    assert!(!c.static_addresses.is_empty());
    let (c, l) = ok(&format!("{S}track_interface"));
    assert!(l.diagnostics.is_empty(), "{}", l.render());
    let i = &c.instances[0];
    assert!(!i.tracking.interfaces.is_empty());
    assert!(i.vips.iter().any(|v| v.dev.is_some()));
    assert!(!i.routes.is_empty());
}

#[test]
fn sample_with_lvs_parts() {
    let (c, l) = ok(&format!("{S}sample"));
    assert!(!c.instances.is_empty());
    assert!(diags(&l)
        .iter()
        .all(|(s, _, m)| *s == Severity::Warning && m == "ignored: vrrpd manages VRRP only"));
    assert!(!c.ignored.is_empty());

    let (c, l) = ok(&format!("{S}SSL_GET"));
    let i = c.instance("VI_1").expect("VI_1");
    assert_eq!(
        i.effective.auth.value.as_ref().map(|a| a.0),
        Some(AuthType::Ah)
    );
    // keepalived: `(VI_1) Initial state master is incompatible with AH authentication - clearing`.
    assert_eq!(i.effective.state.value, Some(InitialState::Backup));
    assert!(has(
        &l,
        Severity::Warning,
        20,
        "Initial state master is incompatible with AH authentication"
    ));
}

#[test]
fn sample_conditional_conf_needs_config_id() {
    // `@high` / `@low` lines: with `-i high` the high-priority variant is selected.
    let (c, _) = {
        let mut l = load_with_id(&format!("{S}conditional_conf"), "high");
        let errors: Vec<_> = l.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{}", l.render());
        (l.config.take().expect("config"), l)
    };
    let i = &c.instances[0];
    assert_eq!(i.effective.priority.value, 170);
    assert!(c.scripts[0]
        .script
        .as_ref()
        .is_some_and(|s| s.value.contains("check_high")));
}

// ---------------------------------------------------------------------------------------------
// err/: snapshot of the rendered diagnostics

#[test]
fn err_corpus_snapshots() {
    let bless = std::env::var_os("VRRPD_BLESS").is_some();
    let mut failures = Vec::new();
    let mut count = 0;
    for p in files_in("tests/config/err") {
        if p.extension().and_then(|e| e.to_str()) != Some("conf") {
            continue;
        }
        count += 1;
        let path = p.to_string_lossy().to_string();
        let loaded = load(&path);
        let rendered = loaded.render();
        let expected_path = p.with_extension("stderr");
        if bless {
            std::fs::write(&expected_path, &rendered).unwrap_or_else(|e| panic!("{e}"));
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != rendered {
            failures.push(format!(
                "--- {}\n+++ actual\n{rendered}",
                expected_path.display()
            ));
        }
        // Every broken config says something.
        if loaded.diagnostics.is_empty() {
            failures.push(format!("{path}: no diagnostic at all"));
        }
    }
    assert!(count >= 25, "only {count} err cases");
    assert!(
        failures.is_empty(),
        "{} snapshot(s) differ (VRRPD_BLESS=1 rewrites them):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Mutation test

/// Blocks whose entries accept any word, so a bogus line is not an error there.
const FREE_TEXT_BLOCKS: &[&str] = &["notification_email", "track_interface"];

fn clean_files() -> Vec<PathBuf> {
    let mut v = files_in("examples");
    for s in [
        "vrrp",
        "vrrp.localcheck",
        "vrrp.routes",
        "vrrp.scripts",
        "vrrp.static_ipaddress",
        "vrrp.sync",
        "track_interface",
        "sample",
        "SSL_GET",
    ] {
        v.push(PathBuf::from(format!("{S}{s}")));
    }
    v
}

#[test]
fn mutation_bogus_keyword_in_every_block() {
    let mut failures = Vec::new();
    let mut mutations = 0;
    for p in clean_files() {
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let base = config::load_str(&text);
        let base_errors = base.diagnostics.iter().filter(|d| d.is_error()).count();
        assert_eq!(
            base_errors,
            0,
            "{} is not clean:\n{}",
            p.display(),
            base.render()
        );
        let lines: Vec<&str> = text.lines().collect();
        // Insertion points: before line 0 (top level) and after every line opening a block.
        let mut points = vec![(0usize, String::from("<top>"))];
        let mut skip_depth: Option<usize> = None;
        let mut depth = 0usize;
        for (n, line) in lines.iter().enumerate() {
            let code = line.split(['#', '!']).next().unwrap_or("");
            let opens = code.matches('{').count();
            let closes = code.matches('}').count();
            let kw = code.split_whitespace().next().unwrap_or("");
            if opens > closes {
                let skipped =
                    skip_depth.is_some() || FREE_TEXT_BLOCKS.contains(&kw) || is_ignored_block(kw);
                if !skipped {
                    points.push((n + 1, kw.to_string()));
                } else if skip_depth.is_none() {
                    skip_depth = Some(depth);
                }
            }
            depth = (depth + opens).saturating_sub(closes);
            if skip_depth.is_some_and(|d| depth <= d) {
                skip_depth = None;
            }
        }
        for (at, block) in points {
            mutations += 1;
            let mut mutated: Vec<&str> = lines.clone();
            mutated.insert(at, "vrrpd_bogus_keyword 1");
            let m = config::load_str(&mutated.join("\n"));
            let errors: Vec<&Diagnostic> = m.diagnostics.iter().filter(|d| d.is_error()).collect();
            let at_line: Vec<&&Diagnostic> = errors
                .iter()
                .filter(|d| {
                    d.span.and_then(|s| m.sources.locate(s)).map(|(_, l, _)| l) == Some(at + 1)
                })
                .collect();
            // In a sync group's `group { }` every word is a member name, so the two words of
            // the bogus line are two unknown members, both on that line.
            let expected = if block == "group" { 2 } else { 1 };
            if errors.len() != expected || at_line.len() != expected {
                failures.push(format!(
                    "{} line {} (in {block}): expected exactly {expected} new error(s) at that line, got:\n{}",
                    p.display(),
                    at + 1,
                    m.render()
                ));
            }
        }
    }
    assert!(mutations > 50, "only {mutations} mutations");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn is_ignored_block(kw: &str) -> bool {
    matches!(
        kw,
        "virtual_server" | "virtual_server_group" | "real_server" | "bfd_instance" | "SSL"
    )
}

// ---------------------------------------------------------------------------------------------
// Lowering never panics

const VOCAB: &[&str] = &[
    "global_defs",
    "vrrp_instance",
    "vrrp_script",
    "vrrp_sync_group",
    "vrrp_track_process",
    "track_file",
    "static_ipaddress",
    "static_routes",
    "static_rules",
    "virtual_server",
    "state",
    "interface",
    "virtual_router_id",
    "priority",
    "advert_int",
    "nopreempt",
    "preempt",
    "preempt_delay",
    "authentication",
    "auth_type",
    "auth_pass",
    "virtual_ipaddress",
    "virtual_ipaddress_excluded",
    "virtual_routes",
    "virtual_rules",
    "unicast_src_ip",
    "unicast_peer",
    "mcast_src_ip",
    "mcast_dst_ip",
    "version",
    "track_interface",
    "track_script",
    "track_process",
    "notify",
    "notify_master",
    "notify_deleted",
    "smtp_alert",
    "use_vmac",
    "debug",
    "group",
    "script",
    "interval",
    "weight",
    "rise",
    "fall",
    "user",
    "init_fail",
    "process",
    "quorum",
    "file",
    "init_file",
    "router_id",
    "vrrp_version",
    "vrrp_strict",
    "vrrp_mcast_group4",
    "umask",
    "max_auto_priority",
    "dynamic_interfaces",
    "garp_extra_if",
    "vrrp_garp_extra_if",
    "smtp_server",
    "notification_email",
    "sync_group_tracking_weight",
    "MASTER",
    "BACKUP",
    "PASS",
    "AH",
    "0",
    "1",
    "255",
    "256",
    "-1",
    "-254",
    "0.5",
    "1.0000005",
    "40.96",
    "3x",
    "",
    "10.0.0.1",
    "10.0.0.1/24",
    "10.0.0.1/33",
    "fe80::1",
    "ff02::12",
    "224.0.0.18",
    "::",
    "dev",
    "eth0",
    "lo",
    "label",
    "eth0:1",
    "brd",
    "+",
    "-",
    "scope",
    "link",
    "peer",
    "preferred_lft",
    "forever",
    "min_ttl",
    "max_ttl",
    "reverse",
    "noreverse",
    "yes",
    "no",
    "all",
    "via",
    "gw",
    "or",
    "table",
    "metric",
    "from",
    "to",
    "src",
    "default",
    "blackhole",
    "no_track",
    "VI_1",
    "VI_2",
    "chk",
    "\u{a0}",
    "é",
    "{",
    "}",
    "\"q w\"",
];

fn random_word(rng: &mut Rng, pos: usize) -> Word {
    let text = rng.pick(VOCAB);
    Word {
        span: Span::new(FileId(0), pos, pos + text.len()),
        text: text.into(),
        quoted: rng.index(10) == 0,
    }
}

fn random_stmts(rng: &mut Rng, depth: usize, pos: &mut usize) -> Vec<Stmt> {
    let n = rng.index(8);
    (0..n)
        .map(|_| {
            *pos += 3;
            let keyword = random_word(rng, *pos);
            let args = (0..rng.index(5))
                .map(|_| {
                    *pos += 2;
                    random_word(rng, *pos)
                })
                .collect();
            let block = if depth < 4 && rng.index(3) == 0 {
                let open = Span::new(FileId(0), *pos, *pos + 1);
                let stmts = random_stmts(rng, depth + 1, pos);
                let close = if rng.index(8) == 0 {
                    None
                } else {
                    Some(Span::new(FileId(0), *pos, *pos + 1))
                };
                Some(Block { open, close, stmts })
            } else {
                None
            };
            Stmt {
                keyword,
                args,
                block,
            }
        })
        .collect()
}

#[test]
fn lowering_random_trees_never_panics() {
    let mut rng = Rng::from_state(0x9E37_79B9_7F4A_7C15);
    for _ in 0..1000 {
        let mut pos = 0;
        let stmts = random_stmts(&mut rng, 0, &mut pos);
        let mut sources = SourceMap::new();
        sources.add(PathBuf::from("random.conf"), "x".repeat(pos + 64));
        let loaded = config::lower(Parsed {
            sources,
            stmts,
            diagnostics: Vec::new(),
        });
        if let Some(c) = &loaded.config {
            let _ = config::dump(c);
        }
        let _ = loaded.render();
    }
}

#[test]
fn lowering_random_text_never_panics() {
    let mut rng = Rng::from_state(0x1234_5678_9ABC_DEF1);
    for _ in 0..1000 {
        let mut text = String::new();
        for _ in 0..rng.index(40) {
            let w = rng.pick(VOCAB);
            text.push_str(w);
            text.push(match rng.index(6) {
                0 => '\n',
                1 => '\t',
                _ => ' ',
            });
        }
        let loaded = config::load_str(&text);
        if let Some(c) = &loaded.config {
            let _ = config::dump(c);
        }
        let _ = loaded.render();
        // Every diagnostic points inside the source.
        for d in &loaded.diagnostics {
            if let Some(s) = d.span {
                let file = loaded.sources.get(s.file).expect("span file exists");
                assert!(
                    s.start <= s.end && s.end as usize <= file.text.len(),
                    "{d:?} in {text:?}"
                );
            }
        }
    }
}

#[test]
fn generated_configs_are_valid() {
    for n in [1, 2, 25, 300, 1020] {
        let text = config::testgen::many_instances(n);
        let l = config::load_str(&text);
        assert!(l.diagnostics.is_empty(), "n={n}:\n{}", l.render());
        let c = l.config.expect("config");
        assert_eq!(c.instances.len(), n);
    }
}
