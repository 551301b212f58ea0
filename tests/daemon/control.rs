//! The control socket on running daemons (README "Control"): `vrrpd status` (table and
//! JSON), `drain --wait` / `undrain` on a vrrpd pair and towards a keepalived peer (the
//! client's longest gap is measured and printed), `events`, `reload` with its diagnostics
//! and exit status, the drained state across a restart and a reload, and bad input on the
//! socket (garbage, a huge line, a silent client) that never stops the daemon.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use common::lab::{config, Daemon, Instance, Lab};
use common::probe::{longest_gap, probe, Echo, StopOnDrop};

const VIP: &str = "10.0.0.100";
const SLACK: Duration = Duration::from_millis(400);

fn pair_instance(prio: u8) -> Instance {
    Instance::v3("VI_1", 51, prio, "0.2").vip(&format!("{VIP}/24 dev eth0"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `vrrpd ARGS` against router i; panics with the output unless it exits 0.
fn cli_ok(lab: &Lab, i: usize, args: &[&str]) -> String {
    let o = lab.vrrpd_cli(i, args);
    assert!(
        o.status.success(),
        "vrrpd {args:?} on router {i}: {:?}\n{}\n{}\n{}",
        o.status,
        stdout(&o),
        stderr(&o),
        lab.log(i)
    );
    stdout(&o)
}

fn status_json(lab: &Lab, i: usize) -> serde_json::Value {
    let text = cli_ok(lab, i, &["status", "--json"]);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("status --json {text:?}: {e}"))
}

fn instance(v: &serde_json::Value, name: &str) -> serde_json::Value {
    v["instances"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["name"] == name))
        .cloned()
        .unwrap_or_else(|| panic!("no instance {name} in {v}"))
}

/// A vrrpd pair: router 0 priority 150 (MASTER), router 1 priority 100.
fn vrrpd_pair(tag: &str) -> (Lab, [Instance; 2]) {
    let mut lab = Lab::new(tag, 2);
    let inst = [pair_instance(150), pair_instance(100)];
    lab.start(1, Daemon::Vrrpd, &config("r1", &[inst[1].clone()]));
    lab.start(0, Daemon::Vrrpd, &config("r0", &[inst[0].clone()]));
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    lab.wait_holders(VIP, &[0], inst[0].master_down() * 3);
    (lab, inst)
}

/// Sends raw bytes on router i's control socket; returns what came back (until EOF or 3 s).
fn raw(lab: &Lab, i: usize, bytes: &[u8]) -> String {
    let mut s = UnixStream::connect(lab.control_socket(i)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(3)))
        .expect("timeout");
    // A huge line may be cut off by the daemon mid-write: that is the point.
    let _ = s.write_all(bytes);
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn status_on_a_pair_and_bad_input() {
    let (lab, _) = vrrpd_pair(&common::lab::tag("ctlst", ""));
    let table = cli_ok(&lab, 0, &["status"]);
    println!("{table}");
    for want in [
        "INSTANCE",
        "VI_1",
        "MASTER",
        "150/150",
        VIP,
        "10.0.0.1 prio 150",
        "COUNTERS",
    ] {
        assert!(table.contains(want), "{want:?} missing from\n{table}");
    }
    let m = instance(&status_json(&lab, 0), "VI_1");
    assert_eq!(m["state"], "Master", "{m}");
    assert_eq!(m["base_priority"], 150);
    assert_eq!(m["master_addr"], "10.0.0.1");
    assert!(
        m["vips"]
            .as_array()
            .is_some_and(|v| v.iter().any(|a| a == VIP)),
        "{m}"
    );
    assert_eq!(m["last_transition"]["to"], "Master", "{m}");
    assert!(
        m["counters"]["advert_sent"].as_u64().unwrap_or(0) > 0,
        "{m}"
    );
    let b = instance(&status_json(&lab, 1), "VI_1");
    assert_eq!(b["state"], "Backup", "{b}");
    assert_eq!(b["master_addr"], "10.0.0.1", "{b}");
    assert_eq!(b["master_priority"], 150, "{b}");

    // Garbage and a huge line get an error answer; a silent client is dropped; none of it
    // stops the daemon or its adverts.
    let garbage = raw(&lab, 0, b"hello there\n");
    assert!(garbage.contains("\"error\""), "{garbage}");
    let huge = raw(&lab, 0, &vec![b'x'; 1 << 20]);
    assert!(huge.contains("longer than"), "{huge}");
    let silent: Vec<UnixStream> = (0..8)
        .map(|_| UnixStream::connect(lab.control_socket(0)).expect("connect"))
        .collect();
    let t0 = Instant::now();
    let again = instance(&status_json(&lab, 0), "VI_1");
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "status waited behind silent clients"
    );
    assert_eq!(again["state"], "Master");
    drop(silent);
    assert_eq!(lab.holders(VIP), vec![0]);
    let b = instance(&status_json(&lab, 1), "VI_1");
    assert_eq!(b["state"], "Backup", "the master kept advertising: {b}");
    let o = lab.vrrpd_cli(0, &["drain", "NO_SUCH"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("no instance named NO_SUCH"),
        "{}",
        stderr(&o)
    );
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn drain_wait_hands_over_to_the_vrrpd_peer_and_undrain_takes_back() {
    let (lab, inst) = vrrpd_pair(&common::lab::tag("ctldr", ""));
    let t0 = Instant::now();
    let out = cli_ok(&lab, 0, &["drain", "VI_1", "--wait"]);
    let took = t0.elapsed();
    println!("{out}drain --wait returned after {took:?}");
    assert!(out.contains("10.0.0.2 took over"), "{out}");
    assert_eq!(lab.holders(VIP), vec![1]);
    // Drained, the higher priority never takes back.
    std::thread::sleep(inst[0].master_down() * 2);
    assert_eq!(lab.holders(VIP), vec![1], "a drained node stays BACKUP");
    let m = instance(&status_json(&lab, 0), "VI_1");
    assert_eq!(m["state"], "Backup", "{m}");
    assert_eq!(m["drained"], true, "{m}");
    assert_eq!(m["last_transition"]["reason"], "drain", "{m}");
    assert!(cli_ok(&lab, 0, &["status"]).contains("BACKUP (drained)"));
    cli_ok(&lab, 0, &["undrain", "VI_1"]);
    lab.wait_holders(VIP, &[0], inst[0].master_down() + Duration::from_secs(3));
    // `drained` is left out of the snapshot while false.
    assert_ne!(instance(&status_json(&lab, 0), "VI_1")["drained"], true);
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn drain_hands_over_to_a_keepalived_peer_in_skew_time() {
    let mut lab = Lab::new(&common::lab::tag("ctlka", ""), 2);
    let inst = [pair_instance(150), pair_instance(100)];
    lab.start(1, Daemon::Keepalived, &config("r1", &[inst[1].clone()]));
    lab.start(0, Daemon::Vrrpd, &config("r0", &[inst[0].clone()]));
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_ready(1, Duration::from_secs(10));
    lab.wait_holders(VIP, &[0], inst[0].master_down() * 3);
    let _echo = [Echo::start(&lab, lab.ns(0)), Echo::start(&lab, lab.ns(1))];
    let stop = Arc::new(AtomicBool::new(false));
    let prober = probe(&lab, VIP, stop.clone());
    let guard = StopOnDrop(stop);
    std::thread::sleep(Duration::from_millis(500));
    let t0 = Instant::now();
    let out = cli_ok(&lab, 0, &["drain", "--all", "--wait"]);
    let answered = t0.elapsed();
    let moved = lab.wait_holders(VIP, &[1], Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(500));
    drop(guard);
    let answers = prober.join().expect("prober");
    let gap = longest_gap(&answers);
    println!(
        "{out}drain to keepalived: --wait answered after {answered:?}; client's longest gap {gap:?} (keepalived's skew {:?})",
        inst[1].skew()
    );
    assert!(moved <= inst[1].skew() + SLACK, "VIP moved after {moved:?}");
    assert!(gap <= inst[1].skew() + SLACK * 2, "client gap {gap:?}");
    assert!(out.contains("10.0.0.2 took over"), "{out}");
}

/// Lines of a running `vrrpd events` (a thread forwards them).
fn follow(lab: &Lab, i: usize, json: bool) -> (std::process::Child, mpsc::Receiver<String>) {
    let mut cmd = Command::new(Daemon::Vrrpd.program());
    cmd.arg("events");
    if json {
        cmd.arg("--json");
    }
    let mut child = cmd
        .arg("--control-socket")
        .arg(lab.control_socket(i))
        .stdout(Stdio::piped())
        .spawn()
        .expect("vrrpd events");
    let out = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    // Subscribed once the daemon answered the request (no line for the ack in text mode).
    std::thread::sleep(Duration::from_millis(500));
    (child, rx)
}

fn expect_line(rx: &mpsc::Receiver<String>, want: &str, seen: &mut Vec<String>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if let Ok(l) = rx.recv_timeout(left) {
            let hit = l.contains(want);
            seen.push(l);
            if hit {
                return;
            }
        }
    }
    panic!("no event line with {want:?}; saw {seen:#?}");
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn events_show_transitions_and_reloads() {
    let (lab, _) = vrrpd_pair(&common::lab::tag("ctlev", ""));
    let (mut text, rx) = follow(&lab, 0, false);
    let (mut json, jrx) = follow(&lab, 1, true);
    cli_ok(&lab, 0, &["drain", "VI_1"]);
    let mut seen = Vec::new();
    expect_line(&rx, "VI_1 BACKUP priority", &mut seen);
    let mut jseen = Vec::new();
    expect_line(&jrx, "\"state\":\"MASTER\"", &mut jseen);
    let v: serde_json::Value = serde_json::from_str(jseen.last().expect("a line")).expect("json");
    assert_eq!(v["event"]["name"], "VI_1");
    cli_ok(&lab, 0, &["undrain", "VI_1"]);
    expect_line(&rx, "VI_1 MASTER priority", &mut seen);
    cli_ok(&lab, 0, &["reload"]);
    expect_line(&rx, "reload ok", &mut seen);
    println!("vrrpd events on router 0:\n{}", seen.join("\n"));
    let _ = text.kill();
    let _ = json.kill();
    let _ = text.wait();
    let _ = json.wait();
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn reload_answers_with_its_diagnostics_and_status() {
    let mut lab = Lab::new(&common::lab::tag("ctlrl", ""), 1);
    // With a tracker, so status shows its result.
    let inst = pair_instance(150).extra("track_script {\n        chk\n    }");
    let good = common::track::with_prelude(
        &config("r0", &[inst]),
        "vrrp_script chk {\n    script \"/bin/true\"\n    interval 1\n    weight 10\n}\n\n",
    );
    lab.start_ready(0, Daemon::Vrrpd, &good);
    lab.wait_log(0, "VRRP_Script(chk) succeeded", Duration::from_secs(5));
    let table = cli_ok(&lab, 0, &["status"]);
    println!("{table}");
    assert!(table.contains("script:chk  VI_1  ok"), "{table}");
    assert!(table.contains("priority +10"), "{table}");
    let t = &instance(&status_json(&lab, 0), "VI_1")["trackers"][0];
    assert_eq!(t["id"], "script:chk", "{t}");
    assert_eq!(t["ok"], true, "{t}");
    lab.write_conf(0, &good.replace("priority 150", "prioritty 150"));
    let o = lab.vrrpd_cli(0, &["reload"]);
    let out = stdout(&o);
    println!("{out}");
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    assert!(out.contains("reload failed"), "{out}");
    assert!(out.contains("Unknown keyword 'prioritty'"), "{out}");
    lab.write_conf(0, &good.replace("priority 150", "priority 120"));
    let out = cli_ok(&lab, 0, &["reload"]);
    assert!(out.contains("reload ok"), "{out}");
    let v = status_json(&lab, 0);
    assert_eq!(v["reloads"]["failed"], 1, "{v}");
    assert_eq!(v["reloads"]["succeeded"], 1, "{v}");
    assert_eq!(instance(&v, "VI_1")["base_priority"], 120, "{v}");
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn drained_state_survives_restart_and_reload() {
    // Alone on the LAN: undrained it would be MASTER at once.
    let mut lab = Lab::new(&common::lab::tag("ctlrs", ""), 1);
    let inst = pair_instance(150);
    let conf = config("r0", std::slice::from_ref(&inst));
    lab.start_ready(0, Daemon::Vrrpd, &conf);
    lab.wait_holders(VIP, &[0], inst.master_down() * 3);
    // Nobody to hand over to: --wait fails with a clear message, the node stays drained.
    let t0 = Instant::now();
    let o = lab.vrrpd_cli(0, &["drain", "VI_1", "--wait"]);
    let err = stderr(&o);
    println!("{err}");
    assert_eq!(o.status.code(), Some(1), "{}{err}", stdout(&o));
    assert!(err.contains("no peer took over"), "{err}");
    assert!(t0.elapsed() < inst.master_down() + Duration::from_secs(5));
    assert_eq!(lab.holders(VIP), Vec::<usize>::new());
    let state = lab.control_socket(0).with_extension("drained");
    let meta = std::fs::metadata(&state).expect("drained state file");
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
        0o600
    );

    lab.stop(0);
    lab.start_ready(0, Daemon::Vrrpd, &conf);
    std::thread::sleep(inst.master_down() * 2);
    assert_eq!(
        lab.holders(VIP),
        Vec::<usize>::new(),
        "restarted drained:\n{}",
        lab.log(0)
    );
    let m = instance(&status_json(&lab, 0), "VI_1");
    assert_eq!(m["drained"], true, "{m}");
    assert_eq!(m["state"], "Backup", "{m}");
    cli_ok(&lab, 0, &["reload"]);
    std::thread::sleep(inst.master_down() * 2);
    assert_eq!(
        lab.holders(VIP),
        Vec::<usize>::new(),
        "drained after a reload"
    );
    cli_ok(&lab, 0, &["undrain", "--all"]);
    lab.wait_holders(VIP, &[0], inst.master_down() + Duration::from_secs(3));
}
