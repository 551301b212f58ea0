//! Lab additions for the tracking and hook tests: `vrrp_script` blocks, nginx per
//! router namespace, an HTTP probe from the client and `/proc` scans for stray processes.
#![allow(dead_code)]

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::lab::{require_tool, sh, Lab};

/// A `vrrp_script` block.
pub fn script_block(
    name: &str,
    cmd: &str,
    interval: u32,
    fall: u32,
    rise: u32,
    weight: i32,
) -> String {
    format!(
        "vrrp_script {name} {{\n    script \"{cmd}\"\n    interval {interval}\n    fall {fall}\n    rise {rise}\n    weight {weight}\n}}\n\n"
    )
}

/// `prelude` (script blocks, sync groups) inserted after `global_defs` of a lab config.
pub fn with_prelude(config: &str, prelude: &str) -> String {
    match config.find("}\n\n") {
        Some(at) => format!("{}{prelude}{}", &config[..at + 3], &config[at + 3..]),
        None => format!("{prelude}{config}"),
    }
}

/// nginx in router i's namespace: its own config, prefix and pid file in the lab's temp dir.
pub struct Nginx {
    pub conf: PathBuf,
    pub prefix: PathBuf,
    pub pid_file: PathBuf,
    pub ns: String,
}

impl Nginx {
    /// Writes the config for router i (listening on port 80, answering with the node name).
    pub fn new(lab: &Lab, i: usize) -> Nginx {
        require_tool("nginx");
        let prefix = lab.dir.join(format!("nginx{i}"));
        fs::create_dir_all(prefix.join("logs")).expect("nginx prefix");
        let pid_file = prefix.join("nginx.pid");
        let conf = prefix.join("nginx.conf");
        fs::write(
            &conf,
            format!(
                "user root;\nworker_processes 1;\ndaemon on;\npid {};\nerror_log {}/logs/error.log;\n\
                 events {{ worker_connections 64; }}\n\
                 http {{\n  access_log off;\n  client_body_temp_path {p}/cbt;\n  proxy_temp_path {p}/pt;\n  \
                 fastcgi_temp_path {p}/ft;\n  uwsgi_temp_path {p}/ut;\n  scgi_temp_path {p}/st;\n  \
                 server {{ listen 80; location / {{ return 200 \"r{i}\\n\"; }} }}\n}}\n",
                pid_file.display(),
                prefix.display(),
                p = prefix.display()
            ),
        )
        .expect("nginx config");
        Nginx {
            conf,
            prefix,
            pid_file,
            ns: lab.ns(i).to_string(),
        }
    }

    /// Starts nginx (it daemonizes) and waits for its pid file.
    pub fn start(&self) {
        let c = self.conf.display().to_string();
        let p = format!("{}/", self.prefix.display());
        sh(&["ip", "netns", "exec", &self.ns, "nginx", "-c", &c, "-p", &p]);
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.pid().is_none() {
            assert!(
                Instant::now() < deadline,
                "nginx did not write {}",
                self.pid_file.display()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn pid(&self) -> Option<i32> {
        fs::read_to_string(&self.pid_file).ok()?.trim().parse().ok()
    }

    /// The check command for a `vrrp_script`: exec-able without a shell, true while this
    /// node's nginx master runs (`pgrep -F` matches only the pid in the file).
    pub fn check(&self) -> String {
        format!("/usr/bin/pgrep -F {}", self.pid_file.display())
    }

    /// Kills this node's nginx (SIGTERM to the master, as `killall nginx` would on a
    /// one-nginx host) and waits until it is gone.
    pub fn kill(&self) {
        let Some(pid) = self.pid() else { return };
        // SAFETY: kill(2) on the nginx master we started.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while fs::metadata(format!("/proc/{pid}")).is_ok() && self.pid() == Some(pid) {
            assert!(Instant::now() < deadline, "nginx {pid} did not exit");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// Whether the client gets an HTTP answer from `ip:80` within `timeout`.
pub fn http_ok(lab: &Lab, ip: &str, timeout: Duration) -> bool {
    use std::io::{Read, Write};
    let addr: std::net::SocketAddr = format!("{ip}:80").parse().expect("an IPv4 address");
    let h = lab.spawn_in(&lab.client, move || -> std::io::Result<bool> {
        let mut s = std::net::TcpStream::connect_timeout(&addr, timeout)?;
        s.set_read_timeout(Some(timeout))?;
        s.write_all(b"GET / HTTP/1.0\r\n\r\n")?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf)?;
        Ok(buf.starts_with(b"HTTP/1.1 200"))
    });
    matches!(h.join(), Ok(Ok(true)))
}

/// The pids whose parent is `pid` (from /proc).
pub fn children_of(pid: i32) -> Vec<(i32, String)> {
    let mut out = Vec::new();
    let Ok(dir) = fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{p}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        if f.get(1).and_then(|s| s.parse::<i32>().ok()) == Some(pid) {
            out.push((
                p,
                format!(
                    "{} {}",
                    f.first().copied().unwrap_or("?"),
                    &stat[..stat.rfind(')').unwrap_or(0) + 1]
                ),
            ));
        }
    }
    out
}

/// Every process whose command line contains `needle`.
pub fn processes_with(needle: &str) -> Vec<i32> {
    let mut out = Vec::new();
    let Ok(dir) = fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let cmd = fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.contains(needle) {
            out.push(p);
        }
    }
    out
}

/// Polls `f` every 20 ms until true; panics with `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) -> Duration {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < timeout, "{what}: not within {timeout:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    t0.elapsed()
}

/// An executable shell script in the lab dir.
pub fn write_script(lab: &Lab, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = lab.dir.join(name);
    fs::write(&p, format!("#!/bin/sh\n{body}\n")).expect("write script");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).expect("chmod");
    p
}

/// `sh` re-exported for the tests.
pub fn run(args: &[&str]) -> String {
    sh(args)
}

/// A copy of `sleep` under a name of its own in the lab dir (at most 15 bytes, the kernel's
/// `comm`), so that only it matches a `vrrp_track_process` of that name, whoever else runs
/// `sleep` on the machine.
pub struct NamedSleep {
    pub name: String,
    path: PathBuf,
    child: Option<std::process::Child>,
}

impl NamedSleep {
    /// `short` tells the copies of one test process apart (a few letters).
    pub fn new(lab: &Lab, short: &str) -> NamedSleep {
        let mut name = format!("{short}{}", std::process::id());
        name.truncate(15);
        let path = lab.dir.join(&name);
        let sleep = ["/usr/bin/sleep", "/bin/sleep"]
            .into_iter()
            .find(|p| fs::metadata(p).is_ok())
            .expect("sleep in /usr/bin or /bin");
        fs::copy(sleep, &path).expect("copy sleep");
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
        NamedSleep {
            name,
            path,
            child: None,
        }
    }

    /// Starts one (a long sleep).
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "{} already runs", self.name);
        let c = std::process::Command::new(&self.path)
            .arg("3600")
            .spawn()
            .expect("start the named sleep");
        self.child = Some(c);
    }

    /// SIGKILLs it (it is reaped right after: a zombie for an instant, as any killed child).
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for NamedSleep {
    fn drop(&mut self) {
        self.kill9();
    }
}
