//! Derived settings, cross-checks, `--check-interfaces` and `--dump-conf`
//! (docs/keepalived-compat.md#derived-instance-settings, docs/keepalived-compat.md#strict-mode, docs/keepalived-compat.md#weights-and-effective-priority, docs/keepalived-compat.md#trackers-in-sync-groups, docs/keepalived-compat.md#sync-groups). Each test builds its config from a
//! keepalived.conf snippet.

use std::net::IpAddr;
use std::path::PathBuf;

use vrrpd::config::diag::Severity;
use vrrpd::config::model::{Config, Family, InitialState, IpNet, Origin, TrackerKind, Version};
use vrrpd::config::{self, check_host, HostInfo, HostInterface, Loaded};

fn load_ok(text: &str) -> (Config, Loaded) {
    let mut l = config::load_str(text);
    assert!(!l.has_errors(), "unexpected errors:\n{}", l.render());
    let c = l.config.take().expect("config");
    (c, l)
}

fn messages(l: &Loaded) -> Vec<(Severity, String)> {
    l.diagnostics
        .iter()
        .map(|d| (d.severity, d.message.clone()))
        .collect()
}

fn instance(body: &str) -> String {
    format!("vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 51\n{body}\n}}\n")
}

#[test]
fn state_master_without_priority_is_the_owner() {
    let (c, _) = load_ok(&instance(
        "    state MASTER\n    virtual_ipaddress {\n        10.0.0.1\n    }",
    ));
    let i = &c.instances[0];
    assert_eq!(i.effective.priority.value, 255);
    assert!(
        matches!(&i.effective.priority.origin, Origin::Derived(w) if w.contains("state MASTER without priority"))
    );
    let dump = config::dump(&c);
    let line = dump
        .lines()
        .find(|l| l.trim_start().starts_with("priority"))
        .expect("priority line");
    assert!(
        line.contains("priority 255")
            && line
                .contains("# derived: state MASTER without priority (docs/keepalived-compat.md#vrrp_instance-keywords)"),
        "{line}"
    );
}

#[test]
fn priority_255_without_state_starts_master_and_default_is_backup_100() {
    let (c, _) = load_ok(&instance(
        "    priority 255\n    virtual_ipaddress {\n        10.0.0.1\n    }",
    ));
    assert_eq!(
        c.instances[0].effective.state.value,
        Some(InitialState::Master)
    );
    let (c, _) = load_ok(&instance(
        "    virtual_ipaddress {\n        10.0.0.1\n    }",
    ));
    let e = &c.instances[0].effective;
    assert_eq!(e.state.value, Some(InitialState::Backup));
    assert_eq!(e.priority.value, 100);
    assert_eq!(e.priority.origin, Origin::Default);
    assert_eq!(e.version.value, Some(Version::V2));
    assert_eq!(e.advert_int_cs.value, 100);
    assert_eq!(
        e.mcast_group.value,
        Some("224.0.0.18".parse::<IpAddr>().expect("ip"))
    );
    assert_eq!(e.garp_master_delay.value, 5);
    assert_eq!(e.garp_master_repeat.value, 5);
    assert_eq!(e.garp_lower_prio_repeat.value, 5);
    assert!(e.accept.value);
    assert_eq!(e.down_timer_adverts.value, 3);
}

#[test]
fn ipv6_implies_v3_and_10ms_rounding() {
    let (c, l) = load_ok(&instance("    advert_int 0.333\n    virtual_ipaddress {\n        fe80::1\n        2001:db8::1/64\n    }"));
    let e = &c.instances[0].effective;
    assert_eq!(e.family.value, Some(Family::V6));
    assert_eq!(e.version.value, Some(Version::V3));
    assert!(matches!(&e.version.origin, Origin::Derived(w) if w.contains("IPv6 implies VRRPv3")));
    assert_eq!(e.advert_int_cs.value, 33);
    assert_eq!(e.advert_interval(), std::time::Duration::from_millis(330));
    assert_eq!((e.family(), e.version()), (Family::V6, Version::V3));
    assert_eq!(e.initial_state(), InitialState::Backup);
    assert_eq!(
        e.mcast_group.value,
        Some("ff02::12".parse::<IpAddr>().expect("ip"))
    );
    assert!(messages(&l)
        .iter()
        .any(|(s, m)| *s == Severity::Warning && m.contains("must be in units of 10ms")));
}

/// keepalived 2.2.7's VRRPv2 over IPv6: `version 2` before the first IPv6 address is kept
/// (with a warning saying what goes on the wire); after it, an error as keepalived reports;
/// in strict mode, version 3 with a warning.
#[test]
fn version_2_with_ipv6_follows_keepalived() {
    let vips = "    virtual_ipaddress {\n        fd00::100/64\n    }";
    let (c, l) = load_ok(&instance(&format!("    version 2\n{vips}")));
    let e = &c.instances[0].effective;
    assert_eq!((e.family(), e.version()), (Family::V6, Version::V2));
    assert!(messages(&l)
        .iter()
        .any(|(s, m)| *s == Severity::Warning && m.contains("VRRPv2 over IPv6 is not standard")));
    let l = config::load_str(&instance(&format!("{vips}\n    version 2")));
    assert!(messages(&l).iter().any(|(s, m)| *s == Severity::Error
        && m.contains("vrrp_version 2 conflicts with configured or deduced version 3")));
    let strict_vips = "    virtual_ipaddress {\n        fe80::100/64\n    }";
    let (c, l) = load_ok(&instance(&format!(
        "    strict_mode\n    version 2\n{strict_vips}"
    )));
    assert_eq!(c.instances[0].effective.version(), Version::V3);
    assert!(
        messages(&l)
            .iter()
            .any(|(s, m)| *s == Severity::Warning
                && m.contains("cannot use IPv6 with VRRP version 2"))
    );
    // Global vrrp_version 2 does not apply to IPv6 instances.
    let (c, _) = load_ok(&format!(
        "global_defs {{\n    vrrp_version 2\n}}\n{}",
        instance(vips)
    ));
    assert_eq!(c.instances[0].effective.version(), Version::V3);
}

#[test]
fn v2_advert_int_rounds_to_whole_seconds() {
    let (c, l) = load_ok(&instance(
        "    advert_int 1.5\n    virtual_ipaddress {\n        10.0.0.1\n    }",
    ));
    assert_eq!(c.instances[0].effective.advert_int_cs.value, 200);
    assert!(messages(&l)
        .iter()
        .any(|(_, m)| m.contains("must be an integer. rounding")));
    let (c, _) = load_ok(&instance(
        "    advert_int 0.3\n    version 3\n    virtual_ipaddress {\n        10.0.0.1\n    }",
    ));
    assert_eq!(c.instances[0].effective.advert_int_cs.value, 30);
}

#[test]
fn global_defaults_are_inherited_with_their_origin() {
    let text = format!(
        "global_defs {{\n    vrrp_version 3\n    vrrp_garp_master_delay 2\n    vrrp_mcast_group4 224.0.0.99\n    vrrp_check_unicast_src\n}}\n{}",
        instance("    garp_master_repeat 3\n    virtual_ipaddress {\n        10.0.0.1\n    }")
    );
    let (c, _) = load_ok(&text);
    let e = &c.instances[0].effective;
    assert_eq!(e.version.value, Some(Version::V3));
    assert!(matches!(e.version.origin, Origin::Global(_)));
    assert_eq!(e.garp_master_delay.value, 2);
    assert!(matches!(e.garp_master_delay.origin, Origin::Global(_)));
    assert_eq!(e.garp_master_repeat.value, 3);
    assert!(matches!(e.garp_master_repeat.origin, Origin::Written(_)));
    // lower_prio_* follow the master values (docs/keepalived-compat.md#global_defs-keywords).
    assert_eq!(e.garp_lower_prio_delay.value, 2);
    assert_eq!(e.garp_lower_prio_repeat.value, 3);
    assert_eq!(
        e.mcast_group.value,
        Some("224.0.0.99".parse::<IpAddr>().expect("ip"))
    );
    assert!(e.check_unicast_src.value);
    assert!(config::dump(&c).contains("# from global_defs"));
}

#[test]
fn strict_mode_forces_rfc_behaviour() {
    let text = format!(
        "global_defs {{\n    vrrp_strict\n}}\n{}",
        instance("    priority 100\n    down_timer_adverts 5\n    virtual_ipaddress {\n        10.0.0.1\n    }")
    );
    let (c, _) = load_ok(&text);
    let e = &c.instances[0].effective;
    assert!(e.strict.value);
    assert!(!e.accept.value);
    assert!(e.lower_prio_no_advert.value);
    assert_eq!(e.down_timer_adverts.value, 3);
    assert_eq!(e.garp_lower_prio_repeat.value, 0);
}

#[test]
fn min_garp_only_changes_defaults() {
    let text = format!(
        "global_defs {{\n    vrrp_min_garp\n}}\n{}",
        instance("    garp_master_delay 7\n    virtual_ipaddress {\n        10.0.0.1\n    }")
    );
    let (c, _) = load_ok(&text);
    let e = &c.instances[0].effective;
    assert_eq!(e.garp_master_repeat.value, 1);
    assert_eq!(e.garp_master_delay.value, 7);
    assert_eq!(e.garp_master_refresh_repeat.value, 0);
}

#[test]
fn trackers_resolve_weights_and_sync_group_rules() {
    let text = "global_defs {\n    enable_script_security\n}\n\
        vrrp_script chk {\n    script \"/usr/bin/true\"\n    weight -20\n}\n\
        vrrp_script chk2 {\n    script \"/usr/bin/true\"\n}\n\
        track_file tf {\n    file /run/x\n}\n\
        vrrp_track_process tp {\n    process nginx\n    weight 5 reverse\n}\n\
        vrrp_sync_group G {\n    group {\n        A\n        B\n    }\n    sync_group_tracking_weight\n    track_script {\n        chk2 weight 3\n    }\n}\n\
        vrrp_instance A {\n    interface eth0\n    virtual_router_id 1\n    virtual_ipaddress {\n        10.0.0.1\n    }\n    track_script {\n        chk\n        chk2 weight 4 reverse\n    }\n    track_file {\n        tf\n    }\n    track_process {\n        tp\n    }\n    track_interface {\n        eth1\n    }\n}\n\
        vrrp_instance B {\n    interface eth0\n    virtual_router_id 2\n    virtual_ipaddress {\n        10.0.0.2\n    }\n}\n";
    let (c, l) = load_ok(text);
    assert!(l.diagnostics.is_empty(), "{}", l.render());
    let a = c.instance("A").expect("A");
    assert_eq!(a.effective.sync_group.as_deref(), Some("G"));
    let t: Vec<(TrackerKind, &str, i32, bool)> = a
        .effective
        .trackers
        .iter()
        .map(|t| (t.kind, t.name.as_str(), t.weight.value, t.reverse))
        .collect();
    assert_eq!(
        t,
        vec![
            (TrackerKind::Interface, "eth1", 0, false),
            (TrackerKind::Script, "chk", -20, false),
            (TrackerKind::Script, "chk2", 4, true),
            (TrackerKind::File, "tf", 1, false),
            (TrackerKind::Process, "tp", 5, true),
        ]
    );
    let g = c.sync_group("G").expect("G");
    assert_eq!(g.trackers.len(), 1);
    assert_eq!(g.trackers[0].weight.value, 3);
}

#[test]
fn group_tracker_references_are_checked() {
    let text = format!(
        "vrrp_sync_group G {{\n    group {{\n        VI_1\n    }}\n    track_script {{\n        nope\n    }}\n}}\n{}",
        instance("    virtual_ipaddress {\n        10.0.0.1\n    }")
    );
    let l = config::load_str(&text);
    assert!(
        messages(&l)
            .iter()
            .any(|(s, m)| *s == Severity::Error && m.contains("(G) track script nope not found")),
        "{}",
        l.render()
    );
}

#[test]
fn vrid_conflicts_need_same_interface_family_and_group() {
    let two = |a: &str, b: &str| {
        format!(
            "vrrp_instance A {{\n    virtual_router_id 9\n{a}\n}}\nvrrp_instance B {{\n    virtual_router_id 9\n{b}\n}}\n"
        )
    };
    let v4 = "    interface eth0\n    virtual_ipaddress {\n        10.0.0.1\n    }";
    let other_if = "    interface eth1\n    virtual_ipaddress {\n        10.0.0.2\n    }";
    let v6 = "    interface eth0\n    virtual_ipaddress {\n        fe80::1\n    }";
    let other_group = "    interface eth0\n    mcast_dst_ip 224.0.0.99\n    virtual_ipaddress {\n        10.0.0.3\n    }";
    let unicast = "    interface eth0\n    unicast_peer {\n        10.0.0.9\n    }\n    virtual_ipaddress {\n        10.0.0.4\n    }";
    for (b, conflict) in [
        (v4, true),
        (other_if, false),
        (v6, false),
        (other_group, false),
        (unicast, false),
    ] {
        let l = config::load_str(&two(v4, b));
        let found = messages(&l)
            .iter()
            .any(|(_, m)| m.contains("A and B both use VRID 9"));
        assert_eq!(found, conflict, "{b}\n{}", l.render());
    }
}

fn host(ifs: &[(&str, bool, bool, bool, &str)]) -> HostInfo {
    HostInfo {
        interfaces: ifs
            .iter()
            .enumerate()
            .map(|(n, (name, up, lo, mc, addr))| HostInterface {
                name: (*name).to_string(),
                index: u32::try_from(n + 1).unwrap_or(0),
                up: *up,
                is_loopback: *lo,
                multicast: *mc,
                addrs: addr
                    .split_whitespace()
                    .map(|a| IpNet {
                        addr: a.parse().expect("ip"),
                        prefix: 24,
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
    }
}

#[test]
fn check_host_reports_interface_problems() {
    let text = "vrrp_instance A {\n    interface eth9\n    virtual_router_id 1\n    virtual_ipaddress {\n        10.0.0.1 dev eth8\n    }\n    track_interface {\n        eth7\n    }\n}\n\
        vrrp_instance B {\n    interface lo\n    virtual_router_id 2\n    virtual_ipaddress {\n        10.0.0.2\n    }\n}\n\
        vrrp_instance C {\n    interface tun0\n    virtual_router_id 3\n    virtual_ipaddress {\n        10.0.0.3\n    }\n}\n\
        vrrp_instance D {\n    interface eth0\n    virtual_router_id 4\n    unicast_src_ip 10.9.9.9\n    unicast_peer {\n        10.0.0.8\n    }\n    virtual_ipaddress {\n        10.0.0.4\n    }\n}\n";
    let (c, _) = load_ok(text);
    let h = host(&[
        ("lo", true, true, false, "127.0.0.1"),
        ("eth0", false, false, true, "10.0.0.5"),
        ("tun0", true, false, false, ""),
    ]);
    let d = check_host(&c, &h);
    let m: Vec<(Severity, &str)> = d.iter().map(|d| (d.severity, d.message.as_str())).collect();
    let has = |sev: Severity, needle: &str| m.iter().any(|(s, x)| *s == sev && x.contains(needle));
    assert!(
        has(
            Severity::Error,
            "interface eth9 for vrrp_instance A doesn't exist"
        ),
        "{m:?}"
    );
    assert!(
        has(
            Severity::Error,
            "interface eth8 for virtual_ipaddress of vrrp_instance A"
        ),
        "{m:?}"
    );
    assert!(has(Severity::Error, "tracked interface eth7"), "{m:?}");
    assert!(
        has(
            Severity::Error,
            "(B) cannot use a loopback interface (lo) for vrrp"
        ),
        "{m:?}"
    );
    assert!(
        has(
            Severity::Error,
            "(C) interface tun0 does not support multicast"
        ),
        "{m:?}"
    );
    assert!(
        has(Severity::Warning, "(D) interface eth0 is down"),
        "{m:?}"
    );
    assert!(
        has(
            Severity::Warning,
            "(D) unicast_src_ip 10.9.9.9 is not configured on this host"
        ),
        "{m:?}"
    );
    assert_eq!(m.len(), 7, "{m:?}");

    // dynamic_interfaces: missing interfaces are warnings.
    let (c, _) = load_ok(&format!(
        "global_defs {{\n    dynamic_interfaces\n}}\n{}",
        instance("    virtual_ipaddress {\n        10.0.0.1\n    }")
    ));
    let d = check_host(&c, &host(&[]));
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].severity, Severity::Warning);

    // A matching host is clean.
    let (c, _) = load_ok(&instance(
        "    virtual_ipaddress {\n        10.0.0.1\n    }",
    ));
    assert!(check_host(&c, &host(&[("eth0", true, false, true, "10.0.0.5")])).is_empty());
}

fn corpus() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir("examples")
        .expect("examples dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
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
        v.push(PathBuf::from(format!(
            "tests/config/samples/keepalived.conf.{s}"
        )));
    }
    v.sort();
    v
}

/// The dump is itself a valid configuration describing the same instances.
#[test]
fn dump_reparses_without_errors() {
    for p in corpus() {
        let text = std::fs::read_to_string(&p).expect("read");
        let (c, _) = load_ok(&text);
        let dumped = config::dump(&c);
        let again = config::load_str(&dumped);
        assert!(
            !again.has_errors(),
            "{}: dump does not re-parse:\n{}\n{dumped}",
            p.display(),
            again.render()
        );
        let c2 = again.config.expect("config");
        assert_eq!(c2.instances.len(), c.instances.len(), "{}", p.display());
        for (a, b) in c.instances.iter().zip(c2.instances.iter()) {
            assert_eq!(a.name.value, b.name.value);
            assert_eq!(
                a.effective.priority.value,
                b.effective.priority.value,
                "{}",
                p.display()
            );
            assert_eq!(
                a.effective.state.value,
                b.effective.state.value,
                "{}",
                p.display()
            );
            assert_eq!(
                a.effective.advert_int_cs.value,
                b.effective.advert_int_cs.value
            );
            assert_eq!(a.vips.len(), b.vips.len());
            assert_eq!(
                a.effective.auth.value,
                b.effective.auth.value,
                "{}",
                p.display()
            );
        }
    }
}

/// keepalived resolves track_script names against scripts read earlier, across includes too.
#[test]
fn track_script_order_follows_includes() {
    use std::path::Path;
    use vrrpd::config::read::source::MemLoader;
    use vrrpd::config::read::ParseOptions;
    let inst = instance(
        "    virtual_ipaddress {\n        10.0.0.1\n    }\n    track_script {\n        chk\n    }",
    );
    let script = "global_defs {\n    enable_script_security\n}\nvrrp_script chk {\n    script /bin/true\n}\n";
    for (order, ok) in [
        ("script.conf inst.conf", true),
        ("inst.conf script.conf", false),
    ] {
        let main: String = order
            .split(' ')
            .map(|f| format!("include /etc/k/{f}\n"))
            .collect();
        let loader = MemLoader::new()
            .with("/etc/k/main.conf", main)
            .with("/etc/k/inst.conf", inst.clone())
            .with("/etc/k/script.conf", script);
        let l = config::load(
            &loader,
            Path::new("/etc/k/main.conf"),
            &ParseOptions::default(),
        )
        .expect("load");
        assert_eq!(!l.has_errors(), ok, "{order}:\n{}", l.render());
        if !ok {
            assert!(messages(&l)
                .iter()
                .any(|(_, m)| m.contains("track script chk not found")));
        }
    }
}
