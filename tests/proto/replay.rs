//! Replay cases (events in, expected actions out): every directory under `tests/replay/` holds
//!
//! * `settings.json` — a [`RouterSettings`] (serde defaults fill what is not written), or
//!   `keepalived.conf` — a configuration taken through the same path as the daemon's
//!   (parse, check, `plan::router_settings` against one interface `eth0`, index 2, up, with
//!   10.0.0.1/24, and the trackers of `track::Trackers`), so a change in how configuration maps
//!   onto the core shows up as a replay diff;
//! * `input.jsonl` — one event per line with its time offset `t` in ms:
//!   `{"t":1000,"rx":{"src":"10.0.0.2","vrid":51,"prio":150,"vips":["10.0.0.100"]}}` (a decoded
//!   advert, encoded here with the wire codec so the decoder runs), `{"t":5,"rx_raw":{"src":..,
//!   "hex":"2133..."}}` for malformed packets, `{"t":9,"input":{"Link":{...}}}` for any other
//!   [`Input`] (link, addr, tracker, `"Stop"` (a releasing stop) or `{"Stop":{"release":false}}` (`-V`)), `{"t":5000,"reconfigure":{...settings...}}`
//!   for a reload ([`Router::reconfigure`]), `{"t":5000,"reload":"keepalived.2.conf"}` for a
//!   reload of a `keepalived.conf` case (settings and trackers, [`Node::reconfigure`]),
//!   `{"t":1,"node":{"script_done":{"name":"chk","outcome":{"exited":1}}}}` for what the
//!   shell reports about trackers (any [`NodeInput`]: `file_value`, `process_counts`, ...),
//!   and `{"t":20000,"until":true}` to let time run;
//! * `output.jsonl` — the expected actions, `{"t":ms,"action":{...}}` per line (the core's
//!   actions, and the trackers' `RunScript` and `Log`);
//! * `state.json` — the expected final [`Router::snapshot`].
//!
//! One driver test walks all cases and reports every mismatch before failing.
//! `VRRPD_BLESS=1 cargo test --test proto replay::` rewrites the expected files.

use crate::common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use common::replay::run_case;

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/replay");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/replay exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("settings.json").exists() || p.join("keepalived.conf").exists())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn replay_cases() {
    let bless = std::env::var_os("VRRPD_BLESS").is_some();
    let dirs = cases();
    assert!(dirs.len() >= 12, "expected at least 12 replay cases");
    let mut failures = String::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let (out, state) = match run_case(dir) {
            Ok(r) => r,
            Err(e) => {
                let _ = writeln!(failures, "[{name}] {e}");
                continue;
            }
        };
        let out_text = out.join("\n") + "\n";
        if bless {
            std::fs::write(dir.join("output.jsonl"), &out_text).unwrap();
            std::fs::write(dir.join("state.json"), &state).unwrap();
            continue;
        }
        let expected_out = std::fs::read_to_string(dir.join("output.jsonl")).unwrap_or_default();
        let expected: Vec<&str> = expected_out.lines().collect();
        for i in 0..expected.len().max(out.len()) {
            let (e, a) = (expected.get(i).copied(), out.get(i).map(String::as_str));
            let same = match (e, a) {
                (Some(e), Some(a)) => {
                    serde_json::from_str::<serde_json::Value>(e).ok()
                        == serde_json::from_str::<serde_json::Value>(a).ok()
                }
                _ => false,
            };
            if !same {
                let _ = writeln!(
                    failures,
                    "[{name}] output.jsonl line {}:\n  expected: {}\n  actual:   {}",
                    i + 1,
                    e.unwrap_or("<none>"),
                    a.unwrap_or("<none>")
                );
            }
        }
        let expected_state = std::fs::read_to_string(dir.join("state.json")).unwrap_or_default();
        let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).ok();
        if parse(&expected_state).is_none() || parse(&expected_state) != parse(&state) {
            let _ = writeln!(failures, "[{name}] state.json differs:\n{state}");
        }
    }
    assert!(
        failures.is_empty(),
        "replay mismatches (VRRPD_BLESS=1 to accept):\n{failures}"
    );
}
