//! Differential test against Debian's `keepalived -t` (2.2.7), run inside a network namespace
//! that has the interfaces the configurations name.
//!
//! For every configuration of the corpus:
//! * keepalived accepts it cleanly (status 0, no output) => vrrpd reports no error;
//! * keepalived reports a value or structure problem at line N => vrrpd reports an error at
//!   line N,
//!
//! except the deliberate differences listed in [`DIFFERENCES`] (each one is in the README's
//! "Differences from keepalived"). Needs root and keepalived; fails loudly without them.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::keepalived;
use common::netns::{self, Netns};

/// Interfaces the corpus names (the keepalived samples use eth0-eth3, the tutorials ens33/eth0).
const INTERFACES: &[&str] = &["eth0", "eth1", "eth2", "eth3", "ens33", "ens34", "bond0"];

/// Corpus directories, relative to the repository root.
const CORPUS: &[&str] = &[
    "examples",
    "tests/config/samples",
    "tests/config/err",
    "tests/config/diff",
];

/// (file name, keepalived line, why vrrpd deliberately differs there). Line 0 means "keepalived
/// accepts the file cleanly, vrrpd rejects it". The numbers refer to README "Differences from
/// keepalived".
const DIFFERENCES: &[(&str, usize, &str)] = &[
    // Difference 3: an unknown block is skipped whole (one error at its keyword); keepalived
    // parses its body at the enclosing level and its `}` closes the enclosing block.
    ("unknown-block.conf", 5, "unknown block body"),
    (
        "unknown-block.conf",
        7,
        "rest of the instance after the unknown block",
    ),
    (
        "unknown-block.conf",
        8,
        "rest of the instance after the unknown block",
    ),
    (
        "unknown-block.conf",
        9,
        "rest of the instance after the unknown block",
    ),
    (
        "unknown-block.conf",
        10,
        "rest of the instance after the unknown block",
    ),
    (
        "unknown-block.conf",
        11,
        "rest of the instance after the unknown block",
    ),
    (
        "unknown-block.conf",
        12,
        "rest of the instance after the unknown block",
    ),
    ("unknown-root-keyword.conf", 2, "unknown block body"),
    (
        "unknown-root-keyword.conf",
        3,
        "closing brace of the unknown block",
    ),
    (
        "unknown-root-keyword.conf",
        6,
        "closing brace of the unknown block",
    ),
    // Difference 8: blocks of keepalived's other subsystems are skipped whole with one warning.
    (
        "ignored-lvs.conf",
        30,
        "inside an ignored virtual_server block",
    ),
    // Difference 7: legacy `debug` without a level is accepted with a note (keepalived aborts).
    ("seed001-master.conf", 49, "`debug` without level"),
];

/// keepalived messages that mean "the text does not say what keepalived understood":
/// the classes `vrrpd --check-config` must report as errors at the same line.
const VALUE_OR_STRUCTURE: &[&str] = &[
    "Unknown keyword",
    "outside range",
    "invalid number",
    "not valid",
    "Extra '}'",
    "missing '}'",
    "Missing '{'",
    "Unexpected '{'",
    "unknown state",
    "unknown authentication type",
    "Unknown configuration entry",
    "parsed invalid IP",
    "Invalid address prefix",
    "Unterminated quote",
    "address family must match",
    "both use VRID",
    "already defined",
    "track script",
    "is missing a parameter",
    "must be either",
    "Invalid ~SEQ",
    "invalid",
];

/// Messages matching [`VALUE_OR_STRUCTURE`] that are only advice.
const ADVICE: &[&str] = &["deprecated", "rounding", "Truncating", "SECURITY VIOLATION"];

#[derive(Debug)]
struct KaReport {
    status: i32,
    /// (line, message) for messages tied to a line of the main file.
    problems: Vec<(usize, String)>,
    /// Messages not tied to a line.
    unplaced: Vec<String>,
    raw: String,
}

fn keepalived_t(ns: &Netns, file: &Path) -> KaReport {
    let out = keepalived::check_command(Some(&ns.name), file, &[])
        .output()
        .expect("run keepalived -t");
    let raw = String::from_utf8_lossy(&out.stderr).into_owned();
    let mut problems = Vec::new();
    let mut unplaced = Vec::new();
    for line in raw.lines() {
        if !line.starts_with('(') || line.starts_with("(VI") {
            // Not tied to a line ("X and Y both use VRID ...", "(VI_1) the virtual router id
            // must be set", ...).
            unplaced.push(line.to_string());
        }
        // "(Line 3) msg" or "(/path/file.conf: Line 7) msg"
        let Some(rest) = line.strip_prefix('(') else {
            continue;
        };
        let Some((inside, msg)) = rest.split_once(") ") else {
            continue;
        };
        let Some(num) = inside.rsplit("Line ").next() else {
            continue;
        };
        if let Ok(n) = num.trim().parse::<usize>() {
            // keepalived reports root-level problems once per process: keep one.
            if !problems.contains(&(n, msg.to_string())) {
                problems.push((n, msg.to_string()));
            }
        }
    }
    KaReport {
        status: out.status.code().unwrap_or(-1),
        problems,
        unplaced,
        raw,
    }
}

#[derive(Debug)]
struct VrrpdReport {
    /// Lines of the main file with an error.
    error_lines: BTreeSet<usize>,
    errors: usize,
    raw: String,
}

fn vrrpd_check(file: &Path) -> VrrpdReport {
    let out = Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        .args(["--check-config", "--format", "json", "-f"])
        .arg(file)
        .output()
        .expect("run vrrpd");
    let raw = String::from_utf8_lossy(&out.stdout).into_owned();
    let v: serde_json::Value = serde_json::from_str(&raw).unwrap_or(serde_json::Value::Null);
    let main = file.display().to_string();
    let mut error_lines = BTreeSet::new();
    for d in v["diagnostics"].as_array().into_iter().flatten() {
        if d["severity"] == "error" && d["file"].as_str() == Some(main.as_str()) {
            if let Some(l) = d["line"].as_u64() {
                error_lines.insert(l as usize);
            }
        }
    }
    let errors = v["errors"].as_u64().unwrap_or(0) as usize;
    VrrpdReport {
        error_lines,
        errors,
        raw,
    }
}

/// `(VI) track script NAME not found, ignoring...`: when the file does define `vrrp_script NAME`,
/// keepalived dropped the script for a reason vrrpd reports at the script itself (no `script`
/// line) or that depends on this host's file system (the script file does not exist here),
/// which `--check-config` deliberately does not look at (difference 2). Only a name that is
/// not defined at all must be an error at the track_script line.
fn script_defined_elsewhere(msg: &str, text: &str) -> bool {
    let Some(rest) = msg.split("track script ").nth(1) else {
        return false;
    };
    let name = rest.split_whitespace().next().unwrap_or("");
    text.lines().any(|l| {
        let mut w = l.split_whitespace();
        w.next() == Some("vrrp_script") && w.next() == Some(name)
    })
}

fn is_value_or_structure(msg: &str) -> bool {
    VALUE_OR_STRUCTURE.iter().any(|p| msg.contains(p)) && !ADVICE.iter().any(|p| msg.contains(p))
}

fn corpus() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in CORPUS {
        let Ok(rd) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if p.is_file() && (name.ends_with(".conf") || name.starts_with("keepalived.conf")) {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn vrrpd_agrees_with_keepalived_t() {
    netns::require_root();
    netns::require_tool("keepalived");
    let ns = Netns::new("diff");
    for (i, ifname) in INTERFACES.iter().enumerate() {
        ns.add_veth(ifname, &format!("dp{i}"));
        ns.add_addr(ifname, &format!("10.{}.0.1/24", 200 + i));
    }
    let files = corpus();
    assert!(files.len() >= 30, "corpus too small: {files:?}");
    let mut failures = Vec::new();
    let mut clean = 0;
    let mut compared_lines = 0;
    for file in &files {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let ka = keepalived_t(&ns, file);
        let ours = vrrpd_check(file);
        let text = std::fs::read_to_string(file).unwrap_or_default();
        if ka.status == 0 && ka.raw.trim().is_empty() {
            clean += 1;
            if DIFFERENCES.iter().any(|(f, l, _)| *f == name && *l == 0) {
                assert!(
                    ours.errors > 0,
                    "{name}: documented difference no longer holds"
                );
                continue;
            }
            if !ours.error_lines.is_empty() {
                failures.push(format!(
                    "{name}: keepalived accepts it cleanly but vrrpd reports errors at lines {:?}\n{}",
                    ours.error_lines, ours.raw
                ));
            }
            continue;
        }
        for (line, msg) in &ka.problems {
            if !is_value_or_structure(msg) {
                continue;
            }
            if DIFFERENCES.iter().any(|(f, l, _)| *f == name && l == line)
                || script_defined_elsewhere(msg, &text)
            {
                continue;
            }
            compared_lines += 1;
            if !ours.error_lines.contains(line) {
                failures.push(format!(
                    "{name}:{line}: keepalived reports `{msg}` but vrrpd has no error on that line (vrrpd errors at {:?})",
                    ours.error_lines
                ));
            }
        }
        // Problems keepalived cannot place on a line (VRID conflicts, missing VRID...):
        // vrrpd must still report an error somewhere.
        for msg in &ka.unplaced {
            if is_value_or_structure(msg) && ours.errors == 0 {
                failures.push(format!(
                    "{name}: keepalived reports `{msg}` but vrrpd reports no error"
                ));
            }
        }
    }
    println!(
        "differential: {} files, {clean} accepted cleanly by keepalived, {compared_lines} keepalived problem lines compared",
        files.len()
    );
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
