//! Value parsers: numbers, booleans, decimal seconds, addresses. Each returns a spanned value
//! or records a diagnostic pointing at the offending word (a bad value is reported where it is written, never a panic).
//!
//! docs/keepalived-compat.md#lexical-rules: integers are base 10 (`number 'X' outside range [a, b]`,
//! `invalid number 'X'`), booleans are `on|true|yes` / `off|false|no` (lower case, exact),
//! decimal times accept up to 6 fractional digits.

use std::net::IpAddr;
use std::time::Duration;

use super::Lower;
use crate::config::diag::Diagnostic;
use crate::config::model::{Family, IpNet, Sp};
use crate::config::read::syntax::{Block, Stmt, Word};
use crate::config::span::Spanned;

impl Lower {
    /// The argument at `index`, or the "missing a parameter" error at the keyword.
    ///
    /// keepalived exits with status 2 on a missing parameter (docs/keepalived-compat.md#lexical-rules); vrrpd reports it and
    /// keeps going so that one run shows every problem.
    pub(crate) fn arg<'s>(&mut self, s: &'s Stmt, index: usize) -> Option<&'s Word> {
        match s.args.get(index) {
            Some(w) => Some(w),
            None => {
                let kw = &s.keyword.text;
                self.push(
                    Diagnostic::error(
                        s.span(),
                        format!(
                            "Configuration line starting `{kw}` is missing a parameter after keyword `{kw}`"
                        ),
                    )
                    .with_label("a value is expected after this")
                    .with_help(format!("write the value on the same line: `{kw} VALUE`")),
                );
                None
            }
        }
    }

    /// Warns about words after the `used` arguments a keyword takes. keepalived ignores them
    /// silently (docs/keepalived-compat.md#lexical-rules); they are usually a comment written without `#`.
    pub(crate) fn extra(&mut self, s: &Stmt, used: usize) {
        // The common case (nothing extra) must not format anything: this runs for every
        // statement of configs with hundreds of thousands of lines.
        if s.args.len() <= used {
            return;
        }
        let what = if used == 0 {
            format!("`{}`", s.keyword.text)
        } else {
            format!("the value of `{}`", s.keyword.text)
        };
        self.extra_words(&what, s.args.get(used..).unwrap_or(&[]));
    }

    /// Warns about surplus words (`words` is the surplus).
    pub(crate) fn extra_words(&mut self, what: &str, words: &[Word]) {
        if let (Some(first), Some(last)) = (words.first(), words.last()) {
            let span = first.span.to(last.span);
            self.push(
                Diagnostic::warning(span, format!("extra words after {what} are ignored"))
                    .with_label("ignored")
                    .with_help("start a comment with `#` or `!`, or remove these words"),
            );
        }
    }

    /// Reports a block given to a keyword that takes none; the block is ignored.
    pub(crate) fn no_block(&mut self, s: &Stmt) {
        if let Some(b) = &s.block {
            self.push(
                Diagnostic::error(
                    b.open,
                    format!("`{}` does not take a block", s.keyword.text),
                )
                .with_label("unexpected '{'")
                .with_help("the block's contents are ignored"),
            );
        }
    }

    /// The block of a block keyword, or keepalived's
    /// `Missing '{' at beginning of configuration block`.
    pub(crate) fn block<'s>(&mut self, s: &'s Stmt) -> Option<&'s Block> {
        match &s.block {
            Some(b) => Some(b),
            None => {
                self.push(
                    Diagnostic::error(
                        s.keyword.span,
                        format!(
                            "Missing '{{' at beginning of configuration block `{}`",
                            s.keyword.text
                        ),
                    )
                    .with_help(format!("write `{} {{` ... `}}`", s.keyword.text)),
                );
                None
            }
        }
    }

    /// A keyword with exactly one string value.
    pub(crate) fn string(&mut self, s: &Stmt) -> Option<Sp<String>> {
        self.no_block(s);
        let w = self.arg(s, 0)?;
        self.extra(s, 1);
        Some(Spanned::new(w.text.as_str().to_owned(), w.span))
    }

    /// A keyword with an optional string value (`reload_check_config [LOGFILE]`).
    pub(crate) fn opt_string(&mut self, s: &Stmt) -> Sp<Option<String>> {
        self.no_block(s);
        self.extra(s, 1);
        Spanned::new(s.args.first().map(|w| w.text.as_str().to_owned()), s.span())
    }

    /// A keyword without a value (`nopreempt`). Words after it are warned about.
    pub(crate) fn flag(&mut self, s: &Stmt) -> Span {
        self.no_block(s);
        self.extra(s, 0);
        s.keyword.span
    }

    /// `KEYWORD [<BOOL>]`: a bare keyword means true.
    pub(crate) fn opt_bool(&mut self, s: &Stmt) -> Option<Sp<bool>> {
        self.no_block(s);
        match s.args.first() {
            None => Some(Spanned::new(true, s.keyword.span)),
            Some(w) => {
                self.extra(s, 1);
                self.bool_word(w, &s.keyword.text)
            }
        }
    }

    /// `on|true|yes` / `off|false|no`.
    pub(crate) fn bool_word(&mut self, w: &Word, kw: &str) -> Option<Sp<bool>> {
        match parse_bool(&w.text) {
            Some(b) => Some(Spanned::new(b, w.span)),
            None => {
                self.push(
                    Diagnostic::error(w.span, format!("invalid boolean '{}' for `{kw}`", w.text))
                        .with_help("use one of on, true, yes, off, false, no (lower case)"),
                );
                None
            }
        }
    }

    /// One integer argument in `min..=max`.
    pub(crate) fn int(&mut self, s: &Stmt, min: i64, max: i64) -> Option<Sp<i64>> {
        self.no_block(s);
        let w = self.arg(s, 0)?;
        self.extra(s, 1);
        self.int_word(w, &s.keyword.text, min, max)
    }

    /// One unsigned argument in `min..=max` (both within u32).
    pub(crate) fn uint(&mut self, s: &Stmt, min: u32, max: u32) -> Option<Sp<u32>> {
        let v = self.int(s, i64::from(min), i64::from(max))?;
        narrow(v)
    }

    /// Parses `w` as a base-10 integer in `min..=max`, reporting keepalived's messages.
    pub(crate) fn int_word(&mut self, w: &Word, kw: &str, min: i64, max: i64) -> Option<Sp<i64>> {
        match parse_int(&w.text) {
            Some(v) if v >= min && v <= max => Some(Spanned::new(v, w.span)),
            Some(_) => {
                self.push(
                    Diagnostic::error(
                        w.span,
                        format!("number '{}' outside range [{min}, {max}]", w.text),
                    )
                    .with_label("out of range")
                    .with_help(format!("{kw} must be between {min} and {max}")),
                );
                None
            }
            None => {
                self.push(
                    Diagnostic::error(w.span, format!("invalid number '{}'", w.text))
                        .with_label("not a base-10 integer")
                        .with_help(format!("{kw} must be an integer between {min} and {max}")),
                );
                None
            }
        }
    }

    /// One decimal-seconds argument (`1`, `0.5`) in `min..=max` microseconds.
    pub(crate) fn seconds(&mut self, s: &Stmt, min_us: u64, max_us: u64) -> Option<Sp<Duration>> {
        self.no_block(s);
        let w = self.arg(s, 0)?;
        self.extra(s, 1);
        self.seconds_word(w, &s.keyword.text, min_us, max_us)
    }

    pub(crate) fn seconds_word(
        &mut self,
        w: &Word,
        kw: &str,
        min_us: u64,
        max_us: u64,
    ) -> Option<Sp<Duration>> {
        let range = || {
            format!(
                "{kw} must be between {} and {} seconds",
                fmt_us(min_us),
                fmt_us(max_us)
            )
        };
        let Some((us, excess)) = parse_decimal_us(&w.text) else {
            self.push(
                Diagnostic::error(w.span, format!("invalid number '{}'", w.text))
                    .with_label("not a decimal number of seconds")
                    .with_help(range()),
            );
            return None;
        };
        if excess {
            self.push(
                Diagnostic::warning(
                    w.span,
                    format!("number '{}' has too many decimal places", w.text),
                )
                .with_help(
                    "at most 6 decimal places (microseconds) are used; the value is rounded",
                ),
            );
        }
        if us < min_us || us > max_us {
            self.push(
                Diagnostic::error(
                    w.span,
                    format!(
                        "number '{}' outside range [{}, {}]",
                        w.text,
                        fmt_us(min_us),
                        fmt_us(max_us)
                    ),
                )
                .with_label("out of range")
                .with_help(range()),
            );
            return None;
        }
        Some(Spanned::new(Duration::from_micros(us), w.span))
    }

    /// An IPv4 or IPv6 address word.
    pub(crate) fn ip_word(&mut self, w: &Word, what: &str) -> Option<Sp<IpAddr>> {
        match w.text.parse::<IpAddr>() {
            Ok(a) => Some(Spanned::new(a, w.span)),
            Err(_) => {
                self.push(
                    Diagnostic::error(
                        w.span,
                        format!("invalid IP address '{}' for {what}", w.text),
                    )
                    .with_label("not an IPv4 or IPv6 address"),
                );
                None
            }
        }
    }

    /// A keyword with one address argument.
    pub(crate) fn ip(&mut self, s: &Stmt) -> Option<Sp<IpAddr>> {
        self.no_block(s);
        let w = self.arg(s, 0)?;
        self.extra(s, 1);
        match w.text.parse::<IpAddr>() {
            Ok(a) => Some(Spanned::new(a, w.span)),
            Err(_) => self.ip_word(w, &format!("`{}`", s.keyword.text)),
        }
    }

    /// `ADDR[/PREFIX]`; without a prefix the host prefix (/32 or /128) is used. Returns the
    /// net and whether the prefix was written.
    pub(crate) fn net_word(&mut self, w: &Word, what: &str) -> Option<(Sp<IpNet>, bool)> {
        // A byte search: `split_once('/')` cost more than parsing the address itself.
        let text = w.text.as_str();
        let (addr_text, prefix_text) = match text.bytes().position(|b| b == b'/') {
            Some(i) => (
                text.get(..i).unwrap_or(""),
                Some(text.get(i + 1..).unwrap_or("")),
            ),
            None => (text, None),
        };
        let Ok(addr) = addr_text.parse::<IpAddr>() else {
            self.push(
                Diagnostic::error(
                    w.span,
                    format!("invalid IP address '{}' for {what}", w.text),
                )
                .with_label("not an IPv4 or IPv6 address")
                .with_help("write ADDRESS or ADDRESS/PREFIX, e.g. 192.168.1.10/24"),
            );
            return None;
        };
        let max = Family::of(&addr).max_prefix();
        let prefix = match prefix_text {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max => n,
                _ => {
                    self.push(
                        Diagnostic::error(
                            w.span,
                            format!("invalid address prefix len {p} for address {addr_text}"),
                        )
                        .with_label("bad prefix length")
                        .with_help(format!("the prefix length must be between 0 and {max}")),
                    );
                    return None;
                }
            },
        };
        Some((
            Spanned::new(IpNet { addr, prefix }, w.span),
            prefix_text.is_some(),
        ))
    }
}

use crate::config::span::Span;

/// Narrows an i64 already range-checked to u32 bounds.
pub(crate) fn narrow<T: TryFrom<i64>>(v: Sp<i64>) -> Option<Sp<T>> {
    T::try_from(v.value).ok().map(|x| Spanned::new(x, v.span))
}

pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "on" | "true" | "yes" => Some(true),
        "off" | "false" | "no" => Some(false),
        _ => None,
    }
}

/// Base-10 integer with an optional sign; no trailing garbage (`3x` is rejected as under `-t`).
pub(crate) fn parse_int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<i64>().ok()
}

/// `[+]DIGITS[.DIGITS]` seconds to microseconds, rounding beyond 6 decimal places. Returns
/// (microseconds, had too many decimals). Negative values are rejected.
pub(crate) fn parse_decimal_us(text: &str) -> Option<(u64, bool)> {
    let t = text.strip_prefix('+').unwrap_or(text);
    let (int_part, frac_part) = match t.split_once('.') {
        Some((i, f)) => (i, f),
        None => (t, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: u64 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().ok()?
    };
    let mut us = whole.checked_mul(1_000_000)?;
    let mut scale = 100_000u64;
    for b in frac_part.bytes().take(6) {
        us = us.checked_add(u64::from(b - b'0') * scale)?;
        scale /= 10;
    }
    let excess = frac_part.len() > 6;
    if excess {
        if let Some(b) = frac_part.as_bytes().get(6) {
            if *b >= b'5' {
                us = us.checked_add(1)?;
            }
        }
    }
    Some((us, excess))
}

/// Microseconds as a short decimal number of seconds (`1.5`, `0.01`, `255`).
pub(crate) fn fmt_us(us: u64) -> String {
    let whole = us / 1_000_000;
    let frac = us % 1_000_000;
    if frac == 0 {
        whole.to_string()
    } else {
        let f = format!("{frac:06}");
        format!("{whole}.{}", f.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(parse_int("120"), Some(120));
        assert_eq!(parse_int("-20"), Some(-20));
        assert_eq!(parse_int("3x"), None);
        assert_eq!(parse_int(""), None);
        assert_eq!(parse_int("-"), None);
        assert_eq!(parse_int("99999999999999999999999"), None);
    }

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal_us("1"), Some((1_000_000, false)));
        assert_eq!(parse_decimal_us("1.5"), Some((1_500_000, false)));
        assert_eq!(parse_decimal_us(".25"), Some((250_000, false)));
        assert_eq!(parse_decimal_us("0.0000015"), Some((2, true)));
        assert_eq!(parse_decimal_us("-1"), None);
        assert_eq!(parse_decimal_us("1.2.3"), None);
        assert_eq!(parse_decimal_us("."), None);
        assert_eq!(fmt_us(10_000), "0.01");
        assert_eq!(fmt_us(255_000_000), "255");
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("yes"), Some(true));
        assert_eq!(parse_bool("off"), Some(false));
        assert_eq!(parse_bool("Yes"), None);
    }
}
