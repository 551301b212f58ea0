//! The pure core (`wire`, `proto`, `config`, `track`, `node`) must not do I/O or read the clock
//! (the core is sans-IO: time is an argument, the shell does the I/O). No compiler checks that, so this test scans the sources and
//! names every offending file and line. Comments are ignored, so docs may name what is banned.

use std::path::{Path, PathBuf};

/// (needle, why). Identifiers are matched on word boundaries.
const BANNED: &[(&str, &str)] = &[
    ("tokio", "async runtime"),
    ("socket2", "sockets"),
    ("rtnetlink", "netlink"),
    ("pnet", "packet sockets"),
    ("nix", "syscalls"),
    ("UdpSocket", "std::net socket"),
    ("TcpStream", "std::net socket"),
    ("TcpListener", "std::net socket"),
    ("Instant::now", "clock read"),
    ("SystemTime::now", "clock read"),
    ("std::process", "processes"),
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

/// The code part of a line: everything before a `//` that is not inside a string literal.
fn code_part(line: &str) -> &str {
    let mut in_str = false;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '"' if prev != '\\' => in_str = !in_str,
            '/' if !in_str && prev == '/' => return &line[..i - 1],
            _ => {}
        }
        prev = c;
    }
    line
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `needle` occurs in `code` not glued to other identifier characters.
fn contains_word(code: &str, needle: &str) -> bool {
    let mut start = 0;
    while let Some(pos) = code[start..].find(needle) {
        let at = start + pos;
        let before = code[..at].chars().next_back();
        let after = code[at + needle.len()..].chars().next();
        if !before.is_some_and(is_ident) && !after.is_some_and(is_ident) {
            return true;
        }
        start = at + needle.len();
    }
    false
}

fn violations(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for m in ["wire", "proto", "config", "track"] {
        rust_files(&root.join("src").join(m), &mut files);
    }
    // The node (core + trackers) is one file.
    files.push(root.join("src/node.rs"));
    files.sort();
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            let code = code_part(line);
            for (needle, why) in BANNED {
                if contains_word(code, needle) {
                    found.push(format!(
                        "{}:{}: `{needle}` ({why}) in the pure core: {}",
                        f.strip_prefix(root).unwrap_or(f).display(),
                        n + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn core_modules_are_pure() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(root.join("src/proto").is_dir(), "src/proto missing");
    let found = violations(root);
    assert!(
        found.is_empty(),
        "impure code in the core:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scanner_finds_what_it_should() {
    assert!(contains_word("let t = Instant::now();", "Instant::now"));
    assert!(contains_word("use tokio::net;", "tokio"));
    assert!(!contains_word("let tokiox = 1;", "tokio"));
    assert!(!contains_word("let unix = 1;", "nix"));
    assert_eq!(code_part("let a = 1; // Instant::now"), "let a = 1; ");
    assert_eq!(code_part("let s = \"http://x\";"), "let s = \"http://x\";");
}
