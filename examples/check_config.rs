//! Loads keepalived.conf files and prints their diagnostics (and, with `--dump`, the effective
//! configuration): `cargo run --example check_config -- [--dump] FILE...`.
//! A stand-in for `vrrpd --check-config` while the CLI is being wired.

use std::path::Path;
use std::process::ExitCode;

use vrrpd::config::{self, parse::ParseOptions, source::FsLoader};

fn main() -> ExitCode {
    let mut dump = false;
    let mut failed = false;
    for arg in std::env::args().skip(1) {
        if arg == "--dump" {
            dump = true;
            continue;
        }
        match config::load(&FsLoader, Path::new(&arg), &ParseOptions::default()) {
            Ok(loaded) => {
                eprint!("{}", loaded.render());
                failed |= loaded.has_errors();
                if let (true, Some(c)) = (dump, &loaded.config) {
                    print!("{}", config::dump(c));
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
