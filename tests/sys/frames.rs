//! AF_PACKET frame sending between two namespaces (root required).
//!
//! docs/keepalived-compat.md#gratuitous-arp-and-unsolicited-na: gratuitous ARPs go out through a packet socket; the peer must
//! see exactly the bytes the codec built.

use crate::common;

use std::sync::mpsc;
use std::time::Duration;

use common::{capture, garp_frame, join, next_frame, veth_pair};
use vrrpd::sys::frames::FrameSender;
use vrrpd::sys::SysError;

const ETH_P_ARP: u16 = 0x0806;
const VIP: [u8; 4] = [10, 99, 0, 100];

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn garp_sent_in_a_is_captured_in_b_byte_for_byte() {
    let (a, b) = veth_pair("ga", "10.99.0.1/24", "10.99.0.2/24");
    let a_idx = a.ifindex("eth0");
    let frame = garp_frame(a.mac("eth0"), VIP);
    let (ready_tx, ready_rx) = mpsc::channel();

    let catcher = b.spawn(move || async move {
        let sock = capture(ETH_P_ARP, Duration::from_secs(3));
        ready_tx.send(()).unwrap();
        // Two frames: the second goes through the cached channel.
        let is_garp = |f: &[u8]| f.get(28..32) == Some(&VIP[..]);
        [next_frame(&sock, is_garp), next_frame(&sock, is_garp)]
    });

    let sent = frame.clone();
    a.run(move || async move {
        ready_rx.recv().unwrap();
        let mut tx = FrameSender::new();
        tx.send(a_idx, &sent).unwrap();
        tx.send(a_idx, &sent).unwrap();
    });

    let got = join(catcher);
    assert_eq!(got[0], frame, "first GARP differs");
    assert_eq!(got[1], frame, "second GARP (cached channel) differs");
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn sending_on_a_missing_interface_names_it() {
    let (a, _b) = veth_pair("gm", "10.99.0.1/24", "10.99.0.2/24");
    let err = a.run(|| async { FrameSender::new().send(4242, &[0u8; 42]).unwrap_err() });
    assert!(matches!(err, SysError::NoSuchInterface { .. }), "{err:?}");
    assert_eq!(err.to_string(), "interface index 4242 does not exist");
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn a_full_transmit_queue_drops_the_frame_instead_of_waiting() {
    // The runtime has one thread: a GARP that waits for room in a saturated link's queue
    // holds up every advert behind it. A shaper at 8 kbit/s with a deep queue keeps the
    // frames (and the socket's send-buffer memory) queued, so the buffer fills.
    let (a, _b) = veth_pair("gq", "10.99.0.1/24", "10.99.0.2/24");
    common::sysns::run(
        "ip",
        &[
            "netns",
            "exec",
            &a.name,
            "tc",
            "qdisc",
            "add",
            "dev",
            "eth0",
            "root",
            "tbf",
            "rate",
            "8kbit",
            "burst",
            "1600",
            "limit",
            "100000000",
        ],
    );
    let a_idx = a.ifindex("eth0");
    let frame = garp_frame(a.mac("eth0"), VIP);
    let (slowest, dropped, sent_after_drop) = a.run(move || async move {
        let mut tx = FrameSender::new();
        let mut slowest = Duration::ZERO;
        let mut dropped = 0u32;
        let mut sent_after_drop = false;
        for _ in 0..5_000 {
            let t = std::time::Instant::now();
            let r = tx.send(a_idx, &frame);
            slowest = slowest.max(t.elapsed());
            match r {
                Ok(()) if dropped > 0 => sent_after_drop = true,
                Ok(()) => {}
                Err(SysError::FrameDropped { ifname }) => {
                    assert_eq!(ifname, "eth0");
                    dropped += 1;
                }
                Err(e) => panic!("unexpected send error: {e}"),
            }
            if dropped >= 10 {
                break;
            }
        }
        (slowest, dropped, sent_after_drop)
    });
    assert!(dropped >= 10, "the send buffer never filled");
    assert!(!sent_after_drop, "the queue drained at 8 kbit/s?");
    // Before: each send on the full buffer waited a second for room, then failed.
    assert!(
        slowest < Duration::from_millis(500),
        "a send waited {slowest:?}"
    );
}
