//! The cargo-fuzz config property (tests/common/config_property.rs) on deterministic inputs, so
//! CI covers it without cargo-fuzz: every example and corpus file, and mutations of them.

#[path = "common/config_property.rs"]
mod property;

use std::path::Path;

/// xorshift64*: small, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

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
    let mut rng = Rng(0x5eed_c0f1);
    let mut runs = 0;
    for seed in &corpus {
        property::check(seed).unwrap_or_else(|e| panic!("unmutated corpus file: {e}"));
        for _ in 0..40 {
            let mut data = seed.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(data.len() + 1);
                match rng.below(3) {
                    0 => {
                        let frag = FRAGMENTS[rng.below(FRAGMENTS.len())].as_bytes();
                        data.splice(at..at, frag.iter().copied());
                    }
                    1 => {
                        let end = (at + rng.below(16)).min(data.len());
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
