//! Which top-level module may use which: the layering the crate's docs state, checked on every
//! test run (tests/purity.rs checks what the pure modules may not touch of the OS; this checks
//! what they may not touch of each other).
//!
//! ```text
//! wire        the VRRP codec                       uses nothing
//! proto       the protocol core                    wire
//! config      keepalived.conf front end            wire (protocol constants)
//! track       tracker logic                        proto
//! node        core + trackers                      proto, track
//! sys         the OS layer                         wire, proto, track, config::command (syntax)
//! plan        config + host -> runtime settings    config, proto, wire, track, sys (their settings types)
//! daemon      the shell                            plan and the runtime below it, config::read
//! metrics,    the shell's servers (Prometheus,      daemon (and daemon uses them), proto, track,
//!   control     the control socket)                 cli (control's client subcommands), metrics
//! metrics     the Prometheus endpoint              daemon (pictures and its channel), proto
//! ```
//!
//! Only `plan` turns the configuration model into runtime settings: `track`, `node`, `sys` and
//! `daemon` do not use `config` (except the entries named `module::submodule`, which allow that
//! submodule only). A use of `crate::X` (or `vrrpd::X`) from a module that is not allowed to use
//! X fails the test, naming the file and line; so does a new top-level module missing from
//! [`ALLOWED`]. Test code (a `tests.rs` file, or anything after a `#[cfg(test)]` line) may also
//! use what [`TEST_ALLOWED`] lists: tests build their settings from keepalived.conf snippets.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// (module, the modules it may use). `test_epoch` is the crate root's test helper.
const ALLOWED: &[(&str, &[&str])] = &[
    ("wire", &[]),
    ("proto", &["wire", "test_epoch"]),
    ("config", &["wire"]),
    ("track", &["proto", "test_epoch"]),
    ("node", &["proto", "track"]),
    ("plan", &["config", "proto", "wire", "track", "sys"]),
    ("host", &["plan"]),
    ("compat", &[]),
    ("logging", &["compat", "sys::localtime"]),
    ("cli", &[]),
    ("script_files", &["config"]),
    ("check_config", &["cli", "config", "host", "script_files"]),
    ("sys", &["wire", "proto", "track", "config::command"]),
    // The shell's two servers: they and `daemon` use each other (the loop answers their
    // queries; they run on its runtime), and nothing below the shell uses them.
    ("metrics", &["daemon", "proto"]),
    ("control", &["cli", "daemon", "proto", "track"]),
    (
        "daemon",
        &[
            "config::read",
            "control",
            "host",
            "metrics",
            "node",
            "plan",
            "proto",
            "sys",
            "track",
            "wire",
        ],
    ),
];

/// What test code of a module may use besides [`ALLOWED`].
const TEST_ALLOWED: &[(&str, &[&str])] = &[
    ("metrics", &["track"]),
    ("track", &["config", "plan"]),
    ("sys", &["config", "plan"]),
    ("node", &["config", "plan"]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The files of top-level module `m`: `src/m.rs` and/or everything under `src/m/`.
fn module_files(src: &Path, m: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let file = src.join(format!("{m}.rs"));
    if file.exists() {
        files.push(file);
    }
    rust_files(&src.join(m), &mut files);
    files.sort();
    files
}

/// The top-level modules `src/lib.rs` declares.
fn declared_modules(src: &Path) -> Vec<String> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("src/lib.rs");
    lib.lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .filter_map(|l| l.strip_suffix(';'))
        .map(str::to_string)
        .collect()
}

/// The code part of a line (comments dropped; good enough for `crate::` paths).
fn code_part(line: &str) -> &str {
    let t = line.trim_start();
    if t.starts_with("//") {
        return "";
    }
    match line.find("//") {
        Some(i) if !line[..i].contains('"') => &line[..i],
        _ => line,
    }
}

/// Every `crate::NAME` / `vrrpd::NAME` used in `code`, plus the names of a
/// `use crate::{a, b::c}` group.
fn used_modules(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for prefix in ["crate::", "vrrpd::"] {
        let mut rest = code;
        while let Some(at) = rest.find(prefix) {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        out.insert(name);
                    }
                }
                continue;
            }
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name.is_empty() {
                continue;
            }
            // `NAME::SUB` is kept whole, so an entry can allow one submodule.
            let sub: String = rest[name.len()..]
                .strip_prefix("::")
                .unwrap_or("")
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if sub.is_empty() {
                out.insert(name);
            } else {
                out.insert(format!("{name}::{sub}"));
            }
        }
    }
    out
}

fn violations(src: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let modules = declared_modules(src);
    for m in &modules {
        let Some((_, allowed)) = ALLOWED.iter().find(|(name, _)| name == m) else {
            found.push(format!(
                "src/lib.rs declares `{m}`, which tests/layers.rs does not know: add it to ALLOWED"
            ));
            continue;
        };
        let test_allowed = TEST_ALLOWED
            .iter()
            .find(|(name, _)| name == m)
            .map_or(&[][..], |(_, a)| *a);
        for f in module_files(src, m) {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            let mut in_test = f.file_name().is_some_and(|n| n == "tests.rs");
            for (n, line) in text.lines().enumerate() {
                in_test |= line.trim() == "#[cfg(test)]";
                for used in used_modules(code_part(line)) {
                    let top = used.split("::").next().unwrap_or_default();
                    let ok = |list: &[&str]| list.contains(&top) || list.contains(&used.as_str());
                    if top != m.as_str() && !ok(allowed) && !(in_test && ok(test_allowed)) {
                        found.push(format!(
                            "{}:{}: `{m}` uses `{used}`, which it may not: {}",
                            f.display(),
                            n + 1,
                            line.trim()
                        ));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn modules_use_only_the_layers_below_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(found.is_empty(), "layering broken:\n{}", found.join("\n"));
}

/// The check itself: a forbidden import planted in a copy of the tree is reported.
#[test]
fn a_planted_forbidden_import_is_reported() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let copy = std::env::temp_dir().join(format!("vrrpd-layers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for f in &files {
        let rel = f.strip_prefix(&src).expect("under src");
        let to = copy.join(rel);
        std::fs::create_dir_all(to.parent().expect("a parent")).expect("mkdir");
        std::fs::copy(f, &to).expect("copy");
    }
    assert!(violations(&copy).is_empty());
    let target = copy.join("wire/mod.rs");
    let mut text = std::fs::read_to_string(&target).expect("wire/mod.rs");
    text.push_str("\n#[allow(unused_imports)]\nuse crate::sys::SysError;\n");
    std::fs::write(&target, text).expect("plant");
    // `sys` may use `config::command` (see ALLOWED), not the rest of `config`.
    let target = copy.join("sys/mod.rs");
    let mut text = std::fs::read_to_string(&target).expect("sys/mod.rs");
    text.insert_str(
        0,
        "#[allow(unused_imports)]\nuse crate::config::model::Config;\n#[allow(unused_imports)]\nuse crate::config::command::split_command;\n",
    );
    std::fs::write(&target, text).expect("plant");
    let found = violations(&copy);
    let _ = std::fs::remove_dir_all(&copy);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains("`sys` uses `config::model`"), "{found:?}");
    assert!(
        found[1].contains("`wire` uses `sys::SysError`"),
        "{found:?}"
    );
}
