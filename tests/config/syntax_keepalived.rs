//! Differential test against the real keepalived 2.2.7: for block-free configs made only
//! of unknown top-level keywords, `keepalived -t` prints `(Line N) Unknown keyword 'K'` for
//! every statement, which reveals how it lexed, substituted and expanded each line. vrrpd's
//! statement tree must give the same keywords on the same lines.
//!
//! Needs the `keepalived` binary; fails loudly when it is missing.

use crate::common::keepalived;

use std::path::PathBuf;

use vrrpd::config::read::source::FsLoader;
use vrrpd::config::read::syntax::Stmt;
use vrrpd::config::read::{parse_file, ParseOptions, Parsed};

const CASES: &[&str] = &[
    // docs/keepalived-compat.md#lexical-rules comments, quotes, separators, escapes
    "a1 x ! c\na2 \"q # r\" ! c\n\"a 3\" y\n\\#a4 z\nabc\"def ghi\" x\n'q1 b'\n;semi x\nt1\tt2\nv1\x0bv2\n",
    // docs/keepalived-compat.md#parameter-definitions definitions and terminators
    "$A=1\n$B=b_$A\nk_$B\n$A =x\nkw_${A}_s\n$U=${V}\n$V=vv\nu_$U\nx$A$A\nc_$A,\np_$A)\ns_$A/\n$Z =x\n",
    // docs/keepalived-compat.md#parameter-definitions multi-line definitions
    "$M=m1 a \\\n  m2 b \\\n  m3 c\n$M\npre $M\nx$M\n${M}\n",
    "$M=\\\n  n1 \\\n  ! comment inside\n  n2\n\nafter_blank\n$M\n",
    // docs/keepalived-compat.md#parameter-definitions predefined names and re-decommenting
    "foo${_HASH}bar x\n$H=a ${_HASH} b\nh1$H\ni_${_INSTANCE}\nr_${_RANDOM 5 5}\nb_${_BANG}x\n",
    // docs/keepalived-compat.md#conditional-lines conditionals
    "@lb1 c1\n@lb2 c2\n@^lb1 c3\n@^lb2 c4\n@lb1\n@lb1 @^lb2 c5\n$C=@lb2\n$C c6\n",
    // docs/keepalived-compat.md#line-generators generators
    "~SEQ(n,1,3) seq_${n}\n~SEQ(m,10,-5,0) neg_$m\n~SEQ(j,3) r_$j\n~SEQx(h,9,11) hx_$h\n$i after\n",
    "~LST(k,a,b) l_$k\n~LST({m,n},{1,2},{3,4}) mn_${m}_${n}\n~SEQ(a,1,2) ~SEQ(b,1,2) ab_${a}_${b}\n",
    "~SEQ(i,0x2,0x3) h_$i\n~SEQ(i, 3 , 1) sp_$i\n$S=~SEQ(q,1,2) q_$q\n$S\n~SEQ(j,0) z_$j\n~SEQ(j,-2) y_$j\n",
    "$N=3\n~SEQ(i,1,$N) d_$i\n~SEQ(z,1,0,3) bad\nafter_bad\n",
    // docs/keepalived-compat.md#no-line-continuation no continuation
    "trail \\\npart2\nkw p \\  \n",
    // docs/keepalived-compat.md#blocks-and-braces text after braces, and what follows a brace goes through every step again
    "kw1 } kw2\nkw3 }kw4\n",
    "k1 { @lb1 k2 }\nk3 { @lb2 k4 } k5\nk6 { $X=1 }\nk7 $X\nk8 { ~SEQ(i,1,2) r_$i }\n",
    "k1\n{\nk2 {k3\n}\n}\n\"q {\" x {\n}\n",
    // generators over multi-line definitions, definitions made by generators
    "$M=\\\na_$i \\\nb_$i\n~SEQ(i,1,2) $M\n~SEQ(i,1,2) $V_${i}=v$i\nd_$V_1 d_$V_2\n",
    "$B=\\\nblk_$n {\\\n  inner_$n\\\n}\n~LST(n,x,y) $B\n",
];

fn keepalived_keywords(conf: &std::path::Path) -> Vec<(usize, String)> {
    let out = keepalived::check_command(None, conf, &["-i", "lb1"])
        .output()
        .expect("this test needs keepalived 2.2.7 installed (apt install keepalived)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    stderr
        .lines()
        .filter_map(|l| {
            // The parent's pass: `(Line N) Unknown keyword 'K'` (later passes name the file).
            let rest = l.strip_prefix("(Line ")?;
            let (n, rest) = rest.split_once(") Unknown keyword '")?;
            let kw = rest.strip_suffix('\'')?;
            (kw != "}").then(|| (n.parse().ok(), kw.to_string()))
        })
        .filter_map(|(n, k)| Some((n?, k)))
        .collect()
}

fn preorder(p: &Parsed, stmts: &[Stmt], out: &mut Vec<(usize, String)>) {
    for s in stmts {
        let (_, line, _) = p.sources.locate(s.keyword.span).expect("located");
        out.push((line, s.keyword.text.to_string()));
        if let Some(b) = &s.block {
            preorder(p, &b.stmts, out);
        }
    }
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn keywords_match_keepalived() {
    let dir = std::env::temp_dir().join(format!("vrrpd-syntax-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let opts = ParseOptions {
        config_id: Some("lb1".into()),
        ..ParseOptions::default()
    };
    let mut failures = Vec::new();
    for (i, case) in CASES.iter().enumerate() {
        let path: PathBuf = dir.join(format!("case{i}.conf"));
        std::fs::write(&path, case).expect("write case");
        let want = keepalived_keywords(&path);
        assert!(
            want.len() >= 2,
            "keepalived gave no messages for case {i}: {want:?}"
        );
        let p = parse_file(&FsLoader, &path, &opts).expect("readable");
        // keepalived reads the contents of an unknown keyword's block at the same level,
        // so its messages list the tree in pre-order.
        let mut got: Vec<(usize, String)> = Vec::new();
        preorder(&p, &p.stmts, &mut got);
        if got != want {
            failures.push(format!(
                "case {i}: {case:?}\n keepalived: {want:?}\n vrrpd:      {got:?}"
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The parent's first pass over several files: `(Line N)` for the main file and
/// `(relative/path: Line N)` for included ones; the next pass starts with the main file's
/// absolute path.
fn first_pass_keywords(stderr: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for l in stderr.lines() {
        let Some(rest) = l.strip_prefix('(') else {
            continue;
        };
        let Some((place, rest)) = rest.split_once(") Unknown keyword '") else {
            continue;
        };
        let (file, line) = match place.rsplit_once(": Line ") {
            Some((f, n)) => (Some(f), n),
            None => (None, place.strip_prefix("Line ").unwrap_or("")),
        };
        if file.is_some_and(|f| f.starts_with('/')) {
            break;
        }
        let kw = rest.strip_suffix('\'').unwrap_or(rest);
        if kw != "}" {
            out.push((line.parse().unwrap_or(0), kw.to_string()));
        }
    }
    out
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn include_order_matches_keepalived() {
    let dir = std::env::temp_dir().join(format!("vrrpd-syntax-inc-{}", std::process::id()));
    let files: &[(&str, &str)] = &[
        ("main.conf", "in_main1\ninclude sub/{b,a}.conf\ninclude sub/*.conf\nk { include sub/c.conf\n}\nin_main2\n"),
        ("sub/a.conf", "in_a\ninclude ../c.conf\n"),
        ("sub/b.conf", "\nin_b\n"),
        ("sub/c.conf", "in_c_sub\n"),
        ("c.conf", "in_c_parent\n"),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        std::fs::write(&path, text).expect("write");
    }
    let main = dir.join("main.conf");
    let out = keepalived::check_command(None, &main, &["-i", "lb1"])
        .output()
        .expect("this test needs keepalived 2.2.7 installed (apt install keepalived)");
    let want = first_pass_keywords(&String::from_utf8_lossy(&out.stderr));
    let p = parse_file(&FsLoader, &main, &ParseOptions::default()).expect("readable");
    let mut got = Vec::new();
    preorder(&p, &p.stmts, &mut got);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        want.len() >= 8,
        "keepalived output not understood: {want:?}"
    );
    assert_eq!(got, want);
}
