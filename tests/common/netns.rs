//! Network-namespace helpers shared by the root-only tests and benchmarks.
//!
//! Every namespace name starts with `vd` and includes the process id and a caller tag, so tests
//! can run in parallel; [`Netns`] deletes its namespace (and so everything inside it) on drop.
#![allow(dead_code)]

use std::process::{Command, Output};

/// Panics with a clear message unless running as root with `ip` available.
pub fn require_root() {
    let uid = Command::new("id").arg("-u").output().map(|o| o.stdout);
    let is_root = matches!(uid.as_deref(), Ok(b"0\n"));
    assert!(
        is_root,
        "this test needs root (network namespaces): run the suite as `sudo ./tests/run.sh`"
    );
    require_tool("ip");
}

/// Panics with a clear message when a program is not installed.
pub fn require_tool(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "this test needs `{tool}`: install it with `sudo ./tests/setup-deps.sh`"
    );
}

/// Runs a command, panicking with its output if it fails.
pub fn run(args: &[&str]) -> Output {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {args:?}: {e}"));
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A network namespace that is deleted on drop.
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new(tag: &str) -> Netns {
        let name = format!("vd{}{}", std::process::id(), tag);
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        run(&["ip", "netns", "add", &name]);
        run(&["ip", "-n", &name, "link", "set", "lo", "up"]);
        Netns { name }
    }

    /// Adds an up interface called `ifname` (one end of a veth pair whose other end, named
    /// `peer`, stays in the same namespace, also up).
    pub fn add_veth(&self, ifname: &str, peer: &str) {
        run(&[
            "ip", "-n", &self.name, "link", "add", ifname, "type", "veth", "peer", "name", peer,
        ]);
        run(&["ip", "-n", &self.name, "link", "set", ifname, "up"]);
        run(&["ip", "-n", &self.name, "link", "set", peer, "up"]);
    }

    pub fn add_addr(&self, ifname: &str, cidr: &str) {
        run(&["ip", "-n", &self.name, "addr", "add", cidr, "dev", ifname]);
    }

    /// Adds a veth pair from this namespace (`ifname`, MAC `mac`) to `peer` (`peer_if`,
    /// `peer_mac`), both ends up.
    pub fn veth_to(&self, ifname: &str, mac: &str, peer: &Netns, peer_if: &str, peer_mac: &str) {
        run(&[
            "ip", "link", "add", ifname, "netns", &self.name, "address", mac, "type", "veth",
            "peer", "name", peer_if, "netns", &peer.name, "address", peer_mac,
        ]);
        run(&["ip", "-n", &self.name, "link", "set", ifname, "up"]);
        run(&["ip", "-n", &peer.name, "link", "set", peer_if, "up"]);
    }

    /// Sets sysctls (`key=value`) inside this namespace.
    pub fn sysctl(&self, settings: &[&str]) {
        let mut args = vec!["ip", "netns", "exec", &self.name, "sysctl", "-qw"];
        args.extend_from_slice(settings);
        run(&args);
    }

    /// A command that runs `args` inside this namespace.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).args(args);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
            .map(|o| {
                for pid in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-9", pid]).output();
                }
            });
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}
