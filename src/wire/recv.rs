//! What a raw VRRP socket delivers, split into the IP envelope and the VRRP message
//! (docs/keepalived-compat.md#sockets, docs/keepalived-compat.md#receive-checks checks 1 and the IPv4 header).
//!
//! The daemon's receive sockets (`sys::vrrp_socket`) only read bytes: a raw IPv4 socket hands
//! over the whole datagram, header included; a raw IPv6 socket hands over the VRRP message,
//! with the addresses and hop limit in ancillary data. The core calls
//! [`parse_ipv4_datagram`] to find the VRID an IPv4 datagram is for, then runs
//! `validate::check_ipv4` / `check_ipv6` (which start here) for that instance.

use std::net::{IpAddr, Ipv6Addr};

use super::consts::{PROTO_AH, PROTO_VRRP};
use super::ip::{Ipv4Packet, HEADER_LEN as IPV4_HEADER_LEN};
use super::types::Error;
use super::validate::Envelope;

/// Length of the IPsec AH header keepalived puts between IP and VRRP (docs/keepalived-compat.md#ipsec-ah).
pub use super::ah::AH_LEN;
/// The fixed VRRP header (RFC 3768 §5.1, RFC 5798 §5.1): check 1 needs this much.
const VRRP_HEADER_LEN: usize = 8;

/// A received datagram split at the VRRP message. Built only by the parse functions, so the
/// message always holds at least the 8-byte VRRP header unless an AH header ate it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Datagram<'a> {
    /// Addresses, TTL / hop limit, the bytes in front of the message and the IPv4 total
    /// length, as the message-level checks want them.
    pub envelope: Envelope,
    /// [`PROTO_VRRP`], or [`PROTO_AH`] when an AH header precedes the message.
    pub protocol: u8,
    /// The VRRP message: everything after the IP (and AH) header as received.
    pub message: &'a [u8],
}

impl Datagram<'_> {
    /// The VRID the datagram is for (byte 1 of the VRRP header), when present.
    pub fn vrid(&self) -> Option<u8> {
        self.message.get(1).copied()
    }

    /// An AH header sits between the IP header and the message (check 2).
    pub fn has_ah(&self) -> bool {
        self.protocol == PROTO_AH
    }
}

/// Splits what a raw IPv4 socket delivered (header included). Runs keepalived's check 1
/// (room for an IP header and the VRRP header) and reads the IP header:
///
/// * shorter than 20 + 8 bytes, or than the header length + 8: [`Error::TooShort`];
/// * not version 4, header length under 20, or a protocol other than VRRP or AH:
///   [`Error::BadIpHeader`];
/// * a header length beyond the received length: [`Error::IpHeaderLength`], charged to the
///   VRID found where a 20-byte header would put it (keepalived always sends IHL 5, docs/keepalived-compat.md#advert-packet-layout).
///
/// The kernel drops most of these before a raw socket sees them; they are reported, not
/// assumed away. The total length is compared later (check 10, `validate::check_message`).
pub fn parse_ipv4_datagram(packet: &[u8]) -> Result<Datagram<'_>, Error> {
    let len = packet.len();
    if len < IPV4_HEADER_LEN + VRRP_HEADER_LEN {
        return Err(Error::TooShort { len });
    }
    let ip = Ipv4Packet::new_unchecked(packet);
    let hlen = ip.header_len();
    if ip.version() != 4 || hlen < IPV4_HEADER_LEN {
        return Err(Error::BadIpHeader);
    }
    if hlen > len {
        return Err(Error::IpHeaderLength {
            vrid: packet.get(IPV4_HEADER_LEN + 1).copied().unwrap_or(0),
            header_len: hlen,
            len,
        });
    }
    if len < hlen + VRRP_HEADER_LEN {
        return Err(Error::TooShort { len });
    }
    let protocol = ip.protocol();
    let offset = match protocol {
        PROTO_VRRP => hlen,
        PROTO_AH => hlen + AH_LEN,
        _ => return Err(Error::BadIpHeader),
    };
    // keepalived also wants the whole AH header and the VRRP header behind it
    // ("IPv4 VRRP packet with AH too short").
    if len < offset + VRRP_HEADER_LEN {
        return Err(Error::TooShort { len });
    }
    Ok(Datagram {
        envelope: Envelope {
            src: IpAddr::V4(ip.src()),
            dst: IpAddr::V4(ip.dst()),
            ttl: ip.ttl(),
            header_len: offset,
            total_len: Some(usize::from(ip.total_len())),
        },
        protocol,
        message: packet.get(offset..).unwrap_or(&[]),
    })
}

/// Wraps what a raw IPv6 socket delivered: the VRRP message, with `src`, `dst` and
/// `hop_limit` from ancillary data (`IPV6_PKTINFO`, `IPV6_HOPLIMIT`). Runs check 1 (room for
/// the VRRP header). There is no AH over IPv6 and no total length to compare.
pub fn parse_ipv6_datagram(
    message: &[u8],
    src: Ipv6Addr,
    dst: Ipv6Addr,
    hop_limit: u8,
) -> Result<Datagram<'_>, Error> {
    let len = message.len();
    if len < VRRP_HEADER_LEN {
        return Err(Error::TooShort { len });
    }
    Ok(Datagram {
        envelope: Envelope {
            src: IpAddr::V6(src),
            dst: IpAddr::V6(dst),
            ttl: hop_limit,
            header_len: 0,
            total_len: None,
        },
        protocol: PROTO_VRRP,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Ipv4Repr, GROUP_V4, GROUP_V6};
    use std::net::Ipv4Addr;

    const SRC: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 2);
    /// A v2 advert for VRID 51 with one VIP and no authentication.
    const MSG: [u8; 20] = [
        0x21, 51, 100, 1, 0, 1, 0, 0, 10, 99, 0, 51, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    fn packet() -> Vec<u8> {
        let ip = Ipv4Repr::vrrp(SRC, GROUP_V4, 255, 1, 0);
        crate::wire::emit_ipv4_datagram(&ip, &MSG).unwrap()
    }

    #[test]
    fn splits_header_and_message() {
        let p = packet();
        let d = parse_ipv4_datagram(&p).unwrap();
        assert_eq!(d.message, &MSG);
        assert_eq!((d.vrid(), d.has_ah(), d.protocol), (Some(51), false, 112));
        assert_eq!(d.envelope.src, IpAddr::V4(SRC));
        assert_eq!(d.envelope.dst, IpAddr::V4(GROUP_V4));
        assert_eq!(
            (d.envelope.ttl, d.envelope.header_len, d.envelope.total_len),
            (255, 20, Some(40))
        );
    }

    #[test]
    fn header_length_beyond_the_datagram_is_charged_to_the_usual_vrid() {
        let mut p = packet();
        p[0] = 0x4f; // 60-byte header in a 40-byte datagram
        assert_eq!(
            parse_ipv4_datagram(&p),
            Err(Error::IpHeaderLength {
                vrid: 51,
                header_len: 60,
                len: 40
            })
        );
    }

    #[test]
    fn parse_rejects_garbage_without_panicking() {
        assert_eq!(parse_ipv4_datagram(&[]), Err(Error::TooShort { len: 0 }));
        assert_eq!(
            parse_ipv4_datagram(&[0x45; 10]),
            Err(Error::TooShort { len: 10 })
        );
        assert_eq!(
            parse_ipv4_datagram(&[0x60; 40]),
            Err(Error::BadIpHeader),
            "not IPv4"
        );
        let mut p = packet();
        p[0] = 0x44; // IHL 4
        assert_eq!(parse_ipv4_datagram(&p), Err(Error::BadIpHeader));
        let mut p = packet();
        p[9] = 17; // UDP on a VRRP socket
        assert_eq!(parse_ipv4_datagram(&p), Err(Error::BadIpHeader));
        let mut p = packet();
        p[3] = 30; // total length 30 of 40 received: left for check 10
        let d = parse_ipv4_datagram(&p).unwrap();
        assert_eq!((d.envelope.total_len, d.message.len()), (Some(30), 20));
    }

    #[test]
    fn garbage_never_panics() {
        for len in 0..48 {
            let p = vec![0x4f; len];
            let _ = parse_ipv4_datagram(&p);
            let _ = parse_ipv6_datagram(&p, Ipv6Addr::LOCALHOST, GROUP_V6, 255);
        }
        assert_eq!(
            parse_ipv6_datagram(&MSG[..7], Ipv6Addr::LOCALHOST, GROUP_V6, 255),
            Err(Error::TooShort { len: 7 })
        );
    }
}
