//! keepalived.conf front end: files -> statement tree -> typed model, with diagnostics.
//!
//! Pure apart from reading the configuration files, which goes through
//! [`read::source::Loader`].
//!
//! The stages, each a folder or file of its own, in pipeline order:
//!
//! * [`read`]: files -> [`read::syntax::Stmt`] tree. Sources and loaders, the line lexer,
//!   `$NAME` definitions, `~SEQ`, includes, the line pipeline (`expand`), the block tree, the
//!   entry points (`parse_file`, `parse_str`); the options and result types
//!   ([`read::ParseOptions`], [`read::Parsed`]) live in `read/options.rs` for every stage to
//!   import;
//! * `lower`: tree -> [`model::Config`] as written, one file per section driven by keyword
//!   tables, with value checks; `lower/keywords.rs` holds the keyword spellings the tables
//!   and the dump share;
//! * [`check`]: derived settings and cross-checks of docs/keepalived-compat.md#derived-instance-settings, docs/keepalived-compat.md#strict-mode, docs/keepalived-compat.md#trackers-in-sync-groups, docs/keepalived-compat.md#sync-groups
//!   (`check/instance/` holds the per-instance steps);
//! * [`dump()`]: the effective configuration, printed by tables that share the lowering's
//!   keyword spellings.
//!
//! Shared by the stages: [`span`] (file positions), [`diag`] (diagnostics and their
//! rendering), [`model`] (the typed configuration). [`load`] runs the whole pipeline, lowering
//! statements as the reader completes them.
//!
//! # Severity policy (`vrrpd --check-config` exits 1 on errors, 0 with only warnings)
//!
//! * **Error**: the configuration does not mean what was written, or cannot run: a malformed
//!   or out-of-range value (the help line gives the range), a missing mandatory keyword or a
//!   keyword missing its value (keepalived exits 2 there; vrrpd reports it and goes on), an
//!   unknown keyword (with "did you mean"), brace problems, duplicate VRIDs or names, dangling
//!   references (including a `track_script` naming a script defined later, which keepalived
//!   silently ignores), address family mismatches.
//! * **Warning**: runs as written but deserves attention: blocks and keys of keepalived's
//!   other subsystems (one "ignored: vrrpd manages VRRP only" each, contents skipped), values
//!   keepalived adjusts (auth_pass truncation, advert_int rounding, nopreempt cleared by
//!   `state MASTER`, trackers dropped for owners and sync groups), deprecated keywords, words
//!   after a value, scripts without `enable_script_security` (keepalived's SECURITY VIOLATION).
//! * **Note**: legacy forms accepted as they are (`debug` without a level).
//!
//! Messages keep keepalived's wording where it has one, so they stay greppable.

// The stages, in pipeline order.
pub mod read;

mod lower;

pub mod check;

pub mod dump;

// Shared by the stages (and by the daemon, which splits commands as keepalived does).
pub mod command;
pub mod diag;
pub mod model;
pub mod span;

pub mod testgen;

use std::path::Path;

pub use check::{check_host, HostAddr, HostInfo, HostInterface};
pub use model::Config;

use diag::Diagnostic;
use read::source::{Loader, SourceMap};

/// The result of loading a configuration.
#[derive(Debug)]
pub struct Loaded {
    pub sources: SourceMap,
    /// `Some` iff there is no Error-severity diagnostic.
    pub config: Option<Config>,
    /// Parser, lowering and check diagnostics, sorted by position (file, offset); diagnostics
    /// without a position come last.
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Every diagnostic rendered, followed by the summary line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            out.push_str(&d.render(&self.sources));
        }
        out.push_str(&diag::summary(&self.diagnostics));
        out.push('\n');
        out
    }
}

/// Warnings a load leaves to be made later ([`load_for_start`]): one per `vrrp_script` that
/// nothing tracks. A generated file can have tens of thousands, and making them was a tenth of
/// its start-up (README "Reload at any size"); they only ever warn, so the file is accepted or
/// refused without them.
#[derive(Debug, Default)]
pub struct Deferred {
    unused_scripts: Vec<model::Sp<compact_str::CompactString>>,
}

impl Deferred {
    pub fn len(&self) -> usize {
        self.unused_scripts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.unused_scripts.is_empty()
    }
}

impl Loaded {
    /// Adds the warnings [`load_for_start`] left out, where the order by place puts them
    /// ([`load`] is exactly this).
    pub fn add_deferred(&mut self, deferred: Deferred) {
        let names = deferred.unused_scripts;
        self.diagnostics.reserve(names.len());
        self.diagnostics
            .extend(names.iter().map(check::unused_script_warning));
        sort_by_place(&mut self.diagnostics);
    }
}

/// Reads, parses, lowers and checks the main file `path` and its includes.
/// `Err` only when the main file cannot be read at all.
pub fn load(
    loader: &dyn Loader,
    path: &Path,
    opts: &read::ParseOptions,
) -> Result<Loaded, read::ReadError> {
    let (mut loaded, deferred) = load_for_start(loader, path, opts)?;
    loaded.add_deferred(deferred);
    Ok(loaded)
}

/// [`load`] for the daemon's start-up: the warnings for unused scripts are left in
/// [`Deferred`], to be added with [`Loaded::add_deferred`] once the instances run.
pub fn load_for_start(
    loader: &dyn Loader,
    path: &Path,
    opts: &read::ParseOptions,
) -> Result<(Loaded, Deferred), read::ReadError> {
    // Statements are lowered as the parser completes them (the whole tree is never built).
    let mut root = lower::RootLowerer::default();
    let parsed = read::parse_file_streaming(loader, path, opts, &mut |s| root.feed(s))?;
    let (mut config, lower_diags) = root.finish();
    let mut diagnostics = parsed.diagnostics;
    diagnostics.extend(lower_diags);
    check::check_into_but_unused_scripts(&mut config, &mut diagnostics);
    sort_by_place(&mut diagnostics);
    let deferred = Deferred {
        unused_scripts: check::unused_script_names(&config),
    };
    Ok((keep_if_clean(parsed.sources, config, diagnostics), deferred))
}

/// Loads an in-memory text (file name `keepalived.conf`, no includes), for tests.
pub fn load_str(text: &str) -> Loaded {
    lower(read::parse_str(text))
}

/// Lowers and checks a parsed statement tree.
pub fn lower(parsed: read::Parsed) -> Loaded {
    let (sources, config, diagnostics) = lower_lenient(parsed);
    keep_if_clean(sources, config, diagnostics)
}

/// Like [`lower`], but always returns the model, even when there are errors: values that
/// failed to lower are absent. For tests and for explaining a broken file.
pub fn lower_lenient(parsed: read::Parsed) -> (SourceMap, Config, Vec<Diagnostic>) {
    let read::Parsed {
        sources,
        stmts,
        diagnostics,
    } = parsed;
    let (config, lower_diags) = lower::lower_root(&stmts);
    drop(stmts);
    finish_lenient(sources, diagnostics, config, lower_diags)
}

/// Cross-checks a lowered model and orders the diagnostics.
fn finish_lenient(
    sources: SourceMap,
    mut diagnostics: Vec<Diagnostic>,
    mut config: Config,
    lower_diags: Vec<Diagnostic>,
) -> (SourceMap, Config, Vec<Diagnostic>) {
    // The check adds to the others' list: a generated file can have tens of thousands of
    // its warnings, and copying them into a new list was a tenth of a large load.
    diagnostics.extend(lower_diags);
    check::check_into(&mut config, &mut diagnostics);
    sort_by_place(&mut diagnostics);
    (sources, config, diagnostics)
}

/// Present problems in file order; diagnostics without a place go last. Stable: at one place,
/// the reader's come first, then the lowering's, then the checks'.
fn sort_by_place(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| match d.span {
        Some(s) => (0, s.file, s.start),
        None => (1, span::FileId(0), 0),
    });
}

/// The model is only handed out when no diagnostic is an error.
fn keep_if_clean(sources: SourceMap, config: Config, diagnostics: Vec<Diagnostic>) -> Loaded {
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    Loaded {
        sources,
        config: if has_errors { None } else { Some(config) },
        diagnostics,
    }
}

/// `--dump-conf`: the effective configuration with the origin of every derived value.
pub fn dump(config: &Config) -> String {
    dump::dump(config)
}

/// Every `(section, keyword)` the parser knows (the test of docs/keywords.md).
#[doc(hidden)]
pub fn known_keywords() -> Vec<(&'static str, &'static str)> {
    lower::known()
}

/// The `(section, keyword)`s vrrpd reads but does not perform, each warned about at every
/// check (docs/keywords.md status `refused`).
#[doc(hidden)]
pub fn not_performed_keywords() -> impl Iterator<Item = (&'static str, &'static str)> {
    lower::keywords::NOT_PERFORMED
        .iter()
        .map(|(s, k, _)| (*s, *k))
}
