//! Issue #9, "Local users and files": what a local user can plant in `/tmp` and other
//! shared places must not make the root daemon write, block or eat memory
//! (keepalived's CVE-2018-19044/19045/19046). Runs as root for the ownership checks.

use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vrrpd-harden-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).expect("stat").mode() & 0o7777
}

// ===== item 1: dump files =====

#[test]
fn dump_files_do_not_follow_planted_symlinks() {
    let d = tmpdir("dump");
    let victim_tmp = d.join("victim-tmp");
    let victim_final = d.join("victim-final");
    std::fs::write(&victim_tmp, "precious 1\n").unwrap();
    std::fs::write(&victim_final, "precious 2\n").unwrap();
    // The name the dump used to be written through, and the final name.
    let old_tmp = d.join(format!(".keepalived.stats.{}", std::process::id()));
    std::os::unix::fs::symlink(&victim_tmp, &old_tmp).unwrap();
    std::os::unix::fs::symlink(&victim_final, d.join("keepalived.stats")).unwrap();

    vrrpd::daemon::dump::write_dump(&d, "keepalived.stats", "VRRP Instance: VI_1\n").unwrap();

    assert_eq!(
        std::fs::read_to_string(&victim_tmp).unwrap(),
        "precious 1\n"
    );
    assert_eq!(
        std::fs::read_to_string(&victim_final).unwrap(),
        "precious 2\n"
    );
    let dump = d.join("keepalived.stats");
    assert!(std::fs::symlink_metadata(&dump).unwrap().is_file());
    assert_eq!(
        std::fs::read_to_string(&dump).unwrap(),
        "VRRP Instance: VI_1\n"
    );
    assert_eq!(mode(&dump), 0o600);
    // No temporary left behind.
    let left: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.starts_with(".keepalived.stats.")
                && *n != old_tmp.file_name().unwrap().to_string_lossy()
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
    std::fs::remove_dir_all(&d).unwrap();
}

// ===== item 2: the notify FIFO =====

fn fifo_spec(path: &Path, owner: Option<&str>) -> vrrpd::sys::hooks::FifoSpec {
    vrrpd::sys::hooks::FifoSpec {
        path: path.to_path_buf(),
        owner: owner.map(|u| (u.to_string(), None)),
    }
}

fn mkfifo(p: &Path) {
    nix::unistd::mkfifo(p, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("mkfifo");
}

fn nobody() -> (u32, u32) {
    let u = nix::unistd::User::from_name("nobody")
        .ok()
        .flatten()
        .expect("user nobody");
    (u.uid.as_raw(), u.gid.as_raw())
}

#[test]
fn notify_fifo_refuses_symlinks() {
    let d = tmpdir("fifolink");
    let regular = d.join("regular");
    std::fs::write(&regular, "precious\n").unwrap();
    let other_fifo = d.join("other.fifo");
    mkfifo(&other_fifo);
    for target in [&regular, &other_fifo] {
        let link = d.join("notify.fifo");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(target, &link).unwrap();
        let before = std::fs::metadata(target).unwrap();
        let err = vrrpd::sys::hooks::open_fifo(&fifo_spec(&link, Some("nobody"))).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        let after = std::fs::metadata(target).unwrap();
        assert_eq!(
            (before.uid(), before.gid(), before.mode()),
            (after.uid(), after.gid(), after.mode()),
            "{} changed",
            target.display()
        );
    }
    assert_eq!(std::fs::read_to_string(&regular).unwrap(), "precious\n");
    std::fs::remove_dir_all(&d).unwrap();
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn notify_fifo_owned_by_another_user_is_refused() {
    let d = tmpdir("fifoowner");
    let path = d.join("notify.fifo");
    mkfifo(&path);
    let (uid, gid) = nobody();
    nix::unistd::chown(&path, Some(uid.into()), Some(gid.into())).unwrap();
    let err = vrrpd::sys::hooks::open_fifo(&fifo_spec(&path, None)).unwrap_err();
    assert!(err.to_string().contains("owned by"), "{err}");
    // The configured owner may own it.
    assert!(vrrpd::sys::hooks::open_fifo(&fifo_spec(&path, Some("nobody"))).is_ok());
    // A regular file is not a FIFO.
    let regular = d.join("regular");
    std::fs::write(&regular, "x").unwrap();
    let err = vrrpd::sys::hooks::open_fifo(&fifo_spec(&regular, None)).unwrap_err();
    assert!(err.to_string().contains("not a FIFO"), "{err}");
    // Missing: created, mode 0600, given to the configured owner.
    let new = d.join("new.fifo");
    assert!(vrrpd::sys::hooks::open_fifo(&fifo_spec(&new, Some("nobody"))).is_ok());
    let m = std::fs::symlink_metadata(&new).unwrap();
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&m.file_type()));
    assert_eq!((m.uid(), m.mode() & 0o777), (uid, 0o600));
    std::fs::remove_dir_all(&d).unwrap();
}

// ===== item 3: track_file reads =====

/// Runs `f` on a thread; `None` if it has not finished within `secs` (the thread is left).
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(secs)).ok()
}

#[test]
fn a_fifo_as_track_file_does_not_block() {
    let d = tmpdir("trackfifo");
    let fifo = d.join("weight");
    mkfifo(&fifo);
    let p = fifo.clone();
    let v = within(2, move || vrrpd::sys::track_sources::read_value(&p));
    assert_eq!(v, Some(0), "a FIFO reads as 0 at once");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn track_file_reads_are_bounded() {
    // /dev/zero never ends.
    let v = within(2, || {
        vrrpd::sys::track_sources::read_value(Path::new("/dev/zero"))
    });
    assert_eq!(v, Some(0), "/dev/zero is not a regular file: 0, at once");
    // A huge (sparse) regular file: only its start is read (keepalived: 127 bytes).
    let d = tmpdir("trackbig");
    let big = d.join("weight");
    let f = std::fs::File::create(&big).unwrap();
    std::io::Write::write_all(&mut &f, b"42\n").unwrap();
    f.set_len(8 << 30).unwrap();
    let p = big.clone();
    let v = within(2, move || vrrpd::sys::track_sources::read_value(&p));
    assert_eq!(v, Some(42));
    std::fs::remove_dir_all(&d).unwrap();
}

// ===== item 4: init_file =====

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn init_file_never_writes_through_symlinks() {
    use vrrpd::sys::track_sources::init_file;
    let d = tmpdir("initlink");
    // A dangling link: the file it names must not be created.
    let path = d.join("weight");
    let target = d.join("created-by-root");
    std::os::unix::fs::symlink(&target, &path).unwrap();
    assert!(init_file(&path, Some(5), false).is_err());
    assert!(
        !target.exists(),
        "root created a file through a dangling link"
    );
    assert!(init_file(&path, Some(5), true).is_err());
    assert!(!target.exists());
    // A link to an existing file, with overwrite: the file stays as it is.
    let victim = d.join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&victim, &path).unwrap();
    let err = init_file(&path, Some(5), true).unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    // A hard link to another file, with overwrite: refused too.
    std::fs::remove_file(&path).unwrap();
    std::fs::hard_link(&victim, &path).unwrap();
    assert!(init_file(&path, Some(5), true).is_err());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    // A plain file of its own is overwritten in place (owner and mode kept).
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, "1\n").unwrap();
    let (uid, gid) = nobody();
    nix::unistd::chown(&path, Some(uid.into()), Some(gid.into())).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o664)).unwrap();
    init_file(&path, Some(5), true).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "5\n");
    let m = std::fs::metadata(&path).unwrap();
    assert_eq!((m.uid(), m.mode() & 0o777), (uid, 0o664));
    std::fs::remove_dir_all(&d).unwrap();
}

/// keepalived: "don't overwrite a file on reload". `init_file ... overwrite` runs at start
/// only, so a SIGHUP does not reset the tracked value.
#[tokio::test]
async fn init_file_is_not_run_again_on_reload() {
    use vrrpd::daemon::tracker_io::TrackerIo;
    let d = tmpdir("initreload");
    let file = d.join("weight");
    let text = format!(
        "track_file tf {{\n file {}\n weight -10\n init_file 0 overwrite\n}}\nvrrp_instance VI_1 {{\n interface lo\n virtual_router_id 5\n priority 100\n virtual_ipaddress {{ 10.0.0.1 }}\n track_file {{\n tf\n }}\n}}\n",
        file.display()
    );
    let l = vrrpd::config::load_str(&text);
    let Some(cfg) = l.config.clone() else {
        panic!("{}", l.render())
    };
    let ifaces = std::collections::HashMap::new();
    let now = std::time::Instant::now();
    let plan = vrrpd::plan::Runtime::without_host(&cfg);
    let (mut t, _hooks) = TrackerIo::start(&plan, &ifaces, now);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "0\n",
        "initialised at start"
    );
    std::fs::write(&file, "5\n").unwrap();
    let trackers = t.take_trackers(now);
    let _ = t.reload(&plan, &trackers);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "5\n",
        "kept on reload"
    );
    t.stop();
    std::fs::remove_dir_all(&d).unwrap();
}

// ===== item 7: vrrp_track_process and huge command lines =====

/// `sh -c 'read x'` with `mib` MiB of arguments (waits on its stdin until killed).
fn huge_argv_process(mib: usize) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    let chunk = "A".repeat(64 << 10);
    let mut c = std::process::Command::new("sh");
    c.args(["-c", "read x", "vrrpd-huge"]);
    for _ in 0..mib * 16 {
        c.arg(&chunk);
    }
    c.stdin(std::process::Stdio::piped());
    // SAFETY: setrlimit only, in the child before exec: room for the big argv (the kernel
    // allows a quarter of the stack limit for arguments).
    unsafe {
        c.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 256 << 20,
                rlim_max: libc::RLIM_INFINITY,
            };
            if libc::setrlimit(libc::RLIMIT_STACK, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    c.spawn().expect("spawn sh with a huge argv")
}

#[test]
fn process_scan_reads_a_bounded_command_line() {
    let mut child = huge_argv_process(4);
    let pid = child.id();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let len = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap().len();
    assert!(
        len > 4 << 20,
        "the test process has {len} bytes of arguments"
    );
    let p = vrrpd::sys::track_sources::read_proc(pid).expect("the process");
    let bytes = p.argv.join("\0").len();
    assert!(bytes <= 4096, "{bytes} bytes of command line read");
    assert_eq!(p.argv.first().map(String::as_str), Some("sh"));
    assert_eq!(p.comm, "sh");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn process_scan_by_name_reads_no_command_line() {
    use vrrpd::track::{ParamMatch, ProcessMatcher};
    let mut child = huge_argv_process(1);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let p = vrrpd::sys::track_sources::read_proc_with(child.id(), false).expect("the process");
    assert!(
        p.argv.is_empty(),
        "command line read: {} words",
        p.argv.len()
    );
    let by_name = ProcessMatcher {
        name: "sh".into(),
        params: Vec::new(),
        param_match: ParamMatch::Exact,
        full_command: false,
    };
    assert!(!by_name.needs_cmdline());
    assert!(by_name.matches(&p));
    // Kernel threads never match, even by name.
    let kthreadd = vrrpd::sys::track_sources::read_proc_with(2, false).expect("kthreadd");
    let k = ProcessMatcher {
        name: kthreadd.comm.clone(),
        ..by_name
    };
    assert!(!k.matches(&kthreadd));
    child.kill().unwrap();
    child.wait().unwrap();
}

/// What is not a regular file is never opened for reading at all: opening a device can have
/// effects (a FIFO's writer is released, `/dev/watchdog` starts the watchdog). Shown with a
/// FIFO whose writer stays blocked while the daemon looks at the track file.
#[test]
fn a_track_file_that_is_not_regular_is_never_opened() {
    let d = tmpdir("trackopen");
    let fifo = d.join("weight");
    mkfifo(&fifo);
    let link = d.join("link");
    std::os::unix::fs::symlink(&fifo, &link).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let p = fifo.clone();
    std::thread::spawn(move || {
        let _w = std::fs::OpenOptions::new().write(true).open(&p);
        let _ = tx.send(());
    });
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(vrrpd::sys::track_sources::read_value(&fifo), 0);
    assert_eq!(vrrpd::sys::track_sources::read_value(&link), 0);
    let released = rx
        .recv_timeout(std::time::Duration::from_millis(300))
        .is_ok();
    // Let the writer go either way.
    let _r = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&fifo)
        .unwrap();
    let _ = rx.recv_timeout(std::time::Duration::from_secs(2));
    assert!(!released, "the FIFO was opened for reading");
    std::fs::remove_dir_all(&d).unwrap();
}
