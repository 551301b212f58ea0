//! Pid files (docs/keepalived-compat.md#files-written).

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

/// Runs as a "live vrrpd" for the tests below: this test binary started again, so
/// `/proc/PID/exe` is the same file as ours. Sleeps only when asked to.
#[test]
#[ignore]
fn helper_sleeps() {
    if std::env::var_os("VRRPD_PIDFILE_HELPER").is_some() {
        std::thread::sleep(std::time::Duration::from_secs(30));
    }
}

fn spawn_same_program() -> std::process::Child {
    Command::new(std::env::current_exe().expect("own exe"))
        .args([
            "--ignored",
            "--exact",
            "pidfile::helper_sleeps",
            "--test-threads=1",
        ])
        .env("VRRPD_PIDFILE_HELPER", "1")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn a second copy of this program")
}

#[test]
fn a_live_pid_means_already_running_and_a_stale_one_is_replaced() {
    let path = temp_path("live");
    let mut other = spawn_same_program();
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

/// Issue #9: a stale pid file whose pid was reused by an unrelated process must not block
/// start-up (a local user could otherwise keep the daemon from starting).
#[test]
fn a_pid_file_naming_another_program_does_not_block_start_up() {
    let path = temp_path("reused");
    let mut other = Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("spawn sleep");
    std::fs::write(&path, format!("{}\n", other.id())).unwrap();
    assert_eq!(running_pid(&path), None, "sleep is not a vrrpd");
    let pf = PidFile::create(&path).expect("start-up goes on");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("{}\n", std::process::id())
    );
    drop(pf);
    other.kill().unwrap();
    other.wait().unwrap();
}

/// keepalived locks its pid files (an OFD lock); a locked file means a daemon holds it, even
/// when the pid in it is not ours to recognise (a real keepalived on the same path).
#[test]
fn a_locked_pid_file_means_already_running() {
    use std::os::fd::AsRawFd;
    let path = temp_path("locked");
    let mut other = Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("spawn sleep");
    std::fs::write(&path, format!("{}\n", other.id())).unwrap();
    let holder = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    let lock = libc::flock {
        l_type: libc::F_WRLCK as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    };
    // SAFETY: fcntl on a descriptor we own with a valid flock.
    assert_eq!(
        unsafe { libc::fcntl(holder.as_raw_fd(), libc::F_OFD_SETLK, &lock) },
        0
    );
    assert_eq!(running_pid(&path), Some(other.id() as i32));
    assert!(matches!(
        PidFile::create(&path),
        Err(PidFileError::AlreadyRunning { .. })
    ));
    drop(holder);
    other.kill().unwrap();
    other.wait().unwrap();
    let _ = std::fs::remove_file(&path);
}

/// Issue #9 (keepalived's CVE-2018-19044): a symlink planted at the pid path must not make
/// root truncate or write the file it points to.
#[test]
fn a_symlink_at_the_pid_path_changes_nothing() {
    let path = temp_path("link");
    let victim = temp_path("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink(&victim, &path).unwrap();
    let err = PidFile::create(&path).unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    let mode = std::fs::metadata(&victim).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "no chmod through the link");
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(&victim);
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

/// `-p FILE -r FILE`: the same path twice in one daemon is not "another daemon" (the first
/// one's lock is ours).
#[test]
fn the_same_path_twice_in_one_process_is_fine() {
    let path = temp_path("twice");
    let a = PidFile::create(&path).unwrap();
    let b = PidFile::create(&path).expect("second pid file on the same path");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("{}\n", std::process::id())
    );
    drop(b);
    drop(a);
    assert!(!path.exists());
}

/// keepalived compatibility mode runs this same binary through a `keepalived` symlink (comm
/// and argv[0] `keepalived`): it is still "our" daemon, recognised by `/proc/PID/exe`.
#[test]
fn a_live_daemon_under_another_name_is_recognised() {
    let path = temp_path("othername");
    let dir = std::env::temp_dir().join(format!("vs{}names", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let alias = dir.join("keepalived");
    std::os::unix::fs::symlink(std::env::current_exe().unwrap(), &alias).unwrap();
    let mut other = Command::new(&alias)
        .args([
            "--ignored",
            "--exact",
            "pidfile::helper_sleeps",
            "--test-threads=1",
        ])
        .env("VRRPD_PIDFILE_HELPER", "1")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn through the alias");
    std::thread::sleep(std::time::Duration::from_millis(100));
    let comm = std::fs::read_to_string(format!("/proc/{}/comm", other.id())).unwrap();
    assert_eq!(comm.trim(), "keepalived");
    std::fs::write(&path, format!("{}\n", other.id())).unwrap();
    assert_eq!(running_pid(&path), Some(other.id() as i32));
    other.kill().unwrap();
    other.wait().unwrap();
    let _ = std::fs::remove_file(&path);
    std::fs::remove_dir_all(&dir).unwrap();
}
