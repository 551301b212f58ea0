//! A network-namespace lab for the daemon tests and benchmarks.
//!
//! ```text
//!   r0 (eth0 10.0.0.1) ──┐
//!   r1 (eth0 10.0.0.2) ──┤ bridge br0 in the "lan" namespace
//!   ...                  │
//!   client (10.0.0.50) ──┘
//! ```
//!
//! Every namespace is called `vl<pid><tag><node>`, so test binaries and the tests inside one run
//! in parallel. A router runs `vrrpd` or Debian's `keepalived` with a generated keepalived.conf
//! written to the lab's temp dir, with keepalived's command line (`-f CONF -n -l -D -G -p PID
//! -r VRRP_PID`, pid files in the temp dir) from [`keepalived::command`]. vrrpd gets
//! `NOTIFY_SOCKET` pointing at a unix datagram socket of the lab, so readiness is systemd's
//! `READY=1` (which tests sd_notify too); keepalived's readiness is its `Startup complete` log
//! line.
//!
//! Dropping the [`Lab`] kills every process it started (and anything else inside its namespaces),
//! deletes the namespaces and the temp dir; when the test is failing it first prints the tail of
//! every daemon log. `VRRPD_LAB_KEEP=1` keeps the temp dir for a post-mortem.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::fs::{self, File};
use std::net::Ipv4Addr;
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};

#[path = "keepalived.rs"]
pub mod keepalived;
use nix::unistd::Pid;

/// The interface name of every node's LAN port.
pub const IF: &str = "eth0";
/// The client's address.
pub const CLIENT: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 50);

/// Panics unless running as root with `ip` available.
pub fn require_root() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "this test needs root (network namespaces, raw sockets): run `sudo ./tests/run.sh`"
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

/// Runs a command, panicking with its output when it fails.
pub fn sh(args: &[&str]) -> String {
    let out = output(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn output(args: &[&str]) -> Output {
    Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {args:?}: {e}"))
}

/// A short namespace tag from a test's name and a distinguishing suffix (kept whole).
pub fn tag(name: &str, suffix: &str) -> String {
    let head: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(8)
        .collect();
    // The head alone is not unique (`reject_version` and `reject_version_2` share it, and their
    // tests run at the same time): a hash of the whole name tells them apart.
    let hash = name.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    format!("{head}{:04x}{suffix}", hash & 0xffff)
}

/// Which daemon a router runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Daemon {
    Vrrpd,
    Keepalived,
}

impl Daemon {
    pub fn program(self) -> &'static str {
        match self {
            Daemon::Vrrpd => env!("CARGO_BIN_EXE_vrrpd"),
            Daemon::Keepalived => "keepalived",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Daemon::Vrrpd => "vrrpd",
            Daemon::Keepalived => "keepalived",
        }
    }

    /// Panics when the daemon is not installed.
    pub fn require(self) {
        if self == Daemon::Keepalived {
            require_tool("keepalived");
        }
    }
}

/// One `vrrp_instance` of a generated keepalived.conf.
#[derive(Clone, Debug)]
pub struct Instance {
    pub name: String,
    pub state: &'static str,
    pub interface: String,
    pub vrid: u8,
    pub priority: u8,
    pub version: u8,
    /// Seconds, as written in the file ("1", "0.1").
    pub advert_int: String,
    pub auth_pass: Option<String>,
    /// `auth_type AH` instead of PASS for `auth_pass`.
    pub auth_ah: bool,
    pub nopreempt: bool,
    pub mcast_src: Option<Ipv4Addr>,
    pub unicast_src: Option<Ipv4Addr>,
    pub unicast_peers: Vec<Ipv4Addr>,
    /// `virtual_ipaddress` lines, e.g. `10.0.0.100/24 dev eth0 label eth0:1`.
    pub vips: Vec<String>,
    /// Extra lines inside the instance block.
    pub extra: Vec<String>,
}

impl Instance {
    /// A VRRPv3 instance on eth0 (no authentication: v3 has none).
    pub fn v3(name: &str, vrid: u8, priority: u8, advert_int: &str) -> Instance {
        Instance {
            name: name.to_string(),
            state: "BACKUP",
            interface: IF.to_string(),
            vrid,
            priority,
            version: 3,
            advert_int: advert_int.to_string(),
            auth_pass: None,
            auth_ah: false,
            nopreempt: false,
            mcast_src: None,
            unicast_src: None,
            unicast_peers: Vec::new(),
            vips: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// A VRRPv2 instance on eth0 with keepalived's default one-second adverts.
    pub fn v2(name: &str, vrid: u8, priority: u8) -> Instance {
        Instance {
            version: 2,
            ..Instance::v3(name, vrid, priority, "1")
        }
    }

    pub fn state(mut self, s: &'static str) -> Self {
        self.state = s;
        self
    }
    pub fn vip(mut self, line: &str) -> Self {
        self.vips.push(line.to_string());
        self
    }
    pub fn pass(mut self, p: &str) -> Self {
        self.auth_pass = Some(p.to_string());
        self
    }
    /// `authentication { auth_type AH; auth_pass P }`.
    pub fn ah(mut self, p: &str) -> Self {
        self.auth_pass = Some(p.to_string());
        self.auth_ah = true;
        self
    }
    pub fn nopreempt(mut self) -> Self {
        self.nopreempt = true;
        self
    }
    pub fn mcast_src(mut self, a: Ipv4Addr) -> Self {
        self.mcast_src = Some(a);
        self
    }
    pub fn unicast(mut self, src: Ipv4Addr, peers: &[Ipv4Addr]) -> Self {
        self.unicast_src = Some(src);
        self.unicast_peers = peers.to_vec();
        self
    }
    pub fn extra(mut self, line: &str) -> Self {
        self.extra.push(line.to_string());
        self
    }

    /// The instance block in keepalived.conf syntax.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "vrrp_instance {} {{", self.name);
        let _ = writeln!(s, "    state {}", self.state);
        let _ = writeln!(s, "    interface {}", self.interface);
        let _ = writeln!(s, "    virtual_router_id {}", self.vrid);
        let _ = writeln!(s, "    priority {}", self.priority);
        let _ = writeln!(s, "    version {}", self.version);
        let _ = writeln!(s, "    advert_int {}", self.advert_int);
        if self.nopreempt {
            let _ = writeln!(s, "    nopreempt");
        }
        if let Some(a) = self.mcast_src {
            let _ = writeln!(s, "    mcast_src_ip {a}");
        }
        if let Some(p) = &self.auth_pass {
            let kind = if self.auth_ah { "AH" } else { "PASS" };
            let _ = writeln!(
                s,
                "    authentication {{\n        auth_type {kind}\n        auth_pass {p}\n    }}"
            );
        }
        if let Some(a) = self.unicast_src {
            let _ = writeln!(s, "    unicast_src_ip {a}");
            let _ = writeln!(s, "    unicast_peer {{");
            for p in &self.unicast_peers {
                let _ = writeln!(s, "        {p}");
            }
            let _ = writeln!(s, "    }}");
        }
        let _ = writeln!(s, "    virtual_ipaddress {{");
        for v in &self.vips {
            let _ = writeln!(s, "        {v}");
        }
        let _ = writeln!(s, "    }}");
        for e in &self.extra {
            let _ = writeln!(s, "    {e}");
        }
        s.push_str("}\n");
        s
    }

    /// Skew time (docs/keepalived-compat.md#timers-and-start-up) for this instance's priority and interval.
    pub fn skew(&self) -> Duration {
        let adv = self.advert();
        let p = u32::from(self.priority);
        if self.version == 2 {
            Duration::from_micros(u64::from(256 - p) * 1_000_000 / 256)
        } else {
            // Not truncated to centiseconds: keepalived and vrrpd compute it in microseconds
            // (src/proto/interval.rs); at 0.01 s and priority 100 that is 6.09 ms, not 0.
            Duration::from_micros(u64::from(256 - p) * adv.as_micros() as u64 / 256)
        }
    }

    /// Master-down interval: 3 × advert interval + skew.
    pub fn master_down(&self) -> Duration {
        self.advert() * 3 + self.skew()
    }

    pub fn advert(&self) -> Duration {
        let secs: f64 = self.advert_int.parse().expect("advert_int is a number");
        Duration::from_secs_f64(secs)
    }
}

/// A whole keepalived.conf: `global_defs { router_id ID }` and the instances.
pub fn config(router_id: &str, instances: &[Instance]) -> String {
    let mut s = format!("global_defs {{\n    router_id {router_id}\n}}\n\n");
    for i in instances {
        s.push_str(&i.render());
        s.push('\n');
    }
    s
}

/// A running daemon.
pub struct Proc {
    pub daemon: Daemon,
    child: Child,
    pub log: PathBuf,
    pub conf: PathBuf,
    notify: Option<UnixDatagram>,
    /// Every sd_notify datagram received so far, in order.
    pub notes: Vec<String>,
}

impl Proc {
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }
}

/// One router namespace.
pub struct Node {
    pub ns: String,
    pub addr: Ipv4Addr,
    /// Its bridge port in the lan namespace.
    pub port: String,
}

/// A background helper (tcpdump, `ip monitor`) writing to a file.
pub struct Helper {
    child: Child,
    pub out: PathBuf,
}

impl Helper {
    /// Stops it with SIGINT (so tcpdump flushes) and returns the output file.
    pub fn stop(mut self) -> PathBuf {
        let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGINT);
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return self.out.clone();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.out.clone()
    }

    pub fn text(self) -> String {
        fs::read_to_string(self.stop()).unwrap_or_default()
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A VRRP advertisement seen in a capture (decoded by tshark).
#[derive(Clone, Debug, PartialEq)]
pub struct Seen {
    /// Seconds since the epoch.
    pub time: f64,
    pub src: String,
    pub dst: String,
    pub ttl: u8,
    pub version: u8,
    pub vrid: u8,
    pub prio: u8,
    pub addrs: String,
}

/// Decodes the VRRP packets of a pcap file with tshark.
pub fn adverts(pcap: &Path) -> Vec<Seen> {
    require_tool("tshark");
    let p = pcap.display().to_string();
    let text = sh(&[
        "tshark",
        "-r",
        &p,
        "-Y",
        "vrrp",
        "-T",
        "fields",
        "-E",
        "separator=|",
        "-e",
        "frame.time_epoch",
        "-e",
        "ip.src",
        "-e",
        "ip.dst",
        "-e",
        "ip.ttl",
        "-e",
        "vrrp.version",
        "-e",
        "vrrp.virt_rtr_id",
        "-e",
        "vrrp.prio",
        "-e",
        "vrrp.ip_addr",
    ]);
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            Some(Seen {
                time: f.first()?.parse().ok()?,
                src: f.get(1)?.to_string(),
                dst: f.get(2)?.to_string(),
                ttl: f.get(3)?.parse().ok()?,
                version: f.get(4)?.parse().ok()?,
                vrid: f.get(5)?.parse().ok()?,
                prio: f.get(6)?.parse().ok()?,
                addrs: f.get(7).unwrap_or(&"").to_string(),
            })
        })
        .collect()
}

/// The fields of every frame of a pcap file decoded by tshark (`-e` field names), one row per
/// frame, for checks beyond VRRP (e.g. the ARP fields of gratuitous ARPs).
pub fn fields(pcap: &Path, filter: &str, names: &[&str]) -> Vec<Vec<String>> {
    require_tool("tshark");
    let p = pcap.display().to_string();
    let mut args = vec![
        "tshark",
        "-r",
        &p,
        "-Y",
        filter,
        "-T",
        "fields",
        "-E",
        "separator=|",
    ];
    for n in names {
        args.push("-e");
        args.push(n);
    }
    sh(&args)
        .lines()
        .map(|l| l.split('|').map(str::to_string).collect())
        .collect()
}

/// N routers and a client on one bridge.
pub struct Lab {
    pub prefix: String,
    pub dir: PathBuf,
    pub lan: String,
    pub nodes: Vec<Node>,
    pub client: String,
    procs: Vec<Option<Proc>>,
    /// Daemons started so far (numbers the log and pid files).
    starts: usize,
}

impl Lab {
    /// Creates the namespaces `vl<pid><tag>{lan,r0..,c}`, the bridge and the links, all up.
    /// Router i has 10.0.0.(i+1)/24 on eth0, the client 10.0.0.50/24.
    pub fn new(tag: &str, routers: usize) -> Lab {
        require_root();
        let prefix = format!("vl{}{tag}", std::process::id());
        let dir = std::env::temp_dir().join(format!("vrrpd-lab-{prefix}"));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("lab temp dir");
        let mut lab = Lab {
            lan: format!("{prefix}lan"),
            client: format!("{prefix}c"),
            prefix: prefix.clone(),
            dir,
            nodes: Vec::new(),
            procs: Vec::new(),
            starts: 0,
        };
        add_ns(&lab.lan);
        lab.ip(&lab.lan.clone(), &["link", "add", "br0", "type", "bridge"]);
        lab.ip(&lab.lan.clone(), &["link", "set", "br0", "up"]);
        for i in 0..routers {
            let ns = format!("{prefix}r{i}");
            let addr = Ipv4Addr::new(10, 0, 0, (i + 1) as u8);
            let port = format!("p{i}");
            lab.plug(&ns, &port, addr);
            lab.nodes.push(Node { ns, addr, port });
            lab.procs.push(None);
        }
        lab.plug(&lab.client.clone(), "pc", CLIENT);
        lab
    }

    fn plug(&self, ns: &str, port: &str, addr: Ipv4Addr) {
        add_ns(ns);
        sh(&[
            "ip", "link", "add", IF, "netns", ns, "type", "veth", "peer", "name", port, "netns",
            &self.lan,
        ]);
        self.ip(&self.lan, &["link", "set", port, "master", "br0", "up"]);
        self.ip(ns, &["addr", "add", &format!("{addr}/24"), "dev", IF]);
        self.ip(ns, &["link", "set", IF, "up"]);
    }

    /// `ip -n NS args...`
    pub fn ip(&self, ns: &str, args: &[&str]) -> String {
        let mut all = vec!["ip", "-n", ns];
        all.extend_from_slice(args);
        sh(&all)
    }

    /// A command run inside namespace `ns` (`ip netns exec`).
    pub fn command(&self, ns: &str, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns]).args(args);
        c
    }

    pub fn ns(&self, i: usize) -> &str {
        &self.nodes[i].ns
    }

    pub fn addr(&self, i: usize) -> Ipv4Addr {
        self.nodes[i].addr
    }

    /// The MAC address of router i's eth0.
    pub fn mac(&self, i: usize) -> String {
        let v = self.ip_json(self.ns(i), &["link", "show", "dev", IF]);
        v[0]["address"].as_str().expect("a MAC address").to_string()
    }

    pub fn ip_json(&self, ns: &str, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["-j"];
        all.extend_from_slice(args);
        let text = self.ip(ns, &all);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("ip -j output {text:?}: {e}"))
    }

    /// Writes `text` as router i's configuration (`r<i>.conf` in the temp dir).
    pub fn write_conf(&self, i: usize, text: &str) -> PathBuf {
        let path = self.dir.join(format!("r{i}.conf"));
        fs::write(&path, text).expect("write config");
        path
    }

    /// Starts `daemon` in router i with configuration `text` (not waiting for readiness).
    pub fn start(&mut self, i: usize, daemon: Daemon, text: &str) {
        self.start_with(i, daemon, text, &[]);
    }

    /// [`Lab::start`] with extra command-line options (e.g. `-V`).
    pub fn start_with(&mut self, i: usize, daemon: Daemon, text: &str, extra: &[&str]) {
        self.start_env(i, daemon, text, extra, &[]);
    }

    /// [`Lab::start_with`] with extra environment variables (e.g. vrrpd's test-only hooks).
    pub fn start_env(
        &mut self,
        i: usize,
        daemon: Daemon,
        text: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) {
        self.start_program(i, daemon, daemon.program(), text, extra, env);
    }

    /// [`Lab::start_env`] through `program`, a wrapper that ends by exec'ing the daemon with
    /// the arguments it got (e.g. one that opens extra descriptors first).
    pub fn start_program(
        &mut self,
        i: usize,
        daemon: Daemon,
        program: &str,
        text: &str,
        extra: &[&str],
        env: &[(&str, &str)],
    ) {
        let conf = self.write_conf(i, text);
        self.spawn(i, daemon, program, conf, extra, env);
    }

    /// Starts `daemon` in router i on the configuration [`Lab::write_conf`] wrote before (a
    /// benchmark that times the start from the spawn).
    pub fn start_written(&mut self, i: usize, daemon: Daemon) {
        let conf = self.dir.join(format!("r{i}.conf"));
        self.spawn(i, daemon, daemon.program(), conf, &[], &[]);
    }

    fn spawn(
        &mut self,
        i: usize,
        daemon: Daemon,
        program: &str,
        conf: PathBuf,
        extra: &[&str],
        env: &[(&str, &str)],
    ) {
        daemon.require();
        assert!(self.procs[i].is_none(), "router {i} already runs a daemon");
        self.starts += 1;
        let n = self.starts;
        let log = self.dir.join(format!("r{i}.{}.{n}.log", daemon.name()));
        // Fresh pid files per start: keepalived refuses to start while a killed run's remain.
        let pid = self.dir.join(format!("r{i}.{n}.pid"));
        let vrrp_pid = self.dir.join(format!("r{i}.{n}.vrrp.pid"));
        let files = keepalived::Files {
            conf: conf.clone(),
            pid,
            vrrp_pid,
        };
        let mut cmd = keepalived::command(Some(&self.nodes[i].ns), program, &files, extra);
        if daemon == Daemon::Vrrpd {
            // Each router its own control socket (never the host's /run/vrrpd), the same
            // across restarts so the drained state is kept.
            cmd.arg("--control-socket").arg(self.control_socket(i));
        }
        let logf = File::create(&log).expect("log file");
        cmd.stdin(Stdio::null())
            .stdout(logf.try_clone().expect("log fd"))
            .stderr(logf)
            // Its own process group, so SIGKILL reaches keepalived's children too.
            .process_group(0);
        // Dump files (SIGUSR1/SIGUSR2/JSON, docs/keepalived-compat.md#reload) go to $TMPDIR.
        let tmp = self.tmpdir(i);
        fs::create_dir_all(&tmp).expect("router TMPDIR");
        cmd.env("TMPDIR", &tmp);
        cmd.envs(env.iter().copied());
        let mut notify = None;
        if daemon == Daemon::Vrrpd {
            let path = self.dir.join(format!("r{i}.notify"));
            let _ = fs::remove_file(&path);
            let sock = UnixDatagram::bind(&path).expect("bind the test NOTIFY_SOCKET");
            cmd.env("NOTIFY_SOCKET", &path);
            notify = Some(sock);
        } else {
            cmd.env_remove("NOTIFY_SOCKET");
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", daemon.name()));
        self.procs[i] = Some(Proc {
            daemon,
            child,
            log,
            conf,
            notify,
            notes: Vec::new(),
        });
    }

    /// Router i's vrrpd control socket (`--control-socket`).
    pub fn control_socket(&self, i: usize) -> PathBuf {
        self.dir.join(format!("r{i}.ctl")).join("control.sock")
    }

    /// Runs the client subcommand `vrrpd ARGS` against router i's daemon.
    pub fn vrrpd_cli(&self, i: usize, args: &[&str]) -> std::process::Output {
        Command::new(Daemon::Vrrpd.program())
            .args(args)
            .arg("--control-socket")
            .arg(self.control_socket(i))
            .output()
            .expect("run the vrrpd client")
    }

    /// Router i's `$TMPDIR`, where its daemon writes keepalived.data/.stats/.json on signals.
    pub fn tmpdir(&self, i: usize) -> PathBuf {
        self.dir.join(format!("r{i}.tmp"))
    }

    /// Sends `sig` (a raw signal number, e.g. SIGRTMIN+2 for the JSON dump) to router i's daemon
    /// and waits up to 3 s for `file` to appear in its `$TMPDIR`; returns its text.
    pub fn dump(&self, i: usize, sig: i32, file: &str) -> String {
        let path = self.tmpdir(i).join(file);
        let _ = fs::remove_file(&path);
        // SAFETY: kill(2) with a pid we started and a plain signal number.
        let rc = unsafe { libc::kill(self.pid(i), sig) };
        assert_eq!(rc, 0, "kill({}, {sig})", self.pid(i));
        let deadline = Instant::now() + Duration::from_secs(3);
        // keepalived writes its dumps through stdio, a buffer at a time: a file is complete
        // once two readings 50 ms apart agree.
        let mut last: Option<String> = None;
        loop {
            if let Ok(t) = fs::read_to_string(&path) {
                if !t.is_empty() && last.as_deref() == Some(t.as_str()) {
                    return t;
                }
                last = (!t.is_empty()).then_some(t);
            }
            assert!(
                Instant::now() < deadline,
                "router {i}: no {file} in {} after signal {sig}\n{}",
                self.tmpdir(i).display(),
                self.log(i)
            );
            std::thread::sleep(Duration::from_millis(if last.is_some() { 50 } else { 10 }));
        }
    }

    /// [`Lab::start`] then [`Lab::wait_ready`] (10 s).
    pub fn start_ready(&mut self, i: usize, daemon: Daemon, text: &str) {
        self.start(i, daemon, text);
        self.wait_ready(i, Duration::from_secs(10));
    }

    pub fn proc(&self, i: usize) -> &Proc {
        self.procs[i]
            .as_ref()
            .unwrap_or_else(|| panic!("router {i} runs no daemon"))
    }

    fn proc_mut(&mut self, i: usize) -> &mut Proc {
        self.procs[i]
            .as_mut()
            .unwrap_or_else(|| panic!("router {i} runs no daemon"))
    }

    pub fn pid(&self, i: usize) -> i32 {
        self.proc(i).pid()
    }

    /// Waits until router i's daemon is ready: `READY=1` on its NOTIFY_SOCKET for vrrpd,
    /// `Startup complete` in the log for keepalived. Panics (with the log) on timeout or exit.
    pub fn wait_ready(&mut self, i: usize, timeout: Duration) {
        match self.proc(i).daemon {
            Daemon::Vrrpd => {
                self.wait_note(i, "READY=1", timeout);
            }
            Daemon::Keepalived => self.wait_log(i, "Startup complete", timeout),
        }
    }

    /// Receives sd_notify datagrams until one has the line `want`; returns every datagram
    /// received by this call. Panics on timeout or when the daemon exits.
    pub fn wait_note(&mut self, i: usize, want: &str, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        let mut got = Vec::new();
        loop {
            if let Some(m) = self.recv_note(i, Duration::from_millis(50)) {
                let hit = m.lines().any(|l| l == want);
                got.push(m);
                if hit {
                    return got;
                }
                // Read everything already queued before looking at the process.
                continue;
            }
            self.assert_running(i, &format!("waiting for {want} (got {got:?})"));
            assert!(
                Instant::now() < deadline,
                "router {i}: no {want} on NOTIFY_SOCKET within {timeout:?} (got {got:?})\n{}",
                self.log(i)
            );
        }
    }

    /// One sd_notify datagram, if any arrives within `wait`.
    pub fn recv_note(&mut self, i: usize, wait: Duration) -> Option<String> {
        let p = self.proc_mut(i);
        let sock = p.notify.as_ref().expect("vrrpd has a NOTIFY_SOCKET");
        sock.set_read_timeout(Some(wait)).ok()?;
        let mut buf = [0u8; 4096];
        let n = sock.recv(&mut buf).ok()?;
        let m = String::from_utf8_lossy(buf.get(..n)?).into_owned();
        p.notes.push(m.clone());
        Some(m)
    }

    /// Panics with the log when router i's daemon has exited.
    pub fn assert_running(&mut self, i: usize, doing: &str) {
        if let Some(st) = self.try_wait(i) {
            panic!(
                "router {i}: {} exited ({st}) while {doing}\n{}",
                self.proc(i).daemon.name(),
                self.log(i)
            );
        }
    }

    /// The exit status of router i's daemon, if it has exited.
    pub fn try_wait(&mut self, i: usize) -> Option<ExitStatus> {
        self.proc_mut(i).child.try_wait().ok().flatten()
    }

    /// Waits up to `timeout` for router i's daemon to exit.
    pub fn wait_exit(&mut self, i: usize, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(st) = self.try_wait(i) {
                return Some(st);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Router i's log so far.
    pub fn log(&self, i: usize) -> String {
        self.procs[i]
            .as_ref()
            .map(|p| fs::read_to_string(&p.log).unwrap_or_default())
            .unwrap_or_default()
    }

    /// Router i's log from byte `from` on, and the offset to read from next: a poll that
    /// reads only what is new (a log of 40,000 warnings per reload is megabytes, and a
    /// benchmark polling it whole every few milliseconds loaded the machine it measured).
    #[allow(dead_code)]
    pub fn log_since(&self, i: usize, from: u64) -> (String, u64) {
        use std::io::{Read, Seek, SeekFrom};
        let Some(p) = self.procs[i].as_ref() else {
            return (String::new(), from);
        };
        let Ok(mut f) = fs::File::open(&p.log) else {
            return (String::new(), from);
        };
        let mut buf = Vec::new();
        if f.seek(SeekFrom::Start(from)).is_err() || f.read_to_end(&mut buf).is_err() {
            return (String::new(), from);
        }
        // Up to the last complete line, so a needle is never split between two reads.
        let end = buf.iter().rposition(|b| *b == b'\n').map_or(0, |n| n + 1);
        buf.truncate(end);
        (
            String::from_utf8_lossy(&buf).into_owned(),
            from + end as u64,
        )
    }

    /// Waits until router i's log contains `needle`.
    pub fn wait_log(&mut self, i: usize, needle: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !self.log(i).contains(needle) {
            self.assert_running(i, &format!("waiting for {needle:?} in the log"));
            assert!(
                Instant::now() < deadline,
                "router {i}: no {needle:?} in the log within {timeout:?}\n{}",
                self.log(i)
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends `sig` to router i's daemon (keepalived: its parent, which forwards it).
    pub fn signal(&self, i: usize, sig: Signal) {
        kill(Pid::from_raw(self.pid(i)), sig).expect("kill(2)");
    }

    /// SIGKILL to router i's daemon and all its processes (the whole process group); reaps it.
    /// No priority-0 advert, VIPs left behind: a crash.
    pub fn kill9(&mut self, i: usize) {
        let _ = kill(Pid::from_raw(-self.pid(i)), Signal::SIGKILL);
        let _ = self.proc_mut(i).child.wait();
    }

    /// Ends router i's daemon (SIGTERM, then SIGKILL after 5 s) and forgets it, so a new one
    /// can be started; the log stays in the temp dir.
    pub fn stop(&mut self, i: usize) -> Option<ExitStatus> {
        let _ = kill(Pid::from_raw(self.pid(i)), Signal::SIGTERM);
        let st = self.wait_exit(i, Duration::from_secs(5));
        self.forget(i);
        st
    }

    /// Kills (if still running) and forgets router i's daemon.
    pub fn forget(&mut self, i: usize) {
        if let Some(mut p) = self.procs[i].take() {
            let _ = kill(Pid::from_raw(-(p.child.id() as i32)), Signal::SIGKILL);
            let _ = p.child.wait();
        }
    }

    /// The routers whose eth0 has `vip` (an address without prefix), in order.
    pub fn holders(&self, vip: &str) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.vip_entry(i, vip).is_some())
            .collect()
    }

    /// Router i's `ip -j addr` entry for `vip` on eth0, if present.
    pub fn vip_entry(&self, i: usize, vip: &str) -> Option<serde_json::Value> {
        let v = self.ip_json(self.ns(i), &["addr", "show", "dev", IF]);
        v.get(0)?
            .get("addr_info")?
            .as_array()?
            .iter()
            .find(|a| a["local"].as_str() == Some(vip))
            .cloned()
    }

    /// Polls (every ~5 ms) until exactly `want` hold `vip`; returns the time it took. Panics
    /// with the logs after `timeout`.
    pub fn wait_holders(&self, vip: &str, want: &[usize], timeout: Duration) -> Duration {
        let t0 = Instant::now();
        loop {
            let h = self.holders(vip);
            if h == want {
                return t0.elapsed();
            }
            assert!(
                t0.elapsed() < timeout,
                "{vip} held by {h:?}, not {want:?}, after {timeout:?}\n{}",
                self.all_logs()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Polls until router i holds `vip` (others may too); the time it took.
    pub fn wait_holds(&self, i: usize, vip: &str, timeout: Duration) -> Duration {
        let t0 = Instant::now();
        loop {
            if self.vip_entry(i, vip).is_some() {
                return t0.elapsed();
            }
            assert!(
                t0.elapsed() < timeout,
                "{vip} not on router {i} after {timeout:?} (holders {:?})\n{}",
                self.holders(vip),
                self.all_logs()
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Every daemon's log, headed by its router number.
    pub fn all_logs(&self) -> String {
        let mut s = String::new();
        for (i, p) in self.procs.iter().enumerate() {
            if let Some(p) = p {
                let _ = writeln!(
                    s,
                    "----- router {i} ({}) {}",
                    p.daemon.name(),
                    p.log.display()
                );
                s.push_str(&self.log(i));
            }
        }
        s
    }

    /// Whether the client gets an answer from `ip`: a TCP connection attempt to port 9 is
    /// answered (accepted or refused) within a second. Fills the client's neighbour table.
    pub fn client_reaches(&self, ip: &str) -> bool {
        let addr: std::net::SocketAddr = format!("{ip}:9").parse().expect("an IPv4 address");
        let r = self.spawn_in(&self.client, move || {
            std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1))
        });
        match r.join() {
            Ok(Ok(_)) => true,
            Ok(Err(e)) => e.kind() == std::io::ErrorKind::ConnectionRefused,
            Err(_) => false,
        }
    }

    /// The MAC the client's neighbour table has for `ip`, if any.
    pub fn client_neigh(&self, ip: &str) -> Option<String> {
        let v = self.ip_json(&self.client, &["neigh", "show", ip]);
        v.get(0)?.get("lladdr")?.as_str().map(str::to_string)
    }

    /// Unplugs router i at the switch (its bridge port goes down; the router sees no carrier).
    pub fn cut_link(&self, i: usize) {
        self.ip(&self.lan, &["link", "set", &self.nodes[i].port, "down"]);
    }

    pub fn restore_link(&self, i: usize) {
        self.ip(&self.lan, &["link", "set", &self.nodes[i].port, "up"]);
    }

    /// Isolates router i without a carrier change (its bridge port stops forwarding: STP state
    /// disabled), so it does not notice and elects itself master: a split brain.
    pub fn partition(&self, i: usize) {
        let port = &self.nodes[i].port;
        sh(&[
            "ip", "netns", "exec", &self.lan, "bridge", "link", "set", "dev", port, "state", "0",
        ]);
    }

    /// Ends [`Lab::partition`] (port state forwarding).
    pub fn heal(&self, i: usize) {
        let port = &self.nodes[i].port;
        sh(&[
            "ip", "netns", "exec", &self.lan, "bridge", "link", "set", "dev", port, "state", "3",
        ]);
    }

    /// Starts tcpdump writing VRRP packets (`ip proto 112`) seen on eth0 of namespace `ns` to
    /// a pcap file; returns once it is listening.
    pub fn capture(&self, ns: &str, name: &str) -> Helper {
        self.capture_filter(ns, name, "ip proto 112")
    }

    /// [`Lab::capture`] with another pcap filter (e.g. `arp`).
    pub fn capture_filter(&self, ns: &str, name: &str, filter: &str) -> Helper {
        require_tool("tcpdump");
        let out = self.dir.join(format!("{name}.pcap"));
        let err = self.dir.join(format!("{name}.tcpdump.txt"));
        let o = out.display().to_string();
        let child = self
            .command(
                ns,
                &[
                    "tcpdump",
                    "-i",
                    IF,
                    "--immediate-mode",
                    "-U",
                    "-n",
                    "-w",
                    &o,
                    filter,
                ],
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&err).expect("tcpdump stderr file"))
            .spawn()
            .expect("start tcpdump");
        let h = Helper { child, out };
        let deadline = Instant::now() + Duration::from_secs(5);
        while !fs::read_to_string(&err)
            .unwrap_or_default()
            .contains("listening on")
        {
            assert!(Instant::now() < deadline, "tcpdump did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
        h
    }

    /// Starts `ip monitor address` in router i's namespace (lines to a file).
    pub fn monitor_addresses(&self, i: usize, name: &str) -> Helper {
        let out = self.dir.join(format!("{name}.monitor.txt"));
        let child = self
            .command(self.ns(i), &["ip", "monitor", "address"])
            .stdin(Stdio::null())
            .stdout(File::create(&out).expect("monitor file"))
            .stderr(Stdio::null())
            .spawn()
            .expect("start ip monitor");
        // `ip monitor` has no ready line; give it time to subscribe.
        std::thread::sleep(Duration::from_millis(200));
        Helper { child, out }
    }

    /// Runs `f` on a new thread inside namespace `ns` (setns), e.g. a UDP responder.
    pub fn spawn_in<T: Send + 'static>(
        &self,
        ns: &str,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> JoinHandle<T> {
        let path = format!("/run/netns/{ns}");
        std::thread::spawn(move || {
            let fd = File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
            nix::sched::setns(&fd, nix::sched::CloneFlags::CLONE_NEWNET)
                .unwrap_or_else(|e| panic!("setns {path}: {e}"));
            f()
        })
    }

    /// CPU seconds (user + system) of router i's daemon: the sum over all its processes.
    pub fn cpu_seconds(&self, i: usize) -> f64 {
        let ticks = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
            .ok()
            .flatten()
            .unwrap_or(100) as f64;
        let want: String = self.proc(i).daemon.name().chars().take(15).collect();
        let mut sum = 0.0;
        for pid in sh(&["ip", "netns", "pids", self.ns(i)]).split_whitespace() {
            let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if comm.trim() != want {
                continue;
            }
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let after = stat.rfind(')').map_or("", |p| &stat[p + 1..]);
            let f: Vec<&str> = after.split_whitespace().collect();
            let t = |k: usize| f.get(k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
            // Fields after the comm: state is 0, utime 11, stime 12.
            sum += (t(11) + t(12)) / ticks;
        }
        sum
    }

    /// Three more interfaces in router i for fleets of instances (VRIDs are unique per
    /// interface): veth pairs `d1`..`d3` (no `dummy` module in every container) with
    /// 10.k.0.1/16, up. Returns `eth0` and them.
    pub fn fleet_interfaces(&self, i: usize) -> Vec<String> {
        let ns = self.ns(i).to_string();
        let mut ifaces = vec![IF.to_string()];
        for k in 1..4u8 {
            let name = format!("d{k}");
            let peer = format!("e{k}");
            self.ip(
                &ns,
                &["link", "add", &name, "type", "veth", "peer", "name", &peer],
            );
            self.ip(&ns, &["link", "set", &peer, "up"]);
            self.ip(
                &ns,
                &["addr", "add", &format!("10.{k}.0.1/16"), "dev", &name],
            );
            self.ip(&ns, &["link", "set", &name, "up"]);
            ifaces.push(name);
        }
        ifaces
    }

    /// Resident memory (VmRSS, KiB) of router i's daemon: the sum over all its processes
    /// (keepalived's parent and VRRP child).
    pub fn rss_kib(&self, i: usize) -> u64 {
        let pids = sh(&["ip", "netns", "pids", self.ns(i)]);
        let want = Path::new(self.proc(i).daemon.program())
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut sum = 0;
        for pid in pids.split_whitespace() {
            let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if comm.trim() != want.chars().take(15).collect::<String>() {
                continue;
            }
            let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            sum += status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
                .unwrap_or(0);
        }
        sum
    }
}

fn add_ns(name: &str) {
    // A leftover from a crashed run with a recycled pid would make `add` fail.
    let _ = output(&["ip", "netns", "del", name]);
    sh(&["ip", "netns", "add", name]);
    sh(&["ip", "-n", name, "link", "set", "lo", "up"]);
    // No duplicate address detection on the lab's links: a fresh link-local address would stay
    // tentative for a second or two, and keepalived cannot send IPv6 adverts from it then.
    sh(&[
        "ip",
        "netns",
        "exec",
        name,
        "sysctl",
        "-qw",
        "net.ipv6.conf.default.accept_dad=0",
    ]);
}

fn del_ns(name: &str) {
    if let Ok(o) = Command::new("ip").args(["netns", "pids", name]).output() {
        for pid in String::from_utf8_lossy(&o.stdout).split_whitespace() {
            if let Ok(p) = pid.parse::<i32>() {
                let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
            }
        }
    }
    let _ = Command::new("ip").args(["netns", "del", name]).output();
}

impl Drop for Lab {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let logs = self.all_logs();
            let tail: Vec<&str> = logs.lines().rev().take(150).collect();
            eprintln!("===== lab {}: daemon logs (last lines) =====", self.prefix);
            for l in tail.iter().rev() {
                eprintln!("{l}");
            }
        }
        for i in 0..self.procs.len() {
            self.forget(i);
        }
        for n in &self.nodes {
            del_ns(&n.ns);
        }
        del_ns(&self.client);
        del_ns(&self.lan);
        if std::env::var_os("VRRPD_LAB_KEEP").is_none() {
            let _ = fs::remove_dir_all(&self.dir);
        } else {
            eprintln!("lab files kept in {}", self.dir.display());
        }
    }
}
