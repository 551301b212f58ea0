//! The VRRP advertisement message: a checked view ([`VrrpPacket`]) and the typed repr
//! ([`Advert`]) with `parse`, `buffer_len` and `emit`.
//!
//! VRRPv2, RFC 3768 §5.1 (IPv4 only; docs/keepalived-compat.md#advert-packet-layout):
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version| Type  | Virtual Rtr ID|   Priority    | Count IP Addrs|
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Auth Type   |   Adver Int   |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         IP Address (1)                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                            ...                                |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         IP Address (n)                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                     Authentication Data (1)                   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                     Authentication Data (2)                   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! VRRPv3, RFC 5798 §5.1 (IPv4 or IPv6, no authentication data):
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |(rsvd) |     Max Adver Int     |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! +                                                               +
//! |                       IPvX Address(es)                        |
//! +                                                               +
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! keepalived sends the 8 authentication bytes in *every* v2 packet, zeros when there is no
//! authentication (docs/keepalived-compat.md#advert-packet-layout), so a v2 message is always
//! `8 + 4n + 8` bytes long.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::checksum;
use super::consts::PROTO_VRRP;
use super::types::{Addrs, Advert, Auth, Checksum, Error, Family, Version};

mod field {
    #![allow(non_snake_case)]

    pub type Field = core::ops::Range<usize>;

    /// Version (high nibble) and type (low nibble).
    pub const VER_TYPE: usize = 0;
    pub const VRID: usize = 1;
    pub const PRIORITY: usize = 2;
    pub const COUNT: usize = 3;
    /// v2: authentication type.
    pub const AUTH_TYPE: usize = 4;
    /// v2: advertisement interval in seconds.
    pub const ADVER_INT: usize = 5;
    /// v3: 4 reserved bits and the 12-bit maximum advertisement interval (centiseconds).
    pub const MAX_ADVER_INT: Field = 4..6;
    pub const CHECKSUM: Field = 6..8;
    /// Length of the fixed header before the addresses.
    pub const HEADER_LEN: usize = 8;
    /// Length of the v2 authentication data.
    pub const AUTH_LEN: usize = 8;

    /// The `i`-th address for addresses of `alen` bytes.
    pub const fn ADDR(i: usize, alen: usize) -> Field {
        HEADER_LEN + i * alen..HEADER_LEN + (i + 1) * alen
    }

    /// The v2 authentication data after `count` addresses of `alen` bytes.
    pub const fn AUTH_DATA(count: usize, alen: usize) -> Field {
        HEADER_LEN + count * alen..HEADER_LEN + count * alen + AUTH_LEN
    }
}

/// The VRRP "type" of an advertisement (the only type defined).
pub const TYPE_ADVERTISEMENT: u8 = 1;
/// Largest v3 interval: 12 bits of centiseconds (RFC 5798 §5.2.7).
pub const MAX_V3_INTERVAL: u16 = 0x0fff;

/// Bytes per address for a family.
pub const fn addr_len(family: Family) -> usize {
    match family {
        Family::V4 => 4,
        Family::V6 => 16,
    }
}

/// The exact VRRP message length for a version, family and address count: the fixed header,
/// the addresses and, for v2 over IPv4, the 8 authentication bytes.
pub const fn message_len(version: Version, family: Family, count: usize) -> usize {
    let auth = match (version, family) {
        (Version::V2, Family::V4) => field::AUTH_LEN,
        _ => 0,
    };
    field::HEADER_LEN + count * addr_len(family) + auth
}

// ===== impl VrrpPacket =====

/// A read/write view of a VRRP message (the IP payload).
///
/// The family is part of the view because the message does not say how long its addresses
/// are. After [`VrrpPacket::new_checked`] every field, address and the auth data of a v2
/// message lie inside the buffer; the getters never panic in any case (they read zeros or
/// return `None` outside the buffer) and the setters write nothing outside it.
#[derive(Debug, Clone)]
pub struct VrrpPacket<T: AsRef<[u8]>> {
    buffer: T,
    family: Family,
}

impl<T: AsRef<[u8]>> VrrpPacket<T> {
    /// Wraps a buffer without checking its length.
    pub const fn new_unchecked(buffer: T, family: Family) -> VrrpPacket<T> {
        VrrpPacket { buffer, family }
    }

    /// Wraps a buffer after [`VrrpPacket::check_len`].
    pub fn new_checked(buffer: T, family: Family) -> Result<VrrpPacket<T>, Error> {
        let packet = Self::new_unchecked(buffer, family);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the buffer holds the fixed header and everything the count and version
    /// nibble announce. The buffer may be longer (use [`VrrpPacket::expected_len`] to require
    /// an exact length, as keepalived does).
    pub fn check_len(&self) -> Result<(), Error> {
        let len = self.buffer.as_ref().len();
        if len < field::HEADER_LEN {
            return Err(Error::TooShort { len });
        }
        let expected = self.expected_len();
        if len < expected {
            return Err(Error::Length {
                vrid: self.vrid(),
                len,
                expected,
            });
        }
        Ok(())
    }

    /// The message length implied by the count and the version nibble (v2 carries
    /// authentication data over IPv4; any other nibble is treated like v3).
    pub fn expected_len(&self) -> usize {
        let version = if self.version() == 2 {
            Version::V2
        } else {
            Version::V3
        };
        message_len(version, self.family, usize::from(self.addr_count()))
    }

    /// The family the view was created with.
    pub fn family(&self) -> Family {
        self.family
    }

    /// Consumes the view, returning the buffer.
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

    /// The version nibble (2 or 3 for valid messages).
    pub fn version(&self) -> u8 {
        self.byte(field::VER_TYPE) >> 4
    }

    /// The type nibble (1 = advertisement).
    pub fn kind(&self) -> u8 {
        self.byte(field::VER_TYPE) & 0x0f
    }

    pub fn vrid(&self) -> u8 {
        self.byte(field::VRID)
    }

    pub fn priority(&self) -> u8 {
        self.byte(field::PRIORITY)
    }

    pub fn addr_count(&self) -> u8 {
        self.byte(field::COUNT)
    }

    /// v2: the authentication type.
    pub fn auth_type(&self) -> u8 {
        self.byte(field::AUTH_TYPE)
    }

    /// v2: the advertisement interval in seconds.
    pub fn adver_int(&self) -> u8 {
        self.byte(field::ADVER_INT)
    }

    /// v3: the maximum advertisement interval in centiseconds (reserved bits masked off,
    /// RFC 5798 §5.2.6: ignored on receipt).
    pub fn max_adver_int(&self) -> u16 {
        self.word(field::MAX_ADVER_INT) & MAX_V3_INTERVAL
    }

    pub fn checksum(&self) -> u16 {
        self.word(field::CHECKSUM)
    }

    /// The `i`-th IPv4 address, if the view is IPv4, `i < addr_count()` and the address is
    /// inside the buffer.
    pub fn addr_v4(&self, i: usize) -> Option<Ipv4Addr> {
        if self.family != Family::V4 || i >= usize::from(self.addr_count()) {
            return None;
        }
        let b: [u8; 4] = self
            .buffer
            .as_ref()
            .get(field::ADDR(i, 4))?
            .try_into()
            .ok()?;
        Some(Ipv4Addr::from(b))
    }

    /// The `i`-th IPv6 address, if the view is IPv6, `i < addr_count()` and the address is
    /// inside the buffer.
    pub fn addr_v6(&self, i: usize) -> Option<Ipv6Addr> {
        if self.family != Family::V6 || i >= usize::from(self.addr_count()) {
            return None;
        }
        let b: [u8; 16] = self
            .buffer
            .as_ref()
            .get(field::ADDR(i, 16))?
            .try_into()
            .ok()?;
        Some(Ipv6Addr::from(b))
    }

    /// v2: the 8 authentication bytes after the addresses, if inside the buffer.
    pub fn auth_data(&self) -> Option<[u8; 8]> {
        let f = field::AUTH_DATA(usize::from(self.addr_count()), addr_len(self.family));
        self.buffer.as_ref().get(f)?.try_into().ok()
    }

    /// The message as far as the count and version announce (the whole buffer if shorter).
    pub fn message(&self) -> &[u8] {
        let buf = self.buffer.as_ref();
        buf.get(..self.expected_len()).unwrap_or(buf)
    }

    /// Verifies the checksum of the message (see [`verify_checksum`]).
    pub fn verify_checksum(&self, csum: Checksum) -> bool {
        verify_checksum(self.message(), csum)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> VrrpPacket<T> {
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

    /// Sets the version and type nibbles.
    pub fn set_version_kind(&mut self, version: u8, kind: u8) {
        self.set_byte(field::VER_TYPE, (version << 4) | (kind & 0x0f));
    }

    pub fn set_vrid(&mut self, vrid: u8) {
        self.set_byte(field::VRID, vrid);
    }

    pub fn set_priority(&mut self, priority: u8) {
        self.set_byte(field::PRIORITY, priority);
    }

    pub fn set_addr_count(&mut self, count: u8) {
        self.set_byte(field::COUNT, count);
    }

    pub fn set_auth_type(&mut self, auth_type: u8) {
        self.set_byte(field::AUTH_TYPE, auth_type);
    }

    pub fn set_adver_int(&mut self, seconds: u8) {
        self.set_byte(field::ADVER_INT, seconds);
    }

    /// Sets the 12-bit v3 interval; the reserved bits are written as zero.
    pub fn set_max_adver_int(&mut self, centis: u16) {
        self.set_bytes(
            field::MAX_ADVER_INT,
            &(centis & MAX_V3_INTERVAL).to_be_bytes(),
        );
    }

    pub fn set_checksum(&mut self, value: u16) {
        self.set_bytes(field::CHECKSUM, &value.to_be_bytes());
    }

    pub fn set_addr_v4(&mut self, i: usize, addr: Ipv4Addr) {
        self.set_bytes(field::ADDR(i, 4), &addr.octets());
    }

    pub fn set_addr_v6(&mut self, i: usize, addr: Ipv6Addr) {
        self.set_bytes(field::ADDR(i, 16), &addr.octets());
    }

    /// v2: writes the authentication data after `addr_count()` addresses.
    pub fn set_auth_data(&mut self, data: &[u8; 8]) {
        let f = field::AUTH_DATA(usize::from(self.addr_count()), addr_len(self.family));
        self.set_bytes(f, data);
    }

    /// Zeroes the checksum field, then stores the checksum of the message.
    pub fn fill_checksum(&mut self, csum: Checksum) {
        let len = self.expected_len();
        if let Some(msg) = self.buffer.as_mut().get_mut(..len) {
            fill_checksum(msg, csum);
        }
    }
}

// ===== checksum helpers =====

/// The pseudo-header partial sum for a mode and message length; `None` for `Offload`.
///
/// The mode is independent of the version: `Checksum::V2` on a v3 message is the
/// "no pseudo-header" variant some vendors use for v3 (`v3_checksum_as_v2`).
fn pseudo(csum: Checksum, len: usize) -> Option<u16> {
    match csum {
        Checksum::V2 => Some(0),
        // A VRRP message is at most 8 + 255 * 16 + 8 bytes, so the length fits in u16.
        Checksum::V3Ipv4 { src, dst } => Some(checksum::pseudo_header_v4(
            src,
            dst,
            PROTO_VRRP,
            u16::try_from(len).unwrap_or(u16::MAX),
        )),
        Checksum::V3Ipv6 { src, dst } => Some(checksum::pseudo_header_v6(
            src,
            dst,
            PROTO_VRRP,
            u32::try_from(len).unwrap_or(u32::MAX),
        )),
        Checksum::Offload => None,
    }
}

/// Verifies the checksum of a whole VRRP message (docs/keepalived-compat.md#checksums): v2 without a
/// pseudo-header, v3/IPv4 and v3/IPv6 with one. `Offload` always verifies. Under
/// `cfg(fuzzing)` every checksum verifies so the fuzzer reaches the code behind it.
pub fn verify_checksum(message: &[u8], csum: Checksum) -> bool {
    if cfg!(fuzzing) {
        return true;
    }
    match pseudo(csum, message.len()) {
        Some(p) => checksum::verify(p, message),
        None => true,
    }
}

/// Zeroes the checksum field of a whole VRRP message and stores the checksum for `csum`
/// (`Offload` leaves zero for the kernel). Used by `emit` and, for unicast v3/IPv4, to redo
/// one emitted packet for each peer's destination address (docs/keepalived-compat.md#unicast-mode).
/// A message shorter than the header is left untouched.
pub fn fill_checksum(message: &mut [u8], csum: Checksum) {
    if message.len() < field::HEADER_LEN {
        return;
    }
    if let Some(c) = message.get_mut(field::CHECKSUM) {
        c.fill(0);
    }
    if let Some(p) = pseudo(csum, message.len()) {
        let value = checksum::compute(p, message);
        if let Some(c) = message.get_mut(field::CHECKSUM) {
            c.copy_from_slice(&value.to_be_bytes());
        }
    }
}

/// keepalived ≤ 1.3.6 computed the v3/IPv4 unicast checksum with the *multicast group* as
/// pseudo-header destination. keepalived 2.2.7 switches an instance to that scheme when a
/// unicast advert fails the normal check but passes this one (docs/keepalived-compat.md#checksums,
/// "Setting unicast VRRPv3 checksum to old version").
pub fn verifies_as_old_unicast(message: &[u8], src: Ipv4Addr, group: Ipv4Addr) -> bool {
    verify_checksum(message, Checksum::V3Ipv4 { src, dst: group })
}

// ===== impl Checksum =====

impl Checksum {
    /// The checksum keepalived uses for an advert over IPv4 between `src` and `dst`
    /// (docs/keepalived-compat.md#checksums): none for v2, the IPv4 pseudo-header for v3. For a
    /// unicast instance in old-checksum mode pass the multicast group as `dst`.
    pub fn ipv4(version: Version, src: Ipv4Addr, dst: Ipv4Addr) -> Checksum {
        match version {
            Version::V2 => Checksum::V2,
            Version::V3 => Checksum::V3Ipv4 { src, dst },
        }
    }
}

// ===== impl Auth =====

impl Auth {
    /// A PASS authentication from the configured `auth_pass`: keepalived keeps the first 8
    /// bytes and zero-pads shorter passwords.
    pub fn pass_from_str(pass: &str) -> Auth {
        let mut data = [0u8; 8];
        for (d, s) in data.iter_mut().zip(pass.as_bytes()) {
            *d = *s;
        }
        Auth::Pass(data)
    }

    /// True when `self` is PASS with exactly the received 8 bytes. The comparison always
    /// looks at all 8 bytes so its time does not reveal how many matched
    /// (docs/keepalived-compat.md#receive-checks step 6).
    pub fn pass_matches(&self, received: &[u8; 8]) -> bool {
        match self {
            Auth::Pass(ours) => {
                let diff = ours
                    .iter()
                    .zip(received)
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b));
                std::hint::black_box(diff) == 0
            }
            _ => false,
        }
    }

    /// The 8 authentication bytes a v2 message carries for this authentication.
    pub fn data(&self) -> [u8; 8] {
        match self {
            Auth::None | Auth::Ah => [0; 8],
            Auth::Pass(d) | Auth::Unknown(_, d) => *d,
        }
    }

    fn from_wire(auth_type: u8, data: [u8; 8]) -> Auth {
        match auth_type {
            0 => Auth::None,
            1 => Auth::Pass(data),
            2 => Auth::Ah,
            n => Auth::Unknown(n, data),
        }
    }
}

// ===== impl Advert =====

/// Why an [`Advert`] could not be emitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmitError {
    /// The buffer is shorter than [`Advert::buffer_len`]; nothing was written.
    BufferTooSmall { need: usize, got: usize },
    /// More than 255 addresses.
    TooManyAddrs { count: usize },
    /// The interval does not fit: v2 has 8 bits of seconds, v3 12 bits of centiseconds.
    Interval { version: Version, interval: u16 },
    /// The IPv4 total length would exceed 65535.
    TooLong { len: usize },
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmitError::BufferTooSmall { need, got } => {
                write!(f, "buffer of {got} bytes, advert needs {need}")
            }
            EmitError::TooManyAddrs { count } => {
                write!(f, "{count} addresses do not fit in one advert (max 255)")
            }
            EmitError::Interval { version, interval } => {
                write!(f, "interval {interval} does not fit a {version:?} advert")
            }
            EmitError::TooLong { len } => write!(f, "IPv4 packet of {len} bytes is too long"),
        }
    }
}

impl std::error::Error for EmitError {}

impl Advert {
    /// Decodes a whole VRRP message (the IP payload), never panicking.
    ///
    /// Structural checks only, in keepalived's relative order (docs/keepalived-compat.md#receive-checks): too short, version
    /// (2 or 3; v2 only over IPv4), exact length for the count, type 1, checksum per `csum`.
    /// Policy checks against an instance (auth, interval, TTL, VIPs) are in
    /// [`super::validate`]. Auth types other than 0..=2 decode to `Auth::Unknown`.
    pub fn parse(bytes: &[u8], family: Family, csum: Checksum) -> Result<Advert, Error> {
        let len = bytes.len();
        if len < field::HEADER_LEN {
            return Err(Error::TooShort { len });
        }
        let packet = VrrpPacket::new_unchecked(bytes, family);
        let vrid = packet.vrid();
        let version = match (packet.version(), family) {
            (2, Family::V4) => Version::V2,
            (3, _) => Version::V3,
            (version, _) => return Err(Error::Version { vrid, version }),
        };
        let expected = message_len(version, family, usize::from(packet.addr_count()));
        if len != expected {
            return Err(Error::Length {
                vrid,
                len,
                expected,
            });
        }
        if packet.kind() != TYPE_ADVERTISEMENT {
            return Err(Error::Type {
                vrid,
                kind: packet.kind(),
            });
        }
        if !packet.verify_checksum(csum) {
            return Err(Error::Checksum { vrid, version });
        }
        Ok(Self::from_packet(&packet, version))
    }

    /// Builds the repr from a view whose length, version and type were checked.
    pub(crate) fn from_packet<T: AsRef<[u8]>>(packet: &VrrpPacket<T>, version: Version) -> Advert {
        let count = usize::from(packet.addr_count());
        let addrs = match packet.family() {
            Family::V4 => Addrs::V4((0..count).filter_map(|i| packet.addr_v4(i)).collect()),
            Family::V6 => Addrs::V6((0..count).filter_map(|i| packet.addr_v6(i)).collect()),
        };
        let (interval, auth) = match version {
            Version::V2 => (
                u16::from(packet.adver_int()),
                Auth::from_wire(packet.auth_type(), packet.auth_data().unwrap_or([0; 8])),
            ),
            Version::V3 => (packet.max_adver_int(), Auth::None),
        };
        Advert {
            version,
            vrid: packet.vrid(),
            priority: packet.priority(),
            interval,
            auth,
            addrs,
        }
    }

    /// The length of the emitted message (see [`message_len`]).
    pub fn buffer_len(&self) -> usize {
        message_len(self.version, self.addrs.family(), self.addrs.len())
    }

    /// Encodes the advert into the first [`Advert::buffer_len`] bytes of `buf` and returns
    /// that length. The checksum is computed per `csum` (`Offload` leaves zero).
    ///
    /// Never panics. On an error nothing is written: a buffer shorter than `buffer_len()`,
    /// more than 255 addresses, or an interval that does not fit. Bytes of `buf` after
    /// `buffer_len()` are left untouched. For v3, `auth` is ignored; for v2 over IPv4 the 8
    /// authentication bytes are always written (zeros for `None` and `Ah`); v2 over IPv6
    /// (keepalived's extension) has none.
    pub fn emit(&self, buf: &mut [u8], csum: Checksum) -> Result<usize, EmitError> {
        let family = self.addrs.family();
        let count = u8::try_from(self.addrs.len()).map_err(|_| EmitError::TooManyAddrs {
            count: self.addrs.len(),
        })?;
        let interval_fits = match self.version {
            Version::V2 => self.interval <= u16::from(u8::MAX),
            Version::V3 => self.interval <= MAX_V3_INTERVAL,
        };
        if !interval_fits {
            return Err(EmitError::Interval {
                version: self.version,
                interval: self.interval,
            });
        }
        let need = self.buffer_len();
        let got = buf.len();
        let Some(msg) = buf.get_mut(..need) else {
            return Err(EmitError::BufferTooSmall { need, got });
        };

        let mut packet = VrrpPacket::new_unchecked(msg, family);
        let version = match self.version {
            Version::V2 => 2,
            Version::V3 => 3,
        };
        packet.set_version_kind(version, TYPE_ADVERTISEMENT);
        packet.set_vrid(self.vrid);
        packet.set_priority(self.priority);
        packet.set_addr_count(count);
        match self.version {
            Version::V2 => {
                packet.set_auth_type(self.auth.type_number());
                packet.set_adver_int(u8::try_from(self.interval).unwrap_or(u8::MAX));
            }
            Version::V3 => packet.set_max_adver_int(self.interval),
        }
        packet.set_checksum(0);
        match &self.addrs {
            Addrs::V4(list) => {
                for (i, a) in list.iter().enumerate() {
                    packet.set_addr_v4(i, *a);
                }
            }
            Addrs::V6(list) => {
                for (i, a) in list.iter().enumerate() {
                    packet.set_addr_v6(i, *a);
                }
            }
        }
        // keepalived's VRRPv2 over IPv6 carries no authentication data (docs/keepalived-compat.md#advert-packet-layout).
        if self.version == Version::V2 && family == Family::V4 {
            packet.set_auth_data(&self.auth.data());
        }
        packet.fill_checksum(csum);
        Ok(need)
    }

    /// Emits into a new vector of exactly [`Advert::buffer_len`] bytes.
    pub fn to_vec(&self, csum: Checksum) -> Result<Vec<u8>, EmitError> {
        let mut buf = vec![0u8; self.buffer_len()];
        self.emit(&mut buf, csum)?;
        Ok(buf)
    }
}

/// One line, tcpdump-like:
/// `VRRPv2 vrid 55 prio 100 auth simple intvl 1s addrs: 192.168.175.100`.
impl fmt::Display for Advert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = match self.version {
            Version::V2 => 2,
            Version::V3 => 3,
        };
        write!(f, "VRRPv{v} vrid {} prio {}", self.vrid, self.priority)?;
        if self.version == Version::V2 {
            match self.auth {
                Auth::None => write!(f, " auth none")?,
                Auth::Pass(_) => write!(f, " auth simple")?,
                Auth::Ah => write!(f, " auth ah")?,
                Auth::Unknown(n, _) => write!(f, " auth type {n}")?,
            }
        }
        let cs = self.interval_cs();
        if cs % 100 == 0 {
            write!(f, " intvl {}s", cs / 100)?;
        } else if cs % 10 == 0 {
            write!(f, " intvl {}.{}s", cs / 100, (cs % 100) / 10)?;
        } else {
            write!(f, " intvl {}.{:02}s", cs / 100, cs % 100)?;
        }
        write!(f, " addrs:")?;
        for (i, a) in self.addrs.iter().enumerate() {
            let sep = if i == 0 { " " } else { "," };
            write!(f, "{sep}{a}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/keepalived-compat.md#advert-packet-layout: v2, VRID 51, priority 160, two VIPs, PASS "secret12".
    static V2_PASS: [u8; 24] = [
        0x21, 0x33, 0xa0, 0x02, 0x01, 0x01, 0xba, 0xbb, 10, 99, 0, 100, 10, 99, 0, 101, b's', b'e',
        b'c', b'r', b'e', b't', b'1', b'2',
    ];

    fn v2_pass_repr() -> Advert {
        Advert {
            version: Version::V2,
            vrid: 51,
            priority: 160,
            interval: 1,
            auth: Auth::pass_from_str("secret12"),
            addrs: Addrs::V4(vec![
                Ipv4Addr::new(10, 99, 0, 100),
                Ipv4Addr::new(10, 99, 0, 101),
            ]),
        }
    }

    #[test]
    fn v2_deconstruct() {
        let p = VrrpPacket::new_checked(&V2_PASS[..], Family::V4).unwrap();
        assert_eq!(p.version(), 2);
        assert_eq!(p.kind(), 1);
        assert_eq!(p.vrid(), 51);
        assert_eq!(p.priority(), 160);
        assert_eq!(p.addr_count(), 2);
        assert_eq!(p.auth_type(), 1);
        assert_eq!(p.adver_int(), 1);
        assert_eq!(p.checksum(), 0xbabb);
        assert_eq!(p.addr_v4(1), Some(Ipv4Addr::new(10, 99, 0, 101)));
        assert_eq!(p.addr_v4(2), None);
        assert_eq!(p.auth_data(), Some(*b"secret12"));
        assert!(p.verify_checksum(Checksum::V2));
    }

    #[test]
    fn v2_parse_and_emit() {
        let a = Advert::parse(&V2_PASS, Family::V4, Checksum::V2).unwrap();
        assert_eq!(a, v2_pass_repr());
        let mut buf = [0xa5u8; 24];
        assert_eq!(a.emit(&mut buf, Checksum::V2), Ok(24));
        assert_eq!(buf, V2_PASS);
    }

    /// keepalived 2.2.7 capture: v3, VRID 60, 0.5 s, two VIPs, 10.99.0.1 > 224.0.0.18.
    static V3_V4: [u8; 16] = [
        0x31, 0x3c, 0x64, 0x02, 0x00, 0x32, 0x69, 0xf6, 10, 99, 0, 60, 10, 99, 0, 160,
    ];
    const SRC: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 1);
    const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
    const V3_CSUM: Checksum = Checksum::V3Ipv4 {
        src: SRC,
        dst: GROUP,
    };

    fn v3_repr() -> Advert {
        Advert {
            version: Version::V3,
            vrid: 60,
            priority: 100,
            interval: 50,
            auth: Auth::None,
            addrs: Addrs::V4(vec![
                Ipv4Addr::new(10, 99, 0, 60),
                Ipv4Addr::new(10, 99, 0, 160),
            ]),
        }
    }

    fn v6_repr() -> Advert {
        Advert {
            version: Version::V3,
            vrid: 61,
            priority: 254,
            interval: 4095,
            auth: Auth::None,
            addrs: Addrs::V6(vec![
                "fe80::61".parse().unwrap(),
                "2001:db8::61".parse().unwrap(),
            ]),
        }
    }

    #[test]
    fn v3_deconstruct() {
        let p = VrrpPacket::new_checked(&V3_V4[..], Family::V4).unwrap();
        assert_eq!(
            (p.version(), p.kind(), p.vrid(), p.priority()),
            (3, 1, 60, 100)
        );
        assert_eq!(p.addr_count(), 2);
        assert_eq!(p.max_adver_int(), 50);
        assert_eq!(p.checksum(), 0x69f6);
        assert_eq!(p.addr_v4(0), Some(Ipv4Addr::new(10, 99, 0, 60)));
        assert_eq!(p.addr_v6(0), None, "family mismatch");
        assert_eq!(p.auth_data(), None, "no auth data in v3");
        assert!(p.verify_checksum(V3_CSUM));
        assert!(!p.verify_checksum(Checksum::V2));
    }

    #[test]
    fn v3_construct() {
        let mut buf = [0xa5u8; 16];
        let mut p = VrrpPacket::new_unchecked(&mut buf[..], Family::V4);
        p.set_version_kind(3, 1);
        p.set_vrid(60);
        p.set_priority(100);
        p.set_addr_count(2);
        p.set_max_adver_int(50);
        p.set_addr_v4(0, Ipv4Addr::new(10, 99, 0, 60));
        p.set_addr_v4(1, Ipv4Addr::new(10, 99, 0, 160));
        p.fill_checksum(V3_CSUM);
        assert_eq!(buf, V3_V4);
    }

    #[test]
    fn v2_construct() {
        let mut buf = [0xa5u8; 24];
        let mut p = VrrpPacket::new_unchecked(&mut buf[..], Family::V4);
        p.set_version_kind(2, 1);
        p.set_vrid(51);
        p.set_priority(160);
        p.set_addr_count(2);
        p.set_auth_type(1);
        p.set_adver_int(1);
        p.set_addr_v4(0, Ipv4Addr::new(10, 99, 0, 100));
        p.set_addr_v4(1, Ipv4Addr::new(10, 99, 0, 101));
        p.set_auth_data(b"secret12");
        p.fill_checksum(Checksum::V2);
        assert_eq!(buf, V2_PASS);
    }

    #[test]
    fn v3_parse_and_emit() {
        assert_eq!(Advert::parse(&V3_V4, Family::V4, V3_CSUM), Ok(v3_repr()));
        let mut buf = [0xa5u8; 20];
        assert_eq!(v3_repr().emit(&mut buf, V3_CSUM), Ok(16));
        assert_eq!(&buf[..16], &V3_V4);
        assert_eq!(&buf[16..], &[0xa5; 4], "bytes after buffer_len() untouched");
    }

    #[test]
    fn v3_reserved_bits_ignored_on_receipt() {
        let mut b = V3_V4;
        b[4] |= 0xf0;
        let a = Advert::parse(&b, Family::V4, Checksum::Offload).unwrap();
        assert_eq!(a.interval, 50);
    }

    #[test]
    fn v6_round_trip_with_pseudo_header() {
        let csum = Checksum::V3Ipv6 {
            src: "fe80::1".parse().unwrap(),
            dst: "ff02::12".parse().unwrap(),
        };
        let a = v6_repr();
        assert_eq!(a.buffer_len(), 8 + 32);
        let bytes = a.to_vec(csum).unwrap();
        assert_eq!(Advert::parse(&bytes, Family::V6, csum), Ok(a.clone()));
        assert_eq!(
            Advert::parse(&bytes, Family::V6, Checksum::V2),
            Err(Error::Checksum {
                vrid: 61,
                version: Version::V3
            })
        );
        let off = a.to_vec(Checksum::Offload).unwrap();
        assert_eq!(
            &off[6..8],
            &[0, 0],
            "offload leaves the checksum to the kernel"
        );
    }

    #[test]
    fn parse_errors() {
        let c = Checksum::Offload;
        assert_eq!(
            Advert::parse(&V3_V4[..7], Family::V4, c),
            Err(Error::TooShort { len: 7 })
        );
        let mut b = V3_V4;
        b[0] = 0x41;
        assert_eq!(
            Advert::parse(&b, Family::V4, c),
            Err(Error::Version {
                vrid: 60,
                version: 4
            })
        );
        assert_eq!(
            Advert::parse(&V2_PASS, Family::V6, c),
            Err(Error::Version {
                vrid: 51,
                version: 2
            }),
            "VRRPv2 is IPv4 only"
        );
        assert_eq!(
            Advert::parse(&V3_V4[..15], Family::V4, c),
            Err(Error::Length {
                vrid: 60,
                len: 15,
                expected: 16
            })
        );
        assert_eq!(
            Advert::parse(&V3_V4, Family::V6, c),
            Err(Error::Length {
                vrid: 60,
                len: 16,
                expected: 40
            })
        );
        let mut b = V3_V4;
        b[0] = 0x32;
        assert_eq!(
            Advert::parse(&b, Family::V4, c),
            Err(Error::Type { vrid: 60, kind: 2 })
        );
        let mut b = V3_V4;
        b[2] = 99;
        assert_eq!(
            Advert::parse(&b, Family::V4, V3_CSUM),
            Err(Error::Checksum {
                vrid: 60,
                version: Version::V3
            })
        );
    }

    #[test]
    fn check_len_errors() {
        assert_eq!(
            VrrpPacket::new_checked(&V2_PASS[..5], Family::V4).err(),
            Some(Error::TooShort { len: 5 })
        );
        assert_eq!(
            VrrpPacket::new_checked(&V2_PASS[..23], Family::V4).err(),
            Some(Error::Length {
                vrid: 51,
                len: 23,
                expected: 24
            })
        );
    }

    #[test]
    fn emit_errors_write_nothing() {
        let mut buf = [0xa5u8; 15];
        assert_eq!(
            v3_repr().emit(&mut buf, V3_CSUM),
            Err(EmitError::BufferTooSmall { need: 16, got: 15 })
        );
        assert_eq!(buf, [0xa5; 15]);
        let mut a = v3_repr();
        a.interval = 4096;
        assert!(matches!(a.to_vec(V3_CSUM), Err(EmitError::Interval { .. })));
        let mut a = v2_pass_repr();
        a.interval = 256;
        assert!(matches!(
            a.to_vec(Checksum::V2),
            Err(EmitError::Interval { .. })
        ));
        let mut a = v3_repr();
        a.addrs = Addrs::V4(vec![Ipv4Addr::LOCALHOST; 256]);
        assert_eq!(
            a.to_vec(V3_CSUM),
            Err(EmitError::TooManyAddrs { count: 256 })
        );
    }

    /// keepalived 2.2.7's `version 2` over IPv6: the v2 header (auth type, interval in
    /// seconds), the IPv6 addresses, no authentication data; the IPv6 pseudo-header checksum.
    #[test]
    fn v2_over_ipv6_is_the_v2_header_and_the_addresses_only() {
        let mut a = v6_repr();
        a.version = Version::V2;
        a.interval = 1;
        let src: Ipv6Addr = "fe80::1".parse().unwrap();
        let dst: Ipv6Addr = "ff02::12".parse().unwrap();
        let b = a.to_vec(Checksum::V3Ipv6 { src, dst }).unwrap();
        assert_eq!(b.len(), 8 + 2 * 16);
        assert_eq!(b[..6], [0x21, 61, 254, 2, 0, 1]);
        assert_eq!(b[8..24], "fe80::61".parse::<Ipv6Addr>().unwrap().octets());
        let p = VrrpPacket::new_checked(&b[..], Family::V6).unwrap();
        assert!(p.verify_checksum(Checksum::V3Ipv6 { src, dst }));
        assert_eq!(Advert::from_packet(&p, Version::V2), a);
    }

    #[test]
    fn v2_no_auth_sends_eight_zero_bytes() {
        let mut a = v2_pass_repr();
        a.auth = Auth::None;
        let b = a.to_vec(Checksum::V2).unwrap();
        assert_eq!(b.len(), 24);
        assert_eq!(&b[16..], &[0; 8]);
        assert_eq!(b[4], 0);
        a.auth = Auth::Ah;
        let b = a.to_vec(Checksum::V2).unwrap();
        assert_eq!((b[4], &b[16..]), (2, &[0u8; 8][..]));
        assert_eq!(
            Advert::parse(&b, Family::V4, Checksum::V2).unwrap().auth,
            Auth::Ah
        );
        a.auth = Auth::Unknown(7, *b"abcdefgh");
        let b = a.to_vec(Checksum::V2).unwrap();
        assert_eq!(
            Advert::parse(&b, Family::V4, Checksum::V2).unwrap().auth,
            a.auth
        );
    }

    #[test]
    fn pass_from_str_truncates_and_pads() {
        assert_eq!(Auth::pass_from_str("1234"), Auth::Pass(*b"1234\0\0\0\0"));
        assert_eq!(Auth::pass_from_str("secret12345"), Auth::Pass(*b"secret12"));
        assert_eq!(Auth::pass_from_str(""), Auth::Pass([0; 8]));
        let p = Auth::pass_from_str("secret12");
        assert!(p.pass_matches(b"secret12"));
        assert!(!p.pass_matches(b"secret13"));
        assert!(!p.pass_matches(b"Secret12"));
        assert!(!Auth::None.pass_matches(&[0; 8]));
    }

    #[test]
    fn old_unicast_checksum_helpers() {
        let peer = Ipv4Addr::new(10, 99, 0, 2);
        let mut b = v3_repr().to_vec(V3_CSUM).unwrap();
        assert!(verifies_as_old_unicast(&b, SRC, GROUP));
        // Per-peer rewrite of one emitted packet.
        fill_checksum(
            &mut b,
            Checksum::V3Ipv4 {
                src: SRC,
                dst: peer,
            },
        );
        assert!(!verifies_as_old_unicast(&b, SRC, GROUP));
        assert!(verify_checksum(
            &b,
            Checksum::V3Ipv4 {
                src: SRC,
                dst: peer
            }
        ));
        assert_eq!(
            b,
            v3_repr()
                .to_vec(Checksum::V3Ipv4 {
                    src: SRC,
                    dst: peer
                })
                .unwrap()
        );
        let mut short = [1u8, 2, 3];
        fill_checksum(&mut short, Checksum::V2);
        assert_eq!(short, [1, 2, 3]);
    }

    #[test]
    fn display_v3_and_ipv6() {
        assert_eq!(
            v3_repr().to_string(),
            "VRRPv3 vrid 60 prio 100 intvl 0.5s addrs: 10.99.0.60,10.99.0.160"
        );
        assert_eq!(
            v6_repr().to_string(),
            "VRRPv3 vrid 61 prio 254 intvl 40.95s addrs: fe80::61,2001:db8::61"
        );
    }

    #[test]
    fn display() {
        assert_eq!(
            v2_pass_repr().to_string(),
            "VRRPv2 vrid 51 prio 160 auth simple intvl 1s addrs: 10.99.0.100,10.99.0.101"
        );
    }
}
