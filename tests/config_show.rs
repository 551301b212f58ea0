//! Debug helper: `CONF=path cargo test --test config_show -- --ignored --nocapture` prints the
//! rendered diagnostics and the dump of a configuration.

use std::path::Path;

use vrrpd::config::{self, parse::ParseOptions, source::FsLoader};

#[test]
#[ignore = "debug helper, run with CONF=path"]
fn show() {
    let Ok(paths) = std::env::var("CONF") else {
        panic!("set CONF to a configuration path (several separated by spaces)");
    };
    for p in paths.split_whitespace() {
        let loaded = config::load(&FsLoader, Path::new(p), &ParseOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        println!("===== {p}");
        print!("{}", loaded.render());
        if std::env::var("DUMP").is_ok() {
            if let Some(c) = &loaded.config {
                print!("{}", config::dump(c));
            }
        }
    }
}
