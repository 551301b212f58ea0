//! `config::load` lowers statements while the parser streams them; it must give exactly what
//! lowering the whole tree gives (`config::lower(parse_file(..))`), for every corpus file.
//! `config::load_for_start` leaves the unused-script warnings for later; with them added
//! back it must give exactly what `config::load` gives.

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
            same_load(&streamed, &whole, &p);
            let (mut started, deferred) =
                vrrpd::config::load_for_start(&FsLoader, &p, &opts).expect("readable");
            started.add_deferred(deferred);
            same_load(&started, &streamed, &p);
            n += 1;
        }
    }
    assert!(n >= 90, "corpus too small: {n}");
}

/// The same diagnostics, in the same order, and the same model.
fn same_load(a: &vrrpd::config::Loaded, b: &vrrpd::config::Loaded, p: &Path) {
    assert_eq!(a.diagnostics, b.diagnostics, "{}", p.display());
    assert_eq!(
        a.config.as_ref().map(vrrpd::config::dump),
        b.config.as_ref().map(vrrpd::config::dump),
        "{}",
        p.display()
    );
}

/// A file with unused scripts among other warnings and errors, some at the same block: the
/// start-up load leaves exactly the unused-script warnings out, and adding them back gives the
/// full load's diagnostics in the full load's order.
#[test]
fn start_up_load_defers_only_the_unused_script_warnings() {
    use vrrpd::config::read::source::MemLoader;
    let mut text = String::from("global_defs {\n  router_id lb1\n}\n");
    for i in 0..300 {
        text.push_str(&format!(
            "vrrp_script chk_{i} {{\n  script \"/bin/check {i}\"\n"
        ));
        if i % 7 == 0 {
            // A warning of its own in the same block.
            text.push_str("  interval 1 extra\n");
        }
        text.push_str("}\n");
    }
    text.push_str(
        "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 150\n  \
         virtual_ipaddress {\n    10.0.0.100/24\n  }\n  track_script {\n    chk_3\n  }\n}\n",
    );
    let loader = MemLoader::new().with("/k.conf", text);
    let path = Path::new("/k.conf");
    let opts = ParseOptions::default();
    let full = vrrpd::config::load(&loader, path, &opts).expect("readable");
    let (mut started, deferred) =
        vrrpd::config::load_for_start(&loader, path, &opts).expect("readable");
    let unused = |d: &vrrpd::config::diag::Diagnostic| d.message.ends_with("is not used");
    assert_eq!(full.diagnostics.iter().filter(|d| unused(d)).count(), 299);
    assert_eq!(deferred.len(), 299);
    assert!(!started.diagnostics.iter().any(unused));
    assert_eq!(
        started.diagnostics.len() + 299,
        full.diagnostics.len(),
        "{}",
        full.render()
    );
    assert!(started.config.is_some() && full.config.is_some());
    started.add_deferred(deferred);
    assert_eq!(started.diagnostics, full.diagnostics);
}
