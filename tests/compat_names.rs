//! vrrpd under keepalived's names (`packaging/vrrpd-compat`, `src/compat.rs`): what an
//! administrator, a script and the keepalived exporter do with "keepalived" reaches vrrpd with
//! keepalived's meaning, and `vrrpd-compat disable` gives keepalived's files back.
//!
//! Every test runs on a sandboxed host (tests/common/sandbox.rs): its own process and mount
//! namespaces with copy-on-write `/usr`, `/etc`, `/var/lib`, so `dpkg-divert`, unit files and
//! `killall keepalived` act as on a real machine without touching this one. systemd is not
//! running there, so `service` takes its SysV fallback (`/etc/init.d/keepalived`). Needs root
//! and Debian's keepalived package (`sudo ./tests/setup-deps.sh`).

mod common;

use std::time::{Duration, Instant};

use common::lab::{config, require_root, require_tool, tag, Daemon, Instance, Lab};
use common::sandbox::Sandbox;

const VIP: &str = "10.0.0.100";

fn scratch(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("vrrpd-sbx-{}-{name}", std::process::id()))
}

/// A host with keepalived's package as Debian installs it and vrrpd installed beside it.
fn host(name: &str, netns: Option<&str>) -> Sandbox {
    require_root();
    for t in [
        "unshare",
        "nsenter",
        "dpkg-divert",
        "systemd-analyze",
        "service",
        "killall",
    ] {
        require_tool(t);
    }
    Daemon::Keepalived.require();
    let h = Sandbox::new(&scratch(name), netns);
    h.install_vrrpd();
    h
}

fn md5(h: &Sandbox, path: &str) -> String {
    h.sh(&format!("md5sum {path} | cut -d' ' -f1"))
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn enable_then_disable_gives_keepalived_its_files_back() {
    let h = host("roundtrip", None);
    let ka = md5(&h, "/usr/sbin/keepalived");
    let unit = md5(&h, "/lib/systemd/system/keepalived.service");
    let init = md5(&h, "/etc/init.d/keepalived");

    h.sh("vrrpd-compat enable");
    // The binary: keepalived's own moved aside by a dpkg diversion, a link to vrrpd instead.
    assert_eq!(h.sh("readlink /usr/sbin/keepalived").trim(), "vrrpd");
    assert_eq!(md5(&h, "/usr/sbin/keepalived.keepalived"), ka);
    let diversions = h.sh("dpkg-divert --list /usr/sbin/keepalived");
    assert!(
        diversions.contains("diversion of /usr/sbin/keepalived to /usr/sbin/keepalived.keepalived"),
        "{diversions}"
    );
    // Started under that name, vrrpd answers as keepalived.
    let v = h.sh_output("keepalived -v");
    assert!(
        String::from_utf8_lossy(&v.stderr).starts_with("Keepalived v2.2.7 (vrrpd v"),
        "{v:?}"
    );
    // systemd: keepalived.service is an alias of vrrpd.service.
    let files = h.sh("systemctl --root=/ list-unit-files keepalived.service vrrpd.service");
    assert!(
        files.lines().any(|l| l
            .split_whitespace()
            .take(2)
            .eq(["keepalived.service", "alias"])),
        "{files}"
    );
    // keepalived's SysV script stays: it works through the binary link.
    assert_eq!(md5(&h, "/etc/init.d/keepalived"), init);
    // Enabling twice changes nothing.
    assert!(h.sh("vrrpd-compat enable").contains("already enabled"));

    h.sh("vrrpd-compat disable");
    assert_eq!(md5(&h, "/usr/sbin/keepalived"), ka);
    assert_eq!(md5(&h, "/lib/systemd/system/keepalived.service"), unit);
    assert_eq!(md5(&h, "/etc/init.d/keepalived"), init);
    assert!(h
        .sh("dpkg-divert --list /usr/sbin/keepalived")
        .trim()
        .is_empty());
    h.sh("test ! -e /etc/systemd/system/keepalived.service");
    h.sh("test ! -e /etc/systemd/system/vrrpd.service.d");
    h.sh("test ! -e /usr/sbin/keepalived.keepalived");
    let v = h.sh_output("keepalived -v");
    assert!(
        String::from_utf8_lossy(&v.stderr).starts_with("Keepalived v2.2.7 (01/16,2022)"),
        "{v:?}"
    );
    assert!(h.sh("vrrpd-compat status").contains("disabled"));
}

/// `systemd-analyze verify` (no running systemd needed) accepts keepalived.service once it is
/// the alias, and loads it through vrrpd.service: a key planted in vrrpd.service's drop-in is
/// reported when keepalived.service is verified.
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn systemd_verifies_the_alias_and_reads_vrrpds_drop_in_for_it() {
    let h = host("verify", None);
    h.sh("vrrpd-compat enable");
    // --man=no: the sandbox host has vrrpd's unit but not its man page (the package test
    // checks Documentation=man:vrrpd(8) with the page installed).
    let ok = h.sh_output("systemd-analyze verify --man=no keepalived.service vrrpd.service");
    assert!(ok.status.success(), "{ok:?}");
    // Once keepalived.service is vrrpd.service's alias, the unit's Conflicts=keepalived.service
    // names itself; systemd drops that dependency with this one notice, which is expected.
    let stderr = String::from_utf8_lossy(&ok.stderr);
    let unexpected: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.contains("Dependency Conflicts=keepalived.service is dropped"))
        .collect();
    assert!(unexpected.is_empty(), "{stderr}");
    let dropin = h.read("/etc/systemd/system/vrrpd.service.d/keepalived-compat.conf");
    assert!(
        dropin.contains("ExecStart=/usr/sbin/keepalived --dont-fork $DAEMON_ARGS"),
        "{dropin}"
    );
    h.sh("echo 'PlantedByTheTest=1' >> /etc/systemd/system/vrrpd.service.d/keepalived-compat.conf");
    let out = h.sh_output("systemd-analyze verify --man=no keepalived.service");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("keepalived-compat.conf") && err.contains("PlantedByTheTest"),
        "{err}"
    );
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn enable_refuses_while_keepalived_runs_and_disable_while_vrrpd_runs_as_keepalived() {
    let h = host("refuse", None);
    // A live process named by keepalived's pid file.
    h.sh("(setsid sleep 60 >/dev/null 2>&1 & echo $! > /run/keepalived.pid)");
    let out = h.sh_output("vrrpd-compat enable");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("keepalived is running"),
        "{out:?}"
    );
    h.sh("test ! -L /usr/sbin/keepalived");
    h.sh("rm /run/keepalived.pid");
    h.sh("vrrpd-compat enable");
    h.sh("(setsid sleep 60 >/dev/null 2>&1 & echo $! > /run/keepalived.pid)");
    let out = h.sh_output("vrrpd-compat disable");
    assert!(!out.status.success(), "{out:?}");
    h.sh("test -L /usr/sbin/keepalived");
}

/// The pair: router 0 is the sandboxed host, router 1 a plain vrrpd peer. VRRPv3 at 0.1 s.
fn pair_configs(extra_vip: &[(&str, u8, &str)]) -> (String, String) {
    let mut r0 = vec![Instance::v3("VI_1", 51, 150, "0.1").vip(&format!("{VIP}/24"))];
    for (name, vrid, vip) in extra_vip {
        r0.push(Instance::v3(name, *vrid, 150, "0.1").vip(&format!("{vip}/24")));
    }
    let r1 = vec![Instance::v3("VI_1", 51, 100, "0.1").vip(&format!("{VIP}/24"))];
    (config("r0", &r0), config("r1", &r1))
}

/// The daemon's pid on the host, from keepalived's pid file.
fn pid_file(h: &Sandbox) -> Option<i32> {
    h.read("/run/keepalived.pid").trim().parse().ok()
}

fn wait_gone(h: &Sandbox, pid: i32) {
    h.wait("the daemon exits", Duration::from_secs(5), || {
        !h.sh_output(&format!("test -d /proc/{pid}"))
            .status
            .success()
    });
}

fn start_pair(tagname: &str, purge_keepalived: bool) -> (Lab, Sandbox) {
    let mut lab = Lab::new(&tag(tagname, "k"), 2);
    let h = host(tagname, Some(lab.ns(0)));
    if purge_keepalived {
        // keepalived's package removed: its binary, unit and SysV script are gone.
        h.sh("rm -f /usr/sbin/keepalived /lib/systemd/system/keepalived.service /etc/init.d/keepalived");
    }
    h.sh("vrrpd-compat enable");
    let (c0, c1) = pair_configs(&[]);
    h.write("/etc/keepalived/keepalived.conf", &c0, 0o644);
    h.write("/etc/default/keepalived", "DAEMON_ARGS=\"-D\"\n", 0o644);
    lab.start_ready(1, Daemon::Vrrpd, &c1);
    (lab, h)
}

/// `killall keepalived` (the second seed's track script), `pkill`, `pidof`, `ps -C`, the
/// exporter's `-v`/`--signum`/pid file, and `service keepalived start|status|reload|stop`
/// through keepalived's own SysV script, all reaching vrrpd.
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn keepalived_names_signals_and_init_script_reach_vrrpd() {
    let (mut lab, h) = start_pair("compatnames", false);
    h.sh("service keepalived start");
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    let pid = pid_file(&h).expect("/run/keepalived.pid");
    // One process, named keepalived, in both of keepalived's pid files.
    assert_eq!(h.read("/run/vrrp.pid").trim(), pid.to_string());
    assert_eq!(h.read(&format!("/proc/{pid}/comm")).trim(), "keepalived");
    assert_eq!(h.sh("pidof keepalived").trim(), pid.to_string());
    assert_eq!(h.pids_named("keepalived"), vec![pid]);
    assert_eq!(
        h.sh("ps -C keepalived --no-header -o pid").trim(),
        pid.to_string()
    );
    // (Debian's keepalived script has no `status`; vrrpd's has, see the next test.)

    // The keepalived exporter: `keepalived -v` on stderr, `--signum`, the pid file, /tmp.
    let v = h.sh_output("keepalived -v");
    let first = String::from_utf8_lossy(&v.stderr)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert_eq!(first.split(' ').nth(1), Some("v2.2.7"), "{first}");
    assert_eq!(h.sh("keepalived --signum=JSON").trim(), "36");
    assert_eq!(h.sh("keepalived --signum=STATS").trim(), "12");
    h.sh("kill -s $(keepalived --signum=JSON) $(cat /var/run/keepalived.pid)");
    h.wait("keepalived.json", Duration::from_secs(3), || {
        !h.read("/tmp/keepalived.json").is_empty()
    });
    let json: serde_json::Value =
        serde_json::from_str(&h.read("/tmp/keepalived.json")).expect("keepalived.json parses");
    assert_eq!(json[0]["data"]["iname"], "VI_1", "{json}");
    assert_eq!(json[0]["data"]["state"], 2, "{json}");
    h.sh("pkill -USR2 keepalived");
    h.wait("keepalived.stats", Duration::from_secs(3), || {
        h.read("/tmp/keepalived.stats")
            .contains("VRRP Instance: VI_1")
    });

    // HUP = reload, hitless: a new instance appears, the pid and the master stay.
    let (c0, _) = pair_configs(&[("VI_2", 52, "10.0.0.101")]);
    h.write("/etc/keepalived/keepalived.conf", &c0, 0o644);
    h.sh("service keepalived reload");
    lab.wait_holders("10.0.0.101", &[0], Duration::from_secs(5));
    let (c0, _) = pair_configs(&[("VI_2", 52, "10.0.0.101"), ("VI_3", 53, "10.0.0.102")]);
    h.write("/etc/keepalived/keepalived.conf", &c0, 0o644);
    h.sh("pkill -HUP keepalived");
    lab.wait_holders("10.0.0.102", &[0], Duration::from_secs(5));
    assert_eq!(pid_file(&h), Some(pid));
    assert_eq!(lab.holders(VIP), vec![0]);

    // TERM by name = keepalived's graceful stop: priority 0, the peer takes over at once.
    let t0 = Instant::now();
    h.sh("killall keepalived");
    lab.wait_holders(VIP, &[1], Duration::from_secs(3));
    let moved = t0.elapsed();
    wait_gone(&h, pid);
    assert!(lab
        .log(1)
        .contains("Backup received priority 0 advertisement"));
    assert!(lab.holders("10.0.0.101").is_empty());
    assert!(h.pids_named("keepalived").is_empty());
    assert!(pid_file(&h).is_none(), "the pid file is removed at stop");
    eprintln!("killall keepalived: the peer held the VIP after {moved:?}");

    // Back with `service keepalived start`, then `pkill keepalived` and `service ... stop`.
    h.sh("service keepalived start");
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    let pid2 = pid_file(&h).expect("pid file");
    assert_ne!(pid2, pid);
    h.sh("pkill keepalived");
    lab.wait_holders(VIP, &[1], Duration::from_secs(3));
    wait_gone(&h, pid2);
    h.sh("service keepalived start");
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    let pid3 = pid_file(&h).expect("pid file");
    h.sh("service keepalived stop");
    lab.wait_holders(VIP, &[1], Duration::from_secs(3));
    wait_gone(&h, pid3);
    assert!(h.pids_named("keepalived").is_empty());

    // Rolled back: keepalived's names mean keepalived again.
    h.sh("vrrpd-compat disable");
    let v = h.sh_output("keepalived -v");
    assert!(String::from_utf8_lossy(&v.stderr).starts_with("Keepalived v2.2.7 (01/16,2022)"));
    lab.assert_running(1, "the peer runs on");
}

/// keepalived's package gone: `vrrpd-compat enable` installs vrrpd's SysV script as
/// /etc/init.d/keepalived, and `service keepalived start|status|reload|restart|stop` work
/// through it; `disable` removes it again.
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn without_keepalived_installed_service_keepalived_runs_vrrpd() {
    let (mut lab, h) = start_pair("compatnoka", true);
    assert!(h
        .read("/etc/init.d/keepalived")
        .contains("vrrpd-compat enable"));
    assert_eq!(h.sh("readlink /usr/sbin/keepalived").trim(), "vrrpd");
    let files = h.sh("systemctl --root=/ list-unit-files keepalived.service");
    assert!(files.contains("alias"), "{files}");
    h.sh("service keepalived start");
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    let pid = pid_file(&h).expect("pid file");
    assert_eq!(h.sh("pidof keepalived").trim(), pid.to_string());
    assert!(h
        .sh("service keepalived status")
        .contains(&format!("keepalived is running (pid {pid})")));
    let (c0, _) = pair_configs(&[("VI_2", 52, "10.0.0.101")]);
    h.write("/etc/keepalived/keepalived.conf", &c0, 0o644);
    h.sh("service keepalived reload");
    lab.wait_holders("10.0.0.101", &[0], Duration::from_secs(5));
    h.sh("service keepalived restart");
    let pid2 = pid_file(&h).expect("pid file");
    assert_ne!(pid, pid2);
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    h.sh("service keepalived stop");
    lab.wait_holders(VIP, &[1], Duration::from_secs(3));
    let status = h.sh_output("service keepalived status");
    assert_eq!(status.status.code(), Some(3), "{status:?}");
    h.sh("vrrpd-compat disable");
    h.sh("test ! -e /etc/init.d/keepalived && test ! -e /usr/sbin/keepalived");
    lab.assert_running(1, "the peer runs on");
}
