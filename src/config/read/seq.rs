//! `~SEQ(...)` and `~LST(...)` line generators (docs/keepalived-compat.md#line-generators).
//!
//! ```text
//! seq     := '~SEQ' 'x'? blank* '(' blank* var blank* (',' number){1,3} blank* ')' blank* text
//! lst     := '~LST' blank* '(' (var | '{' var (',' var)* '}') (',' values)+ ')' blank* text
//! values  := value | '{' value (',' value)* '}'
//! number  := C strtol base 0: [+-]? (0x hex+ | 0 octal* | decimal)
//! ```
//!
//! `~SEQ(v,end)` counts from ±1 with step ±1, `~SEQ(v,start,end)` uses step ±1, and
//! `~SEQ(v,start,step,end)` must step towards `end` (`Invalid ~SEQ values`). `~SEQx` formats
//! in lower-case hex. The text after the header is fed once per value with `$v` defined;
//! it may itself start with another `~SEQ`/`~LST` (nested loops, leftmost outermost).

use nom::bytes::complete::take_till;
use nom::character::complete::{char, space0};
use nom::multi::separated_list1;
use nom::sequence::delimited;
use nom::{IResult, Parser};

use super::define::name;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Seq,
    SeqHex,
    Lst,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Seq | Kind::SeqHex => "~SEQ",
            Kind::Lst => "~LST",
        }
    }
}

/// Where the parts of a generator line are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub kind: Kind,
    /// The text between the parentheses.
    pub args: std::ops::Range<usize>,
    /// Start of the repeated text (after the `)` and blanks).
    pub rest: usize,
}

/// Recognises a generator line. `None`: the line does not start with `~SEQ`/`~LST`;
/// `Some(Err(kind))`: it does but the header is malformed.
pub fn header(text: &str) -> Option<Result<Header, Kind>> {
    let (kind, mut p) = if text.starts_with("~SEQx") {
        (Kind::SeqHex, 5)
    } else if text.starts_with("~SEQ") {
        (Kind::Seq, 4)
    } else if text.starts_with("~LST") {
        (Kind::Lst, 4)
    } else {
        return None;
    };
    let bytes = text.as_bytes();
    while matches!(bytes.get(p), Some(b' ' | b'\t')) {
        p += 1;
    }
    if bytes.get(p) != Some(&b'(') {
        return Some(Err(kind));
    }
    let Some(close) = text.get(p + 1..).and_then(|t| t.find(')')) else {
        return Some(Err(kind));
    };
    let close = p + 1 + close;
    let mut rest = close + 1;
    while matches!(bytes.get(rest), Some(b' ' | b'\t')) {
        rest += 1;
    }
    Some(Ok(Header {
        kind,
        args: p + 1..close,
        rest,
    }))
}

/// A parsed generator: the variables and the values they take, row by row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Loop {
    Seq {
        var: String,
        start: i64,
        step: i64,
        end: i64,
        hex: bool,
    },
    Lst {
        vars: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

/// Why a generator was rejected; [`SeqError::message`] gives keepalived's wording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeqError {
    Definition(Kind),
    Values,
    HexNegative,
}

impl SeqError {
    pub fn message(self, line: &str) -> String {
        match self {
            SeqError::Definition(k) => format!("Invalid {} definition '{line}'", k.as_str()),
            SeqError::Values => format!("Invalid ~SEQ values '{line}'"),
            SeqError::HexNegative => {
                format!("~SEQx is only valid for positive numbers '{line}'")
            }
        }
    }
}

/// C `strtol(s, &end, 0)` over the whole (trimmed) string.
fn c_long(s: &str) -> Option<i64> {
    let s = s.trim_matches([' ', '\t']);
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..)?),
        Some(b'+') => (false, s.get(1..)?),
        _ => (false, s),
    };
    let magnitude = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        i64::from_str_radix(hex, 16).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(digits.get(1..)?, 8).ok()?
    } else {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<i64>().ok()?
    };
    if hex_or_sign_garbage(digits) {
        return None;
    }
    Some(if neg { -magnitude } else { magnitude })
}

/// `from_str_radix` accepts a leading sign; strtol after our own sign does not.
fn hex_or_sign_garbage(digits: &str) -> bool {
    digits
        .bytes()
        .skip(1)
        .any(|b| b == b'+' || b == b'-' || b == b' ')
}

/// One comma-separated item, blanks around it removed.
fn item(i: &str) -> IResult<&str, &str> {
    delimited(space0, take_till(|c| c == ','), space0)
        .map(|s: &str| s.trim_end_matches([' ', '\t']))
        .parse(i)
}

/// Parses the text between the parentheses of `~SEQ(...)` / `~SEQx(...)`.
pub fn parse_seq(args: &str, hex: bool) -> Result<Loop, SeqError> {
    let bad = SeqError::Definition(Kind::Seq);
    let (_, items) = separated_list1(char(','), item)
        .parse(args)
        .map_err(|_| bad)?;
    let (var, nums) = items.split_first().ok_or(bad)?;
    match name(var) {
        Ok(("", _)) => {}
        _ => return Err(bad),
    }
    let nums: Vec<i64> = nums
        .iter()
        .map(|s| c_long(s).ok_or(bad))
        .collect::<Result<_, _>>()?;
    let (start, step, end) = match nums.as_slice() {
        [end] => {
            let end = *end;
            (
                if end < 0 { -1 } else { 1 },
                if end < 1 { -1 } else { 1 },
                end,
            )
        }
        [start, end] => (*start, if start <= end { 1 } else { -1 }, *end),
        [start, step, end] => {
            if *step == 0 || (start < end && *step < 0) || (start > end && *step > 0) {
                return Err(SeqError::Values);
            }
            (*start, *step, *end)
        }
        _ => return Err(bad),
    };
    if hex && (start < 0 || end < 0) {
        return Err(SeqError::HexNegative);
    }
    Ok(Loop::Seq {
        var: (*var).to_string(),
        start,
        step,
        end,
        hex,
    })
}

/// Splits `a, {b, c}, d` at top-level commas.
fn top_level_items(args: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut from = 0;
    for (i, c) in args.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(args.get(from..i).unwrap_or("").trim_matches([' ', '\t']));
                from = i + 1;
            }
            _ => {}
        }
    }
    out.push(args.get(from..).unwrap_or("").trim_matches([' ', '\t']));
    out
}

/// `{a, b}` -> ["a", "b"]; `a` -> ["a"].
fn group(item: &str) -> Option<Vec<String>> {
    match item.strip_prefix('{') {
        Some(inner) => {
            let inner = inner.strip_suffix('}')?;
            let (_, parts) = separated_list1(char(','), item_parser).parse(inner).ok()?;
            Some(parts.into_iter().map(str::to_string).collect())
        }
        None => Some(vec![item.to_string()]),
    }
}

fn item_parser(i: &str) -> IResult<&str, &str> {
    item(i)
}

/// Parses the text between the parentheses of `~LST(...)`.
pub fn parse_lst(args: &str) -> Result<Loop, SeqError> {
    let bad = SeqError::Definition(Kind::Lst);
    let items = top_level_items(args);
    let (vars_item, value_items) = items.split_first().ok_or(bad)?;
    let vars = group(vars_item).ok_or(bad)?;
    if vars.is_empty() || !vars.iter().all(|v| matches!(name(v), Ok(("", _)))) {
        return Err(bad);
    }
    if value_items.is_empty() {
        return Err(bad);
    }
    let mut rows = Vec::with_capacity(value_items.len());
    for it in value_items {
        let row = group(it).ok_or(bad)?;
        if row.len() != vars.len() {
            return Err(bad);
        }
        rows.push(row);
    }
    Ok(Loop::Lst { vars, rows })
}

impl Loop {
    /// How many times the text is repeated.
    pub fn count(&self) -> u128 {
        match self {
            Loop::Seq {
                start, step, end, ..
            } => {
                let (start, step, end) = (*start as i128, *step as i128, *end as i128);
                if step == 0 || (step > 0 && start > end) || (step < 0 && start < end) {
                    return 0;
                }
                ((end - start) / step + 1) as u128
            }
            Loop::Lst { rows, .. } => rows.len() as u128,
        }
    }

    /// The variables and their values for repetition `i` (`i < count()`).
    pub fn row(&self, i: u128) -> Vec<(String, String)> {
        match self {
            Loop::Seq {
                var,
                start,
                step,
                hex,
                ..
            } => {
                let v = (*start as i128) + (i as i128) * (*step as i128);
                let text = if *hex {
                    format!("{v:x}")
                } else {
                    format!("{v}")
                };
                vec![(var.clone(), text)]
            }
            Loop::Lst { vars, rows } => {
                let row = usize::try_from(i).ok().and_then(|i| rows.get(i));
                vars.iter()
                    .cloned()
                    .zip(row.into_iter().flatten().cloned())
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(l: &Loop) -> Vec<String> {
        (0..l.count())
            .map(|i| {
                l.row(i)
                    .into_iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect()
    }

    #[test]
    fn headers() {
        assert_eq!(
            header("~SEQ(n,1,3) seq_${n}"),
            Some(Ok(Header {
                kind: Kind::Seq,
                args: 5..10,
                rest: 12
            }))
        );
        assert_eq!(
            header("~SEQx (h,9,11)x").map(|h| h.map(|h| h.rest)),
            Some(Ok(14))
        );
        assert_eq!(header("~SEQ n"), Some(Err(Kind::Seq)));
        assert_eq!(header("~LST(a"), Some(Err(Kind::Lst)));
        assert_eq!(header("~FOO(a)"), None);
    }

    #[test]
    fn seq_forms() {
        let v = |a: &str| values(&parse_seq(a, false).unwrap());
        assert_eq!(v("n,1,3"), ["n=1", "n=2", "n=3"]);
        assert_eq!(v("m,10,-5,0"), ["m=10", "m=5", "m=0"]);
        assert_eq!(v(" j , 3 "), ["j=1", "j=2", "j=3"]);
        assert_eq!(v("j,0"), ["j=1", "j=0"]);
        assert_eq!(v("j,-2"), ["j=-1", "j=-2"]);
        assert_eq!(v("j,3,1"), ["j=3", "j=2", "j=1"]);
        assert_eq!(v("j,0x10,0x11"), ["j=16", "j=17"]);
        assert_eq!(v("j,010,8"), ["j=8"]);
        assert_eq!(
            values(&parse_seq("h,9,11", true).unwrap()),
            ["h=9", "h=a", "h=b"]
        );
    }

    #[test]
    fn seq_errors() {
        assert_eq!(parse_seq("z,1,0,3", false), Err(SeqError::Values));
        assert_eq!(parse_seq("z,3,1,1", false), Err(SeqError::Values));
        assert_eq!(parse_seq("z,1,-1,3", false), Err(SeqError::Values));
        assert_eq!(parse_seq("h,-1,3", true), Err(SeqError::HexNegative));
        let bad = Err(SeqError::Definition(Kind::Seq));
        assert_eq!(parse_seq("z", false), bad);
        assert_eq!(parse_seq("z,1,2,3,4", false), bad);
        assert_eq!(parse_seq("z,x", false), bad);
        assert_eq!(parse_seq("1z,3", false), bad);
        assert_eq!(parse_seq("z,0x", false), bad);
        assert_eq!(parse_seq("z,1-2", false), bad);
        assert_eq!(
            SeqError::Values.message("~SEQ(z,1,0,3) bad"),
            "Invalid ~SEQ values '~SEQ(z,1,0,3) bad'"
        );
    }

    #[test]
    fn seq_counts_do_not_overflow() {
        let l = parse_seq("i,-9223372036854775807,9223372036854775807", false).unwrap();
        assert_eq!(l.count(), u64::MAX as u128);
    }

    #[test]
    fn lst_forms() {
        assert_eq!(values(&parse_lst("k, a, b").unwrap()), ["k=a", "k=b"]);
        assert_eq!(
            values(&parse_lst("{m,n},{1,2},{3,4}").unwrap()),
            ["m=1,n=2", "m=3,n=4"]
        );
        let bad = Err(SeqError::Definition(Kind::Lst));
        assert_eq!(parse_lst("k"), bad);
        assert_eq!(parse_lst("{m,n},{1}"), bad);
        assert_eq!(parse_lst("{m,n},{1,2"), bad);
        assert_eq!(parse_lst("9k,a"), bad);
    }
}
