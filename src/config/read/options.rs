//! What the reading stages share: the options that change how the text is read, the
//! statement tree they produce, and the one failure that stops reading.

use std::path::PathBuf;

use super::limits::Limits;
use super::source::SourceMap;
use super::syntax::Stmt;
use crate::config::diag::Diagnostic;

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
