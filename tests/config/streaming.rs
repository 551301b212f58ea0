//! `config::load` lowers statements while the parser streams them; it must give exactly what
//! lowering the whole tree gives (`config::lower(parse_file(..))`), for every corpus file.

use std::path::Path;

use vrrpd::config::read::source::FsLoader;
use vrrpd::config::read::{parse_file, ParseOptions};

#[test]
fn streaming_load_equals_whole_tree_lowering() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let opts = ParseOptions {
        config_id: Some("lb01".into()),
        ..ParseOptions::default()
    };
    let mut n = 0;
    for dir in [
        "examples",
        "tests/config/samples",
        "tests/config/err",
        "tests/config/diff",
    ] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
            .expect("corpus dir")
            .flatten()
            .map(|e| e.path())
            .filter(|p| !p.extension().is_some_and(|e| e == "sh" || e == "stderr"))
            .collect();
        paths.sort();
        for p in paths {
            let streamed = vrrpd::config::load(&FsLoader, &p, &opts).expect("readable");
            let whole = vrrpd::config::lower(parse_file(&FsLoader, &p, &opts).expect("readable"));
            assert_eq!(streamed.diagnostics, whole.diagnostics, "{}", p.display());
            assert_eq!(
                streamed.config.as_ref().map(vrrpd::config::dump),
                whole.config.as_ref().map(vrrpd::config::dump),
                "{}",
                p.display()
            );
            n += 1;
        }
    }
    assert!(n >= 90, "corpus too small: {n}");
}
