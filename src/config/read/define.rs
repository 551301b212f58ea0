//! `$NAME=VALUE` definitions and `$NAME` / `${NAME}` substitution
//! (docs/keepalived-compat.md#parameter-definitions).
//!
//! ```text
//! definition := '$' name '=' blank* value           (no blank before '=')
//! name       := [A-Za-z_] [A-Za-z0-9_]*
//! use        := '$' name &(blank | ',' | ')' | EOL)
//!             | '${' name (' '* digit+)* '}'        (parameters only for _RANDOM)
//! ```
//!
//! Substitution happens when a line is used, rescans the replaced text (so it is recursive
//! and a value may end in a half use completed by the text after it, as in keepalived),
//! and is bounded by [`Limits`]. A multi-line definition is only replaced when its use ends
//! the line: its first stored line replaces the use and the others are returned to be fed
//! as separate lines after it.

use std::collections::HashMap;

use nom::bytes::complete::take_while;
use nom::character::complete::{char, satisfy, space0};
use nom::combinator::recognize;
use nom::sequence::pair;
use nom::{IResult, Parser};

use super::limits::Limits;
use super::line::Line;
use crate::config::span::Span;

/// What a name stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefValue {
    /// A user definition: one line, or several for a multi-line definition.
    Text { lines: Vec<String>, multiline: bool },
    /// `${_PWD}`: directory of the file being read.
    Pwd,
    /// `${_INSTANCE}`: the config id.
    Instance,
    /// `${_RANDOM [MIN [MAX]]}`.
    Random,
    /// `${_HASH}` = `#`.
    Hash,
    /// `${_BANG}` = `!`.
    Bang,
}

/// Deterministic pseudo-random numbers for `${_RANDOM}` (splitmix64; the caller supplies
/// the seed, so the module stays pure and tests are reproducible).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `min..=max` (the bounds are swapped when reversed).
    pub fn range(&mut self, min: u64, max: u64) -> u64 {
        let (lo, hi) = if min <= max { (min, max) } else { (max, min) };
        match (hi - lo).checked_add(1) {
            Some(n) => lo + self.next_u64() % n,
            None => self.next_u64(),
        }
    }
}

/// Values of the predefined names that depend on where the line is read.
pub struct Context<'a> {
    pub pwd: &'a str,
    pub instance: &'a str,
}

/// Why substitution stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubstError {
    /// More than `max_substitutions` replacements: a definition that uses itself.
    TooMany,
    /// The line grew by more than `max_line_bytes`.
    TooLong,
}

/// The definition table. Definitions are global and stay defined after the file that made
/// them (as in keepalived); the loop variable of a `~SEQ` keeps its last value.
#[derive(Clone, Debug)]
pub struct Defs {
    map: HashMap<String, DefValue>,
}

impl Default for Defs {
    fn default() -> Defs {
        Defs::new()
    }
}

/// `name := [A-Za-z_][A-Za-z0-9_]*`
pub fn name(i: &str) -> IResult<&str, &str> {
    recognize(pair(
        satisfy(|c| c.is_ascii_alphabetic() || c == '_'),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    ))
    .parse(i)
}

/// A parsed `$NAME=VALUE` line.
#[derive(Debug, PartialEq, Eq)]
pub struct Definition<'t> {
    pub name: &'t str,
    /// The value after the blanks following `=`, with a final `\` and the blanks before it
    /// removed when `multiline`.
    pub value: &'t str,
    pub multiline: bool,
}

/// Recognises a definition line (the line is already decommented and trimmed).
pub fn definition(text: &str) -> Option<Definition<'_>> {
    let parsed: IResult<&str, (&str, &str)> = (|i| {
        let (i, _) = char('$').parse(i)?;
        let (i, n) = name(i)?;
        let (i, _) = char('=').parse(i)?;
        let (i, _) = space0.parse(i)?;
        Ok((i, (n, i)))
    })(text);
    let (_, (name, value)) = parsed.ok()?;
    match value.strip_suffix('\\') {
        Some(v) => Some(Definition {
            name,
            value: v.trim_end_matches([' ', '\t']),
            multiline: true,
        }),
        None => Some(Definition {
            name,
            value,
            multiline: false,
        }),
    }
}

/// One `$NAME` or `${NAME ...}` found in a line.
struct Use<'t> {
    name: &'t str,
    /// Bytes of the use in the line, relative to the `$`.
    len: usize,
    /// `${_RANDOM MIN MAX}` parameters.
    params: Vec<u64>,
}

/// Parses a use at the start of `rest` (which begins with `$`).
fn parse_use(rest: &str) -> Option<Use<'_>> {
    let after = rest.strip_prefix('$')?;
    if let Some(inner) = after.strip_prefix('{') {
        let (tail, n) = name(inner).ok()?;
        let close = tail.find('}')?;
        let params_text = tail.get(..close)?;
        if !params_text.bytes().all(|b| b == b' ' || b.is_ascii_digit())
            || params_text.ends_with(' ')
        {
            return None;
        }
        let params = params_text
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<u64>().unwrap_or(u64::MAX))
            .collect();
        // `$` `{` name params `}`
        let len = 2 + n.len() + close + 1;
        return Some(Use {
            name: n,
            len,
            params,
        });
    }
    let (tail, n) = name(after).ok()?;
    match tail.bytes().next() {
        None | Some(b' ' | b'\t' | b',' | b')') => Some(Use {
            name: n,
            len: 1 + n.len(),
            params: Vec::new(),
        }),
        _ => None,
    }
}

impl Defs {
    /// The table with the predefined names.
    pub fn new() -> Defs {
        let mut map = HashMap::new();
        map.insert("_PWD".to_string(), DefValue::Pwd);
        map.insert("_INSTANCE".to_string(), DefValue::Instance);
        map.insert("_RANDOM".to_string(), DefValue::Random);
        map.insert("_HASH".to_string(), DefValue::Hash);
        map.insert("_BANG".to_string(), DefValue::Bang);
        Defs { map }
    }

    /// Defines (or redefines, overriding a predefined name) `name`.
    pub fn set(&mut self, name: &str, lines: Vec<String>, multiline: bool) {
        self.map
            .insert(name.to_string(), DefValue::Text { lines, multiline });
    }

    /// Appends one continuation line to a multi-line definition.
    pub fn push_line(&mut self, name: &str, line: String) {
        if let Some(DefValue::Text { lines, .. }) = self.map.get_mut(name) {
            lines.push(line);
        }
    }

    pub fn get(&self, name: &str) -> Option<&DefValue> {
        self.map.get(name)
    }

    /// Replaces every use in `line`. Returns whether anything changed, plus the remaining
    /// lines of a multi-line definition used at the end of the line (to be fed after it).
    pub fn substitute(
        &self,
        line: &mut Line<'_>,
        cx: &Context<'_>,
        rng: &mut Rng,
        limits: &Limits,
    ) -> Result<(bool, Vec<(String, Span)>), SubstError> {
        let mut more: Vec<(String, Span)> = Vec::new();
        let mut count = 0usize;
        // A line may already be long; it may grow by at most `max_line_bytes`.
        let cap = line.len().saturating_add(limits.max_line_bytes);
        let mut pos = 0usize;
        while let Some(off) = line.text.get(pos..).and_then(|t| t.find('$')) {
            let at = pos + off;
            let Some(u) = line.text.get(at..).and_then(parse_use) else {
                pos = at + 1;
                continue;
            };
            let at_end = at + u.len == line.len();
            let value: String = match self.map.get(u.name) {
                None => {
                    pos = at + 1;
                    continue;
                }
                Some(DefValue::Text {
                    multiline: true, ..
                }) if !at_end => {
                    pos = at + 1;
                    continue;
                }
                Some(_) if !u.params.is_empty() && u.name != "_RANDOM" => {
                    pos = at + 1;
                    continue;
                }
                Some(DefValue::Text { lines, multiline }) => {
                    if *multiline {
                        let span = line.span_of(at..at + u.len);
                        let rest = lines.iter().skip(1).map(|l| (l.clone(), span));
                        more.splice(0..0, rest);
                    }
                    lines.first().cloned().unwrap_or_default()
                }
                Some(DefValue::Pwd) => cx.pwd.to_string(),
                Some(DefValue::Instance) => cx.instance.to_string(),
                Some(DefValue::Random) => {
                    let min = u.params.first().copied().unwrap_or(0);
                    let max = u.params.get(1).copied().unwrap_or(32767);
                    rng.range(min, max).to_string()
                }
                Some(DefValue::Hash) => "#".to_string(),
                Some(DefValue::Bang) => "!".to_string(),
            };
            count += 1;
            if count > limits.max_substitutions {
                return Err(SubstError::TooMany);
            }
            if line.len() - u.len + value.len() > cap {
                return Err(SubstError::TooLong);
            }
            let span = line.span_of(at..at + u.len);
            line.splice(at..at + u.len, &value, Some(span));
            // keepalived stops at a value starting with `~`: the rest of the line belongs
            // to a `~SEQ` whose variable is not set yet.
            if value.trim_start_matches([' ', '\t']).starts_with('~') {
                break;
            }
            // Rescan from the replacement: recursive, as in keepalived.
            pos = at;
        }
        Ok((count > 0, more))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::span::FileId;

    fn subst(defs: &Defs, text: &str) -> Result<(String, Vec<String>), SubstError> {
        let mut l = Line::from_source(FileId(0), 0, text);
        let cx = Context {
            pwd: "/etc/keepalived",
            instance: "lb1",
        };
        let (_, more) = defs.substitute(&mut l, &cx, &mut Rng::new(1), &Limits::default())?;
        Ok((
            l.text.into_owned(),
            more.into_iter().map(|(t, _)| t).collect(),
        ))
    }

    fn one(v: &str) -> Vec<String> {
        vec![v.to_string()]
    }

    #[test]
    fn definition_lines() {
        assert_eq!(
            definition("$A=x y"),
            Some(Definition {
                name: "A",
                value: "x y",
                multiline: false
            })
        );
        assert_eq!(definition("$A=   x").map(|d| d.value), Some("x"));
        assert_eq!(definition("$A=").map(|d| d.value), Some(""));
        assert_eq!(definition("$A =x"), None);
        assert_eq!(definition("$1A=x"), None);
        assert_eq!(definition("A=x"), None);
        assert_eq!(
            definition("$M=a b \\"),
            Some(Definition {
                name: "M",
                value: "a b",
                multiline: true
            })
        );
    }

    #[test]
    fn terminators() {
        let mut d = Defs::new();
        d.set("A", one("1"), false);
        d.set("A_suffix", one("S"), false);
        assert_eq!(subst(&d, "x $A y").unwrap().0, "x 1 y");
        assert_eq!(subst(&d, "x $A,$A) $A\t$A").unwrap().0, "x 1,1) 1\t1");
        assert_eq!(subst(&d, "kw_$A_suffix").unwrap().0, "kw_S");
        assert_eq!(subst(&d, "kw_$B|").unwrap().0, "kw_$B|");
        assert_eq!(subst(&d, "10.0.0.$A/24").unwrap().0, "10.0.0.$A/24");
        assert_eq!(subst(&d, "10.0.0.${A}/24").unwrap().0, "10.0.0.1/24");
        assert_eq!(subst(&d, "$A$A").unwrap().0, "$A1");
        assert_eq!(subst(&d, "$UNDEFINED x $").unwrap().0, "$UNDEFINED x $");
    }

    #[test]
    fn recursive_and_late_bound() {
        let mut d = Defs::new();
        d.set("U", one("${V}"), false);
        d.set("V", one("vv"), false);
        assert_eq!(subst(&d, "u_$U").unwrap().0, "u_vv");
    }

    #[test]
    fn predefined_names() {
        let d = Defs::new();
        assert_eq!(
            subst(&d, "${_PWD} ${_INSTANCE} ${_HASH}${_BANG}")
                .unwrap()
                .0,
            "/etc/keepalived lb1 #!"
        );
        assert_eq!(subst(&d, "${_RANDOM 5 5}").unwrap().0, "5");
        let r: u64 = subst(&d, "${_RANDOM}").unwrap().0.parse().unwrap();
        assert!(r <= 32767);
        let r: u64 = subst(&d, "${_RANDOM 10}").unwrap().0.parse().unwrap();
        assert!((10..=32767).contains(&r));
        // Trailing blank inside the braces, or parameters on other names: not a use.
        assert_eq!(subst(&d, "${_RANDOM 1 }").unwrap().0, "${_RANDOM 1 }");
        let mut d = Defs::new();
        d.set("_PWD", one("mine"), false);
        assert_eq!(subst(&d, "$_PWD").unwrap().0, "mine");
    }

    #[test]
    fn multiline_only_at_end_of_line() {
        let mut d = Defs::new();
        d.set("M", vec!["m1 a".into(), "m2 b".into(), "m3 c".into()], true);
        assert_eq!(
            subst(&d, "x$M").unwrap(),
            (
                "xm1 a".to_string(),
                vec!["m2 b".to_string(), "m3 c".to_string()]
            )
        );
        assert_eq!(subst(&d, "$M y").unwrap(), ("$M y".to_string(), vec![]));
    }

    #[test]
    fn substitution_bombs_are_bounded() {
        let mut d = Defs::new();
        d.set("A", one("$A"), false);
        assert_eq!(subst(&d, "$A"), Err(SubstError::TooMany));
        d.set("B", one(&"${B}".repeat(10)), false);
        assert_eq!(subst(&d, "$B"), Err(SubstError::TooLong));
    }

    #[test]
    fn words_from_substitution_point_at_the_use() {
        let mut d = Defs::new();
        d.set("IP", one("10.0.0.1/24 dev eth0"), false);
        let mut l = Line::from_source(FileId(0), 0, "  $IP");
        let cx = Context {
            pwd: "",
            instance: "",
        };
        d.substitute(&mut l, &cx, &mut Rng::new(0), &Limits::default())
            .unwrap();
        assert_eq!(l.text, "  10.0.0.1/24 dev eth0");
        assert_eq!(l.span_of(2..13), Span::new(FileId(0), 2, 5));
    }
}
