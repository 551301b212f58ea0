//! SIGUSR1 / SIGUSR2 / STATS_CLEAR / JSON: keepalived's dump files (
//! docs/keepalived-compat.md#signals, docs/keepalived-compat.md#dump-files), written to `$TMPDIR` (when absolute) or `/tmp` under a temporary name, mode
//! 0600, then renamed into place.
//!
//! `keepalived.stats` and `keepalived.json` follow keepalived's formats for the fields the core
//! knows; `keepalived.data` is a short human-readable topology (keepalived's own is not a
//! stable format either).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use std::collections::HashMap;

use serde_json::{json, Value};
use tracing::{info, warn};

use crate::proto::{Counters, Router, RouterSettings, Snapshot, State};
use crate::sys::fsafe;
use crate::sys::signals::Signal;

/// The counters at the last STATS_CLEAR, per instance: keepalived zeroes its counters there;
/// vrrpd subtracts this baseline from every later dump instead of touching the core.
#[derive(Clone, Debug, Default)]
pub struct Baseline(HashMap<String, Counters>);

impl Baseline {
    /// `snap` with the counters counted since the last clear.
    pub fn apply(&self, snap: &mut Snapshot) {
        for i in &mut snap.instances {
            if let Some(b) = self.0.get(&i.name) {
                i.counters = minus(&i.counters, b);
            }
        }
    }
}

/// Field-by-field `a - b` (saturating), through serde so new counters are covered too.
fn minus(a: &Counters, b: &Counters) -> Counters {
    let (Ok(Value::Object(mut ma)), Ok(Value::Object(mb))) =
        (serde_json::to_value(a), serde_json::to_value(b))
    else {
        return a.clone();
    };
    for (k, v) in ma.iter_mut() {
        if let (Some(x), Some(y)) = (v.as_u64(), mb.get(k).and_then(Value::as_u64)) {
            *v = Value::from(x.saturating_sub(y));
        }
    }
    serde_json::from_value(Value::Object(ma)).unwrap_or_else(|_| a.clone())
}

/// Writes the file a dump signal asks for.
pub fn on_signal(sig: Signal, router: &Router, settings: &RouterSettings, baseline: &mut Baseline) {
    let pid = std::process::id();
    let raw = router.snapshot();
    let mut snap = raw.clone();
    baseline.apply(&mut snap);
    let (name, text) = match sig {
        Signal::Data => {
            info!(target: "vrrpd", "Printing VRRP data for process({pid}) on signal");
            ("keepalived.data", data_text(&snap, settings))
        }
        Signal::Stats => {
            info!(target: "vrrpd", "Printing VRRP stats for process({pid}) on signal");
            ("keepalived.stats", stats_text(&snap))
        }
        Signal::StatsClear => {
            info!(target: "vrrpd", "Printing and clearing VRRP stats for process({pid}) on signal");
            let text = stats_text(&snap);
            baseline.0 = raw
                .instances
                .iter()
                .map(|i| (i.name.clone(), i.counters.clone()))
                .collect();
            ("keepalived.stats", text)
        }
        Signal::Json => {
            info!(target: "vrrpd", "Printing VRRP as json for process({pid}) on signal");
            if snap.instances.is_empty() {
                return;
            }
            ("keepalived.json", json_text(&snap, settings))
        }
        Signal::Stop | Signal::Reload => return,
    };
    if let Err(e) = write_dump(&tmp_dir(), name, &text) {
        warn!(target: "vrrpd", "cannot write {name}: {e}");
    }
}

fn tmp_dir() -> PathBuf {
    match std::env::var_os("TMPDIR").map(PathBuf::from) {
        Some(p) if p.is_absolute() => p,
        _ => PathBuf::from("/tmp"),
    }
}

/// Writes dump file `name` in `dir`, mode 0600. The temporary is created under a random
/// name with `O_CREAT|O_EXCL|O_NOFOLLOW` and renamed over the final name: a fixed temporary
/// name in a world-writable `/tmp` let a planted symlink make root overwrite any file
/// (keepalived's CVE-2018-19044).
pub fn write_dump(dir: &Path, name: &str, text: &str) -> std::io::Result<()> {
    fsafe::replace(&dir.join(name), text.as_bytes(), 0o600)
}

/// `keepalived.stats`, exactly keepalived's layout (docs/keepalived-compat.md#dump-files).
pub fn stats_text(snap: &Snapshot) -> String {
    let mut s = String::new();
    for i in &snap.instances {
        let c = &i.counters;
        let _ = write!(
            s,
            "VRRP Instance: {}\n  Advertisements:\n    Received: {}\n    Sent: {}\n  \
             Became master: {}\n  Released master: {}\n  Packet Errors:\n    Length: {}\n    \
             TTL: {}\n    Invalid Type: {}\n    Advertisement Interval: {}\n    \
             Address List: {}\n  Authentication Errors:\n    Invalid Type: {}\n    \
             Type Mismatch: {}\n    Failure: {}\n  Priority Zero:\n    Received: {}\n    \
             Sent: {}\n",
            i.name,
            c.advert_rcvd,
            c.advert_sent,
            c.become_master,
            c.release_master,
            c.packet_len_err,
            c.ip_ttl_err,
            c.invalid_type_rcvd,
            c.advert_interval_err,
            c.addr_list_err,
            c.invalid_authtype,
            c.authtype_mismatch,
            c.auth_failure,
            c.pri_zero_rcvd,
            c.pri_zero_sent,
        );
    }
    s
}

fn state_number(s: State) -> u8 {
    match s {
        State::Init | State::Stopped => 0,
        State::Backup => 1,
        State::Master => 2,
        State::Fault => 3,
    }
}

/// `keepalived.json`: one `{"data": {...}, "stats": {...}}` per instance (docs/keepalived-compat.md#dump-files).
pub fn json_text(snap: &Snapshot, settings: &RouterSettings) -> String {
    let list: Vec<_> = snap
        .instances
        .iter()
        .map(|i| {
            let cfg = settings.instances.iter().find(|c| c.name == i.name);
            let c = &i.counters;
            json!({
                "data": {
                    "iname": i.name,
                    "ifp_ifname": cfg.map(|c| c.ifname.clone()),
                    "vrid": i.vrid,
                    "base_priority": i.base_priority,
                    "effective_priority": i.effective_priority,
                    "master_priority": i.master_priority,
                    "vipset": !i.vips.is_empty(),
                    "adver_int": cfg.map(|c| f64::from(c.advert_int.0) / 100.0),
                    "master_adver_int": f64::from(i.master_adver_int.0) / 100.0,
                    "accept": cfg.map(|c| u8::from(c.accept)),
                    "nopreempt": cfg.map(|c| !c.preempt),
                    "preempt_delay": cfg.map(|c| f64::from(c.preempt_delay.0) / 100.0),
                    "state": state_number(i.state),
                    "wantstate": state_number(i.state),
                    "version": cfg.map(|c| match c.version { crate::wire::Version::V2 => 2, crate::wire::Version::V3 => 3 }),
                    "vips": cfg.map(|c| c.vips.iter().map(|v| format!("{}/{}", v.addr, v.prefix_len)).collect::<Vec<_>>()),
                    "evips": cfg.map(|c| c.excluded_vips.iter().map(|v| format!("{}/{}", v.addr, v.prefix_len)).collect::<Vec<_>>()),
                },
                "stats": {
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
                }
            })
        })
        .collect();
    format!("{}\n", serde_json::Value::Array(list))
}

/// `keepalived.data`: the `VRRP Topology` section for the fields the core knows.
pub fn data_text(snap: &Snapshot, settings: &RouterSettings) -> String {
    let mut s = String::from("------< VRRP Topology >------\n");
    for i in &snap.instances {
        let cfg = settings.instances.iter().find(|c| c.name == i.name);
        let _ = writeln!(s, " VRRP Instance = {}", i.name);
        let _ = writeln!(s, "   State = {}", i.state.word());
        if let Some(c) = cfg {
            let _ = writeln!(s, "   Interface = {}", c.ifname);
            let _ = writeln!(s, "   Using src_ip = {}", c.src);
        }
        let _ = writeln!(s, "   Virtual Router ID = {}", i.vrid);
        let _ = writeln!(s, "   Priority = {}", i.base_priority);
        let _ = writeln!(s, "   Effective priority = {}", i.effective_priority);
        if let Some(c) = cfg {
            let _ = writeln!(s, "   Virtual IP ({}):", c.vips.len());
            let set = if i.vips.is_empty() { "" } else { " set" };
            for v in &c.vips {
                let label = v
                    .label
                    .as_ref()
                    .map(|l| format!(" label {l}"))
                    .unwrap_or_default();
                let _ = writeln!(
                    s,
                    "     {}/{} dev {}{label}{set}",
                    v.addr, v.prefix_len, v.ifname
                );
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{InstanceSettings, Router, RouterSettings};
    use std::time::Instant;

    #[test]
    fn stats_have_keepalived_layout() {
        let settings = RouterSettings::new(vec![InstanceSettings::backup("VI_1", 51)
            .priority(100)
            .vip("10.0.0.100/24")]);
        let router = Router::new(settings.clone(), Instant::now());
        let text = stats_text(&router.snapshot());
        assert!(text.starts_with("VRRP Instance: VI_1\n  Advertisements:\n    Received: 0\n"));
        assert!(text.ends_with("  Priority Zero:\n    Received: 0\n    Sent: 0\n"));
        let json: serde_json::Value =
            serde_json::from_str(&json_text(&router.snapshot(), &settings)).unwrap();
        assert_eq!(json[0]["data"]["iname"], "VI_1");
        assert_eq!(json[0]["data"]["state"], 1);
        assert_eq!(json[0]["stats"]["advert_sent"], 0);
        assert!(data_text(&router.snapshot(), &settings).contains("State = BACKUP"));
    }

    #[test]
    fn a_baseline_subtracts_every_counter() {
        let a = Counters {
            advert_sent: 10,
            become_master: 2,
            ..Counters::default()
        };
        let b = Counters {
            advert_sent: 4,
            become_master: 3,
            ..Counters::default()
        };
        let d = minus(&a, &b);
        assert_eq!((d.advert_sent, d.become_master, d.advert_rcvd), (6, 0, 0));
    }
}
