//! `virtual_routes` / `virtual_rules` as core actions (docs/keepalived-compat.md#vrrp_instance-keywords, docs/keepalived-compat.md#state-machine,
//! docs/keepalived-compat.md#addresses-deleted-while-master, docs/keepalived-compat.md#removing-addresses), on explicit times from t0.

use crate::common;

use common::*;
use vrrpd::proto::{Action, Input, InstanceSettings, RouteSpec, RuleSpec, State};

/// `vrrp_instance VI_1 { ... virtual_ipaddress { 10.0.0.100/24 }
/// virtual_ipaddress_excluded { 192.168.1.1/24 }
/// virtual_routes { 192.168.10.0/24 via 10.0.0.254; 0.0.0.0/0 via 10.0.0.254 table 100 no_track }
/// virtual_rules { from 10.0.0.100 table 100 } }`.
fn vi_1() -> InstanceSettings {
    InstanceSettings::backup("VI_1", 51)
        .priority(100)
        .vip("10.0.0.100/24")
        .excluded_vip("192.168.1.1/24")
        .route(RouteSpec::to("192.168.10.0/24").via("10.0.0.254"))
        .route(
            RouteSpec::to("0.0.0.0/0")
                .via("10.0.0.254")
                .table(100)
                .no_track(),
        )
        .rule(RuleSpec::from_table("10.0.0.100", 100))
}

fn master_rig() -> Rig {
    let mut rig = Rig::one(vi_1());
    rig.advance_to(ms(4000));
    assert_eq!(rig.state("VI_1"), State::Master);
    rig
}

/// The address/route/rule actions, in order, as short words.
fn kinds(rig: &Rig) -> Vec<String> {
    rig.out
        .iter()
        .filter_map(|t| match &t.action {
            Action::SendAdvert { bytes, .. } => Some(format!("advert{}", bytes[2])),
            Action::AddVip { vip, .. } => Some(format!("+ip {}", vip.addr)),
            Action::DelVip { vip, .. } => Some(format!("-ip {}", vip.addr)),
            Action::AddRoute { spec, .. } => Some(format!("+route {}", spec.dst)),
            Action::DelRoute { spec, .. } => Some(format!("-route {}", spec.dst)),
            Action::AddRule { spec, .. } => Some(format!("+rule {spec}")),
            Action::DelRule { spec, .. } => Some(format!("-rule {spec}")),
            Action::Notify { event, .. } => Some(format!("notify {}", event.word())),
            _ => None,
        })
        .collect()
}

#[test]
fn becoming_master_adds_addresses_then_routes_then_rules() {
    let rig = master_rig();
    assert_eq!(
        kinds(&rig),
        [
            "notify BACKUP",
            "advert100",
            "+ip 10.0.0.100",
            "+ip 192.168.1.1",
            "+route 192.168.10.0/24",
            "+route 0.0.0.0/0",
            "+rule from 10.0.0.100/32 table 100",
            "notify MASTER",
        ]
    );
    // The GARP burst follows the rules (docs/keepalived-compat.md#state-machine).
    let last_rule = rig
        .out
        .iter()
        .rposition(|t| matches!(t.action, Action::AddRule { .. }))
        .unwrap();
    let first_garp = rig.out.iter().position(|t| is_garp(&t.action)).unwrap();
    assert!(first_garp > last_rule);
}

#[test]
fn leaving_master_removes_rules_then_routes_then_addresses() {
    let removal = [
        "-rule from 10.0.0.100/32 table 100",
        "-route 192.168.10.0/24",
        "-route 0.0.0.0/0",
        "-ip 10.0.0.100",
        "-ip 192.168.1.1",
    ];
    // To BACKUP on a higher priority advert (no priority 0).
    let mut rig = master_rig();
    rig.clear();
    rig.rx_at(ms(4100), "10.0.0.2", &advert_like(&vi_1(), 200));
    let mut want = vec![];
    want.extend(removal.iter().map(|s| s.to_string()));
    want.push("notify BACKUP".into());
    assert_eq!(kinds(&rig), want);
    // To FAULT: priority 0 first.
    let mut rig = master_rig();
    rig.clear();
    rig.input_at(
        ms(4100),
        Input::Link {
            ifname: "eth0".into(),
            up: false,
        },
    );
    let mut want = vec!["advert0".to_string()];
    want.extend(removal.iter().map(|s| s.to_string()));
    want.push("notify FAULT".into());
    assert_eq!(kinds(&rig), want);
    // Stop (docs/keepalived-compat.md#shutdown).
    let mut rig = master_rig();
    rig.clear();
    rig.input_at(ms(4100), Input::Stop { release: true });
    // The removal waits for a successor (tests/proto/handover.rs); a second stop: at once.
    rig.input_at(ms(4200), Input::Stop { release: true });
    let mut want = vec!["advert0".to_string()];
    want.extend(removal.iter().map(|s| s.to_string()));
    want.push("notify STOP".into());
    assert_eq!(kinds(&rig), want);
}

#[test]
fn route_deleted_externally_is_restored_without_leaving_master() {
    let mut rig = master_rig();
    rig.clear();
    let route = RouteSpec::to("192.168.10.0/24").via("10.0.0.254");
    rig.input_at(
        ms(4100),
        Input::Route {
            spec: route.clone(),
            added: false,
        },
    );
    assert_eq!(rig.state("VI_1"), State::Master);
    assert_eq!(kinds(&rig), ["+route 192.168.10.0/24"]);
    assert_eq!(
        rig.logs(),
        ["(VI_1) virtual route 192.168.10.0/24 via 10.0.0.254 deleted externally - restoring it (staying MASTER)"]
    );
    // An addition, a no_track route and an unknown route are ignored.
    rig.clear();
    for (spec, added) in [
        (route, true),
        (
            RouteSpec::to("0.0.0.0/0").via("10.0.0.254").table(100),
            false,
        ),
        (RouteSpec::to("172.16.0.0/12"), false),
    ] {
        rig.input_at(ms(4200), Input::Route { spec, added });
    }
    assert!(rig.out.is_empty(), "{:?}", rig.out);
    assert_eq!(rig.state("VI_1"), State::Master);
}

#[test]
fn rule_deleted_externally_is_restored_and_ignored_by_a_backup() {
    let rule = RuleSpec::from_table("10.0.0.100", 100);
    // BACKUP: nothing installed, nothing to restore.
    let mut rig = Rig::one(vi_1());
    rig.clear();
    rig.input_at(
        ms(100),
        Input::Rule {
            spec: rule.clone(),
            added: false,
        },
    );
    assert!(rig.out.is_empty());
    let mut rig = master_rig();
    rig.clear();
    rig.input_at(
        ms(4100),
        Input::Rule {
            spec: rule,
            added: false,
        },
    );
    assert_eq!(kinds(&rig), ["+rule from 10.0.0.100/32 table 100"]);
    assert_eq!(rig.state("VI_1"), State::Master);
    assert_eq!(
        rig.logs(),
        ["(VI_1) virtual rule from 10.0.0.100/32 table 100 deleted externally - restoring it (staying MASTER)"]
    );
}
