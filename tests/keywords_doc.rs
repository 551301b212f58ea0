//! docs/keywords.md against the parser's keyword tables, in both directions: every keyword the
//! parser knows has exactly one row with a status, every row names a keyword the parser knows,
//! and the rows marked `refused` are exactly the keywords the lowering warns about.

use std::collections::{BTreeMap, BTreeSet};

use vrrpd::config::diag::Severity;

/// `(section, keyword) -> status` of every table row.
fn rows() -> BTreeMap<(String, String), String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/keywords.md");
    let text = std::fs::read_to_string(path).expect("docs/keywords.md");
    let mut out = BTreeMap::new();
    let mut header_seen = false;
    for (n, line) in text.lines().enumerate() {
        if !line.starts_with('|') {
            continue;
        }
        let cells = split_row(line);
        assert_eq!(
            cells.len(),
            4,
            "line {}: four cells expected: {line}",
            n + 1
        );
        if !header_seen {
            assert_eq!(
                cells[0],
                "section",
                "line {}: the header row comes first",
                n + 1
            );
            header_seen = true;
            continue;
        }
        if cells[0].starts_with("---") {
            continue;
        }
        let keyword = cells[1]
            .strip_prefix('`')
            .and_then(|k| k.strip_suffix('`'))
            .unwrap_or_else(|| panic!("line {}: keyword in backticks: {line}", n + 1));
        let status = cells[3].clone();
        assert!(
            status == "performed"
                || status.starts_with("performed ")
                || status.starts_with("performed:")
                || status.starts_with("accepted, no effect: ")
                || status.starts_with("refused: "),
            "line {}: status must be `performed`, `accepted, no effect: WHY` or `refused: DIAGNOSTIC`: {line}",
            n + 1
        );
        assert!(!cells[2].is_empty(), "line {}: meaning missing", n + 1);
        let key = (cells[0].clone(), keyword.to_string());
        assert!(
            out.insert(key.clone(), status).is_none(),
            "line {}: {key:?} has two rows",
            n + 1
        );
    }
    assert!(header_seen, "no table in docs/keywords.md");
    out
}

/// The cells of a Markdown table row (`\|` is a literal bar).
fn split_row(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    let mut cells = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                chars.next();
                cells.last_mut().unwrap().push('|');
            }
            '|' => cells.push(String::new()),
            c => cells.last_mut().unwrap().push(c),
        }
    }
    cells.iter().map(|c| c.trim().to_string()).collect()
}

fn known() -> BTreeSet<(String, String)> {
    vrrpd::config::known_keywords()
        .into_iter()
        .map(|(s, k)| (s.to_string(), k.to_string()))
        .collect()
}

#[test]
fn every_parser_keyword_has_one_row_and_every_row_a_parser_keyword() {
    let rows = rows();
    let known = known();
    let documented: BTreeSet<_> = rows.keys().cloned().collect();
    let undocumented: Vec<_> = known.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "keywords without a row in docs/keywords.md: {undocumented:?}"
    );
    let unknown: Vec<_> = documented.difference(&known).collect();
    assert!(
        unknown.is_empty(),
        "rows of docs/keywords.md the parser does not know: {unknown:?}"
    );
}

#[test]
fn refused_rows_are_exactly_the_keywords_warned_about() {
    let refused: BTreeSet<_> = rows()
        .into_iter()
        .filter(|(_, status)| status.starts_with("refused"))
        .map(|(k, _)| k)
        .collect();
    let warned: BTreeSet<_> = vrrpd::config::not_performed_keywords()
        .map(|(s, k)| (s.to_string(), k.to_string()))
        .collect();
    assert_eq!(refused, warned);
}

#[test]
fn the_counts_line_matches_the_table() {
    let rows = rows();
    let count = |p: &str| rows.values().filter(|s| s.starts_with(p)).count();
    let line = format!(
        "Counts: {} keywords, {} performed, {} accepted without effect, {} refused.",
        rows.len(),
        count("performed"),
        count("accepted, no effect"),
        count("refused")
    );
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/keywords.md");
    let text = std::fs::read_to_string(path).expect("docs/keywords.md");
    assert!(text.contains(&line), "docs/keywords.md should say: {line}");
}

/// A refused keyword is a warning naming it, at its position; a performed one is not.
#[test]
fn a_refused_keyword_is_warned_about_where_it_is_written() {
    let conf = "global_defs {\n  vrrp_garp_interval 0.5\n  router_id r1\n}\n\
                vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n\
                  track_src_ip\n  virtual_ipaddress {\n    10.0.0.100/24 noprefixroute\n  }\n}\n";
    let loaded = vrrpd::config::load_str(conf);
    let warned: Vec<(String, Option<String>)> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning && d.message.contains("is not performed"))
        .map(|d| (d.message.clone(), d.help.as_deref().map(str::to_owned)))
        .collect();
    let messages: Vec<&str> = warned.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(
        messages,
        [
            "`vrrp_garp_interval` is not performed by vrrpd",
            "`track_src_ip` is not performed by vrrpd",
            "`noprefixroute` is not performed by vrrpd",
        ]
    );
    assert!(warned[0]
        .1
        .as_deref()
        .is_some_and(|h| h.contains("without a minimum gap")));
    assert!(
        loaded.config.is_some(),
        "warnings only: {:?}",
        loaded.diagnostics
    );
}
