//! The daemon end to end (root required): two `vrrpd` processes in two network namespaces on
//! one bridge elect a master, the master holds the VIP with its label (
//! docs/keepalived-compat.md#adding-addresses), and SIGTERM on the master moves the VIP to the other node (docs/keepalived-compat.md#shutdown: priority 0, VIPs
//! removed, exit 0, pid file removed).
//!
//! The scenario matrix, keepalived interop and benchmarks live in the lab tests; this is the
//! one smoke test of the binary.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::netns::{require_root, run, Netns};

/// The address family under test.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fam {
    V4,
    V6,
}

impl Fam {
    fn vip(self) -> &'static str {
        match self {
            Fam::V4 => "10.88.0.100/24",
            Fam::V6 => "fd00:88::100/64",
        }
    }

    fn flag(self) -> &'static str {
        match self {
            Fam::V4 => "-4",
            Fam::V6 => "-6",
        }
    }
}

fn config(fam: Fam, priority: u8) -> String {
    let vip = match fam {
        Fam::V4 => format!("{} dev eth0 label eth0:1", fam.vip()),
        Fam::V6 => fam.vip().to_string(),
    };
    format!(
        "vrrp_instance VI_1 {{
    state BACKUP
    interface eth0
    virtual_router_id 88
    version 3
    priority {priority}
    advert_int 0.1
    virtual_ipaddress {{
        {vip}
    }}
}}
"
    )
}

/// `ip -4|-6 -o addr show dev eth0` in `ns`.
fn addrs(ns: &Netns, fam: Fam) -> String {
    let out = run(&[
        "ip",
        "-n",
        &ns.name,
        fam.flag(),
        "-o",
        "addr",
        "show",
        "dev",
        "eth0",
    ]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The VIP is on eth0 (IPv4: with its label, docs/keepalived-compat.md#adding-addresses).
fn holds_vip(ns: &Netns, fam: Fam) -> bool {
    addrs(ns, fam)
        .lines()
        .any(|l| l.contains(fam.vip()) && (fam == Fam::V6 || l.contains("eth0:1")))
}

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

struct Node {
    ns: Netns,
    child: Child,
    log: PathBuf,
    pid_file: PathBuf,
}

impl Node {
    fn start(ns: Netns, dir: &Path, fam: Fam, priority: u8, notify: Option<&Path>) -> Node {
        let conf = dir.join(format!("{}.conf", ns.name));
        std::fs::write(&conf, config(fam, priority)).unwrap();
        let log = dir.join(format!("{}.log", ns.name));
        let pid_file = dir.join(format!("{}.pid", ns.name));
        // Its own control socket, not the host's /run/vrrpd one.
        let ctl = dir.join(format!("{}.ctl/control.sock", ns.name));
        let mut cmd = ns.command(&[
            env!("CARGO_BIN_EXE_vrrpd"),
            "-f",
            conf.to_str().unwrap(),
            "-n",
            "-l",
            "-D",
            "-G",
            "-p",
            pid_file.to_str().unwrap(),
            "--control-socket",
            ctl.to_str().unwrap(),
        ]);
        if let Some(sock) = notify {
            cmd.env("NOTIFY_SOCKET", sock);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("cannot start vrrpd");
        Node {
            ns,
            child,
            log,
            pid_file,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then the exit status (panics after 5 s).
    fn terminate(&mut self) -> i32 {
        let pid = std::fs::read_to_string(&self.pid_file)
            .unwrap_or_else(|e| panic!("no pid file {}: {e}", self.pid_file.display()));
        run(&["kill", "-TERM", pid.trim()]);
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "vrrpd did not stop on SIGTERM:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn two_daemons_elect_a_master_and_move_the_vip_on_sigterm() {
    smoke(Fam::V4);
}

/// The same over IPv6 (VRRPv3, link-local sources, ff02::12), started while the link-local
/// addresses are still tentative (DAD), as at boot.
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn the_same_over_ipv6() {
    smoke(Fam::V6);
}

fn smoke(fam: Fam) {
    require_root();
    let tag = match fam {
        Fam::V4 => "4",
        Fam::V6 => "6",
    };
    let dir = std::env::temp_dir().join(format!("vrrpd-smoke{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let br = Netns::new(&format!("smbr{tag}"));
    run(&["ip", "-n", &br.name, "link", "add", "br0", "type", "bridge"]);
    run(&["ip", "-n", &br.name, "link", "set", "br0", "up"]);
    // systemd's notify socket for the first node (Type=notify, docs/keepalived-compat.md#processes-and-systemd).
    let notify_path = dir.join("notify.sock");
    let notify = std::os::unix::net::UnixDatagram::bind(&notify_path).unwrap();
    notify.set_nonblocking(true).unwrap();
    let mut nodes = Vec::new();
    for (name, addr, prio) in [("sma", "10.88.0.1/24", 150), ("smb", "10.88.0.2/24", 100)] {
        let ns = Netns::new(&format!("{name}{tag}"));
        let port = format!("p{name}");
        run(&[
            "ip", "-n", &ns.name, "link", "add", "eth0", "type", "veth", "peer", "name", &port,
            "netns", &br.name,
        ]);
        run(&[
            "ip", "-n", &br.name, "link", "set", &port, "master", "br0", "up",
        ]);
        run(&["ip", "-n", &ns.name, "link", "set", "eth0", "up"]);
        ns.add_addr("eth0", addr);
        let sock = (prio == 150).then_some(notify_path.as_path());
        nodes.push(Node::start(ns, &dir, fam, prio, sock));
    }
    let (a, b) = (&nodes[0], &nodes[1]);

    // Priority 150 wins: 3 × 0.1 s + skew after start-up.
    wait_for(
        "the priority-150 node to hold the VIP",
        Duration::from_secs(5),
        || holds_vip(&a.ns, fam),
    );
    std::thread::sleep(Duration::from_millis(500));
    assert!(holds_vip(&a.ns, fam), "master lost the VIP:\n{}", a.log());
    assert!(
        !holds_vip(&b.ns, fam),
        "both nodes hold the VIP:\n{}\n---\n{}",
        a.log(),
        b.log()
    );
    assert!(
        a.log().contains("(VI_1) Entering MASTER STATE"),
        "{}",
        a.log()
    );
    assert!(
        b.log().contains("(VI_1) Entering BACKUP STATE (init)"),
        "{}",
        b.log()
    );
    assert!(!b.log().contains("Entering MASTER STATE"), "{}", b.log());

    // SIGTERM on the master: priority 0, VIP removed, exit 0; the backup takes over.
    let code = nodes[0].terminate();
    let (a, b) = (&nodes[0], &nodes[1]);
    assert_eq!(code, 0, "{}", a.log());
    assert!(
        !holds_vip(&a.ns, fam),
        "stopped node kept the VIP: {}",
        addrs(&a.ns, fam)
    );
    assert!(a.log().contains("(VI_1) sent 0 priority"), "{}", a.log());
    assert!(!a.pid_file.exists(), "pid file not removed");
    let mut sd = Vec::new();
    let mut buf = [0u8; 512];
    while let Ok(n) = notify.recv(&mut buf) {
        sd.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    assert!(sd.iter().any(|m| m.contains("READY=1")), "{sd:?}");
    assert!(
        sd.last().is_some_and(|m| m.contains("STOPPING=1")),
        "{sd:?}"
    );
    wait_for("the backup to take the VIP", Duration::from_secs(3), || {
        holds_vip(&b.ns, fam)
    });
    assert!(
        b.log()
            .contains("(VI_1) Backup received priority 0 advertisement"),
        "{}",
        b.log()
    );
    assert_eq!(nodes[1].terminate(), 0);
    assert!(!holds_vip(&nodes[1].ns, fam));
    drop(nodes);
    drop(br);
    let _ = std::fs::remove_dir_all(&dir);
}
