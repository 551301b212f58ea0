//! The Debian package (packaging/build-deb.sh, `[package.metadata.deb]` in Cargo.toml) and the
//! generated documentation (examples/gen-docs.rs).
//!
//! Without root: the man page generated from `Cli::command()` names every long flag and renders
//! without warnings; the generated bash completion completes a flag.
//!
//! As root (netns-tests): the portable release binary (packaging/build-portable.sh) is built
//! once per run and shared by both packages; its glibc symbol versions are checked
//! (`portable`). The .deb is installed with `dpkg -i` and purged again; the tests check its
//! files, that dpkg neither enables nor starts the unit, and start the installed binary the way
//! the unit does. The RPM is checked with rpm and rpmlint and installed into a scratch root
//! (`rpm`).
//! Installing is serialised (one dpkg at a time) and every file the package would overwrite is
//! saved first and put back after the purge, so a hand-installed vrrpd and keepalived survive.

#[path = "../examples/gen-docs.rs"]
#[allow(dead_code)]
mod gen_docs;
#[path = "common/netns.rs"]
mod netns;
#[path = "package/portable.rs"]
mod portable;
#[path = "package/rpm.rs"]
mod rpm;

use std::collections::HashMap;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use clap::CommandFactory;

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vrrpd-pkg-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn sh(script: &str) -> Output {
    Command::new("bash")
        .args(["-c", script])
        .output()
        .expect("bash runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Long flags of the command and its visible subcommands, as `--name`.
fn long_flags(cmd: &clap::Command) -> Vec<String> {
    let mut v: Vec<String> = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect();
    for s in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        v.extend(long_flags(s));
    }
    v
}

/// `man -l` in the C locale (ASCII hyphens, so flags can be searched) at 80 columns: the text,
/// and everything man and groff printed on stderr (warnings).
fn render_man(page: &Path) -> (String, String) {
    let out = Command::new("man")
        .args(["--warnings", "-l"])
        .arg(page)
        .env("LC_ALL", "C")
        .env("MANWIDTH", "80")
        .env("MAN_KEEP_FORMATTING", "")
        .env_remove("MANPAGER")
        .env("PAGER", "cat")
        .output()
        .expect("man runs");
    assert!(out.status.success(), "{out:?}");
    // Drop overstrike bold/underline (x\bx) from the text.
    let mut s = String::new();
    for c in text(&out.stdout).chars() {
        if c == '\u{8}' {
            s.pop();
        } else {
            s.push(c);
        }
    }
    (s, text(&out.stderr))
}

const HAND_WRITTEN_SECTIONS: [&str; 6] = [
    "EXIT STATUS",
    "SIGNALS",
    "FILES",
    "ENVIRONMENT",
    "DIFFERENCES FROM KEEPALIVED",
    "EXAMPLES",
];

fn check_man_page(page: &Path) {
    let (rendered, warnings) = render_man(page);
    assert_eq!(warnings, "", "man/groff warnings for {}", page.display());
    for flag in long_flags(&vrrpd::cli::Cli::command()) {
        assert!(
            rendered.contains(&flag),
            "{flag} missing from the man page:\n{rendered}"
        );
    }
    for section in HAND_WRITTEN_SECTIONS {
        assert!(rendered.contains(section), "no {section}:\n{rendered}");
    }
}

/// What `_vrrpd` offers for the word `partial` after `vrrpd`.
fn complete(completion_file: &Path, partial: &str) -> String {
    let script = format!(
        "source {f}; COMP_WORDS=(vrrpd {partial}); COMP_CWORD=1; COMP_LINE='vrrpd {partial}'; \
         COMP_POINT=${{#COMP_LINE}}; _vrrpd vrrpd {partial} vrrpd; echo \"${{COMPREPLY[@]}}\"",
        f = completion_file.display()
    );
    let out = sh(&script);
    assert!(out.status.success(), "{out:?}");
    text(&out.stdout)
}

#[test]
fn generated_man_page_names_every_long_flag_and_renders_without_warnings() {
    let d = tempdir("gendocs");
    gen_docs::generate(&d).expect("gen-docs writes");
    check_man_page(&d.join("vrrpd.8"));
    let groff = Command::new("groff")
        .args(["-man", "-ww", "-z"])
        .arg(d.join("vrrpd.8"))
        .output()
        .expect("groff runs");
    assert!(
        groff.status.success() && groff.stderr.is_empty(),
        "{groff:?}"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn generated_bash_completion_completes_a_flag() {
    let d = tempdir("genbash");
    gen_docs::generate(&d).expect("gen-docs writes");
    let offered = complete(&d.join("completions/vrrpd"), "--check-c");
    assert!(
        offered.split_whitespace().any(|w| w == "--check-config"),
        "{offered:?}"
    );
    for f in ["completions/_vrrpd", "completions/vrrpd.fish"] {
        let s = std::fs::read_to_string(d.join(f)).expect("completion written");
        assert!(s.contains("check-config"), "{f}: {s}");
    }
    let _ = std::fs::remove_dir_all(&d);
}

// ----- the package, as root -----

const PACKAGE: &str = "vrrpd";

/// The portable release binary both packages carry (packaging/build-portable.sh), built once
/// per test run.
fn portable_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let out = Command::new(root.join("packaging/build-portable.sh"))
            .current_dir(&root)
            .stderr(Stdio::inherit())
            .output()
            .expect("build-portable.sh runs");
        assert!(out.status.success(), "build-portable.sh: {out:?}");
        let path = text(&out.stdout)
            .lines()
            .last()
            .map(PathBuf::from)
            .expect("build-portable.sh prints the binary's path last");
        assert!(path.is_file(), "{}", path.display());
        path
    })
}

/// The .deb, built once per test run: `cargo-deb` installed only when missing.
fn deb() -> &'static Path {
    static DEB: OnceLock<PathBuf> = OnceLock::new();
    DEB.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        portable_binary();
        if !sh("command -v cargo-deb").status.success() {
            let st = Command::new("cargo")
                .args(["install", "--locked", "cargo-deb"])
                .status()
                .expect("cargo runs");
            assert!(st.success(), "cargo install cargo-deb failed");
        }
        let outdir = root.join("target/debian/test");
        let _ = std::fs::remove_dir_all(&outdir);
        let out = Command::new(root.join("packaging/build-deb.sh"))
            .arg("--output")
            .arg(&outdir)
            .current_dir(&root)
            .output()
            .expect("build-deb.sh runs");
        assert!(out.status.success(), "build-deb.sh: {out:?}");
        std::fs::read_dir(&outdir)
            .expect("output dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension().is_some_and(|x| x == "deb"))
            .expect("a .deb in target/debian/test")
    })
}

/// The files (not directories) the package holds, as absolute paths.
fn package_files(deb: &Path) -> Vec<PathBuf> {
    let out = Command::new("dpkg-deb")
        .arg("-c")
        .arg(deb)
        .output()
        .expect("dpkg-deb");
    assert!(out.status.success(), "{out:?}");
    text(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| l.split_whitespace().last())
        .map(|p| PathBuf::from(p.trim_start_matches('.')))
        .collect()
}

fn is_installed() -> bool {
    sh(&format!(
        "dpkg-query -W -f='${{Status}}' {PACKAGE} 2>/dev/null | grep -q 'ok installed'"
    ))
    .status
    .success()
}

/// The package installed with `dpkg -i`; dropping it purges it and puts back every file the
/// install overwrote. Holds a lock: one install at a time.
struct Installed {
    backup: PathBuf,
    saved: Vec<PathBuf>,
    _lock: std::sync::MutexGuard<'static, ()>,
}

impl Installed {
    fn new(tag: &str) -> Installed {
        static LOCK: Mutex<()> = Mutex::new(());
        let lock = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        netns::require_root();
        for t in ["dpkg", "man", "systemd-analyze"] {
            netns::require_tool(t);
        }
        assert!(
            !is_installed(),
            "the {PACKAGE} package is already installed here; the test would purge it"
        );
        let deb = deb();
        let backup = tempdir(&format!("backup-{tag}"));
        let mut saved = Vec::new();
        for f in package_files(deb) {
            if f.exists() {
                let to = backup.join(f.strip_prefix("/").unwrap_or(&f));
                std::fs::create_dir_all(to.parent().unwrap_or(&backup)).expect("backup dir");
                let st = Command::new("cp").arg("-a").arg(&f).arg(&to).status();
                assert!(st.is_ok_and(|s| s.success()), "back up {}", f.display());
                saved.push(f);
            }
        }
        let out = Command::new("dpkg")
            .args(["-i", "--force-confnew"])
            .arg(deb)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
            .expect("dpkg runs");
        let me = Installed {
            backup,
            saved,
            _lock: lock,
        };
        assert!(out.status.success(), "dpkg -i: {out:?}");
        me
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        let out = Command::new("dpkg")
            .args(["--purge", PACKAGE])
            .output()
            .map(|o| o.status.success());
        for f in &self.saved {
            let from = self.backup.join(f.strip_prefix("/").unwrap_or(f));
            let _ = Command::new("cp").arg("-a").arg(&from).arg(f).status();
        }
        let _ = std::fs::remove_dir_all(&self.backup);
        if !std::thread::panicking() {
            assert!(matches!(out, Ok(true)), "dpkg --purge {PACKAGE} failed");
            assert!(!is_installed(), "still installed after the purge");
        }
    }
}

/// Where the package put the unit (cargo-deb picks /lib or /usr/lib).
fn installed_unit() -> PathBuf {
    [
        "/usr/lib/systemd/system/vrrpd.service",
        "/lib/systemd/system/vrrpd.service",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
    .expect("vrrpd.service installed")
}

fn enabled_links(unit: &str) -> String {
    text(
        &sh(&format!(
            "ls /etc/systemd/system/*.wants/{unit} 2>/dev/null"
        ))
        .stdout,
    )
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root/namespaces (netns-tests)"
)]
#[test]
fn deb_installs_every_file_without_enabling_or_starting_and_purges_clean() {
    let keepalived_links = enabled_links("keepalived.service");
    let keepalived_binary = sh("md5sum /usr/sbin/keepalived").stdout;
    // lintian (tests/setup-deps.sh installs it): no errors on the package.
    netns::require_tool("lintian");
    let lint = Command::new("lintian")
        .arg(deb())
        .output()
        .expect("lintian runs");
    let report = text(&lint.stdout);
    assert!(
        !report.lines().any(|l| l.starts_with("E:")),
        "lintian errors:\n{report}"
    );
    let before: Vec<(PathBuf, bool)> = package_files(deb())
        .into_iter()
        .map(|f| {
            let e = f.exists();
            (f, e)
        })
        .collect();
    {
        let _pkg = Installed::new("files");
        for f in [
            "/usr/sbin/vrrpd",
            "/usr/share/man/man8/vrrpd.8.gz",
            "/usr/share/bash-completion/completions/vrrpd",
            "/usr/share/zsh/vendor-completions/_vrrpd",
            "/usr/share/fish/vendor_completions.d/vrrpd.fish",
            "/usr/share/doc/vrrpd/README.md",
            "/usr/share/doc/vrrpd/differences.md",
            "/usr/share/doc/vrrpd/copyright",
            "/usr/share/doc/vrrpd/examples/seed001-master.conf",
            "/etc/default/vrrpd",
        ] {
            assert!(Path::new(f).is_file(), "{f} not installed");
        }
        let unit = installed_unit();

        // The conffile, with its empty VRRPD_ARGS.
        let default = std::fs::read_to_string("/etc/default/vrrpd").expect("read");
        assert!(default.lines().any(|l| l == "VRRPD_ARGS=\"\""), "{default}");
        let conffiles = std::fs::read_to_string("/var/lib/dpkg/info/vrrpd.conffiles");
        assert!(
            conffiles.is_ok_and(|c| c.lines().any(|l| l == "/etc/default/vrrpd")),
            "/etc/default/vrrpd is not a conffile"
        );

        portable::assert_glibc_floor(Path::new("/usr/sbin/vrrpd"));
        let v = Command::new("/usr/sbin/vrrpd")
            .arg("--version")
            .output()
            .expect("runs");
        assert!(v.status.success(), "{v:?}");
        let version = text(&v.stdout) + &text(&v.stderr);
        assert!(version.contains(env!("CARGO_PKG_VERSION")), "{version}");

        // `man vrrpd` finds the installed page and renders it without warnings.
        let man = Command::new("man")
            .args(["--warnings", "vrrpd"])
            .env("LC_ALL", "C")
            .env("MANWIDTH", "80")
            .env("PAGER", "cat")
            .env_remove("MANPAGER")
            .output()
            .expect("man runs");
        assert!(man.status.success(), "{man:?}");
        assert_eq!(text(&man.stderr), "", "man warnings");
        assert!(text(&man.stdout).contains("--check-config"), "{man:?}");

        let offered = complete(
            Path::new("/usr/share/bash-completion/completions/vrrpd"),
            "--check-c",
        );
        assert!(
            offered.split_whitespace().any(|w| w == "--check-config"),
            "{offered:?}"
        );

        // systemd-analyze verify also runs `man vrrpd(8)` for Documentation=.
        let verify = Command::new("systemd-analyze")
            .arg("verify")
            .arg(&unit)
            .output()
            .expect("systemd-analyze runs");
        assert!(
            verify.status.success() && verify.stderr.is_empty(),
            "{verify:?}"
        );

        // Installed, neither enabled nor started; keepalived untouched.
        assert_eq!(enabled_links("vrrpd.service"), "", "dpkg enabled vrrpd");
        // Other tests on this machine run vrrpd from target/: look for the installed binary.
        let started = sh("for p in $(pidof vrrpd); do \
             [ \"$(readlink /proc/$p/exe)\" = /usr/sbin/vrrpd ] && exit 0; done; exit 1");
        assert!(!started.status.success(), "dpkg started vrrpd");
        assert_eq!(enabled_links("keepalived.service"), keepalived_links);
        assert_eq!(sh("md5sum /usr/sbin/keepalived").stdout, keepalived_binary);
        let postinst =
            std::fs::read_to_string("/var/lib/dpkg/info/vrrpd.postinst").unwrap_or_default();
        for action in [
            "invoke start",
            "invoke restart",
            "invoke try-restart",
            "enable --now",
        ] {
            assert!(
                !postinst.contains(action),
                "postinst runs `{action}`:\n{postinst}"
            );
        }
    }
    // Purged: nothing of the package is left; files that were there before are back.
    for (f, was_there) in before {
        assert_eq!(f.exists(), was_there, "{} after the purge", f.display());
    }
}

/// `KEY=value` lines as systemd's EnvironmentFile= reads them: comments and blank lines skipped,
/// one pair of surrounding quotes removed.
fn read_environment_file(text: &str, env: &mut HashMap<String, String>) {
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(v);
        env.insert(k.trim().to_string(), v.to_string());
    }
}

/// ExecStart= of the unit with `$NAME` words replaced by the value split on whitespace (systemd's
/// rule for an unbraced variable alone in a word).
fn exec_start(unit: &str, env: &HashMap<String, String>) -> Vec<String> {
    let line = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart= in the unit");
    let mut argv = Vec::new();
    for word in line.split_whitespace() {
        match word.strip_prefix('$') {
            Some(name) => argv.extend(
                env.get(name)
                    .map(String::as_str)
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(String::from),
            ),
            None => argv.push(word.to_string()),
        }
    }
    argv
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root/namespaces (netns-tests)"
)]
#[test]
fn installed_binary_started_as_the_unit_does_reports_ready() {
    let _pkg = Installed::new("ready");
    let d = tempdir("ready");
    let conf = d.join("keepalived.conf");
    std::fs::write(
        &conf,
        "vrrp_instance VI_1 {\n    state BACKUP\n    interface d0\n    virtual_router_id 51\n    \
         priority 100\n    advert_int 1\n    virtual_ipaddress {\n        10.77.0.100/24\n    }\n}\n",
    )
    .expect("write config");

    // Test copies of the two EnvironmentFile= files, as an admin would edit them: keepalived's
    // options in DAEMON_ARGS, a vrrpd-only one in VRRPD_ARGS of the packaged conffile.
    let keepalived_default = format!(
        "# Options to pass to keepalived\nDAEMON_ARGS=\"-D -l -f {} -p {}\"\n",
        conf.display(),
        d.join("vrrpd.pid").display()
    );
    let packaged = std::fs::read_to_string("/etc/default/vrrpd").expect("conffile");
    let vrrpd_default = packaged.replace(
        "VRRPD_ARGS=\"\"",
        &format!(
            "VRRPD_ARGS=\"--record-events {}\"",
            d.join("events").display()
        ),
    );
    assert_ne!(
        packaged, vrrpd_default,
        "VRRPD_ARGS=\"\" line in /etc/default/vrrpd"
    );
    std::fs::write(d.join("default-keepalived"), &keepalived_default).expect("write");
    std::fs::write(d.join("default-vrrpd"), &vrrpd_default).expect("write");

    // The unit's order: /etc/default/keepalived, then /etc/default/vrrpd.
    let unit = std::fs::read_to_string(installed_unit()).expect("unit");
    let files: Vec<&str> = unit
        .lines()
        .filter_map(|l| l.strip_prefix("EnvironmentFile=-"))
        .collect();
    assert_eq!(files, ["/etc/default/keepalived", "/etc/default/vrrpd"]);
    let mut env = HashMap::new();
    for f in ["default-keepalived", "default-vrrpd"] {
        read_environment_file(&std::fs::read_to_string(d.join(f)).expect("read"), &mut env);
    }
    let argv = exec_start(&unit, &env);
    assert_eq!(
        argv.first().map(String::as_str),
        Some("/usr/sbin/vrrpd"),
        "{argv:?}"
    );
    assert!(argv.iter().any(|a| a == "--record-events"), "{argv:?}");

    let ns = netns::Netns::new("pkgready");
    ns.add_veth("d0", "d1");
    ns.add_addr("d0", "10.77.0.1/24");

    let sock_path = d.join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).expect("bind NOTIFY_SOCKET");
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    let args: Vec<&str> = argv.iter().map(String::as_str).collect();
    let mut child = ns
        .command(&args)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("NOTIFY_SOCKET", &sock_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start vrrpd");

    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline && !seen.lines().any(|l| l == "READY=1") {
        if let Ok(n) = sock.recv(&mut buf) {
            seen.push_str(&text(buf.get(..n).unwrap_or_default()));
        }
        if let Ok(Some(st)) = child.try_wait() {
            panic!("vrrpd exited early ({st}); notifications: {seen:?}");
        }
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().expect("vrrpd ends");
    assert!(
        seen.lines().any(|l| l == "READY=1"),
        "no READY=1 within 20s: {seen:?}\nstderr: {}",
        text(&out.stderr)
    );
    assert!(out.status.success(), "{out:?}");
    assert!(d.join("events").exists(), "VRRPD_ARGS not applied");
    let _ = std::fs::remove_dir_all(&d);
}
