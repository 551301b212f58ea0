//! The keepalived line lexer (docs/keepalived-compat.md#lexical-rules, docs/keepalived-compat.md#blocks-and-braces, docs/keepalived-compat.md#no-line-continuation).
//!
//! ```text
//! line      := blank* content? comment?            (CR/LF already stripped)
//! comment   := ('#' | '!') any*                    (only outside "...")
//! content   := any char; "\#" and "\!" outside quotes stand for '#' and '!'
//! segment   := content up to the first '{' or '}' outside "..."
//! word      := '"' [^"]* '"'  |  [^ \t\f\v\r\n"]+
//! ```
//!
//! Three steps, applied in this order by the expander: [`decomment`] once per physical
//! line (and again after `$NAME` substitution), [`find_brace`] to split a line at its
//! first unquoted brace, and [`words`] to split a brace-free segment into [`Word`]s.

use compact_str::CompactString;

use super::line::Line;
use super::syntax::Word;
use crate::config::span::Span;

/// The result of [`decomment`].
pub struct Decommented<'a> {
    /// Leading/trailing blanks and the comment removed, `\#`/`\!` unescaped.
    pub line: Line<'a>,
    /// The line ended in a `\` (outside a comment). keepalived keeps that backslash glued to
    /// the last word; only `$NAME=` definitions treat it as a continuation.
    pub continued: bool,
}

/// Cuts the comment and surrounding blanks, and unescapes `\#` and `\!`.
///
/// docs/keepalived-compat.md#lexical-rules: an unquoted `#` or `!` starts a comment wherever it is;
/// inside `"..."` neither does. A backslash protects the next character from starting a
/// comment or toggling the quote state, and is only removed in front of `#`/`!` outside
/// quotes. Blanks before a final `\` are removed (observed: `trail \` gives the word
/// `trail\`), so there is no general line continuation (docs/keepalived-compat.md#no-line-continuation).
pub fn decomment<'a>(line: &Line<'a>) -> Decommented<'a> {
    let bytes = line.text.as_bytes();
    let start = bytes
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    if !bytes
        .iter()
        .skip(start)
        .any(|&b| matches!(b, b'"' | b'\\' | b'#' | b'!'))
    {
        return Decommented {
            line: line.trim(),
            continued: false,
        };
    }
    let mut quote = false;
    let mut removals: Vec<usize> = Vec::new();
    let mut end = bytes.len();
    let mut continued = false;
    let mut i = start;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => quote = !quote,
            b'\\' => match bytes.get(i + 1) {
                Some(b'#' | b'!') if !quote => {
                    removals.push(i);
                    i += 2;
                    continue;
                }
                Some(_) => {
                    i += 2;
                    continue;
                }
                None => {
                    continued = true;
                    end = i;
                    break;
                }
            },
            b'#' | b'!' if !quote => {
                end = i;
                // keepalived keeps scanning the comment for a final lone `\`, so
                // `state MASTER # note \` still continues a multi-line definition.
                let mut j = i + 1;
                while let Some(&c) = bytes.get(j) {
                    if c == b'\\' {
                        if j + 1 == bytes.len() {
                            continued = true;
                        }
                        j += 2;
                    } else {
                        j += 1;
                    }
                }
                break;
            }
            _ => {}
        }
        i += 1;
    }
    // Trailing blanks before the comment or the final backslash.
    let mut content_end = end;
    while content_end > start && matches!(bytes.get(content_end - 1), Some(b' ' | b'\t')) {
        content_end -= 1;
    }
    let mut out = if continued {
        // Keep the content and a backslash: the final one of the line when it directly
        // follows the content, otherwise that same `\` spliced in (attributed to itself).
        let last = bytes.len().saturating_sub(1);
        let mut l = line.slice(start..content_end);
        let slash = line.span_of(last..last + 1);
        let at = l.len();
        l.splice(at..at, "\\", Some(slash));
        l
    } else {
        line.slice(start..content_end)
    };
    for &pos in removals.iter().rev() {
        if pos < content_end {
            out.splice(pos - start..pos - start + 1, "", None);
        }
    }
    Decommented {
        line: out,
        continued,
    }
}

/// Byte offset of the first `{` or `}` that is not inside `"..."` (keepalived splits every
/// line there, docs/keepalived-compat.md#blocks-and-braces). After an unterminated quote nothing is split.
pub fn find_brace(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'{' | b'}' => return Some(i),
            b'"' => match closing_quote(bytes, i) {
                Some(c) => i = c + 1,
                None => return None,
            },
            _ => i += 1,
        }
    }
    None
}

/// Index of the `"` closing the quote opened at `open`. Inside double quotes `\"` is an
/// escaped quote (docs/keepalived-compat.md#lexical-rules: `notify "/bin/echo 'x y' \"q\" z"` keeps one
/// string whose script argv is `x y`, `q`, `z`).
fn closing_quote(bytes: &[u8], open: usize) -> Option<usize> {
    let mut j = open + 1;
    while let Some(&c) = bytes.get(j) {
        match c {
            b'\\' if bytes.get(j + 1) == Some(&b'"') => j += 2,
            b'"' => return Some(j),
            _ => j += 1,
        }
    }
    None
}

/// Token separators: space, tab, form feed, vertical tab, CR, LF.
pub fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | 0x0b | 0x0c | b'\r' | b'\n')
}

/// Problems [`words`] found in a segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Issues {
    /// The opening quote of a quote that is never closed; the word runs to the end.
    pub unterminated: Option<Span>,
    /// The first non-ASCII white space outside quotes (typically U+00A0 from text copied
    /// off a web page) and the character.
    pub odd_space: Option<(Span, char)>,
}

/// Splits a segment into words. A word starting with `"` runs to the next `"` and loses its
/// quotes; any other word ends at a separator or at a `"`. Single quotes are ordinary
/// characters, `;` too (docs/keepalived-compat.md#lexical-rules).
///
/// keepalived (C locale) treats a no-break space or other Unicode space as part of a word,
/// so a line indented with them has a keyword made of spaces. vrrpd reports it (see
/// [`Issues::odd_space`]) and, to recover, separates words there as the user meant.
pub fn words(line: &Line<'_>, out: &mut Vec<Word>) -> Issues {
    let text: &str = &line.text;
    let bytes = text.as_bytes();
    let mut issues = Issues::default();
    let mut i = 0;
    while i < bytes.len() {
        let Some(&b) = bytes.get(i) else { break };
        if is_space(b) {
            i += 1;
            continue;
        }
        if b >= 0x80 {
            if let Some(c) = text.get(i..).and_then(|t| t.chars().next()) {
                if c.is_whitespace() {
                    if issues.odd_space.is_none() {
                        issues.odd_space = Some((line.span_of(i..i + c.len_utf8()), c));
                    }
                    i += c.len_utf8();
                    continue;
                }
            }
        }
        if b == b'"' {
            let close = closing_quote(bytes, i);
            let (inner_end, next) = match close {
                Some(c) => (c, c + 1),
                None => {
                    issues.unterminated = Some(line.span_of(i..i + 1));
                    (bytes.len(), bytes.len())
                }
            };
            let inner = text.get(i + 1..inner_end).unwrap_or("");
            // `\"` stands for a quote; other backslash pairs stay for the script splitter.
            let inner = if inner.contains("\\\"") {
                CompactString::from(inner.replace("\\\"", "\""))
            } else {
                CompactString::from(inner)
            };
            out.push(Word {
                text: inner,
                span: line.span_of(i..next),
                quoted: true,
            });
            i = next;
            continue;
        }
        // ASCII fast path; decode only at non-ASCII bytes.
        let mut len = 0;
        while let Some(&c) = bytes.get(i + len) {
            if c < 0x80 {
                if is_space(c) || c == b'"' {
                    break;
                }
                len += 1;
                continue;
            }
            match text.get(i + len..).and_then(|t| t.chars().next()) {
                Some(ch) if ch.is_whitespace() => break,
                Some(ch) => len += ch.len_utf8(),
                None => len += 1,
            }
        }
        out.push(Word {
            text: CompactString::from(text.get(i..i + len).unwrap_or("")),
            span: line.span_of(i..i + len),
            quoted: false,
        });
        i += len;
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::span::FileId;

    fn dec(s: &str) -> (String, bool) {
        let d = decomment(&Line::from_source(FileId(0), 0, s));
        (d.line.text.into_owned(), d.continued)
    }

    #[test]
    fn escaped_quote_inside_double_quotes() {
        // docs/keepalived-compat.md#lexical-rules: one word; `\"` becomes `"` for the script splitter.
        let line = r#"notify "/bin/echo 'x y' \"q\" z" root"#;
        let w = ws(line);
        assert_eq!(w.len(), 3, "{w:?}");
        assert_eq!(w[1].0, r#"/bin/echo 'x y' "q" z"#);
        assert!(w[1].3);
        assert_eq!(w[2].0, "root");
        assert_eq!(find_brace(r#"a "x \" {" {"#), Some(11));
    }

    fn ws(s: &str) -> Vec<(String, usize, usize, bool)> {
        let mut out = Vec::new();
        words(&Line::from_source(FileId(0), 0, s), &mut out);
        out.into_iter()
            .map(|w| {
                (
                    w.text.into_string(),
                    w.span.start as usize,
                    w.span.end as usize,
                    w.quoted,
                )
            })
            .collect()
    }

    #[test]
    fn comments_anywhere_outside_quotes() {
        assert_eq!(dec("  router_id x ! note").0, "router_id x");
        assert_eq!(dec("router_id x# note").0, "router_id x");
        assert_eq!(dec("auth_pass \"a b#c\" # c").0, "auth_pass \"a b#c\"");
        assert_eq!(dec("# only").0, "");
        assert_eq!(dec("\t\t").0, "");
    }

    #[test]
    fn escaped_comment_characters() {
        let d = decomment(&Line::from_source(FileId(0), 0, "\\#esc a\\!b"));
        assert_eq!(d.line.text, "#esc a!b");
        // `a!b` still points at `a\!b` in the source.
        assert_eq!(d.line.span_of(5..8), Span::new(FileId(0), 6, 10));
        // Inside quotes the backslash stays.
        assert_eq!(dec("x \"a\\#b\"").0, "x \"a\\#b\"");
    }

    #[test]
    fn trailing_backslash_is_glued_to_the_last_word() {
        assert_eq!(dec("trail \\"), ("trail\\".to_string(), true));
        assert_eq!(dec("kw part1 \\  "), ("kw part1 \\".to_string(), false));
        assert_eq!(dec("a\\b"), ("a\\b".to_string(), false));
        assert_eq!(dec("kw x # note \\"), ("kw x\\".to_string(), true));
        assert_eq!(dec("kw x # note \\\\"), ("kw x".to_string(), false));
    }

    #[test]
    fn words_quotes_and_separators() {
        assert_eq!(
            ws("auth_pass \"a b#c\""),
            vec![
                ("auth_pass".into(), 0, 9, false),
                ("a b#c".into(), 10, 17, true)
            ]
        );
        assert_eq!(
            ws("auth_pass 'a b'"),
            vec![
                ("auth_pass".into(), 0, 9, false),
                ("'a".into(), 10, 12, false),
                ("b'".into(), 13, 15, false)
            ]
        );
        assert_eq!(
            ws("a;b\x0bc\x0cd\re"),
            vec![
                ("a;b".into(), 0, 3, false),
                ("c".into(), 4, 5, false),
                ("d".into(), 6, 7, false),
                ("e".into(), 8, 9, false)
            ]
        );
        assert_eq!(
            ws("abc\"def ghi\" jkl"),
            vec![
                ("abc".into(), 0, 3, false),
                ("def ghi".into(), 3, 12, true),
                ("jkl".into(), 13, 16, false)
            ]
        );
        assert_eq!(ws("\"\""), vec![("".into(), 0, 2, true)]);
    }

    #[test]
    fn unterminated_quote() {
        let mut out = Vec::new();
        let l = Line::from_source(FileId(0), 0, "kw \"abc def");
        let bad = words(&l, &mut out);
        assert_eq!(bad.unterminated, Some(Span::new(FileId(0), 3, 4)));
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].text, "abc def");
        assert!(out[1].quoted);
    }

    #[test]
    fn unicode_spaces_are_reported_and_separate_words() {
        let mut out = Vec::new();
        let l = Line::from_source(
            FileId(0),
            0,
            "\u{a0} \u{a0}state\u{3000}MASTER \"a\u{a0}b\"",
        );
        let issues = words(&l, &mut out);
        assert_eq!(
            issues.odd_space,
            Some((Span::new(FileId(0), 0, 2), '\u{a0}'))
        );
        let texts: Vec<&str> = out.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["state", "MASTER", "a\u{a0}b"]);
        assert_eq!(out[1].span, Span::new(FileId(0), 13, 19));
    }

    #[test]
    fn brace_positions() {
        assert_eq!(find_brace("global_defs { router_id X }"), Some(12));
        assert_eq!(find_brace("x \"a{b\" }"), Some(8));
        assert_eq!(find_brace("x \"a{b"), None);
        assert_eq!(find_brace("plain"), None);
        assert_eq!(find_brace("}"), Some(0));
    }
}
