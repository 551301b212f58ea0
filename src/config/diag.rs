//! Configuration diagnostics: collected, never returned at the first problem, and rendered as
//! `file:line:col: error|warning: message`, the source line, a caret under the offending
//! token and an optional help line.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::Serialize;

use super::read::source::SourceMap;
use super::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The configuration does not mean what was written, or cannot run.
    Error,
    /// Runs as written, but deserves attention.
    Warning,
    /// Information (for example a legacy form that is accepted).
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Where; `None` for problems not tied to a place (for example a missing main file).
    pub span: Option<Span>,
    pub message: String,
    /// Short text printed after the caret. Most labels and helps are fixed texts, kept as
    /// they are: a large file can have tens of thousands of the same warning.
    pub label: Option<Cow<'static, str>>,
    /// A line telling how to fix it.
    pub help: Option<Cow<'static, str>>,
}

impl Diagnostic {
    pub fn new(severity: Severity, span: Option<Span>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            span,
            message: message.into(),
            label: None,
            help: None,
        }
    }

    pub fn error(span: Span, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Error, Some(span), message)
    }

    pub fn warning(span: Span, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Warning, Some(span), message)
    }

    pub fn note(span: Span, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Note, Some(span), message)
    }

    pub fn with_label(mut self, label: impl Into<Cow<'static, str>>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<Cow<'static, str>>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The first line of [`Diagnostic::render`], without the newline:
    /// `file:line:col: severity: message`, or `severity: message` without a position. The
    /// daemon logs only this line; rendering the snippet too for 40,000 warnings of a
    /// generated file cost its start-up tens of milliseconds (README "Reload at any size").
    pub fn headline(&self, sources: &SourceMap) -> String {
        let located = self.span.and_then(|s| {
            let file = sources.get(s.file)?;
            Some((file, file.line_col(s.start as usize)))
        });
        match located {
            Some((file, (line, col))) => format!(
                "{}:{}:{}: {}: {}",
                file.path.display(),
                line,
                col,
                self.severity.as_str(),
                self.message
            ),
            None => format!("{}: {}", self.severity.as_str(), self.message),
        }
    }

    /// Renders this diagnostic as plain text (no colour), ending with a newline.
    pub fn render(&self, sources: &SourceMap) -> String {
        let mut out = self.headline(sources);
        out.push('\n');
        let located = self.span.and_then(|s| {
            let file = sources.get(s.file)?;
            let (line, col) = file.line_col(s.start as usize);
            Some((s, file, line, col))
        });
        if let Some((span, file, line, col)) = located {
            let text = file.line_text(line);
            let gutter = line.to_string();
            let pad = " ".repeat(gutter.len());
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{gutter} | {}", text.replace('\t', " "));
            // Caret under the token: clamp to the line (a span may run past it).
            let line_start = file.line_start(line);
            let start_chars = col - 1;
            let end = (span.end as usize).max(span.start as usize + 1);
            let end_in_line = end.min(line_start + text.len());
            let width = file
                .text
                .get(span.start as usize..end_in_line)
                .map(|s| s.chars().count())
                .unwrap_or(0)
                .max(1);
            let _ = write!(
                out,
                "{pad} | {}{}",
                " ".repeat(start_chars),
                "^".repeat(width)
            );
            if let Some(label) = &self.label {
                let _ = write!(out, " {label}");
            }
            out.push('\n');
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out
    }

    /// The JSON object printed by `--check-config --format json`.
    pub fn to_json(&self, sources: &SourceMap) -> serde_json::Value {
        let loc = self.span.and_then(|s| sources.locate(s));
        serde_json::json!({
            "severity": self.severity.as_str(),
            "message": self.message,
            "file": loc.map(|(p, _, _)| p.display().to_string()),
            "line": loc.map(|(_, l, _)| l),
            "column": loc.map(|(_, _, c)| c),
            "span": self.span.map(|s| [s.start, s.end]),
            "label": self.label,
            "help": self.help,
        })
    }
}

/// Counts of each severity, for the summary line.
pub fn summary(diags: &[Diagnostic]) -> String {
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("{n} {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn the_headline_is_the_first_line_of_the_rendering() {
        let mut sources = SourceMap::new();
        let f = sources.add(
            PathBuf::from("/etc/keepalived/keepalived.conf"),
            String::from("global_defs {\n}\n\tvrrp_script chk_é {\n}\n"),
        );
        let diags = [
            Diagnostic::warning(Span::new(f, 29, 34), "Warning - script chk_é is not used")
                .with_help("reference it")
                .with_label("here"),
            Diagnostic::error(Span::new(f, 0, 11), "unknown"),
            Diagnostic::new(Severity::Warning, None, "no position"),
        ];
        for d in &diags {
            let full = d.render(&sources);
            assert_eq!(Some(d.headline(&sources).as_str()), full.lines().next());
        }
    }
}
