//! Hard limits that keep the front end from hanging or exhausting memory on hostile or
//! broken input: substitution loops, `~SEQ` bombs, include recursion, brace nesting.
//!
//! keepalived itself is bounded only by its 1024-byte line buffer (`MAXBUF`) and loops
//! forever on a self-including file; vrrpd reports one clear error per construct and stops
//! expanding that construct.

/// The limits in force for one parse. `Default` gives the production values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How much `$NAME` substitution may lengthen one line, in bytes.
    pub max_line_bytes: usize,
    /// Most `$NAME` replacements on one line (a definition that uses itself never ends).
    pub max_substitutions: usize,
    /// Deepest nesting of `~SEQ`/`~LST` loops and multi-line definition uses.
    pub max_expansion_depth: usize,
    /// Total lines that `~SEQ`/`~LST` and multi-line definitions may generate.
    pub max_expanded_lines: usize,
    /// Total bytes that `~SEQ`/`~LST` and multi-line definitions may generate.
    pub max_expanded_bytes: usize,
    /// Deepest chain of `include` (the main file is level 0).
    pub max_include_depth: usize,
    /// Most files read through `include` in one parse, counting a file each time it is
    /// read. The depth limit alone does not bound a fan-out: `conf.d/*.conf` files that each
    /// include their own directory read every chain of distinct files, which grows like a
    /// factorial and would take minutes or hours.
    pub max_included_files: usize,
    /// Most bytes of included text in one parse, counting a file each time it is read.
    pub max_included_bytes: usize,
    /// Most patterns one csh brace expression (`{a,b}`) may expand to.
    pub max_brace_alternatives: usize,
    /// Deepest nesting of `{ ... }` blocks.
    pub max_block_depth: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_line_bytes: 64 * 1024,
            max_substitutions: 10_000,
            max_expansion_depth: 32,
            max_expanded_lines: 500_000,
            max_expanded_bytes: 32 * 1024 * 1024,
            max_include_depth: 32,
            max_included_files: 10_000,
            max_included_bytes: 64 * 1024 * 1024,
            max_brace_alternatives: 1024,
            max_block_depth: 64,
        }
    }
}
