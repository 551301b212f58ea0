//! Process-level checks that need a fresh process: daemonizing (must happen while the process
//! is single-threaded) and opening raw sockets without CAP_NET_RAW (must run in a process
//! whose capabilities were dropped).
//!
//! This test owns `main` (`harness = false` in Cargo.toml). Run without `VS_ROLE`, it is the
//! driver: it re-executes this very binary with `VS_ROLE` set and checks what the child did.
//! Root is required (the capability test drops a capability root has).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use vrrpd::sys::daemonize::daemonize;
use vrrpd::sys::frames::FrameSender;
use vrrpd::sys::vrrp_socket::{Listen, RecvSocket, SendSocket};
use vrrpd::wire::GROUP_V4 as VRRP_GROUP_V4;

fn main() -> ExitCode {
    match std::env::var("VS_ROLE").as_deref() {
        Ok("daemonize") => return child_daemonize(),
        Ok("no-net-raw") => return child_no_net_raw(),
        _ => {}
    }
    // (name, test, needs root): the root ones run with the `netns-tests` feature only.
    let tests: [(&str, fn(), bool); 2] = [
        (
            "daemonize_detaches_like_keepalived",
            daemonize_detaches_like_keepalived,
            false,
        ),
        (
            "missing_cap_net_raw_is_one_clear_line",
            missing_cap_net_raw_is_one_clear_line,
            true,
        ),
    ];
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for (name, test, root) in tests {
        if root && !cfg!(feature = "netns-tests") {
            println!("test {name} ... ignored");
            skipped += 1;
            continue;
        }
        match std::panic::catch_unwind(test) {
            Ok(()) => {
                println!("test {name} ... ok");
                passed += 1;
            }
            Err(_) => {
                println!("test {name} ... FAILED");
                failed += 1;
            }
        }
    }
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn require_root() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "sys_process drops CAP_NET_RAW from root: run it as root"
    );
}

fn report_path() -> PathBuf {
    std::env::temp_dir().join(format!("vs{}daemon.report", std::process::id()))
}

/// docs/keepalived-compat.md#processes-and-systemd: without `--dont-fork` the daemon detaches. The original
/// process must exit 0 at once, and the daemon must run in a new session without being its
/// leader, in `/`, with stdio on /dev/null.
fn daemonize_detaches_like_keepalived() {
    let report = report_path();
    let _ = std::fs::remove_file(&report);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env("VS_ROLE", "daemonize")
        .env("VS_REPORT", &report)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let child_pid = child.id() as i32;
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "the foreground process exits 0: {status:?}"
    );
    // ... and only once the daemon said it is in place (its report is written before).
    assert!(
        report.exists(),
        "the foreground process returned before the daemon was ready"
    );
    // The daemon let go of our pipes: both reach EOF, with nothing written after detaching.
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(
        out, "before\n",
        "stdout after daemonize must go to /dev/null"
    );
    assert_eq!(err, "", "stderr: {err}");

    let text = wait_for_file(&report, Duration::from_secs(3));
    let _ = std::fs::remove_file(&report);
    let field = |k: &str| -> String {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("{k} missing from report {text:?}"))
            .to_owned()
    };
    let pid: i32 = field("pid").parse().unwrap();
    let sid: i32 = field("sid").parse().unwrap();
    let my_sid = nix::unistd::getsid(None).unwrap().as_raw();
    assert_ne!(pid, child_pid, "runs in a forked process");
    assert_ne!(sid, my_sid, "setsid: a new session");
    assert_ne!(
        sid, pid,
        "double fork: not the session leader, never gets a terminal"
    );
    assert_eq!(field("cwd"), "/");
    for fd in ["fd0", "fd1", "fd2"] {
        assert_eq!(field(fd), "/dev/null", "{fd}");
    }
}

fn child_daemonize() -> ExitCode {
    println!("before");
    let detached = match daemonize() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("after: must not be seen");
    eprintln!("after: must not be seen");
    let Some(path) = std::env::var_os("VS_REPORT") else {
        return ExitCode::FAILURE;
    };
    let link = |p: &str| {
        std::fs::read_link(p)
            .map(|t| t.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let text = format!(
        "pid={}\nsid={}\ncwd={}\nfd0={}\nfd1={}\nfd2={}\n",
        std::process::id(),
        nix::unistd::getsid(None).map(|s| s.as_raw()).unwrap_or(-1),
        std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        link("/proc/self/fd/0"),
        link("/proc/self/fd/1"),
        link("/proc/self/fd/2"),
    );
    // Write then rename, so the driver never reads half a report.
    let tmp = Path::new(&path).with_extension("tmp");
    if std::fs::write(&tmp, text).is_err() || std::fs::rename(&tmp, &path).is_err() {
        return ExitCode::FAILURE;
    }
    // Only now may the foreground process exit (it waits for this).
    detached.ready();
    ExitCode::SUCCESS
}

fn wait_for_file(path: &Path, limit: Duration) -> String {
    let start = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
        assert!(
            start.elapsed() < limit,
            "the daemon never wrote {}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Opening raw sockets without CAP_NET_RAW yields one clear line per socket, not a panic.
fn missing_cap_net_raw_is_one_clear_line() {
    require_root();
    let out = Command::new("setpriv")
        .args(["--inh-caps=-all", "--bounding-set=-net_raw", "--"])
        .arg(std::env::current_exe().unwrap())
        .env("VS_ROLE", "no-net-raw")
        .output()
        .expect("setpriv (util-linux) is required by this test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "child failed ({:?}); stdout {stdout:?} stderr {stderr:?}",
        out.status
    );
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "cannot open the VRRP receive socket on lo: raw sockets need root or CAP_NET_RAW",
            "cannot open the VRRP send socket on lo: raw sockets need root or CAP_NET_RAW",
            "cannot open a packet socket on lo: raw sockets need root or CAP_NET_RAW",
        ],
        "stderr {stderr:?}"
    );
}

fn child_no_net_raw() -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(_) => return ExitCode::FAILURE,
    };
    rt.block_on(async {
        let lines = [
            RecvSocket::open("lo", 1, Listen::Multicast(VRRP_GROUP_V4.into()), 112).map(|_| ()),
            SendSocket::open_v4("lo", 1).map(|_| ()),
            FrameSender::new().send(1, &[0u8; 42]),
        ];
        for r in lines {
            match r {
                Ok(()) => println!("unexpectedly succeeded without CAP_NET_RAW"),
                Err(e) => println!("{e}"),
            }
        }
    });
    ExitCode::SUCCESS
}
