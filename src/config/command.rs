//! keepalived's splitter for script command strings (docs/keepalived-compat.md#lexical-rules, docs/keepalived-compat.md#running-scripts).
//!
//! The config front end keeps a command (`script`, `notify*`, fifo scripts) as one raw string;
//! keepalived re-parses it with shell-like rules before exec'ing it without a shell:
//!
//! * blanks (space, tab, FF, VT, CR, LF) separate words;
//! * both `"` and `'` quote (the quotes are removed, blanks inside are kept);
//! * a backslash escape is decoded everywhere except inside single quotes: `\a \b \E \f \n
//!   \r \t \v`, `\nnn` (octal, up to 3 digits), `\xHH` (hex, up to 2 digits), `\cX`
//!   (control character), any other `\C` gives `C` (so `\"`, `\'`, `\\` and `\ ` are literal).
//!
//! Example observed with keepalived 2.2.7: `/bin/echo 'x y' "q" z` → `/bin/echo`, `x y`, `q`, `z`.

/// Why a command string could not be split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SplitError {
    /// Nothing but blanks.
    Empty,
    /// A quote was opened and never closed.
    UnterminatedQuote(char),
}

impl std::fmt::Display for SplitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SplitError::Empty => f.write_str("empty command"),
            SplitError::UnterminatedQuote(q) => write!(f, "unterminated quote {q}"),
        }
    }
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0b' | '\x0c' | '\r' | '\n')
}

/// Splits `cmd` into argv words (docs/keepalived-compat.md#lexical-rules).
pub fn split_command(cmd: &str) -> Result<Vec<String>, SplitError> {
    let mut words = Vec::new();
    let mut cur = String::new();
    // A word exists once any character or a quote pair was seen (`''` is an empty argument).
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = cmd.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some('\''), '\'') => quote = None,
            (Some('\''), _) => cur.push(c),
            (Some('"'), '"') => quote = None,
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if is_blank(c) => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (_, '\\') => {
                in_word = true;
                match chars.next() {
                    Some(e) => decode_escape(e, &mut chars, &mut cur),
                    None => cur.push('\\'),
                }
            }
            (_, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(SplitError::UnterminatedQuote(q));
    }
    if in_word {
        words.push(cur);
    }
    if words.is_empty() {
        return Err(SplitError::Empty);
    }
    Ok(words)
}

/// Decodes the escape whose letter `e` follows a backslash.
fn decode_escape(e: char, chars: &mut std::iter::Peekable<std::str::Chars<'_>>, out: &mut String) {
    match e {
        'a' => out.push('\x07'),
        'b' => out.push('\x08'),
        'E' => out.push('\x1b'),
        'f' => out.push('\x0c'),
        'n' => out.push('\n'),
        'r' => out.push('\r'),
        't' => out.push('\t'),
        'v' => out.push('\x0b'),
        '0'..='7' => {
            let mut v = e.to_digit(8).unwrap_or(0);
            for _ in 0..2 {
                match chars.peek().and_then(|c| c.to_digit(8)) {
                    Some(d) => {
                        v = v * 8 + d;
                        chars.next();
                    }
                    None => break,
                }
            }
            push_byte(out, v);
        }
        'x' => {
            let mut v = 0;
            let mut n = 0;
            while n < 2 {
                match chars.peek().and_then(|c| c.to_digit(16)) {
                    Some(d) => {
                        v = v * 16 + d;
                        chars.next();
                        n += 1;
                    }
                    None => break,
                }
            }
            if n == 0 {
                out.push('x');
            } else {
                push_byte(out, v);
            }
        }
        'c' => match chars.next() {
            // Control character: the letter's low 5 bits (`\cA` = 0x01, `\c[` = ESC).
            Some(x) if x.is_ascii() => push_byte(out, u32::from(x.to_ascii_uppercase()) ^ 0x40),
            Some(x) => out.push(x),
            None => out.push('c'),
        },
        other => out.push(other),
    }
}

/// Octal/hex escapes give one byte; values above 0x7f are kept as the Unicode code point
/// (arguments are UTF-8 strings here).
fn push_byte(out: &mut String, v: u32) {
    if let Some(c) = char::from_u32(v & 0xff) {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Vec<String> {
        split_command(s).unwrap()
    }

    #[test]
    fn keepalived_observed_example() {
        // docs/keepalived-compat.md#lexical-rules: notify "/bin/echo 'x y' \"q\" z" (the config reader
        // has already turned \" into ").
        assert_eq!(
            split("/bin/echo 'x y' \"q\" z"),
            ["/bin/echo", "x y", "q", "z"]
        );
    }

    #[test]
    fn a_pipe_is_just_an_argument() {
        // docs/keepalived-compat.md#running-scripts: `script "/bin/echo hello | /bin/false"` succeeds: no shell.
        assert_eq!(
            split("/bin/echo hello | /bin/false"),
            ["/bin/echo", "hello", "|", "/bin/false"]
        );
    }

    #[test]
    fn shell_wrapper_keeps_its_script_as_one_word() {
        assert_eq!(
            split("/bin/sh -c 'pidof nginx || exit 1'"),
            ["/bin/sh", "-c", "pidof nginx || exit 1"]
        );
    }

    #[test]
    fn blanks_and_adjacent_quotes() {
        assert_eq!(split("  a\t\tb  "), ["a", "b"]);
        assert_eq!(split("a'b c'\"d\"e"), ["ab cde"]);
        assert_eq!(split("x '' y"), ["x", "", "y"]);
    }

    #[test]
    fn escapes() {
        assert_eq!(split(r"a\ b"), ["a b"]);
        assert_eq!(split(r"\a\b\E\f\n\r\t\v"), ["\x07\x08\x1b\x0c\n\r\t\x0b"]);
        assert_eq!(split(r"\101\0619"), ["A19"]);
        assert_eq!(split(r"\x41\x4a\xZ"), ["AJxZ"]);
        assert_eq!(split(r"\cA\cz"), ["\x01\x1a"]);
        assert_eq!(split(r#"\"\'\\\q"#), ["\"'\\q"]);
        assert_eq!(split(r#""a\"b""#), ["a\"b"]);
        // Single quotes are literal.
        assert_eq!(split(r"'a\nb'"), [r"a\nb"]);
        assert_eq!(split("end\\"), ["end\\"]);
    }

    #[test]
    fn errors() {
        assert_eq!(split_command("   "), Err(SplitError::Empty));
        assert_eq!(
            split_command("a 'b"),
            Err(SplitError::UnterminatedQuote('\''))
        );
        assert_eq!(
            split_command("a \"b"),
            Err(SplitError::UnterminatedQuote('"'))
        );
    }
}
