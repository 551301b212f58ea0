//! Reading: keepalived.conf files -> statement tree + diagnostics.
//!
//! keepalived reads its configuration as one stream of lines (lib/parser.c `read_line`);
//! each line goes through, in this order (docs/keepalived-compat.md#lexical-rules–docs/keepalived-compat.md#no-line-continuation):
//!
//! 1. CR/LF stripped, comment cut, blanks trimmed ([`lexer::decomment`]); a multi-line
//!    `$NAME=... \` definition swallows the following physical lines;
//! 2. `@ID` / `@^ID` conditional prefix (docs/keepalived-compat.md#conditional-lines);
//! 3. `$NAME=VALUE` definition (docs/keepalived-compat.md#parameter-definitions);
//! 4. `~SEQ(...)` / `~LST(...)` generator (docs/keepalived-compat.md#line-generators): the tail is fed once per value;
//! 5. `$NAME` substitution, then decomment again and back to step 2;
//! 6. `include PATTERN` (any level, docs/keepalived-compat.md#include-files): the files' lines are spliced into the stream;
//! 7. split at the first unquoted `{`/`}` (docs/keepalived-compat.md#blocks-and-braces); the text after the brace is fed as a
//!    new line (back to step 2), the text before it is one statement.
//!
//! The result is a tree of [`syntax::Stmt`]s whose [`syntax::Word`]s carry the span of what the
//! user wrote; a word produced by substitution or `~SEQ` points at the `$NAME` use.
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

//!
//! The files, in pipeline order:
//!
//! * `options.rs`: [`ParseOptions`], [`Parsed`] and [`ReadError`], shared by the stages;
//! * `source.rs`: the files read ([`source::SourceMap`]) and how ([`source::Loader`], the one
//!   place that touches the file system);
//! * `line.rs`: a line with the origin of every byte; `lexer.rs`: comments, braces, words;
//! * `define.rs`: `$NAME` definitions and substitution; `seq.rs`: `~SEQ` / `~LST`;
//! * `include.rs`: include keywords, checks and patterns;
//! * `expand.rs`: the line pipeline itself, steps 1-7 above, including reading included files;
//!   `plain.rs`: its fast path for the lines none of steps 2-5 would rewrite;
//! * `tree.rs`: statements -> nested blocks; `syntax.rs`: the tree's types;
//! * `parse.rs`: the entry points ([`parse_file`], [`parse_file_streaming`], [`parse_str`],
//!   [`parse_str_with`]);
//! * `limits.rs`: expansion, include and nesting limits.

pub mod define;
mod expand;
pub mod include;
pub mod lexer;
pub mod limits;
pub mod line;
mod options;
mod parse;
mod plain;
pub mod seq;
pub mod source;
pub mod syntax;
pub mod tree;

pub use options::{ParseOptions, Parsed, ReadError};
pub use parse::{parse_file, parse_file_streaming, parse_str, parse_str_with};
