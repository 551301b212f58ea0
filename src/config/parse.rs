//! keepalived.conf front end: files -> statement tree + diagnostics.
//!
//! keepalived reads its configuration as one stream of lines (lib/parser.c `read_line`);
//! each line goes through, in this order (keepalived-behaviour.md §1.1–§1.7):
//!
//! 1. CR/LF stripped, comment cut, blanks trimmed ([`super::lexer::decomment`]); a multi-line
//!    `$NAME=... \` definition swallows the following physical lines;
//! 2. `@ID` / `@^ID` conditional prefix (§1.5);
//! 3. `$NAME=VALUE` definition (§1.4);
//! 4. `~SEQ(...)` / `~LST(...)` generator (§1.6): the tail is fed once per value;
//! 5. `$NAME` substitution, then decomment again and back to step 2;
//! 6. `include PATTERN` (any level, §1.3): the files' lines are spliced into the stream;
//! 7. split at the first unquoted `{`/`}` (§1.2); the text after the brace is fed as a
//!    new line (back to step 2), the text before it is one statement.
//!
//! The result is a tree of [`Stmt`]s whose [`super::syntax::Word`]s carry the span of what the user
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

use std::path::{Path, PathBuf};

use super::diag::{Diagnostic, Severity};
use super::expand::Expander;
use super::limits::Limits;
use super::source::{FileKind, Loader, MemLoader, SourceMap};
use super::syntax::Stmt;

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
    parse_file_inner(loader, main, opts, None)
}

/// Like [`parse_file`], but every top-level statement is handed to `sink` as soon as it is
/// complete, in file order, instead of being collected in [`Parsed::stmts`] (which stays
/// empty). Lowering can then run while the file is read, so a configuration with thousands
/// of instances never exists as one whole statement tree in memory.
pub fn parse_file_streaming(
    loader: &dyn Loader,
    main: &Path,
    opts: &ParseOptions,
    sink: &mut dyn FnMut(Stmt),
) -> Result<Parsed, ReadError> {
    parse_file_inner(loader, main, opts, Some(sink))
}

fn parse_file_inner<'a>(
    loader: &'a dyn Loader,
    main: &Path,
    opts: &'a ParseOptions,
    sink: Option<&'a mut dyn FnMut(Stmt)>,
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
    ex.sink = sink;
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
