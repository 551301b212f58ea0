//! `--check-interfaces` reads the script files a configuration names and warns about commands
//! that control keepalived by name. These tests drive
//! [`vrrpd::check_config::host_diagnostics`] with host facts of their own, so the output does
//! not depend on the machine; the scripts are real files in a temp dir.
//!
//! `VRRPD_BLESS=1 cargo test --test config scripts::` rewrites the snapshot files in
//! `tests/config/scripts/`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common;
use vrrpd::config::diag::{self, Diagnostic};
use vrrpd::config::read::source::FsLoader;
use vrrpd::config::read::ParseOptions;
use vrrpd::config::{self, HostInfo, Loaded};

/// The second seed tutorial's track script, as it would be on disk.
const CHECK_NGINX: &str = r#"#!/bin/bash
A=`ps -C nginx --no-header | wc -l`
if [ $A -eq 0 ];then
    /etc/init.d/nginx start
    sleep 3
    if [ `ps -C nginx --no-header | wc -l` -eq 0 ];then
        killall keepalived
    fi
fi
"#;

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vrrpd-scripts-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// The seed's node: eth0, up, multicast, 192.168.100.10/24.
fn seed_host() -> HostInfo {
    common::hostinfo::eth0_host("192.168.100.10")
}

/// Loads `conf` and runs the `--check-interfaces` checks against `seed_host()`.
fn host_check(conf: &Path) -> (Loaded, Vec<Diagnostic>) {
    let mut loaded = config::load(&FsLoader, conf, &ParseOptions::default()).expect("load");
    let cfg = loaded.config.take().expect("config without errors");
    let d = vrrpd::check_config::host_diagnostics(&cfg, &seed_host(), &mut loaded.sources);
    (loaded, d)
}

/// The diagnostics as `--check-config` prints them, with `dir` shown as `$TMP`.
fn render(loaded: &Loaded, d: &[Diagnostic], dir: &Path) -> String {
    let mut out = String::new();
    for x in d {
        out.push_str(&x.render(&loaded.sources));
        out.push('\n');
    }
    out.push_str(&diag::summary(d));
    out.push('\n');
    out.replace(&dir.display().to_string(), "$TMP")
}

fn snapshot(name: &str, rendered: &str) {
    let path = Path::new("tests/config/scripts").join(name);
    if std::env::var_os("VRRPD_BLESS").is_some() {
        std::fs::create_dir_all("tests/config/scripts").expect("dir");
        std::fs::write(&path, rendered).expect("bless");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        expected,
        rendered,
        "{} differs (VRRPD_BLESS=1 rewrites it)",
        path.display()
    );
}

#[test]
fn seed_001_check_nginx_kills_keepalived() {
    let dir = tempdir("seed001");
    let script = dir.join("check_nginx.sh");
    std::fs::write(&script, CHECK_NGINX).expect("script");
    let seed = std::fs::read_to_string("examples/seed001-master.conf").expect("seed config");
    assert!(seed.contains("/root/check_nginx.sh"));
    let conf = dir.join("keepalived.conf");
    let text = seed.replace("/root/check_nginx.sh", &script.display().to_string());
    std::fs::write(&conf, text).expect("config");

    let (loaded, d) = host_check(&conf);
    assert_eq!(d.len(), 1, "{d:?}");
    snapshot("seed001-check_nginx.stderr", &render(&loaded, &d, &dir));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_script_named_twice_is_read_and_reported_once() {
    let dir = tempdir("twice");
    let script = dir.join("failover.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\n# systemctl stop keepalived would be wrong here\nsystemctl --no-block stop keepalived.service\nkill $(pidof keepalived)\n",
    )
    .expect("script");
    let s = script.display();
    let conf = dir.join("keepalived.conf");
    std::fs::write(
        &conf,
        format!(
            "vrrp_script chk {{\n    script \"{s}\"\n    weight -20\n}}\n\
             vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 51\n    priority 100\n\
             \x20   track_script {{\n        chk\n    }}\n    notify_fault \"{s} fault\"\n\
             \x20   notify_stop \"/bin/sh {s}\"\n    notify_master \"/bin/systemctl reload keepalived\"\n\
             \x20   virtual_ipaddress {{\n        192.168.100.12\n    }}\n}}\n"
        ),
    )
    .expect("config");
    let (loaded, d) = host_check(&conf);
    let sources: Vec<_> = loaded
        .sources
        .files()
        .map(|(_, f)| f.path.clone())
        .collect();
    assert_eq!(sources.iter().filter(|p| **p == script).count(), 1);
    let messages: Vec<&str> = d.iter().map(|x| x.message.as_str()).collect();
    assert_eq!(
        messages,
        vec![
            "`/bin/systemctl reload keepalived` controls keepalived by name",
            "`systemctl --no-block stop keepalived.service` controls keepalived by name (run by vrrp_script chk, notify_fault of VI_1 and notify_stop of VI_1)",
            "`kill $(pidof keepalived)` controls keepalived by name (run by vrrp_script chk, notify_fault of VI_1 and notify_stop of VI_1)",
        ]
    );
    let rendered = render(&loaded, &d, &dir);
    assert!(
        rendered.contains("$TMP/failover.sh:3:1: warning:"),
        "{rendered}"
    );
    assert!(
        rendered.contains("Instead, use `systemctl reload vrrpd`"),
        "{rendered}"
    );
    // The caret of a configured command covers the command inside the quotes.
    assert!(
        rendered
            .contains("$TMP/keepalived.conf:14:20: warning: `/bin/systemctl reload keepalived`"),
        "{rendered}"
    );
    assert!(
        rendered.contains("give vrrp_script chk a negative `weight`"),
        "{rendered}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fifos_devices_binaries_and_missing_files_are_skipped_without_blocking() {
    let dir = tempdir("special");
    let fifo = dir.join("fifo.sh");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    assert!(made, "mkfifo");
    let binary = dir.join("binary");
    std::fs::write(&binary, b"\x7fELF\0\0killall keepalived\n").expect("binary");
    let conf = dir.join("keepalived.conf");
    let mut text = String::new();
    for (i, path) in [
        fifo.display().to_string(),
        "/dev/zero".into(),
        "/dev/tty".into(),
        binary.display().to_string(),
        dir.join("missing.sh").display().to_string(),
        dir.display().to_string(),
    ]
    .iter()
    .enumerate()
    {
        text.push_str(&format!(
            "vrrp_script s{i} {{\n    script \"{path}\"\n    weight -20\n}}\n"
        ));
    }
    text.push_str(
        "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    track_script {\n",
    );
    for i in 0..6 {
        text.push_str(&format!("        s{i}\n"));
    }
    text.push_str("    }\n    virtual_ipaddress {\n        192.168.100.12\n    }\n}\n");
    std::fs::write(&conf, text).expect("config");

    let started = Instant::now();
    let (loaded, d) = host_check(&conf);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(d.is_empty(), "{d:?}");
    // Only the configuration itself was read.
    assert_eq!(loaded.sources.files().count(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn only_the_first_64_kib_of_a_script_is_read() {
    let dir = tempdir("big");
    let script = dir.join("big.sh");
    let filler = "# filler line that is not a command at all, just padding text\n";
    let mut text = String::from("pidof keepalived\n");
    while text.len() < 70 * 1024 {
        text.push_str(filler);
    }
    text.push_str("killall keepalived\n");
    std::fs::write(&script, &text).expect("script");
    let conf = dir.join("keepalived.conf");
    std::fs::write(
        &conf,
        format!(
            "vrrp_instance VI_1 {{\n    interface eth0\n    virtual_router_id 51\n\
             \x20   notify \"{}\"\n    virtual_ipaddress {{\n        192.168.100.12\n    }}\n}}\n",
            script.display()
        ),
    )
    .expect("config");
    let (loaded, d) = host_check(&conf);
    let messages: Vec<&str> = d.iter().map(|x| x.message.as_str()).collect();
    assert_eq!(
        messages,
        vec!["`pidof keepalived` looks keepalived up by name (run by notify of VI_1)"]
    );
    let read = loaded
        .sources
        .files()
        .find(|(_, f)| f.path == script)
        .map(|(_, f)| f.text.len())
        .expect("script read");
    assert!(read <= 64 * 1024 && read > 60 * 1024, "{read}");
    let _ = std::fs::remove_dir_all(&dir);
}
