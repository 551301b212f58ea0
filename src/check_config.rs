//! `vrrpd --check-config` (also `-t`, `--config-test`) and `-d/--dump-conf`: validate a
//! configuration without touching the system, for CI.
//!
//! Exit status: 0 no errors (warnings are printed), 1 errors found (or warnings with
//! `--strict`), 2 the configuration could not be read at all.

use std::io::Write;
use std::path::Path;

use crate::cli::{Cli, Format};
use crate::config::diag::{self, Diagnostic, Severity};
use crate::config::read::source::{FsLoader, SourceMap};
use crate::config::read::ParseOptions;
use crate::config::{self, Loaded};

mod github;

/// Version of the `--format json` report's layout; raised when a field changes meaning or goes
/// away (new fields do not raise it).
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// Exit status when the check found no errors.
pub const EXIT_OK: u8 = 0;
/// Exit status when errors were found.
pub const EXIT_ERRORS: u8 = 1;
/// Exit status when the main file could not be read at all.
pub const EXIT_UNREADABLE: u8 = 2;

/// The options the parser needs from the command line.
pub fn parse_options(cli: &Cli) -> ParseOptions {
    ParseOptions {
        config_id: Some(
            cli.config_id
                .clone()
                .unwrap_or_else(crate::host::default_config_id),
        ),
        all_config: cli.all_config,
        ..ParseOptions::default()
    }
}

/// Loads the configuration named on the command line.
pub fn load(cli: &Cli) -> Result<Loaded, config::read::ReadError> {
    config::load(&FsLoader, &cli.use_file, &parse_options(cli))
}

/// [`load`] for the daemon's start-up: the warnings that can wait are left for after the
/// instances start ([`config::load_for_start`]).
pub fn load_for_start(cli: &Cli) -> Result<(Loaded, config::Deferred), config::read::ReadError> {
    config::load_for_start(&FsLoader, &cli.use_file, &parse_options(cli))
}

/// Runs the check and prints the report; returns the exit status.
pub fn run(cli: &Cli) -> u8 {
    let mut loaded = match load(cli) {
        Ok(l) => l,
        Err(e) => {
            let d = Diagnostic::new(
                Severity::Error,
                None,
                format!("cannot read configuration file {e}"),
            );
            report(cli, &SourceMap::new(), &[d]);
            return EXIT_UNREADABLE;
        }
    };
    let mut diagnostics = loaded.diagnostics.clone();
    if cli.check_interfaces {
        if let Some(cfg) = &loaded.config {
            let host = crate::host::gather();
            diagnostics.extend(host_diagnostics(cfg, &host, &mut loaded.sources));
        }
    }
    report(cli, &loaded.sources, &diagnostics);
    let errors = diagnostics.iter().any(|d| d.severity == Severity::Error);
    let warnings = diagnostics.iter().any(|d| d.severity == Severity::Warning);
    // The process exits next: freeing a model of thousands of instances piece by piece would
    // only cost time (the benchmark's 10,000-instance file spends ~5% of its run there).
    std::mem::forget(loaded);
    if errors || (cli.strict && warnings) {
        EXIT_ERRORS
    } else {
        EXIT_OK
    }
}

/// What `--check-interfaces` adds: the configuration against the host's interfaces, and the
/// script files the configuration names (read from disk and added to `sources`) for commands
/// that control keepalived by name. `host` is a parameter so tests can supply it.
pub fn host_diagnostics(
    cfg: &config::Config,
    host: &config::HostInfo,
    sources: &mut SourceMap,
) -> Vec<Diagnostic> {
    let mut d = config::check_host(cfg, host);
    d.extend(crate::script_files::check_scripts(cfg, sources));
    d
}

/// `-d/--dump-conf`: prints the effective configuration; diagnostics go to stderr.
pub fn dump(cli: &Cli) -> u8 {
    let loaded = match load(cli) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot read configuration file {e}");
            return EXIT_UNREADABLE;
        }
    };
    let mut err = std::io::stderr().lock();
    for d in &loaded.diagnostics {
        let _ = err.write_all(d.render(&loaded.sources).as_bytes());
    }
    match &loaded.config {
        Some(cfg) => {
            print!("{}", config::dump(cfg));
            EXIT_OK
        }
        None => {
            let _ = writeln!(err, "{}", diag::summary(&loaded.diagnostics));
            EXIT_ERRORS
        }
    }
}

fn report(cli: &Cli, sources: &SourceMap, diagnostics: &[Diagnostic]) {
    let text = match cli.format {
        Format::Json => {
            let list: Vec<_> = diagnostics.iter().map(|d| d.to_json(sources)).collect();
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            let warnings = diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Warning)
                .count();
            let v = serde_json::json!({
                "schema_version": JSON_SCHEMA_VERSION,
                "file": cli.use_file.display().to_string(),
                "errors": errors,
                "warnings": warnings,
                "diagnostics": list,
            });
            format!("{v:#}\n")
        }
        Format::Github => github::render(sources, diagnostics, &cli.use_file),
        Format::Text => {
            let mut s = String::new();
            for d in diagnostics {
                s.push_str(&d.render(sources));
                s.push('\n');
            }
            s.push_str(&format!(
                "{}: {}\n",
                cli.use_file.display(),
                diag::summary(diagnostics)
            ));
            s
        }
    };
    // keepalived's `-tLOGFILE` appends the report to LOGFILE.
    if let Some(log) = cli.config_test.as_deref().filter(|l| !l.is_empty()) {
        if append(Path::new(log), &text).is_ok() {
            return;
        }
    }
    match cli.format {
        // GitHub reads workflow commands from stdout only.
        Format::Json | Format::Github => print!("{text}"),
        Format::Text => eprint!("{text}"),
    }
}

fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(text.as_bytes())
}
