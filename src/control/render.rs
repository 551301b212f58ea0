//! Text for terminals: the `status` table and one line per event. Works on the JSON
//! answers (a field the daemon does not send shows as `-`), so an older or newer daemon
//! still gets a readable table.

use serde_json::Value;

/// `Master` -> `MASTER`.
pub fn state_word(v: &Value) -> String {
    v.as_str()
        .map(str::to_uppercase)
        .unwrap_or_else(|| "-".into())
}

/// A duration as serde writes it (`{"secs":..,"nanos":..}`) or as milliseconds.
fn secs(v: &Value) -> Option<f64> {
    if let Some(ms) = v.as_u64() {
        return Some(ms as f64 / 1000.0);
    }
    let s = v.get("secs")?.as_u64()? as f64;
    let n = v.get("nanos").and_then(Value::as_u64).unwrap_or(0) as f64;
    Some(s + n / 1e9)
}

fn ago(s: f64) -> String {
    let s = s.max(0.0);
    if s < 60.0 {
        format!("{s:.1}s ago")
    } else if s < 3600.0 {
        format!("{}m{:02}s ago", (s / 60.0) as u64, (s % 60.0) as u64)
    } else {
        format!(
            "{}h{:02}m ago",
            (s / 3600.0) as u64,
            ((s % 3600.0) / 60.0) as u64
        )
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Lays out rows in columns two spaces apart.
fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            if c + 1 == r.len() {
                line.push_str(cell);
            } else {
                let w = widths.get(c).copied().unwrap_or(0);
                line.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn last_transition(i: &Value, uptime: Option<f64>) -> String {
    let t = &i["last_transition"];
    if t.is_null() {
        return "-".into();
    }
    let when = match (uptime, secs(&t["at"])) {
        (Some(up), Some(at)) => format!(" {}", ago(up - at)),
        _ => String::new(),
    };
    format!(
        "{}->{} ({}){when}",
        state_word(&t["from"]),
        state_word(&t["to"]),
        text(&t["reason"])
    )
}

fn tracker_result(t: &Value) -> String {
    match (&t["ok"], &t["value"]) {
        (Value::Bool(true), _) => "ok".into(),
        (Value::Bool(false), _) => "failing".into(),
        (_, Value::Number(n)) => format!("value {n}"),
        _ => "not yet known".into(),
    }
}

fn tracker_effect(t: &Value) -> String {
    match &t["effect"] {
        Value::String(s) if s == "Up" => "none".into(),
        Value::String(s) if s == "Down" => "FAULT".into(),
        Value::Object(m) => match m.get("Weight").and_then(Value::as_i64) {
            Some(w) => format!("priority {w:+}"),
            None => text(&t["effect"]),
        },
        other => text(other),
    }
}

const RX_ERRORS: [&str; 10] = [
    "packet_len_err",
    "advert_interval_err",
    "ip_ttl_err",
    "invalid_type_rcvd",
    "addr_list_err",
    "invalid_authtype",
    "authtype_mismatch",
    "auth_failure",
    "chk_err",
    "vers_err",
];

/// The `vrrpd status` table.
pub fn status_table(v: &Value) -> String {
    let uptime = secs(&v["uptime_ms"]);
    let empty = Vec::new();
    let instances = v["instances"].as_array().unwrap_or(&empty);
    let mut rows = vec![[
        "INSTANCE",
        "VRID",
        "STATE",
        "PRIO BASE/EFF",
        "MASTER",
        "VIPS",
        "LAST TRANSITION",
    ]
    .map(String::from)
    .to_vec()];
    for i in instances {
        let mut state = state_word(&i["state"]);
        if i["handing_over"] == true {
            // Priority 0 sent, the VIPs kept until the successor is heard.
            state.push_str(" (handing over)");
        } else if i["drained"] == true || i["drain_requested"] == true {
            state.push_str(" (drained)");
        }
        let master = match &i["master_addr"] {
            Value::String(a) => format!("{a} prio {}", text(&i["master_priority"])),
            _ => "-".into(),
        };
        let vips: Vec<String> = i["vips"]
            .as_array()
            .into_iter()
            .flatten()
            .map(text)
            .collect();
        rows.push(vec![
            text(&i["name"]),
            text(&i["vrid"]),
            state,
            format!(
                "{}/{}",
                text(&i["base_priority"]),
                text(&i["effective_priority"])
            ),
            master,
            if vips.is_empty() {
                "-".into()
            } else {
                vips.join(",")
            },
            last_transition(i, uptime),
        ]);
    }
    let mut out = table(&rows);
    let mut trackers = vec![["TRACKER", "FOR", "RESULT", "EFFECT"]
        .map(String::from)
        .to_vec()];
    let groups = v["groups"].as_array().unwrap_or(&empty);
    for owner in instances.iter().chain(groups) {
        for t in owner["trackers"].as_array().into_iter().flatten() {
            trackers.push(vec![
                text(&t["id"]),
                text(&owner["name"]),
                tracker_result(t),
                tracker_effect(t),
            ]);
        }
    }
    out.push('\n');
    if trackers.len() > 1 {
        out.push_str(&table(&trackers));
    } else {
        out.push_str("no trackers\n");
    }
    let mut counters = vec![[
        "COUNTERS",
        "ADVERTS RX/TX",
        "BECAME MASTER",
        "RELEASED",
        "PRIO 0 RX/TX",
        "RX ERRORS",
        "DUAL MASTER",
    ]
    .map(String::from)
    .to_vec()];
    for i in instances {
        let c = &i["counters"];
        let errors: u64 = RX_ERRORS.iter().filter_map(|k| c[*k].as_u64()).sum();
        counters.push(vec![
            text(&i["name"]),
            format!("{}/{}", text(&c["advert_rcvd"]), text(&c["advert_sent"])),
            text(&c["become_master"]),
            text(&c["release_master"]),
            format!(
                "{}/{}",
                text(&c["pri_zero_rcvd"]),
                text(&c["pri_zero_sent"])
            ),
            errors.to_string(),
            // Left out of the snapshot while 0.
            c["dual_master"].as_u64().unwrap_or(0).to_string(),
        ]);
    }
    out.push('\n');
    out.push_str(&table(&counters));
    let r = &v["reloads"];
    let last = match &r["last_ok"] {
        Value::Bool(true) => ", last ok",
        Value::Bool(false) => ", LAST FAILED",
        _ => "",
    };
    out.push_str(&format!(
        "\npid {}, up {}, reloads: {} ok, {} failed{last}\n",
        text(&v["pid"]),
        uptime
            .map(|u| ago(u).trim_end_matches(" ago").to_string())
            .unwrap_or_else(|| "-".into()),
        text(&r["succeeded"]),
        text(&r["failed"]),
    ));
    out
}

/// `HH:MM:SS.mmm` (UTC) of a Unix time in milliseconds.
fn clock(ms: u64) -> String {
    let day = ms % 86_400_000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        day / 3_600_000,
        day / 60_000 % 60,
        day / 1000 % 60,
        day % 1000
    )
}

/// One `vrrpd events` line.
pub fn event_line(v: &Value) -> String {
    if v["answer"] == "lagged" {
        return format!(
            "(lost {} events: this listener fell behind)",
            text(&v["lost"])
        );
    }
    let at = v["unix_ms"].as_u64().map(clock).unwrap_or_default();
    let e = &v["event"];
    let what = match e["kind"].as_str() {
        Some("transition") => {
            let who = if e["target"] == "group" {
                format!("group {}", text(&e["name"]))
            } else {
                text(&e["name"])
            };
            format!(
                "{who} {} priority {}",
                text(&e["state"]),
                text(&e["priority"])
            )
        }
        Some("tracker") => format!("tracker: {}", text(&e["line"])),
        Some("reload") => {
            let lines: Vec<String> = e["lines"]
                .as_array()
                .into_iter()
                .flatten()
                .map(text)
                .collect();
            let ok = if e["ok"] == true {
                "reload ok"
            } else {
                "reload FAILED"
            };
            if lines.is_empty() {
                ok.to_string()
            } else {
                format!("{ok}: {}", lines.join(" | "))
            }
        }
        _ => v.to_string(),
    };
    format!("{at} {what}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_reads_at_a_glance() {
        let v = json!({
            "answer": "status", "pid": 7, "uptime_ms": 65_000,
            "instances": [{
                "name": "VI_1", "vrid": 51, "state": "Master", "base_priority": 150,
                "effective_priority": 130, "master_addr": "10.0.0.1", "master_priority": 130,
                "vips": ["192.168.1.10"], "counters": {"advert_rcvd": 3, "advert_sent": 9, "auth_failure": 2},
                "last_transition": {"at": {"secs": 5, "nanos": 0}, "from": "Backup", "to": "Master", "reason": "master_down"},
                "trackers": [{"id": "script:chk", "ok": false, "effect": {"Weight": -20}}],
                "drain_requested": false
            }],
            "groups": [],
            "reloads": {"succeeded": 1, "failed": 1, "last_ok": false}
        });
        let t = status_table(&v);
        assert!(t.contains("VI_1"), "{t}");
        assert!(t.contains("MASTER"), "{t}");
        assert!(t.contains("150/130"), "{t}");
        assert!(t.contains("BACKUP->MASTER (master_down) 1m00s ago"), "{t}");
        assert!(t.contains("script:chk"), "{t}");
        assert!(t.contains("failing"), "{t}");
        assert!(t.contains("priority -20"), "{t}");
        assert!(t.contains("3/9"), "{t}");
        assert!(t.contains("LAST FAILED"), "{t}");
    }

    #[test]
    fn a_master_handing_over_says_so() {
        let v = json!({"answer": "status", "instances": [{
            "name": "VI_1", "state": "Master", "drained": true, "handing_over": true,
            "vips": ["192.168.1.10"], "counters": {}
        }], "groups": []});
        let t = status_table(&v);
        assert!(t.contains("MASTER (handing over)"), "{t}");
    }

    #[test]
    fn event_lines() {
        let v = json!({"answer": "event", "unix_ms": 3_723_004u64,
            "event": {"kind": "transition", "target": "instance", "name": "VI_1", "state": "MASTER", "priority": 100}});
        assert_eq!(event_line(&v), "01:02:03.004 VI_1 MASTER priority 100");
        assert_eq!(
            event_line(&json!({"answer": "lagged", "lost": 5})),
            "(lost 5 events: this listener fell behind)"
        );
    }
}
