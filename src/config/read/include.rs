//! `include` and its checking variants (docs/keepalived-compat.md#include-files): keyword table,
//! `include_check` flags, csh brace expansion and path helpers. Reading the included files is
//! the expander's include step (`expand.rs`).

use std::path::{Component, Path, PathBuf};

/// The include checks (`include_check` in global_defs, the `includeX` variants,
/// `-e/--all-config`). A failed check is an error instead of a warning.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checks {
    /// A matched file must be a readable, regular, non-executable file.
    pub readable: bool,
    /// A pattern without wildcards must match a file.
    pub match_: bool,
    /// A pattern with wildcards must match at least one file.
    pub wildcard_match: bool,
    /// Every alternative of a `{a,b}` expression must match.
    pub brace_match: bool,
}

impl Checks {
    pub const NONE: Checks = Checks {
        readable: false,
        match_: false,
        wildcard_match: false,
        brace_match: false,
    };
    pub const ALL: Checks = Checks {
        readable: true,
        match_: true,
        wildcard_match: true,
        brace_match: true,
    };

    pub fn union(self, o: Checks) -> Checks {
        Checks {
            readable: self.readable || o.readable,
            match_: self.match_ || o.match_,
            wildcard_match: self.wildcard_match || o.wildcard_match,
            brace_match: self.brace_match || o.brace_match,
        }
    }

    fn set(&mut self, option: &str, on: bool) -> bool {
        match option {
            "readable" => self.readable = on,
            "match" => self.match_ = on,
            "wildcard_match" => self.wildcard_match = on,
            "brace_match" => self.brace_match = on,
            _ => return false,
        }
        // "match, wildcard_match and brace_match include the readable check" (man page).
        if on && option != "readable" {
            self.readable = true;
        }
        true
    }

    /// Applies `include_check [OPTIONS]` to the current checks. A bare `include_check`
    /// enables everything; `+opt`/`-opt` add or remove one check, a plain `opt` adds it.
    /// Returns the options that were not recognised.
    pub fn apply<'w>(self, options: &[&'w str]) -> (Checks, Vec<&'w str>) {
        if options.is_empty() {
            return (Checks::ALL, Vec::new());
        }
        let mut c = self;
        let mut unknown = Vec::new();
        for &o in options {
            let (on, opt) = match o.strip_prefix('-') {
                Some(rest) => (false, rest),
                None => (true, o.strip_prefix('+').unwrap_or(o)),
            };
            if !c.set(opt, on) {
                unknown.push(o);
            }
        }
        (c, unknown)
    }
}

/// The include keyword family, with the checks each adds to the current level.
pub fn include_keyword(word: &str) -> Option<Checks> {
    let mut c = Checks::NONE;
    match word {
        "include" => {}
        "includer" => c.readable = true,
        "includem" => {
            c.match_ = true;
            c.readable = true;
        }
        "includew" => {
            c.wildcard_match = true;
            c.readable = true;
        }
        "includeb" => {
            c.brace_match = true;
            c.readable = true;
        }
        "includea" => c = Checks::ALL,
        _ => return None,
    }
    Some(c)
}

/// The pattern has glob wildcards (`*`, `?`, `[`).
pub fn has_wildcard(pattern: &str) -> bool {
    pattern.bytes().any(|b| matches!(b, b'*' | b'?' | b'['))
}

/// The brace expression gave more than the allowed number of patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyAlternatives;

/// csh-style brace expansion, as glob(3) `GLOB_BRACE`: `a{b,c{d,e}}f` ->
/// `abf acdf acef`. A `{` without a matching `}` or without a comma at its level is kept
/// literally; `{}` is literal too.
pub fn brace_expand(pattern: &str, limit: usize) -> Result<Vec<String>, TooManyAlternatives> {
    let mut out = Vec::new();
    expand_into(pattern, limit, &mut out, 0)?;
    Ok(out)
}

fn expand_into(
    pattern: &str,
    limit: usize,
    out: &mut Vec<String>,
    depth: usize,
) -> Result<(), TooManyAlternatives> {
    if depth > 64 {
        push_limited(out, pattern.to_string(), limit)?;
        return Ok(());
    }
    let Some((open, close, commas)) = first_group(pattern) else {
        return push_limited(out, pattern.to_string(), limit);
    };
    let prefix = pattern.get(..open).unwrap_or("");
    let suffix = pattern.get(close + 1..).unwrap_or("");
    let mut from = open + 1;
    for cut in commas.into_iter().chain(std::iter::once(close)) {
        let alt = pattern.get(from..cut).unwrap_or("");
        expand_into(&format!("{prefix}{alt}{suffix}"), limit, out, depth + 1)?;
        from = cut + 1;
    }
    Ok(())
}

fn push_limited(out: &mut Vec<String>, s: String, limit: usize) -> Result<(), TooManyAlternatives> {
    if out.len() >= limit {
        return Err(TooManyAlternatives);
    }
    out.push(s);
    Ok(())
}

/// The first `{` that has a matching `}` and a comma at its own level: its position, the
/// closing position and the top-level comma positions.
fn first_group(p: &str) -> Option<(usize, usize, Vec<usize>)> {
    let bytes = p.as_bytes();
    let mut start = 0;
    while let Some(open) = bytes
        .iter()
        .skip(start)
        .position(|&b| b == b'{')
        .map(|n| n + start)
    {
        let mut depth = 0usize;
        let mut commas = Vec::new();
        let mut close = None;
        for (i, &b) in bytes.iter().enumerate().skip(open) {
            match b {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(i);
                        break;
                    }
                }
                b',' if depth == 1 => commas.push(i),
                _ => {}
            }
        }
        match close {
            Some(c) if !commas.is_empty() => return Some((open, c, commas)),
            Some(_) => start = open + 1,
            None => return None,
        }
    }
    None
}

/// Joins a relative pattern to the directory of the including file, escaping glob
/// characters in the directory (keepalived `chdir()`s there instead).
pub fn resolve(dir: Option<&Path>, pattern: &str) -> String {
    match dir {
        Some(d) if !pattern.starts_with('/') && !d.as_os_str().is_empty() => {
            let d = d.to_string_lossy();
            let escaped = glob::Pattern::escape(&d);
            if escaped.ends_with('/') {
                format!("{escaped}{pattern}")
            } else {
                format!("{escaped}/{pattern}")
            }
        }
        _ => pattern.to_string(),
    }
}

/// Lexically normalised path (`.` removed, `..` folded), to recognise include cycles.
pub fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces() {
        let e = |p: &str| brace_expand(p, 100).unwrap();
        assert_eq!(e("a{b,c}d"), ["abd", "acd"]);
        assert_eq!(
            e("{foo/{,cat,dog},bar}"),
            ["foo/", "foo/cat", "foo/dog", "bar"]
        );
        assert_eq!(e("x{a,b}{1,2}"), ["xa1", "xa2", "xb1", "xb2"]);
        assert_eq!(e("plain"), ["plain"]);
        assert_eq!(e("a{b}c"), ["a{b}c"]);
        assert_eq!(e("a{}c"), ["a{}c"]);
        assert_eq!(e("a{b,c"), ["a{b,c"]);
        assert_eq!(e("{x}{a,b}"), ["{x}a", "{x}b"]);
    }

    #[test]
    fn brace_bombs_are_bounded() {
        let p = "{a,b}".repeat(20);
        assert_eq!(brace_expand(&p, 1024), Err(TooManyAlternatives));
        let deep = format!("{}x{}", "{a,".repeat(200), "}".repeat(200));
        assert!(brace_expand(&deep, 1024).is_ok());
    }

    #[test]
    fn checks() {
        assert_eq!(Checks::NONE.apply(&[]), (Checks::ALL, vec![]));
        let (c, bad) = Checks::NONE.apply(&["+match", "-readable", "bogus"]);
        assert!(c.match_ && !c.readable && !c.wildcard_match);
        assert_eq!(bad, ["bogus"]);
        let (c, _) = Checks::ALL.apply(&["-wildcard_match"]);
        assert!(c.match_ && c.readable && !c.wildcard_match && c.brace_match);
        assert_eq!(include_keyword("includea"), Some(Checks::ALL));
        assert_eq!(include_keyword("include"), Some(Checks::NONE));
        assert_eq!(include_keyword("includet"), None);
    }

    #[test]
    fn paths() {
        assert_eq!(
            resolve(Some(Path::new("/etc/k")), "a/*.conf"),
            "/etc/k/a/*.conf"
        );
        assert_eq!(resolve(Some(Path::new("/etc/k")), "/abs"), "/abs");
        assert_eq!(resolve(Some(Path::new("")), "rel"), "rel");
        assert_eq!(resolve(Some(Path::new("/d[1]")), "x"), "/d[[]1[]]/x");
        assert_eq!(
            normalise(Path::new("/etc/./k/../k/a.conf")),
            PathBuf::from("/etc/k/a.conf")
        );
        assert!(has_wildcard("*.conf") && !has_wildcard("a.conf"));
    }
}
