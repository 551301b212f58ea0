//! The Internet checksum (RFC 1071) and the IPv4 / IPv6 pseudo-headers.
//!
//! All functions work on *partial sums*: the 16-bit one's complement sum, folded but not yet
//! inverted. A checksum field is the inverse of the sum over everything it covers with the
//! field itself set to zero; a received message verifies when the sum over everything,
//! checksum field included, is `0xffff`.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Folds a 32-bit (or wider) accumulator into 16 bits with end-around carry.
fn fold(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// The one's complement sum of `bytes` as big-endian 16-bit words; an odd trailing byte is
/// padded with a zero byte (RFC 1071 §4.1).
pub fn data(bytes: &[u8]) -> u16 {
    let mut acc: u64 = 0;
    let mut words = bytes.chunks_exact(2);
    for w in &mut words {
        if let [hi, lo] = *w {
            acc += u64::from(u16::from_be_bytes([hi, lo]));
        }
    }
    if let [last] = *words.remainder() {
        acc += u64::from(u16::from_be_bytes([last, 0]));
    }
    fold(acc)
}

/// Combines partial sums (each from [`data`] or a pseudo-header) into one.
pub fn combine(sums: &[u16]) -> u16 {
    fold(sums.iter().map(|&s| u64::from(s)).sum())
}

/// The partial sum of the IPv4 pseudo-header (RFC 768 style): source, destination, zero,
/// protocol and upper-layer length.
pub fn pseudo_header_v4(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, length: u16) -> u16 {
    combine(&[
        data(&src.octets()),
        data(&dst.octets()),
        u16::from(protocol),
        length,
    ])
}

/// The partial sum of the IPv6 pseudo-header (RFC 8200 §8.1): source, destination, 32-bit
/// upper-layer length, three zero bytes and the next header.
pub fn pseudo_header_v6(src: Ipv6Addr, dst: Ipv6Addr, next_header: u8, length: u32) -> u16 {
    combine(&[
        data(&src.octets()),
        data(&dst.octets()),
        data(&length.to_be_bytes()),
        u16::from(next_header),
    ])
}

/// True when the sum over a message (checksum field included) plus `pseudo` verifies.
pub fn verify(pseudo: u16, message: &[u8]) -> bool {
    combine(&[pseudo, data(message)]) == 0xffff
}

/// The checksum to store for `message` whose checksum field currently holds zero.
pub fn compute(pseudo: u16, message: &[u8]) -> u16 {
    !combine(&[pseudo, data(message)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::consts::PROTO_VRRP;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2.
        assert_eq!(
            data(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0xddf2
        );
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(data(&[0x12, 0x34, 0x56]), 0x1234 + 0x5600);
    }

    #[test]
    fn combine_carries_around() {
        assert_eq!(combine(&[0xffff, 0x0001]), 0x0001);
        assert_eq!(combine(&[0x8000, 0x8000]), 0x0001);
        assert_eq!(combine(&[]), 0);
    }

    #[test]
    fn empty_and_zero_verify() {
        assert!(!verify(0, &[]));
        assert!(verify(0, &[0xff, 0xff]));
    }

    #[test]
    fn pseudo_header_v4_matches_byte_layout() {
        let src = Ipv4Addr::new(10, 99, 0, 1);
        let dst = Ipv4Addr::new(224, 0, 0, 18);
        let bytes = [10, 99, 0, 1, 224, 0, 0, 18, 0, 112, 0, 16];
        assert_eq!(pseudo_header_v4(src, dst, PROTO_VRRP, 16), data(&bytes));
    }

    #[test]
    fn pseudo_header_v6_matches_byte_layout() {
        let src: Ipv6Addr = "fe80::1".parse().unwrap();
        let dst: Ipv6Addr = "ff02::12".parse().unwrap();
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&src.octets());
        bytes.extend_from_slice(&dst.octets());
        bytes.extend_from_slice(&24u32.to_be_bytes());
        bytes.extend_from_slice(&[0, 0, 0, PROTO_VRRP]);
        assert_eq!(pseudo_header_v6(src, dst, PROTO_VRRP, 24), data(&bytes));
    }

    #[test]
    fn compute_then_verify() {
        let mut msg = [0x31, 0x3c, 0x64, 0x01, 0x00, 0x32, 0, 0, 10, 99, 0, 150];
        let c = compute(0x1234, &msg);
        msg[6..8].copy_from_slice(&c.to_be_bytes());
        assert!(verify(0x1234, &msg));
        assert!(!verify(0x1235, &msg));
    }
}
