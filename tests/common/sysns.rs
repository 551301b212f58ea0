//! Network-namespace helpers for the root-only integration tests.
//!
//! A [`Netns`] is a uniquely named namespace (`vs<pid><tag>`, so test binaries and tests run in
//! parallel without clashing) deleted on drop. Code runs inside it on a fresh thread that
//! `setns`es into it and drives a current-thread tokio runtime: sockets, netlink connections
//! and packet sockets opened there belong to that namespace. Plain `ip` commands build the
//! topology; they are the readable way to say what the test needs.
//!
//! Tests fail loudly when not run as root or when `ip` is missing: they never skip.

use std::fs::File;
use std::future::Future;
use std::process::Command;
use std::thread::JoinHandle;
use std::time::Duration;

use nix::sched::{setns, CloneFlags};

/// Panics unless the process is root and iproute2 is installed.
pub fn require_root() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "these tests create network namespaces and raw sockets: run them as root"
    );
    let ip = Command::new("ip").arg("-V").output();
    assert!(
        matches!(ip, Ok(ref o) if o.status.success()),
        "iproute2 (`ip`) is required by the netns tests: {ip:?}"
    );
}

/// Runs a command and returns its stdout; panics with its stderr on failure.
pub fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"));
    assert!(
        out.status.success(),
        "`{cmd} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A network namespace deleted on drop.
#[derive(Debug)]
pub struct Netns {
    pub name: String,
}

impl Netns {
    /// Creates `vs<pid><tag>` with loopback up.
    pub fn new(tag: &str) -> Netns {
        require_root();
        let name = format!("vs{}{tag}", std::process::id());
        // A leftover from a crashed run with a recycled pid would make `add` fail.
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        run("ip", &["netns", "add", &name]);
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// `ip -n <ns> args...`
    pub fn ip(&self, args: &[&str]) -> String {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        run("ip", &all)
    }

    /// `ip -n <ns> -j args...` parsed as JSON.
    pub fn ip_json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["-j"];
        all.extend_from_slice(args);
        let text = self.ip(&all);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("ip -j output {text:?}: {e}"))
    }

    /// The index of interface `dev` in this namespace.
    pub fn ifindex(&self, dev: &str) -> u32 {
        let v = self.ip_json(&["link", "show", "dev", dev]);
        v[0]["ifindex"]
            .as_u64()
            .and_then(|i| u32::try_from(i).ok())
            .unwrap_or_else(|| panic!("no ifindex for {dev} in {v}"))
    }

    /// The MAC address of interface `dev` in this namespace.
    pub fn mac(&self, dev: &str) -> [u8; 6] {
        let v = self.ip_json(&["link", "show", "dev", dev]);
        let text = v[0]["address"].as_str().expect("address").to_owned();
        let bytes: Vec<u8> = text
            .split(':')
            .map(|h| u8::from_str_radix(h, 16).expect("hex"))
            .collect();
        bytes.try_into().expect("6-byte MAC")
    }

    /// Runs `f` on a new thread inside this namespace with a current-thread tokio runtime.
    pub fn spawn<F, Fut, T>(&self, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = T> + 'static,
        T: Send + 'static,
    {
        let path = format!("/run/netns/{}", self.name);
        std::thread::spawn(move || {
            let fd = File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
            setns(&fd, CloneFlags::CLONE_NEWNET).unwrap_or_else(|e| panic!("setns {path}: {e}"));
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            rt.block_on(f())
        })
    }

    /// [`Netns::spawn`] and wait for the result (re-raising a panic of the thread).
    pub fn run<F, Fut, T>(&self, f: F) -> T
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = T> + 'static,
        T: Send + 'static,
    {
        join(self.spawn(f))
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// Joins a namespace thread, re-raising its panic in the test.
pub fn join<T>(h: JoinHandle<T>) -> T {
    match h.join() {
        Ok(v) => v,
        Err(p) => std::panic::resume_unwind(p),
    }
}

/// Two namespaces joined by a veth pair, `eth0` on both sides, up, with `a_addr` / `b_addr`
/// (CIDR) on them.
pub fn veth_pair(tag: &str, a_addr: &str, b_addr: &str) -> (Netns, Netns) {
    let a = Netns::new(&format!("{tag}a"));
    let b = Netns::new(&format!("{tag}b"));
    run(
        "ip",
        &[
            "link", "add", "eth0", "netns", &a.name, "type", "veth", "peer", "name", "eth0",
            "netns", &b.name,
        ],
    );
    for (ns, addr) in [(&a, a_addr), (&b, b_addr)] {
        ns.ip(&["addr", "add", addr, "dev", "eth0"]);
        ns.ip(&["link", "set", "eth0", "up"]);
    }
    (a, b)
}

/// A bounded wait for a future; panics with `what` on timeout.
pub async fn within<T>(secs: u64, what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .unwrap_or_else(|_| panic!("timed out after {secs}s waiting for {what}"))
}

/// An AF_PACKET socket receiving every frame of EtherType `ethertype` in the calling thread's
/// namespace (call it inside [`Netns::spawn`]), with a receive timeout.
pub fn capture(ethertype: u16, timeout: Duration) -> socket2::Socket {
    let proto = socket2::Protocol::from(i32::from(ethertype.to_be()));
    let sock = socket2::Socket::new(socket2::Domain::PACKET, socket2::Type::RAW, Some(proto))
        .expect("AF_PACKET capture socket");
    sock.set_read_timeout(Some(timeout)).expect("SO_RCVTIMEO");
    sock
}

/// Reads frames from a [`capture`] socket until `want` accepts one; panics on timeout.
pub fn next_frame(sock: &socket2::Socket, want: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    use std::io::Read;
    let mut buf = vec![0u8; 2048];
    loop {
        let n = (&*sock)
            .read(&mut buf)
            .unwrap_or_else(|e| panic!("no matching frame captured: {e}"));
        let frame = &buf[..n];
        if want(frame) {
            return frame.to_vec();
        }
    }
}
