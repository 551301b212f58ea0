//! SIGUSR1 / SIGUSR2 / STATS_CLEAR / JSON: keepalived's dump files (
//! docs/keepalived-compat.md#signals, docs/keepalived-compat.md#dump-files), written to `$TMPDIR` (when absolute) or `/tmp` under a temporary name, mode
//! 0600, then renamed into place.
//!
//! `keepalived.stats` follows keepalived's layout exactly; `keepalived.data` ([`data`]: the
//! `VRRP Topology` and `VRRP Scripts` sections) and `keepalived.json` ([`json`]) have
//! keepalived 2.2.7's lines and keys, in its order and with its JSON types, for everything
//! vrrpd knows; what it cannot know is written with keepalived's default (README
//! "Differences", dump files). Addresses are written in keepalived's form by [`vip`].

pub mod data;
pub mod json;
pub mod vip;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use std::collections::HashMap;

use serde_json::Value;
use tracing::{info, warn};

pub use data::data_text;
pub use json::json_text;

use crate::node::Node;
use crate::plan::Runtime;
use crate::proto::{Counters, RouterSettings, Snapshot, State};
use crate::sys::fsafe;
use crate::sys::hooks::{HookConfig, NotifyScripts};
use crate::sys::script::Prepared;
use crate::sys::script_set::ScriptSet;
use crate::sys::signals::Signal;
use crate::track::{TrackerUse, Trackers};

/// One `vrrp_script` as the dumps show it: keepalived's quoted command (`'/usr/bin/true'`,
/// the resolved program then each argument), the identity it runs as, its own weight.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScriptFacts {
    pub name: String,
    pub command: String,
    pub uid: u32,
    pub gid: u32,
    pub insecure: bool,
    pub weight: i32,
    pub weight_reverse: bool,
}

/// What the dumps need from the plan that the core does not keep: the tracking scripts and
/// every tracker reference with its resolved weight. Rebuilt at start and on every reload
/// (`TrackerIo`).
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub scripts: Vec<ScriptFacts>,
    pub uses: Vec<TrackerUse>,
    /// The instances with `smtp_alert` on (`Using smtp notification`).
    pub smtp_alert: std::collections::BTreeSet<String>,
}

impl Facts {
    /// The facts of `plan` for the scripts `names` the trackers run, as `prepared`.
    pub fn new(plan: &Runtime, names: &[String], prepared: &ScriptSet) -> Facts {
        let specs = crate::sys::script_set::ScriptSpec::by_name(&plan.scripts);
        let scripts = names
            .iter()
            .map(|name| {
                let spec = specs.get(name.as_str()).copied();
                let p = prepared.get(name);
                ScriptFacts {
                    name: name.clone(),
                    command: p
                        .map(|p| quoted(&p.argv))
                        .or_else(|| spec.map(|s| quoted(std::slice::from_ref(&s.command.cmd))))
                        .unwrap_or_default(),
                    uid: p.map_or(0, |p| p.identity.uid),
                    gid: p.map_or(0, |p| p.identity.gid),
                    insecure: p.is_some_and(|p| p.insecure),
                    weight: spec.map_or(0, |s| s.weight),
                    weight_reverse: spec.is_some_and(|s| s.weight_reverse),
                }
            })
            .collect();
        Facts {
            scripts,
            uses: plan.trackers.uses.clone(),
            smtp_alert: plan.smtp_alert.clone(),
        }
    }
}

/// An instance's notify commands by keepalived's JSON key and data-file word, in
/// keepalived's order, with their quoted command and the identity they run as.
pub fn notify_commands<'a>(
    scripts: &'a NotifyScripts,
) -> impl Iterator<Item = (&'static str, &'static str, &'a Prepared)> + 'a {
    [
        ("script_backup", "Backup", &scripts.backup),
        ("script_master", "Master", &scripts.master),
        ("script_fault", "Fault", &scripts.fault),
        ("script_stop", "Stop", &scripts.stop),
        ("script_deleted", "Deleted", &scripts.deleted),
        ("script", "Generic", &scripts.any),
        (
            "script_master_rx_lower_pri",
            "Master rx lower pri",
            &scripts.master_rx_lower_pri,
        ),
    ]
    .into_iter()
    .filter_map(|(key, word, p)| p.as_ref().map(|p| (key, word, p)))
}

/// keepalived's `cmd_str`: every word in single quotes, separated by spaces.
pub fn quoted(argv: &[String]) -> String {
    argv.iter()
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Everything a dump reads, taken between two steps of the node.
pub struct Sources<'a> {
    /// The core's picture, counters counted since the last STATS_CLEAR.
    pub snap: Snapshot,
    pub settings: &'a RouterSettings,
    pub trackers: &'a Trackers,
    pub facts: &'a Facts,
    /// The notify commands in force (`None` in tests of the loop without hooks).
    pub hooks: Option<&'a HookConfig>,
    /// The wall-clock time the node started (core times count from there).
    pub started: SystemTime,
}

impl Sources<'_> {
    /// The wall-clock time of `at` since the node started.
    pub fn wall(&self, at: Duration) -> SystemTime {
        self.started + at
    }
}

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

/// Writes the file a dump signal asks for. `started` is when the node started (the loop's
/// clock), `now` the loop's clock now.
pub fn on_signal(
    sig: Signal,
    node: &Node,
    settings: &RouterSettings,
    facts: &Facts,
    hooks: Option<&HookConfig>,
    (started, now): (Instant, Instant),
    baseline: &mut Baseline,
) {
    let pid = std::process::id();
    let raw = node.router().snapshot();
    let mut snap = raw.clone();
    baseline.apply(&mut snap);
    let since = now.saturating_duration_since(started);
    let src = Sources {
        snap,
        settings,
        trackers: node.trackers(),
        facts,
        hooks,
        started: SystemTime::now()
            .checked_sub(since)
            .unwrap_or(SystemTime::UNIX_EPOCH),
    };
    let (name, text) = match sig {
        Signal::Data => {
            info!(target: "vrrpd", "Printing VRRP data for process({pid}) on signal");
            ("keepalived.data", data_text(&src))
        }
        Signal::Stats => {
            info!(target: "vrrpd", "Printing VRRP stats for process({pid}) on signal");
            ("keepalived.stats", stats_text(&src.snap))
        }
        Signal::StatsClear => {
            info!(target: "vrrpd", "Printing and clearing VRRP stats for process({pid}) on signal");
            let text = stats_text(&src.snap);
            baseline.0 = raw
                .instances
                .iter()
                .map(|i| (i.name.clone(), i.counters.clone()))
                .collect();
            ("keepalived.stats", text)
        }
        Signal::Json => {
            info!(target: "vrrpd", "Printing VRRP as json for process({pid}) on signal");
            if src.snap.instances.is_empty() {
                return;
            }
            ("keepalived.json", json_text(&src))
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

pub fn state_number(s: State) -> u8 {
    match s {
        State::Init | State::Stopped => 0,
        State::Backup => 1,
        State::Master => 2,
        State::Fault => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{InstanceSettings, Router, RouterSettings};
    use std::time::Instant;

    #[test]
    fn stats_have_keepalived_layout() {
        let route = crate::proto::RouteSpec::to("10.9.0.0/16")
            .via("10.0.0.254")
            .dev("eth0");
        let settings = RouterSettings::new(vec![InstanceSettings::backup("VI_1", 51)
            .priority(100)
            .vip("10.0.0.100/24")
            .route(route)]);
        let now = Instant::now();
        let router = Router::new(settings.clone(), now);
        let text = stats_text(&router.snapshot());
        assert!(text.starts_with("VRRP Instance: VI_1\n  Advertisements:\n    Received: 0\n"));
        assert!(text.ends_with("  Priority Zero:\n    Received: 0\n    Sent: 0\n"));
        let trackers = Trackers::new(&Default::default(), now);
        let facts = Facts::default();
        let src = Sources {
            snap: router.snapshot(),
            settings: &settings,
            trackers: &trackers,
            facts: &facts,
            hooks: None,
            started: SystemTime::now(),
        };
        let json: serde_json::Value = serde_json::from_str(&json_text(&src)).unwrap();
        assert_eq!(json[0]["data"]["iname"], "VI_1");
        assert_eq!(json[0]["data"]["state"], 1);
        assert_eq!(json[0]["data"]["adver_int"], 1);
        assert!(
            json[0]["data"]["adver_int"].is_u64(),
            "keepalived's %g: an integer"
        );
        assert_eq!(
            json[0]["data"]["vips"][0],
            "10.0.0.100/24 dev eth0 scope global"
        );
        assert_eq!(json[0]["stats"]["advert_sent"], 0);
        assert_eq!(
            json[0]["data"]["vroutes"][0],
            "10.9.0.0/16 via 10.0.0.254 dev eth0"
        );
        let data = data_text(&src);
        assert!(data.contains("   State = BACKUP\n"), "{data}");
        assert!(data.contains("   Wantstate = "), "{data}");
        assert!(data.contains("   Last transition = "), "{data}");
        assert!(
            data.contains("   Virtual Routes :\n     10.9.0.0/16 via 10.0.0.254 dev eth0\n"),
            "{data}"
        );
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
