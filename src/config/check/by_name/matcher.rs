//! Which simple commands refer to keepalived by name, and what they do with it.
//!
//! Each tool is read the way it reads its own arguments (options first, then names), so only
//! a word in the tool's name position counts: `killall -9 keepalived` is found, `grep
//! keepalived /var/log/syslog`, `echo keepalived` and `/etc/keepalived/keepalived.conf` are not.

use super::shell::{Command, Word};

/// A signal as written (`-9`, `-KILL`, `-s SIGKILL`), by keepalived's meaning of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sig {
    /// SIGTERM, SIGINT: graceful stop.
    Term,
    Kill,
    /// SIGHUP: reload.
    Hup,
    Usr1,
    Usr2,
    /// Signal 0: only tests that the process exists.
    Zero,
    /// keepalived's JSON dump signal (SIGRTMIN+2).
    Json,
    /// keepalived's STATS_CLEAR signal (SIGRTMAX-1).
    StatsClear,
    /// Any other signal, by its name without `SIG`.
    Other(String),
    /// A signal the script computes (`$SIG`), as written; empty when it is a substitution.
    Unknown(String),
}

impl Sig {
    /// Parses `KILL`, `SIGKILL`, `kill`, `9`; `None` for anything that is not a signal.
    pub fn parse(s: &str) -> Option<Sig> {
        let up = s.to_ascii_uppercase();
        let name = up.strip_prefix("SIG").unwrap_or(&up);
        Some(match name {
            "TERM" | "15" | "INT" | "2" => Sig::Term,
            "KILL" | "9" => Sig::Kill,
            "HUP" | "1" => Sig::Hup,
            "USR1" | "10" => Sig::Usr1,
            "USR2" | "12" => Sig::Usr2,
            "0" => Sig::Zero,
            "QUIT" | "3" => Sig::Other("QUIT".into()),
            "STOP" | "19" => Sig::Other("STOP".into()),
            "CONT" | "18" => Sig::Other("CONT".into()),
            "ABRT" | "6" => Sig::Other("ABRT".into()),
            "RTMIN+2" | "36" => Sig::Json,
            "RTMAX-1" | "63" => Sig::StatsClear,
            n if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => Sig::Other(n.into()),
            _ => return None,
        })
    }

    /// The signal `keepalived --signum=NAME` prints.
    pub fn from_signum(name: &str) -> Sig {
        match name {
            "STOP" => Sig::Term,
            "RELOAD" => Sig::Hup,
            "DATA" => Sig::Usr1,
            "STATS" => Sig::Usr2,
            "STATS_CLEAR" => Sig::StatsClear,
            "JSON" => Sig::Json,
            other => Sig::Unknown(format!("$(keepalived --signum={other})")),
        }
    }

    /// The name keepalived's documentation would use (`SIGTERM`, `signal 0`).
    pub fn name(&self) -> String {
        match self {
            Sig::Term => "SIGTERM".into(),
            Sig::Kill => "SIGKILL".into(),
            Sig::Hup => "SIGHUP".into(),
            Sig::Usr1 => "SIGUSR1".into(),
            Sig::Usr2 => "SIGUSR2".into(),
            Sig::Zero => "signal 0".into(),
            Sig::Json => "keepalived's JSON signal".into(),
            Sig::StatsClear => "keepalived's STATS_CLEAR signal".into(),
            Sig::Unknown(t) if t.is_empty() => "the signal the script computes".into(),
            Sig::Unknown(t) => format!("the signal `{t}`"),
            Sig::Other(n) if n.bytes().all(|b| b.is_ascii_digit()) => format!("signal {n}"),
            Sig::Other(n) => format!("SIG{n}"),
        }
    }
}

/// How a `kill` found the process it signals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// `killall`/`pkill`: by process name.
    Name,
    /// `pkill -f keepalived`: by a pattern on the whole command line.
    CommandLine,
    /// `kill $(pidof keepalived)`: by a name lookup.
    Lookup,
    /// `kill $(cat /run/keepalived.pid)`, `pkill -F /run/keepalived.pid`: by pid file.
    PidFile,
}

/// What a command does with keepalived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Sends a signal to keepalived.
    Signal { sig: Sig, target: Target },
    /// Looks keepalived's pid up by process name (`pidof`, `pgrep`, `ps -C`).
    Lookup,
    /// Looks for keepalived in command lines (`pgrep -f`, `ps -ef | grep keepalived`).
    LookupCommandLine,
    /// A service manager acts on keepalived's unit: `verb` as written (`restart`).
    Service { verb: String },
    /// Runs the keepalived binary: `-v`/`--version`, `--signum=NAME`, or anything else.
    Invoke(Invocation),
    /// Reads keepalived's pid file.
    PidFile,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invocation {
    Version,
    Signum(String),
    /// Any other use of the binary, with its arguments as written.
    Other(String),
}

/// A command found, with the byte range (in the scanned text) from its command word through
/// the word that names keepalived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// keepalived's pid file, also reached through the `/var/run` symlink (the second contains
/// the first, but is listed for the reader).
const PID_FILES: [&str; 2] = ["/run/keepalived.pid", "/var/run/keepalived.pid"];

/// Everything `commands` (and the commands inside their substitutions) do with keepalived.
pub fn find(commands: &[Command]) -> Vec<Finding> {
    let mut out = Vec::new();
    // The first command of the current pipeline, for `ps -ef | grep keepalived`.
    let mut head: Option<&Command> = None;
    for cmd in commands {
        let piped_from = if cmd.piped { head } else { None };
        find_in(cmd, piped_from, &mut out);
        if !cmd.piped {
            head = Some(cmd);
        }
    }
    out
}

fn find_in(cmd: &Command, pipeline_head: Option<&Command>, out: &mut Vec<Finding>) {
    // Computed once per word: `classify` looks into them for `kill $(...)`, and they are the
    // findings when the command itself is none (`echo $(pidof keepalived)`).
    let inner: Vec<Vec<Finding>> = cmd.words.iter().map(|w| find(&w.subs)).collect();
    match classify(cmd, pipeline_head, &inner) {
        Some(f) => out.push(f),
        None => out.extend(inner.into_iter().flatten()),
    }
}

fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// `keepalived`, a path to it, or a pgrep pattern anchored on it (`^keepalived$`).
fn is_keepalived(word: &str) -> bool {
    let w = word.strip_prefix('^').unwrap_or(word);
    let w = w.strip_suffix('$').unwrap_or(w);
    basename(w) == "keepalived"
}

fn is_pid_file(word: &str) -> bool {
    PID_FILES.iter().any(|p| word.contains(p))
}

/// Index of the command word, past assignments, shell keywords and wrappers like `sudo`.
fn program(words: &[Word]) -> Option<usize> {
    let mut i = 0;
    while let Some(w) = words.get(i) {
        let t = w.text.as_str();
        let is_assignment = t.split_once('=').is_some_and(|(n, _)| is_name(n));
        match t {
            _ if w.redirect || is_assignment => i += 1,
            "if" | "then" | "else" | "elif" | "do" | "while" | "until" | "!" | "{" | "time"
            | "exec" | "nohup" | "command" | "builtin" => i += 1,
            "sudo" | "env" | "nice" | "timeout" | "ionice" | "setsid" => {
                i += 1;
                // Their options; the ones that take a value, and timeout's duration.
                while let Some(o) = words.get(i) {
                    let o = o.text.as_str();
                    if o.starts_with('-') {
                        let takes_value = matches!(
                            (t, o),
                            (
                                "sudo",
                                "-u" | "-g" | "-C" | "-h" | "-p" | "-r" | "-t" | "-U"
                            ) | ("env", "-u" | "-C" | "-S")
                                | ("nice", "-n")
                                | ("timeout", "-s" | "-k")
                                | ("ionice", "-c" | "-n")
                        );
                        i += if takes_value { 2 } else { 1 };
                    } else if t == "env" && o.contains('=') {
                        i += 1;
                    } else {
                        break;
                    }
                }
                if t == "timeout" {
                    i += 1;
                }
            }
            _ => return Some(i),
        }
    }
    None
}

fn is_name(s: &str) -> bool {
    let mut b = s.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// The arguments after the command word, without redirections.
fn args(words: &[Word], prog: usize) -> Vec<&Word> {
    words
        .iter()
        .skip(prog + 1)
        .filter(|w| !w.redirect)
        .collect()
}

/// One command being classified: its words, where its command word is, and what was found
/// inside each word's substitutions.
struct Cmd<'a> {
    words: &'a [Word],
    /// Index of the command word in `words`.
    p: usize,
    prog: &'a Word,
    /// The command word's basename (`/usr/bin/pkill` is `pkill`).
    name: &'a str,
    args: Vec<&'a Word>,
    inner: &'a [Vec<Finding>],
    pipeline_head: Option<&'a Command>,
}

impl<'a> Cmd<'a> {
    /// A finding spanning the command word through `last`.
    fn found(&self, kind: Kind, last: &Word) -> Option<Finding> {
        Some(Finding {
            kind,
            start: self.prog.start,
            end: last.end.max(self.prog.end),
        })
    }

    /// A pid file named as an argument (`cat`, `test -f`, `pkill -F`, `< FILE`).
    fn pid_file(&self) -> Option<&'a Word> {
        self.words
            .iter()
            .skip(self.p)
            .find(|w| is_pid_file(&w.text))
    }

    /// `kill -s $(keepalived --signum=RELOAD)`: the signal keepalived would print.
    fn signum(&self, w: &Word) -> Option<Sig> {
        let at = self.words.iter().position(|x| x.start == w.start)?;
        self.inner.get(at)?.iter().find_map(|f| match &f.kind {
            Kind::Invoke(Invocation::Signum(n)) => Some(Sig::from_signum(n)),
            _ => None,
        })
    }

    fn signal_args(&self) -> (Sig, Vec<&'a Word>) {
        signal_args(self.name, &self.args, &|w: &Word| self.signum(w))
    }
}

/// How one family of commands is read.
type Reader = fn(&Cmd) -> Option<Finding>;

/// The command families, by basename of the command word; any other command is read by
/// [`reads_pid_file`].
const FAMILIES: &[(&[&str], Reader)] = &[
    (&["killall", "pkill"], signals_by_name),
    (&["kill"], signals_by_pid),
    (&["pidof", "pgrep"], looks_up_by_name),
    (&["ps"], ps_lists_by_name),
    (&["grep", "egrep", "fgrep"], greps_ps_output),
    (&["systemctl"], systemctl_acts),
    (&["service", "invoke-rc.d"], service_acts),
    (&["keepalived"], runs_keepalived),
];

/// What `cmd` itself does with keepalived; `inner` holds the findings inside each of its
/// words' substitutions.
fn classify(
    cmd: &Command,
    pipeline_head: Option<&Command>,
    inner: &[Vec<Finding>],
) -> Option<Finding> {
    let words = &cmd.words;
    let p = program(words)?;
    let prog = words.get(p)?;
    let c = Cmd {
        words,
        p,
        prog,
        name: basename(&prog.text),
        args: args(words, p),
        inner,
        pipeline_head,
    };
    let read = FAMILIES
        .iter()
        .find(|(names, _)| names.contains(&c.name))
        .map_or(reads_pid_file as Reader, |(_, read)| *read);
    read(&c)
}

/// `killall`/`pkill`: a signal to keepalived by name (or command line, or pid file); signal 0
/// only looks it up.
fn signals_by_name(c: &Cmd) -> Option<Finding> {
    let (sig, names) = c.signal_args();
    let full = c.name == "pkill" && full_command_line(&c.args);
    if let Some(w) = names.iter().find(|w| is_keepalived(&w.text)) {
        let kind = match (sig, full) {
            (Sig::Zero, false) => Kind::Lookup,
            (Sig::Zero, true) => Kind::LookupCommandLine,
            (sig, full) => Kind::Signal {
                sig,
                target: if full {
                    Target::CommandLine
                } else {
                    Target::Name
                },
            },
        };
        return c.found(kind, w);
    }
    let w = c.pid_file()?;
    c.found(
        Kind::Signal {
            sig,
            target: Target::PidFile,
        },
        w,
    )
}

/// `kill`: a signal to a pid read from the pid file or looked up (`$(pidof keepalived)`).
fn signals_by_pid(c: &Cmd) -> Option<Finding> {
    let (sig, _) = c.signal_args();
    let operands = c.words.iter().zip(c.inner).skip(c.p + 1);
    for (w, inner) in operands.filter(|(w, _)| !w.redirect) {
        let target = if is_pid_file(&w.text) {
            Some(Target::PidFile)
        } else {
            inner.iter().find_map(|f| match f.kind {
                Kind::Lookup | Kind::LookupCommandLine => Some(Target::Lookup),
                Kind::PidFile => Some(Target::PidFile),
                _ => None,
            })
        };
        if let Some(target) = target {
            let kind = match sig {
                Sig::Zero => Kind::Lookup,
                sig => Kind::Signal { sig, target },
            };
            return c.found(kind, w);
        }
    }
    None
}

/// `pidof`/`pgrep`: a lookup by name, or by command line with `pgrep -f`.
fn looks_up_by_name(c: &Cmd) -> Option<Finding> {
    let names = names_after_options(&c.args, &lookup_value_options(c.name));
    let w = names.iter().find(|w| is_keepalived(&w.text))?;
    if c.name == "pgrep" && full_command_line(&c.args) {
        return c.found(Kind::LookupCommandLine, w);
    }
    c.found(Kind::Lookup, w)
}

/// `ps -C keepalived`: a lookup by name.
fn ps_lists_by_name(c: &Cmd) -> Option<Finding> {
    let w = ps_command_list(&c.args)?;
    c.found(Kind::Lookup, w)
}

/// `ps ... | grep keepalived`: a lookup by command line; grep on files is not.
fn greps_ps_output(c: &Cmd) -> Option<Finding> {
    let head = c.pipeline_head?;
    let head_prog = program(&head.words).and_then(|i| head.words.get(i))?;
    if basename(&head_prog.text) != "ps" {
        return None;
    }
    let names = names_after_options(&c.args, &["-e", "-f", "-m", "-A", "-B", "-C"]);
    let pattern = names.first()?;
    let cleaned: String = pattern
        .text
        .chars()
        .filter(|ch| !matches!(ch, '[' | ']' | '\\'))
        .collect();
    if names.len() != 1 || !is_keepalived(cleaned.trim_matches(['<', '>'])) {
        return None;
    }
    // The finding starts at `ps`, not at `grep`.
    let start = head_prog.start;
    Some(Finding {
        kind: Kind::LookupCommandLine,
        start,
        end: pattern.end.max(start),
    })
}

/// `systemctl VERB ... keepalived`.
fn systemctl_acts(c: &Cmd) -> Option<Finding> {
    let names = names_after_options(&c.args, SYSTEMCTL_VALUE_OPTIONS);
    let (verb, units) = names.split_first()?;
    let unit = units.iter().find(|w| is_keepalived_unit(&w.text))?;
    c.found(
        Kind::Service {
            verb: verb.text.clone(),
        },
        unit,
    )
}

/// `service keepalived VERB`, `invoke-rc.d keepalived VERB` (the verb may be missing).
fn service_acts(c: &Cmd) -> Option<Finding> {
    let names = names_after_options(&c.args, &[]);
    let (unit, rest) = names.split_first()?;
    if !is_keepalived_unit(&unit.text) {
        return None;
    }
    service_verb(c, rest.first().copied(), unit)
}

/// The binary itself, or its SysV init script (`/etc/init.d/keepalived restart`), which is a
/// service manager.
fn runs_keepalived(c: &Cmd) -> Option<Finding> {
    if c.prog.text.contains("/init.d/") {
        return service_verb(c, c.args.first().copied(), c.prog);
    }
    let (inv, last) = invocation(&c.args);
    c.found(Kind::Invoke(inv), last.unwrap_or(c.prog))
}

/// A service action with `verb` as written (empty when missing), through the verb, else
/// through `fallback`.
fn service_verb(c: &Cmd, verb: Option<&Word>, fallback: &Word) -> Option<Finding> {
    c.found(
        Kind::Service {
            verb: verb.map(|v| v.text.clone()).unwrap_or_default(),
        },
        verb.unwrap_or(fallback),
    )
}

/// Any other command: reading the pid file (`cat FILE`, `[ -f FILE ]`).
fn reads_pid_file(c: &Cmd) -> Option<Finding> {
    let w = c.pid_file()?;
    // `[ -f FILE ]` reads better with its closing bracket.
    let close = match c.prog.text.as_str() {
        "[" => Some("]"),
        "[[" => Some("]]"),
        _ => None,
    };
    let last = close.and_then(|cl| c.words.iter().find(|x| x.text == cl && x.start > w.start));
    c.found(Kind::PidFile, last.unwrap_or(w))
}

fn is_keepalived_unit(s: &str) -> bool {
    matches!(s, "keepalived" | "keepalived.service")
}

/// systemctl's options that take their value as the next word.
const SYSTEMCTL_VALUE_OPTIONS: &[&str] = &[
    "-t",
    "-s",
    "-p",
    "-P",
    "-H",
    "-M",
    "-n",
    "-o",
    "--type",
    "--signal",
    "--property",
    "--host",
    "--machine",
    "--lines",
    "--output",
    "--state",
    "--job-mode",
    "--kill-whom",
    "--kill-who",
    "--root",
    "--what",
    "--timestamp",
    "--when",
];

fn lookup_value_options(tool: &str) -> Vec<&'static str> {
    match tool {
        "pidof" => vec!["-o"],
        _ => PGREP_VALUE_OPTIONS.to_vec(),
    }
}

/// pgrep/pkill options that take their value as the next word (`-s` is the session there).
const PGREP_VALUE_OPTIONS: &[&str] = &[
    "-d",
    "-g",
    "-G",
    "-P",
    "-s",
    "-t",
    "-u",
    "-U",
    "-F",
    "-q",
    "-r",
    "--ns",
    "--nslist",
    "--pidfile",
    "--session",
    "--parent",
    "--pgroup",
    "--group",
    "--terminal",
    "--euid",
    "--uid",
    "--delimiter",
    "--runstates",
    "--queue",
];

/// killall options that take their value as the next word (its `-s` is the signal).
const KILLALL_VALUE_OPTIONS: &[&str] = &[
    "-o",
    "-y",
    "-u",
    "-Z",
    "-n",
    "--older-than",
    "--younger-than",
    "--user",
    "--context",
    "--ns",
];

/// The words that are not options or option values. `--` ends the options.
fn names_after_options<'a>(args: &[&'a Word], value_options: &[&str]) -> Vec<&'a Word> {
    let mut out = Vec::new();
    let mut it = args.iter();
    let mut options = true;
    while let Some(w) = it.next() {
        let t = w.text.as_str();
        if options && t == "--" {
            options = false;
        } else if options && t.starts_with('-') && t.len() > 1 {
            if value_options.contains(&t) {
                it.next();
            }
        } else {
            out.push(*w);
        }
    }
    out
}

/// The signal a `killall`, `pkill` or `kill` sends (SIGTERM unless given), and its names.
fn signal_args<'a>(
    tool: &str,
    args: &[&'a Word],
    signum: &dyn Fn(&Word) -> Option<Sig>,
) -> (Sig, Vec<&'a Word>) {
    let value = |w: &Word| {
        Sig::parse(&w.text)
            .or_else(|| signum(w))
            .unwrap_or_else(|| Sig::Unknown(w.text.clone()))
    };
    let mut sig = Sig::Term;
    let mut names = Vec::new();
    let value_options: &[&str] = match tool {
        "killall" => KILLALL_VALUE_OPTIONS,
        "pkill" => PGREP_VALUE_OPTIONS,
        _ => &[],
    };
    let mut it = args.iter();
    let mut options = true;
    while let Some(w) = it.next() {
        let t = w.text.as_str();
        if !options || !t.starts_with('-') || t.len() < 2 {
            names.push(*w);
            continue;
        }
        if t == "--" {
            options = false;
        } else if let Some(v) = t.strip_prefix("--signal=") {
            sig = Sig::parse(v).unwrap_or_else(|| Sig::Unknown(v.to_string()));
        } else if t == "--signal" || (t == "-s" && tool != "pkill") || (t == "-n" && tool == "kill")
        {
            if let Some(v) = it.next() {
                sig = value(v);
            }
        } else if value_options.contains(&t) {
            it.next();
        } else if let Some(s) = t.get(1..).and_then(Sig::parse) {
            sig = s;
        }
    }
    (sig, names)
}

/// pgrep/pkill `-f`/`--full` (also in a cluster like `-fx`): the pattern is matched against
/// the whole command line, not the process name.
fn full_command_line(args: &[&Word]) -> bool {
    args.iter().any(|w| {
        let t = w.text.as_str();
        t == "--full"
            || t.strip_prefix('-').is_some_and(|f| {
                !f.is_empty() && f.bytes().all(|b| b.is_ascii_lowercase()) && f.contains('f')
            })
    })
}

/// `ps -C keepalived`, `ps -Ckeepalived`, `ps -C nginx,keepalived`: the list word naming it.
fn ps_command_list<'a>(args: &[&'a Word]) -> Option<&'a Word> {
    let mut it = args.iter();
    while let Some(w) = it.next() {
        let list = match w.text.strip_prefix("-C") {
            Some("") => it.next().map(|v| (v.text.as_str(), *v)),
            Some(rest) => Some((rest, *w)),
            None => None,
        };
        if let Some((list, word)) = list {
            if list.split(',').any(|n| n == "keepalived") {
                return Some(word);
            }
        }
    }
    None
}

/// What a run of the keepalived binary asks for, and the last word of the request.
fn invocation<'a>(args: &[&'a Word]) -> (Invocation, Option<&'a Word>) {
    let mut it = args.iter();
    while let Some(w) = it.next() {
        match w.text.as_str() {
            "-v" | "--version" => return (Invocation::Version, Some(*w)),
            "--signum" => {
                let value = it.next();
                let name = value.map(|v| v.text.clone()).unwrap_or_default();
                return (Invocation::Signum(name), Some(*value.unwrap_or(w)));
            }
            t => {
                if let Some(v) = t.strip_prefix("--signum=") {
                    return (Invocation::Signum(v.to_string()), Some(*w));
                }
            }
        }
    }
    let written: Vec<&str> = args.iter().map(|w| w.text.as_str()).collect();
    (Invocation::Other(written.join(" ")), args.last().copied())
}
