//! The generic statement tree the parser produces and lowering consumes.
//!
//! keepalived.conf is line based: every logical line is one statement whose first word is the
//! keyword; a statement may own a `{ ... }` block of further statements. Inside value blocks
//! (`virtual_ipaddress`, `unicast_peer`, `track_script`, ...) each statement is one entry and
//! its first word is the entry's value, not a keyword.

use compact_str::CompactString;
use smallvec::SmallVec;

use crate::config::span::Span;

/// One token after quote removal, definition substitution and `~SEQ` expansion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// Words up to 24 bytes (nearly all of them) are stored inline: a large configuration has
    /// hundreds of thousands of words, and one heap string each was the parser's main cost.
    pub text: CompactString,
    /// Where the word was written. For a word produced by `$NAME` substitution or `~SEQ`
    /// expansion this is the place of the use, so diagnostics point at the config line.
    pub span: Span,
    /// The word was written in double quotes.
    pub quoted: bool,
}

/// The words after a keyword. Two are stored inline: most statements have one or two
/// (`priority 100`, `auth_type PASS`), and a heap list each cost as much as the words.
pub type Args = SmallVec<[Word; 2]>;

/// One statement: `keyword args...` optionally followed by a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stmt {
    /// The keyword (or the entry value in value blocks).
    pub keyword: Word,
    /// The words after the keyword on the same logical line.
    pub args: Args,
    pub block: Option<Block>,
}

impl Stmt {
    /// Span of the whole statement line (keyword to last argument).
    pub fn span(&self) -> Span {
        let first = self.keyword.span;
        self.args.last().map(|w| first.to(w.span)).unwrap_or(first)
    }
}

/// A `{ ... }` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The opening brace.
    pub open: Span,
    /// The closing brace; `None` when the file ended first (already diagnosed).
    pub close: Option<Span>,
    pub stmts: Vec<Stmt>,
}
