//! Just enough of the shell's word rules to see which commands a script line runs.
//!
//! This is not a shell parser: it reads one line, splits it into simple commands at `;`, `&`,
//! `|`, `(` and `)`, removes quotes, and scans the inside of `$( )` and backticks as commands
//! of their own, attached to the word they appear in (so `kill $(pidof keepalived)` is one
//! `kill` whose argument ran `pidof keepalived`). Anything it does not understand becomes
//! plain word text, which at worst hides a finding; it never fails.

/// One shell word: its text with quotes and escapes removed, and its byte range in the
/// scanned line (quotes included).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub start: usize,
    pub end: usize,
    /// The word follows `>` or `<`: a redirection target, not an argument.
    pub redirect: bool,
    /// Commands run by `$( )` or backticks inside this word.
    pub subs: Vec<Command>,
}

/// A simple command: the words between two operators.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Command {
    pub words: Vec<Word>,
    /// Its standard input is the previous command's output (`a | b`).
    pub piped: bool,
}

/// The commands of one line (comments skipped).
pub fn commands(line: &str) -> Vec<Command> {
    let mut s = Scanner {
        src: line,
        pos: 0,
        nesting: 0,
    };
    s.commands(None)
}

/// Deeper substitutions are not scanned: a line of `$($($(...` from a hostile file must not
/// exhaust the stack (real scripts nest two or three levels).
const MAX_NESTING: usize = 16;

struct Scanner<'a> {
    src: &'a str,
    pos: usize,
    /// How many substitutions enclose the current position.
    nesting: usize,
}

/// The commands being collected by one [`Scanner::commands`] call.
#[derive(Default)]
struct Builder {
    done: Vec<Command>,
    cur: Command,
    word: Option<Word>,
    /// The next word is a redirection target.
    redirect: bool,
}

impl Builder {
    fn word_at(&mut self, pos: usize) -> &mut Word {
        let redirect = self.redirect;
        self.word.get_or_insert_with(|| Word {
            start: pos,
            end: pos,
            redirect,
            ..Word::default()
        })
    }

    fn end_word(&mut self) {
        if let Some(w) = self.word.take() {
            self.redirect = false;
            self.cur.words.push(w);
        }
    }

    fn end_command(&mut self, next_piped: bool) {
        self.end_word();
        self.redirect = false;
        let cmd = std::mem::take(&mut self.cur);
        if !cmd.words.is_empty() {
            self.done.push(cmd);
        }
        self.cur.piped = next_piped;
    }

    fn finish(mut self) -> Vec<Command> {
        self.end_command(false);
        self.done
    }
}

impl Scanner<'_> {
    /// The commands of a substitution whose opener was just consumed; past [`MAX_NESTING`]
    /// the rest of the line is skipped.
    fn substitution(&mut self, close: char) -> Vec<Command> {
        if self.nesting >= MAX_NESTING {
            self.pos = self.src.len();
            return Vec::new();
        }
        self.nesting += 1;
        let cmds = self.commands(Some(close));
        self.nesting -= 1;
        cmds
    }

    fn peek(&self) -> Option<char> {
        self.src.get(self.pos..).and_then(|r| r.chars().next())
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.src.get(self.pos..).and_then(|r| r.chars().nth(ahead))
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Reads commands until the end of the line or the unmatched `close` (`)` of `$(`, or a
    /// backtick), which is consumed.
    fn commands(&mut self, close: Option<char>) -> Vec<Command> {
        let mut b = Builder::default();
        // Open `(` inside a `$(`: their `)` must not end the substitution.
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            let start = self.pos;
            match c {
                ')' if close == Some(')') && depth == 0 => {
                    self.bump();
                    break;
                }
                '`' if close == Some('`') => {
                    self.bump();
                    break;
                }
                ' ' | '\t' | '\r' => {
                    self.bump();
                    b.end_word();
                }
                '#' if b.word.is_none() => {
                    // A comment runs to the end of the line, past any open substitution.
                    self.pos = self.src.len();
                }
                '<' | '>' => {
                    self.redirection(&mut b);
                }
                '&' if self.peek_at(1) == Some('>') => {
                    self.bump();
                    self.redirection(&mut b);
                }
                ';' | '&' | '|' | '(' | ')' | '\n' => {
                    self.bump();
                    let pipe = c == '|' && self.peek() != Some('|');
                    if c == '|' && !pipe {
                        self.bump();
                    }
                    match c {
                        '(' => depth += 1,
                        ')' => depth = depth.saturating_sub(1),
                        _ => {}
                    }
                    b.end_command(pipe);
                }
                '\'' => {
                    self.bump();
                    let text = self.until('\'');
                    let w = b.word_at(start);
                    w.text.push_str(&text);
                    w.end = self.pos;
                }
                '"' => {
                    self.bump();
                    b.word_at(start);
                    self.double_quoted(&mut b);
                }
                '\\' => {
                    self.bump();
                    let next = self.bump();
                    let w = b.word_at(start);
                    w.text.extend(next);
                    w.end = self.pos;
                }
                '`' => {
                    self.bump();
                    let subs = self.substitution('`');
                    let w = b.word_at(start);
                    w.subs.extend(subs);
                    w.end = self.pos;
                }
                '$' if self.peek_at(1) == Some('(') => {
                    self.pos += 2;
                    let subs = self.substitution(')');
                    let w = b.word_at(start);
                    w.subs.extend(subs);
                    w.end = self.pos;
                }
                _ => {
                    self.bump();
                    let w = b.word_at(start);
                    w.text.push(c);
                    w.end = self.pos;
                }
            }
        }
        b.finish()
    }

    /// `>`, `>>`, `>&`, `<`, `<<`, `>|`, with an fd number glued before it (`2>`): ends the
    /// current word and marks the next one as the target. A `<(` or `>(` process
    /// substitution is scanned like `$(`.
    fn redirection(&mut self, b: &mut Builder) {
        let start = self.pos;
        if b.word.as_ref().is_some_and(|w| {
            w.subs.is_empty() && !w.text.is_empty() && w.text.bytes().all(|x| x.is_ascii_digit())
        }) {
            b.word = None;
        }
        b.end_word();
        self.bump();
        if self.peek() == Some('(') {
            self.bump();
            let subs = self.substitution(')');
            let w = b.word_at(start);
            w.subs.extend(subs);
            w.end = self.pos;
            b.end_word();
            return;
        }
        while matches!(self.peek(), Some('>' | '<' | '&' | '|')) {
            self.bump();
        }
        b.redirect = true;
    }

    /// The rest of a `"..."` word, after the opening quote: `\` escapes `$`, `` ` ``, `"`, `\`;
    /// substitutions are scanned.
    fn double_quoted(&mut self, b: &mut Builder) {
        while let Some(c) = self.peek() {
            match c {
                '"' => {
                    self.bump();
                    break;
                }
                '\\' if matches!(self.peek_at(1), Some('$' | '`' | '"' | '\\')) => {
                    self.bump();
                    if let (Some(next), Some(w)) = (self.bump(), b.word.as_mut()) {
                        w.text.push(next);
                    }
                }
                '`' => {
                    self.bump();
                    let subs = self.substitution('`');
                    if let Some(w) = b.word.as_mut() {
                        w.subs.extend(subs);
                    }
                }
                '$' if self.peek_at(1) == Some('(') => {
                    self.pos += 2;
                    let subs = self.substitution(')');
                    if let Some(w) = b.word.as_mut() {
                        w.subs.extend(subs);
                    }
                }
                _ => {
                    self.bump();
                    if let Some(w) = b.word.as_mut() {
                        w.text.push(c);
                    }
                }
            }
        }
        if let Some(w) = b.word.as_mut() {
            w.end = self.pos;
        }
    }

    /// Text up to (not including) `end`, which is consumed; the rest of the line if absent.
    fn until(&mut self, end: char) -> String {
        let rest = self.src.get(self.pos..).unwrap_or("");
        match rest.find(end) {
            Some(i) => {
                self.pos += i + end.len_utf8();
                rest.get(..i).unwrap_or("").to_string()
            }
            None => {
                self.pos = self.src.len();
                rest.to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(c: &Command) -> Vec<&str> {
        c.words.iter().map(|w| w.text.as_str()).collect()
    }

    #[test]
    fn operators_split_commands_and_quotes_are_removed() {
        let cmds = commands(r#"a 'b c' "d e"; f && g | h # i j"#);
        let all: Vec<Vec<&str>> = cmds.iter().map(texts).collect();
        assert_eq!(
            all,
            vec![vec!["a", "b c", "d e"], vec!["f"], vec!["g"], vec!["h"]]
        );
        assert!(cmds[3].piped && !cmds[2].piped);
    }

    #[test]
    fn hash_inside_a_word_is_not_a_comment() {
        let cmds = commands("echo a#b");
        assert_eq!(texts(&cmds[0]), vec!["echo", "a#b"]);
    }

    #[test]
    fn substitutions_belong_to_their_word() {
        let line = "kill -9 $(pidof keepalived) `pgrep x`";
        let cmds = commands(line);
        assert_eq!(cmds.len(), 1);
        let w = &cmds[0].words[2];
        assert_eq!(&line[w.start..w.end], "$(pidof keepalived)");
        assert_eq!(texts(&w.subs[0]), vec!["pidof", "keepalived"]);
        let w = &cmds[0].words[3];
        assert_eq!(&line[w.start..w.end], "`pgrep x`");
        assert_eq!(texts(&w.subs[0]), vec!["pgrep", "x"]);
    }

    #[test]
    fn nested_parens_and_quoted_substitutions() {
        let cmds = commands(r#"x="$( (pidof a) )" y"#);
        assert_eq!(texts(&cmds[0]), vec!["x=", "y"]);
        assert_eq!(texts(&cmds[0].words[0].subs[0]), vec!["pidof", "a"]);
    }

    #[test]
    fn redirections_are_marked() {
        let cmds = commands("killall keepalived >/dev/null 2>&1");
        let w = &cmds[0].words;
        assert_eq!(
            texts(&cmds[0]),
            vec!["killall", "keepalived", "/dev/null", "1"]
        );
        assert!(!w[1].redirect && w[2].redirect && w[3].redirect);
    }

    #[test]
    fn deep_nesting_is_cut_off() {
        let line = "$(".repeat(100_000) + "pidof keepalived" + &")".repeat(100_000);
        let cmds = commands(&line);
        assert_eq!(cmds.len(), 1);
        let line = "kill $(kill $(kill $(kill $(kill $(kill $(kill $(kill $(x))))))))".repeat(3);
        let _ = commands(&line);
    }

    #[test]
    fn unterminated_things_end_at_the_line_end() {
        for line in [
            "a 'b", "a \"b", "a $(b", "a `b", "a \\", "a >", "$(", "\"$(",
        ] {
            let _ = commands(line);
        }
    }
}
