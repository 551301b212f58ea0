//! The cargo-fuzz config property (tests/common/config_property.rs) on deterministic inputs, so
//! CI covers it without cargo-fuzz: every example and corpus file, and mutations of them.

use crate::common::config_property as property;
use crate::common::rng;

use std::path::Path;

use rng::Rng;

fn corpus() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in [
        "examples",
        "tests/config/samples",
        "tests/config/err",
        "tests/config/diff",
    ] {
        let Ok(rd) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut paths: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            if p.extension().is_some_and(|e| e == "sh" || e == "stderr") {
                continue;
            }
            if let Ok(b) = std::fs::read(&p) {
                out.push(b);
            }
        }
    }
    out
}

/// Fragments a mutation may splice in: the constructs with the most ways to go wrong.
const FRAGMENTS: &[&str] = &[
    "{",
    "}",
    "\"",
    "\n",
    "#",
    "!",
    "\\",
    "$X=",
    "$X",
    "${X}",
    "${_RANDOM 1 9}",
    "~SEQ(i,1,3) ",
    "~LST(v,a,b) ",
    "@lb01 ",
    "@^lb01 ",
    "include inc.conf\n",
    "includem nope*.conf\n",
    "\0",
    "vrrp_instance V {\n",
    "virtual_ipaddress {\n",
    "priority",
    " 300",
    "\u{a0}",
    "é",
    "\r\n",
    "$M=a \\\n b\n",
    "$M\n",
];

#[test]
fn corpus_and_mutations_hold_the_property() {
    let corpus = corpus();
    assert!(corpus.len() >= 50, "corpus too small: {}", corpus.len());
    let mut rng = Rng::from_state(0x5eed_c0f1);
    let mut runs = 0;
    for seed in &corpus {
        property::check(seed).unwrap_or_else(|e| panic!("unmutated corpus file: {e}"));
        for _ in 0..40 {
            let mut data = seed.clone();
            for _ in 0..1 + rng.index(4) {
                let at = rng.index(data.len() + 1);
                match rng.index(3) {
                    0 => {
                        let frag = FRAGMENTS[rng.index(FRAGMENTS.len())].as_bytes();
                        data.splice(at..at, frag.iter().copied());
                    }
                    1 => {
                        let end = (at + rng.index(16)).min(data.len());
                        data.drain(at..end);
                    }
                    _ => {
                        if let Some(b) = data.get_mut(at) {
                            *b = (rng.next() & 0xff) as u8;
                        }
                    }
                }
            }
            if let Err(e) = property::check(&data) {
                panic!("{e}\ninput: {:?}", String::from_utf8_lossy(&data));
            }
            runs += 1;
        }
    }
    println!(
        "config property held on {} corpus files and {runs} mutations",
        corpus.len()
    );
}
