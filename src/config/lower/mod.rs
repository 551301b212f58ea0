//! Lowering: statement tree -> typed model, one file per section, driven by keyword tables.
//!
//! Rules common to every section (docs/keepalived-compat.md#lexical-rules, docs/keepalived-compat.md#blocks-and-braces, docs/keepalived-compat.md#keywords-of-other-subsystems):
//! * a keyword the section knows is handed to its handler, which checks its values;
//! * a keyword or block of keepalived's other subsystems (LVS, checkers, BFD) is skipped whole
//!   with one warning "ignored: vrrpd manages VRRP only";
//! * any other keyword is an error "Unknown keyword 'X'" with the nearest known keyword as a
//!   suggestion. Deliberate improvement over keepalived: an unknown keyword with a block skips
//!   the whole block (keepalived parses its contents at the enclosing level and lets its `}`
//!   close the enclosing block, docs/keepalived-compat.md#blocks-and-braces).

mod auth;
mod global;
mod instance;
pub(crate) mod keywords;
mod routes;
mod script;
mod sync_group;
mod track;
pub(crate) mod values;
mod vip;

use super::diag::Diagnostic;
use super::model::{Config, RawSetting};
use super::read::syntax::Stmt;
use super::span::Spanned;
use std::sync::OnceLock;

use compact_str::CompactString;
use keywords::root;
use rustc_hash::FxHashMap;

/// Lowering state: the diagnostics found so far and the skipped foreign keywords.
#[derive(Default)]
pub(crate) struct Lower {
    pub diags: Vec<Diagnostic>,
    pub ignored: Vec<Spanned<String>>,
    /// Index of every `vrrp_instance` name already lowered, so duplicate names are found in
    /// O(1) (configs with thousands of instances exist in the field). FxHash: SipHash's
    /// flooding resistance buys nothing against the administrator's own file; names up to 24
    /// bytes are kept inline, without a copy on the heap.
    pub instance_names: FxHashMap<CompactString, usize>,
    /// The same for `vrrp_script`, `vrrp_track_process` and `vrrp_track_file` names:
    /// generated configurations carry tens of thousands of scripts, and a scan of the ones
    /// before made 40,000 of them cost 4.5 s (README "Reload at any size").
    pub script_names: FxHashMap<CompactString, usize>,
    pub process_names: FxHashMap<CompactString, usize>,
    pub file_names: FxHashMap<CompactString, usize>,
}

/// A keyword handler of a section whose target is `T`.
pub(crate) type Handler<T> = fn(&mut Lower, &Stmt, &mut T);

/// A section's keyword table.
pub(crate) struct Section<T: 'static> {
    /// Name used in messages (`vrrp_instance`, `global_defs`, ...).
    pub name: &'static str,
    pub keywords: &'static [(&'static str, Handler<T>)],
    /// Keywords of keepalived's other subsystems: skipped with one warning.
    pub ignored: &'static [&'static str],
    /// Keywords handled elsewhere (accepted verbatim), offered as suggestions too.
    pub also_known: &'static [&'static str],
    /// `keywords` by spelling, built at first use.
    pub index: Index,
}

/// A section's keywords by spelling: the position of each in the table (the first, as a scan
/// would find) and its `keywords::NOT_PERFORMED` reason. Every statement is looked up: a scan
/// of the table and of `NOT_PERFORMED` was a tenth of lowering a 10,000-instance file.
pub(crate) struct Index(OnceLock<FxHashMap<&'static str, (usize, Option<&'static str>)>>);

impl Index {
    pub(crate) const fn new() -> Index {
        Index(OnceLock::new())
    }
}

impl<T> Section<T> {
    /// The handler of `keyword` and the reason it is not performed, if any.
    fn lookup(&self, keyword: &str) -> Option<(Handler<T>, Option<&'static str>)> {
        let index = self.index.0.get_or_init(|| {
            let mut m = FxHashMap::default();
            for (i, (k, _)) in self.keywords.iter().enumerate() {
                m.entry(*k)
                    .or_insert_with(|| (i, keywords::not_performed(self.name, k)));
            }
            m
        });
        let &(i, why) = index.get(keyword)?;
        self.keywords.get(i).map(|(_, h)| (*h, why))
    }
}

impl Lower {
    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Runs `section`'s table over `stmts`.
    pub(crate) fn section<T>(&mut self, stmts: &[Stmt], section: &Section<T>, target: &mut T) {
        for s in stmts {
            let kw = s.keyword.text.as_str();
            if let Some((handler, why)) = section.lookup(kw) {
                handler(self, s, target);
                if let Some(why) = why {
                    self.not_performed(&s.keyword, why);
                }
            } else if section.ignored.contains(&kw) {
                self.ignore(s);
            } else {
                let known = section.keywords.iter().map(|(k, _)| *k);
                let others = section.ignored.iter().chain(section.also_known).copied();
                self.unknown(s, section.name, known.chain(others));
            }
        }
    }

    /// The warning for a keyword vrrpd reads but does not perform (`keywords::NOT_PERFORMED`,
    /// docs/keywords.md): a node swapped from keepalived must not find out from an outage.
    pub(crate) fn check_performed(&mut self, section: &str, word: &super::read::syntax::Word) {
        if let Some(why) = keywords::not_performed(section, &word.text) {
            self.not_performed(word, why);
        }
    }

    fn not_performed(&mut self, word: &super::read::syntax::Word, why: &str) {
        self.push(
            Diagnostic::warning(
                word.span,
                format!("`{}` is not performed by vrrpd", word.text),
            )
            .with_label("accepted without effect")
            .with_help(format!("without it, {why} (docs/keywords.md)")),
        );
    }

    /// A keyword/block of another keepalived subsystem: one warning, contents skipped.
    pub(crate) fn ignore(&mut self, s: &Stmt) {
        let mut d = Diagnostic::warning(s.keyword.span, "ignored: vrrpd manages VRRP only");
        if s.block.is_some() {
            d = d.with_label("this block is skipped");
        }
        self.push(d);
        self.ignored.push(Spanned::new(
            s.keyword.text.as_str().to_owned(),
            s.keyword.span,
        ));
    }

    /// keepalived's `Unknown keyword 'X'`, with a suggestion.
    pub(crate) fn unknown<'k>(
        &mut self,
        s: &Stmt,
        section: &str,
        known: impl IntoIterator<Item = &'k str>,
    ) {
        let kw = &s.keyword.text;
        // Invisible characters are shown escaped (`\u{a0}`).
        let shown: String = kw
            .chars()
            .map(|c| {
                if c.is_whitespace() || c == '\u{feff}' {
                    format!("\\u{{{:x}}}", u32::from(c))
                } else {
                    c.to_string()
                }
            })
            .collect();
        let mut d = Diagnostic::error(
            s.keyword.span,
            format!("Unknown keyword '{shown}' in {section}"),
        );
        if s.block.is_some() {
            d = d.with_label("unknown keyword; its whole block is skipped");
        } else {
            d = d.with_label("unknown keyword");
        }
        if kw.chars().any(|c| c.is_whitespace()) || kw.contains('\u{feff}') {
            // keepalived only strips ASCII blanks: a non-breaking space pasted from a web page
            // becomes part of the keyword.
            d = d.with_help(
                "the line starts with a non-ASCII space (e.g. U+00A0, often pasted from a web page); replace it with ordinary spaces",
            );
        } else if let Some(best) = keywords::suggest(kw, known) {
            d = d.with_help(format!("did you mean `{best}`?"));
        }
        self.push(d);
    }

    /// Keeps a keyword verbatim (accepted without effect).
    pub(crate) fn raw(&mut self, s: &Stmt) -> RawSetting {
        RawSetting {
            keyword: Spanned::new(s.keyword.text.as_str().to_owned(), s.keyword.span),
            args: s
                .args
                .iter()
                .map(|w| Spanned::new(w.text.as_str().to_owned(), w.span))
                .collect(),
        }
    }

    /// A deprecated keyword: warning with the replacement.
    pub(crate) fn deprecated(&mut self, s: &Stmt, instead: &str) {
        self.push(
            Diagnostic::warning(
                s.keyword.span,
                format!("`{}` is deprecated", s.keyword.text),
            )
            .with_help(instead.to_string()),
        );
    }

    /// The single name argument of a named block (`vrrp_instance NAME {`).
    pub(crate) fn block_name(&mut self, s: &Stmt) -> Option<Spanned<String>> {
        let w = self.arg(s, 0)?;
        if s.args.len() > 1 {
            self.extra_words(
                &format!("the name of `{}`", s.keyword.text),
                s.args.get(1..).unwrap_or(&[]),
            );
        }
        Some(Spanned::new(w.text.as_str().to_owned(), w.span))
    }
}

/// Every `(section, keyword)` the lowering knows, each once: the sections' keyword tables, the
/// keywords accepted verbatim or skipped as another subsystem's, and the option words of list
/// entries. docs/keywords.md gives each its status; its test compares the two.
pub(crate) fn known() -> Vec<(&'static str, &'static str)> {
    fn table<T>(out: &mut Vec<(&'static str, &'static str)>, s: &'static Section<T>) {
        let words = s.keywords.iter().map(|(k, _)| *k);
        let others = s.ignored.iter().chain(s.also_known).copied();
        out.extend(words.chain(others).map(|k| (s.name, k)));
    }
    let mut out = Vec::new();
    let root = keywords::sections::ROOT;
    let root_words = keywords::ROOT_BLOCKS
        .iter()
        .chain(keywords::PROCESS_ROOT)
        .chain(keywords::IGNORED_ROOT);
    out.extend(root_words.map(|k| (root, *k)));
    table(&mut out, &global::GLOBAL);
    table(&mut out, &instance::INSTANCE);
    table(&mut out, &auth::AUTH);
    table(&mut out, &sync_group::GROUP);
    table(&mut out, &script::SCRIPT);
    table(&mut out, &script::PROCESS);
    table(&mut out, &script::FILE);
    for (section, words) in keywords::OPTION_WORDS {
        out.extend(words.iter().map(|k| (*section, *k)));
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|x| seen.insert(*x));
    out
}

/// Root-level keywords (docs/keepalived-compat.md#root-level-keywords).
pub(crate) fn lower_root(stmts: &[Stmt]) -> (Config, Vec<Diagnostic>) {
    let mut root = RootLowerer::default();
    for s in stmts {
        root.feed(s);
    }
    root.finish()
}

/// Lowers top-level statements one at a time, in file order (so the parser can stream them).
#[derive(Default)]
pub(crate) struct RootLowerer {
    l: Lower,
    config: Config,
    /// Reading-order index of the next statement.
    seq: usize,
}

impl RootLowerer {
    pub(crate) fn finish(mut self) -> (Config, Vec<Diagnostic>) {
        self.config.ignored = std::mem::take(&mut self.l.ignored);
        (self.config, self.l.diags)
    }

    pub(crate) fn feed(&mut self, s: &Stmt) {
        let seq = self.seq;
        self.seq += 1;
        let (l, config) = (&mut self.l, &mut self.config);
        lower_root_stmt(l, config, seq, s);
    }
}

fn lower_root_stmt(l: &mut Lower, config: &mut Config, seq: usize, s: &Stmt) {
    // Known root keywords, for suggestions.
    const ROOT: &[&str] = keywords::ROOT_BLOCKS;
    {
        let kw = s.keyword.text.as_str();
        let counts = (
            config.instances.len(),
            config.scripts.len(),
            config.sync_groups.len(),
        );
        match kw {
            root::GLOBAL_DEFS => global::lower(l, s, &mut config.global),
            root::VRRP_INSTANCE => instance::lower(l, s, config),
            root::VRRP_SCRIPT => script::lower_script(l, s, config),
            root::VRRP_TRACK_PROCESS => script::lower_track_process(l, s, config),
            root::TRACK_FILE | root::VRRP_TRACK_FILE => {
                if kw == root::VRRP_TRACK_FILE {
                    l.deprecated(s, "use `track_file` instead");
                }
                script::lower_track_file(l, s, config)
            }
            root::VRRP_SYNC_GROUP => sync_group::lower(l, s, config),
            root::STATIC_IPADDRESS => {
                if let Some(b) = l.block_no_args(s) {
                    config
                        .static_addresses
                        .extend(vip::lower_list(l, &b.stmts, true));
                }
            }
            root::STATIC_ROUTES => {
                if let Some(b) = l.block_no_args(s) {
                    config
                        .static_routes
                        .extend(routes::lower_routes(l, &b.stmts));
                }
            }
            root::STATIC_RULES => {
                if let Some(b) = l.block_no_args(s) {
                    config.static_rules.extend(routes::lower_rules(l, &b.stmts));
                }
            }
            _ if keywords::PROCESS_ROOT.contains(&kw) => {
                l.check_performed(keywords::sections::ROOT, &s.keyword);
                let raw = l.raw(s);
                config.process.push(raw);
            }
            _ if keywords::IGNORED_ROOT.contains(&kw) => l.ignore(s),
            _ => l.unknown(
                s,
                "the configuration root",
                ROOT.iter()
                    .copied()
                    .chain(keywords::PROCESS_ROOT.iter().copied()),
            ),
        }
        // Record where the new block stands in reading order.
        if config.instances.len() > counts.0 {
            if let Some(x) = config.instances.last_mut() {
                x.seq = seq;
            }
        }
        if config.scripts.len() > counts.1 {
            if let Some(x) = config.scripts.last_mut() {
                x.seq = seq;
            }
        }
        if config.sync_groups.len() > counts.2 {
            if let Some(x) = config.sync_groups.last_mut() {
                x.seq = seq;
            }
        }
    }
}

impl Lower {
    /// Block keywords that take no arguments (`virtual_ipaddress {`).
    pub(crate) fn no_args(&mut self, s: &Stmt) {
        self.extra(s, 0);
    }

    /// The block of a block keyword without arguments. When the block is missing, the words
    /// after the keyword are the reason and are not reported again as extra words.
    pub(crate) fn block_no_args<'s>(
        &mut self,
        s: &'s Stmt,
    ) -> Option<&'s super::read::syntax::Block> {
        let b = self.block(s)?;
        self.no_args(s);
        Some(b)
    }
}
