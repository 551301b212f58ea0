//! The second seed tutorial's deployment, whose failover rests on `killall keepalived`: two
//! nginx load balancers, each tracking `/root/check_nginx.sh`, which restarts nginx when it is
//! gone and, when that fails, kills keepalived so that the backup takes over ("the key of the
//! switch is stopping keepalived").
//!
//! Each router is a sandboxed host (tests/common/sandbox.rs) in the lab, so the script's
//! `ps -C nginx` and `killall keepalived` see that router's processes only, and the script sits
//! at its real path with its text unchanged. nginx's restart is made to fail by an
//! `/etc/init.d/nginx` that exits 1. A client asks the VIP for a page every 5 ms; the longest
//! silence is printed.
//!
//! The configuration is the seed's (examples/seed001-master.conf) with the lab's addresses and
//! the two lines keepalived 2.2.7 cannot start with removed (`debug` without a level aborts it;
//! the words after `check_http` make it drop the tracker), so all daemons run the same file.
//! The backup is the same file with `state BACKUP` and `priority 100`, as the tutorial says;
//! it keeps `nopreempt`, which is effective on a BACKUP. Two variants:
//!
//! * as written: `interval 2` and no `timeout`, so the script's timeout is 2 s and it is
//!   killed during its `sleep 3`, before it reaches `killall` (docs/keepalived-compat.md#vrrp_script-keywords);
//!   its failure only lowers the master's priority below the backup's, and a `nopreempt`
//!   backup does not take over from a live master: nothing moves, with keepalived as with
//!   vrrpd.
//! * `timeout 5` added: the script reaches `killall keepalived`, which is how the tutorial
//!   describes its failover. keepalived stops (priority 0), and the backup takes over. vrrpd
//!   in compatibility mode does the same; vrrpd under its own name is not found by `killall`,
//!   the script fails, and the `nopreempt` backup keeps waiting: the failover is lost.
//!
//! Needs root, nginx and keepalived (`sudo ./tests/setup-deps.sh`).

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::lab::{require_tool, tag, Lab, IF};
use common::probe::http_probe;
use common::sandbox::Sandbox;

const VIP: &str = "10.0.0.100";

/// /root/check_nginx.sh as the tutorial shows it (its line breaks restored).
const CHECK_NGINX: &str = "#!/bin/bash
A=`ps -C nginx --no-header | wc -l`
if [ $A -eq 0 ];then
   /etc/init.d/nginx start
   sleep 3
   if [ `ps -C nginx --no-header | wc -l` -eq 0 ];then
       killall keepalived
   fi
fi
";

/// The seed's master configuration, lab addresses; `timeout` optionally added.
fn seed_config(state: &str, priority: u8, timeout: Option<u32>) -> String {
    let timeout = timeout
        .map(|t| format!("        timeout {t}\n"))
        .unwrap_or_default();
    format!(
        "! Configuration File for keepalived

global_defs {{
   notification_email {{
        735896273@qq.com
      }}
   notification_email_from andy@126.com
   smtp_server 127.0.0.1
   smtp_connect_timeout 30
   router_id LVS_DEVEL
}}

vrrp_script check_http {{
        script \"/root/check_nginx.sh\"    # verify the pid existance
        interval 2                    # check every 2 seconds
{timeout}        weight   2                    # add 2 points of prio if OK
}}

vrrp_instance VI_1 {{
    state {state}
    interface {IF}
    virtual_router_id 51
    priority {priority}
    nopreempt
    authentication {{
            auth_type PASS
            auth_pass mynginx
        }}
    virtual_ipaddress {{
            {VIP}
        }}
    track_script {{
                 check_http  # (calls the nginx check script)
        }}
}}
"
    )
}

/// How router daemons are run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Debian's keepalived 2.2.7.
    Keepalived,
    /// vrrpd after `vrrpd-compat enable`, started as `keepalived`.
    VrrpdAsKeepalived,
    /// vrrpd under its own name.
    Vrrpd,
}

impl Mode {
    fn program(self) -> &'static str {
        match self {
            Mode::Keepalived | Mode::VrrpdAsKeepalived => "keepalived",
            Mode::Vrrpd => "/usr/sbin/vrrpd",
        }
    }
}

/// One router: its host, nginx and daemon.
struct Router {
    host: Sandbox,
    daemon: std::process::Child,
    log: std::path::PathBuf,
}

const NGINX_CONF: &str = "user root;
worker_processes 1;
daemon on;
pid /run/nginx-lab.pid;
error_log /var/lib/nginx-lab/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path /var/lib/nginx-lab/cbt;
  proxy_temp_path /var/lib/nginx-lab/pt;
  fastcgi_temp_path /var/lib/nginx-lab/ft;
  uwsgi_temp_path /var/lib/nginx-lab/ut;
  scgi_temp_path /var/lib/nginx-lab/st;
  server { listen 80; location / { return 200 \"ok\\n\"; } }
}
";

fn start_router(lab: &Lab, i: usize, mode: Mode, conf: &str) -> Router {
    let host = Sandbox::new(&lab.dir.join(format!("host{i}")), Some(lab.ns(i)));
    host.install_vrrpd();
    if mode == Mode::VrrpdAsKeepalived {
        host.sh("vrrpd-compat enable");
    }
    host.write("/root/check_nginx.sh", CHECK_NGINX, 0o755);
    host.write("/etc/keepalived/keepalived.conf", conf, 0o644);
    // nginx's restart fails on this host.
    host.write(
        "/etc/init.d/nginx",
        "#!/bin/sh\necho \"nginx: start refused by the lab\" >&2\nexit 1\n",
        0o755,
    );
    host.write("/etc/nginx/lab.conf", NGINX_CONF, 0o644);
    host.sh("mkdir -p /var/lib/nginx-lab && nginx -c /etc/nginx/lab.conf");
    host.wait("nginx runs", Duration::from_secs(5), || {
        !host.pids_named("nginx").is_empty()
    });
    let log = lab.dir.join(format!("r{i}.{mode:?}.log"));
    let f = std::fs::File::create(&log).expect("log file");
    let daemon = host
        .command(mode.program(), &["-n", "-l", "-D", "-G"])
        .stdout(f.try_clone().expect("log fd"))
        .stderr(f)
        .spawn()
        .expect("start the daemon");
    Router { host, daemon, log }
}

/// What happened after nginx died on the master.
#[derive(Debug)]
struct Outcome {
    /// When the backup held the VIP (from nginx's death), if it did within the wait.
    moved: Option<Duration>,
    /// The client's longest silence, from nginx's death to the end of the run.
    gap: Duration,
    /// The master's daemon still runs.
    master_alive: bool,
    logs: String,
}

fn run(mode: Mode, timeout: Option<u32>, wait: Duration) -> Outcome {
    require_tool("nginx");
    require_tool("killall");
    let lab = Lab::new(
        &tag(
            &format!("s1{mode:?}"),
            if timeout.is_some() { "b" } else { "a" },
        ),
        2,
    );
    let mut r0 = start_router(&lab, 0, mode, &seed_config("MASTER", 101, timeout));
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    let mut r1 = start_router(&lab, 1, mode, &seed_config("BACKUP", 100, timeout));
    // Both scripts have run (every 2 s) and both nodes advertise their weights.
    std::thread::sleep(Duration::from_millis(4500));
    assert_eq!(lab.holders(VIP), vec![0], "the master holds the VIP");
    let stop = Arc::new(AtomicBool::new(false));
    let prober = http_probe(&lab, VIP, stop.clone());
    std::thread::sleep(Duration::from_millis(500));
    let t0 = Instant::now();
    r0.host.sh("pkill -x nginx");
    r0.host.wait("nginx exits", Duration::from_secs(5), || {
        r0.host.pids_named("nginx").is_empty()
    });
    let mut moved = None;
    while t0.elapsed() < wait {
        if lab.holders(VIP) == [1] {
            moved = Some(t0.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // Let the client see the new master answer.
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    let answers = prober.join().expect("prober");
    let after: Vec<Instant> = answers.into_iter().filter(|a| *a >= t0).collect();
    let end = Instant::now();
    let mut gap = Duration::ZERO;
    let mut prev = t0;
    for a in after.iter().chain(std::iter::once(&end)) {
        gap = gap.max(a.saturating_duration_since(prev));
        prev = *a;
    }
    let master_alive = r0.daemon.try_wait().ok().flatten().is_none();
    let logs = format!(
        "----- r0\n{}\n----- r1\n{}",
        std::fs::read_to_string(&r0.log).unwrap_or_default(),
        std::fs::read_to_string(&r1.log).unwrap_or_default()
    );
    let _ = r0.daemon.kill();
    let _ = r1.daemon.kill();
    let _ = r0.daemon.wait();
    let _ = r1.daemon.wait();
    Outcome {
        moved,
        gap,
        master_alive,
        logs,
    }
}

fn report(what: &str, o: &Outcome) {
    eprintln!(
        "seed 001, {what}: VIP moved {}, client's longest gap {:.0} ms, master's daemon {}",
        o.moved
            .map(|m| format!("after {:.0} ms", m.as_secs_f64() * 1000.0))
            .unwrap_or_else(|| "never".into()),
        o.gap.as_secs_f64() * 1000.0,
        if o.master_alive {
            "still running"
        } else {
            "stopped"
        }
    );
}

/// With `timeout 5` the script reaches `killall keepalived`: the master's daemon stops with a
/// priority-0 advert and the backup takes over, for keepalived and for vrrpd started as
/// keepalived alike.
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn killall_keepalived_in_the_track_script_hands_over_like_keepalived() {
    for mode in [Mode::Keepalived, Mode::VrrpdAsKeepalived] {
        let o = run(mode, Some(5), Duration::from_secs(12));
        report(&format!("{mode:?}, timeout 5"), &o);
        assert!(
            o.moved.is_some(),
            "{mode:?}: the VIP did not move\n{}",
            o.logs
        );
        assert!(
            !o.master_alive,
            "{mode:?}: killall did not stop it\n{}",
            o.logs
        );
        assert!(
            o.logs.contains("Backup received priority 0 advertisement") || mode == Mode::Keepalived,
            "{}",
            o.logs
        );
    }
}

/// Under its own name vrrpd is not what `killall keepalived` finds: the script fails instead,
/// which only lowers the master's priority, and the `nopreempt` backup keeps waiting. This is
/// the outage the compatibility mode exists for (and `--check-config --check-interfaces`
/// warns about it).
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn under_its_own_name_vrrpd_is_not_found_by_killall_and_the_failover_is_lost() {
    let o = run(Mode::Vrrpd, Some(5), Duration::from_secs(9));
    report("Vrrpd (own name), timeout 5", &o);
    assert!(o.moved.is_none(), "{}", o.logs);
    assert!(o.master_alive);
    assert!(
        o.logs.contains("VRRP_Script(check_http) failed"),
        "{}",
        o.logs
    );
}

/// As written (`interval 2`, no `timeout`), the script is killed at its 2 s timeout during
/// `sleep 3` and never reaches `killall`: with keepalived 2.2.7 as with vrrpd, nothing moves.
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn as_written_the_script_times_out_before_killall_for_every_daemon() {
    for mode in [Mode::Keepalived, Mode::VrrpdAsKeepalived] {
        let o = run(mode, None, Duration::from_secs(8));
        report(&format!("{mode:?}, as written"), &o);
        assert!(o.moved.is_none(), "{mode:?}\n{}", o.logs);
        assert!(o.master_alive, "{mode:?}\n{}", o.logs);
        assert!(o.logs.contains("timed_out"), "{mode:?}\n{}", o.logs);
    }
}
