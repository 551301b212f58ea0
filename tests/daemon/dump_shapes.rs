//! Differential test of the dump files (docs/keepalived-compat.md#dump-files): keepalived 2.2.7
//! and vrrpd run the same configuration (a MASTER and a BACKUP, a tracking script, VIPs with a
//! label, a broadcast address and a scope) in two labs; both dump `keepalived.data` (SIGUSR1)
//! and `keepalived.json` (SIGRTMIN+2), and the parsed structures are compared, values aside:
//!
//! * data: the section titles vrrpd writes appear in keepalived's, in the same order; the
//!   `VRRP Scripts` section has exactly keepalived's line shapes; vrrpd's `VRRP Topology`
//!   lines are keepalived's lines in keepalived's order (a subsequence: vrrpd leaves out what
//!   it does not have, such as socket numbers), including `Wantstate` and `Last transition`
//!   (whose value has keepalived's `EPOCH.USEC (DATE.USEC YEAR)` form);
//! * json: the same keys in `data` and `stats`, each with the same JSON type (an integer where
//!   keepalived prints one, a float where it does), and the `vips` and `track_script` strings
//!   equal (the same configuration gives the same `addr/len [brd B] dev IF scope S [label L]
//!   [set]` text), and so are the notify commands (`script_master`, `script`).
//!
//! A line's shape is its indentation and its key (`Key = _`), or, without ` = `, its words
//! with every number and every configured name replaced by `_`.

use crate::common;

use std::time::Duration;

use common::lab::{tag, Daemon, Lab};
use serde_json::Value;

/// The names in the configuration below, blanked in line shapes.
const NAMES: &[&str] = &["VI_1", "chk_ok", "eth0", "r0", "r1"];

fn conf(router: &str, priority: u8) -> String {
    format!(
        "global_defs {{
    router_id {router}
    enable_script_security
    script_user root
}}

vrrp_script chk_ok {{
    script \"/bin/true\"
    interval 1
    weight -20
    rise 2
    fall 3
}}

vrrp_instance VI_1 {{
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority {priority}
    version 3
    advert_int 0.2
    virtual_ipaddress {{
        10.0.0.100/24 dev eth0
        10.0.0.101/24 dev eth0 label eth0:1
        10.0.0.102 brd 10.0.0.255 dev eth0 scope link
    }}
    track_script {{
        chk_ok
    }}
    notify_master \"/bin/true MASTERSCRIPT\"
    notify \"/bin/true\"
}}
"
    )
}

/// Runs the pair under `d` and returns (data, json) of the MASTER and of the BACKUP.
fn dumps(d: Daemon) -> [(String, String); 2] {
    let suffix = match d {
        Daemon::Vrrpd => "v",
        Daemon::Keepalived => "k",
    };
    let mut lab = Lab::new(&tag("dump_shapes", suffix), 2);
    lab.start(0, d, &conf("r0", 150));
    lab.start(1, d, &conf("r1", 100));
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    lab.wait_holders("10.0.0.100", &[0], Duration::from_secs(10));
    // Two script runs (rise 2), so the scripts have their steady result.
    std::thread::sleep(Duration::from_millis(2500));
    let json = libc::SIGRTMIN() + 2;
    [0, 1].map(|i| {
        (
            lab.dump(i, libc::SIGUSR1, "keepalived.data"),
            lab.dump(i, json, "keepalived.json"),
        )
    })
}

fn shape(line: &str) -> String {
    let indent = line.len() - line.trim_start().len();
    let body = line.trim();
    let pad = " ".repeat(indent);
    if let Some((key, _)) = body.split_once(" = ") {
        return format!("{pad}{key} = _");
    }
    let words: Vec<String> = body
        .split_whitespace()
        .map(|w| {
            let core = w.trim_end_matches([',', ':']);
            let tail = &w[core.len()..];
            if core.chars().any(|c| c.is_ascii_digit()) || NAMES.contains(&core) {
                format!("_{tail}")
            } else {
                w.to_string()
            }
        })
        .collect();
    format!("{pad}{}", words.join(" "))
}

/// The data file as (section title, line shapes).
fn sections(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        if let Some(title) = line
            .strip_prefix("------< ")
            .and_then(|t| t.strip_suffix(" >------"))
        {
            out.push((title.to_string(), Vec::new()));
        } else if let Some((_, lines)) = out.last_mut() {
            lines.push(shape(line));
        }
    }
    out
}

fn section<'a>(s: &'a [(String, Vec<String>)], title: &str) -> &'a [String] {
    s.iter()
        .find(|(t, _)| t == title)
        .map(|(_, l)| l.as_slice())
        .unwrap_or_else(|| panic!("no section {title}"))
}

/// Whether `small` is `big` with some elements left out (order kept).
fn subsequence(small: &[String], big: &[String]) -> Result<(), String> {
    let mut it = big.iter();
    for s in small {
        if !it.any(|b| b == s) {
            return Err(s.clone());
        }
    }
    Ok(())
}

/// `Last transition = 1796164786.789265 (Tue Dec  1 22:39:46.789265 2026)`.
fn check_last_transition(text: &str, who: &str) {
    let value = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Last transition = "))
        .unwrap_or_else(|| panic!("{who}: no Last transition line:\n{text}"));
    let (epoch, date) = value
        .split_once(" (")
        .unwrap_or_else(|| panic!("{who}: {value}"));
    let (secs, usecs) = epoch
        .split_once('.')
        .unwrap_or_else(|| panic!("{who}: {value}"));
    assert!(
        secs.parse::<u64>().is_ok_and(|s| s > 1_600_000_000) && usecs.len() == 6,
        "{who}: {value}"
    );
    let date = date
        .strip_suffix(')')
        .unwrap_or_else(|| panic!("{who}: {value}"));
    // "Tue Dec  1 22:39:46.789265 2026"
    assert_eq!(date.len(), 31, "{who}: {value}");
    assert_eq!(&date[19..20], ".", "{who}: {value}");
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn compare_json(k: &str, v: &str, who: &str) {
    let parse =
        |t: &str| -> Value { serde_json::from_str(t).unwrap_or_else(|e| panic!("{e}: {t}")) };
    let (k, v) = (parse(k), parse(v));
    for part in ["data", "stats"] {
        let (Some(ko), Some(vo)) = (k[0][part].as_object(), v[0][part].as_object()) else {
            panic!("{who}: no {part} object: {k} / {v}");
        };
        let keys = |o: &serde_json::Map<String, Value>| {
            o.keys().cloned().collect::<std::collections::BTreeSet<_>>()
        };
        let missing: Vec<_> = keys(ko).difference(&keys(vo)).cloned().collect();
        let extra: Vec<_> = keys(vo).difference(&keys(ko)).cloned().collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{who} {part}: vrrpd lacks {missing:?}, has extra {extra:?}"
        );
        for (key, kv) in ko {
            assert_eq!(
                kind(kv),
                kind(&vo[key]),
                "{who} {part}.{key}: keepalived {kv}, vrrpd {}",
                vo[key]
            );
        }
    }
    for key in ["vips", "track_script", "script_master", "script"] {
        assert_eq!(k[0]["data"][key], v[0]["data"][key], "{who} data.{key}");
    }
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn data_and_json_have_keepalived_shapes() {
    let k = dumps(Daemon::Keepalived);
    let v = dumps(Daemon::Vrrpd);
    for (who, (kd, kj), (vd, vj)) in [("MASTER", &k[0], &v[0]), ("BACKUP", &k[1], &v[1])] {
        let (ks, vs) = (sections(kd), sections(vd));
        let titles =
            |s: &[(String, Vec<String>)]| s.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>();
        if let Err(t) = subsequence(&titles(&vs), &titles(&ks)) {
            panic!("{who}: section {t} is not keepalived's (or out of order):\n{vd}\n---\n{kd}");
        }
        assert_eq!(
            section(&vs, "VRRP Scripts"),
            section(&ks, "VRRP Scripts"),
            "{who}: VRRP Scripts:\n{vd}\n---\n{kd}"
        );
        let (kt, vt) = (section(&ks, "VRRP Topology"), section(&vs, "VRRP Topology"));
        if let Err(l) = subsequence(vt, kt) {
            panic!("{who}: topology line {l:?} is not keepalived's (or out of order):\n{vd}\n---\n{kd}");
        }
        for want in [
            "   Wantstate = _",
            "   Last transition = _",
            "   Tracked scripts :",
            "     _ weight _",
            "     _ dev _ scope global label _ set",
            "   Master state transition script = _",
            "   Generic state transition script = _",
        ] {
            if who == "BACKUP" && want.ends_with(" set") {
                continue;
            }
            assert!(
                vt.iter().any(|l| l == want),
                "{who}: vrrpd has no {want:?}:\n{vd}"
            );
        }
        compare_json(kj, vj, who);
        check_last_transition(kd, "keepalived");
        check_last_transition(vd, "vrrpd");
    }
}
