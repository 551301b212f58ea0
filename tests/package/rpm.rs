//! The RPM (packaging/build-rpm.sh, `[package.metadata.generate-rpm]` in Cargo.toml): its file
//! list, configuration files and scriptlets as `rpm -qp` reports them, rpmlint without errors,
//! and an install into a scratch root (`rpm --root DIR --nodeps -i`) that places every file.
//! It carries the same portable binary as the .deb (built once, `super::portable_binary`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use super::{netns, text};

/// The RPM, built once per test run.
fn rpm_package() -> &'static Path {
    static RPM: OnceLock<PathBuf> = OnceLock::new();
    RPM.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        super::portable_binary();
        let out = Command::new(root.join("packaging/build-rpm.sh"))
            .current_dir(&root)
            .stderr(Stdio::inherit())
            .output()
            .expect("build-rpm.sh runs");
        assert!(out.status.success(), "build-rpm.sh: {out:?}");
        let path = text(&out.stdout)
            .lines()
            .last()
            .map(PathBuf::from)
            .expect("build-rpm.sh prints the package's path last");
        assert!(
            path.is_file() && path.extension().is_some_and(|e| e == "rpm"),
            "{}",
            path.display()
        );
        path
    })
}

fn query(args: &[&str]) -> String {
    let out: Output = Command::new("rpm")
        .args(args)
        .arg(rpm_package())
        .output()
        .expect("rpm runs");
    assert!(out.status.success(), "rpm {args:?}: {out:?}");
    text(&out.stdout)
}

/// What every EL node gets, beyond the docs.
const FILES: [&str; 7] = [
    "/usr/sbin/vrrpd",
    "/usr/lib/systemd/system/vrrpd.service",
    "/usr/share/man/man8/vrrpd.8.gz",
    "/usr/share/bash-completion/completions/vrrpd",
    "/usr/share/zsh/site-functions/_vrrpd",
    "/usr/share/fish/vendor_completions.d/vrrpd.fish",
    "/etc/sysconfig/vrrpd",
];

const DOCS: [&str; 4] = [
    "/usr/share/doc/vrrpd/README.md",
    "/usr/share/doc/vrrpd/differences.md",
    "/usr/share/doc/vrrpd/examples/seed001-master.conf",
    "/usr/share/licenses/vrrpd/LICENSE",
];

/// ExecStart= of `unit` (`super::exec_start`) after reading `files` (each `KEY="value"` line)
/// in order, as systemd does.
fn exec_start(unit: &str, files: &[&str]) -> Vec<String> {
    let mut env = HashMap::new();
    for f in files {
        for line in f.lines().map(str::trim) {
            if line.starts_with('#') {
                continue;
            }
            if let Some((k, v)) = line.split_once('=') {
                env.insert(k.to_string(), v.trim_matches('"').to_string());
            }
        }
    }
    super::exec_start(unit, &env)
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root/namespaces (netns-tests)"
)]
#[test]
fn rpm_lists_its_files_and_scriptlets_lints_clean_and_installs_into_a_scratch_root() {
    netns::require_root();
    for t in ["rpm", "rpmlint", "objdump"] {
        netns::require_tool(t);
    }
    let listed = query(&["-qlp"]);
    for f in FILES.iter().chain(DOCS.iter()) {
        assert!(
            listed.lines().any(|l| l == *f),
            "{f} not in the RPM:\n{listed}"
        );
    }
    // %config(noreplace): an edited /etc/sysconfig/vrrpd survives an upgrade.
    let configs = query(&["-qp", "--qf", "[%{FILENAMES} %{FILEFLAGS:fflags}\\n]"]);
    let sysconfig = configs
        .lines()
        .find(|l| l.starts_with("/etc/sysconfig/vrrpd "))
        .unwrap_or_default();
    assert!(
        sysconfig.contains('c') && sysconfig.contains('n'),
        "/etc/sysconfig/vrrpd is not %config(noreplace): {sysconfig:?}\n{configs}"
    );
    // Requirements: glibc 2.17's symbol set at most (the portable binary).
    let requires = query(&["-qp", "--requires"]);
    assert!(
        !requires.lines().any(|l| l.contains("GLIBC_2.")
            && l.split("GLIBC_2.")
                .nth(1)
                .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|m| m.parse::<u32>().ok())
                .is_some_and(|m| m > 17)),
        "{requires}"
    );

    // Scriptlets: nothing enabled, started, restarted or preset on install or upgrade; the
    // service stops only when the package is erased ($1 = 0 in %preun).
    let scripts = query(&["-qp", "--scripts"]);
    let code: Vec<&str> = scripts
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    for action in [
        "systemctl start",
        "systemctl restart",
        "systemctl try-restart",
        "systemctl enable",
        "systemctl preset",
        "--now",
    ] {
        let offending: Vec<&&str> = code.iter().filter(|l| l.contains(action)).collect();
        assert!(
            offending.is_empty(),
            "scriptlets run `{action}`: {offending:?}\n{scripts}"
        );
    }
    let preun = scripts
        .split("preuninstall scriptlet")
        .nth(1)
        .and_then(|s| s.split(" scriptlet (using").next())
        .unwrap_or_default();
    assert!(
        preun.contains("\"$1\" -eq 0") && preun.contains("systemctl stop vrrpd.service"),
        "{scripts}"
    );
    assert!(
        scripts
            .split("preuninstall scriptlet")
            .next()
            .is_some_and(|before| !before.contains("systemctl stop")),
        "{scripts}"
    );

    // RHEL 7's rpm (4.11) unpacks xz and gzip payloads, not zstd.
    assert_eq!(query(&["-qp", "--qf", "%{PAYLOADCOMPRESSOR}"]), "xz");
    assert!(!requires.contains("PayloadIsZstd"), "{requires}");

    // rpmlint: no errors (warnings such as a missing URL are allowed; packaging/rpmlint.toml
    // filters the header tags cargo-generate-rpm cannot write and the missing signature).
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let lint = Command::new("rpmlint")
        .arg("-c")
        .arg(root.join("packaging/rpmlint.toml"))
        .arg(rpm_package())
        .output()
        .expect("rpmlint runs");
    let report = text(&lint.stdout) + &text(&lint.stderr);
    assert!(
        !report.lines().any(|l| l.contains(": E: ")),
        "rpmlint errors:\n{report}"
    );
    assert!(report.contains("0 errors"), "{report}");

    // Installed into a scratch root: every file in place, the binary still the portable one.
    // --noscripts: the scratch root has no /bin/sh to run them (their text is checked above).
    let scratch = std::env::temp_dir().join(format!("vrrpd-rpm-root-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("scratch root");
    let out = Command::new("rpm")
        .arg("--root")
        .arg(&scratch)
        .args(["--nodeps", "--noscripts", "-i"])
        .arg(rpm_package())
        .output()
        .expect("rpm -i runs");
    assert!(out.status.success(), "rpm --root -i: {out:?}");
    let at = |f: &str| scratch.join(f.trim_start_matches('/'));
    for f in FILES.iter().chain(DOCS.iter()) {
        assert!(at(f).is_file(), "{f} not installed");
    }
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(at("/usr/sbin/vrrpd"))
            .expect("stat")
            .permissions(),
    );
    assert_eq!(mode & 0o7777, 0o755);
    super::portable::assert_glibc_floor(&at("/usr/sbin/vrrpd"));
    let v = Command::new(at("/usr/sbin/vrrpd"))
        .arg("--version")
        .output()
        .expect("the installed binary runs");
    assert!(
        v.status.success()
            && (text(&v.stdout) + &text(&v.stderr)).contains(env!("CARGO_PKG_VERSION")),
        "{v:?}"
    );

    // The unit reads RHEL's keepalived options, then vrrpd's, and conflicts with keepalived.
    let unit = std::fs::read_to_string(at("/usr/lib/systemd/system/vrrpd.service")).expect("unit");
    let env_files: Vec<&str> = unit
        .lines()
        .filter_map(|l| l.strip_prefix("EnvironmentFile=-"))
        .collect();
    assert_eq!(
        env_files,
        ["/etc/sysconfig/keepalived", "/etc/sysconfig/vrrpd"]
    );
    assert!(
        unit.lines().any(|l| l == "Conflicts=keepalived.service"),
        "{unit}"
    );
    assert!(
        !unit.contains("/etc/default") && !unit.contains("DAEMON_ARGS"),
        "{unit}"
    );
    // RHEL's keepalived package ships KEEPALIVED_OPTIONS="-D"; an admin adds a vrrpd option.
    let keepalived = "# Options for keepalived.\nKEEPALIVED_OPTIONS=\"-D\"\n";
    let packaged = std::fs::read_to_string(at("/etc/sysconfig/vrrpd")).expect("sysconfig");
    assert!(
        packaged.lines().any(|l| l == "VRRPD_ARGS=\"\""),
        "{packaged}"
    );
    let edited = packaged.replace("VRRPD_ARGS=\"\"", "VRRPD_ARGS=\"--record-events /tmp/ev\"");
    assert_eq!(
        exec_start(&unit, &[keepalived, &edited]),
        [
            "/usr/sbin/vrrpd",
            "--dont-fork",
            "-D",
            "--record-events",
            "/tmp/ev"
        ]
    );
    // `rpm -V` in the scratch root: the files are as packaged.
    let verify = Command::new("rpm")
        .arg("--root")
        .arg(&scratch)
        .args(["-V", "--nodeps", "vrrpd"])
        .output()
        .expect("rpm -V runs");
    assert!(verify.status.success(), "{verify:?}");
    let _ = std::fs::remove_dir_all(&scratch);
}
