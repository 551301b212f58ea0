//! A whole "host" for tests that act like an administrator: its own process namespace (so
//! `killall keepalived`, `pidof` and `ps -C nginx` see only this host's processes), its own
//! mount namespace with copy-on-write overlays of `/usr`, `/etc`, `/var/lib` and `/root` (so
//! `dpkg-divert`, unit files, init scripts and /root/check_nginx.sh can be installed and
//! changed as on a real machine while the real system stays untouched) and fresh tmpfs on
//! `/run` and `/tmp` (pid files, dump files), optionally inside one of the lab's network
//! namespaces.
//!
//! Process 1 of the host is a bash loop that reaps whatever is re-parented to it (a daemon
//! that forked, nginx's master), as init does. Dropping the [`Sandbox`] kills process 1,
//! which ends every process of the host, and removes the overlays' directories.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The directories overlaid copy-on-write.
const OVERLAID: [&str; 4] = ["usr", "etc", "var/lib", "root"];

pub struct Sandbox {
    /// Where the overlays' upper and work directories live.
    pub dir: PathBuf,
    /// The network namespace the host lives in, if any.
    pub netns: Option<String>,
    unshare: Child,
    /// Process 1 of the host, as seen from the test.
    pub init: i32,
}

impl Sandbox {
    /// Starts a host whose scratch space is `dir` (created), inside network namespace `netns`.
    pub fn new(dir: &Path, netns: Option<&str>) -> Sandbox {
        let _ = fs::remove_dir_all(dir);
        fs::create_dir_all(dir).expect("sandbox dir");
        let mut setup = String::from("set -e\n");
        for p in OVERLAID {
            let n = p.replace('/', "_");
            let (up, work) = (dir.join(format!("{n}.up")), dir.join(format!("{n}.work")));
            fs::create_dir_all(&up).expect("overlay upper dir");
            fs::create_dir_all(&work).expect("overlay work dir");
            setup.push_str(&format!(
                "mount -t overlay overlay -o lowerdir=/{p},upperdir={},workdir={} /{p}\n",
                up.display(),
                work.display()
            ));
        }
        setup.push_str("mount -t tmpfs -o mode=755 tmpfs /run\nmkdir -p /run/lock\n");
        setup.push_str("mount -t tmpfs -o mode=1777 tmpfs /tmp\n");
        // The reaper: bash collects every child it is given while it waits for `sleep`.
        setup.push_str("exec bash -c 'while :; do sleep 0.2; done'\n");
        let mut cmd = match netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, "unshare"]);
                c
            }
            None => Command::new("unshare"),
        };
        cmd.args([
            "--mount",
            "--pid",
            "--fork",
            "--mount-proc",
            "--propagation",
            "private",
            "bash",
            "-c",
            &setup,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
        let unshare = cmd.spawn().expect("start the sandbox (unshare)");
        let upid = unshare.id();
        // Process 1 is unshare's child; it is ready once it runs the reaper loop.
        let deadline = Instant::now() + Duration::from_secs(5);
        let init = loop {
            let children = fs::read_to_string(format!("/proc/{upid}/task/{upid}/children"))
                .unwrap_or_default();
            let pid = children
                .split_whitespace()
                .next()
                .and_then(|p| p.parse::<i32>().ok());
            if let Some(pid) = pid {
                let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                if String::from_utf8_lossy(&cmdline).contains("while :") {
                    break pid;
                }
            }
            assert!(Instant::now() < deadline, "the sandbox did not start");
            std::thread::sleep(Duration::from_millis(10));
        };
        Sandbox {
            dir: dir.to_path_buf(),
            netns: netns.map(str::to_string),
            unshare,
            init,
        }
    }

    /// A command run inside the host (`nsenter` into its process, mount and network
    /// namespaces) with a clean root environment, as `sudo -i` would give.
    pub fn command(&self, program: &str, args: &[&str]) -> Command {
        let mut c = Command::new("nsenter");
        c.args(["-t", &self.init.to_string(), "-p", "-m"]);
        if self.netns.is_some() {
            c.arg("-n");
        }
        c.arg("--").arg(program).args(args);
        c.env_clear()
            .env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            )
            .env("HOME", "/root")
            .env("LANG", "C");
        c.stdin(Stdio::null());
        c
    }

    /// Runs a shell script in the host and returns its output (not checking the status).
    pub fn sh_output(&self, script: &str) -> Output {
        self.command("bash", &["-c", script])
            .output()
            .expect("run a command in the sandbox")
    }

    /// Runs a shell script in the host; panics with its output unless it succeeds.
    pub fn sh(&self, script: &str) -> String {
        let out = self.sh_output(script);
        assert!(
            out.status.success(),
            "in the sandbox, `{script}` failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The path through which the test reads a file of the host (its mount namespace's view).
    pub fn path(&self, p: &str) -> PathBuf {
        PathBuf::from(format!("/proc/{}/root{p}", self.init))
    }

    /// Reads a file of the host ("" when missing).
    pub fn read(&self, p: &str) -> String {
        fs::read_to_string(self.path(p)).unwrap_or_default()
    }

    /// Writes a file in the host (through its mount namespace).
    pub fn write(&self, p: &str, text: &str, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.path(p);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("sandbox parent dir");
        }
        fs::write(&path, text).unwrap_or_else(|e| panic!("write {p} in the sandbox: {e}"));
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
    }

    /// Installs this build's vrrpd as `/usr/sbin/vrrpd`, its unit and its init script, as
    /// the package would.
    pub fn install_vrrpd(&self) {
        let root = env!("CARGO_MANIFEST_DIR");
        self.sh(&format!(
            "install -m 0755 {bin} /usr/sbin/vrrpd && \
             install -m 0644 {root}/systemd/vrrpd.service /lib/systemd/system/vrrpd.service && \
             install -d /usr/share/vrrpd && \
             install -m 0755 {root}/packaging/vrrpd.init /usr/share/vrrpd/vrrpd.init && \
             install -m 0755 {root}/packaging/vrrpd-compat /usr/sbin/vrrpd-compat",
            bin = env!("CARGO_BIN_EXE_vrrpd"),
        ));
    }

    /// The pids of the host's processes whose name (comm) is `name`, as the test sees them.
    pub fn pids_named(&self, name: &str) -> Vec<i32> {
        let out = self.sh_output(&format!("pgrep -x {name} || true"));
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    }

    /// Waits until `f` holds; panics with `what` after `timeout`.
    pub fn wait(&self, what: &str, timeout: Duration, mut f: impl FnMut() -> bool) -> Duration {
        let t0 = Instant::now();
        while !f() {
            assert!(t0.elapsed() < timeout, "{what}: not within {timeout:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
        t0.elapsed()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Killing process 1 of a process namespace kills every process in it.
        // SAFETY: kill(2) on the sandbox's init, a process this test started.
        unsafe {
            libc::kill(self.init, libc::SIGKILL);
        }
        let _ = self.unshare.kill();
        let _ = self.unshare.wait();
        // The overlays were private to the dead mount namespace: the dirs are plain files now.
        let _ = fs::remove_dir_all(&self.dir);
    }
}
