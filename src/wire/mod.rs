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
//! Files, one concern each:
//! * `checksum.rs`: RFC 1071 sums and the IPv4/IPv6 pseudo-headers.
//! * `vrrp.rs`: [`VrrpPacket`] view, `Advert::{parse, buffer_len, emit}`, checksum modes,
//!   `Auth::{pass_from_str, pass_matches}`, `Display` for adverts.
//! * `ip.rs`: [`Ipv4Packet`] view and [`Ipv4Repr`] for `IP_HDRINCL` headers.
//! * `send.rs`: whole IPv4 advert packets as keepalived sends them.
//! * `validate.rs`: keepalived's receive checks in its order, the only implementation of them
//!   ([`check_ipv4`], [`check_ipv6`], the message-level [`check_message`] the core also uses,
//!   then [`check_vips`], [`check_unicast_peer`], [`check_ttl_range`]).
//! * `garp.rs`: gratuitous ARP and unsolicited NA frames.
//!
//! Byte-exactness against keepalived 2.2.7 is tested with captures in
//! `tests/fixtures/keepalived` (`tests/wire_fixtures.rs`), and Wireshark's opinion of our
//! output in `tests/wire_tshark.rs`.

pub mod checksum;
pub mod garp;
pub mod ip;
pub mod send;
mod types;
pub mod validate;
pub mod vrrp;

pub use garp::{garp_frame, unsolicited_na_frame, Mac};
pub use ip::{Ipv4Packet, Ipv4Repr};
pub use send::{emit_ipv4_advert, ipv4_advert_len};
pub use types::{Addrs, Advert, Auth, Checksum, Error, Family, Version};
pub use validate::{
    check_ipv4, check_ipv6, check_message, check_ttl_range, check_unicast_peer, check_vips,
    Envelope, Expect, Received, UnicastChecksum,
};
pub use vrrp::{EmitError, VrrpPacket};
