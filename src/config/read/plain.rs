//! The fast path of the line pipeline, for lines that the general steps would not rewrite.
//!
//! Most lines of a real configuration are plain `keyword value...`, `name {` or `}`, perhaps
//! with a comment or a simply quoted value (`script "/bin/check"`): no escape, definition,
//! conditional, generator or include. For such a line steps 1-7 of the [`super`] module
//! documentation reduce to: cut the comment, split at the braces outside quotes, split the
//! rest at blanks and quotes. [`scan`] does that in one pass over the file text,
//! giving every word its span by arithmetic instead of through a [`super::line::Line`] origin
//! map, and gives up, with no effect, at the first byte that needs the general path. The
//! statements, braces and diagnostics are the same either way (the tests below compare the
//! two paths on generated text).

use compact_str::CompactString;

use super::expand::Expander;
use super::syntax::{Args, Word};
use crate::config::span::{FileId, Span};

/// What a byte means to [`scan`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Part of a word: printable ASCII but the ones below.
    Word,
    /// Space and tab separate words.
    Blank,
    Open,
    Close,
    /// `#` and `!` start a comment (outside a quote).
    Comment,
    /// `"` opens a quoted word, read here when what it holds is plain (see [`quoted`]).
    Quote,
    /// `\n` ends the line; `\r` is dropped before it.
    Newline,
    Return,
    /// Anything else takes the general path: `\` (escapes, continuation,
    /// docs/keepalived-compat.md#lexical-rules), `$` (definitions and substitution), `@`
    /// (conditional lines), `~` (generators), other control characters (word separators
    /// of their own) and non-ASCII bytes (which may be Unicode spaces, diagnosed there).
    Other,
}

const CLASSES: [Class; 256] = {
    let mut t = [Class::Other; 256];
    let mut b = 0x21;
    while b < 0x7f {
        t[b] = match b as u8 {
            b'\\' | b'$' | b'@' | b'~' => Class::Other,
            b'"' => Class::Quote,
            b'{' => Class::Open,
            b'}' => Class::Close,
            b'#' | b'!' => Class::Comment,
            _ => Class::Word,
        };
        b += 1;
    }
    t[b' ' as usize] = Class::Blank;
    t[b'\t' as usize] = Class::Blank;
    t[b'\n' as usize] = Class::Newline;
    t[b'\r' as usize] = Class::Return;
    t
};

fn class(b: u8) -> Class {
    CLASSES[usize::from(b)]
}

/// A brace of a scanned line, after the first `words` words of the line.
#[derive(Clone, Copy, Debug)]
pub(super) struct Brace {
    words: usize,
    span: Span,
    open: bool,
}

/// A word of a scanned line: its byte range in the text, quotes included.
#[derive(Clone, Copy, Debug)]
struct Token {
    start: usize,
    end: usize,
    quoted: bool,
}

/// The words and braces of the line being read by the fast path; the buffers are reused for
/// every line. A word is kept as its byte range in the text until its statement is built, so
/// it is copied once, into the statement.
#[derive(Default)]
pub(super) struct Tokens {
    words: Vec<Token>,
    braces: Vec<Brace>,
}

/// The index of the `"` closing the quote opened at `open`, when everything between is plain:
/// printable ASCII and blanks but for a backslash (an escaped quote, kept for the script
/// splitter, docs/keepalived-compat.md#lexical-rules), `$` (substituted inside quotes too),
/// `@` and `~`. Braces, `#` and `!` are plain characters inside a quote. `None` sends the line
/// to the general path, an unterminated quote included.
fn quoted(bytes: &[u8], open: usize) -> Option<usize> {
    let rest = bytes.get(open + 1..)?;
    let len = rest.iter().position(|&c| {
        !matches!(
            class(c),
            Class::Word | Class::Blank | Class::Open | Class::Close | Class::Comment
        )
    })?;
    (rest.get(len) == Some(&b'"')).then_some(open + 1 + len)
}

/// A plain line that [`scan`] split.
pub(super) struct Scanned {
    /// Index of the line's `\n` in the text (or the text's length).
    pub end: usize,
    /// The line has something besides blanks and a comment.
    pub fed: bool,
}

/// Splits the line of `text` starting at `from` (byte `base` of `file`) into `tokens`, or
/// returns `None` (with `tokens` left empty) when the line needs the general path.
pub(super) fn scan(
    text: &str,
    from: usize,
    file: FileId,
    base: usize,
    tokens: &mut Tokens,
) -> Option<Scanned> {
    let bytes = text.as_bytes();
    let at = |i: usize| Span::new(file, base + (i - from), base + (i - from) + 1);
    let mut i = from;
    let mut fed = false;
    let Tokens { words, braces } = tokens;
    let give_up = |words: &mut Vec<Token>, braces: &mut Vec<Brace>| {
        words.clear();
        braces.clear();
        None
    };
    let end = loop {
        let Some(&b) = bytes.get(i) else {
            break i;
        };
        match class(b) {
            Class::Blank => {
                let rest = bytes.get(i + 1..).unwrap_or(&[]);
                i += 1 + rest
                    .iter()
                    .position(|&c| class(c) != Class::Blank)
                    .unwrap_or(rest.len());
            }
            Class::Newline => break i,
            Class::Return => {
                // keepalived drops every `\r` at the end of a line (CRLF files).
                let mut j = i + 1;
                while bytes.get(j) == Some(&b'\r') {
                    j += 1;
                }
                match bytes.get(j) {
                    None | Some(b'\n') => break j,
                    Some(_) => return give_up(words, braces),
                }
            }
            Class::Comment => {
                // The comment's text does not matter, except a backslash: one at the very
                // end continues a multi-line definition even after a comment.
                let rest = bytes.get(i..).unwrap_or(&[]);
                match memchr::memchr2(b'\n', b'\\', rest) {
                    None => break bytes.len(),
                    Some(k) if rest.get(k) == Some(&b'\n') => break i + k,
                    Some(_) => return give_up(words, braces),
                }
            }
            Class::Open | Class::Close => {
                fed = true;
                braces.push(Brace {
                    words: words.len(),
                    span: at(i),
                    open: b == b'{',
                });
                i += 1;
            }
            Class::Word => {
                fed = true;
                let starts_statement = braces.last().map_or(0, |b| b.words) == words.len();
                let rest = bytes.get(i + 1..).unwrap_or(&[]);
                let j = i
                    + 1
                    + rest
                        .iter()
                        .position(|&c| class(c) != Class::Word)
                        .unwrap_or(rest.len());
                // Step 6 comes before the split at braces, with a syntax of its own: leave
                // a line with an include to the general path.
                let word = text.get(i..j).unwrap_or("");
                if starts_statement && word.starts_with("include") {
                    return give_up(words, braces);
                }
                words.push(Token {
                    start: i,
                    end: j,
                    quoted: false,
                });
                i = j;
            }
            Class::Quote => {
                fed = true;
                // A quoted keyword (a quoted `include`, say) is left to the general path.
                let starts_statement = braces.last().map_or(0, |b| b.words) == words.len();
                let close = match quoted(bytes, i) {
                    Some(close) if !starts_statement => close,
                    _ => return give_up(words, braces),
                };
                words.push(Token {
                    start: i,
                    end: close + 1,
                    quoted: true,
                });
                i = close + 1;
            }
            Class::Other => return give_up(words, braces),
        }
    };
    Some(Scanned { end, fed })
}

impl Expander<'_> {
    /// Applies a line [`scan`] split (the line starts at `from` of `text`, byte `base` of
    /// `file`): its statements and braces, in order.
    pub(super) fn feed_scanned(
        &mut self,
        text: &str,
        from: usize,
        file: FileId,
        base: usize,
        tokens: &mut Tokens,
    ) {
        let word = |t: Token| {
            // A quoted word's text is what lies between its quotes.
            let inner = if t.quoted {
                t.start + 1..t.end.saturating_sub(1)
            } else {
                t.start..t.end
            };
            Word {
                text: CompactString::from(text.get(inner).unwrap_or("")),
                span: Span::new(file, base + (t.start - from), base + (t.end - from)),
                quoted: t.quoted,
            }
        };
        let mut done = 0;
        let ends = tokens
            .braces
            .iter()
            .map(|b| (b.words, Some(*b)))
            .chain(std::iter::once((tokens.words.len(), None)));
        for (upto, brace) in ends {
            let mut ws = tokens.words.get(done..upto).unwrap_or(&[]).iter().copied();
            done = upto;
            if let Some(keyword) = ws.next().map(word) {
                // `include_check` and `random_seed` in global_defs act on the reading itself:
                // the general statement step handles them.
                let special = matches!(keyword.text.as_str(), "include_check" | "random_seed")
                    && self.tree.innermost() == Some("global_defs");
                if special {
                    self.words.clear();
                    self.words.push(keyword);
                    self.words.extend(ws.map(word));
                    let n = self.words.len();
                    self.statement_words(n);
                } else {
                    let mut args = Args::new();
                    for w in ws {
                        args.push(word(w));
                    }
                    self.tree.stmt_parts(keyword, args);
                }
            }
            if let Some(b) = brace {
                if b.open {
                    self.tree.open(b.span, &mut self.diags);
                } else {
                    self.tree.close(b.span, &mut self.diags);
                }
            }
        }
        tokens.words.clear();
        tokens.braces.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::super::options::ParseOptions;
    use super::super::parse::parse_str_general;
    use super::super::source::MemLoader;
    use super::super::{parse_str_with, Parsed};

    fn same(text: &str) {
        let loader = MemLoader::new().with("x.conf", "vrrp_script x { weight 2 }\n");
        let opts = ParseOptions::default();
        let fast: Parsed = parse_str_with(text, &loader, &opts);
        let general = parse_str_general(text, &loader, &opts);
        assert_eq!(fast.stmts, general.stmts, "{text:?}");
        assert_eq!(
            format!("{:?}", fast.diagnostics),
            format!("{:?}", general.diagnostics),
            "{text:?}"
        );
    }

    #[test]
    fn plain_lines_read_as_the_general_path_reads_them() {
        for text in [
            "global_defs {\n  router_id a\n}\n",
            "vrrp_instance V { state MASTER } x y\n",
            "a#b c\nd!e\n  ! only\n# only\n\t\n",
            "a{b}c{\n}}\n{\n",
            "a\r\nb\r\r\n{\r\n}\r",
            "include x.conf\n{ include x.conf\ninclude_check readable\nincludes x\n",
            "a # comment \\\nb ! é\nc é\n",
            "x \"y\" z\n$A=1\n@id a\n~SEQ(i,1,2) a\n",
            "script \"/bin/true\"\nscript \"/bin/x -a 'b c'\" # c\n",
            "a \"b{c}#d!e\" } f\"g h\"i \"\" \"\n",
            "\"kw\" x\n{ \"kw\" }\na \"x\\\"y\" \"$A\" \"é\" \"\t\"\n",
            "a \"unterminated\nb\n",
            "virtual_ipaddress_excluded_but_longer_than_inline { a }\n",
            "",
            "\n\n",
            "}",
        ] {
            same(text);
        }
    }

    #[test]
    fn generated_lines_read_as_the_general_path_reads_them() {
        const PARTS: &[&str] = &[
            "vrrp_instance",
            "VI_1",
            "state",
            "MASTER",
            "{",
            "}",
            " ",
            "\t",
            "  ",
            "#",
            "!",
            "# c",
            "! c",
            "include",
            "includem",
            "x.conf",
            "\r",
            "\"q\"",
            "\"a b#c{}!\"",
            "\"",
            "\"\"",
            "\"x\t",
            "\\",
            "$X",
            "@id",
            "~SEQ(i,1,2)",
            "é",
            "\u{a0}",
            "a{",
            "}b",
            "global_defs",
            "include_check",
            "\x0b",
            "random_seed",
            "7",
            "virtual_ipaddress",
            "10.0.0.1/24",
            "dev",
            "eth0",
        ];
        // A fixed linear congruential sequence: the same texts on every run.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            usize::try_from(seed >> 33).unwrap_or(0) % n
        };
        for _ in 0..2000 {
            let mut text = String::new();
            for _ in 0..next(12) {
                for _ in 0..next(7) {
                    text.push_str(PARTS[next(PARTS.len())]);
                    if next(2) == 0 {
                        text.push(' ');
                    }
                }
                text.push('\n');
            }
            same(&text);
        }
    }
}
