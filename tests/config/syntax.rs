//! keepalived.conf syntax front end: files -> statement tree + diagnostics
//! (docs/keepalived-compat.md#lexical-rules–docs/keepalived-compat.md#no-line-continuation). Expectations come from the spec and from runs of
//! keepalived 2.2.7 `-t` where noted.

use crate::common::rng;

use rng::Rng;

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use vrrpd::config::diag::{Diagnostic, Severity};
use vrrpd::config::read::limits::Limits;
use vrrpd::config::read::source::{FileKind, Loader, MemLoader};
use vrrpd::config::read::syntax::Stmt;
use vrrpd::config::read::{parse_file, parse_str, parse_str_with, ParseOptions, Parsed};
use vrrpd::config::span::Span;

// ---------------------------------------------------------------------------------------
// Helpers

/// Statements as text: `kw arg arg {child; child}`.
fn flat(stmts: &[Stmt]) -> Vec<String> {
    stmts
        .iter()
        .map(|s| {
            let mut v = vec![s.keyword.text.clone()];
            v.extend(s.args.iter().map(|w| w.text.clone()));
            let mut line = v.join(" ");
            if let Some(b) = &s.block {
                line.push_str(&format!(" {{{}}}", flat(&b.stmts).join("; ")));
            }
            line
        })
        .collect()
}

fn loc(p: &Parsed, span: Span) -> String {
    let (path, line, col) = p.sources.locate(span).expect("span in a known file");
    format!("{}:{line}:{col}", path.display())
}

/// `severity path:line:col message` for every diagnostic.
fn diags(p: &Parsed) -> Vec<String> {
    p.diagnostics
        .iter()
        .map(|d| {
            let at = d.span.map(|s| loc(p, s)).unwrap_or_default();
            format!("{} {at} {}", d.severity.as_str(), d.message)
        })
        .collect()
}

fn with_id(id: &str) -> ParseOptions {
    ParseOptions {
        config_id: Some(id.to_string()),
        ..ParseOptions::default()
    }
}

fn mem(files: &[(&str, &str)]) -> MemLoader {
    files
        .iter()
        .fold(MemLoader::new(), |l, (p, t)| l.with(*p, *t))
}

fn parse_tree(files: &[(&str, &str)], opts: &ParseOptions) -> Parsed {
    let loader = mem(files);
    let main = Path::new(files.first().expect("a main file").0);
    parse_file(&loader, main, opts).expect("main file readable")
}

/// A MemLoader that can also hold directories and executable files.
struct KindLoader {
    mem: MemLoader,
    executables: BTreeSet<PathBuf>,
    directories: BTreeSet<PathBuf>,
}

impl Loader for KindLoader {
    fn read(&self, path: &Path) -> io::Result<String> {
        self.mem.read(path)
    }
    fn glob(&self, pattern: &str) -> Vec<PathBuf> {
        let mut v = self.mem.glob(pattern);
        if let Ok(p) = glob::Pattern::new(pattern) {
            v.extend(
                self.directories
                    .iter()
                    .filter(|d| p.matches_path(d))
                    .cloned(),
            );
        }
        v.sort();
        v
    }
    fn kind(&self, path: &Path) -> FileKind {
        if self.directories.contains(path) {
            FileKind::Directory
        } else if self.executables.contains(path) {
            FileKind::Executable
        } else {
            self.mem.kind(path)
        }
    }
}

// ---------------------------------------------------------------------------------------
// docs/keepalived-compat.md#lexical-rules Lexing

#[test]
fn comments_quotes_and_separators() {
    let p = parse_str(concat!(
        "! leading comment\n",
        "router_id x ! note\n",
        "auth_pass \"a b#c\" # comment\n",
        "auth_pass 'a b'\n",
        "priority 120 130 ; foo\n",
        "tab\tsep\x0bvt\x0cff\r\n",
        "\\#esc a\\!b\n",
        "   # indented comment\n",
    ));
    assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
    assert_eq!(
        flat(&p.stmts),
        [
            "router_id x",
            "auth_pass a b#c",
            "auth_pass 'a b'",
            "priority 120 130 ; foo",
            "tab sep vt ff",
            "#esc a!b",
        ]
    );
    let quoted = &p.stmts[1].args[0];
    assert!(quoted.quoted);
    assert_eq!(loc(&p, quoted.span), "keepalived.conf:3:11");
    assert_eq!(p.sources.text(quoted.span), "\"a b#c\"");
    assert!(!p.stmts[2].args[0].quoted);
    // `a!b` was written `a\!b`: the span covers the escape.
    assert_eq!(p.sources.text(p.stmts[5].args[0].span), "a\\!b");
}

#[test]
fn spans_of_words_point_at_line_and_column() {
    let p = parse_str("vrrp_instance VI_1 {\n    state MASTER\n\tpriority 100\n}\n");
    let inst = &p.stmts[0];
    assert_eq!(loc(&p, inst.keyword.span), "keepalived.conf:1:1");
    assert_eq!(loc(&p, inst.args[0].span), "keepalived.conf:1:15");
    let body = &inst.block.as_ref().unwrap().stmts;
    assert_eq!(loc(&p, body[0].keyword.span), "keepalived.conf:2:5");
    assert_eq!(loc(&p, body[0].args[0].span), "keepalived.conf:2:11");
    assert_eq!(loc(&p, body[1].args[0].span), "keepalived.conf:3:11");
    let blk = inst.block.as_ref().unwrap();
    assert_eq!(loc(&p, blk.open), "keepalived.conf:1:20");
    assert_eq!(loc(&p, blk.close.unwrap()), "keepalived.conf:4:1");
}

#[test]
fn unterminated_quote_is_an_error_at_the_quote() {
    let p = parse_str("unterminated \"abc def\n");
    assert_eq!(
        diags(&p),
        ["error keepalived.conf:1:14 Unterminated quote 'unterminated \"abc def'"]
    );
    assert_eq!(flat(&p.stmts), ["unterminated abc def"]);
}

#[test]
fn long_lines_are_not_split() {
    let long = "x".repeat(5000);
    let p = parse_str(&format!("kw {long} end\n"));
    assert_eq!(p.stmts[0].args.len(), 2);
    assert_eq!(p.stmts[0].args[0].text.len(), 5000);
}

#[test]
fn non_ascii_text_keeps_char_boundaries() {
    let p = parse_str("# 注释\nnotification_email_from \"é ü\" 字 ! ß\n");
    assert_eq!(flat(&p.stmts), ["notification_email_from é ü 字"]);
    assert_eq!(loc(&p, p.stmts[0].args[1].span), "keepalived.conf:2:31");
}

#[test]
fn byte_order_mark_is_reported_and_skipped() {
    let p = parse_str("\u{feff}global_defs {\n router_id a\n}\n");
    assert_eq!(flat(&p.stmts), ["global_defs {router_id a}"]);
    assert_eq!(
        diags(&p),
        ["error keepalived.conf:1:1 The file starts with a UTF-8 byte order mark; keepalived reads it as part of the first word"]
    );
    assert_eq!(loc(&p, p.stmts[0].keyword.span), "keepalived.conf:1:2");
}

#[test]
fn no_break_spaces_are_reported_and_separate_words() {
    // Observed with keepalived 2.2.7 on a tutorial config pasted from a web page:
    // `(Line 3) Unknown keyword ' '`. vrrpd reports the space itself.
    let p = parse_str("global_defs {\n\u{a0}\u{a0}router_id\u{a0}lb1\n \"a\u{a0}b\"\n}\n");
    assert_eq!(flat(&p.stmts), ["global_defs {router_id lb1; a\u{a0}b}"]);
    assert_eq!(
        diags(&p),
        ["error keepalived.conf:2:1 Unicode space U+00A0 outside quotes; keepalived does not treat it as a separator"]
    );
}

// ---------------------------------------------------------------------------------------
// docs/keepalived-compat.md#blocks-and-braces Braces

#[test]
fn brace_placements_are_equivalent() {
    let one = parse_str("global_defs { router_id X }\n");
    let same_line = parse_str("global_defs {\n router_id X\n}\n");
    let next_line = parse_str("global_defs\n{\n router_id X\n}\n");
    for p in [&one, &same_line, &next_line] {
        assert!(p.diagnostics.is_empty(), "{:?}", diags(p));
        assert_eq!(flat(&p.stmts), ["global_defs {router_id X}"]);
    }
}

#[test]
fn text_after_a_closing_brace_is_a_new_statement() {
    let p = parse_str(
        "global_defs { router_id X } extra1 y\nvrrp_script s { script x }vrrp_instance I {\n}\n",
    );
    assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
    assert_eq!(
        flat(&p.stmts),
        [
            "global_defs {router_id X}",
            "extra1 y",
            "vrrp_script s {script x}",
            "vrrp_instance I {}"
        ]
    );
}

#[test]
fn each_line_of_a_value_block_is_one_statement() {
    let p = parse_str("virtual_ipaddress {\n 10.1.1.1/24 dev eth0\n 10.1.1.2 10.1.1.3\n}\n");
    assert_eq!(
        flat(&p.stmts),
        ["virtual_ipaddress {10.1.1.1/24 dev eth0; 10.1.1.2 10.1.1.3}"]
    );
}

#[test]
fn quoted_braces_do_not_open_blocks() {
    let p = parse_str("notify \"/bin/x {a}\" {\n}\n");
    assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
    assert_eq!(flat(&p.stmts), ["notify /bin/x {a} {}"]);
}

#[test]
fn extra_and_stray_braces() {
    let p = parse_str("a {\n}\n}\n{\nb\n");
    assert_eq!(
        diags(&p),
        [
            "error keepalived.conf:3:1 Extra '}' found",
            "error keepalived.conf:4:1 Unexpected '{' - ignoring",
        ]
    );
    assert_eq!(flat(&p.stmts), ["a {}", "b"]);
}

#[test]
fn unclosed_block_points_at_its_opening_brace() {
    let p = parse_str("global_defs {\n}\nvrrp_instance VI_1 {\n    state MASTER\n");
    assert_eq!(
        diags(&p),
        ["error keepalived.conf:3:20 The block of 'vrrp_instance' is never closed"]
    );
    let d = &p.diagnostics[0];
    assert_eq!(d.label.as_deref(), Some("this '{' is never closed"));
    assert_eq!(
        d.render(&p.sources),
        concat!(
            "keepalived.conf:3:20: error: The block of 'vrrp_instance' is never closed\n",
            "  |\n",
            "3 | vrrp_instance VI_1 {\n",
            "  |                    ^ this '{' is never closed\n",
            "  = help: There are 1 missing '}'s or extra '{'s; add a '}' where this block ends\n",
        )
    );
    // The statements read so far are kept.
    assert_eq!(
        flat(&p.stmts),
        ["global_defs {}", "vrrp_instance VI_1 {state MASTER}"]
    );
}

#[test]
fn rendered_diagnostics_have_a_caret_under_the_token() {
    let p = parse_str("global_defs {\n  router_id \"lb 1\n}\n}\n");
    let out: Vec<String> = p.diagnostics.iter().map(|d| d.render(&p.sources)).collect();
    assert_eq!(
        out,
        [
            concat!(
                "keepalived.conf:2:13: error: Unterminated quote 'router_id \"lb 1'\n",
                "  |\n",
                "2 |   router_id \"lb 1\n",
                "  |             ^ this quote is never closed\n",
            ),
            concat!(
                "keepalived.conf:4:1: error: Extra '}' found\n",
                "  |\n",
                "4 | }\n",
                "  | ^ this '}' has no matching '{'\n",
            ),
        ]
    );
}

#[test]
fn nesting_depth_is_limited() {
    let text = "a {\n".repeat(100) + &"}\n".repeat(100);
    let p = parse_str(&text);
    assert_eq!(
        diags(&p),
        ["error keepalived.conf:65:3 Blocks are nested more than 64 levels deep; the contents of this block are read at the level above"]
    );
}

#[test]
fn text_after_a_brace_is_a_new_line_for_every_step() {
    // Observed with keepalived 2.2.7 (t6.conf): the text after `{` goes through `@`,
    // definitions and ~SEQ like a line of its own; a definition there swallows the `}`,
    // and the ~SEQ tail `r_$i }` closes the block at its first repetition.
    let text = concat!(
        "vrrp_instance A { @lb1 state MASTER } k_after\n",
        "global_defs { ~SEQ(i,1,2) r_$i }\n",
        "global_defs { $X=1 }\n",
        "t1 $X\n",
    );
    let p = parse_str_with(text, &MemLoader::new(), &with_id("lb1"));
    assert_eq!(
        flat(&p.stmts),
        [
            "vrrp_instance A {state MASTER}",
            "k_after",
            "global_defs {r_1}",
            "r_2",
            // `$X` is `1 }`: substituted, then split at the brace, which closes the block.
            "global_defs {t1 1}",
        ]
    );
    assert_eq!(diags(&p), ["error keepalived.conf:2:32 Extra '}' found"]);
}

// ---------------------------------------------------------------------------------------
// docs/keepalived-compat.md#include-files include

#[test]
fn include_splices_statements_at_any_level() {
    let p = parse_tree(
        &[
            (
                "/etc/keepalived/keepalived.conf",
                "global_defs {\n router_id A\n}\nvrrp_instance VI_1 {\n include inst/*.conf\n priority 100\n}\n",
            ),
            ("/etc/keepalived/inst/b.conf", "virtual_router_id 51\n"),
            ("/etc/keepalived/inst/a.conf", "state MASTER\ntrack_script {\n chk\n}\n"),
        ],
        &ParseOptions::default(),
    );
    assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
    assert_eq!(
        flat(&p.stmts),
        [
            "global_defs {router_id A}",
            "vrrp_instance VI_1 {state MASTER; track_script {chk}; virtual_router_id 51; priority 100}"
        ]
    );
    let body = &p.stmts[1].block.as_ref().unwrap().stmts;
    assert_eq!(
        loc(&p, body[2].args[0].span),
        "/etc/keepalived/inst/b.conf:1:19"
    );
}

#[test]
fn relative_includes_resolve_against_the_including_file() {
    let p = parse_tree(
        &[
            ("/etc/k/keepalived.conf", "include sub/one.conf\n"),
            ("/etc/k/sub/one.conf", "include two.conf\n"),
            ("/etc/k/sub/two.conf", "two here\n"),
            ("/etc/k/two.conf", "wrong file\n"),
        ],
        &ParseOptions::default(),
    );
    assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
    assert_eq!(flat(&p.stmts), ["two here"]);
}

#[test]
fn brace_patterns_expand_in_order() {
    let p = parse_tree(
        &[
            ("/k/main.conf", "include /k/{b,a{1,2}}.conf\n"),
            ("/k/a1.conf", "a1\n"),
            ("/k/a2.conf", "a2\n"),
            ("/k/b.conf", "b\n"),
        ],
        &ParseOptions::default(),
    );
    assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
    assert_eq!(flat(&p.stmts), ["b", "a1", "a2"]);
}

#[test]
fn braces_may_span_files() {
    // Observed with keepalived 2.2.7: an instance opened in one file and closed in another
    // works; vrrpd warns.
    let p = parse_tree(
        &[
            ("/k/main.conf", "include open.conf\ninclude close.conf\n"),
            ("/k/open.conf", "vrrp_instance VI {\n state MASTER\n"),
            ("/k/close.conf", " interface eth0\n}\n"),
        ],
        &ParseOptions::default(),
    );
    assert_eq!(
        flat(&p.stmts),
        ["vrrp_instance VI {state MASTER; interface eth0}"]
    );
    assert_eq!(
        diags(&p),
        [
            "warning /k/main.conf:1:1 Included file '/k/open.conf' leaves 1 block(s) open",
            "warning /k/main.conf:2:1 Included file '/k/close.conf' closes 1 block(s) opened before it",
        ]
    );
}

#[test]
fn missing_includes() {
    let main = concat!(
        "include nothere.conf\n",
        "include nothere*.conf\n",
        "include {x,y}.conf\n",
        "includem nothere.conf\n",
        "includew none*.conf\n",
        "includer nothere.conf\n",
        "include\n",
        "include a b\n",
    );
    let p = parse_tree(&[("/k/main.conf", main)], &ParseOptions::default());
    assert_eq!(
        diags(&p),
        [
            "warning /k/main.conf:1:9 Config files missing 'nothere.conf'.",
            "note /k/main.conf:2:9 No config files matched 'nothere*.conf'.",
            "warning /k/main.conf:3:9 Config files missing '{x,y}.conf'.",
            "error /k/main.conf:4:10 Config files missing 'nothere.conf'.",
            "error /k/main.conf:5:10 Config files missing 'none*.conf'.",
            "warning /k/main.conf:6:10 Config files missing 'nothere.conf'.",
            "error /k/main.conf:7:1 'include' is missing its file pattern",
            "warning /k/main.conf:8:9 Config files missing 'a b'.",
        ]
    );
    assert!(p.stmts.is_empty());
}

#[test]
fn all_config_makes_missing_includes_errors() {
    let opts = ParseOptions {
        all_config: true,
        ..ParseOptions::default()
    };
    let p = parse_tree(
        &[("/k/main.conf", "include nothere.conf\ninclude n*.conf\n")],
        &opts,
    );
    assert_eq!(
        diags(&p),
        [
            "error /k/main.conf:1:9 Config files missing 'nothere.conf'.",
            "error /k/main.conf:2:9 Config files missing 'n*.conf'.",
        ]
    );
}

#[test]
fn includeb_requires_every_alternative() {
    let p = parse_tree(
        &[
            ("/k/main.conf", "include {a,b}.conf\nincludeb {a,b}.conf\n"),
            ("/k/a.conf", "a\n"),
        ],
        &ParseOptions::default(),
    );
    assert_eq!(
        diags(&p),
        [
            "warning /k/main.conf:1:9 Config files missing 'b.conf'.",
            "error /k/main.conf:2:10 Config files missing 'b.conf'.",
        ]
    );
    assert_eq!(flat(&p.stmts), ["a", "a"]);
}

#[test]
fn include_check_sets_the_default_for_later_includes() {
    let main = concat!(
        "include gone1.conf\n",
        "global_defs {\n include_check match\n}\n",
        "include gone2.conf\n",
        "include sub.conf\n",
        "include gone4.conf\n",
        "global_defs {\n include_check -match bogus\n}\n",
        "include gone5.conf\n",
    );
    let sub = "global_defs {\n include_check -match\n}\ninclude gone3.conf\n";
    let p = parse_tree(
        &[("/k/main.conf", main), ("/k/sub.conf", sub)],
        &ParseOptions::default(),
    );
    assert_eq!(
        diags(&p),
        [
            "warning /k/main.conf:1:9 Config files missing 'gone1.conf'.",
            "error /k/main.conf:5:9 Config files missing 'gone2.conf'.",
            // Changed inside sub.conf: applies there only, restored when it is closed.
            "warning /k/sub.conf:4:9 Config files missing 'gone3.conf'.",
            "error /k/main.conf:7:9 Config files missing 'gone4.conf'.",
            "error /k/main.conf:9:23 Unknown include_check type 'bogus' - ignoring",
            "warning /k/main.conf:11:9 Config files missing 'gone5.conf'.",
        ]
    );
    // include_check stays in the tree for lowering.
    assert_eq!(flat(&p.stmts)[0], "global_defs {include_check match}");
}

#[test]
fn directories_and_executables_are_skipped() {
    let loader = KindLoader {
        mem: mem(&[
            ("/k/main.conf", "include conf.d/*\nincluder conf.d/*\n"),
            ("/k/conf.d/a.conf", "a\n"),
            ("/k/conf.d/x.sh", "x\n"),
        ]),
        executables: [PathBuf::from("/k/conf.d/x.sh")].into(),
        directories: [PathBuf::from("/k/conf.d/sub")].into(),
    };
    let p = parse_file(&loader, Path::new("/k/main.conf"), &ParseOptions::default()).unwrap();
    assert_eq!(flat(&p.stmts), ["a", "a"]);
    assert_eq!(
        diags(&p),
        [
            "warning /k/main.conf:1:1 Configuration file '/k/conf.d/sub' is not a regular non-executable file - skipping",
            "warning /k/main.conf:1:1 Configuration file '/k/conf.d/x.sh' is not a regular non-executable file - skipping",
            "error /k/main.conf:2:1 Configuration file '/k/conf.d/sub' is not a regular non-executable file - skipping",
            "error /k/main.conf:2:1 Configuration file '/k/conf.d/x.sh' is not a regular non-executable file - skipping",
        ]
    );
}

#[test]
fn real_file_system_includes() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("vrrpd-syntax-fs-{}", std::process::id()));
    let d = |p: &str| dir.join(p);
    std::fs::create_dir_all(d("conf.d/subdir")).unwrap();
    std::fs::write(d("keepalived.conf"), "include conf.d/*\n").unwrap();
    std::fs::write(d("conf.d/b.conf"), "b\n").unwrap();
    std::fs::write(d("conf.d/a.conf"), "a\n").unwrap();
    std::fs::write(d("conf.d/.hidden.conf"), "hidden\n").unwrap();
    std::fs::write(d("conf.d/run.sh"), "script\n").unwrap();
    std::fs::set_permissions(d("conf.d/run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let main = d("keepalived.conf");
    let p = parse_file(
        &vrrpd::config::read::source::FsLoader,
        &main,
        &ParseOptions::default(),
    )
    .unwrap();
    let shown = dir.display().to_string();
    let msgs: Vec<String> = diags(&p).iter().map(|m| m.replace(&shown, "DIR")).collect();
    let dir_err = parse_file(
        &vrrpd::config::read::source::FsLoader,
        &dir,
        &ParseOptions::default(),
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(flat(&p.stmts), ["a", "b"]);
    assert_eq!(
        msgs,
        [
            "warning DIR/keepalived.conf:1:1 Configuration file 'DIR/conf.d/run.sh' is not a regular non-executable file - skipping",
            "warning DIR/keepalived.conf:1:1 Configuration file 'DIR/conf.d/subdir' is not a regular non-executable file - skipping",
        ]
    );
    assert!(dir_err.is_err());
}

#[test]
fn include_cycles_are_errors_not_hangs() {
    let p = parse_tree(
        &[
            ("/k/a.conf", "a1\ninclude b.conf\na2\n"),
            ("/k/b.conf", "b1\ninclude a.conf\ninclude b.conf\nb2\n"),
        ],
        &ParseOptions::default(),
    );
    assert_eq!(flat(&p.stmts), ["a1", "b1", "b2", "a2"]);
    assert_eq!(
        diags(&p),
        [
            "error /k/b.conf:2:1 Configuration file '/k/a.conf' includes itself (/k/a.conf -> /k/b.conf -> /k/a.conf); not read again",
            "error /k/b.conf:3:1 Configuration file '/k/b.conf' includes itself (/k/a.conf -> /k/b.conf -> /k/b.conf); not read again",
        ]
    );
}

#[test]
fn self_include_via_glob() {
    let p = parse_tree(
        &[("/k/a.conf", "x\ninclude *.conf\n")],
        &ParseOptions::default(),
    );
    assert_eq!(flat(&p.stmts), ["x"]);
    assert_eq!(p.diagnostics.len(), 1);
}

#[test]
fn include_depth_is_limited() {
    // A chain of distinct files longer than the limit.
    let mut files: Vec<(String, String)> = Vec::new();
    for i in 0..40 {
        files.push((
            format!("/k/f{i}.conf"),
            format!("level{i}\ninclude f{}.conf\n", i + 1),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let p = parse_tree(&refs, &ParseOptions::default());
    assert_eq!(p.stmts.len(), 33);
    assert_eq!(
        diags(&p),
        ["error /k/f32.conf:2:1 Includes are nested more than 32 levels deep; 'f33.conf' is not read"]
    );
}

#[test]
fn an_include_fan_out_ends_at_the_total_budget() {
    // Twelve conf.d files that each include their own directory: the cycle check stops each
    // chain at a repeat, but the chains of distinct files number about 12! (hours of work).
    // The total budget ends it with one error, quickly.
    let mut files: Vec<(String, String)> =
        vec![("/k/main.conf".into(), "include conf.d/*.conf\n".into())];
    for i in 0..12 {
        files.push((
            format!("/k/conf.d/f{i:02}.conf"),
            format!("s{i}\ninclude *.conf\n"),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let started = std::time::Instant::now();
    let p = parse_tree(&refs, &ParseOptions::default());
    let errors: Vec<String> = diags(&p)
        .into_iter()
        .filter(|d| d.contains("Includes read more than"))
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("Includes read more than 10000 files or 67108864 bytes in total"),
        "{errors:?}"
    );
    // Every statement read before the budget ran out is kept (10,000 readings of one line).
    assert_eq!(p.stmts.len(), 10_000);
    // A generous bound (the reading itself takes well under a second): without the budget
    // this parse does not finish.
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

#[test]
fn the_include_budget_counts_bytes_too() {
    let big = format!("{}\n", "x ".repeat(600));
    let files = [
        (
            "/k/main.conf",
            "include a.conf\ninclude a.conf\ninclude a.conf\n",
        ),
        ("/k/a.conf", big.as_str()),
    ];
    let opts = ParseOptions {
        limits: Limits {
            max_included_bytes: 2_500,
            ..Limits::default()
        },
        ..ParseOptions::default()
    };
    let p = parse_tree(&files, &opts);
    assert_eq!(p.stmts.len(), 2);
    assert_eq!(
        diags(&p),
        ["error /k/main.conf:3:1 Includes read more than 10000 files or 2500 bytes in total; '/k/a.conf' and every later include are not read"]
    );
}

#[test]
fn includes_inside_generators_share_the_expansion_depth() {
    // Every file includes the next through a ~SEQ of ~SEQs: expansion and include depth
    // together stay bounded (and the stack with them).
    let mut files: Vec<(String, String)> = Vec::new();
    let prefix = "~SEQ(a,1,1) ".repeat(10);
    for i in 0..40 {
        files.push((
            format!("/k/f{i}.conf"),
            format!("l{i}\n{prefix}include f{}.conf\n", i + 1),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let p = parse_tree(&refs, &ParseOptions::default());
    assert_eq!(flat(&p.stmts), ["l0", "l1", "l2", "l3"]);
    assert_eq!(
        diags(&p),
        ["error /k/f3.conf:2:37 Definitions and ~SEQ/~LST expansions are nested more than 32 levels deep; expansion stopped"]
    );
}

#[test]
fn include_pattern_may_use_a_definition() {
    let p = parse_tree(
        &[
            (
                "/k/main.conf",
                "$F=/k/part.conf\ninclude $F\n@lb1 include /k/other.conf\n",
            ),
            ("/k/part.conf", "part\n"),
            ("/k/other.conf", "other\n"),
        ],
        &with_id("lb1"),
    );
    assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
    assert_eq!(flat(&p.stmts), ["part", "other"]);
}

#[test]
fn a_brace_after_an_include_pattern_is_part_of_it() {
    // Observed with keepalived 2.2.7: `Config files missing 'inc/nothere.conf }'.`
    let p = parse_tree(
        &[("/k/main.conf", "global_defs { include nothere.conf }\n")],
        &ParseOptions::default(),
    );
    assert_eq!(
        diags(&p),
        [
            "error /k/main.conf:1:36 The '}' after 'include' is read as part of the file pattern",
            "warning /k/main.conf:1:23 Config files missing 'nothere.conf }'.",
            "error /k/main.conf:1:13 The block of 'global_defs' is never closed",
        ]
    );
}

#[test]
fn a_file_included_twice_is_stored_once() {
    let p = parse_tree(
        &[
            ("/k/main.conf", "include p.conf\ninclude p.conf\n"),
            ("/k/p.conf", "p\n"),
        ],
        &ParseOptions::default(),
    );
    assert_eq!(flat(&p.stmts), ["p", "p"]);
    assert_eq!(p.sources.files().count(), 2);
}

#[test]
fn unreadable_main_file_is_an_error_result() {
    let loader = MemLoader::new();
    assert!(parse_file(&loader, Path::new("/nope.conf"), &ParseOptions::default()).is_err());
    let loader = mem(&[("/k/dir/a.conf", "")]);
    let err = parse_file(&loader, Path::new("/k/dir"), &ParseOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), "/k/dir: is a directory");
}

// ---------------------------------------------------------------------------------------
// docs/keepalived-compat.md#parameter-definitions Definitions

#[test]
fn definitions_and_terminators() {
    let p = parse_str(concat!(
        "$A=1\n",
        "$A_suffix=S\n",
        "use $A,$A) ${A}x kw_$A_suffix kw_$B| 10.0.0.$A/24 10.0.0.${A}/24\n",
        "$Z =x\n",
        "  $IND=indented\n",
        "i $IND\n",
        "$U=${V}\n",
        "$V=vv\n",
        "u_$U $UNDEF $\n",
        "$E=\n",
        "e[$E]\n",
    ));
    assert_eq!(
        flat(&p.stmts),
        [
            "use 1,1) 1x kw_S kw_$B| 10.0.0.$A/24 10.0.0.1/24",
            "$Z =x",
            "i indented",
            "u_vv $UNDEF $",
            "e[$E]",
        ]
    );
}

#[test]
fn substituted_words_point_at_the_use() {
    let p = parse_str("$VIP=10.0.0.1/24 dev eth0\nvirtual_ipaddress {\n  $VIP\n  pre_${VIP}\n}\n");
    let body = &p.stmts[0].block.as_ref().unwrap().stmts;
    assert_eq!(
        flat(body),
        ["10.0.0.1/24 dev eth0", "pre_10.0.0.1/24 dev eth0"]
    );
    for w in std::iter::once(&body[0].keyword).chain(&body[0].args) {
        assert_eq!(p.sources.text(w.span), "$VIP");
        assert_eq!(loc(&p, w.span), "keepalived.conf:3:3");
    }
    assert_eq!(p.sources.text(body[1].keyword.span), "pre_${VIP}");
}

#[test]
fn substitution_is_redecommented() {
    // Observed with keepalived 2.2.7: `foo${_HASH}bar x` gives the keyword `foo`.
    let p = parse_str("foo${_HASH}bar x\n$H=a ${_HASH} b\nh1$H c\nq \"${_HASH}${_BANG}\"\n");
    assert_eq!(flat(&p.stmts), ["foo", "h1a", "q #!"]);
    // A comment in a definition line is cut when the definition is read.
    let p = parse_str("$H=a # b\nh1$H c\n");
    assert_eq!(flat(&p.stmts), ["h1a c"]);
}

#[test]
fn predefined_names() {
    let opts = ParseOptions {
        config_id: Some("lb1".into()),
        random_seed: Some(7),
        ..ParseOptions::default()
    };
    let p = parse_tree(
        &[
            ("/etc/k/main.conf", "i ${_INSTANCE} ${_PWD} $_PWD\nr ${_RANDOM} ${_RANDOM 5 5} ${_RANDOM 10 20}\ninclude sub/x.conf\n"),
            ("/etc/k/sub/x.conf", "p ${_PWD}\n"),
        ],
        &opts,
    );
    let f = flat(&p.stmts);
    assert_eq!(f[0], "i lb1 /etc/k /etc/k");
    assert_eq!(f[2], "p /etc/k/sub");
    let r: Vec<u64> = p.stmts[1]
        .args
        .iter()
        .map(|w| w.text.parse().unwrap())
        .collect();
    assert!(r[0] <= 32767);
    assert_eq!(r[1], 5);
    assert!((10..=20).contains(&r[2]));
    // Deterministic for a given seed.
    let again = parse_tree(
        &[
            ("/etc/k/main.conf", "i ${_INSTANCE} ${_PWD} $_PWD\nr ${_RANDOM} ${_RANDOM 5 5} ${_RANDOM 10 20}\ninclude sub/x.conf\n"),
            ("/etc/k/sub/x.conf", "p ${_PWD}\n"),
        ],
        &opts,
    );
    assert_eq!(flat(&again.stmts), f);
}

#[test]
fn multi_line_definitions() {
    // Observed with keepalived 2.2.7 (t2.conf): `$M` and `x$M` expand to three lines;
    // a multi-line name not at the end of the line is left alone.
    let p = parse_str(concat!(
        "$M=m1 a \\\n",
        "  m2 b \\\n",
        "  ! a comment line inside the definition\n",
        "  m3 c\n",
        "$M\n",
        "x$M\n",
        "$M y\n",
    ));
    assert_eq!(
        flat(&p.stmts),
        ["m1 a", "m2 b", "m3 c", "xm1 a", "m2 b", "m3 c", "$M y"]
    );
    assert_eq!(loc(&p, p.stmts[1].keyword.span), "keepalived.conf:5:1");
}

#[test]
fn multi_line_definition_with_blocks_conditionals_and_nested_definitions() {
    let text = concat!(
        "$INST=\\\n",
        "vrrp_instance VI_${N} {\\\n",
        "  state MASTER\\\n",
        "  @lb1 priority 150\\\n",
        "  @^lb1 priority 100\\\n",
        "  $INNER=set_inside\\\n",
        "}\n",
        "\n",
        "$N=1\n",
        "$INST\n",
        "$N=2\n",
        "$INST\n",
        "after $INNER\n",
    );
    let p = parse_str_with(text, &MemLoader::new(), &with_id("lb1"));
    assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
    assert_eq!(
        flat(&p.stmts),
        [
            "vrrp_instance VI_1 {state MASTER; priority 150}",
            "vrrp_instance VI_2 {state MASTER; priority 150}",
            "after set_inside",
        ]
    );
}

#[test]
fn an_empty_line_ends_a_multi_line_definition() {
    let p = parse_str("$M=a \\\n\nb\n$M\n");
    assert_eq!(flat(&p.stmts), ["b", "a"]);
}

#[test]
fn self_referencing_definitions_are_stopped() {
    let start = Instant::now();
    let p = parse_str("$A=$A\nx $A\n$B=${B}${B}${B}${B}\ny $B\nz ok\n");
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(
        diags(&p),
        [
            "error keepalived.conf:2:1 Parameter substitution on line 'x $A' does not end (more than 10000 replacements)",
            "error keepalived.conf:4:1 Parameter substitution on line 'y $B' would exceed maximum line length (a line may grow by 65536 bytes)",
        ]
    );
    assert_eq!(flat(&p.stmts), ["z ok"]);
}

#[test]
fn self_referencing_multi_line_definition_is_stopped() {
    let start = Instant::now();
    let p = parse_str("$M=a \\\n$M\n$M\nafter\n");
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(
        diags(&p),
        ["error keepalived.conf:3:1 Definitions and ~SEQ/~LST expansions are nested more than 32 levels deep; expansion stopped"]
    );
    assert_eq!(p.stmts.len(), 34);
    assert_eq!(flat(&p.stmts).last().unwrap(), "after");
}

// ---------------------------------------------------------------------------------------
// docs/keepalived-compat.md#conditional-lines Conditionals

#[test]
fn conditional_lines() {
    let text = "@lb1 a 1\n@lb2 b 2\n@^lb1 c 3\n@^lb2 d 4\n@lb1\n@lb1 vrrp_instance X {\n@lb1 @^lb2 nested\n}\n";
    let p = parse_str_with(text, &MemLoader::new(), &with_id("lb1"));
    assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
    // Only one prefix is checked per line (observed with keepalived 2.2.7).
    assert_eq!(
        flat(&p.stmts),
        ["a 1", "d 4", "vrrp_instance X {@^lb2 nested}"]
    );
    assert_eq!(loc(&p, p.stmts[0].keyword.span), "keepalived.conf:1:6");
    // No config id: `@ID` never matches, `@^ID` always does.
    let p = parse_str(text);
    assert_eq!(flat(&p.stmts), ["c 3", "d 4"]);
    assert_eq!(diags(&p), ["error keepalived.conf:8:1 Extra '}' found"]);
}

#[test]
fn conditional_from_a_definition() {
    let p = parse_str_with(
        "$C=@lb2\n$C hidden\n$C\nshown\n",
        &MemLoader::new(),
        &with_id("lb1"),
    );
    assert_eq!(flat(&p.stmts), ["shown"]);
}

// ---------------------------------------------------------------------------------------
// docs/keepalived-compat.md#line-generators ~SEQ / ~LST

#[test]
fn seq_observed_examples() {
    let p = parse_str(concat!(
        "~SEQ(n,1,3) seq_${n}\n",
        "~SEQ(m,10,-5,0) neg_$m\n",
        "~SEQ(j,3) r_$j\n",
        "~SEQx(h,9,11) hx_$h\n",
        "$i after\n",
        "10.0.0.$n/24 10.0.0.${n}/24\n",
    ));
    assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
    assert_eq!(
        flat(&p.stmts),
        [
            "seq_1",
            "seq_2",
            "seq_3",
            "neg_10",
            "neg_5",
            "neg_0",
            "r_1",
            "r_2",
            "r_3",
            "hx_9",
            "hx_a",
            "hx_b",
            "$i after",
            "10.0.0.$n/24 10.0.0.3/24",
        ]
    );
    // Generated words point at the generator line; the literal part at itself.
    assert_eq!(p.sources.text(p.stmts[0].keyword.span), "seq_${n}");
    assert_eq!(loc(&p, p.stmts[4].keyword.span), "keepalived.conf:2:17");
}

#[test]
fn lst_and_nested_generators() {
    let p = parse_str(concat!(
        "~LST(k, a, b) l_$k\n",
        "~LST({m,n},{1,2},{3,4}) mn_${m}_${n}\n",
        "~SEQ(a,1,2) ~SEQ(b,1,2) ab_${a}_${b}\n",
        "~LST(ip,10.0.0.1,10.0.0.2) unicast_peer ${ip}\n",
    ));
    assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
    assert_eq!(
        flat(&p.stmts),
        [
            "l_a",
            "l_b",
            "mn_1_2",
            "mn_3_4",
            "ab_1_1",
            "ab_1_2",
            "ab_2_1",
            "ab_2_2",
            "unicast_peer 10.0.0.1",
            "unicast_peer 10.0.0.2",
        ]
    );
}

#[test]
fn seq_generating_blocks_and_using_definitions() {
    let p = parse_str(concat!(
        "$LAST=3\n",
        "virtual_ipaddress {\n",
        "~SEQ(i,1,$LAST) 10.0.0.${i}/24\n",
        "}\n",
        "~SEQ(v,1,2) vrrp_instance V$v { virtual_router_id $v }\n",
        "$S=~SEQ(q,1,2) q_$q\n",
        "$S\n",
    ));
    assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
    assert_eq!(
        flat(&p.stmts),
        [
            "virtual_ipaddress {10.0.0.1/24; 10.0.0.2/24; 10.0.0.3/24}",
            "vrrp_instance V1 {virtual_router_id 1}",
            "vrrp_instance V2 {virtual_router_id 2}",
            "q_1",
            "q_2",
        ]
    );
}

#[test]
fn invalid_generators() {
    let p = parse_str(concat!(
        "~SEQ(z,1,0,3) bad\n",
        "~SEQ(z,3,1,1) bad2\n",
        "~SEQ z\n",
        "~SEQx(h,-1,3) neg\n",
        "~LST({a,b},{1}) x\n",
        "ok\n",
    ));
    assert_eq!(
        diags(&p),
        [
            "error keepalived.conf:1:1 Invalid ~SEQ values '~SEQ(z,1,0,3) bad'",
            "error keepalived.conf:2:1 Invalid ~SEQ values '~SEQ(z,3,1,1) bad2'",
            "error keepalived.conf:3:1 Invalid ~SEQ definition '~SEQ z'",
            "error keepalived.conf:4:1 ~SEQx is only valid for positive numbers '~SEQx(h,-1,3) neg'",
            "error keepalived.conf:5:1 Invalid ~LST definition '~LST({a,b},{1}) x'",
        ]
    );
    assert_eq!(flat(&p.stmts), ["ok"]);
}

#[test]
fn seq_bombs_finish_fast() {
    let start = Instant::now();
    let p = parse_str("~SEQ(a,1,1000000000) ~SEQ(b,1,1000000000) x_${a}_${b}\nafter\n");
    assert_eq!(
        diags(&p),
        ["error keepalived.conf:1:1 ~SEQ/~LST and multi-line definitions generate more than 500000 lines or 33554432 bytes; expansion stopped"]
    );
    assert_eq!(flat(&p.stmts), ["after"]);

    let limits = Limits {
        max_expanded_lines: 5_000,
        ..Limits::default()
    };
    let opts = ParseOptions {
        limits,
        ..ParseOptions::default()
    };
    let p = parse_str_with(
        "~SEQ(a,1,1000) ~SEQ(b,1,1000) x_${a}_${b}\nafter\n",
        &MemLoader::new(),
        &opts,
    );
    assert_eq!(p.diagnostics.len(), 1);
    assert!(p.stmts.len() < 5_000);
    assert_eq!(flat(&p.stmts).last().unwrap(), "after");

    // Multiplying multi-line definitions: 10 levels of x10.
    let mut text = String::from("$D0=leaf\n");
    for i in 1..=10 {
        text.push_str(&format!("$D{i}=\\\n"));
        for _ in 0..9 {
            text.push_str(&format!("$D{} \\\n", i - 1));
        }
        text.push_str(&format!("$D{}\n\n", i - 1));
    }
    text.push_str("$D10\nafter\n");
    let p = parse_str_with(&text, &MemLoader::new(), &opts);
    assert_eq!(p.diagnostics.len(), 1, "{:?}", diags(&p));
    assert!(p.stmts.len() <= 5_002, "{}", p.stmts.len());
    assert!(start.elapsed() < Duration::from_secs(20));
}

// ---------------------------------------------------------------------------------------
// docs/keepalived-compat.md#no-line-continuation No general line continuation

#[test]
fn trailing_backslash_is_not_a_continuation() {
    // Observed with keepalived 2.2.7: `trail \` + `part2` -> keywords `trail\` and `part2`.
    let p = parse_str("trail \\\npart2\nkw part1 \\  \n");
    assert_eq!(flat(&p.stmts), ["trail\\", "part2", "kw part1 \\"]);
}

// ---------------------------------------------------------------------------------------
// Performance (product target: check-config 10x faster than keepalived -t)

fn big_config(instances: usize) -> String {
    let mut s = String::with_capacity(instances * 600);
    s.push_str("global_defs {\n  router_id LVS_DEVEL\n  enable_script_security\n}\n");
    for i in 0..instances {
        s.push_str(&format!(
            "vrrp_instance VI_{i} {{\n    state BACKUP\n    interface eth0\n    virtual_router_id {}\n    priority 100\n    advert_int 1\n    nopreempt\n    authentication {{\n        auth_type PASS\n        auth_pass secret{i}\n    }}\n    unicast_src_ip 10.0.0.1\n    unicast_peer {{\n        10.0.0.2\n        10.0.0.3\n    }}\n    virtual_ipaddress {{\n        10.1.{}.{}/24 dev eth0 label eth0:{i}\n    }}\n    track_script {{\n        chk_haproxy\n    }}\n    notify_master \"/etc/keepalived/notify.sh master\" ! comment\n    notify_backup /etc/keepalived/notify.sh\n}}\n",
            i % 255 + 1,
            i / 250 % 256,
            i % 250 + 1
        ));
    }
    s
}

#[test]
fn large_config_parses_quickly() {
    let text = big_config(10_000);
    assert!(text.lines().count() >= 250_000);
    let start = Instant::now();
    let p = parse_str(&text);
    let took = start.elapsed();
    assert!(p.diagnostics.is_empty(), "{:?}", &diags(&p)[..3]);
    assert_eq!(p.stmts.len(), 10_001);
    let budget = if cfg!(debug_assertions) {
        Duration::from_secs(20)
    } else {
        Duration::from_millis(500)
    };
    eprintln!("parsing 250k lines took {took:?}");
    assert!(took < budget, "parsing 250k lines took {took:?}");
}

#[test]
fn large_generated_config_parses_quickly() {
    // 10,000 instances from one multi-line definition and a ~SEQ: 250,000 generated lines.
    let text = concat!(
        "$INST=\\\n",
        "vrrp_instance VI_${i} {\\\n",
        "    state BACKUP\\\n",
        "    interface $IF\\\n",
        "    virtual_router_id ${i}\\\n",
        "    priority 100\\\n",
        "    advert_int 1\\\n",
        "    authentication {\\\n",
        "        auth_type PASS\\\n",
        "        auth_pass secret${i}\\\n",
        "    }\\\n",
        "    unicast_peer {\\\n",
        "        10.0.0.2\\\n",
        "        10.0.0.3\\\n",
        "    }\\\n",
        "    virtual_ipaddress {\\\n",
        "        10.1.0.${i}/24 dev $IF label $IF:${i}\\\n",
        "    }\\\n",
        "    track_script {\\\n",
        "        chk_haproxy\\\n",
        "    }\\\n",
        "    notify_master \"/etc/keepalived/notify.sh master\"\\\n",
        "    notify_backup /etc/keepalived/notify.sh\\\n",
        "    nopreempt\\\n",
        "}\n",
        "$IF=eth0\n",
        "~SEQ(i,1,10000) $INST\n",
    );
    let start = Instant::now();
    let p = parse_str(text);
    let took = start.elapsed();
    eprintln!("generating and parsing 250k lines took {took:?}");
    assert!(p.diagnostics.is_empty(), "{:?}", diags(&p));
    assert_eq!(p.stmts.len(), 10_000);
    assert_eq!(p.stmts[9_999].args[0].text, "VI_10000");
    let budget = if cfg!(debug_assertions) {
        Duration::from_secs(30)
    } else {
        Duration::from_millis(800)
    };
    assert!(
        took < budget,
        "generating and parsing 250k lines took {took:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Deterministic random text: no panic, every span inside its file on char boundaries.

const FRAGMENTS: &[&str] = &[
    "vrrp_instance",
    "VI_1",
    "{",
    "}",
    "{ }",
    "\"",
    "\"a b\"",
    "'",
    "#",
    "!",
    "\\",
    "\\#",
    "$",
    "$A",
    "${A}",
    "$A=",
    "$M=\\",
    "${_RANDOM 1 9}",
    "${_PWD}",
    "${",
    "~SEQ(",
    "~SEQ(i,1,3)",
    "~SEQ(i,3)",
    "~SEQx(h,1,20)",
    "~LST(",
    "~LST({a,b},{1,2})",
    ")",
    ",",
    "@lb1",
    "@^lb1",
    "@",
    "include",
    "include x.conf",
    "includea",
    "include *.conf",
    "include_check",
    "global_defs",
    " ",
    "  ",
    "\t",
    "\n",
    "\n",
    "\n",
    "\r\n",
    "é",
    "字",
    "10.0.0.${i}/24",
    "priority",
    "100",
    "\x0b",
    ";",
    "}}",
    "{{",
    "$i",
    "${i}",
    "=",
    "\\\n",
];

fn check_spans(p: &Parsed, stmts: &[Stmt]) {
    let ok = |s: Span| {
        let f = p.sources.get(s.file).expect("span file exists");
        let (a, b) = (s.start as usize, s.end as usize);
        assert!(
            a <= b && b <= f.text.len(),
            "span {s:?} outside {}",
            f.path.display()
        );
        assert!(
            f.text.is_char_boundary(a) && f.text.is_char_boundary(b),
            "span {s:?} not on char boundaries"
        );
    };
    for st in stmts {
        ok(st.keyword.span);
        for w in &st.args {
            ok(w.span);
        }
        if let Some(b) = &st.block {
            ok(b.open);
            if let Some(c) = b.close {
                ok(c);
            }
            check_spans(p, &b.stmts);
        }
    }
}

fn random_text(rng: &mut Rng) -> String {
    let n = 1 + rng.next() % 60;
    (0..n)
        .map(|_| rng.pick(FRAGMENTS))
        .collect::<Vec<_>>()
        .join(if rng.next() % 3 == 0 { "" } else { " " })
}

#[test]
fn random_text_never_panics_and_spans_stay_inside() {
    let mut rng = Rng::from_state(0x5EED_1234_ABCD_0001);
    let start = Instant::now();
    for round in 0..3000 {
        let main = random_text(&mut rng);
        let other = random_text(&mut rng);
        let loader = mem(&[("/k/keepalived.conf", &main), ("/k/x.conf", &other)]);
        let opts = ParseOptions {
            config_id: Some("lb1".into()),
            random_seed: Some(round),
            limits: Limits {
                max_expanded_lines: 2_000,
                ..Limits::default()
            },
            ..ParseOptions::default()
        };
        let p = parse_file(&loader, Path::new("/k/keepalived.conf"), &opts).unwrap();
        check_spans(&p, &p.stmts);
        for d in &p.diagnostics {
            if let Some(s) = d.span {
                let f = p.sources.get(s.file).expect("diagnostic file");
                assert!(s.end as usize <= f.text.len());
                assert!(f.text.is_char_boundary(s.start as usize));
                assert!(f.text.is_char_boundary(s.end as usize));
            }
            let _ = d.render(&p.sources);
            let _ = d.to_json(&p.sources);
        }
    }
    assert!(start.elapsed() < Duration::from_secs(120));
}

#[test]
fn severities_are_errors_for_meaning_changes() {
    let p = parse_str("}\n");
    assert!(p.diagnostics.iter().all(Diagnostic::is_error));
    let p = parse_str("include missing.conf\n");
    assert_eq!(p.diagnostics[0].severity, Severity::Warning);
}

// ---------------------------------------------------------------------------------------
// Corpus: tests/config/syntax/*.conf, read from the real file system, with the expected
// rendered diagnostics (`.stderr`) and statement tree (`.tree`) next to each file.
// `VRRPD_BLESS=1 cargo test --test config syntax::corpus` rewrites the expectations.

fn tree_dump(p: &Parsed, stmts: &[Stmt], indent: usize, out: &mut String) {
    for s in stmts {
        let (_, line, col) = p.sources.locate(s.keyword.span).expect("located");
        let words: Vec<String> = std::iter::once(&s.keyword)
            .chain(&s.args)
            .map(|w| {
                if w.quoted {
                    format!("{:?}", w.text)
                } else {
                    w.text.to_string()
                }
            })
            .collect();
        out.push_str(&format!(
            "{}{}  @{line}:{col}\n",
            "  ".repeat(indent),
            words.join(" ")
        ));
        if let Some(b) = &s.block {
            tree_dump(p, &b.stmts, indent + 1, out);
        }
    }
}

#[test]
fn corpus() {
    let dir = Path::new("tests/config/syntax");
    let mut confs: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("corpus directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "conf"))
        .collect();
    confs.sort();
    assert!(confs.len() >= 8, "corpus is missing");
    let bless = std::env::var_os("VRRPD_BLESS").is_some();
    let opts = ParseOptions {
        config_id: Some("lb1".into()),
        random_seed: Some(1),
        ..ParseOptions::default()
    };
    let mut failures = Vec::new();
    for conf in confs {
        let p = parse_file(&vrrpd::config::read::source::FsLoader, &conf, &opts).expect("readable");
        let stderr: String = p.diagnostics.iter().map(|d| d.render(&p.sources)).collect();
        let mut tree = String::new();
        tree_dump(&p, &p.stmts, 0, &mut tree);
        for (ext, got) in [("stderr", stderr), ("tree", tree)] {
            let want_path = conf.with_extension(ext);
            if bless {
                std::fs::write(&want_path, &got).expect("write expectation");
                continue;
            }
            let want = std::fs::read_to_string(&want_path).unwrap_or_default();
            if want != got {
                failures.push(format!("--- {} differs; got:\n{got}", want_path.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
