//! The `vrrpd` command line: exit codes, formats and keepalived's flags.

use std::path::PathBuf;
use std::process::{Command, Output};

fn vrrpd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        .args(args)
        .output()
        .expect("run vrrpd")
}

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vrrpd-cli-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p.display().to_string()
}

const GOOD: &str = "vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        192.168.200.16
    }
}
";

const BAD: &str = "vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 300
    advert_int 1
    virtual_ipaddress {
        192.168.200.16
    }
}
";

#[test]
fn good_config_exits_0() {
    let d = tempdir("good");
    let f = write(&d, "k.conf", GOOD);
    let out = vrrpd(&["--check-config", "-f", &f]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("0 errors, 0 warnings"), "{err}");
}

#[test]
fn errors_exit_1_with_location_and_caret() {
    let d = tempdir("bad");
    let f = write(&d, "k.conf", BAD);
    for flag in ["--check-config", "-t", "--config-test"] {
        let out = vrrpd(&[flag, "-f", &f]);
        assert_eq!(out.status.code(), Some(1), "{flag}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("{f}:5:14: error:")), "{flag}: {err}");
        assert!(err.contains("^^^"), "{err}");
        assert!(err.contains("1 error"), "{err}");
    }
}

#[test]
fn missing_main_file_exits_2() {
    let d = tempdir("missing");
    let f = d.join("nope.conf").display().to_string();
    let out = vrrpd(&["--check-config", "-f", &f]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = vrrpd(&["--check-config", "-f", &d.display().to_string()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a directory is not a config: {out:?}"
    );
}

#[test]
fn strict_fails_on_warnings() {
    let d = tempdir("strict");
    // An ignored LVS block is a warning.
    let text = format!("{GOOD}virtual_server 10.0.0.1 80 {{\n    delay_loop 6\n}}\n");
    let f = write(&d, "k.conf", &text);
    let out = vrrpd(&["--check-config", "-f", &f]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("ignored: vrrpd manages VRRP only"));
    let out = vrrpd(&["--check-config", "--strict", "-f", &f]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}

#[test]
fn json_format_lists_diagnostics() {
    let d = tempdir("json");
    let f = write(&d, "k.conf", BAD);
    let out = vrrpd(&["--check-config", "--format", "json", "-f", &f]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json on stdout");
    assert_eq!(v["errors"], 1);
    let d0 = &v["diagnostics"][0];
    assert_eq!(d0["severity"], "error");
    assert_eq!(d0["line"], 5);
    assert_eq!(d0["column"], 14);
    assert_eq!(d0["file"], f.as_str());
}

/// The JSON report carries a schema version so tools can tell formats apart.
#[test]
fn json_format_has_a_schema_version() {
    let d = tempdir("jsonschema");
    let f = write(&d, "k.conf", BAD);
    let out = vrrpd(&["--check-config", "--format", "json", "-f", &f]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json on stdout");
    assert_eq!(v["schema_version"], 1, "{v:#}");
}

/// `--format github`: one workflow command per diagnostic on stdout, which GitHub Actions turns
/// into an annotation on that line of the pull request; the exit status is the text format's.
#[test]
fn github_format_prints_workflow_annotations() {
    let d = tempdir("github");
    let f = write(&d, "k.conf", BAD);
    let out = vrrpd(&["--check-config", "--format", "github", "-f", &f]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let first = stdout.lines().next().unwrap_or_default();
    let want = format!(
        "::error file={},line=5,col=14",
        f.replace(':', "%3A").replace(',', "%2C")
    );
    assert!(first.starts_with(&want), "{stdout}");
    assert!(first.contains("::"), "{stdout}");
    assert!(!first.contains('\n'), "{stdout}");
}

#[test]
fn config_test_logfile_receives_report() {
    let d = tempdir("logfile");
    let f = write(&d, "k.conf", BAD);
    let log = d.join("report.log").display().to_string();
    let out = vrrpd(&[&format!("--config-test={log}"), "-f", &f]);
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&log).expect("log written");
    assert!(text.contains(":5:14: error:"), "{text}");
}

#[test]
fn dump_conf_prints_derived_values() {
    let d = tempdir("dump");
    let f = write(
        &d,
        "k.conf",
        "vrrp_instance VI_1 {\n    state MASTER\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        10.0.0.1\n    }\n}\n",
    );
    let out = vrrpd(&["-d", "-f", &f]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("VI_1"), "{text}");
    assert!(text.contains("255"), "implied owner priority: {text}");
}

#[test]
fn signum_matches_keepalived() {
    for (name, n) in [
        ("STOP", "15"),
        ("RELOAD", "1"),
        ("DATA", "10"),
        ("STATS", "12"),
        ("STATS_CLEAR", "63"),
        ("JSON", "36"),
    ] {
        let out = vrrpd(&["--signum", name]);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), n);
    }
    assert_eq!(vrrpd(&["--signum", "NOPE"]).status.code(), Some(1));
}

#[test]
fn version_and_bad_option() {
    let out = vrrpd(&["-v"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("vrrpd v"));
    assert_eq!(
        vrrpd(&["-Z"]).status.code(),
        Some(1),
        "unknown option exits 1 like keepalived"
    );
}

#[test]
fn lvs_options_are_accepted_and_reported() {
    let d = tempdir("lvs");
    let f = write(&d, "k.conf", GOOD);
    let out = vrrpd(&["-t", "-C", "-B", "-I", "-f", &f]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("-C/--check ignored"), "{err}");
}

#[test]
fn config_id_selects_conditional_lines() {
    let d = tempdir("cid");
    let text = "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    @high priority 200\n    @low priority 100\n    @low prioritty 100\n    virtual_ipaddress {\n        10.0.0.1\n    }\n}\n";
    let f = write(&d, "k.conf", text);
    let out = vrrpd(&["--check-config", "-i", "high", "-f", &f]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = vrrpd(&["--check-config", "-i", "low", "-f", &f]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the typo is only seen with -i low: {out:?}"
    );
}

/// An interface this host surely has (not `lo`), for `--check-interfaces` configs.
fn host_interface() -> String {
    let mut names: Vec<String> = std::fs::read_dir("/sys/class/net")
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != "lo")
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names.into_iter().next().unwrap_or_else(|| "eth0".into())
}

/// A config whose vrrp_script runs `script`.
fn tracking(script: &str) -> String {
    format!(
        "global_defs {{\n    enable_script_security\n}}\n\
         vrrp_script chk {{\n    script \"{script}\"\n    weight -20\n}}\n\
         vrrp_instance VI_1 {{\n    interface {}\n    virtual_router_id 51\n    priority 100\n\
         \x20   unicast_peer {{\n        192.0.2.2\n    }}\n\
         \x20   track_script {{\n        chk\n    }}\n\
         \x20   virtual_ipaddress {{\n        192.0.2.100\n    }}\n}}\n",
        host_interface()
    )
}

#[test]
fn check_interfaces_reads_scripts_for_keepalived_by_name() {
    let d = tempdir("byname");
    let script = write(
        &d,
        "check.sh",
        "#!/bin/sh\npidof nginx || systemctl restart keepalived\n",
    );
    let f = write(&d, "k.conf", &tracking(&script));
    let warning =
        "`systemctl restart keepalived` controls keepalived by name (run by vrrp_script chk)";

    let out = vrrpd(&["--check-config", "--check-interfaces", "-f", &f]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{script}:2:16: warning: {warning}")),
        "{stderr}"
    );
    assert!(
        stderr.contains("Instead, use `systemctl restart vrrpd`"),
        "{stderr}"
    );

    let out = vrrpd(&["--check-config", "--check-interfaces", "--strict", "-f", &f]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");

    let out = vrrpd(&[
        "--check-config",
        "--check-interfaces",
        "--format",
        "json",
        "-f",
        &f,
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json on stdout");
    let found = v["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|x| x["message"] == warning)
        .cloned()
        .unwrap_or_default();
    assert_eq!(found["file"], script.as_str(), "{v:#}");
    assert_eq!(found["line"], 2);
    assert_eq!(found["severity"], "warning");

    // Plain --check-config stays host-independent: scripts are not read.
    let out = vrrpd(&["--check-config", "--strict", "-f", &f]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("keepalived by name"));
}

#[test]
fn check_interfaces_does_not_block_on_a_fifo_or_read_dev_zero() {
    let d = tempdir("fifo");
    let fifo = d.join("check.sh");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    assert!(made, "mkfifo");
    let mut text = tracking(&fifo.display().to_string());
    text.push_str("vrrp_script zero {\n    script \"/dev/zero\"\n}\n");
    let f = write(&d, "k.conf", &text);
    let mut child = Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        .args(["--check-config", "--check-interfaces", "-f", &f])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run vrrpd");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let status = status.expect("the check must finish, not wait on the FIFO");
    assert!(status.code().is_some(), "{status:?}");
}
