//! The one place tests build packets and frames by hand. What the production codec can build
//! it builds: VRRP messages come from `Advert::to_vec`, IPv4 datagrams from
//! `emit_ipv4_datagram` (the header the daemon's send socket writes). Only what the daemon never
//! builds itself is written here byte by byte: the Ethernet header, the IPv6 header (the kernel
//! writes it), keepalived's gratuitous ARP as a reference, and the Internet checksum.
#![allow(dead_code)]

use std::net::{Ipv4Addr, Ipv6Addr};

use vrrpd::wire::{emit_ipv4_datagram, Addrs, Advert, Checksum, Ipv4Repr};

/// An IPv4 address list from dotted strings.
pub fn v4(list: &[&str]) -> Addrs {
    Addrs::V4(list.iter().map(|a| a.parse().unwrap()).collect())
}

/// An Ethernet II frame.
pub fn ethernet(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + payload.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// The Ethernet destination of an IPv4 packet to `dst`: the multicast MAC of a group, else
/// `unicast` (the peer's MAC).
pub fn ipv4_dst_mac(dst: Ipv4Addr, unicast: [u8; 6]) -> [u8; 6] {
    if dst.is_multicast() {
        let o = dst.octets();
        [0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]]
    } else {
        unicast
    }
}

/// The datagram the daemon sends: the core's message (`Advert::to_vec`, checksum for the
/// version and addresses) behind the header the IPv4 send socket builds
/// (`emit_ipv4_datagram`: TTL 255, IP ID `ident`).
pub fn ipv4_datagram(a: &Advert, src: Ipv4Addr, dst: Ipv4Addr, ident: u16) -> Vec<u8> {
    let msg = a.to_vec(Checksum::ipv4(a.version, src, dst)).unwrap();
    emit_ipv4_datagram(&Ipv4Repr::vrrp(src, dst, 255, ident, 0), &msg).unwrap()
}

/// [`ipv4_datagram`] in an Ethernet frame from `src_mac` (to the group's MAC, or to `peer_mac`
/// when `dst` is unicast).
pub fn ipv4_frame(
    a: &Advert,
    (src_mac, peer_mac): ([u8; 6], [u8; 6]),
    src: Ipv4Addr,
    dst: Ipv4Addr,
    ident: u16,
) -> Vec<u8> {
    let buf = ipv4_datagram(a, src, dst, ident);
    ethernet(ipv4_dst_mac(dst, peer_mac), src_mac, 0x0800, &buf)
}

/// A VRRPv3 advert over IPv6 in an Ethernet frame from `src_mac` to `dst`'s multicast MAC:
/// traffic class 0xc0, next header 112, hop limit 255.
pub fn ipv6_frame(a: &Advert, src_mac: [u8; 6], src: Ipv6Addr, dst: Ipv6Addr) -> Vec<u8> {
    let msg = a.to_vec(Checksum::V3Ipv6 { src, dst }).unwrap();
    let mut ip = Vec::with_capacity(40 + msg.len());
    ip.extend_from_slice(&0x6c00_0000u32.to_be_bytes()); // traffic class 0xc0
    ip.extend_from_slice(&u16::try_from(msg.len()).unwrap().to_be_bytes());
    ip.push(112);
    ip.push(255);
    ip.extend_from_slice(&src.octets());
    ip.extend_from_slice(&dst.octets());
    ip.extend_from_slice(&msg);
    let o = dst.octets();
    ethernet(
        [0x33, 0x33, o[12], o[13], o[14], o[15]],
        src_mac,
        0x86dd,
        &ip,
    )
}

/// A gratuitous ARP exactly as keepalived sends it
/// (docs/keepalived-compat.md#gratuitous-arp-and-unsolicited-na), written independently of the
/// daemon's builder in `wire::garp` so tests can compare the two.
pub fn garp_frame(mac: [u8; 6], vip: [u8; 4]) -> Vec<u8> {
    let mut arp = Vec::with_capacity(28);
    arp.extend_from_slice(&[0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]); // Ethernet/IPv4, request
    arp.extend_from_slice(&mac); // sender HW
    arp.extend_from_slice(&vip); // sender IP
    arp.extend_from_slice(&[0xff; 6]); // target HW
    arp.extend_from_slice(&vip); // target IP
    ethernet([0xff; 6], mac, 0x0806, &arp)
}

/// The Internet checksum (RFC 1071) of `bytes`; 0 over a header that carries a good one.
pub fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}
