//! Root-level tracked objects: `vrrp_script` (docs/keepalived-compat.md#vrrp_script-keywords),
//! `vrrp_track_process` and `track_file` (docs/keepalived-compat.md#weights-and-effective-priority).

use compact_str::CompactString;

use super::keywords::{root, script, track_file, track_process};
use super::values::narrow;
use super::{Index, Lower, Section};
use crate::config::diag::Diagnostic;
use crate::config::model::{Config, InitFile, Sp, TrackFile, TrackProcess, VrrpScript};
use crate::config::read::syntax::{Stmt, Word};
use crate::config::span::{Span, Spanned};

/// The command of `script`/`process`: every word after the keyword (keepalived re-splits the
/// line, so `script /bin/check -x` and `script "/bin/check -x"` are the same). Words that were
/// quoted and contain blanks are re-quoted so the daemon's splitter sees one argument.
pub(crate) fn command_line(words: &[Word]) -> Option<Sp<String>> {
    let first = words.first()?;
    let last = words.last().unwrap_or(first);
    if words.len() == 1 {
        return Some(Spanned::new(first.text.as_str().to_owned(), first.span));
    }
    let text = words
        .iter()
        .map(|w| {
            if w.quoted && w.text.contains([' ', '\t']) {
                format!("\"{}\"", w.text)
            } else {
                w.text.as_str().to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    Some(Spanned::new(text, first.span.to(last.span)))
}

fn weight_reverse(l: &mut Lower, s: &Stmt, min: i64, max: i64) -> Option<(Sp<i32>, bool)> {
    l.no_block(s);
    let w = l.arg(s, 0)?;
    let v = l.int_word(w, &s.keyword.text, min, max).and_then(narrow)?;
    let reverse = match s.args.get(1) {
        Some(x) if x.text == "reverse" => {
            l.extra(s, 2);
            true
        }
        Some(x) if x.text == "noreverse" => {
            l.extra(s, 2);
            false
        }
        _ => {
            l.extra(s, 1);
            false
        }
    };
    Some((v, reverse))
}

/// keepalived's `... already defined`: the second block is skipped.
pub(crate) fn duplicate(l: &mut Lower, what: &str, name: &Sp<String>, _first: Span) {
    l.push(
        Diagnostic::error(name.span, format!("{what} {} already defined", name.value))
            .with_label("duplicate name; this block is skipped")
            .with_help(format!(
                "the first definition is kept; give each {what} a unique name"
            )),
    );
}

pub(crate) fn lower_script(l: &mut Lower, s: &Stmt, config: &mut Config) {
    let Some(name) = l.block_name(s) else { return };
    let Some(b) = l.block(s) else { return };
    if let Some(first) = l
        .script_names
        .get(name.value.as_str())
        .and_then(|&i| config.scripts.get(i))
    {
        let span = first.name.span;
        duplicate(l, "vrrp script", &name, span);
        return;
    }
    l.script_names.insert(
        CompactString::from(name.value.as_str()),
        config.scripts.len(),
    );
    let mut vs = VrrpScript {
        name,
        span: s.keyword.span,
        seq: 0,
        script: None,
        interval: None,
        timeout: None,
        weight: None,
        weight_reverse: false,
        rise: None,
        fall: None,
        user: None,
        init_fail: None,
    };
    l.section(&b.stmts, &SCRIPT, &mut vs);
    if vs.script.is_none() {
        l.push(
            Diagnostic::error(
                vs.name.span,
                format!("No script set for vrrp_script {}", vs.name.value),
            )
            .with_help(
                "add `script \"/path/to/check\"` to the block (keepalived removes the script)",
            ),
        );
    }
    config.scripts.push(vs);
}

pub(super) static SCRIPT: Section<VrrpScript> = Section {
    name: root::VRRP_SCRIPT,
    ignored: &[],
    also_known: &[],
    index: Index::new(),
    keywords: &[
        (script::SCRIPT, |l, s, v| {
            l.no_block(s);
            if l.arg(s, 0).is_some() {
                v.script = command_line(&s.args);
            }
        }),
        (script::INTERVAL, |l, s, v| {
            v.interval = l.uint(s, 1, 2_147_483)
        }),
        (script::TIMEOUT, |l, s, v| {
            v.timeout = l.uint(s, 1, 2_147_483)
        }),
        (script::WEIGHT, |l, s, v| {
            if let Some((w, r)) = weight_reverse(l, s, -253, 253) {
                v.weight = Some(w);
                v.weight_reverse = r;
            }
        }),
        (script::RISE, |l, s, v| v.rise = l.uint(s, 1, 2_147_483_647)),
        (script::FALL, |l, s, v| v.fall = l.uint(s, 1, 2_147_483_647)),
        (script::USER, |l, s, v| v.user = l.run_as(s).map(Box::new)),
        (script::INIT_FAIL, |l, s, v| v.init_fail = Some(l.flag(s))),
    ],
};

pub(crate) fn lower_track_process(l: &mut Lower, s: &Stmt, config: &mut Config) {
    let Some(name) = l.block_name(s) else { return };
    let Some(b) = l.block(s) else { return };
    if let Some(first) = l
        .process_names
        .get(name.value.as_str())
        .and_then(|&i| config.track_processes.get(i))
    {
        let span = first.name.span;
        duplicate(l, "vrrp track process", &name, span);
        return;
    }
    l.process_names.insert(
        CompactString::from(name.value.as_str()),
        config.track_processes.len(),
    );
    let mut p = TrackProcess {
        name,
        span: s.keyword.span,
        process: None,
        args: Vec::new(),
        param_match: None,
        weight: None,
        weight_reverse: false,
        quorum: None,
        quorum_max: None,
        delay: None,
        terminate_delay: None,
        fork_delay: None,
        full_command: None,
    };
    l.section(&b.stmts, &PROCESS, &mut p);
    if p.process.is_none() {
        l.push(
            Diagnostic::error(
                p.name.span,
                format!("vrrp_track_process {} has no process", p.name.value),
            )
            .with_help("add `process NAME` to the block"),
        );
    }
    config.track_processes.push(p);
}

pub(super) static PROCESS: Section<TrackProcess> = Section {
    name: root::VRRP_TRACK_PROCESS,
    ignored: &[],
    also_known: &[],
    index: Index::new(),
    keywords: &[
        (track_process::PROCESS, |l, s, p| {
            l.no_block(s);
            if let Some(w) = l.arg(s, 0) {
                p.process = Some(Spanned::new(w.text.as_str().to_owned(), w.span));
                p.args = s
                    .args
                    .iter()
                    .skip(1)
                    .map(|w| Spanned::new(w.text.as_str().to_owned(), w.span))
                    .collect();
            }
        }),
        (track_process::PARAM_MATCH, |l, s, p| {
            l.no_block(s);
            l.extra(s, 1);
            match s.args.first() {
                None => p.param_match = Some(Spanned::new("exact".to_string(), s.keyword.span)),
                Some(w) if w.text == "initial" || w.text == "partial" => {
                    p.param_match = Some(Spanned::new(w.text.as_str().to_owned(), w.span))
                }
                Some(w) => l.push(
                    Diagnostic::error(w.span, format!("invalid param_match '{}'", w.text))
                        .with_help("param_match takes no value, `initial` or `partial`"),
                ),
            }
        }),
        (track_process::WEIGHT, |l, s, p| {
            if let Some((w, r)) = weight_reverse(l, s, -254, 254) {
                p.weight = Some(w);
                p.weight_reverse = r;
            }
        }),
        (track_process::QUORUM, |l, s, p| {
            p.quorum = l.uint(s, 1, 65535)
        }),
        (track_process::QUORUM_MAX, |l, s, p| {
            p.quorum_max = l.uint(s, 0, 65535)
        }),
        (track_process::DELAY, |l, s, p| {
            p.delay = l.seconds(s, 0, 3_600_000_000)
        }),
        (track_process::TERMINATE_DELAY, |l, s, p| {
            p.terminate_delay = l.seconds(s, 0, 3_600_000_000)
        }),
        (track_process::FORK_DELAY, |l, s, p| {
            p.fork_delay = l.seconds(s, 0, 3_600_000_000)
        }),
        (track_process::FULL_COMMAND, |l, s, p| {
            p.full_command = Some(l.flag(s))
        }),
    ],
};

pub(crate) fn lower_track_file(l: &mut Lower, s: &Stmt, config: &mut Config) {
    let Some(name) = l.block_name(s) else { return };
    let Some(b) = l.block(s) else { return };
    if let Some(first) = l
        .file_names
        .get(name.value.as_str())
        .and_then(|&i| config.track_files.get(i))
    {
        let span = first.name.span;
        duplicate(l, "track file", &name, span);
        return;
    }
    l.file_names.insert(
        CompactString::from(name.value.as_str()),
        config.track_files.len(),
    );
    let mut f = TrackFile {
        name,
        span: s.keyword.span,
        file: None,
        weight: None,
        weight_reverse: false,
        init_file: None,
    };
    l.section(&b.stmts, &FILE, &mut f);
    if f.file.is_none() {
        l.push(
            Diagnostic::error(
                f.name.span,
                format!("track_file {} has no file", f.name.value),
            )
            .with_help("add `file PATH` to the block"),
        );
    }
    config.track_files.push(f);
}

pub(super) static FILE: Section<TrackFile> = Section {
    name: root::TRACK_FILE,
    ignored: &[],
    also_known: &[],
    index: Index::new(),
    keywords: &[
        (track_file::FILE, |l, s, f| f.file = l.string(s)),
        (track_file::WEIGHT, |l, s, f| {
            if let Some((w, r)) = weight_reverse(l, s, -254, 254) {
                f.weight = Some(w);
                f.weight_reverse = r;
            }
        }),
        (track_file::INIT_FILE, |l, s, f| {
            l.no_block(s);
            let mut init = InitFile {
                value: None,
                overwrite: false,
            };
            let mut rest = s.args.iter();
            if let Some(w) = rest.next() {
                if w.text == "overwrite" {
                    init.overwrite = true;
                } else {
                    init.value = l
                        .int_word(w, "init_file", -2_147_483_648, 2_147_483_647)
                        .map(|v| v.value);
                    if let Some(o) = rest.next() {
                        if o.text == "overwrite" {
                            init.overwrite = true;
                        } else {
                            l.extra_words("the value of `init_file`", std::slice::from_ref(o));
                        }
                    }
                }
            }
            f.init_file = Some(Spanned::new(init, s.span()));
        }),
    ],
};
