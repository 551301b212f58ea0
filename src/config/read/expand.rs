//! The line pipeline: one stream of lines from the main file, included files, multi-line
//! definitions and `~SEQ`/`~LST` repetitions, each line going through the steps listed in the
//! [`super`] module documentation, into a [`TreeBuilder`]. Reading included files is one of
//! the steps; the pattern and check rules it uses are [`super::include`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::define::{self, Context, Defs, Rng, SubstError};
use super::include::{self, brace_expand, has_wildcard, normalise, resolve, Checks};
use super::lexer::{self, decomment, find_brace};
use super::limits::Limits;
use super::line::Line;
use super::options::{ParseOptions, Parsed};
use super::plain;
use super::seq::{self, Kind};
use super::source::{FileKind, Loader, SourceMap};
use super::syntax::{Stmt, Word};
use super::tree::TreeBuilder;
use crate::config::diag::{Diagnostic, Severity};
use crate::config::span::{FileId, Span};

/// One file being read (the include stack).
pub(super) struct OpenFile {
    /// Normalised path, to recognise cycles.
    pub(super) norm: PathBuf,
    /// As found, for messages.
    pub(super) shown: PathBuf,
    /// `${_PWD}`.
    pub(super) pwd: String,
}

/// The line pipeline and its state: definitions, include stack, tree, budgets.
pub(super) struct Expander<'a> {
    pub(super) loader: &'a dyn Loader,
    pub(super) opts: &'a ParseOptions,
    pub(super) limits: Limits,
    pub(super) sources: SourceMap,
    /// File texts by [`FileId`], shared so a file included twice is stored once.
    pub(super) texts: Vec<Arc<String>>,
    pub(super) by_path: HashMap<PathBuf, FileId>,
    pub(super) diags: Vec<Diagnostic>,
    pub(super) tree: TreeBuilder,
    /// When set, finished top-level statements go here as soon as they are complete instead of
    /// being kept for [`Parsed::stmts`] (streaming lowering of large files).
    pub(super) sink: Option<&'a mut dyn FnMut(&Stmt)>,
    /// The words of the statement being read; one buffer reused for every statement.
    pub(super) words: Vec<Word>,
    /// Plain lines take the fast path of `plain.rs` (tests turn it off to compare).
    pub(super) fast: bool,
    pub(super) defs: Defs,
    pub(super) rng: Rng,
    pub(super) stack: Vec<OpenFile>,
    /// The current `include_check` level (saved and restored around each included file).
    pub(super) checks: Checks,
    /// The multi-line definition whose continuation lines are being read.
    pub(super) multiline: Option<String>,
    pub(super) expanded_lines: usize,
    pub(super) expanded_bytes: usize,
    pub(super) budget_reported: bool,
    pub(super) depth_reported: bool,
    /// Files and bytes read through `include` so far (each reading counts).
    pub(super) included_files: usize,
    pub(super) included_bytes: usize,
    /// The include budget ran out: reported once, and no further include is read.
    pub(super) include_budget_spent: bool,
}

/// The line as quoted in a message: at most 200 characters.
fn excerpt(text: &str) -> String {
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}...", text.get(..cut).unwrap_or("")),
        None => text.to_string(),
    }
}

/// Result of the `@ID` prefix check.
fn conditional(text: &str, config_id: Option<&str>) -> Option<usize> {
    let (negate, ofs) = if text.starts_with("@^") {
        (true, 2)
    } else {
        (false, 1)
    };
    let rest = text.get(ofs..)?;
    // `@ID` alone is dropped (docs/keepalived-compat.md#conditional-lines).
    let blank = rest.find([' ', '\t'])?;
    let id = rest.get(..blank)?;
    let matches = config_id == Some(id);
    if matches == negate {
        return None;
    }
    let after = rest.get(blank..)?;
    let skip = after.len() - after.trim_start_matches([' ', '\t']).len();
    Some(ofs + blank + skip)
}

impl<'a> Expander<'a> {
    pub(super) fn new(loader: &'a dyn Loader, opts: &'a ParseOptions) -> Expander<'a> {
        Expander {
            loader,
            opts,
            limits: opts.limits.clone(),
            sources: SourceMap::new(),
            texts: Vec::new(),
            by_path: HashMap::new(),
            diags: Vec::new(),
            tree: TreeBuilder::new(opts.limits.max_block_depth),
            sink: None,
            words: Vec::new(),
            fast: true,
            defs: Defs::new(),
            rng: Rng::new(opts.random_seed.unwrap_or(0)),
            stack: Vec::new(),
            checks: if opts.all_config {
                Checks::ALL
            } else {
                Checks::NONE
            },
            multiline: None,
            expanded_lines: 0,
            expanded_bytes: 0,
            budget_reported: false,
            depth_reported: false,
            included_files: 0,
            included_bytes: 0,
            include_budget_spent: false,
        }
    }

    pub(super) fn add_file(&mut self, path: &Path, text: String) -> FileId {
        let shared = Arc::new(text);
        let id = self.sources.add(path.to_path_buf(), Arc::clone(&shared));
        self.texts.push(shared);
        self.by_path.insert(include::normalise(path), id);
        id
    }

    pub(super) fn open_file(path: &Path) -> OpenFile {
        let pwd = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_string_lossy().into_owned(),
            _ => ".".to_string(),
        };
        OpenFile {
            norm: include::normalise(path),
            shown: path.to_path_buf(),
            pwd,
        }
    }

    pub(super) fn run(&mut self, main: &Path, text: String) {
        let id = self.add_file(main, text);
        self.stack.push(Self::open_file(main));
        self.process_file(id, 0);
        self.stack.pop();
    }

    pub(super) fn finish(mut self) -> Parsed {
        let mut stmts = self.tree.finish(&mut self.diags);
        if let Some(sink) = self.sink.take() {
            for st in stmts.drain(..) {
                sink(&st);
            }
        }
        Parsed {
            sources: self.sources,
            stmts,
            diagnostics: self.diags,
        }
    }

    /// Feeds every physical line of a file. `depth` is the expansion depth of the
    /// `include` line (an include generated by `~SEQ` keeps counting), which bounds the
    /// native recursion on hostile input.
    pub(super) fn process_file(&mut self, file: FileId, depth: usize) {
        let Some(text) = self.texts.get(file.0 as usize).cloned() else {
            return;
        };
        let saved_multiline = self.multiline.take();
        let mut next = 0usize;
        // A UTF-8 byte order mark (Windows editors): keepalived reads it as part of the
        // first word. Report it and read the file without it.
        let body = match text.strip_prefix('\u{feff}') {
            Some(rest) => {
                self.diags.push(
                    Diagnostic::error(
                        Span::new(file, 0, 3),
                        "The file starts with a UTF-8 byte order mark; keepalived reads it as part of the first word",
                    )
                    .with_help("save the file as UTF-8 without BOM"),
                );
                next = 3;
                rest
            }
            None => &text[..],
        };
        let mut from = 0usize;
        let mut last = false;
        let mut tokens = plain::Tokens::default();
        while !last {
            let (start, base) = (from, next);
            // The fast path for plain lines, which also finds where they end (plain.rs).
            let scanned = if self.fast
                && self.multiline.is_none()
                && depth <= self.limits.max_expansion_depth
            {
                plain::scan(body, from, file, base, &mut tokens)
            } else {
                None
            };
            let end = match &scanned {
                Some(s) => s.end,
                None => body
                    .as_bytes()
                    .get(from..)
                    .and_then(|r| memchr::memchr(b'\n', r))
                    .map_or(body.len(), |k| from + k),
            };
            let raw = body.get(from..end).unwrap_or("");
            last = end >= body.len();
            from = end + 1;
            next += raw.len() + 1;
            let fed = match scanned {
                Some(s) => {
                    if s.fed {
                        self.feed_scanned(body, start, file, base, &mut tokens);
                    }
                    s.fed
                }
                None => {
                    let raw = raw.trim_end_matches('\r');
                    let line = Line::from_source(file, base, raw);
                    if let Some(name) = self.multiline.take() {
                        self.continue_definition(name, &line);
                        continue;
                    }
                    let d = decomment(&line);
                    let fed = !d.line.is_empty();
                    if fed {
                        self.feed(d.line, depth);
                    }
                    fed
                }
            };
            if fed {
                if let Some(sink) = self.sink.as_deref_mut() {
                    self.tree.take_finished(sink);
                }
            }
        }
        self.multiline = saved_multiline;
    }

    /// A physical line while a multi-line definition is open: a truly empty line ends it,
    /// comment-only lines are skipped, a line without a final `\` is its last line.
    fn continue_definition(&mut self, name: String, raw: &Line<'_>) {
        if raw.is_empty() {
            return;
        }
        let d = decomment(raw);
        if d.line.is_empty() {
            self.multiline = Some(name);
            return;
        }
        if d.continued {
            let text = d.line.text.strip_suffix('\\').unwrap_or(&d.line.text);
            let text = text.trim_end_matches([' ', '\t']);
            if !text.is_empty() {
                self.defs.push_line(&name, text.to_string());
            }
            self.multiline = Some(name);
        } else {
            self.defs.push_line(&name, d.line.text.into_owned());
        }
    }

    fn error_once_depth(&mut self, span: Span) {
        if !self.depth_reported {
            self.depth_reported = true;
            self.diags.push(
                Diagnostic::error(
                    span,
                    format!(
                        "Definitions and ~SEQ/~LST expansions are nested more than {} levels deep; expansion stopped",
                        self.limits.max_expansion_depth
                    ),
                )
                .with_help("a multi-line definition probably uses itself"),
            );
        }
    }

    fn budget_exceeded(&mut self, span: Span) {
        if !self.budget_reported {
            self.budget_reported = true;
            self.diags.push(
                Diagnostic::error(
                    span,
                    format!(
                        "~SEQ/~LST and multi-line definitions generate more than {} lines or {} bytes; expansion stopped",
                        self.limits.max_expanded_lines, self.limits.max_expanded_bytes
                    ),
                )
                .with_label("expansion stopped here"),
            );
        }
    }

    /// Accounts for one generated line; false when the budget is spent.
    fn charge(&mut self, bytes: usize, span: Span) -> bool {
        if self.budget_reported {
            return false;
        }
        self.expanded_lines += 1;
        self.expanded_bytes += bytes;
        if self.expanded_lines > self.limits.max_expanded_lines
            || self.expanded_bytes > self.limits.max_expanded_bytes
        {
            self.budget_exceeded(span);
            return false;
        }
        true
    }

    /// Runs `$NAME` substitution on `line`; on a limit, reports and returns `None`.
    fn substitute(&mut self, line: &mut Line<'_>) -> Option<(bool, Vec<(String, Span)>)> {
        let before = excerpt(&line.text);
        let whole = line.span_of(0..line.len());
        let cx = Context {
            pwd: self.stack.last().map_or(".", |f| f.pwd.as_str()),
            instance: self.opts.config_id.as_deref().unwrap_or(""),
        };
        match self.defs.substitute(line, &cx, &mut self.rng, &self.limits) {
            Ok(r) => Some(r),
            Err(SubstError::TooMany) => {
                self.diags.push(
                    Diagnostic::error(
                        whole,
                        format!(
                            "Parameter substitution on line '{before}' does not end (more than {} replacements)",
                            self.limits.max_substitutions
                        ),
                    )
                    .with_help("a definition probably uses itself"),
                );
                None
            }
            Err(SubstError::TooLong) => {
                self.diags.push(Diagnostic::error(
                    whole,
                    format!(
                        "Parameter substitution on line '{before}' would exceed maximum line length (a line may grow by {} bytes)",
                        self.limits.max_line_bytes
                    ),
                ));
                None
            }
        }
    }

    /// Steps 2–7 for one decommented line.
    fn feed(&mut self, line: Line<'_>, depth: usize) {
        if depth > self.limits.max_expansion_depth {
            let span = line.span_of(0..line.len());
            self.error_once_depth(span);
            return;
        }
        let mut pending: Vec<(String, Span)> = Vec::new();
        let mut line = line;
        'segments: loop {
            if line.text.starts_with([' ', '\t']) {
                line = line.trim_start();
            }
            let mut rounds = 0;
            // One `@ID` prefix per pass: `@a @^b x` keeps `@^b x` (observed with
            // keepalived 2.2.7); a substitution starts a new pass.
            let mut at_checked = false;
            loop {
                if line.is_empty() {
                    break 'segments;
                }
                if !at_checked && line.text.starts_with('@') {
                    at_checked = true;
                    match conditional(&line.text, self.opts.config_id.as_deref()) {
                        None => break 'segments,
                        Some(rest) => {
                            line = line.slice(rest..line.len());
                            continue;
                        }
                    }
                }
                if line.text.starts_with('$') {
                    if let Some(d) = define::definition(&line.text) {
                        if d.multiline {
                            let first: Vec<String> = if d.value.is_empty() {
                                Vec::new()
                            } else {
                                vec![d.value.to_string()]
                            };
                            self.defs.set(d.name, first, true);
                            self.multiline = Some(d.name.to_string());
                        } else {
                            self.defs.set(d.name, vec![d.value.to_string()], false);
                        }
                        break 'segments;
                    }
                }
                if let Some(h) = seq::header(&line.text) {
                    self.generate(&line, h, depth);
                    break 'segments;
                }
                if rounds < 8 && line.text.contains('$') {
                    match self.substitute(&mut line) {
                        None => break 'segments,
                        Some((false, _)) => {}
                        Some((true, more)) => {
                            pending.splice(0..0, more);
                            // Re-decomment: a value may bring a comment (`${_HASH}`).
                            line = decomment(&line).line;
                            rounds += 1;
                            at_checked = false;
                            continue;
                        }
                    }
                }
                break;
            }
            if line.text.starts_with("include") && self.try_include(&line, depth) {
                break 'segments;
            }
            match find_brace(&line.text) {
                None => {
                    self.statement(&line);
                    break 'segments;
                }
                Some(0) => {
                    let span = line.span_of(0..1);
                    if line.text.starts_with('{') {
                        self.tree.open(span, &mut self.diags);
                    } else {
                        self.tree.close(span, &mut self.diags);
                    }
                    line = line.slice(1..line.len());
                }
                Some(p) => {
                    self.statement(&line.slice(0..p));
                    line = line.slice(p..line.len());
                }
            }
        }
        for (text, span) in pending {
            if !self.charge(text.len(), span) {
                break;
            }
            let l = Line::fixed(text, span);
            let d = decomment(&l);
            self.feed(d.line, depth + 1);
        }
    }

    /// A `~SEQ`/`~LST` line: validates the header and feeds the tail once per value.
    fn generate(&mut self, line: &Line<'_>, h: Result<seq::Header, Kind>, depth: usize) {
        let whole = excerpt(&line.text);
        let h = match h {
            Ok(h) => h,
            Err(kind) => {
                let span = line.span_of(0..line.len());
                self.diags.push(Diagnostic::error(
                    span,
                    seq::SeqError::Definition(kind).message(&whole),
                ));
                return;
            }
        };
        let head_span = line.span_of(0..h.args.end + 1);
        let mut args = line.slice(h.args.clone());
        if args.text.contains('$') {
            match self.substitute(&mut args) {
                None => return,
                Some((_, more)) if !more.is_empty() => {
                    self.diags.push(Diagnostic::error(
                        head_span,
                        format!(
                            "{} parameter is multiline definition '{whole}'",
                            h.kind.as_str()
                        ),
                    ));
                    return;
                }
                Some(_) => {}
            }
        }
        let spec = match h.kind {
            Kind::Seq => seq::parse_seq(&args.text, false),
            Kind::SeqHex => seq::parse_seq(&args.text, true),
            Kind::Lst => seq::parse_lst(&args.text),
        };
        let spec = match spec {
            Ok(s) => s,
            Err(e) => {
                self.diags
                    .push(Diagnostic::error(head_span, e.message(&whole)));
                return;
            }
        };
        let tail = line.slice(h.rest..line.len());
        if tail.is_empty() {
            return;
        }
        let count = spec.count();
        let left = self
            .limits
            .max_expanded_lines
            .saturating_sub(self.expanded_lines) as u128;
        if count > left {
            self.budget_exceeded(head_span);
            return;
        }
        for i in 0..count {
            if !self.charge(tail.len(), head_span) {
                return;
            }
            for (var, value) in spec.row(i) {
                self.defs.set(&var, vec![value], false);
            }
            self.feed(tail.clone(), depth + 1);
        }
    }

    /// One brace-free segment: words into the tree. `include_check` and `random_seed` in
    /// global_defs take effect here, for the lines that follow.
    fn statement(&mut self, line: &Line<'_>) {
        self.words.clear();
        let issues = lexer::words(line, &mut self.words);
        if let Some(q) = issues.unterminated {
            self.diags.push(
                Diagnostic::error(q, format!("Unterminated quote '{}'", excerpt(&line.text)))
                    .with_label("this quote is never closed"),
            );
        }
        if let Some((span, c)) = issues.odd_space {
            self.diags.push(
                Diagnostic::error(
                    span,
                    format!(
                        "Unicode space U+{:04X} outside quotes; keepalived does not treat it as a separator",
                        c as u32
                    ),
                )
                .with_label("not an ordinary space")
                .with_help("replace it with an ordinary space (text copied from web pages often contains no-break spaces)"),
            );
        }
        let n = self.words.len();
        self.statement_words(n);
    }

    /// The first `n` of [`Expander::words`], one statement, into the tree (shared with the
    /// fast path of `plain.rs`); they leave `words`.
    pub(super) fn statement_words(&mut self, n: usize) {
        let Some(ws) = self.words.get(..n) else {
            return;
        };
        let Some(first) = ws.first() else {
            return;
        };
        if self.tree.innermost() == Some("global_defs") {
            match first.text.as_str() {
                "include_check" => {
                    let opts: Vec<&str> = ws.iter().skip(1).map(|w| w.text.as_str()).collect();
                    let (checks, unknown) = self.checks.apply(&opts);
                    self.checks = if self.opts.all_config {
                        Checks::ALL
                    } else {
                        checks
                    };
                    for u in unknown {
                        if let Some(w) = ws.iter().skip(1).find(|w| w.text == u) {
                            self.diags.push(
                                Diagnostic::error(w.span, format!("Unknown include_check type '{u}' - ignoring"))
                                    .with_help("use readable, match, wildcard_match or brace_match, optionally prefixed by '+' or '-'"),
                            );
                        }
                    }
                }
                "random_seed" => {
                    if let Some(seed) = ws.get(1).and_then(|w| w.text.parse::<u64>().ok()) {
                        self.rng = Rng::new(seed);
                    }
                }
                _ => {}
            }
        }
        self.tree.stmt(self.words.drain(..n));
    }

    /// Handles the line when its first word is an include keyword.
    pub(super) fn try_include(&mut self, line: &Line<'_>, depth: usize) -> bool {
        let mut ws: Vec<Word> = Vec::new();
        let _ = lexer::words(line, &mut ws);
        let Some(added) = ws.first().and_then(|w| include::include_keyword(&w.text)) else {
            return false;
        };
        self.include(&ws, added, depth);
        true
    }

    // ===== reading included files: patterns, checks, the files themselves =====

    pub(super) fn include(&mut self, ws: &[Word], added: Checks, depth: usize) {
        let Some((kw, args)) = ws.split_first() else {
            return;
        };
        let (Some(first), Some(last)) = (args.first(), args.last()) else {
            self.diags.push(
                Diagnostic::error(
                    kw.span,
                    format!("'{}' is missing its file pattern", kw.text),
                )
                .with_help("write the file or glob pattern after the keyword"),
            );
            return;
        };
        let pattern = args
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let pspan = first.span.to(last.span);
        // keepalived recognises `include` before splitting at braces, so in
        // `global_defs { include x.conf }` the `}` is part of the pattern.
        if let Some(b) = args
            .iter()
            .find(|w| !w.quoted && (w.text == "}" || w.text == "{"))
        {
            self.diags.push(
                Diagnostic::error(
                    b.span,
                    format!(
                        "The '{}' after '{}' is read as part of the file pattern",
                        b.text, kw.text
                    ),
                )
                .with_label("part of the pattern")
                .with_help("put the include on a line of its own"),
            );
        }
        let checks = self.checks.union(added);
        if self.stack.len() > self.limits.max_include_depth {
            self.diags.push(
                Diagnostic::error(
                    kw.span,
                    format!(
                        "Includes are nested more than {} levels deep; '{pattern}' is not read",
                        self.limits.max_include_depth
                    ),
                )
                .with_help("an include chain probably loops through a symbolic link"),
            );
            return;
        }
        let alts = match brace_expand(&pattern, self.limits.max_brace_alternatives) {
            Ok(a) => a,
            Err(_) => {
                self.diags.push(Diagnostic::error(
                    pspan,
                    format!(
                        "The brace expression in '{pattern}' expands to more than {} patterns",
                        self.limits.max_brace_alternatives
                    ),
                ));
                return;
            }
        };
        let dir: Option<PathBuf> = self
            .stack
            .last()
            .and_then(|f| f.shown.parent().map(Path::to_path_buf));
        let mut files: Vec<PathBuf> = Vec::new();
        let mut missing: Vec<&str> = Vec::new();
        for alt in &alts {
            let full = resolve(dir.as_deref(), alt);
            let found = self.loader.glob(&full);
            if found.is_empty() {
                missing.push(alt);
            }
            files.extend(found);
        }
        if files.is_empty() && alts.len() > 1 && !checks.brace_match {
            let wild = alts.iter().any(|a| has_wildcard(a));
            self.report_missing(&pattern, wild, checks, true, pspan);
        } else {
            let none = files.is_empty();
            for alt in missing {
                self.report_missing(alt, has_wildcard(alt), checks, none, pspan);
            }
        }
        for path in files {
            self.include_file(&path, kw, checks, depth);
        }
    }

    /// Accounts for reading file `id` once more through an include; false (after one error
    /// for the whole parse) when the total budget of [`Limits::max_included_files`] /
    /// [`Limits::max_included_bytes`] is spent, so a fan-out of directories that include
    /// themselves ends in a diagnostic instead of running for hours.
    fn charge_include(&mut self, id: FileId, kw: &Word, path: &Path) -> bool {
        if self.include_budget_spent {
            return false;
        }
        let len = self.texts.get(id.0 as usize).map_or(0, |t| t.len());
        self.included_files += 1;
        self.included_bytes = self.included_bytes.saturating_add(len);
        if self.included_files <= self.limits.max_included_files
            && self.included_bytes <= self.limits.max_included_bytes
        {
            return true;
        }
        self.include_budget_spent = true;
        self.diags.push(
            Diagnostic::error(
                kw.span,
                format!(
                    "Includes read more than {} files or {} bytes in total; '{}' and every later include are not read",
                    self.limits.max_included_files,
                    self.limits.max_included_bytes,
                    path.display()
                ),
            )
            .with_label("include budget spent here")
            .with_help("files that include their own directory (for example conf.d/*.conf including conf.d/*.conf) read every chain of files; include each file once from the main configuration"),
        );
        false
    }

    fn report_missing(&mut self, what: &str, wild: bool, checks: Checks, none: bool, span: Span) {
        let message = format!("Config files missing '{what}'.");
        let d = if wild {
            if checks.wildcard_match || checks.brace_match {
                Diagnostic::error(span, message)
            } else if none {
                Diagnostic::note(span, format!("No config files matched '{what}'."))
            } else {
                return;
            }
        } else if checks.match_ || checks.brace_match {
            Diagnostic::error(span, message)
        } else {
            Diagnostic::warning(span, message)
                .with_help("use includem, includea or include_check to make this an error")
        };
        self.diags.push(d);
    }

    fn include_file(&mut self, path: &Path, kw: &Word, checks: Checks, depth: usize) {
        let norm = normalise(path);
        if self.stack.iter().any(|f| f.norm == norm) {
            let chain = self
                .stack
                .iter()
                .map(|f| f.shown.display().to_string())
                .chain(std::iter::once(path.display().to_string()))
                .collect::<Vec<_>>()
                .join(" -> ");
            self.diags.push(
                Diagnostic::error(
                    kw.span,
                    format!(
                        "Configuration file '{}' includes itself ({chain}); not read again",
                        path.display()
                    ),
                )
                .with_label("include cycle"),
            );
            return;
        }
        let severity = if checks.readable {
            Severity::Error
        } else {
            Severity::Warning
        };
        let problem = match self.loader.kind(path) {
            FileKind::Directory | FileKind::Executable => Some(format!(
                "Configuration file '{}' is not a regular non-executable file - skipping",
                path.display()
            )),
            FileKind::Missing | FileKind::Unreadable => Some(format!(
                "Configuration file '{}' open problem (cannot be read) - skipping",
                path.display()
            )),
            FileKind::Regular => None,
        };
        if let Some(message) = problem {
            self.diags
                .push(Diagnostic::new(severity, Some(kw.span), message));
            return;
        }
        let id = match self.by_path.get(&norm) {
            Some(&id) => id,
            None => match self.loader.read(path) {
                Ok(text) => self.add_file(path, text),
                Err(e) => {
                    self.diags.push(Diagnostic::new(
                        severity,
                        Some(kw.span),
                        format!(
                            "Configuration file '{}' open problem ({e}) - skipping",
                            path.display()
                        ),
                    ));
                    return;
                }
            },
        };
        if !self.charge_include(id, kw, path) {
            return;
        }
        let depth_before = self.tree.depth();
        let saved_checks = self.checks;
        self.stack.push(Self::open_file(path));
        self.process_file(id, depth);
        self.stack.pop();
        self.checks = saved_checks;
        let depth_after = self.tree.depth();
        if depth_after != depth_before {
            let what = if depth_after > depth_before {
                format!("leaves {} block(s) open", depth_after - depth_before)
            } else {
                format!(
                    "closes {} block(s) opened before it",
                    depth_before - depth_after
                )
            };
            self.diags.push(
                Diagnostic::warning(
                    kw.span,
                    format!("Included file '{}' {what}", path.display()),
                )
                .with_help("keepalived reads includes as one stream, so this works, but each file is easier to read with balanced braces"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_cut_in_messages() {
        assert_eq!(excerpt("abc"), "abc");
        let long = "é".repeat(300);
        assert_eq!(excerpt(&long), format!("{}...", "é".repeat(200)));
    }

    #[test]
    fn conditional_prefix() {
        assert_eq!(conditional("@lb1 x", Some("lb1")), Some(5));
        assert_eq!(conditional("@lb1 x", Some("lb2")), None);
        assert_eq!(conditional("@^lb1  x", Some("lb2")), Some(7));
        assert_eq!(conditional("@^lb1 x", Some("lb1")), None);
        assert_eq!(conditional("@lb1", Some("lb1")), None);
        assert_eq!(conditional("@lb1 x", None), None);
        assert_eq!(conditional("@^lb1 x", None), Some(6));
    }
}
