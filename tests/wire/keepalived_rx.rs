//! Interop: keepalived 2.2.7 must accept the adverts our encoder builds.
//!
//! keepalived runs as BACKUP (priority 100) in one network namespace; from a second one we
//! inject Ethernet frames built by vrrpd's wire code (priority 200) through a packet socket.
//! An advert keepalived rejects (checksum, auth, length, address list, ...) does not reset
//! its master-down timer, so the instance would become MASTER after ~3.6 s. Every instance
//! we feed must therefore stay BACKUP, and one instance we do not feed must become MASTER
//! (the control that proves the test waited long enough), as must one we feed adverts whose
//! v3 checksum skips the pseudo-header (the control that proves keepalived checks ours).
//!
//! Needs root, keepalived, python3 (the frame sender) and iproute2; fails loudly without
//! them. Namespaces come from `common::netns` (`vd<pid>vwrxa`, `vd<pid>vwrxb`), keepalived from
//! `common::keepalived`; both are removed at the end.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::common;

use common::frames::{self, v4};
use common::keepalived::{self, Keepalived};
use common::netns::{self, Netns};
use vrrpd::wire::{Addrs, Advert, Auth, Checksum, Version};

const KA_MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];
const OUR_MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x02];
const KA_IP: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 1);
const OUR_IP: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 2);
const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);

/// Removes the temp dir on drop.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An advert from us (`OUR_MAC`, `OUR_IP`) to `dst`: the datagram the daemon sends.
fn ipv4_frame(a: &Advert, dst: Ipv4Addr) -> Vec<u8> {
    frames::ipv4_frame(a, (OUR_MAC, KA_MAC), OUR_IP, dst, 1)
}

fn ipv6_frame(a: &Advert, src: Ipv6Addr, dst: Ipv6Addr) -> Vec<u8> {
    frames::ipv6_frame(a, OUR_MAC, src, dst)
}

const CONFIG: &str = r#"
global_defs {
    router_id vwrx
}
vrrp_instance V2_PASS {
    state BACKUP
    interface vwa0
    virtual_router_id 52
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass secret12
    }
    virtual_ipaddress {
        10.99.0.52
        10.99.0.152
        10.99.0.252
    }
}
vrrp_instance V2_NOAUTH {
    state BACKUP
    interface vwa0
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        10.99.0.51
    }
}
vrrp_instance V3_V4 {
    version 3
    state BACKUP
    interface vwa0
    virtual_router_id 60
    priority 100
    advert_int 0.5
    virtual_ipaddress {
        10.99.0.60
        10.99.0.160
    }
}
vrrp_instance V3_V6 {
    version 3
    state BACKUP
    interface vwa0
    virtual_router_id 61
    priority 100
    advert_int 1
    virtual_ipaddress {
        fe80::61/64
        2001:db8::61/64
    }
}
vrrp_instance V2_UNICAST {
    state BACKUP
    interface vwa0
    virtual_router_id 70
    priority 100
    advert_int 1
    unicast_src_ip 10.99.0.1
    unicast_peer {
        10.99.0.2
    }
    virtual_ipaddress {
        10.99.0.70
    }
}
vrrp_instance V3_UNICAST {
    version 3
    state BACKUP
    interface vwa0
    virtual_router_id 71
    priority 100
    advert_int 1
    unicast_src_ip 10.99.0.1
    unicast_peer {
        10.99.0.2
    }
    virtual_ipaddress {
        10.99.0.71
    }
}
vrrp_instance V3_BAD {
    version 3
    state BACKUP
    interface vwa0
    virtual_router_id 62
    priority 100
    advert_int 1
    virtual_ipaddress {
        10.99.0.62
    }
}
vrrp_instance CONTROL {
    state BACKUP
    interface vwa0
    virtual_router_id 99
    priority 100
    advert_int 1
    virtual_ipaddress {
        10.99.0.99
    }
}
"#;

/// Sends every frame (hex, one per line) on the interface every 200 ms until killed.
const SENDER: &str = r#"
import socket, sys, time
frames = [bytes.fromhex(l.strip()) for l in open(sys.argv[2]) if l.strip()]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
while True:
    for f in frames:
        s.send(f)
    time.sleep(0.2)
"#;

fn fed_instances() -> Vec<(&'static str, Vec<u8>)> {
    let adv = |version, vrid, interval, auth, addrs| Advert {
        version,
        vrid,
        priority: 200,
        interval,
        auth,
        addrs,
    };
    let ll: Ipv6Addr = "fe80::5eff:fe10:2".parse().unwrap();
    let v6 = Addrs::V6(vec![
        "fe80::61".parse().unwrap(),
        "2001:db8::61".parse().unwrap(),
    ]);
    vec![
        (
            "V2_PASS",
            ipv4_frame(
                &adv(
                    Version::V2,
                    52,
                    1,
                    Auth::pass_from_str("secret12"),
                    v4(&["10.99.0.52", "10.99.0.152", "10.99.0.252"]),
                ),
                GROUP,
            ),
        ),
        (
            "V2_NOAUTH",
            ipv4_frame(
                &adv(Version::V2, 51, 1, Auth::None, v4(&["10.99.0.51"])),
                GROUP,
            ),
        ),
        (
            "V3_V4",
            ipv4_frame(
                &adv(
                    Version::V3,
                    60,
                    50,
                    Auth::None,
                    v4(&["10.99.0.60", "10.99.0.160"]),
                ),
                GROUP,
            ),
        ),
        (
            "V3_V6",
            ipv6_frame(
                &adv(Version::V3, 61, 100, Auth::None, v6),
                ll,
                "ff02::12".parse().unwrap(),
            ),
        ),
        (
            "V2_UNICAST",
            ipv4_frame(
                &adv(Version::V2, 70, 1, Auth::None, v4(&["10.99.0.70"])),
                KA_IP,
            ),
        ),
        (
            "V3_UNICAST",
            ipv4_frame(
                &adv(Version::V3, 71, 100, Auth::None, v4(&["10.99.0.71"])),
                KA_IP,
            ),
        ),
    ]
}

/// A v3 advert for VRID 62 with the checksum computed without the IPv4 pseudo-header.
fn bad_checksum_frame() -> Vec<u8> {
    let a = Advert {
        version: Version::V3,
        vrid: 62,
        priority: 200,
        interval: 100,
        auth: Auth::None,
        addrs: v4(&["10.99.0.62"]),
    };
    let mut f = ipv4_frame(&a, GROUP);
    let msg = a.to_vec(Checksum::V2).unwrap();
    f[34..].copy_from_slice(&msg);
    f
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn keepalived_accepts_our_adverts() {
    netns::require_root();
    for tool in ["keepalived", "python3"] {
        netns::require_tool(tool);
    }
    let pid = std::process::id();
    let dir = TempDir(std::env::temp_dir().join(format!("vwrx-{pid}")));
    let dir = &dir.0;
    std::fs::create_dir_all(dir).unwrap();
    // Declared before keepalived, so keepalived is stopped before the namespaces go.
    let (ka_ns, us_ns) = (Netns::new("vwrxa"), Netns::new("vwrxb"));
    for ns in [&ka_ns, &us_ns] {
        ns.sysctl(&[
            "net.ipv6.conf.all.accept_dad=0",
            "net.ipv6.conf.default.accept_dad=0",
        ]);
    }
    ka_ns.veth_to(
        "vwa0",
        "02:00:5e:10:00:01",
        &us_ns,
        "vwb0",
        "02:00:5e:10:00:02",
    );
    ka_ns.add_addr("vwa0", "10.99.0.1/24");
    us_ns.add_addr("vwb0", "10.99.0.2/24");

    let fed = fed_instances();
    let mut frames: String = fed.iter().map(|(_, f)| hex(f) + "\n").collect();
    frames.push_str(&(hex(&bad_checksum_frame()) + "\n"));
    std::fs::write(dir.join("frames.hex"), frames).unwrap();
    std::fs::write(dir.join("sender.py"), SENDER).unwrap();
    std::fs::write(dir.join("keepalived.conf"), CONFIG).unwrap();

    // Killed below, or with everything in its namespace when the test fails first.
    let mut sender = us_ns
        .command(&["python3"])
        .arg(dir.join("sender.py"))
        .arg("vwb0")
        .arg(dir.join("frames.hex"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the frame sender");
    std::thread::sleep(Duration::from_millis(500));

    let log = dir.join("keepalived.log");
    let files = keepalived::Files {
        conf: dir.join("keepalived.conf"),
        pid: dir.join("keepalived.pid"),
        vrrp_pid: dir.join("vrrp.pid"),
    };
    let mut ka = Keepalived::start(
        Some(&ka_ns.name),
        &files,
        &[],
        std::fs::File::create(&log).unwrap().into(),
        std::fs::File::create(dir.join("keepalived.err"))
            .unwrap()
            .into(),
    );
    // Master-down interval is ~3.6 s (advert_int 1, priority 100); wait two of them.
    std::thread::sleep(Duration::from_secs(8));
    // keepalived's console log is block-buffered into the file: read it after it exits.
    ka.stop();
    let _ = sender.kill();
    let _ = sender.wait();
    let text = read_log(&log) + &read_log(&dir.join("keepalived.err"));

    let mut failures = Vec::new();
    for (name, _) in &fed {
        if text.contains(&format!("({name}) Entering MASTER STATE")) {
            failures.push(format!(
                "{name}: keepalived became MASTER, so it rejected our adverts"
            ));
        }
        if !text.contains(&format!("({name}) Entering BACKUP STATE")) {
            failures.push(format!("{name}: no BACKUP state logged"));
        }
    }
    if !text.contains("(V3_BAD) Invalid VRRPv3 checksum")
        || !text.contains("(V3_BAD) Entering MASTER STATE")
    {
        failures.push("V3_BAD: keepalived did not reject a checksum without pseudo-header".into());
    }
    if !text.contains("(CONTROL) Entering MASTER STATE") {
        failures.push("CONTROL never became MASTER: the test did not wait long enough".into());
    }
    for bad in [
        "checksum",
        "Invalid",
        "invalid",
        "wrong",
        "mismatch",
        "unexpected",
        "not present",
    ] {
        for line in text
            .lines()
            .filter(|l| l.contains(bad) && !l.contains("(V3_BAD)"))
        {
            failures.push(format!("keepalived complained: {line}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n--- keepalived log ---\n{text}",
        failures.join("\n")
    );
}

fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
