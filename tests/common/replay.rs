//! The replay driver (format in tests/proto/replay.rs): a case directory and its input lines in,
//! the node's actions and final snapshot out. Shared by the replay cases and the test that
//! replays a `--record-events` recording.
#![allow(dead_code)]

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Deserialize;
use vrrpd::config::model::Config;
use vrrpd::config::{HostInfo, HostInterface};
use vrrpd::node::{Node, NodeAction, NodeInput};
use vrrpd::proto::{hex_bytes, Input, Router, RouterSettings};
use vrrpd::track::Trackers;
use vrrpd::wire::{Addrs, Advert, Auth, Version};

#[derive(Deserialize)]
struct Line {
    t: f64,
    #[serde(default)]
    rx: Option<RxAdvert>,
    #[serde(default)]
    rx_raw: Option<RxRaw>,
    #[serde(default)]
    input: Option<Input>,
    /// A reload: `Router::reconfigure` with these settings.
    #[serde(default)]
    reconfigure: Option<RouterSettings>,
    /// A reload of a `keepalived.conf` case: the file (in the case's directory) to load.
    #[serde(default)]
    reload: Option<String>,
    /// Something the shell reports about the trackers.
    #[serde(default)]
    node: Option<NodeInput>,
    /// The host a recorded `keepalived.conf` case was planned against (first line of a
    /// `--record-events` file); without it, [`lab_host`].
    #[serde(default)]
    host: Option<HostInfo>,
    #[serde(default)]
    #[allow(dead_code)]
    until: bool,
}

/// A decoded advert as a peer would send it.
#[derive(Deserialize)]
struct RxAdvert {
    src: IpAddr,
    #[serde(default)]
    dst: Option<IpAddr>,
    #[serde(default = "ttl_255")]
    ttl: u8,
    #[serde(default = "ifindex_2")]
    ifindex: u32,
    #[serde(default = "version_2")]
    version: u8,
    vrid: u8,
    prio: u8,
    /// Seconds for v2, centiseconds for v3 (as on the wire); default 1 s.
    #[serde(default)]
    interval: Option<u16>,
    #[serde(default)]
    vips: Vec<IpAddr>,
    #[serde(default)]
    pass: Option<String>,
}

#[derive(Deserialize)]
struct RxRaw {
    src: IpAddr,
    #[serde(default)]
    dst: Option<IpAddr>,
    #[serde(default = "ttl_255")]
    ttl: u8,
    #[serde(default = "ifindex_2")]
    ifindex: u32,
    hex: String,
}

fn ttl_255() -> u8 {
    255
}
fn ifindex_2() -> u32 {
    2
}
fn version_2() -> u8 {
    2
}

fn group_of(src: IpAddr) -> IpAddr {
    if src.is_ipv4() {
        "224.0.0.18".parse().unwrap()
    } else {
        "ff02::12".parse().unwrap()
    }
}

impl RxAdvert {
    fn to_input(&self) -> Input {
        let version = if self.version == 3 {
            Version::V3
        } else {
            Version::V2
        };
        let addrs = if self.src.is_ipv4() {
            Addrs::V4(
                self.vips
                    .iter()
                    .filter_map(|a| match a {
                        IpAddr::V4(a) => Some(*a),
                        _ => None,
                    })
                    .collect(),
            )
        } else {
            Addrs::V6(
                self.vips
                    .iter()
                    .filter_map(|a| match a {
                        IpAddr::V6(a) => Some(*a),
                        _ => None,
                    })
                    .collect(),
            )
        };
        let advert = Advert {
            version,
            vrid: self.vrid,
            priority: self.prio,
            interval: self.interval.unwrap_or(match version {
                Version::V2 => 1,
                Version::V3 => 100,
            }),
            auth: match &self.pass {
                Some(p) => Auth::pass_from_str(p),
                None => Auth::None,
            },
            addrs,
        };
        let dst = self.dst.unwrap_or_else(|| group_of(self.src));
        Input::Packet {
            ifindex: self.ifindex,
            src: self.src,
            dst,
            ttl: self.ttl,
            bytes: super::encode(&advert, self.src, dst),
        }
    }
}

fn to_input(line: &Line) -> Option<Input> {
    if let Some(rx) = &line.rx {
        return Some(rx.to_input());
    }
    if let Some(raw) = &line.rx_raw {
        return Some(Input::Packet {
            ifindex: raw.ifindex,
            src: raw.src,
            dst: raw.dst.unwrap_or_else(|| group_of(raw.src)),
            ttl: raw.ttl,
            bytes: hex_bytes::decode(&raw.hex).expect("rx_raw hex"),
        });
    }
    line.input.clone()
}

fn fmt_ms(d: Duration) -> serde_json::Value {
    let ns = d.as_nanos();
    if ns % 1_000_000 == 0 {
        serde_json::Value::from((ns / 1_000_000) as u64)
    } else {
        serde_json::Value::from(ns as f64 / 1e6)
    }
}

/// The host a `keepalived.conf` case runs on: `eth0` (index 2, up) with 10.0.0.1/24.
pub fn lab_host() -> HostInfo {
    super::hostinfo::eth0_host("10.0.0.1")
}

/// Loads a configuration file of a case the way the daemon does.
fn load_conf(path: &Path, host: &HostInfo) -> Result<(Config, RouterSettings), String> {
    let loaded = vrrpd::config::load(
        &vrrpd::config::read::source::FsLoader,
        path,
        &vrrpd::config::read::ParseOptions::default(),
    )
    .map_err(|e| format!("{}: {e}", path.display()))?;
    let Some(cfg) = loaded.config else {
        let text: Vec<String> = loaded
            .diagnostics
            .iter()
            .map(|d| d.render(&loaded.sources))
            .collect();
        return Err(format!("{}: errors\n{}", path.display(), text.join("")));
    };
    let settings =
        vrrpd::plan::router_settings(&cfg, host).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((cfg, settings))
}

/// An action as an `output.jsonl` value: the core's as they are, the trackers' as
/// `{"RunScript":{...}}` / `{"Log":{...}}`.
fn action_json(action: NodeAction) -> serde_json::Value {
    match action {
        NodeAction::Core(a) => serde_json::to_value(a).unwrap_or_default(),
        NodeAction::RunScript { name } => serde_json::json!({ "RunScript": { "name": name } }),
        NodeAction::Log { level, message } => {
            serde_json::json!({ "Log": { "level": level, "message": message } })
        }
    }
}

/// Runs one case; returns (output lines, state JSON).
pub fn run_case(dir: &Path) -> Result<(Vec<String>, String), String> {
    run_lines(dir, &dir.join("input.jsonl"))
}

/// Runs the input lines of `input` for the case in `dir`; returns (output lines, state JSON).
pub fn run_lines(dir: &Path, input: &Path) -> Result<(Vec<String>, String), String> {
    let t0: Instant = super::t0();
    let input_text =
        std::fs::read_to_string(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let host = input_text
        .lines()
        .filter(|l| l.contains("\"host\""))
        .find_map(|l| serde_json::from_str::<Line>(l).ok()?.host)
        .unwrap_or_else(lab_host);
    let conf = dir.join("keepalived.conf");
    let mut node = if conf.exists() {
        let (cfg, settings) = load_conf(&conf, &host)?;
        Node::new(settings, &vrrpd::plan::trackers::tracker_settings(&cfg), t0)
    } else {
        let settings_text = std::fs::read_to_string(dir.join("settings.json"))
            .map_err(|e| format!("settings.json: {e}"))?;
        let settings: RouterSettings =
            serde_json::from_str(&settings_text).map_err(|e| format!("settings.json: {e}"))?;
        Node::from_parts(
            Router::new(settings, t0),
            Trackers::new(&Default::default(), t0),
            t0,
        )
    };
    let mut out = Vec::new();
    let mut now = t0;
    let drain = |node: &mut Node, now: Instant, out: &mut Vec<String>| {
        while let Some(action) = node.poll_action() {
            let line = serde_json::json!({ "t": fmt_ms(now - t0), "action": action_json(action) });
            out.push(line.to_string());
        }
    };
    drain(&mut node, now, &mut out);
    for (n, text) in input_text.lines().enumerate() {
        if text.trim().is_empty() || text.trim_start().starts_with("//") {
            continue;
        }
        let line: Line =
            serde_json::from_str(text).map_err(|e| format!("input.jsonl line {}: {e}", n + 1))?;
        let at = t0 + Duration::from_nanos((line.t * 1e6).round() as u64);
        if at < now {
            return Err(format!("input.jsonl line {}: time goes backwards", n + 1));
        }
        while let Some(d) = node.poll_timeout() {
            if d > at {
                break;
            }
            now = d;
            node.handle_timeout(d);
            drain(&mut node, now, &mut out);
        }
        now = at;
        if let Some(settings) = line.reconfigure.clone() {
            node.reconfigure(now, Some(settings), &Default::default());
            drain(&mut node, now, &mut out);
        }
        if let Some(file) = &line.reload {
            let (cfg, settings) = load_conf(&dir.join(file), &host)?;
            node.reconfigure(
                now,
                Some(settings),
                &vrrpd::plan::trackers::tracker_settings(&cfg),
            );
            drain(&mut node, now, &mut out);
        }
        if let Some(input) = to_input(&line) {
            node.handle(now, NodeInput::Core(input));
            drain(&mut node, now, &mut out);
        }
        if let Some(input) = line.node.clone() {
            node.handle(now, input);
            drain(&mut node, now, &mut out);
        }
    }
    let state = serde_json::to_string_pretty(&node.snapshot()).map_err(|e| e.to_string())?;
    Ok((out, state + "\n"))
}
