//! keepalived.conf front end: files -> statement tree + diagnostics.
//!
//! keepalived reads its configuration as one stream of lines (lib/parser.c `read_line`);
//! each line goes through, in this order (keepalived-behaviour.md §1.1–§1.7):
//!
//! 1. CR/LF stripped, comment cut, blanks trimmed ([`lexer::decomment`]); a multi-line
//!    `$NAME=... \` definition swallows the following physical lines;
//! 2. `@ID` / `@^ID` conditional prefix (§1.5);
//! 3. `$NAME=VALUE` definition (§1.4);
//! 4. `~SEQ(...)` / `~LST(...)` generator (§1.6): the tail is fed once per value;
//! 5. `$NAME` substitution, then decomment again and back to step 2;
//! 6. `include PATTERN` (any level, §1.3): the files' lines are spliced into the stream;
//! 7. split at the first unquoted `{`/`}` (§1.2); the text after the brace is fed as a
//!    new line (back to step 2), the text before it is one statement.
//!
//! The result is a tree of [`Stmt`]s whose [`Word`]s carry the span of what the user
//! wrote; a word produced by substitution or `~SEQ` points at the `$NAME` use.
//!
//! Deliberate choices, documented for users in the README's differences section:
//! * Braces need not balance per file: an included file continues the block open at the
//!   `include` (keepalived reads one stream). vrrpd warns when an included file leaves a
//!   different number of blocks open than it found.
//! * With no config id ([`ParseOptions::config_id`] = `None`), `@ID` lines are dropped and
//!   `@^ID` lines kept; `${_INSTANCE}` is empty. The CLI passes the host name.
//! * `${_PWD}` is the directory of the file being read as the path was given (`.` for a
//!   bare file name): the module does not read the working directory.
//! * Include cycles and runaway expansions are errors (keepalived would loop or truncate).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::define::{self, Context, Defs, Rng, SubstError};
use super::diag::{Diagnostic, Severity};
use super::include::{self, Checks};
use super::lexer::{self, decomment, find_brace};
use super::limits::Limits;
use super::line::Line;
use super::seq::{self, Kind};
use super::source::{FileKind, Loader, MemLoader, SourceMap};
use super::span::{FileId, Span};
use super::syntax::{Stmt, Word};
use super::tree::TreeBuilder;

/// Options that change how the text is read. The module is pure: the caller supplies the
/// config id and the random seed.
#[derive(Clone, Debug, Default)]
pub struct ParseOptions {
    /// The config id for `@ID` lines (`-i/--config-id`); the CLI passes the nodename up to
    /// the first dot. `None`: no `@ID` line matches.
    pub config_id: Option<String>,
    /// `-e/--all-config`: every include check is on, so a missing include is an error.
    pub all_config: bool,
    /// Seed for `${_RANDOM}` (a `random_seed` line in global_defs reseeds). `None` = 0.
    pub random_seed: Option<u64>,
    /// Expansion, include and nesting limits.
    pub limits: Limits,
}

/// The main configuration file could not be read at all.
#[derive(Debug)]
pub struct ReadError {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

/// The statement tree of a whole configuration, with the files it came from.
#[derive(Debug)]
pub struct Parsed {
    pub sources: SourceMap,
    pub stmts: Vec<Stmt>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads and parses the main file `main` and everything it includes.
///
/// `Err` only when `main` itself cannot be read (missing, unreadable, a directory).
pub fn parse_file(
    loader: &dyn Loader,
    main: &Path,
    opts: &ParseOptions,
) -> Result<Parsed, ReadError> {
    let fail = |message: String| ReadError {
        path: main.to_path_buf(),
        message,
    };
    let kind = loader.kind(main);
    if kind == FileKind::Directory {
        return Err(fail("is a directory".to_string()));
    }
    let text = loader.read(main).map_err(|e| fail(e.to_string()))?;
    let mut ex = Expander::new(loader, opts);
    if kind == FileKind::Executable {
        ex.diags.push(Diagnostic::new(
            Severity::Warning,
            None,
            format!(
                "Configuration file '{}' is executable; keepalived would skip it as not a regular non-executable file",
                main.display()
            ),
        ));
    }
    ex.run(main, text);
    Ok(ex.finish())
}

/// Parses one in-memory text as a whole configuration named `keepalived.conf`, with no
/// files to include (tests).
pub fn parse_str(text: &str) -> Parsed {
    parse_str_with(text, &MemLoader::new(), &ParseOptions::default())
}

/// Parses an in-memory main file named `keepalived.conf` (relative, so relative includes
/// are looked up as written), reading includes through `loader`.
pub fn parse_str_with(text: &str, loader: &dyn Loader, opts: &ParseOptions) -> Parsed {
    let mut ex = Expander::new(loader, opts);
    ex.run(Path::new("keepalived.conf"), text.to_string());
    ex.finish()
}

/// One file being read (the include stack).
struct OpenFile {
    /// Normalised path, to recognise cycles.
    norm: PathBuf,
    /// As found, for messages.
    shown: PathBuf,
    /// `${_PWD}`.
    pwd: String,
}

/// The line pipeline and its state: definitions, include stack, tree, budgets.
struct Expander<'a> {
    loader: &'a dyn Loader,
    opts: &'a ParseOptions,
    limits: Limits,
    sources: SourceMap,
    /// File texts by [`FileId`], shared so a file included twice is stored once.
    texts: Vec<Rc<str>>,
    by_path: HashMap<PathBuf, FileId>,
    diags: Vec<Diagnostic>,
    tree: TreeBuilder,
    defs: Defs,
    rng: Rng,
    stack: Vec<OpenFile>,
    /// The current `include_check` level (saved and restored around each included file).
    checks: Checks,
    /// The multi-line definition whose continuation lines are being read.
    multiline: Option<String>,
    expanded_lines: usize,
    expanded_bytes: usize,
    budget_reported: bool,
    depth_reported: bool,
}

/// Result of the `@ID` prefix check.
fn conditional(text: &str, config_id: Option<&str>) -> Option<usize> {
    let (negate, ofs) = if text.starts_with("@^") {
        (true, 2)
    } else {
        (false, 1)
    };
    let rest = text.get(ofs..)?;
    // `@ID` alone is dropped (keepalived-behaviour.md §1.5).
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
    fn new(loader: &'a dyn Loader, opts: &'a ParseOptions) -> Expander<'a> {
        Expander {
            loader,
            opts,
            limits: opts.limits.clone(),
            sources: SourceMap::new(),
            texts: Vec::new(),
            by_path: HashMap::new(),
            diags: Vec::new(),
            tree: TreeBuilder::new(opts.limits.max_block_depth),
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
        }
    }

    fn add_file(&mut self, path: &Path, text: String) -> FileId {
        let rc: Rc<str> = Rc::from(text.as_str());
        let id = self.sources.add(path.to_path_buf(), text);
        self.texts.push(rc);
        self.by_path.insert(include::normalise(path), id);
        id
    }

    fn open_file(path: &Path) -> OpenFile {
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

    fn run(&mut self, main: &Path, text: String) {
        let id = self.add_file(main, text);
        self.stack.push(Self::open_file(main));
        self.process_file(id, 0);
        self.stack.pop();
    }

    fn finish(mut self) -> Parsed {
        let stmts = self.tree.finish(&mut self.diags);
        Parsed {
            sources: self.sources,
            stmts,
            diagnostics: self.diags,
        }
    }

    /// Feeds every physical line of a file. `depth` is the expansion depth of the
    /// `include` line (an include generated by `~SEQ` keeps counting), which bounds the
    /// native recursion on hostile input.
    fn process_file(&mut self, file: FileId, depth: usize) {
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
        for raw in body.split('\n') {
            let base = next;
            next += raw.len() + 1;
            let raw = raw.trim_end_matches('\r');
            let line = Line::from_source(file, base, raw);
            if let Some(name) = self.multiline.take() {
                self.continue_definition(name, &line);
                continue;
            }
            let d = decomment(&line);
            if !d.line.is_empty() {
                self.feed(d.line, depth);
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
        let before = line.text.to_string();
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
                        "Parameter substitution on line '{before}' would exceed maximum line length ({} bytes)",
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
        let whole = line.text.to_string();
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
        let mut ws: Vec<Word> = Vec::new();
        let issues = lexer::words(line, &mut ws);
        if let Some(q) = issues.unterminated {
            self.diags.push(
                Diagnostic::error(q, format!("Unterminated quote '{}'", line.text))
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
        self.tree.stmt(ws);
    }

    /// Handles the line when its first word is an include keyword.
    fn try_include(&mut self, line: &Line<'_>, depth: usize) -> bool {
        let mut ws: Vec<Word> = Vec::new();
        let _ = lexer::words(line, &mut ws);
        let Some(added) = ws.first().and_then(|w| include::include_keyword(&w.text)) else {
            return false;
        };
        self.include(&ws, added, depth);
        true
    }

    fn include(&mut self, ws: &[Word], added: Checks, depth: usize) {
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
        let alts = match include::brace_expand(&pattern, self.limits.max_brace_alternatives) {
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
            let full = include::resolve(dir.as_deref(), alt);
            let found = self.loader.glob(&full);
            if found.is_empty() {
                missing.push(alt);
            }
            files.extend(found);
        }
        if files.is_empty() && alts.len() > 1 && !checks.brace_match {
            let wild = alts.iter().any(|a| include::has_wildcard(a));
            self.report_missing(&pattern, wild, checks, true, pspan);
        } else {
            let none = files.is_empty();
            for alt in missing {
                self.report_missing(alt, include::has_wildcard(alt), checks, none, pspan);
            }
        }
        for path in files {
            self.include_file(&path, kw, checks, depth);
        }
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
        let norm = include::normalise(path);
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

    fn texts(stmts: &[Stmt]) -> Vec<String> {
        stmts
            .iter()
            .map(|s| {
                let mut v = vec![s.keyword.text.clone()];
                v.extend(s.args.iter().map(|w| w.text.clone()));
                let mut line = v.join(" ");
                if let Some(b) = &s.block {
                    line.push_str(&format!(" {{{}}}", texts(&b.stmts).join("; ")));
                }
                line
            })
            .collect()
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

    #[test]
    fn one_line_blocks_and_residue() {
        let p = parse_str("global_defs { router_id X } extra1 y\n");
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        assert_eq!(texts(&p.stmts), ["global_defs {router_id X}", "extra1 y"]);
    }

    #[test]
    fn definitions_seq_and_conditionals() {
        let opts = ParseOptions {
            config_id: Some("lb1".into()),
            ..ParseOptions::default()
        };
        let text = "$IF=eth0\n@lb1 a $IF\n@lb2 b\n~SEQ(i,1,2) s_${i} $IF\n";
        let p = parse_str_with(text, &MemLoader::new(), &opts);
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        assert_eq!(texts(&p.stmts), ["a eth0", "s_1 eth0", "s_2 eth0"]);
    }
}
