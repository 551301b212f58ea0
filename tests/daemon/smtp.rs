//! SMTP alerts (docs/keepalived-compat.md#smtp-alerts) against a real SMTP server: Debian's
//! aiosmtpd runs in the client namespace and files every mail into a maildir, with the
//! envelope in `X-MailFrom` / `X-RcptTo`. Each scenario runs against vrrpd and against
//! keepalived 2.2.7 with the same configuration, so the expected mails are keepalived's.
//!
//! * `alerts_on_failover`: a pair starts and fails over; the subjects, bodies, headers and
//!   envelope of the mails are checked, and that no STOP mail arrives.
//! * `sync_group_alerts`: a pair of two-member sync groups; group and member mails.
//! * `dead_server_does_not_delay`: the server accepts connections and never answers; the
//!   master's adverts keep their cadence and the failover after SIGTERM is as fast as without
//!   mail (vrrpd also logs the dropped mails once its bounded queue is full).
//! * `refused_connection_logged`: nothing listens on the port; the failure is logged.
//! * `reload_turns_alerts_on`: `smtp_alert` added by a SIGHUP reload applies to the next
//!   transition.
//! * `silent_server_times_out`: with `smtp_connect_timeout 1`, a server that never answers
//!   is given up on within seconds, with keepalived's line.
//!
//! Needs root, python3-aiosmtpd, keepalived, tcpdump and tshark; fails loudly without them.

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::lab::{self, Daemon, Instance, Lab};
use nix::sys::signal::Signal;

const VIP: &str = "10.0.0.100";
const SERVER: &str = "10.0.0.50";

both!(
    alerts_on_failover,
    sync_group_alerts,
    dead_server_does_not_delay,
    refused_connection_logged,
    silent_server_times_out,
    reload_turns_alerts_on
);

/// A process in a namespace, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// aiosmtpd on SERVER:port in the client namespace, filing mails into `<lab>/mail`.
fn smtp_server(lab: &Lab, port: u16) -> (Server, PathBuf) {
    lab::require_tool("/usr/bin/python3");
    let ok = std::process::Command::new("/usr/bin/python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "python3-aiosmtpd is not installed (tests/setup-deps.sh)"
    );
    let dir = lab.dir.join("mail");
    let listen = format!("{SERVER}:{port}");
    let child = lab
        .command(
            &lab.client,
            &[
                "/usr/bin/python3",
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &listen,
                "-c",
                "aiosmtpd.handlers.Mailbox",
                &dir.display().to_string(),
            ],
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(lab.dir.join("aiosmtpd.txt")).expect("stderr file"))
        .spawn()
        .expect("start aiosmtpd");
    let server = Server(child);
    wait_listening(lab, port);
    (server, dir)
}

/// A server that accepts connections and never says a word.
fn silent_server(lab: &Lab, port: u16) -> Server {
    let script = format!(
        "import socket,time\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n\
         s.bind(('{SERVER}',{port}))\ns.listen(512)\nheld=[]\nwhile True:\n    c,_=s.accept()\n    held.append(c)\n"
    );
    let child = lab
        .command(&lab.client, &["/usr/bin/python3", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the silent server");
    let s = Server(child);
    wait_listening(lab, port);
    s
}

fn wait_listening(lab: &Lab, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let want = format!("{SERVER}:{port}");
    loop {
        let out = lab
            .command(&lab.client, &["ss", "-ltnH"])
            .output()
            .expect("ss");
        if String::from_utf8_lossy(&out.stdout).contains(&want) {
            return;
        }
        assert!(Instant::now() < deadline, "nothing listens on {want}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// global_defs with mail to SERVER:port and one instance.
fn conf(router: &str, port: u16, instances: &[Instance]) -> String {
    let mut s = format!(
        "global_defs {{\n    router_id {router}\n    notification_email {{\n        ops@example.test\n        oncall@example.test\n    }}\n    \
         notification_email_from vrrp-{router}@example.test\n    smtp_server {SERVER} {port}\n    smtp_helo_name {router}.example.test\n    \
         smtp_connect_timeout 30\n    smtp_alert\n}}\n\n"
    );
    for i in instances {
        s.push_str(&i.render());
        s.push('\n');
    }
    s
}

/// One received mail: its headers (last one wins) and body.
#[derive(Debug)]
struct Mail {
    headers: BTreeMap<String, String>,
    body: String,
}

fn read_mails(dir: &Path) -> Vec<Mail> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            let text = fs::read_to_string(e.path())
                .unwrap_or_default()
                .replace("\r\n", "\n");
            let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
            let headers = head
                .lines()
                .filter_map(|l| l.split_once(": "))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            out.push(Mail {
                headers,
                body: body.trim().to_string(),
            });
        }
    }
    out
}

fn subjects(mails: &[Mail]) -> Vec<String> {
    let mut s: Vec<String> = mails.iter().map(|m| m.headers["Subject"].clone()).collect();
    s.sort();
    s
}

/// Waits until every subject of `want` has arrived; returns all mails.
fn wait_mails(dir: &Path, want: &[&str], timeout: Duration) -> Vec<Mail> {
    let deadline = Instant::now() + timeout;
    loop {
        let mails = read_mails(dir);
        let have = subjects(&mails);
        if want.iter().all(|w| have.iter().any(|h| h == w)) {
            return mails;
        }
        assert!(
            Instant::now() < deadline,
            "waiting for {want:?}, got {have:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn pair() -> [Instance; 2] {
    let vip = format!("{VIP}/24 dev eth0");
    [
        Instance::v3("VI_1", 51, 150, "0.2").vip(&vip),
        Instance::v3("VI_1", 51, 100, "0.2").vip(&vip),
    ]
}

/// Start (BACKUP on both, then MASTER on r0) and failover after r0's SIGTERM (MASTER on r1; no
/// STOP mail from r0, as keepalived sends none): keepalived's subjects and bodies, its five
/// headers, and both recipients in the envelope.
fn alerts_on_failover(d: Daemon, tag: &str) {
    let mut lab = Lab::new(tag, 2);
    let (_server, dir) = smtp_server(&lab, 2525);
    let inst = pair();
    lab.start(0, d, &conf("r0", 2525, &[inst[0].clone()]));
    lab.start(1, d, &conf("r1", 2525, &[inst[1].clone()]));
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    let start = [
        "[r0] VRRP Instance VI_1 - Entering BACKUP state",
        "[r0] VRRP Instance VI_1 - Entering MASTER state",
        "[r1] VRRP Instance VI_1 - Entering BACKUP state",
    ];
    wait_mails(&dir, &start, Duration::from_secs(10));

    lab.signal(0, Signal::SIGTERM);
    lab.wait_holders(VIP, &[1], Duration::from_secs(5));
    let all = [
        &start[..],
        &["[r1] VRRP Instance VI_1 - Entering MASTER state"],
    ]
    .concat();
    let mails = wait_mails(&dir, &all, Duration::from_secs(10));
    // No STOP mail (keepalived's never leaves) and no duplicate: wait until r0 has exited.
    let st = lab.wait_exit(0, Duration::from_secs(5));
    assert!(st.is_some_and(|s| s.success()), "r0 exits 0: {st:?}");
    std::thread::sleep(Duration::from_millis(500));
    let mails = if read_mails(&dir).len() > mails.len() {
        read_mails(&dir)
    } else {
        mails
    };
    let mut want: Vec<String> = all.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(subjects(&mails), want, "one mail per transition");

    for m in &mails {
        let h = &m.headers;
        let subject = &h["Subject"];
        let router = &subject[1..3];
        let body = if subject.ends_with("MASTER state") {
            "=> VRRP Instance is now owning VRRP VIPs <="
        } else {
            "=> VRRP Instance is no longer owning VRRP VIPs <="
        };
        assert_eq!(m.body, body, "{m:?}");
        assert_eq!(h["From"], format!("vrrp-{router}@example.test"), "{m:?}");
        assert_eq!(h["To"], "ops@example.test, oncall@example.test", "{m:?}");
        assert_eq!(h["X-Mailer"], "Keepalived", "{m:?}");
        assert_eq!(
            h["X-MailFrom"],
            format!("vrrp-{router}@example.test"),
            "{m:?}"
        );
        assert_eq!(
            h["X-RcptTo"], "ops@example.test, oncall@example.test",
            "{m:?}"
        );
        // `Wed, 02 Dec 2026 01:30:00 +0000`
        let date = &h["Date"];
        assert!(
            date.len() == 31 && date.as_bytes()[3] == b',' && date.contains(':'),
            "Date {date:?}"
        );
    }
}

/// A server that accepts and never answers holds every mail for the full timeout; the
/// protocol does not notice: r0's adverts keep their 0.2 s cadence while the mails of twelve
/// instances are stuck, and r1 takes over right after r0's SIGTERM.
fn dead_server_does_not_delay(d: Daemon, tag: &str) {
    let mut lab = Lab::new(tag, 2);
    let _server = silent_server(&lab, 2526);
    let insts = |prio: u8| -> Vec<Instance> {
        (0..12u8)
            .map(|k| {
                let i = Instance::v3(&format!("VI_{k}"), 60 + k, prio, "0.2");
                if k == 0 {
                    i.vip(&format!("{VIP}/24 dev eth0"))
                } else {
                    i.vip(&format!("10.0.1.{}/24 dev eth0", k + 1))
                }
            })
            .collect()
    };
    lab.start(0, d, &conf("r0", 2526, &insts(150)));
    lab.start(1, d, &conf("r1", 2526, &insts(100)));
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    let cap = lab.capture(&lab.client.clone(), "dead");
    std::thread::sleep(Duration::from_secs(2));

    let t0 = Instant::now();
    lab.signal(0, Signal::SIGTERM);
    lab.wait_holds(1, VIP, Duration::from_secs(5));
    let took = t0.elapsed();
    // Priority 0 from the stopping master: the backup takes over after its skew time
    // (0.6 * 0.2 s * (256 - 100) / 256 < 0.1 s), plus scheduling slack.
    assert!(
        took < Duration::from_millis(800),
        "takeover after SIGTERM took {took:?}"
    );
    let st = lab.wait_exit(0, Duration::from_secs(5));
    assert!(
        st.is_some_and(|s| s.success()),
        "r0 exits 0 while its mails hang: {st:?}\n{}",
        lab.log(0)
    );
    std::thread::sleep(Duration::from_millis(300));

    let seen = lab::adverts(&cap.stop());
    let times: Vec<f64> = seen
        .iter()
        .filter(|a| a.src == "10.0.0.1" && a.vrid == 60 && a.prio != 0)
        .map(|a| a.time)
        .collect();
    assert!(times.len() >= 8, "r0's adverts during the 2 s: {times:?}");
    let worst = times.windows(2).map(|w| w[1] - w[0]).fold(0.0, f64::max);
    eprintln!(
        "{}: takeover after SIGTERM {took:?}, worst advert gap {worst:.3} s over {} adverts",
        d.name(),
        times.len()
    );
    assert!(
        worst < 0.35,
        "an advert gap of {worst:.3} s while the mails hang: {times:?}"
    );

    if d == Daemon::Vrrpd {
        // 24 mails from r0's start alone (BACKUP and MASTER of 12 instances), one at a time
        // stuck for the timeout: the queue fills and the overflow is dropped with a warning.
        let log = lab.log(0);
        assert!(log.contains("SMTP alert queue full"), "{log}");
    }
}

/// Nothing listens on the server's port: the refused connection is logged (with one log line
/// per mail), and the instance still becomes MASTER; the data dump says alerts are on.
fn refused_connection_logged(d: Daemon, tag: &str) {
    let mut lab = Lab::new(tag, 1);
    let inst = Instance::v3("VI_1", 51, 150, "0.2").vip(&format!("{VIP}/24 dev eth0"));
    lab.start(0, d, &conf("r0", 2527, &[inst]));
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    // keepalived reports the refused non-blocking connect as a write error on the socket;
    // vrrpd (no descriptor to name) with keepalived's line for a failed connect.
    let line = match d {
        Daemon::Keepalived => "returned write error",
        Daemon::Vrrpd => "SMTP connection ERROR to [10.0.0.50]:2527.",
    };
    lab.wait_log(0, line, Duration::from_secs(10));
    // The instance's effective smtp_alert in the SIGUSR1 dump.
    let data = lab.dump(0, libc::SIGUSR1, "keepalived.data");
    assert!(data.contains("   Using smtp notification = yes"), "{data}");
}

/// Two instances in sync group G on each router, alerts on globally: the group and each member
/// mail BACKUP and MASTER (a member's notifications come before its group changes state, so
/// they are not the group's repeated; keepalived does the same). r0's SIGTERM: r1's group and
/// members mail MASTER; r0 mails nothing.
fn sync_group_alerts(d: Daemon, tag: &str) {
    let mut lab = Lab::new(tag, 2);
    let (_server, dir) = smtp_server(&lab, 2528);
    let members = |prio: u8| -> Vec<Instance> {
        vec![
            Instance::v3("VI_1", 51, prio, "0.2").vip(&format!("{VIP}/24 dev eth0")),
            Instance::v3("VI_2", 52, prio, "0.2").vip("10.0.1.2/24 dev eth0"),
        ]
    };
    let group = "vrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n    }\n}\n";
    lab.start(0, d, &(conf("r0", 2528, &members(150)) + group));
    lab.start(1, d, &(conf("r1", 2528, &members(100)) + group));
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    let start = [
        "[r0] VRRP Group G - Entering BACKUP state",
        "[r0] VRRP Group G - Entering MASTER state",
        "[r0] VRRP Instance VI_1 - Entering BACKUP state",
        "[r0] VRRP Instance VI_1 - Entering MASTER state",
        "[r0] VRRP Instance VI_2 - Entering BACKUP state",
        "[r0] VRRP Instance VI_2 - Entering MASTER state",
        "[r1] VRRP Group G - Entering BACKUP state",
        "[r1] VRRP Instance VI_1 - Entering BACKUP state",
        "[r1] VRRP Instance VI_2 - Entering BACKUP state",
    ];
    wait_mails(&dir, &start, Duration::from_secs(10));
    lab.signal(0, Signal::SIGTERM);
    lab.wait_holders(VIP, &[1], Duration::from_secs(5));
    let all = [
        &start[..],
        &[
            "[r1] VRRP Group G - Entering MASTER state",
            "[r1] VRRP Instance VI_1 - Entering MASTER state",
            "[r1] VRRP Instance VI_2 - Entering MASTER state",
        ],
    ]
    .concat();
    let mails = wait_mails(&dir, &all, Duration::from_secs(10));
    let st = lab.wait_exit(0, Duration::from_secs(5));
    assert!(st.is_some_and(|s| s.success()), "r0 exits 0: {st:?}");
    std::thread::sleep(Duration::from_millis(500));
    let mails = if read_mails(&dir).len() > mails.len() {
        read_mails(&dir)
    } else {
        mails
    };
    let mut want: Vec<String> = all.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(subjects(&mails), want);
    for m in mails
        .iter()
        .filter(|m| m.headers["Subject"].contains("Group G - Entering MASTER"))
    {
        assert_eq!(
            m.body, "=> All VRRP group instances are now in MASTER state <=",
            "{m:?}"
        );
    }
}

/// `smtp_connect_timeout 1` and a server that accepts and never answers: the mail is given up
/// within a few seconds (keepalived: 1 s for the greeting; vrrpd: 2 s for the whole mail), with
/// keepalived's log line.
fn silent_server_times_out(d: Daemon, tag: &str) {
    let mut lab = Lab::new(tag, 1);
    let _server = silent_server(&lab, 2529);
    let inst = Instance::v3("VI_1", 51, 150, "0.2").vip(&format!("{VIP}/24 dev eth0"));
    let text =
        conf("r0", 2529, &[inst]).replace("smtp_connect_timeout 30", "smtp_connect_timeout 1");
    lab.start(0, d, &text);
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    lab.wait_log(
        0,
        "Timeout reading data to remote SMTP server [10.0.0.50]:2529.",
        Duration::from_secs(6),
    );
}

/// r0 runs with a mail server but alerts off: no mail. A SIGHUP reload turns `smtp_alert` on;
/// when r1 (priority 200) then preempts it, r0 mails its BACKUP.
fn reload_turns_alerts_on(d: Daemon, tag: &str) {
    let mut lab = Lab::new(tag, 2);
    let (_server, dir) = smtp_server(&lab, 2530);
    let vip = format!("{VIP}/24 dev eth0");
    let r0 = [Instance::v3("VI_1", 51, 150, "0.2").vip(&vip)];
    let on = conf("r0", 2530, &r0);
    let off = on.replace("    smtp_alert\n", "");
    assert_ne!(on, off);
    lab.start(0, d, &off);
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(1000));
    assert!(
        subjects(&read_mails(&dir)).is_empty(),
        "mail with alerts off"
    );

    lab.write_conf(0, &on);
    let n = lab.log(0).matches("Reload complete").count();
    lab.signal(0, Signal::SIGHUP);
    let deadline = Instant::now() + Duration::from_secs(5);
    while lab.log(0).matches("Reload complete").count() <= n {
        assert!(Instant::now() < deadline, "{}", lab.log(0));
        std::thread::sleep(Duration::from_millis(10));
    }
    let r1 = [Instance::v3("VI_1", 51, 200, "0.2").vip(&vip)];
    let r1_text = conf("r1", 2530, &r1).replace("    smtp_alert\n", "");
    lab.start(1, d, &r1_text);
    lab.wait_holders(VIP, &[1], Duration::from_secs(10));
    let mails = wait_mails(
        &dir,
        &["[r0] VRRP Instance VI_1 - Entering BACKUP state"],
        Duration::from_secs(10),
    );
    std::thread::sleep(Duration::from_millis(500));
    let mails = if read_mails(&dir).len() > mails.len() {
        read_mails(&dir)
    } else {
        mails
    };
    assert_eq!(
        subjects(&mails),
        ["[r0] VRRP Instance VI_1 - Entering BACKUP state"]
    );
}
