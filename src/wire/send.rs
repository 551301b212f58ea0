//! Whole IPv4 advert packets as keepalived sends them on its `IP_HDRINCL` raw socket
//! (docs/keepalived-compat.md#advert-packet-layout): a 20-byte header (TOS 0xC0, ID from the caller's
//! per-instance counter, DF clear, TTL 255 or `unicast_ttl`, protocol 112) then the message.
//!
//! [`emit_ipv4_datagram`] is what the daemon's send socket puts on the wire
//! (`sys::vrrp_socket::SendSocket::send_v4`), around the message the core encoded with
//! `Advert::to_vec`. [`emit_ipv4_advert`] does both steps in one buffer. IPv6 adverts need no
//! function here: the kernel builds the IPv6 header (docs/keepalived-compat.md#advert-packet-layout), the message is the core's.

use super::ip::{Ipv4Repr, HEADER_LEN};
use super::types::{Advert, Checksum};
use super::vrrp::EmitError;

/// Length of the IPv4 packet carrying `advert`.
pub fn ipv4_advert_len(advert: &Advert) -> usize {
    HEADER_LEN + advert.buffer_len()
}

/// Writes the IPv4 header `ip` (its `payload_len` is replaced by the advert's length) and the
/// advert, checksummed per `csum` (use [`Checksum::ipv4`]), into the start of `buf`. Returns
/// the packet length. Never panics; on an error nothing is written.
///
/// For unicast, call once per peer with that peer as `ip.dst` (and in `csum`), as keepalived
/// sends one copy per peer with the v3 checksum adjusted for each (docs/keepalived-compat.md#unicast-mode).
pub fn emit_ipv4_advert(
    advert: &Advert,
    ip: &Ipv4Repr,
    csum: Checksum,
    buf: &mut [u8],
) -> Result<usize, EmitError> {
    let need = ipv4_advert_len(advert);
    let got = buf.len();
    let Some(packet) = buf.get_mut(..need) else {
        return Err(EmitError::BufferTooSmall { need, got });
    };
    let header = Ipv4Repr {
        payload_len: advert.buffer_len(),
        ..*ip
    };
    let Some((hdr, msg)) = packet.split_at_mut_checked(HEADER_LEN) else {
        return Err(EmitError::BufferTooSmall { need, got });
    };
    // Emit the advert first: it validates the advert, so an error leaves `buf` untouched.
    advert.emit(msg, csum)?;
    header.emit(hdr)?;
    Ok(need)
}

/// The datagram the IPv4 send socket hands to the kernel: the header `ip` (its `payload_len`
/// is replaced by the message's length) followed by `message`, an encoded VRRP message (or AH
/// and VRRP when `ip.protocol` is AH). Never panics; fails when the datagram
/// would exceed 65535 bytes ([`EmitError::TooLong`]).
pub fn emit_ipv4_datagram(ip: &Ipv4Repr, message: &[u8]) -> Result<Vec<u8>, EmitError> {
    let header = Ipv4Repr {
        payload_len: message.len(),
        ..*ip
    };
    let mut packet = vec![0; HEADER_LEN];
    header.emit(&mut packet)?;
    packet.extend_from_slice(message);
    Ok(packet)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Addrs, Auth, Version, GROUP_V4};
    use std::net::Ipv4Addr;

    #[test]
    fn datagram_equals_the_advert_emitted_in_place() {
        let src = Ipv4Addr::new(10, 99, 0, 1);
        let a = Advert {
            version: Version::V3,
            vrid: 60,
            priority: 100,
            interval: 50,
            auth: Auth::None,
            addrs: Addrs::V4(vec![Ipv4Addr::new(10, 99, 0, 60)]),
        };
        let csum = Checksum::ipv4(a.version, src, GROUP_V4);
        let ip = Ipv4Repr::vrrp(src, GROUP_V4, 255, 7, 0);
        let mut in_place = vec![0; ipv4_advert_len(&a)];
        emit_ipv4_advert(&a, &ip, csum, &mut in_place).unwrap();
        let msg = a.to_vec(csum).unwrap();
        assert_eq!(emit_ipv4_datagram(&ip, &msg).unwrap(), in_place);
    }

    /// keepalived's v2 advert with two VIPs and PASS "secret12" (docs/keepalived-compat.md#advert-packet-layout).
    const ADVERT: [u8; 24] = [
        0x21, 0x33, 0xa0, 0x02, 0x01, 0x01, 0xba, 0xbb, 10, 99, 0, 100, 10, 99, 0, 101, b's', b'e',
        b'c', b'r', b'e', b't', b'1', b'2',
    ];

    #[test]
    fn header_matches_keepalived() {
        let ip = Ipv4Repr::vrrp(Ipv4Addr::new(10, 99, 0, 1), GROUP_V4, 255, 1, 0);
        let p = emit_ipv4_datagram(&ip, &ADVERT).unwrap();
        assert_eq!(
            p.len(),
            44,
            "IP length 44 as captured (docs/keepalived-compat.md#advert-packet-layout)"
        );
        assert_eq!(&p[..10], &[0x45, 0xc0, 0, 44, 0, 1, 0, 0, 255, 112]);
        assert_eq!(&p[12..20], &[10, 99, 0, 1, 224, 0, 0, 18]);
        assert_eq!(
            crate::wire::checksum::data(&p[..20]),
            0xffff,
            "header checksum verifies"
        );
        assert_eq!(&p[20..], &ADVERT);
    }

    #[test]
    fn oversized_message_is_refused() {
        let ip = Ipv4Repr::vrrp(Ipv4Addr::LOCALHOST, GROUP_V4, 255, 1, 0);
        assert_eq!(
            emit_ipv4_datagram(&ip, &vec![0; 65_516]),
            Err(EmitError::TooLong { len: 65_536 })
        );
        assert_eq!(
            emit_ipv4_datagram(&ip, &vec![0; 65_515]).map(|p| p.len()),
            Ok(65_535)
        );
    }
}
