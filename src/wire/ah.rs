//! The IPsec Authentication Header keepalived puts in front of a VRRPv2 advert for
//! `auth_type AH` (RFC 3768 §5.3.6.2, RFC 2402; docs/keepalived-compat.md#ipsec-ah).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Header   |  Payload Len  |          RESERVED             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Security Parameters Index (SPI)               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Sequence Number Field                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Authentication Data: HMAC-MD5-96 ICV (12 bytes)      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! keepalived's choices, which a peer must share to interoperate: next header 112, payload
//! length 4 (RFC 2402 §2.2: 6 words minus 2), SPI = the sender's IPv4 source address, a
//! sequence number shared by sending and replay protection ([`SeqCounter`]), and the ICV an
//! HMAC-MD5 (RFC 2104) keyed with the 8-byte zero-padded `auth_pass`, cut to 96 bits
//! (RFC 2403 §2). The ICV covers the IPv4 header with TOS, flags/fragment offset and header
//! checksum zeroed (and the TTL, for unicast instances only), the AH header with a zero ICV,
//! and the VRRP message (RFC 2402 §3.3.3.1.1).
//!
//! Pure and panic-free on any input: every read goes through `get`.

use hmac::{Hmac, Mac};
use md5::Md5;

use super::consts::{PROTO_AH, PROTO_VRRP};
use super::ip::{Ipv4Repr, HEADER_LEN as IPV4_HEADER_LEN};
use super::vrrp::EmitError;

/// Length of the AH header with a 96-bit ICV.
pub const AH_LEN: usize = 24;
/// The payload-length field for a 96-bit ICV: 32-bit words of the header minus 2 (RFC 2402 §2.2).
pub const AH_PAYLOAD_LEN: u8 = 4;
/// Length of the truncated HMAC-MD5 (RFC 2403 §2).
pub const ICV_LEN: usize = 12;
/// Offset of the ICV in the AH header.
const ICV_AT: usize = 12;

/// The key: `auth_pass`, zero-padded or cut to 8 bytes, exactly as keepalived keys its HMAC.
pub type AhKey = [u8; 8];

/// The fixed fields of a received AH header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AhHeader {
    pub next_header: u8,
    pub payload_len: u8,
    /// The SPI as it sits on the wire (keepalived compares it byte for byte with the source).
    pub spi: [u8; 4],
    pub seq: u32,
    pub icv: [u8; ICV_LEN],
}

impl AhHeader {
    /// Reads the first [`AH_LEN`] bytes of `buf`; `None` when it is shorter.
    pub fn parse(buf: &[u8]) -> Option<AhHeader> {
        let b = buf.get(..AH_LEN)?;
        Some(AhHeader {
            next_header: *b.first()?,
            payload_len: *b.get(1)?,
            spi: b.get(4..8)?.try_into().ok()?,
            seq: u32::from_be_bytes(b.get(8..12)?.try_into().ok()?),
            icv: b.get(ICV_AT..AH_LEN)?.try_into().ok()?,
        })
    }
}

/// keepalived's sequence counter (`seq_counter_t`): the last number sent or accepted. One
/// counter per instance serves both directions, so a backup that becomes master carries on
/// above the numbers its peers last saw from the old master.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeqCounter {
    /// 0 before any advert; the first one sent carries 1.
    pub seq: u32,
    /// Set when the counter reached its ceiling and stopped growing.
    pub cycle: bool,
}

/// The highest number keepalived still increments from; at the ceiling the counter stays put
/// and `cycle` is set.
const SEQ_CEILING: u32 = 0xFFFF_FFFD;

impl SeqCounter {
    /// The number for the next advert sent: one more than the last, unless the ceiling was
    /// passed (then the same again and `cycle` set).
    pub fn next_to_send(&mut self) -> u32 {
        if self.seq > SEQ_CEILING {
            self.cycle = true;
        } else {
            self.seq += 1;
        }
        self.seq
    }

    /// Becoming MASTER: a counter that cycled starts again from 0.
    pub fn on_become_master(&mut self) {
        if self.cycle {
            *self = SeqCounter::default();
        }
    }

    /// A master heard a lower-priority advert carrying `seq`: keepalived "syncs" to one above
    /// it (and clears `cycle`).
    pub fn sync_above(&mut self, seq: u32) {
        self.seq = seq.wrapping_add(1);
        self.cycle = false;
    }
}

/// Why an AH-protected advert was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AhReject {
    /// The AH header protects something other than VRRP: dropped without a log line or counter.
    NextHeader,
    /// The ICV does not verify (wrong key, or a field changed in flight).
    Icv,
    /// The SPI is not the source address.
    Spi { src: [u8; 4], spi: [u8; 4] },
    /// The sequence number is not above the last one seen or sent: a replay.
    Replay { seq: u32, local: u32 },
}

fn hmac_md5_96(key: &AhKey, parts: &[&[u8]]) -> [u8; ICV_LEN] {
    // An HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<Md5>::new_from_slice(key) else {
        return [0; ICV_LEN];
    };
    for p in parts {
        mac.update(p);
    }
    let full = mac.finalize().into_bytes();
    let mut icv = [0; ICV_LEN];
    for (d, s) in icv.iter_mut().zip(full.iter()) {
        *d = *s;
    }
    icv
}

/// The ICV of a datagram: `ip_header` (with options, as received or built) then `rest`
/// (the AH header and everything after it). The mutable IP fields and the ICV field are
/// treated as zero; the TTL too when `zero_ttl` (keepalived does so for unicast instances
/// only, multicast adverts always carry 255). `None` when `ip_header` is not 20..=60 bytes or
/// `rest` is shorter than an AH header.
pub fn compute_icv(
    key: &AhKey,
    ip_header: &[u8],
    rest: &[u8],
    zero_ttl: bool,
) -> Option<[u8; ICV_LEN]> {
    if !(IPV4_HEADER_LEN..=60).contains(&ip_header.len()) {
        return None;
    }
    let mut ip = [0u8; 60];
    let ip = ip.get_mut(..ip_header.len())?;
    ip.copy_from_slice(ip_header);
    for i in [1, 6, 7, 10, 11] {
        *ip.get_mut(i)? = 0; // TOS, flags + fragment offset, header checksum
    }
    if zero_ttl {
        *ip.get_mut(8)? = 0;
    }
    let ah_fixed = rest.get(..ICV_AT)?;
    let after = rest.get(AH_LEN..)?;
    Some(hmac_md5_96(key, &[ip, ah_fixed, &[0; ICV_LEN], after]))
}

/// Builds what follows the IPv4 header of an AH advert: the AH header (SPI = `ip.src`,
/// sequence `seq`, ICV filled) then `message`. `ip` is the header the datagram will be sent
/// with; its protocol is taken as AH and its payload length as 24 + the message.
pub fn seal(
    ip: &Ipv4Repr,
    key: &AhKey,
    seq: u32,
    zero_ttl: bool,
    message: &[u8],
) -> Result<Vec<u8>, EmitError> {
    let header = Ipv4Repr {
        protocol: PROTO_AH,
        payload_len: AH_LEN + message.len(),
        ..*ip
    };
    let mut ip_bytes = [0u8; IPV4_HEADER_LEN];
    header.emit(&mut ip_bytes)?;
    let mut out = Vec::with_capacity(AH_LEN + message.len());
    out.extend_from_slice(&[PROTO_VRRP, AH_PAYLOAD_LEN, 0, 0]);
    out.extend_from_slice(&ip.src.octets());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&[0; ICV_LEN]);
    out.extend_from_slice(message);
    let icv = compute_icv(key, &ip_bytes, &out, zero_ttl).ok_or(EmitError::TooLong {
        len: IPV4_HEADER_LEN + out.len(),
    })?;
    if let Some(field) = out.get_mut(ICV_AT..AH_LEN) {
        field.copy_from_slice(&icv);
    }
    Ok(out)
}

/// keepalived's check of a received AH advert (`vrrp_in_chk_ipsecah`), in its order: next
/// header VRRP, ICV (compared in constant time), SPI equal to the source address, then the
/// sequence number above `counter.seq`. `packet` is the whole datagram and `header_len` the
/// IPv4 header length. On success the counter moves up to the received number, which is
/// returned.
pub fn verify(
    packet: &[u8],
    header_len: usize,
    key: &AhKey,
    zero_ttl: bool,
    counter: &mut SeqCounter,
) -> Result<u32, AhReject> {
    let ip = packet.get(..header_len).ok_or(AhReject::Icv)?;
    let rest = packet.get(header_len..).ok_or(AhReject::Icv)?;
    let ah = AhHeader::parse(rest).ok_or(AhReject::Icv)?;
    if ah.next_header != PROTO_VRRP {
        return Err(AhReject::NextHeader);
    }
    let icv = compute_icv(key, ip, rest, zero_ttl).ok_or(AhReject::Icv)?;
    let diff = icv
        .iter()
        .zip(ah.icv.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if std::hint::black_box(diff) != 0 {
        return Err(AhReject::Icv);
    }
    let src: [u8; 4] = ip
        .get(12..16)
        .and_then(|s| s.try_into().ok())
        .unwrap_or([0; 4]);
    if ah.spi != src {
        return Err(AhReject::Spi { src, spi: ah.spi });
    }
    if ah.seq <= counter.seq {
        return Err(AhReject::Replay {
            seq: ah.seq,
            local: counter.seq,
        });
    }
    counter.seq = ah.seq;
    Ok(ah.seq)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{emit_ipv4_datagram, GROUP_V4};
    use std::net::Ipv4Addr;

    /// RFC 2202 §2, test case 2: HMAC-MD5 with key "Jefe".
    #[test]
    fn hmac_md5_matches_rfc_2202() {
        let mut key = [0u8; 8];
        key[..4].copy_from_slice(b"Jefe");
        // Zero-padding a key to the block size does not change an HMAC (RFC 2104 §2), so the
        // 8-byte padded key gives RFC 2202's value.
        let icv = hmac_md5_96(&key, &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            icv,
            [0x75, 0x0c, 0x78, 0x3e, 0x6a, 0xb0, 0xb5, 0x03, 0xea, 0xa8, 0x6e, 0x31]
        );
    }

    const MSG: [u8; 20] = [
        0x21, 51, 100, 1, 2, 1, 0, 0, 10, 99, 0, 51, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    fn datagram(seq: u32) -> Vec<u8> {
        let ip = Ipv4Repr {
            protocol: PROTO_AH,
            ..Ipv4Repr::vrrp(Ipv4Addr::new(10, 99, 0, 1), GROUP_V4, 255, 7, 0)
        };
        let payload = seal(&ip, b"secret\0\0", seq, false, &MSG).unwrap();
        emit_ipv4_datagram(&ip, &payload).unwrap()
    }

    /// A known vector computed independently (Python's `hmac` + `hashlib.md5` over the same
    /// fields, docs/keepalived-compat.md#ipsec-ah): VRID 51, priority 100, one VIP
    /// 10.0.0.100, from 10.0.0.1 to 224.0.0.18, IP ID 1, sequence 7, key "secret".
    #[test]
    fn matches_an_independent_vector() {
        let want = "45c0004000010000ff33d0b60a000001e0000012700400000a00000100000007\
                    a74dd39ae178a7a458d899872133640102016e660a0000640000000000000000";
        let want: Vec<u8> = (0..want.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&want[i..i + 2], 16).unwrap())
            .collect();
        let ip = Ipv4Repr {
            protocol: PROTO_AH,
            ..Ipv4Repr::vrrp(Ipv4Addr::new(10, 0, 0, 1), GROUP_V4, 255, 1, 0)
        };
        let payload = seal(&ip, b"secret\0\0", 7, false, &want[44..]).unwrap();
        assert_eq!(emit_ipv4_datagram(&ip, &payload).unwrap(), want);
        let mut c = SeqCounter {
            seq: 6,
            cycle: false,
        };
        assert_eq!(verify(&want, 20, b"secret\0\0", false, &mut c), Ok(7));
    }

    #[test]
    fn sealed_layout_is_keepalived_s() {
        let p = datagram(5);
        assert_eq!(p.len(), 20 + 24 + 20);
        assert_eq!(&p[..4], &[0x45, 0xc0, 0, 64]);
        assert_eq!(p[9], 51);
        assert_eq!(&p[20..24], &[112, 4, 0, 0]);
        assert_eq!(&p[24..28], &[10, 99, 0, 1], "SPI is the source address");
        assert_eq!(&p[28..32], &[0, 0, 0, 5]);
        assert_eq!(&p[44..], &MSG);
    }

    #[test]
    fn verify_accepts_its_own_and_moves_the_counter() {
        let mut c = SeqCounter::default();
        assert_eq!(
            verify(&datagram(5), 20, b"secret\0\0", false, &mut c),
            Ok(5)
        );
        assert_eq!(c.seq, 5);
        assert_eq!(
            verify(&datagram(5), 20, b"secret\0\0", false, &mut c),
            Err(AhReject::Replay { seq: 5, local: 5 })
        );
        assert_eq!(
            verify(&datagram(4), 20, b"secret\0\0", false, &mut c),
            Err(AhReject::Replay { seq: 4, local: 5 })
        );
        assert_eq!(
            verify(&datagram(6), 20, b"secret\0\0", false, &mut c),
            Ok(6)
        );
    }

    #[test]
    fn mutable_fields_do_not_matter_but_others_do() {
        let key = b"secret\0\0";
        let mut p = datagram(1);
        p[1] = 0; // TOS
        p[6] = 0x40; // DF
        p[10] = 0xab; // header checksum
        assert_eq!(
            verify(&p, 20, key, false, &mut SeqCounter::default()),
            Ok(1)
        );
        let mut p = datagram(1);
        p[8] = 64; // TTL is covered for multicast
        assert_eq!(
            verify(&p, 20, key, false, &mut SeqCounter::default()),
            Err(AhReject::Icv)
        );
        assert_eq!(
            verify(&p, 20, key, true, &mut SeqCounter::default()),
            Err(AhReject::Icv)
        );
        for i in [2, 4, 9, 12, 16, 28, 44, 50, 63] {
            let mut p = datagram(1);
            p[i] ^= 1;
            assert_eq!(
                verify(&p, 20, key, false, &mut SeqCounter::default()),
                Err(AhReject::Icv),
                "byte {i} is covered"
            );
        }
        assert_eq!(
            verify(
                &datagram(1),
                20,
                b"secreT\0\0",
                false,
                &mut SeqCounter::default()
            ),
            Err(AhReject::Icv),
            "wrong key"
        );
    }

    #[test]
    fn unicast_ttl_is_not_covered() {
        let key = b"k\0\0\0\0\0\0\0";
        let ip = Ipv4Repr {
            protocol: PROTO_AH,
            ..Ipv4Repr::vrrp(
                Ipv4Addr::new(10, 0, 0, 1),
                Ipv4Addr::new(10, 0, 0, 2),
                64,
                1,
                0,
            )
        };
        let mut p = emit_ipv4_datagram(&ip, &seal(&ip, key, 1, true, &MSG).unwrap()).unwrap();
        p[8] = 3;
        assert_eq!(verify(&p, 20, key, true, &mut SeqCounter::default()), Ok(1));
    }

    #[test]
    fn spi_and_next_header_are_checked() {
        let key = b"secret\0\0";
        let mut p = datagram(1);
        p[20] = 6;
        assert_eq!(
            verify(&p, 20, key, false, &mut SeqCounter::default()),
            Err(AhReject::NextHeader)
        );
        // A sender whose SPI is not its address, with a valid ICV.
        let ip = Ipv4Repr {
            protocol: PROTO_AH,
            ..Ipv4Repr::vrrp(Ipv4Addr::new(10, 99, 0, 1), GROUP_V4, 255, 7, 0)
        };
        let mut payload = seal(&ip, key, 1, false, &MSG).unwrap();
        payload[4..8].copy_from_slice(&[1, 2, 3, 4]);
        let mut p = emit_ipv4_datagram(&ip, &payload).unwrap();
        let icv = compute_icv(key, &p[..20], &p[20..], false).unwrap();
        p[32..44].copy_from_slice(&icv);
        assert_eq!(
            verify(&p, 20, key, false, &mut SeqCounter::default()),
            Err(AhReject::Spi {
                src: [10, 99, 0, 1],
                spi: [1, 2, 3, 4]
            })
        );
    }

    #[test]
    fn counter_follows_keepalived() {
        let mut c = SeqCounter::default();
        assert_eq!((c.next_to_send(), c.next_to_send()), (1, 2));
        c.seq = 0xFFFF_FFFD;
        assert_eq!(c.next_to_send(), 0xFFFF_FFFE);
        assert_eq!(c.next_to_send(), 0xFFFF_FFFE);
        assert!(c.cycle);
        c.on_become_master();
        assert_eq!(c, SeqCounter::default());
        c.seq = 9;
        c.on_become_master();
        assert_eq!(c.seq, 9, "only a cycled counter restarts");
        c.sync_above(41);
        assert_eq!(c.seq, 42);
    }

    #[test]
    fn hostile_input_never_panics() {
        let key = b"secret\0\0";
        let good = datagram(3);
        for len in 0..good.len() + 2 {
            let p: Vec<u8> = good.iter().copied().chain([0, 0]).take(len).collect();
            for hl in [0, 19, 20, 24, 60, 64, usize::MAX] {
                let _ = verify(&p, hl, key, false, &mut SeqCounter::default());
                let _ = compute_icv(key, p.get(..hl.min(p.len())).unwrap_or(&[]), &p, true);
            }
        }
        assert_eq!(AhHeader::parse(&good[20..43]), None);
    }
}
