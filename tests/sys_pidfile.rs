//! Pid files (keepalived-behaviour.md §8.4).

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

use vrrpd::sys::pidfile::{running_pid, PidFile, PidFileError};

fn temp_path(tag: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("vs{}{tag}.pid", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn writes_pid_newline_mode_0644_and_removes_on_drop() {
    let path = temp_path("write");
    // A restrictive umask must not make the file unreadable to `kill $(cat ...)` users.
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let pf = PidFile::create(&path).unwrap();
    nix::sys::stat::umask(old);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("{}\n", std::process::id())
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
    assert_eq!(pf.path(), path.as_path());
    assert_eq!(
        running_pid(&path),
        None,
        "our own pid is not 'another daemon'"
    );
    pf.remove();
    assert!(!path.exists(), "removed at exit");
}

#[test]
fn a_live_pid_means_already_running_and_a_stale_one_is_replaced() {
    let path = temp_path("live");
    let mut other = Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("spawn sleep");
    let other_pid = other.id() as i32;
    std::fs::write(&path, format!("{other_pid}\n")).unwrap();

    assert_eq!(running_pid(&path), Some(other_pid));
    let err = PidFile::create(&path).unwrap_err();
    assert!(
        matches!(err, PidFileError::AlreadyRunning { pid, .. } if pid == other_pid),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with("daemon is already running"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("{other_pid}\n"),
        "the other daemon's file is left alone"
    );

    other.kill().unwrap();
    other.wait().unwrap();
    assert_eq!(running_pid(&path), None, "dead process: stale file");
    let pf = PidFile::create(&path).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("{}\n", std::process::id())
    );
    drop(pf);
    assert!(!path.exists());
}

#[test]
fn garbage_in_the_pid_file_is_not_a_daemon() {
    let path = temp_path("junk");
    std::fs::write(&path, "not a pid\n").unwrap();
    assert_eq!(running_pid(&path), None);
    drop(PidFile::create(&path).unwrap());
    assert!(!path.exists());
}

#[test]
fn unwritable_location_is_a_sentence() {
    let err = PidFile::create("/nonexistent-dir/vrrpd.pid").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot write pid file /nonexistent-dir/vrrpd.pid: "),
        "{err}"
    );
}
