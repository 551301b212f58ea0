//! The raw VRRP sockets against a real keepalived 2.2.7 (root and keepalived required).
//!
//! keepalived runs as the address owner in namespace A; in namespace B our receive socket
//! must get its adverts with keepalived's header (docs/keepalived-compat.md#advert-packet-layout), and an advert from our send socket
//! must pass keepalived's receive checks (docs/keepalived-compat.md#receive-checks), which it proves by logging the election line
//! of docs/keepalived-compat.md#log-lines #7 for it.

use crate::common;

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use common::frames::v4;
use common::keepalived::{self, Keepalived};
use common::{capture, join, next_frame, veth_pair, within};
use vrrpd::sys::vrrp_socket::{Listen, RecvSocket, SendSocket};
use vrrpd::wire::{
    emit_ipv4_datagram, Advert, Auth, Checksum, IpId, Ipv4Repr, Version, ADVERT_TTL as VRRP_TTL,
    GROUP_V4 as VRRP_GROUP_V4,
};

const CONFIG: &str = "\
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 255
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass secret12
    }
    virtual_ipaddress {
        10.99.0.100/24
    }
}
";

/// keepalived (`common::keepalived`, with `-P`: VRRP only) in namespace `ns`, its stderr read
/// line by line into the returned channel; its temp dir is removed when it is dropped.
struct Running {
    keepalived: Keepalived,
    dir: std::path::PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.keepalived.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start_keepalived(ns: &str) -> (Running, mpsc::Receiver<String>) {
    let dir = std::env::temp_dir().join(format!("{ns}-keepalived"));
    std::fs::create_dir_all(&dir).unwrap();
    let files = keepalived::Files {
        conf: dir.join("keepalived.conf"),
        pid: dir.join("keepalived.pid"),
        vrrp_pid: dir.join("vrrp.pid"),
    };
    std::fs::write(&files.conf, CONFIG).unwrap();
    let mut ka = Keepalived::start(Some(ns), &files, &["-P"], Stdio::null(), Stdio::piped());
    let stderr = ka.child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (
        Running {
            keepalived: ka,
            dir,
        },
        rx,
    )
}

/// Waits for a log line containing `needle`; panics with everything seen on timeout.
fn wait_log(rx: &mpsc::Receiver<String>, needle: &str, secs: u64) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return line,
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    panic!(
        "keepalived never logged {needle:?}; it logged:\n{}",
        seen.join("\n")
    );
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn adverts_interoperate_with_keepalived_in_both_directions() {
    let (a, b) = veth_pair("ka", "10.99.0.1/24", "10.99.0.2/24");
    let b_idx = b.ifindex("eth0");
    let (ready_tx, ready_rx) = mpsc::channel();

    // B listens before keepalived starts, so its very first advert is seen.
    let listener = b.spawn(move || async move {
        let sock =
            RecvSocket::open("eth0", b_idx, Listen::Multicast(VRRP_GROUP_V4.into()), 112).unwrap();
        let wire = capture(0x0800, Duration::from_secs(5));
        ready_tx.send(()).unwrap();
        let got = within(5, "keepalived's advert", sock.recv()).await.unwrap();
        let frame = next_frame(&wire, |f| f.get(23) == Some(&112));
        (got, frame)
    });
    ready_rx.recv().unwrap();
    let (_keepalived, log) = start_keepalived(&a.name);
    wait_log(&log, "(VI_1) Entering MASTER STATE", 5);

    let (got, frame) = join(listener);
    let got_ifindex = got.ifindex();
    let got = got.datagram().unwrap();
    assert_eq!(got.envelope.src, IpAddr::V4(Ipv4Addr::new(10, 99, 0, 1)));
    assert_eq!(got.envelope.dst, IpAddr::V4(VRRP_GROUP_V4));
    assert_eq!(
        (got.envelope.ttl, got.protocol, got_ifindex),
        (255, 112, b_idx)
    );
    assert_eq!(
        &got.message[..6],
        &[0x21, 51, 255, 1, 1, 1],
        "v2, vrid 51, prio 255, 1 VIP, PASS, 1 s"
    );
    assert_eq!(&got.message[8..12], &[10, 99, 0, 100]);
    assert_eq!(&got.message[12..20], b"secret12");

    // keepalived's header on the wire is the one our send socket builds (ID and checksum
    // aside): 0x45, TOS 0xC0, flags/fragment 0, TTL 255, protocol 112.
    let ip = &frame[14..];
    assert_eq!(&ip[..2], &[0x45, 0xc0]);
    assert_eq!(&ip[6..10], &[0, 0, 255, 112]);
    let ours = emit_ipv4_datagram(
        &Ipv4Repr::vrrp(
            Ipv4Addr::new(10, 99, 0, 1),
            VRRP_GROUP_V4,
            255,
            u16::from_be_bytes([ip[4], ip[5]]),
            0,
        ),
        got.message,
    )
    .unwrap();
    assert_eq!(&ip[..ours.len()], &ours[..], "byte-identical datagram");

    // Now our advert, priority 254, from B: keepalived (255) must accept it and answer with
    // the election line, which it only logs for adverts that passed every check.
    let advert = Advert {
        version: Version::V2,
        vrid: 51,
        priority: 254,
        interval: 1,
        auth: Auth::Pass(*b"secret12"),
        addrs: v4(&["10.99.0.100"]),
    }
    .to_vec(Checksum::V2)
    .unwrap();
    assert_eq!(
        &advert[..6],
        &[0x21, 51, 254, 1, 1, 1],
        "v2, vrid 51, prio 254, 1 VIP, PASS, 1 s"
    );
    b.run(move || async move {
        let tx = SendSocket::open_v4("eth0", b_idx).unwrap();
        let mut ids = IpId::new();
        let h = Ipv4Repr::vrrp(
            Ipv4Addr::new(10, 99, 0, 2),
            VRRP_GROUP_V4,
            VRRP_TTL,
            ids.next_id(),
            0,
        );
        tx.send_v4(&h, &advert).await.unwrap();
    });
    wait_log(
        &log,
        "(VI_1) Received advert from 10.99.0.2 with lower priority 254, ours 255, forcing new election",
        5,
    );
}
