//! `--check-config --format github`: each diagnostic as a GitHub Actions workflow command
//! (`::error file=F,line=L,col=C,title=T::message`), which the runner turns into an annotation
//! on that line of the pull request. Notes become `::notice`. The summary is a plain line,
//! which the runner shows in the job log.

use std::path::Path;

use crate::config::diag::{self, Diagnostic, Severity};
use crate::config::read::source::SourceMap;

/// The report: one command per diagnostic, then the summary line.
pub fn render(sources: &SourceMap, diagnostics: &[Diagnostic], main_file: &Path) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        // A problem without a place (an unreadable main file) is pinned to the main file.
        let mut props = match d.span.and_then(|s| sources.locate(s)) {
            Some((path, line, col)) => format!(
                "file={},line={line},col={col}",
                escape_property(&path.display().to_string())
            ),
            None => format!("file={}", escape_property(&main_file.display().to_string())),
        };
        props.push_str(",title=vrrpd --check-config");
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        out.push_str(&format!("::{level} {props}::{}\n", escape_data(&message)));
    }
    out.push_str(&format!(
        "{}: {}\n",
        main_file.display(),
        diag::summary(diagnostics)
    ));
    out
}

/// The runner's escaping of a command's message (`%`, CR and LF), so a multi-line message stays
/// one command.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Property values additionally escape the separators `:` and `,`.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_and_newlines_are_escaped() {
        assert_eq!(escape_data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(escape_property("/x:y,z"), "/x%3Ay%2Cz");
    }
}
