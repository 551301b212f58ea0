//! The config front-end property, shared by `tests/config/fuzz_property.rs` and the cargo-fuzz
//! target `fuzz/fuzz_targets/config.rs` (included there by path).
//!
//! Arbitrary bytes become the main file (the part after a first NUL byte becomes an include
//! file `inc.conf` beside it, so includes are exercised): parsing and lowering must not panic,
//! every word, block brace and diagnostic span must lie inside its own file's text on char
//! boundaries, and the rendered diagnostics must not panic either.
#![allow(dead_code)]

use std::path::Path;

use vrrpd::config::read::source::{MemLoader, SourceMap};
use vrrpd::config::read::syntax::Stmt;
use vrrpd::config::read::{parse_file, ParseOptions};
use vrrpd::config::span::Span;

pub const MAIN: &str = "/etc/keepalived/keepalived.conf";
pub const INCLUDED: &str = "/etc/keepalived/inc.conf";

fn span_ok(sources: &SourceMap, span: Span) -> Result<(), String> {
    let file = sources
        .get(span.file)
        .ok_or_else(|| format!("span {span:?} names no file"))?;
    let (s, e) = (span.start as usize, span.end as usize);
    if s > e || e > file.text.len() {
        return Err(format!("span {span:?} outside {} bytes", file.text.len()));
    }
    if !file.text.is_char_boundary(s) || !file.text.is_char_boundary(e) {
        return Err(format!("span {span:?} not on char boundaries"));
    }
    Ok(())
}

fn walk(sources: &SourceMap, stmts: &[Stmt], depth: usize) -> Result<(), String> {
    if depth > 1000 {
        return Err("tree deeper than any limit allows".into());
    }
    for st in stmts {
        span_ok(sources, st.keyword.span)?;
        for w in &st.args {
            span_ok(sources, w.span)?;
        }
        if let Some(b) = &st.block {
            span_ok(sources, b.open)?;
            if let Some(c) = b.close {
                span_ok(sources, c)?;
            }
            walk(sources, &b.stmts, depth + 1)?;
        }
    }
    Ok(())
}

/// Runs the property on one input; returns a description of the first violation.
pub fn check(data: &[u8]) -> Result<(), String> {
    let (main, inc) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], data.get(i + 1..).unwrap_or(&[])),
        None => (data, &[][..]),
    };
    let loader = MemLoader::new()
        .with(MAIN, String::from_utf8_lossy(main).into_owned())
        .with(INCLUDED, String::from_utf8_lossy(inc).into_owned());
    let opts = ParseOptions {
        config_id: Some("lb01".into()),
        ..ParseOptions::default()
    };
    let parsed = parse_file(&loader, Path::new(MAIN), &opts)
        .map_err(|e| format!("main file in memory must be readable: {e}"))?;
    walk(&parsed.sources, &parsed.stmts, 0)?;
    for d in &parsed.diagnostics {
        if let Some(s) = d.span {
            span_ok(&parsed.sources, s)?;
        }
    }
    let loaded = vrrpd::config::lower(parsed);
    for d in &loaded.diagnostics {
        if let Some(s) = d.span {
            span_ok(&loaded.sources, s)?;
        }
        let _ = d.render(&loaded.sources);
    }
    if let Some(cfg) = &loaded.config {
        let _ = vrrpd::config::dump(cfg);
    }
    Ok(())
}
