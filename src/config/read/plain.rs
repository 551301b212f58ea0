//! The fast path of the line pipeline for a line that the general steps would not rewrite.
//!
//! Most lines of a real configuration are plain `keyword value...`, `name {` or `}`: no
//! quote, escape, definition, conditional or generator. For such a line steps 1-7 of the
//! [`super`] module documentation reduce to: cut the comment, split at the braces, split the
//! segments at blanks. This module does exactly that, straight on the file text, so every word
//! gets its span by arithmetic instead of through a [`Line`] origin map; it produces the same
//! statements, braces and diagnostics as the general path (`tests/config` checks the two
//! against each other through the corpus and keepalived's own examples).
//!
//! Any other line (see [`is_plain`]) goes through the general path unchanged.

use compact_str::CompactString;

use super::expand::Expander;
use super::line::Line;
use super::syntax::Word;
use crate::config::span::{FileId, Span};

/// Bytes a plain line may contain: printable ASCII and tab, except `"` and `\` (quotes,
/// escapes, continuations, docs/keepalived-compat.md#lexical-rules), `$` (definitions and
/// substitution), `@` (conditional lines) and `~` (generators). Other control characters are
/// word separators of their own and non-ASCII text may hold Unicode spaces: both take the
/// general path, which diagnoses them.
const PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0x20;
    while b < 0x7f {
        t[b] = !matches!(b as u8, b'"' | b'\\' | b'$' | b'@' | b'~');
        b += 1;
    }
    t[b'\t' as usize] = true;
    t
};

/// Whether the fast path applies to `raw` (one physical line without its terminator).
pub(super) fn is_plain(raw: &str) -> bool {
    raw.bytes().all(|b| PLAIN[usize::from(b)])
}

/// Where a word of a plain line ends: at a blank, a brace or a comment character.
fn word_end(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'{' | b'}' | b'#' | b'!')
}

impl Expander<'_> {
    /// Feeds a plain physical line (the caller checked [`is_plain`]) that starts at byte
    /// `base` of `file`. Returns whether anything was fed (the line was not blank or only a
    /// comment).
    ///
    /// One pass: with no quote and no backslash, the comment starts at the first `#`/`!`
    /// (step 1), a statement ends at every brace (step 7) and words end at blanks.
    pub(super) fn feed_plain(
        &mut self,
        file: FileId,
        base: usize,
        raw: &str,
        depth: usize,
    ) -> bool {
        let bytes = raw.as_bytes();
        let mut i = 0;
        let mut fed = false;
        while let Some(&b) = bytes.get(i) {
            match b {
                b' ' | b'\t' => i += 1,
                b'#' | b'!' => break,
                b'{' | b'}' => {
                    fed = true;
                    self.statement_words();
                    let span = Span::new(file, base + i, base + i + 1);
                    if b == b'{' {
                        self.tree.open(span, &mut self.diags);
                    } else {
                        self.tree.close(span, &mut self.diags);
                    }
                    i += 1;
                }
                _ => {
                    fed = true;
                    // Step 6 comes before the split at braces: `include` takes the rest of
                    // the line, braces and all.
                    if self.words.is_empty()
                        && bytes.get(i..).is_some_and(|t| t.starts_with(b"include"))
                    {
                        let mut end = memchr::memchr2(b'#', b'!', bytes).unwrap_or(bytes.len());
                        while end > i
                            && bytes.get(end - 1).is_some_and(|&c| c == b' ' || c == b'\t')
                        {
                            end -= 1;
                        }
                        let seg = raw.get(i..end).unwrap_or("");
                        if self.try_include(&Line::from_source(file, base + i, seg), depth) {
                            return true;
                        }
                    }
                    let mut j = i + 1;
                    while bytes.get(j).is_some_and(|&c| !word_end(c)) {
                        j += 1;
                    }
                    self.words.push(Word {
                        text: CompactString::from(raw.get(i..j).unwrap_or("")),
                        span: Span::new(file, base + i, base + j),
                        quoted: false,
                    });
                    i = j;
                }
            }
        }
        self.statement_words();
        fed
    }
}
