//! A small IPv4 header: a checked view for received packets (raw sockets deliver the IP header
//! with the VRRP message) and a repr that emits the header keepalived builds with
//! `IP_HDRINCL` (docs/keepalived-compat.md#advert-packet-layout).
//!
//! RFC 791 §3.1:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version|  IHL  |Type of Service|          Total Length         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Identification        |Flags|      Fragment Offset    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Time to Live |    Protocol   |         Header Checksum       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       Source Address                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Destination Address                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Options                    |    Padding    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use std::net::Ipv4Addr;

use super::checksum;
use super::consts::{ADVERT_TOS, PROTO_VRRP};
use super::types::Error;
use super::vrrp::EmitError;

mod field {
    pub type Field = core::ops::Range<usize>;

    pub const VER_IHL: usize = 0;
    pub const TOS: usize = 1;
    pub const TOTAL_LEN: Field = 2..4;
    pub const IDENT: Field = 4..6;
    pub const FLAGS_FRAG: Field = 6..8;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: Field = 10..12;
    pub const SRC: Field = 12..16;
    pub const DST: Field = 16..20;
    /// Header without options.
    pub const MIN_HEADER_LEN: usize = 20;
}

/// The IPv4 header length without options.
pub const HEADER_LEN: usize = field::MIN_HEADER_LEN;

// ===== impl Ipv4Packet =====

/// A read/write view of an IPv4 packet. Getters never panic (they read zeros outside the
/// buffer); after [`Ipv4Packet::new_checked`] every header field and the whole payload
/// announced by the total length lie inside the buffer.
#[derive(Debug, Clone)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    pub const fn new_unchecked(buffer: T) -> Ipv4Packet<T> {
        Ipv4Packet { buffer }
    }

    pub fn new_checked(buffer: T) -> Result<Ipv4Packet<T>, Error> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks every length relation: buffer ≥ 20, version 4, IHL ≥ 5, buffer ≥ IHL×4,
    /// total length ≥ IHL×4 and buffer ≥ total length. (keepalived compares total length with
    /// the received length later, after the VRRP checks; `validate` keeps that order.)
    pub fn check_len(&self) -> Result<(), Error> {
        let len = self.buffer.as_ref().len();
        if len < field::MIN_HEADER_LEN {
            return Err(Error::TooShort { len });
        }
        let hlen = self.header_len();
        let total = usize::from(self.total_len());
        if self.version() != 4 || hlen < field::MIN_HEADER_LEN || len < hlen || total < hlen {
            return Err(Error::BadIpHeader);
        }
        if len < total {
            return Err(Error::TooShort { len });
        }
        Ok(())
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn byte(&self, i: usize) -> u8 {
        self.buffer.as_ref().get(i).copied().unwrap_or(0)
    }

    fn word(&self, f: field::Field) -> u16 {
        match self.buffer.as_ref().get(f) {
            Some(&[hi, lo]) => u16::from_be_bytes([hi, lo]),
            _ => 0,
        }
    }

    fn addr(&self, f: field::Field) -> Ipv4Addr {
        match self.buffer.as_ref().get(f) {
            Some(&[a, b, c, d]) => Ipv4Addr::new(a, b, c, d),
            _ => Ipv4Addr::UNSPECIFIED,
        }
    }

    pub fn version(&self) -> u8 {
        self.byte(field::VER_IHL) >> 4
    }

    /// Header length in bytes (IHL × 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.byte(field::VER_IHL) & 0x0f) * 4
    }

    pub fn tos(&self) -> u8 {
        self.byte(field::TOS)
    }

    pub fn total_len(&self) -> u16 {
        self.word(field::TOTAL_LEN)
    }

    pub fn ident(&self) -> u16 {
        self.word(field::IDENT)
    }

    /// Flags (3 bits) and fragment offset (13 bits) as one word.
    pub fn flags_frag(&self) -> u16 {
        self.word(field::FLAGS_FRAG)
    }

    pub fn ttl(&self) -> u8 {
        self.byte(field::TTL)
    }

    pub fn protocol(&self) -> u8 {
        self.byte(field::PROTOCOL)
    }

    pub fn checksum(&self) -> u16 {
        self.word(field::CHECKSUM)
    }

    pub fn src(&self) -> Ipv4Addr {
        self.addr(field::SRC)
    }

    pub fn dst(&self) -> Ipv4Addr {
        self.addr(field::DST)
    }

    /// True when the header checksum verifies (the kernel already checked received packets).
    pub fn verify_checksum(&self) -> bool {
        match self.buffer.as_ref().get(..self.header_len()) {
            Some(h) if h.len() >= field::MIN_HEADER_LEN => checksum::verify(0, h),
            _ => false,
        }
    }

    /// Everything after the header, up to the end of the buffer.
    pub fn payload(&self) -> &[u8] {
        self.buffer.as_ref().get(self.header_len()..).unwrap_or(&[])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    fn set_byte(&mut self, i: usize, v: u8) {
        if let Some(b) = self.buffer.as_mut().get_mut(i) {
            *b = v;
        }
    }

    fn set_bytes(&mut self, f: field::Field, v: &[u8]) {
        if let Some(dst) = self.buffer.as_mut().get_mut(f) {
            if dst.len() == v.len() {
                dst.copy_from_slice(v);
            }
        }
    }

    /// Sets version 4 and the header length in bytes (a multiple of 4, 20..=60).
    pub fn set_version_header_len(&mut self, header_len: usize) {
        let ihl = u8::try_from(header_len / 4).unwrap_or(0x0f) & 0x0f;
        self.set_byte(field::VER_IHL, 0x40 | ihl);
    }

    pub fn set_tos(&mut self, tos: u8) {
        self.set_byte(field::TOS, tos);
    }

    pub fn set_total_len(&mut self, len: u16) {
        self.set_bytes(field::TOTAL_LEN, &len.to_be_bytes());
    }

    pub fn set_ident(&mut self, ident: u16) {
        self.set_bytes(field::IDENT, &ident.to_be_bytes());
    }

    pub fn set_flags_frag(&mut self, v: u16) {
        self.set_bytes(field::FLAGS_FRAG, &v.to_be_bytes());
    }

    pub fn set_ttl(&mut self, ttl: u8) {
        self.set_byte(field::TTL, ttl);
    }

    pub fn set_protocol(&mut self, protocol: u8) {
        self.set_byte(field::PROTOCOL, protocol);
    }

    pub fn set_checksum(&mut self, v: u16) {
        self.set_bytes(field::CHECKSUM, &v.to_be_bytes());
    }

    pub fn set_src(&mut self, a: Ipv4Addr) {
        self.set_bytes(field::SRC, &a.octets());
    }

    pub fn set_dst(&mut self, a: Ipv4Addr) {
        self.set_bytes(field::DST, &a.octets());
    }

    /// Zeroes the header checksum, then stores the checksum of the header.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let hlen = self.header_len();
        let value = match self.buffer.as_ref().get(..hlen) {
            Some(h) => checksum::compute(0, h),
            None => return,
        };
        self.set_checksum(value);
    }
}

// ===== impl Ipv4Repr =====

/// The fields of an IPv4 header vrrpd reads or writes. Options are skipped on parse and never
/// emitted; fragments are not expected (VRRP messages are small) and DF is never set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Repr {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub protocol: u8,
    pub ttl: u8,
    pub tos: u8,
    /// The identification field. keepalived keeps a per-instance counter starting at 1 and
    /// skipping 0; the caller owns that counter.
    pub ident: u16,
    /// Bytes after the header.
    pub payload_len: usize,
}

impl Ipv4Repr {
    /// The header keepalived sends an advert with: TOS 0xC0, protocol 112, no DF.
    pub fn vrrp(src: Ipv4Addr, dst: Ipv4Addr, ttl: u8, ident: u16, payload_len: usize) -> Self {
        Ipv4Repr {
            src,
            dst,
            protocol: PROTO_VRRP,
            ttl,
            tos: ADVERT_TOS,
            ident,
            payload_len,
        }
    }

    /// Reads the header of a checked packet; the payload length comes from the total length.
    pub fn parse<T: AsRef<[u8]>>(packet: &Ipv4Packet<T>) -> Result<Ipv4Repr, Error> {
        packet.check_len()?;
        Ok(Ipv4Repr {
            src: packet.src(),
            dst: packet.dst(),
            protocol: packet.protocol(),
            ttl: packet.ttl(),
            tos: packet.tos(),
            ident: packet.ident(),
            payload_len: usize::from(packet.total_len()).saturating_sub(packet.header_len()),
        })
    }

    /// The header length emitted (no options).
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the 20-byte header into the start of `buf` (checksum computed) and returns 20.
    /// Writes nothing and fails when `buf` is shorter than 20 bytes or the total length
    /// would exceed 65535.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let total = self
            .payload_len
            .checked_add(HEADER_LEN)
            .and_then(|t| u16::try_from(t).ok())
            .ok_or(EmitError::TooLong {
                len: self.payload_len.saturating_add(HEADER_LEN),
            })?;
        let got = buf.len();
        let Some(hdr) = buf.get_mut(..HEADER_LEN) else {
            return Err(EmitError::BufferTooSmall {
                need: HEADER_LEN,
                got,
            });
        };
        let mut p = Ipv4Packet::new_unchecked(hdr);
        p.set_version_header_len(HEADER_LEN);
        p.set_tos(self.tos);
        p.set_total_len(total);
        p.set_ident(self.ident);
        p.set_flags_frag(0);
        p.set_ttl(self.ttl);
        p.set_protocol(self.protocol);
        p.set_src(self.src);
        p.set_dst(self.dst);
        p.fill_checksum();
        Ok(HEADER_LEN)
    }
}

// ===== impl IpId =====

/// keepalived's per-instance IPv4 identification counter: starts at 1, increments per
/// advert, skips 0 on wrap-around (docs/keepalived-compat.md#advert-packet-layout). With `IP_HDRINCL` an ID of
/// 0 would make the kernel pick one, which keepalived avoids.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IpId(u16);

impl IpId {
    pub fn new() -> IpId {
        IpId(0)
    }

    /// The ID for the next advert.
    pub fn next_id(&mut self) -> u16 {
        self.0 = self.0.wrapping_add(1);
        if self.0 == 0 {
            self.0 = 1;
        }
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// keepalived 2.2.7 capture: the header of a v3 advert, 10.99.0.1 > 224.0.0.18, ID 1.
    static HEADER: [u8; 20] = [
        0x45, 0xc0, 0x00, 0x24, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0xd0, 0x32, 10, 99, 0, 1, 224,
        0, 0, 18,
    ];

    fn repr() -> Ipv4Repr {
        Ipv4Repr::vrrp(
            Ipv4Addr::new(10, 99, 0, 1),
            Ipv4Addr::new(224, 0, 0, 18),
            255,
            1,
            16,
        )
    }

    fn packet() -> Vec<u8> {
        let mut p = HEADER.to_vec();
        p.extend_from_slice(&[0; 16]);
        p
    }

    #[test]
    fn deconstruct() {
        let b = packet();
        let p = Ipv4Packet::new_checked(&b[..]).unwrap();
        assert_eq!(
            (p.version(), p.header_len(), p.tos(), p.total_len()),
            (4, 20, 0xc0, 36)
        );
        assert_eq!(
            (p.ident(), p.flags_frag(), p.ttl(), p.protocol()),
            (1, 0, 255, 112)
        );
        assert_eq!(p.checksum(), 0xd032);
        assert_eq!(p.src(), Ipv4Addr::new(10, 99, 0, 1));
        assert_eq!(p.dst(), Ipv4Addr::new(224, 0, 0, 18));
        assert!(p.verify_checksum());
        assert_eq!(p.payload().len(), 16);
    }

    #[test]
    fn construct() {
        let mut buf = [0xa5u8; 20];
        let mut p = Ipv4Packet::new_unchecked(&mut buf[..]);
        p.set_version_header_len(20);
        p.set_tos(0xc0);
        p.set_total_len(36);
        p.set_ident(1);
        p.set_flags_frag(0);
        p.set_ttl(255);
        p.set_protocol(112);
        p.set_src(Ipv4Addr::new(10, 99, 0, 1));
        p.set_dst(Ipv4Addr::new(224, 0, 0, 18));
        p.fill_checksum();
        assert_eq!(buf, HEADER);
    }

    #[test]
    fn parse_and_emit() {
        let b = packet();
        assert_eq!(
            Ipv4Repr::parse(&Ipv4Packet::new_unchecked(&b[..])),
            Ok(repr())
        );
        let mut buf = [0xa5u8; 21];
        assert_eq!(repr().emit(&mut buf), Ok(20));
        assert_eq!(&buf[..20], &HEADER);
        assert_eq!(buf[20], 0xa5);
        assert_eq!(
            repr().emit(&mut buf[..19]),
            Err(EmitError::BufferTooSmall { need: 20, got: 19 })
        );
        let mut big = repr();
        big.payload_len = 65516;
        assert_eq!(big.emit(&mut buf), Err(EmitError::TooLong { len: 65536 }));
    }

    #[test]
    fn check_len_checks_every_relation() {
        let b = packet();
        let check = |b: &[u8]| Ipv4Packet::new_checked(b).map(|_| ());
        assert_eq!(check(&b[..19]), Err(Error::TooShort { len: 19 }));
        let mut q = b.clone();
        q[0] = 0x44; // IHL 4 < 5
        assert_eq!(check(&q), Err(Error::BadIpHeader));
        let mut q = b.clone();
        q[0] = 0x65; // version 6
        assert_eq!(check(&q), Err(Error::BadIpHeader));
        let mut q = b.clone();
        q[0] = 0x4f; // 60-byte header in a 36-byte buffer
        assert_eq!(check(&q), Err(Error::BadIpHeader));
        let mut q = b.clone();
        q[3] = 19; // total length < header length
        assert_eq!(check(&q), Err(Error::BadIpHeader));
        assert_eq!(
            check(&b[..35]),
            Err(Error::TooShort { len: 35 }),
            "buffer < total"
        );
        assert_eq!(check(&b), Ok(()));
    }

    #[test]
    fn ip_id_starts_at_one_and_skips_zero() {
        let mut id = IpId::new();
        assert_eq!(id.next_id(), 1);
        assert_eq!(id.next_id(), 2);
        let mut id = IpId(u16::MAX - 1);
        assert_eq!(id.next_id(), u16::MAX);
        assert_eq!(id.next_id(), 1);
    }
}
