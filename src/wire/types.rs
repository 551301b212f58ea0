//! The typed VRRP advert and the decode error, shared by `wire` and `proto`.
//!
//! These names are the contract between the codec and the state machine; the codec
//! (`vrrp.rs`, `checksum.rs`, `ip.rs`) implements parse/emit for them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// VRRP protocol version (high nibble of the first byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// RFC 3768: IPv4 only, interval in seconds, 8 bytes of authentication data.
    V2,
    /// RFC 5798: IPv4 or IPv6, interval in centiseconds, no authentication.
    V3,
}

impl Version {
    /// The version number as written in the configuration and on the wire (2 or 3).
    pub fn number(self) -> u8 {
        match self {
            Version::V2 => 2,
            Version::V3 => 3,
        }
    }
}

/// Address family of an advert or an instance (decides the size of each address, the
/// checksum, the multicast group). The one family type: the configuration uses it too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn of(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    /// `IPv4` / `IPv6`, as diagnostics and logs name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }

    /// The longest prefix length of an address of this family.
    pub fn max_prefix(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }
}

/// VRRPv2 authentication (RFC 3768 §5.3.6). VRRPv3 has none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Auth {
    /// Type 0. keepalived still sends 8 zero bytes of auth data in v2/IPv4.
    None,
    /// Type 1: simple text password, zero padded to 8 bytes.
    Pass([u8; 8]),
    /// Type 2: IPsec AH (`wire::ah`). The key travels separately: received adverts carry none.
    Ah,
    /// Any other type number, with the 8 data bytes as received.
    Unknown(u8, [u8; 8]),
}

impl Auth {
    /// The wire number of this authentication type.
    pub fn type_number(&self) -> u8 {
        match self {
            Auth::None => 0,
            Auth::Pass(_) => 1,
            Auth::Ah => 2,
            Auth::Unknown(n, _) => *n,
        }
    }
}

/// The virtual addresses carried in an advert.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Addrs {
    V4(Vec<Ipv4Addr>),
    V6(Vec<Ipv6Addr>),
}

impl Addrs {
    pub fn len(&self) -> usize {
        match self {
            Addrs::V4(v) => v.len(),
            Addrs::V6(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn family(&self) -> Family {
        match self {
            Addrs::V4(_) => Family::V4,
            Addrs::V6(_) => Family::V6,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = IpAddr> + '_ {
        let (a, b) = match self {
            Addrs::V4(v) => (Some(v.iter().map(|a| IpAddr::V4(*a))), None),
            Addrs::V6(v) => (None, Some(v.iter().map(|a| IpAddr::V6(*a)))),
        };
        a.into_iter().flatten().chain(b.into_iter().flatten())
    }
}

/// A VRRP advertisement (type 1), v2 or v3.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Advert {
    pub version: Version,
    pub vrid: u8,
    /// Priority as sent: 0 = the master is resigning, 255 = address owner.
    pub priority: u8,
    /// The advert interval exactly as on the wire: whole **seconds** for v2 (8 bits),
    /// **centiseconds** for v3 (12 bits). Use [`Advert::interval_cs`] to compare.
    pub interval: u16,
    /// v2 only; `Auth::None` for v3.
    pub auth: Auth,
    pub addrs: Addrs,
}

impl Advert {
    /// The advert interval in centiseconds whatever the version.
    pub fn interval_cs(&self) -> u32 {
        match self.version {
            Version::V2 => u32::from(self.interval) * 100,
            Version::V3 => u32::from(self.interval),
        }
    }
}

/// How the checksum of an advert is computed (docs/keepalived-compat.md#checksums).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checksum {
    /// VRRPv2: Internet checksum over the VRRP message only. On a v3 message this is the
    /// "no pseudo-header" variant some vendors use (newer keepalived's `v3_checksum_as_v2`).
    V2,
    /// VRRPv3 over IPv4: with the IPv4 pseudo-header (src, dst, 0, 112, length).
    /// keepalived <= 1.3.6 used the multicast group as `dst` even for unicast: pass the
    /// group here to compute or verify that old variant.
    V3Ipv4 { src: Ipv4Addr, dst: Ipv4Addr },
    /// VRRPv3 over IPv6 with the IPv6 pseudo-header (the kernel offloads it on real sockets,
    /// but the codec can compute it for tests and captures).
    V3Ipv6 { src: Ipv6Addr, dst: Ipv6Addr },
    /// Do not compute or verify (offloaded to the kernel).
    Offload,
}

/// Why a received packet was dropped. One variant per RFC 6527 / keepalived counter
/// (docs/keepalived-compat.md#receive-checks), carrying the VRID when it was readable so the error can be
/// charged to the right instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// Shorter than an IP header plus the 8-byte VRRP header ("packet too short").
    TooShort { len: usize },
    /// IPv4 header malformed (version not 4, IHL < 5, protocol neither 112 nor 51); no VRID
    /// can be trusted.
    BadIpHeader,
    /// The IPv4 header length (IHL × 4) runs past the received datagram; the VRID is read
    /// where a 20-byte header would put the VRRP header (`packet_len_err`).
    IpHeaderLength {
        vrid: u8,
        header_len: usize,
        len: usize,
    },
    /// Length does not match the address count (`packet_len_err`).
    Length {
        vrid: u8,
        len: usize,
        expected: usize,
    },
    /// IP total length does not match what was received (`packet_len_err`).
    IpTotalLength {
        vrid: u8,
        total: usize,
        received: usize,
    },
    /// TTL / hop limit not 255 on a multicast advert (`ip_ttl_err`).
    Ttl { vrid: u8, ttl: u8 },
    /// Version nibble is neither 2 nor 3, or not the instance's version.
    Version { vrid: u8, version: u8 },
    /// Type is not 1 (advertisement) (`invalid_type_rcvd`).
    Type { vrid: u8, kind: u8 },
    /// Bad checksum.
    Checksum { vrid: u8, version: Version },
    /// v2 authentication type outside 0..=2 (`invalid_authtype`).
    AuthType { vrid: u8, auth_type: u8 },
    /// v2 authentication type differs from ours (`authtype_mismatch`).
    AuthTypeMismatch {
        vrid: u8,
        received: u8,
        expected: u8,
    },
    /// Check 2: an AH header arrived for an instance without `auth_type AH` (`has_ah`), or
    /// none for one with it (`authtype_mismatch`).
    AhPresence { vrid: u8, has_ah: bool },
    /// The AH header protects another protocol than VRRP: dropped without a log line or a
    /// counter, as keepalived does.
    AhNextHeader { vrid: u8 },
    /// The AH ICV does not verify: wrong key or a changed field (`auth_failure`).
    AhIcv { vrid: u8 },
    /// The AH SPI is not the source address (`auth_failure`). Both are the wire bytes.
    AhSpi {
        vrid: u8,
        src: [u8; 4],
        spi: [u8; 4],
    },
    /// The AH sequence number is not above the last one seen or sent: a replay
    /// (`auth_failure`).
    AhReplay { vrid: u8, seq: u32, local: u32 },
    /// PASS password mismatch (`auth_failure`).
    AuthFailure { vrid: u8 },
    /// v2 advert interval differs from ours (dropped, no counter in keepalived 2.2.7).
    Interval {
        vrid: u8,
        received: u16,
        expected: u16,
    },
    /// Address count or list differs from ours (`addr_list_err`).
    AddrCount {
        vrid: u8,
        received: usize,
        expected: usize,
    },
    /// One of our VIPs is missing from the advert (`addr_list_err`).
    AddrMissing { vrid: u8, addr: IpAddr },
    /// Multicast expected but unicast received, or the reverse (`addr_list_err`).
    DestinationKind { vrid: u8, expected_multicast: bool },
    /// Unicast source not a configured peer.
    NotAPeer { vrid: u8, src: IpAddr },
    /// Unicast TTL outside `min_ttl..=max_ttl` (`ip_ttl_err`).
    TtlRange { vrid: u8, ttl: u8, min: u8, max: u8 },
}

impl Error {
    /// The VRID of the packet, when it was readable.
    pub fn vrid(&self) -> Option<u8> {
        match *self {
            Error::TooShort { .. } | Error::BadIpHeader => None,
            Error::Length { vrid, .. }
            | Error::IpHeaderLength { vrid, .. }
            | Error::IpTotalLength { vrid, .. }
            | Error::Ttl { vrid, .. }
            | Error::Version { vrid, .. }
            | Error::Type { vrid, .. }
            | Error::Checksum { vrid, .. }
            | Error::AuthType { vrid, .. }
            | Error::AuthTypeMismatch { vrid, .. }
            | Error::AuthFailure { vrid }
            | Error::AhPresence { vrid, .. }
            | Error::AhNextHeader { vrid }
            | Error::AhIcv { vrid }
            | Error::AhSpi { vrid, .. }
            | Error::AhReplay { vrid, .. }
            | Error::Interval { vrid, .. }
            | Error::AddrCount { vrid, .. }
            | Error::AddrMissing { vrid, .. }
            | Error::DestinationKind { vrid, .. }
            | Error::NotAPeer { vrid, .. }
            | Error::TtlRange { vrid, .. } => Some(vrid),
        }
    }
}

impl Error {
    /// keepalived logs this one without the `(VI) ` prefix.
    pub fn logged_bare(&self) -> bool {
        matches!(self, Error::AhSpi { .. })
    }

    /// keepalived drops this one without a log line.
    pub fn silent(&self) -> bool {
        matches!(self, Error::AhNextHeader { .. })
    }
}

/// keepalived's log wording for each check (docs/keepalived-compat.md#receive-checks), without the
/// `(VI) ` prefix, which the caller adds with the instance name.
impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::TooShort { len } => write!(f, "VRRP packet too short - {len} bytes"),
            Error::BadIpHeader => write!(f, "malformed IPv4 header"),
            Error::Length { len, expected, .. } => {
                let how = if len > expected { "long" } else { "short" };
                write!(
                    f,
                    "vrrp packet too {how}, length {len} and expect {expected}"
                )
            }
            Error::IpHeaderLength {
                header_len, len, ..
            } => write!(
                f,
                "ip header length {header_len} beyond received length {len}"
            ),
            Error::IpTotalLength {
                total, received, ..
            } => write!(
                f,
                "ip_tot_len mismatch against received length. {total} and received {received}"
            ),
            Error::Ttl { ttl, .. } => {
                write!(f, "invalid TTL/HL. Received {ttl} and expect 255")
            }
            Error::Version { version, .. } => write!(f, "wrong version. Received {version}"),
            Error::Type { kind, .. } => {
                write!(f, "Invalid packet type. {kind} and expect 1")
            }
            Error::Checksum { version, .. } => {
                write!(f, "Invalid VRRPv{} checksum", version.number())
            }
            Error::AuthType { auth_type, .. } => write!(f, "Invalid auth type: {auth_type}"),
            Error::AuthTypeMismatch {
                received, expected, ..
            } => write!(f, "received a {received} auth, expecting {expected}!"),
            Error::AhPresence { has_ah: true, .. } => {
                write!(f, "Received AH header but auth type not AH")
            }
            Error::AhPresence { has_ah: false, .. } => {
                write!(f, "No AH header but auth type is AH")
            }
            Error::AhNextHeader { .. } => write!(f, "AH header for another protocol"),
            Error::AhIcv { .. } => write!(
                f,
                "IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !"
            ),
            // keepalived prints both addresses as the host-order reading of the network-order
            // bytes, source first, and without the instance name (Error::logged_bare).
            Error::AhSpi { src, spi, .. } => write!(
                f,
                "IPSEC AH : invalid IPSEC SPI value. {} and expect {}",
                u32::from_ne_bytes(*src),
                u32::from_ne_bytes(*spi)
            ),
            Error::AhReplay { seq, local, .. } => write!(
                f,
                "IPSEC-AH : sequence number {seq} already processed. Packet dropped. Local({local})"
            ),
            Error::AuthFailure { .. } => write!(f, "received an invalid passwd!"),
            Error::Interval {
                received, expected, ..
            } => write!(
                f,
                "advertisement interval mismatch mine={expected} sec rcv'd={received} sec"
            ),
            Error::AddrCount {
                received, expected, ..
            } => write!(
                f,
                "received an unexpected ip number count {received}, expected {expected}!"
            ),
            Error::AddrMissing { vrid, addr } => write!(
                f,
                "ip address associated with VRID {vrid} not present in MASTER advert: {addr}"
            ),
            Error::DestinationKind {
                expected_multicast: true,
                ..
            } => write!(f, "Expected multicast packet but received unicast packet"),
            Error::DestinationKind {
                expected_multicast: false,
                ..
            } => write!(f, "Expected unicast packet but received multicast packet"),
            Error::NotAPeer { src, .. } => {
                write!(f, "unicast source address {src} not a unicast peer")
            }
            Error::TtlRange { ttl, min, max, .. } => {
                write!(f, "TTL/HL {ttl} not in range {min} - {max}")
            }
        }
    }
}

impl std::error::Error for Error {}
