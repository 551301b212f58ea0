//! VRRP wire formats: VRRPv2 (RFC 3768) and VRRPv3 (RFC 5798) adverts for IPv4 and IPv6, a
//! small IPv4 header view, and gratuitous ARP / unsolicited NA frame builders.
//!
//! Contract (smoltcp style): after a length check no accessor panics; `parse` never panics on
//! any input; `emit` never panics on a buffer of exactly `buffer_len()` bytes. std only.
//!
//! API shared with `proto` (keep these names stable):
//! * [`Advert`] the typed advert, [`Version`], [`Auth`], [`Addrs`].
//! * [`Error`] one variant per RFC 6527 / keepalived counter, carrying the VRID when readable.
//!
//! The daemon sends and receives through this module only: the sockets in `sys::vrrp_socket`
//! move bytes, [`emit_ipv4_datagram`] builds every IPv4 datagram sent (around the message the
//! core encodes with `Advert::to_vec`), and the core runs [`check_ipv4`] / [`check_ipv6`] on
//! every datagram received. Protocol numbers, TOS, TTL and groups are defined once, in
//! `consts.rs`.
//!
//! Files, one concern each:
//! * `ah.rs`: the IPsec AH header of `auth_type AH` (RFC 2402, HMAC-MD5-96): [`ah::seal`],
//!   [`ah::verify`], keepalived's sequence counter [`ah::SeqCounter`].
//! * `consts.rs`: protocol 112 and 51, TOS 0xC0, TTL 255, the groups 224.0.0.18 / ff02::12.
//! * `checksum.rs`: RFC 1071 sums and the IPv4/IPv6 pseudo-headers.
//! * `vrrp.rs`: [`VrrpPacket`] view, `Advert::{parse, buffer_len, emit}`, checksum modes,
//!   `Auth::{pass_from_str, pass_matches}`, `Display` for adverts.
//! * `ip.rs`: [`Ipv4Packet`] view and [`Ipv4Repr`] for `IP_HDRINCL` headers, keepalived's
//!   [`IpId`] counter.
//! * `send.rs`: whole IPv4 datagrams as keepalived sends them ([`emit_ipv4_datagram`],
//!   [`emit_ipv4_advert`]).
//! * `recv.rs`: what a raw socket delivered, split into envelope and message
//!   ([`parse_ipv4_datagram`], [`parse_ipv6_datagram`]; check 1 and the IPv4 header).
//! * `validate.rs`: keepalived's receive checks in its order ([`check_ipv4`], [`check_ipv6`],
//!   the message-level [`check_message`] for inputs that carry a bare message, then
//!   [`check_vips`], [`check_unicast_peer`], [`check_ttl_range`]).
//! * `garp.rs`: gratuitous ARP and unsolicited NA frames.
//!
//! Byte-exactness against keepalived 2.2.7 is tested with captures in
//! `tests/fixtures/keepalived` (`tests/wire/fixtures.rs`), and Wireshark's opinion of our
//! output in `tests/wire/tshark.rs`.

pub mod ah;
pub mod checksum;
pub mod consts;
pub mod garp;
pub mod ip;
pub mod recv;
pub mod send;
mod types;
pub mod validate;
pub mod vrrp;

pub use ah::{AhKey, AhReject, SeqCounter};
pub use consts::{ADVERT_TOS, ADVERT_TTL, GROUP_V4, GROUP_V6, PROTO_AH, PROTO_VRRP};
pub use garp::{garp_frame, unsolicited_na_frame, Mac};
pub use ip::{IpId, Ipv4Packet, Ipv4Repr};
pub use recv::{parse_ipv4_datagram, parse_ipv6_datagram, Datagram};
pub use send::{emit_ipv4_advert, emit_ipv4_datagram, ipv4_advert_len};
pub use types::{Addrs, Advert, Auth, Checksum, Error, Family, Version};
pub use validate::{
    check_ipv4, check_ipv4_ah, check_ipv6, check_message, check_ttl_range, check_unicast_peer,
    check_vips, AhCheck, CheckedAdvert, Envelope, Expect, UnicastChecksum,
};
pub use vrrp::{EmitError, VrrpPacket};
