//! `keepalived.json` (SIGRTMIN+2): one `{"data": {...}, "stats": {...}}` per instance, with
//! keepalived 2.2.7's keys and JSON types (docs/keepalived-compat.md#dump-files).
//!
//! keepalived prints its float fields with `%g`, so a whole number of seconds comes out as
//! an integer (`"adver_int":1`) and a fraction as a float (`0.2`); [`g`] does the same, so a
//! tool that checks types sees the same JSON. `last_transition` is always a float (`%f`).

use serde_json::{json, Map, Value};

use super::vip::vip_text;
use super::{state_number, Sources};
use crate::proto::{AuthSettings, InstanceSettings, InstanceSnapshot, TrackTarget};
use crate::track::TrackerKind;
use crate::wire::Version;

/// The JSON array for every instance.
pub fn json_text(src: &Sources) -> String {
    let list: Vec<Value> = src
        .snap
        .instances
        .iter()
        .map(|i| {
            let cfg = src.settings.instances.iter().find(|c| c.name == i.name);
            json!({ "data": data(src, i, cfg), "stats": stats(i) })
        })
        .collect();
    format!("{}\n", Value::Array(list))
}

/// keepalived's `%g` of a float field: an integer when whole.
pub fn g(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        // Whole and small: exact as an integer.
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

fn secs(cs: crate::proto::Centisecs) -> f64 {
    f64::from(cs.0) / 100.0
}

fn data(src: &Sources, i: &InstanceSnapshot, cfg: Option<&InstanceSettings>) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    put("iname", json!(i.name));
    put(
        "dont_track_primary",
        json!(u8::from(cfg.is_some_and(|c| c.dont_track_primary))),
    );
    put(
        "skip_check_adv_addr",
        json!(u8::from(cfg.is_some_and(|c| c.skip_check_adv_addr))),
    );
    put(
        "strict_mode",
        json!(u8::from(cfg.is_some_and(|c| c.strict))),
    );
    // keepalived's ifp is the vmac when there is one, whatever sends the adverts.
    let vmac = cfg.and_then(|c| c.vmac.clone());
    put("vmac_ifname", json!(vmac.clone().unwrap_or_default()));
    if let Some(c) = cfg {
        put(
            "ifp_ifname",
            json!(vmac.unwrap_or_else(|| c.ifname.clone())),
        );
    }
    put("master_priority", json!(i.master_priority));
    put(
        "last_transition",
        Value::from(last_transition_epoch(src, i)),
    );
    let garp = cfg.map(|c| c.garp.clone()).unwrap_or_default();
    put("garp_delay", g(secs(garp.master_delay)));
    put("garp_refresh", json!(garp.master_refresh.0 / 100));
    put("garp_rep", json!(garp.master_repeat));
    put("garp_refresh_rep", json!(garp.refresh_repeat));
    put(
        "garp_lower_prio_delay",
        json!(garp.lower_prio_delay.0 / 100),
    );
    put("garp_lower_prio_rep", json!(garp.lower_prio_repeat));
    put(
        "lower_prio_no_advert",
        json!(u8::from(cfg.is_some_and(|c| c.lower_prio_no_advert))),
    );
    put(
        "higher_prio_send_advert",
        json!(u8::from(cfg.is_some_and(|c| c.higher_prio_send_advert))),
    );
    put("vrid", json!(i.vrid));
    put("base_priority", json!(i.base_priority));
    put("effective_priority", json!(i.effective_priority));
    put("vipset", json!(!i.vips.is_empty()));
    // Not performed (README "Differences"): keepalived's default.
    put("promote_secondaries", json!(false));
    if let Some(c) = cfg {
        put("adver_int", g(secs(c.advert_int)));
    }
    put("master_adver_int", g(secs(i.master_adver_int)));
    if let Some(c) = cfg {
        put("accept", json!(u8::from(c.accept)));
        put("nopreempt", json!(!c.preempt));
        put("preempt_delay", json!(c.preempt_delay.0 / 100));
    }
    put("state", json!(state_number(i.state)));
    put("wantstate", json!(state_number(super::data::wanted(i))));
    if let Some(c) = cfg {
        let v = match c.version {
            Version::V2 => 2,
            Version::V3 => 3,
        };
        put("version", json!(v));
    }
    put("smtp_alert", json!(src.facts.smtp_alert.contains(&i.name)));
    put(
        "notify_deleted",
        json!(cfg.is_some_and(|c| c.notify_deleted)),
    );
    if let Some(n) = src.hooks.and_then(|h| h.instances.get(&i.name)) {
        for (key, _, p) in super::notify_commands(n) {
            put(key, json!(super::quoted(&p.argv)));
        }
    }
    if let Some(c) = cfg {
        let held = |v: &crate::proto::VipSpec| i.vips.contains(&v.addr);
        let list = |vs: &[crate::proto::VipSpec]| -> Vec<String> {
            vs.iter().map(|v| vip_text(v, held(v))).collect()
        };
        if !c.vips.is_empty() {
            put("vips", json!(list(&c.vips)));
        }
        if !c.excluded_vips.is_empty() {
            put("evips", json!(list(&c.excluded_vips)));
        }
        // In the configuration's iproute2 form (keepalived: its own, README "Differences").
        if !c.routes.is_empty() {
            let r: Vec<String> = c.routes.iter().map(ToString::to_string).collect();
            put("vroutes", json!(r));
        }
        if !c.rules.is_empty() {
            let r: Vec<String> = c.rules.iter().map(ToString::to_string).collect();
            put("vrules", json!(r));
        }
    }
    let mine = |kind: TrackerKind| {
        src.facts
            .uses
            .iter()
            .filter(move |u| u.kind == kind && u.target == TrackTarget::Instance(i.name.clone()))
    };
    let ifps: Vec<&str> = mine(TrackerKind::Interface)
        .map(|u| u.name.as_str())
        .collect();
    if !ifps.is_empty() {
        put("track_ifp", json!(ifps));
    }
    // keepalived lists the scripts' commands, not their names.
    let scripts: Vec<&str> = mine(TrackerKind::Script)
        .filter_map(|u| {
            src.facts
                .scripts
                .iter()
                .find(|s| s.name == u.name)
                .map(|s| s.command.as_str())
        })
        .collect();
    if !scripts.is_empty() {
        put("track_script", json!(scripts));
    }
    if let Some(c) = cfg {
        match &c.auth {
            AuthSettings::None => put("auth_type", json!(0)),
            AuthSettings::Pass(p) => {
                put("auth_type", json!(1));
                put("auth_data", json!(p.chars().take(8).collect::<String>()));
            }
            // keepalived's JSON prints the key for AH too.
            AuthSettings::Ah(p) => {
                put("auth_type", json!(2));
                put("auth_data", json!(p.chars().take(8).collect::<String>()));
            }
        }
    }
    Value::Object(m)
}

/// Seconds since the epoch of the last transition, keepalived's `last_transition`
/// (0 before the first one).
fn last_transition_epoch(src: &Sources, i: &InstanceSnapshot) -> f64 {
    match super::data::last_transition_at(i) {
        Some(at) => src
            .wall(at)
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64()),
        None => 0.0,
    }
}

fn stats(i: &InstanceSnapshot) -> Value {
    let c = &i.counters;
    json!({
        "advert_rcvd": c.advert_rcvd,
        "advert_sent": c.advert_sent,
        "become_master": c.become_master,
        "release_master": c.release_master,
        "packet_len_err": c.packet_len_err,
        "advert_interval_err": c.advert_interval_err,
        "ip_ttl_err": c.ip_ttl_err,
        "invalid_type_rcvd": c.invalid_type_rcvd,
        "addr_list_err": c.addr_list_err,
        "invalid_authtype": c.invalid_authtype,
        "authtype_mismatch": c.authtype_mismatch,
        "auth_failure": c.auth_failure,
        "pri_zero_rcvd": c.pri_zero_rcvd,
        "pri_zero_sent": c.pri_zero_sent,
    })
}
