//! The `vrrpd` binary.

use std::process::ExitCode;

use clap::Parser;

use vrrpd::cli::Cli;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    if cli.version {
        eprintln!("vrrpd {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    eprintln!("vrrpd: the daemon is not implemented yet; use --check-config");
    ExitCode::from(1)
}
