//! The one way tests and benchmarks start keepalived (and vrrpd with keepalived's command line).
//!
//! * [`command`]: `[ip netns exec NS] PROGRAM -f CONF -n -l -D -G -p PID -r VRRP_PID EXTRA...`,
//!   the command line the lab runs both daemons with (foreground, console log with detail, no
//!   syslog, pid files of the test's own).
//! * [`Keepalived`]: keepalived started that way, stopped on drop (SIGTERM, which it forwards to
//!   its VRRP child; SIGKILL after 5 s).
//! * [`check_command`]: `[ip netns exec NS] keepalived -t EXTRA... -f CONF`, the configuration
//!   check the differential tests compare against.
//!
//! Self-contained (no `super::`), so benchmarks can include it through `lab.rs`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The files a daemon run is given on its command line.
#[derive(Clone, Debug)]
pub struct Files {
    pub conf: PathBuf,
    pub pid: PathBuf,
    pub vrrp_pid: PathBuf,
}

impl Files {
    /// `DIR/STEM.conf`, `DIR/STEM.pid` and `DIR/STEM.vrrp.pid`.
    pub fn in_dir(dir: &Path, stem: &str) -> Files {
        Files {
            conf: dir.join(format!("{stem}.conf")),
            pid: dir.join(format!("{stem}.pid")),
            vrrp_pid: dir.join(format!("{stem}.vrrp.pid")),
        }
    }
}

/// `PROGRAM` (`keepalived` or `vrrpd`) with keepalived's command line
/// `-f CONF -n -l -D -G -p PID -r VRRP_PID` and `extra`, run in namespace `ns` when given
/// (`ip netns exec`).
pub fn command(ns: Option<&str>, program: &str, files: &Files, extra: &[&str]) -> Command {
    let mut cmd = match ns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns, program]);
            c
        }
        None => Command::new(program),
    };
    cmd.arg("-f")
        .arg(&files.conf)
        .args(["-n", "-l", "-D", "-G"])
        .arg("-p")
        .arg(&files.pid)
        .arg("-r")
        .arg(&files.vrrp_pid)
        .args(extra);
    cmd
}

/// `keepalived -t EXTRA... -f CONF` (check the configuration and exit), in namespace `ns`
/// when given.
pub fn check_command(ns: Option<&str>, conf: &Path, extra: &[&str]) -> Command {
    let mut cmd = match ns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns, "keepalived"]);
            c
        }
        None => Command::new("keepalived"),
    };
    cmd.arg("-t").args(extra).arg("-f").arg(conf);
    cmd
}

/// A keepalived started with [`command`], stopped when dropped.
pub struct Keepalived {
    pub child: Child,
}

impl Keepalived {
    /// Starts keepalived in namespace `ns` with `files` (the configuration must be written)
    /// and `extra` options, stdin from /dev/null and its output where `stdout` and `stderr`
    /// say. Panics when keepalived cannot be started.
    pub fn start(
        ns: Option<&str>,
        files: &Files,
        extra: &[&str],
        stdout: Stdio,
        stderr: Stdio,
    ) -> Keepalived {
        let child = command(ns, "keepalived", files, extra)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start keepalived (2.2.7 is required: sudo ./tests/setup-deps.sh): {e}"
                )
            });
        Keepalived { child }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// SIGTERM (keepalived forwards it to its VRRP child), then up to 5 s for it to exit,
    /// then SIGKILL. Idempotent.
    pub fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.pid()),
            nix::sys::signal::Signal::SIGTERM,
        );
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Keepalived {
    fn drop(&mut self) {
        self.stop();
    }
}
