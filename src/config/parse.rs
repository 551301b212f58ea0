//! Statement-tree parser (minimal bootstrap version: comments, double quotes and braces).
//!
//! To be replaced by the full front end: includes, `$NAME` definitions, `@id` lines,
//! `~SEQ`/`~LST`, limits. The public entry points keep their signatures.

use std::path::{Path, PathBuf};

use super::diag::Diagnostic;
use super::source::{Loader, SourceMap};
use super::span::{FileId, Span};
use super::syntax::{Block, Stmt, Word};

/// Options that change how the text is read.
#[derive(Clone, Debug, Default)]
pub struct ParseOptions {
    /// The config id for `@ID` lines (`-i/--config-id`); default: nodename up to the first dot.
    pub config_id: Option<String>,
    /// `-e/--all-config`: every include must match.
    pub all_config: bool,
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

/// Reads and parses the main file `main` and everything it includes.
pub fn parse_file(
    loader: &dyn Loader,
    main: &Path,
    _opts: &ParseOptions,
) -> Result<Parsed, ReadError> {
    let text = loader.read(main).map_err(|e| ReadError {
        path: main.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut sources = SourceMap::new();
    let file = sources.add(main.to_path_buf(), text.clone());
    let mut diagnostics = Vec::new();
    let stmts = parse_text(file, &text, &mut diagnostics);
    Ok(Parsed {
        sources,
        stmts,
        diagnostics,
    })
}

/// Parses one in-memory text as a whole configuration (no includes), for tests.
pub fn parse_str(text: &str) -> Parsed {
    let mut sources = SourceMap::new();
    let file = sources.add(PathBuf::from("keepalived.conf"), text.to_string());
    let mut diagnostics = Vec::new();
    let stmts = parse_text(file, text, &mut diagnostics);
    Parsed {
        sources,
        stmts,
        diagnostics,
    }
}

enum Tok {
    Word(Word),
    Open(Span),
    Close(Span),
    EndOfLine,
}

fn lex(file: FileId, text: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\n' => {
                toks.push(Tok::EndOfLine);
                i += 1;
            }
            b' ' | b'\t' | b'\r' | 0x0b | 0x0c => i += 1,
            b'#' | b'!' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'{' => {
                toks.push(Tok::EndOfLine);
                toks.push(Tok::Open(Span::new(file, i, i + 1)));
                toks.push(Tok::EndOfLine);
                i += 1;
            }
            b'}' => {
                toks.push(Tok::EndOfLine);
                toks.push(Tok::Close(Span::new(file, i, i + 1)));
                toks.push(Tok::EndOfLine);
                i += 1;
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += 1;
                }
                let inner = text.get(start + 1..i).unwrap_or("").to_string();
                if i < bytes.len() && bytes[i] == b'"' {
                    i += 1;
                }
                toks.push(Tok::Word(Word {
                    text: inner,
                    span: Span::new(file, start, i),
                    quoted: true,
                }));
            }
            _ => {
                let start = i;
                while i < bytes.len()
                    && !matches!(
                        bytes[i],
                        b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c | b'{' | b'}' | b'#' | b'!'
                    )
                {
                    i += 1;
                }
                toks.push(Tok::Word(Word {
                    text: text.get(start..i).unwrap_or("").to_string(),
                    span: Span::new(file, start, i),
                    quoted: false,
                }));
            }
        }
    }
    toks.push(Tok::EndOfLine);
    toks
}

fn parse_text(file: FileId, text: &str, diags: &mut Vec<Diagnostic>) -> Vec<Stmt> {
    let toks = lex(file, text);
    // Stack of open blocks: (statement owning the block, its body so far).
    let mut stack: Vec<(Stmt, Span, Vec<Stmt>)> = Vec::new();
    let mut top: Vec<Stmt> = Vec::new();
    let mut line: Vec<Word> = Vec::new();
    for tok in toks {
        match tok {
            Tok::Word(w) => line.push(w),
            Tok::EndOfLine => {
                let mut words = std::mem::take(&mut line).into_iter();
                if let Some(keyword) = words.next() {
                    let stmt = Stmt {
                        keyword,
                        args: words.collect(),
                        block: None,
                    };
                    match stack.last_mut() {
                        Some((_, _, body)) => body.push(stmt),
                        None => top.push(stmt),
                    }
                }
            }
            Tok::Open(span) => {
                let body = match stack.last_mut() {
                    Some((_, _, body)) => body,
                    None => &mut top,
                };
                match body.pop() {
                    Some(owner) if owner.block.is_none() => stack.push((owner, span, Vec::new())),
                    other => {
                        if let Some(o) = other {
                            body.push(o);
                        }
                        diags.push(Diagnostic::error(span, "unexpected '{'"));
                    }
                }
            }
            Tok::Close(span) => match stack.pop() {
                Some((mut owner, open, stmts)) => {
                    owner.block = Some(Block {
                        open,
                        close: Some(span),
                        stmts,
                    });
                    match stack.last_mut() {
                        Some((_, _, body)) => body.push(owner),
                        None => top.push(owner),
                    }
                }
                None => diags.push(Diagnostic::error(span, "extra '}' found")),
            },
        }
    }
    while let Some((mut owner, open, stmts)) = stack.pop() {
        diags.push(
            Diagnostic::error(open, "block is never closed").with_label("this '{' has no '}'"),
        );
        owner.block = Some(Block {
            open,
            close: None,
            stmts,
        });
        match stack.last_mut() {
            Some((_, _, body)) => body.push(owner),
            None => top.push(owner),
        }
    }
    top
}
