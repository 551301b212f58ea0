//! Raw VRRP sockets between two network namespaces on a veth pair (root required).
//!
//! These are the daemon's production sockets: `SendSocket::send_v4` puts
//! `wire::emit_ipv4_datagram`'s datagram on the wire, `RecvSocket::recv` hands over what the
//! kernel delivered, split here by `wire::parse_ipv4_datagram` as the core does.
//!
//! docs/keepalived-compat.md#advert-packet-layout (header keepalived builds), docs/keepalived-compat.md#sockets (socket options: multicast
//! join, bound receive socket, loop off), docs/keepalived-compat.md#unicast-mode (unicast mode).

use crate::common;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::mpsc;
use std::time::Duration;

use common::frames::checksum;
use common::{capture, join, next_frame, veth_pair, within};
use vrrpd::sys::vrrp_socket::{Listen, RecvSocket, SendSocket};
use vrrpd::sys::SysError;
use vrrpd::wire::{IpId, Ipv4Repr, ADVERT_TTL as VRRP_TTL, GROUP_V4 as VRRP_GROUP_V4};

/// keepalived's v2 advert, two VIPs, PASS "secret12" (docs/keepalived-compat.md#advert-packet-layout capture).
const ADVERT: [u8; 24] = [
    0x21, 0x33, 0xa0, 0x02, 0x01, 0x01, 0xba, 0xbb, 10, 99, 0, 100, 10, 99, 0, 101, b's', b'e',
    b'c', b'r', b'e', b't', b'1', b'2',
];

const A: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 1);
const B: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 2);

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn multicast_advert_reaches_the_peer_with_ttl_255_and_not_ourselves() {
    let (a, b) = veth_pair("mc", "10.99.0.1/24", "10.99.0.2/24");
    let (a_idx, b_idx) = (a.ifindex("eth0"), b.ifindex("eth0"));
    let (ready_tx, ready_rx) = mpsc::channel();

    let receiver = b.spawn(move || async move {
        let sock =
            RecvSocket::open("eth0", b_idx, Listen::Multicast(VRRP_GROUP_V4.into()), 112).unwrap();
        let wire = capture(0x0800, Duration::from_secs(3));
        ready_tx.send(()).unwrap();
        let got = within(3, "the advert in ns B", sock.recv()).await.unwrap();
        let frame = next_frame(&wire, |f| f.get(23) == Some(&112));
        (got, frame)
    });

    let own_copy = a.run(move || async move {
        // Our own receive socket on the same interface must not see our advert (loop off).
        let own =
            RecvSocket::open("eth0", a_idx, Listen::Multicast(VRRP_GROUP_V4.into()), 112).unwrap();
        let tx = SendSocket::open_v4("eth0", a_idx).unwrap();
        ready_rx.recv().unwrap();
        let mut ids = IpId::new();
        let h = Ipv4Repr::vrrp(A, VRRP_GROUP_V4, VRRP_TTL, ids.next_id(), 0);
        tx.send_v4(&h, &ADVERT).await.unwrap();
        tokio::time::timeout(Duration::from_millis(500), own.recv())
            .await
            .ok()
    });

    let (got, frame) = join(receiver);
    // On the wire, exactly keepalived's header (docs/keepalived-compat.md#advert-packet-layout): multicast MAC, TOS 0xC0, ID 1, DF
    // clear, TTL 255, protocol 112, valid header checksum.
    assert_eq!(&frame[..6], &[0x01, 0x00, 0x5e, 0x00, 0x00, 0x12]);
    assert_eq!(&frame[6..12], &a.mac("eth0"));
    let ip = &frame[14..];
    assert_eq!(&ip[..10], &[0x45, 0xc0, 0, 44, 0, 1, 0, 0, 255, 112]);
    assert_eq!(&ip[12..20], &[10, 99, 0, 1, 224, 0, 0, 18]);
    assert_eq!(checksum(&ip[..20]), 0, "IPv4 header checksum");
    assert_eq!(&ip[20..44], &ADVERT);

    assert_eq!(got.ifindex(), b_idx);
    let got = got.datagram().unwrap();
    assert_eq!(got.envelope.src, IpAddr::V4(A));
    assert_eq!(got.envelope.dst, IpAddr::V4(VRRP_GROUP_V4));
    assert_eq!(got.envelope.ttl, 255);
    assert_eq!(got.protocol, 112);
    assert_eq!(got.message, ADVERT, "VRRP bytes arrive unchanged");
    assert!(
        own_copy.is_none(),
        "IP_MULTICAST_LOOP must be off: ns A received its own advert {own_copy:?}"
    );
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn unicast_advert_uses_the_configured_ttl_and_skips_the_multicast_socket() {
    let (a, b) = veth_pair("uc", "10.99.0.1/24", "10.99.0.2/24");
    let (a_idx, b_idx) = (a.ifindex("eth0"), b.ifindex("eth0"));
    let (ready_tx, ready_rx) = mpsc::channel();

    let receiver = b.spawn(move || async move {
        let uc = RecvSocket::open("eth0", b_idx, Listen::Unicast(B.into()), 112).unwrap();
        let mc =
            RecvSocket::open("eth0", b_idx, Listen::Multicast(VRRP_GROUP_V4.into()), 112).unwrap();
        ready_tx.send(()).unwrap();
        let got = within(3, "the unicast advert in ns B", uc.recv())
            .await
            .unwrap();
        // The multicast socket is bound to the group: a unicast advert is not for it.
        let stray = tokio::time::timeout(Duration::from_millis(300), mc.recv())
            .await
            .ok();
        let stray = stray.map(|r| r.map(|r| r.datagram().map(|d| d.envelope.dst)));
        (got, stray)
    });

    a.run(move || async move {
        let tx = SendSocket::open_v4("eth0", a_idx).unwrap();
        ready_rx.recv().unwrap();
        let h = Ipv4Repr::vrrp(A, B, 64, 7, 0); // unicast_ttl 64
        tx.send_v4(&h, &ADVERT).await.unwrap();
    });

    let (got, stray) = join(receiver);
    let got = got.datagram().unwrap();
    assert_eq!(
        (got.envelope.src, got.envelope.dst),
        (IpAddr::V4(A), IpAddr::V4(B))
    );
    assert_eq!(got.envelope.ttl, 64, "unicast_ttl is honoured");
    assert_eq!(got.message, ADVERT);
    assert!(
        stray.is_none(),
        "multicast socket saw a unicast advert: {stray:?}"
    );
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn binding_to_a_non_local_unicast_source_fails_with_a_sentence() {
    let (a, _b) = veth_pair("nl", "10.99.0.1/24", "10.99.0.2/24");
    let a_idx = a.ifindex("eth0");
    let err = a.run(move || async move {
        RecvSocket::open(
            "eth0",
            a_idx,
            Listen::Unicast(Ipv4Addr::new(10, 99, 0, 9).into()),
            112,
        )
        .unwrap_err()
    });
    assert!(matches!(err, SysError::Os { .. }), "{err:?}");
    assert_eq!(err.errno(), Some(libc::EADDRNOTAVAIL));
    let text = err.to_string();
    assert!(
        text.starts_with("cannot bind the VRRP receive socket to 10.99.0.9 on eth0: "),
        "{text}"
    );
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn try_recv_drains_without_waiting() {
    let (a, b) = veth_pair("dr", "10.99.0.1/24", "10.99.0.2/24");
    let (a_idx, b_idx) = (a.ifindex("eth0"), b.ifindex("eth0"));
    let (ready_tx, ready_rx) = mpsc::channel();
    let (sent_tx, sent_rx) = mpsc::channel();

    let receiver = b.spawn(move || async move {
        let sock =
            RecvSocket::open("eth0", b_idx, Listen::Multicast(VRRP_GROUP_V4.into()), 112).unwrap();
        assert!(sock.try_recv().unwrap().is_none(), "nothing queued yet");
        ready_tx.send(()).unwrap();
        sent_rx.recv().unwrap();
        let first = within(3, "the first advert", sock.recv()).await.unwrap();
        // Let the rest of the burst land, then drain it without blocking.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let vrid = |r: &vrrpd::sys::vrrp_socket::Delivered| r.datagram().unwrap().message[1];
        let mut ids = vec![vrid(&first)];
        while let Some(r) = sock.try_recv().unwrap() {
            ids.push(vrid(&r));
        }
        ids
    });

    a.run(move || async move {
        let tx = SendSocket::open_v4("eth0", a_idx).unwrap();
        ready_rx.recv().unwrap();
        let mut ids = IpId::new();
        for vrid in 1..=3u8 {
            let mut advert = ADVERT;
            advert[1] = vrid;
            let h = Ipv4Repr::vrrp(A, VRRP_GROUP_V4, VRRP_TTL, ids.next_id(), 0);
            tx.send_v4(&h, &advert).await.unwrap();
        }
        sent_tx.send(()).unwrap();
    });

    assert_eq!(join(receiver), vec![1, 2, 3]);
}
