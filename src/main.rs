//! The `vrrpd` binary: parses keepalived's command line and dispatches.

use std::process::ExitCode;

use clap::Parser;

use vrrpd::check_config;
use vrrpd::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // keepalived exits 1 on a bad option; help goes to stdout with status 0.
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    ExitCode::from(run(&cli))
}

fn run(cli: &Cli) -> u8 {
    if cli.version {
        eprintln!("vrrpd v{}", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    if let Some(name) = &cli.signum {
        // keepalived prints the number on stdout, or nothing and status 1 for an unknown name.
        return match cli::signum(name) {
            Some(n) => {
                println!("{n}");
                0
            }
            None => 1,
        };
    }
    if !cli.unexpected.is_empty() {
        // keepalived prints stray words on stdout and carries on.
        println!("Unexpected argument(s): {}", cli.unexpected.join(" "));
    }
    for opt in cli.ignored_options() {
        eprintln!("vrrpd: option {opt} ignored: vrrpd manages VRRP only");
    }
    if cli.is_config_check() {
        return check_config::run(cli);
    }
    if cli.dump_conf {
        return check_config::dump(cli);
    }
    eprintln!(
        "vrrpd: the daemon is not implemented yet (issue #4); use --check-config or --dump-conf"
    );
    1
}
