//! `--check-interfaces`: commands that control keepalived by name (`killall keepalived`,
//! `systemctl restart keepalived`, `pidof keepalived`, ...), in the configuration's command
//! strings and in the script files they run.
//!
//! After a switch to vrrpd those commands only reach vrrpd when the keepalived compatibility
//! mode is on (`vrrpd-compat enable`: vrrpd then runs as `keepalived`, writes
//! `/run/keepalived.pid` and owns the `keepalived.service` alias); each warning says what the
//! command does in both cases and what to write instead.
//!
//! Pure: the CLI reads the script files named by [`named_scripts`] and adds their text to the
//! [`SourceMap`], so a finding renders like a configuration diagnostic, with its line.
//!
//! * `shell.rs`: the words and commands of a script line;
//! * `matcher.rs`: which commands refer to keepalived, and how;
//! * `advice.rs`: the text of the warnings.

mod advice;
pub mod matcher;
pub mod shell;

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use crate::config::command::split_command;
use crate::config::diag::Diagnostic;
use crate::config::model::Config;
use crate::config::read::source::SourceMap;
use crate::config::span::{FileId, Span, Spanned};

/// The configuration keyword that makes vrrpd run a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Runner {
    /// `script` of `vrrp_script NAME`.
    Script(String),
    /// A notify keyword of an instance (`notify_master` of `VI_1`) or a sync group.
    Notify {
        keyword: &'static str,
        owner: String,
    },
    /// A `global_defs` keyword (`vrrp_notify_fifo_script`).
    Global(&'static str),
}

impl fmt::Display for Runner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Runner::Script(name) => write!(f, "vrrp_script {name}"),
            Runner::Notify { keyword, owner } => write!(f, "{keyword} of {owner}"),
            Runner::Global(keyword) => f.write_str(keyword),
        }
    }
}

/// A script file the configuration runs, once, with every keyword that runs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedScript {
    pub path: PathBuf,
    pub runners: Vec<Runner>,
}

/// Every command string of the configuration, with what runs it.
fn commands(config: &Config) -> Vec<(Runner, &Spanned<String>)> {
    let mut out = Vec::new();
    for s in &config.scripts {
        if let Some(cmd) = &s.script {
            out.push((Runner::Script(s.name.value.clone()), cmd));
        }
    }
    let instances = config
        .instances
        .iter()
        .map(|i| (&i.notify, i.name.value.clone()));
    let groups = config
        .sync_groups
        .iter()
        .map(|g| (&g.notify, format!("sync group {}", g.name.value)));
    for (notify, owner) in instances.chain(groups) {
        for (keyword, c) in notify.named_commands() {
            let owner = owner.clone();
            out.push((Runner::Notify { keyword, owner }, &c.cmd));
        }
    }
    let g = &config.global;
    let globals = [
        ("vrrp_notify_fifo_script", &g.vrrp_notify_fifo_script),
        ("notify_fifo_script", &g.notify_fifo_script),
        ("startup_script", &g.startup_script),
        ("shutdown_script", &g.shutdown_script),
    ];
    for (keyword, c) in globals {
        if let Some(c) = c {
            out.push((Runner::Global(keyword), &c.cmd));
        }
    }
    out
}

fn is_shell(program: &str) -> bool {
    let name = program.rsplit('/').next().unwrap_or(program);
    matches!(name, "sh" | "bash" | "dash" | "ash" | "ksh" | "zsh")
}

/// The script files the configuration names: the program of each command when it is an
/// absolute path, and the script a shell is given (`/bin/sh /root/check.sh`). Each path is
/// listed once, in configuration order.
pub fn named_scripts(config: &Config) -> Vec<NamedScript> {
    let mut out: Vec<NamedScript> = Vec::new();
    // Path -> index in `out`: a config of thousands of instances may name as many scripts.
    let mut index: HashMap<PathBuf, usize> = HashMap::new();
    for (runner, cmd) in commands(config) {
        let Ok(argv) = split_command(&cmd.value) else {
            continue;
        };
        let mut paths: Vec<&String> = argv.first().into_iter().collect();
        if argv.first().is_some_and(|p| is_shell(p)) {
            paths.extend(argv.get(1).filter(|a| !a.starts_with('-')));
        }
        for path in paths.into_iter().filter(|p| p.starts_with('/')) {
            let path = PathBuf::from(path);
            match index.get(&path).and_then(|&i| out.get_mut(i)) {
                Some(s) => {
                    if s.runners.last() != Some(&runner) {
                        s.runners.push(runner.clone());
                    }
                }
                None => {
                    index.insert(path.clone(), out.len());
                    out.push(NamedScript {
                        path,
                        runners: vec![runner.clone()],
                    });
                }
            }
        }
    }
    out
}

/// The keepalived-by-name warnings of the configuration's command strings, and of the
/// script files in `scripts` (each already added to `sources`, with what it was read for).
pub fn check_by_name(
    config: &Config,
    sources: &SourceMap,
    scripts: &[(FileId, &NamedScript)],
) -> Vec<Diagnostic> {
    let mut d = Vec::new();
    for (runner, cmd) in commands(config) {
        let track = match &runner {
            Runner::Script(name) => Some(name.as_str()),
            _ => None,
        };
        for f in command_string(&cmd.value) {
            let span =
                f.at.and_then(|(start, end)| narrow(sources, cmd, start, end))
                    .unwrap_or(cmd.span);
            d.push(
                Diagnostic::warning(span, advice::message(&f.kind, &f.text, None))
                    .with_help(advice::help(&f.kind, track)),
            );
        }
    }
    for (file, script) in scripts {
        let Some(source) = sources.get(*file) else {
            continue;
        };
        let who = listing(&script.runners);
        let track = script.runners.iter().find_map(|r| match r {
            Runner::Script(name) => Some(name.as_str()),
            _ => None,
        });
        let mut line_start = 0;
        for line in source.text.split('\n') {
            for f in matcher::find(&shell::commands(line)) {
                let text = line.get(f.start..f.end).unwrap_or("");
                let span = Span::new(*file, line_start + f.start, line_start + f.end);
                d.push(
                    Diagnostic::warning(span, advice::message(&f.kind, text, Some(&who)))
                        .with_help(advice::help(&f.kind, track)),
                );
            }
            line_start += line.len() + 1;
        }
    }
    d
}

/// How many runners a warning names before it counts the rest (one shared notify script may
/// be run by every instance).
const LISTED: usize = 3;

/// "a", "a and b", "a, b and c"; past [`LISTED`] names, "a, b, c and 7 more".
fn listing(runners: &[Runner]) -> String {
    let mut names: Vec<String> = runners
        .iter()
        .take(LISTED)
        .map(ToString::to_string)
        .collect();
    if runners.len() > LISTED {
        names.push(format!("{} more", runners.len() - LISTED));
    }
    match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// A finding in a configured command string.
#[derive(Debug, PartialEq, Eq)]
struct CommandFinding {
    kind: matcher::Kind,
    /// The words it covers, separated by one space.
    text: String,
    /// Where in the command string, when the words are written there as they are.
    at: Option<(usize, usize)>,
}

/// Findings in a configured command string. vrrpd runs it without a shell, so it is split
/// the way the daemon splits it; a shell's `-c` script is scanned as shell text.
fn command_string(cmd: &str) -> Vec<CommandFinding> {
    let Ok(argv) = split_command(cmd) else {
        return Vec::new();
    };
    let shell_script = argv
        .first()
        .filter(|p| is_shell(p))
        .and_then(|_| argv.iter().skip_while(|a| *a != "-c").nth(1));
    if let Some(script) = shell_script {
        // Written once, unescaped, in the command string: its findings can be pointed at.
        let base = match cmd.match_indices(script.as_str()).count() {
            1 => cmd.find(script.as_str()),
            _ => None,
        };
        return matcher::find(&shell::commands(script))
            .into_iter()
            .map(|f| CommandFinding {
                text: script.get(f.start..f.end).unwrap_or("").into(),
                at: base.map(|b| (b + f.start, b + f.end)),
                kind: f.kind,
            })
            .collect();
    }
    // The words as one display line, so a finding can quote what it covers.
    let mut joined = String::new();
    let mut words = Vec::new();
    for a in &argv {
        if !joined.is_empty() {
            joined.push(' ');
        }
        let start = joined.len();
        joined.push_str(a);
        words.push(shell::Word {
            text: a.clone(),
            start,
            end: joined.len(),
            ..shell::Word::default()
        });
    }
    let argv_cmd = shell::Command {
        words,
        piped: false,
    };
    // Plain words separated by single spaces: display offsets are command string offsets.
    let verbatim = joined == cmd;
    matcher::find(std::slice::from_ref(&argv_cmd))
        .into_iter()
        .map(|f| CommandFinding {
            text: joined.get(f.start..f.end).unwrap_or("").into(),
            at: verbatim.then_some((f.start, f.end)),
            kind: f.kind,
        })
        .collect()
}

/// The span of `start..end` of a command string, when the configuration holds its value
/// verbatim, bare or in double quotes (not after `$NAME` expansion or with escapes).
fn narrow(sources: &SourceMap, cmd: &Spanned<String>, start: usize, end: usize) -> Option<Span> {
    let written = sources.text(cmd.span);
    let base = if written == cmd.value {
        0
    } else if written.strip_prefix('"')?.strip_suffix('"')? == cmd.value {
        1
    } else {
        return None;
    };
    let at = cmd.span.start as usize + base;
    Some(Span::new(cmd.span.file, at + start, at + end))
}

#[cfg(test)]
mod tests;
