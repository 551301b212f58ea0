//! The protocol numbers and fixed values of VRRP on the wire, defined once for the codec, the
//! core and the sockets (docs/keepalived-compat.md#advert-packet-layout).

use std::net::{Ipv4Addr, Ipv6Addr};

/// IP protocol number of VRRP (RFC 3768 §5.2.4, RFC 5798 §5.1.1.4).
pub const PROTO_VRRP: u8 = 112;

/// IP protocol number of IPsec AH, carried in front of VRRP by keepalived's
/// `auth_type AH` (RFC 3768 §5.3.6.2, docs/keepalived-compat.md#advert-packet-layout).
pub const PROTO_AH: u8 = 51;

/// IPv4 TOS / IPv6 traffic class of every advert keepalived sends: precedence 6,
/// "internetwork control" (DSCP CS6) (docs/keepalived-compat.md#advert-packet-layout).
pub const ADVERT_TOS: u8 = 0xc0;

/// TTL / hop limit of every multicast advert, and the only one a receiver accepts on a
/// multicast advert (RFC 3768 §5.2.3 and §7.1, RFC 5798 §5.1.1.3 and §7.1). Also the default
/// `unicast_ttl`.
pub const ADVERT_TTL: u8 = 255;

/// The IPv4 VRRP group 224.0.0.18 (RFC 3768 §5.2.2, RFC 5798 §5.1.1.2), keepalived's default
/// `vrrp_mcast_group4`.
pub const GROUP_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);

/// The IPv6 VRRP group ff02::12 (RFC 5798 §5.1.2.2), keepalived's default
/// `vrrp_mcast_group6`.
pub const GROUP_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
