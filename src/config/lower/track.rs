//! Tracker references inside instances and sync groups: `track_interface`, `track_script`,
//! `track_file`, `track_process`, `track_bfd` blocks, one `NAME [weight N [reverse|noreverse]]`
//! entry per line (docs/keepalived-compat.md#vrrp_instance-keywords, docs/keepalived-compat.md#weights-and-effective-priority).

use super::keywords::{track, track_ref};
use super::values::narrow;
use super::Lower;
use crate::config::diag::Diagnostic;
use crate::config::model::{TrackLists, TrackRef};
use crate::config::read::syntax::Stmt;
use crate::config::span::Spanned;

/// Weight range accepted for each tracker kind. keepalived accepts ±254 for scripts and
/// interfaces but clamps to ±253 with an error (docs/keepalived-compat.md#vrrp_instance-keywords); vrrpd clamps with a warning.
fn weight_range(keyword: &str) -> (i64, i64, i64) {
    // (min accepted, max accepted, clamp magnitude)
    match keyword {
        track::TRACK_FILE | track::TRACK_PROCESS => (-254, 254, 254),
        _ => (-254, 254, 253),
    }
}

/// Lowers one `track_*` block into `tracking`. Returns false if `s` is not a track block.
pub(crate) fn lower_track_block(l: &mut Lower, s: &Stmt, tracking: &mut TrackLists) -> bool {
    let list = match s.keyword.text.as_str() {
        track::TRACK_INTERFACE => &mut tracking.interfaces,
        track::TRACK_SCRIPT => &mut tracking.scripts,
        track::TRACK_FILE => &mut tracking.files,
        track::TRACK_PROCESS => &mut tracking.processes,
        track::TRACK_BFD => &mut tracking.bfd,
        _ => return false,
    };
    if let Some(b) = l.block_no_args(s) {
        // Exact room: a first `push` would reserve four entries.
        list.reserve_exact(b.stmts.len());
        for e in &b.stmts {
            if let Some(r) = lower_ref(l, e, &s.keyword.text) {
                list.push(r);
            }
        }
    }
    true
}

/// `NAME [weight N [reverse|noreverse]]`.
pub(crate) fn lower_ref(l: &mut Lower, e: &Stmt, keyword: &str) -> Option<TrackRef> {
    l.no_block(e);
    let name = Spanned::new(e.keyword.text.as_str().to_owned(), e.keyword.span);
    let mut r = TrackRef {
        name,
        weight: None,
        reverse: None,
    };
    let Some(first) = e.args.first() else {
        return Some(r);
    };
    if first.text != track_ref::WEIGHT {
        // Seed 001 writes a Chinese comment after the script name. keepalived 1.x ignored
        // it; 2.2.7 logs `unknown track script option ... - ignoring` and drops the whole
        // track_script entry (observed: "script X is not used"), while other track_* entries
        // keep the tracker. vrrpd keeps the tracker as written and warns.
        let span = first
            .span
            .to(e.args.last().map(|w| w.span).unwrap_or(first.span));
        let mut d = Diagnostic::warning(
            span,
            format!(
                "unknown {keyword} option '{}' after `{}` - ignoring",
                first.text, e.keyword.text
            ),
        )
        .with_label("ignored");
        d = if keyword == "track_script" {
            d.with_help(format!(
                "keepalived 2.2.7 drops this whole entry and does not track `{}` at all (1.x ignored the words); vrrpd tracks it as written. Start comments with `#`",
                e.keyword.text
            ))
        } else {
            d.with_help("options are `weight N [reverse|noreverse]`; start comments with `#`")
        };
        l.push(d);
        return Some(r);
    }
    let Some(w) = e.args.get(1) else {
        l.push(
            Diagnostic::error(
                first.span,
                format!(
                    "`weight` in {keyword} entry `{}` is missing its value",
                    e.keyword.text
                ),
            )
            .with_help("write `NAME weight N`"),
        );
        return Some(r);
    };
    let (min, max, clamp) = weight_range(keyword);
    if let Some(v) = l.int_word(w, &format!("{keyword} weight"), min, max) {
        let mut value = v.value;
        if value.abs() > clamp {
            value = value.signum() * clamp;
            l.push(
                Diagnostic::warning(
                    w.span,
                    format!("{keyword} weight {} clamped to {value}", v.value),
                )
                .with_help(format!(
                    "{keyword} weights must be between -{clamp} and {clamp}"
                )),
            );
        }
        r.weight = narrow(Spanned::new(value, v.span));
    }
    match e.args.get(2) {
        Some(x) if x.text == track_ref::REVERSE => r.reverse = Some(Spanned::new(true, x.span)),
        Some(x) if x.text == track_ref::NOREVERSE => r.reverse = Some(Spanned::new(false, x.span)),
        Some(_) => {
            l.extra_words(
                &format!("{keyword} entry `{}`", e.keyword.text),
                e.args.get(2..).unwrap_or(&[]),
            );
            return Some(r);
        }
        None => {}
    }
    if e.args.len() > 3 {
        l.extra_words(
            &format!("{keyword} entry `{}`", e.keyword.text),
            e.args.get(3..).unwrap_or(&[]),
        );
    }
    Some(r)
}
