//! Issue #9: scripts do not inherit the loader, shell and systemd variables of the daemon's
//! environment (keepalived clears `IFS`, `LD_PRELOAD`, `LD_LIBRARY_PATH` before exec). One
//! test only: it changes this process's environment.

use std::time::Duration;

use vrrpd::sys::script::{self, Identity};
use vrrpd::track::ScriptOutcome;

#[tokio::test]
async fn scripts_do_not_see_dangerous_variables() {
    let dir = std::env::temp_dir().join(format!("vrrpd-env-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("env");
    let dropped = [
        ("LD_PRELOAD", ""),
        ("LD_LIBRARY_PATH", "/nonexistent-vrrpd-lib"),
        ("LD_AUDIT", ""),
        ("IFS", "x"),
        ("NOTIFY_SOCKET", "/run/systemd/notify"),
        ("LISTEN_FDS", "3"),
        ("BASH_ENV", "/nonexistent-vrrpd-bashenv"),
        ("GCONV_PATH", "/nonexistent-vrrpd-gconv"),
    ];
    for (k, v) in dropped {
        std::env::set_var(k, v);
    }
    std::env::set_var("VRRPD_KEPT", "yes");
    let p = script::prepare(
        &format!("/bin/sh -c 'env > {}'", out.display()),
        &Identity::current(),
        false,
    )
    .expect("prepare");
    let outcome = script::run(&p, Duration::from_secs(5), Duration::from_secs(1)).await;
    assert_eq!(outcome, ScriptOutcome::Exited(0));
    let env = std::fs::read_to_string(&out).unwrap();
    let names: Vec<&str> = env.lines().filter_map(|l| l.split('=').next()).collect();
    for (k, _) in dropped {
        assert!(!names.contains(&k), "{k} reached the script:\n{env}");
    }
    assert!(names.contains(&"VRRPD_KEPT"), "the rest is kept:\n{env}");
    assert!(names.contains(&"PATH"));
    std::fs::remove_dir_all(&dir).unwrap();
}
