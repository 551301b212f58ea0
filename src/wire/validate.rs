//! Receive-side checks of keepalived's `vrrp_check_packet`, in keepalived's order
//! (docs/keepalived-compat.md#receive-checks), on what a raw socket delivers: the whole IPv4 packet, or
//! for IPv6 the VRRP message plus the addresses and hop limit from ancillary data.
//!
//! The daemon's receive path runs exactly these: the core finds the instance by VRID and
//! calls [`check_ipv4`] / [`check_ipv6`] with that instance's [`Expect`]. They split the
//! datagram (`recv.rs`: check 1 and the IPv4 header), check AH presence (2) and hand the VRRP
//! message to [`check_message`] (3–12, including the IPv4 total length, 10). Replayed and
//! simulated inputs that carry a bare message go to [`check_message`] directly. The caller
//! then counts `advert_rcvd` (step 13) and runs the later checks, which are separate
//! functions because they happen after that counter: [`check_vips`] (14),
//! [`check_unicast_peer`] and [`check_ttl_range`] (15). Each failure is the [`Error`] variant
//! of the counter keepalived increments.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::ah::{self, AhKey, AhReject, SeqCounter, AH_LEN};
use super::consts::ADVERT_TTL;
use super::recv::{parse_ipv4_datagram, parse_ipv6_datagram};
use super::types::{Advert, Auth, Checksum, Error, Family, Version};
use super::vrrp::{
    message_len, verifies_as_old_unicast, verify_checksum, VrrpPacket, TYPE_ADVERTISEMENT,
};

/// How a unicast VRRPv3/IPv4 instance computes its checksum (docs/keepalived-compat.md#checksums).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum UnicastChecksum {
    /// Pseudo-header with the real destination; switch to `Old` if a peer is seen using it
    /// (keepalived 2.2.7's default).
    #[default]
    Detect,
    /// keepalived ≤ 1.3.6: the multicast group as pseudo-header destination
    /// (`old_unicast_checksum`).
    Old,
    /// Pseudo-header with the real destination, no detection (`old_unicast_checksum never`).
    Never,
}

/// What an instance expects of a received advert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expect {
    pub version: Version,
    /// Our v2 authentication (`Auth::None` for v3).
    pub auth: Auth,
    /// Our advert interval as on the wire: v2 seconds (checked), v3 centiseconds (not
    /// checked, RFC 5798 lets the backup learn it).
    pub interval: u16,
    /// `Some(number of VIPs)` when VIP checking applies (always for a master; for a backup
    /// unless `skip_check_adv_addr` and the sender is the last master): step 9.
    pub vip_count: Option<usize>,
    /// Multicast instance (no `unicast_peer`): TTL 255 required and the destination must be
    /// multicast; unicast instance: the destination must be unicast.
    pub multicast: bool,
    /// `vrrp_mcast_group4`, used for the old unicast checksum.
    pub group_v4: Ipv4Addr,
    pub unicast_checksum: UnicastChecksum,
}

/// A received advert that passed steps 1–12, with the IP fields the later steps and the
/// state machine need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedAdvert {
    pub advert: Advert,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// TTL (IPv4) or hop limit (IPv6).
    pub ttl: u8,
    /// The advert only verified with keepalived ≤ 1.3.6's unicast checksum: the instance
    /// should log `(VI) Setting unicast VRRPv3 checksum to old version` and switch to
    /// [`UnicastChecksum::Old`] for sending and receiving (docs/keepalived-compat.md#checksums).
    pub old_unicast_checksum: bool,
    /// The AH sequence number, when the advert came with a verified AH header.
    pub ah_seq: Option<u32>,
}

/// What an `auth_type AH` instance verifies a received AH header with, and the sequence
/// counter the check moves (docs/keepalived-compat.md#ipsec-ah).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AhCheck {
    pub key: AhKey,
    pub counter: SeqCounter,
}

/// The whole datagram and its IPv4 header length, for the AH check inside [`check_message`]'s
/// steps.
struct AhInput<'a, 'b> {
    packet: &'a [u8],
    ip_header_len: usize,
    check: &'b mut AhCheck,
}

fn byte(buf: &[u8], i: usize) -> u8 {
    buf.get(i).copied().unwrap_or(0)
}

fn family_of(addr: IpAddr) -> Family {
    match addr {
        IpAddr::V4(_) => Family::V4,
        IpAddr::V6(_) => Family::V6,
    }
}

/// The IP-level facts the message-level checks ([`check_message`]) need besides the VRRP
/// message itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Envelope {
    pub src: IpAddr,
    /// The destination; its family is the family of the message.
    pub dst: IpAddr,
    /// TTL (IPv4) or hop limit (IPv6).
    pub ttl: u8,
    /// Bytes in front of the VRRP message (IPv4 header and AH): keepalived reports whole
    /// packet lengths in checks 3 and 10. 0 when only the message is at hand.
    pub header_len: usize,
    /// The IPv4 total-length field, compared at step 10; `None` for IPv6 or when the caller
    /// has already checked it.
    pub total_len: Option<usize>,
}

/// Steps 1–12 of docs/keepalived-compat.md#receive-checks on a whole received IPv4 packet: the IP
/// header (1, 2) here, the rest in [`check_message`].
/// Without an AH key, so an `auth_type AH` instance refuses every advert
/// ([`check_ipv4_ah`] is the one with the key).
pub fn check_ipv4(packet: &[u8], expect: &Expect) -> Result<CheckedAdvert, Error> {
    check_ipv4_ah(packet, expect, None)
}

/// [`check_ipv4`] for an instance that may use `auth_type AH`: `ah` holds its key and
/// sequence counter. As in keepalived, the counter moves up as soon as the AH header verified
/// (step 6), even when a later step then drops the advert.
pub fn check_ipv4_ah(
    packet: &[u8],
    expect: &Expect,
    ah: Option<&mut AhCheck>,
) -> Result<CheckedAdvert, Error> {
    let datagram = parse_ipv4_datagram(packet)?;
    let vrrp_bytes = datagram.message;

    // 2. AH presence must match auth_type AH ("Received AH header but auth type not AH" /
    //    "No AH header but auth type is AH"), authtype_mismatch.
    let has_ah = datagram.has_ah();
    let want_ah = expect.auth == Auth::Ah;
    if has_ah != want_ah {
        return Err(Error::AhPresence {
            vrid: byte(vrrp_bytes, 1),
            has_ah,
        });
    }
    let ah = match ah {
        Some(check) if has_ah => Some(AhInput {
            packet,
            ip_header_len: datagram.envelope.header_len.saturating_sub(AH_LEN),
            check,
        }),
        _ => None,
    };
    check_steps(vrrp_bytes, &datagram.envelope, expect, ah)
}

/// Steps 1–12 for IPv6, where the socket delivers only the VRRP message: `hop_limit`, `src`
/// and `dst` come from ancillary data. The checksum (step 11) is verified here with the IPv6
/// pseudo-header, where keepalived has the kernel verify it (`IPV6_CHECKSUM`), so that a bad
/// one is counted rather than dropped unseen.
pub fn check_ipv6(
    message: &[u8],
    src: Ipv6Addr,
    dst: Ipv6Addr,
    hop_limit: u8,
    expect: &Expect,
) -> Result<CheckedAdvert, Error> {
    // 1. Too short for the VRRP header.
    let datagram = parse_ipv6_datagram(message, src, dst, hop_limit)?;
    // 2. There is no AH over IPv6; an instance configured with it cannot match.
    if expect.auth == Auth::Ah {
        return Err(Error::AhPresence {
            vrid: byte(message, 1),
            has_ah: false,
        });
    }
    check_message(message, &datagram.envelope, expect)
}

/// Steps 3–12 of docs/keepalived-compat.md#receive-checks on a VRRP message (the IP payload after any
/// AH header): the single implementation of these checks, used by [`check_ipv4`],
/// [`check_ipv6`] and by the protocol core for inputs that carry a bare message. The family
/// is the destination's. Never panics: header fields of a short message read as zero and
/// fail the length check. A bare message has no AH header, so an `auth_type AH` instance
/// refuses it ("No AH header but auth type is AH").
pub fn check_message(
    message: &[u8],
    env: &Envelope,
    expect: &Expect,
) -> Result<CheckedAdvert, Error> {
    check_steps(message, env, expect, None)
}

fn check_steps(
    message: &[u8],
    env: &Envelope,
    expect: &Expect,
    ah: Option<AhInput>,
) -> Result<CheckedAdvert, Error> {
    let family = family_of(env.dst);
    let vrrp = VrrpPacket::new_unchecked(message, family);
    let vrid = byte(message, 1);

    // 3. Exact length: (IP header + AH +) 8 + naddr × 4|16 (+ 8 auth for v2/IPv4),
    //    packet_len_err. keepalived 2.2.7 sizes the auth data by the RECEIVED version nibble
    //    (observed in the namespace lab: a v3 advert to a v2 instance logs "wrong version.
    //    Received 3 and expect 2", not a length error), so a version mismatch reaches check 5;
    //    VRRP over IPv6 is always v3 (RFC 5798).
    let sized_as = match (family, vrrp.version()) {
        (Family::V4, 2) => Version::V2,
        _ => Version::V3,
    };
    let expected = message_len(sized_as, family, usize::from(vrrp.addr_count()));
    if message.len() != expected {
        return Err(Error::Length {
            vrid,
            len: env.header_len + message.len(),
            expected: env.header_len + expected,
        });
    }

    // 4. Multicast instance only: TTL / hop limit must be 255, ip_ttl_err.
    if expect.multicast && env.ttl != ADVERT_TTL {
        return Err(Error::Ttl { vrid, ttl: env.ttl });
    }

    // 5. Version must equal the instance's ("wrong version"). keepalived 2.2.7 also runs
    //    `version 2` over IPv6 (docs/keepalived-compat.md#advert-packet-layout): a v2 header,
    //    the IPv6 addresses, no authentication data.
    let version = match (vrrp.version(), expect.version) {
        (2, Version::V2) => Version::V2,
        (3, Version::V3) => Version::V3,
        (version, _) => return Err(Error::Version { vrid, version }),
    };
    // AH authenticates VRRPv2 only (RFC 5798 has no authentication; keepalived ignores
    // auth_type for v3): an AH expectation with another version must accept nothing the AH
    // check below did not verify (found by the wire_vrrp fuzz target).
    if expect.auth == Auth::Ah && version != Version::V2 {
        return Err(Error::AuthTypeMismatch {
            vrid,
            received: 0,
            expected: expect.auth.type_number(),
        });
    }

    // 6. v2 authentication: type 0..=2 (invalid_authtype), equal to ours
    //    (authtype_mismatch), PASS compared in constant time (auth_failure), AH header
    //    verified (auth_failure; wire::ah).
    let mut ah_seq = None;
    if version == Version::V2 {
        let auth_type = vrrp.auth_type();
        if auth_type > 2 {
            return Err(Error::AuthType { vrid, auth_type });
        }
        if auth_type != expect.auth.type_number() {
            return Err(Error::AuthTypeMismatch {
                vrid,
                received: auth_type,
                expected: expect.auth.type_number(),
            });
        }
        match expect.auth {
            Auth::Pass(_) => {
                let data = vrrp.auth_data().unwrap_or([0; 8]);
                if !expect.auth.pass_matches(&data) {
                    return Err(Error::AuthFailure { vrid });
                }
            }
            Auth::Ah => {
                let Some(input) = ah else {
                    return Err(Error::AhPresence {
                        vrid,
                        has_ah: false,
                    });
                };
                // keepalived zeroes the TTL in the ICV for unicast instances only.
                let seq = ah::verify(
                    input.packet,
                    input.ip_header_len,
                    &input.check.key,
                    !expect.multicast,
                    &mut input.check.counter,
                )
                .map_err(|e| match e {
                    AhReject::NextHeader => Error::AhNextHeader { vrid },
                    AhReject::Icv => Error::AhIcv { vrid },
                    AhReject::Spi { src, spi } => Error::AhSpi { vrid, src, spi },
                    AhReject::Replay { seq, local } => Error::AhReplay { vrid, seq, local },
                })?;
                ah_seq = Some(seq);
            }
            Auth::None | Auth::Unknown(..) => {}
        }

        // 7. v2 only: the interval must equal ours (dropped, no counter).
        if u16::from(vrrp.adver_int()) != expect.interval {
            return Err(Error::Interval {
                vrid,
                received: u16::from(vrrp.adver_int()),
                expected: expect.interval,
            });
        }
    }

    // 8. Type 1, invalid_type_rcvd.
    if vrrp.kind() != TYPE_ADVERTISEMENT {
        return Err(Error::Type {
            vrid,
            kind: vrrp.kind(),
        });
    }

    // 9. Address count when VIP checking applies, addr_list_err.
    check_addr_count(vrid, usize::from(vrrp.addr_count()), expect)?;

    // 10. IPv4 total length must equal the received length, packet_len_err.
    let received = env.header_len + message.len();
    if let Some(total) = env.total_len {
        if total != received {
            return Err(Error::IpTotalLength {
                vrid,
                total,
                received,
            });
        }
    }

    // 11. Checksum (docs/keepalived-compat.md#checksums): v2 over the message only, v3 with the IPv4 or IPv6
    //     pseudo-header. keepalived sets IPV6_CHECKSUM (offset 6) so the kernel verifies
    //     IPv6 adverts; vrrpd leaves that option off and verifies here instead, because the
    //     kernel drops a bad one silently and keepalived's count of checksum errors (SNMP
    //     chk_err) would never see it. A source of the other family cannot have produced a
    //     valid pseudo-header.
    let old_unicast_checksum = match (version, env.src, env.dst) {
        (_, src, dst) if family_of(src) != family_of(dst) => {
            return Err(Error::Checksum { vrid, version })
        }
        // IPv6, v2 included: the kernel's IPV6_CHECKSUM on keepalived's sockets computes and
        // verifies the checksum with the IPv6 pseudo-header whatever the version nibble.
        (_, IpAddr::V6(src), IpAddr::V6(dst)) => {
            if !vrrp.verify_checksum(Checksum::V3Ipv6 { src, dst }) {
                return Err(Error::Checksum { vrid, version });
            }
            false
        }
        (Version::V2, _, _) => {
            if !vrrp.verify_checksum(Checksum::V2) {
                return Err(Error::Checksum { vrid, version });
            }
            false
        }
        (Version::V3, IpAddr::V4(src), IpAddr::V4(dst)) => {
            check_v3_ipv4_checksum(message, src, dst, expect)
                .ok_or(Error::Checksum { vrid, version })?
        }
        (Version::V3, _, _) => return Err(Error::Checksum { vrid, version }),
    };

    // 12. Destination kind must match the mode, addr_list_err.
    check_destination(vrid, env.dst, expect)?;

    Ok(CheckedAdvert {
        advert: Advert::from_packet(&vrrp, version),
        src: env.src,
        dst: env.dst,
        ttl: env.ttl,
        old_unicast_checksum,
        ah_seq,
    })
}

/// Step 11 for VRRPv3 over IPv4 with keepalived's unicast variants (docs/keepalived-compat.md#checksums): `Some(true)`
/// when only the old (multicast-group) checksum verified in `Detect` mode, `Some(false)`
/// when the expected one verified, `None` when neither did.
fn check_v3_ipv4_checksum(
    message: &[u8],
    src: Ipv4Addr,
    dst: Ipv4Addr,
    expect: &Expect,
) -> Option<bool> {
    if !expect.multicast && expect.unicast_checksum == UnicastChecksum::Old {
        return verifies_as_old_unicast(message, src, expect.group_v4).then_some(false);
    }
    if verify_checksum(message, Checksum::V3Ipv4 { src, dst }) {
        return Some(false);
    }
    let detect = !expect.multicast && expect.unicast_checksum == UnicastChecksum::Detect;
    (detect && verifies_as_old_unicast(message, src, expect.group_v4)).then_some(true)
}
fn check_addr_count(vrid: u8, received: usize, expect: &Expect) -> Result<(), Error> {
    match expect.vip_count {
        Some(expected) if expected != received => Err(Error::AddrCount {
            vrid,
            received,
            expected,
        }),
        _ => Ok(()),
    }
}

fn check_destination(vrid: u8, dst: IpAddr, expect: &Expect) -> Result<(), Error> {
    if dst.is_multicast() != expect.multicast {
        return Err(Error::DestinationKind {
            vrid,
            expected_multicast: expect.multicast,
        });
    }
    Ok(())
}

/// Step 14: every configured VIP must be in the advert ("ip address associated with VRID N
/// not present in MASTER advert: X"), addr_list_err. Reports the first missing one.
pub fn check_vips(advert: &Advert, vips: &[IpAddr]) -> Result<(), Error> {
    match vips.iter().find(|v| !advert.addrs.iter().any(|a| a == **v)) {
        Some(addr) => Err(Error::AddrMissing {
            vrid: advert.vrid,
            addr: *addr,
        }),
        None => Ok(()),
    }
}

/// Step 15a: a unicast advert's source must be a configured peer (`check_unicast_src`):
/// "unicast source address X not a unicast peer".
pub fn check_unicast_peer(vrid: u8, src: IpAddr, peers: &[IpAddr]) -> Result<(), Error> {
    if peers.contains(&src) {
        Ok(())
    } else {
        Err(Error::NotAPeer { vrid, src })
    }
}

/// Step 15b: a unicast advert's TTL must lie in the peer's `min_ttl..=max_ttl`
/// ("TTL/HL N not in range A - B"), ip_ttl_err.
pub fn check_ttl_range(vrid: u8, ttl: u8, min: u8, max: u8) -> Result<(), Error> {
    if (min..=max).contains(&ttl) {
        Ok(())
    } else {
        Err(Error::TtlRange {
            vrid,
            ttl,
            min,
            max,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::consts::{GROUP_V4, PROTO_AH};
    use crate::wire::ip::Ipv4Repr;
    use crate::wire::send::{emit_ipv4_advert, ipv4_advert_len};
    use crate::wire::types::Addrs;

    const SRC: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 1);
    const PEER: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 2);

    fn advert(version: Version, auth: Auth) -> Advert {
        Advert {
            version,
            vrid: 51,
            priority: 100,
            interval: if version == Version::V2 { 1 } else { 100 },
            auth,
            addrs: Addrs::V4(vec![Ipv4Addr::new(10, 99, 0, 51)]),
        }
    }

    fn packet(a: &Advert, dst: Ipv4Addr, ttl: u8) -> Vec<u8> {
        let mut buf = vec![0; ipv4_advert_len(a)];
        let ip = Ipv4Repr::vrrp(SRC, dst, ttl, 1, 0);
        emit_ipv4_advert(a, &ip, Checksum::ipv4(a.version, SRC, dst), &mut buf).unwrap();
        buf
    }

    fn expect(a: &Advert) -> Expect {
        Expect {
            version: a.version,
            auth: a.auth,
            interval: a.interval,
            vip_count: Some(1),
            multicast: true,
            group_v4: GROUP_V4,
            unicast_checksum: UnicastChecksum::Detect,
        }
    }

    fn v2() -> (Vec<u8>, Expect) {
        let a = advert(Version::V2, Auth::pass_from_str("secret"));
        (packet(&a, GROUP_V4, 255), expect(&a))
    }

    #[test]
    fn good_v2_and_v3_pass() {
        let (p, e) = v2();
        let rx = check_ipv4(&p, &e).unwrap();
        assert_eq!(
            rx.advert,
            advert(Version::V2, Auth::pass_from_str("secret"))
        );
        let a = advert(Version::V3, Auth::None);
        let rx = check_ipv4(&packet(&a, GROUP_V4, 255), &expect(&a)).unwrap();
        assert_eq!(rx.advert, a);
        let mut e = expect(&a);
        e.multicast = false;
        let rx = check_ipv4(&packet(&a, PEER, 64), &e).unwrap();
        assert_eq!((rx.ttl, rx.dst), (64, IpAddr::V4(PEER)));
    }

    #[test]
    fn too_short() {
        let (p, e) = v2();
        assert_eq!(check_ipv4(&p[..27], &e), Err(Error::TooShort { len: 27 }));
        let mut p = p;
        p[0] = 0x46; // IHL 6: 24-byte header, so only 4 VRRP bytes in 28
        assert_eq!(check_ipv4(&p[..28], &e), Err(Error::TooShort { len: 28 }));
    }

    #[test]
    fn bad_ip_header() {
        let (p, e) = v2();
        for (i, v) in [(0, 0x44), (0, 0x65), (9, 17)] {
            let mut q = p.clone();
            q[i] = v;
            assert_eq!(
                check_ipv4(&q, &e),
                Err(Error::BadIpHeader),
                "byte {i} = {v:#x}"
            );
        }
    }

    #[test]
    fn ah_presence_mismatch() {
        let (p, e) = v2();
        let mut q = p.clone();
        q[9] = 51;
        assert_eq!(
            check_ipv4(&q, &e),
            Err(Error::TooShort { len: 40 }),
            "no room for an AH header and a VRRP header behind it"
        );
        let a = advert(Version::V2, Auth::Ah);
        let q = ah_packet(&a, GROUP_V4, 255, 1, &KEY);
        assert_eq!(
            check_ipv4(&q, &e),
            Err(Error::AhPresence {
                vrid: 51,
                has_ah: true
            }),
            "AH header but auth type not AH (VRID read after the AH header)"
        );
        let mut e = e;
        e.auth = Auth::Ah;
        assert_eq!(
            check_ipv4(&p, &e),
            Err(Error::AhPresence {
                vrid: 51,
                has_ah: false
            }),
            "no AH header but auth type is AH"
        );
    }

    const KEY: AhKey = *b"secret\0\0";

    /// An AH advert for `a` with sequence number `seq`, sealed with `key`.
    fn ah_packet(a: &Advert, dst: Ipv4Addr, ttl: u8, seq: u32, key: &AhKey) -> Vec<u8> {
        let msg = a.to_vec(Checksum::V2).unwrap();
        let ip = Ipv4Repr {
            protocol: PROTO_AH,
            ..Ipv4Repr::vrrp(SRC, dst, ttl, 1, 0)
        };
        let payload = ah::seal(&ip, key, seq, !dst.is_multicast(), &msg).unwrap();
        crate::wire::emit_ipv4_datagram(&ip, &payload).unwrap()
    }

    #[test]
    fn ah_verified_in_step_6() {
        let a = advert(Version::V2, Auth::Ah);
        let mut ah = AhCheck {
            key: KEY,
            counter: SeqCounter::default(),
        };
        let p = ah_packet(&a, GROUP_V4, 255, 7, &KEY);
        let rx = check_ipv4_ah(&p, &expect(&a), Some(&mut ah)).unwrap();
        assert_eq!((rx.advert.clone(), rx.ah_seq), (a.clone(), Some(7)));
        assert_eq!(ah.counter.seq, 7);
        assert_eq!(
            check_ipv4_ah(&p, &expect(&a), Some(&mut ah)),
            Err(Error::AhReplay {
                vrid: 51,
                seq: 7,
                local: 7
            })
        );
        let wrong = ah_packet(&a, GROUP_V4, 255, 8, b"Secret\0\0");
        assert_eq!(
            check_ipv4_ah(&wrong, &expect(&a), Some(&mut ah)),
            Err(Error::AhIcv { vrid: 51 })
        );
        assert_eq!(
            check_ipv4(&ah_packet(&a, GROUP_V4, 255, 9, &KEY), &expect(&a)),
            Err(Error::AhPresence {
                vrid: 51,
                has_ah: false
            }),
            "without a key nothing verifies"
        );
        // Unicast: the TTL is not covered.
        let mut e = expect(&a);
        e.multicast = false;
        let mut p = ah_packet(&a, PEER, 64, 9, &KEY);
        p[8] = 60;
        assert!(check_ipv4_ah(&p, &e, Some(&mut ah)).is_ok());
    }

    #[test]
    fn ah_counter_moves_even_when_a_later_step_drops() {
        let mut a = advert(Version::V2, Auth::Ah);
        a.interval = 3;
        let mut ah = AhCheck {
            key: KEY,
            counter: SeqCounter::default(),
        };
        let p = ah_packet(&a, GROUP_V4, 255, 4, &KEY);
        let mut e = expect(&a);
        e.interval = 1;
        assert!(matches!(
            check_ipv4_ah(&p, &e, Some(&mut ah)),
            Err(Error::Interval { .. })
        ));
        assert_eq!(ah.counter.seq, 4);
    }

    #[test]
    fn ah_hostile_input_never_panics() {
        let a = advert(Version::V2, Auth::Ah);
        let good = ah_packet(&a, GROUP_V4, 255, 1, &KEY);
        let e = expect(&a);
        for i in 0..good.len() {
            for v in [0, 1, 0x45, 0x4f, 0xff] {
                let mut p = good.clone();
                p[i] = v;
                let mut ah = AhCheck {
                    key: KEY,
                    counter: SeqCounter::default(),
                };
                let _ = check_ipv4_ah(&p, &e, Some(&mut ah));
                let _ = check_ipv4_ah(&p[..i], &e, Some(&mut ah));
            }
        }
    }

    #[test]
    fn length() {
        let (mut p, e) = v2();
        p.push(0);
        assert_eq!(
            check_ipv4(&p, &e),
            Err(Error::Length {
                vrid: 51,
                len: 41,
                expected: 40
            })
        );
        // A v2-sized packet whose version nibble says 3 is sized as v3 (no auth data):
        // keepalived sizes by the received version, so it is 8 bytes too long.
        let (mut p, e) = v2();
        p[20] = 0x31;
        assert_eq!(
            check_ipv4(&p, &e),
            Err(Error::Length {
                vrid: 51,
                len: 40,
                expected: 32
            })
        );
    }

    #[test]
    fn ttl() {
        let a = advert(Version::V2, Auth::None);
        let p = packet(&a, GROUP_V4, 254);
        assert_eq!(
            check_ipv4(&p, &expect(&a)),
            Err(Error::Ttl { vrid: 51, ttl: 254 })
        );
    }

    #[test]
    fn version() {
        // A well-formed VRRPv3 advert reaching a v2 instance: "wrong version. Received 3 and
        // expect 2" (observed from keepalived 2.2.7), and the reverse.
        let (_, e2) = v2();
        let v3 = advert(Version::V3, Auth::None);
        assert_eq!(
            check_ipv4(&packet(&v3, GROUP_V4, 255), &e2),
            Err(Error::Version {
                vrid: 51,
                version: 3
            })
        );
        let v2a = advert(Version::V2, Auth::None);
        let mut e3 = expect(&v2a);
        e3.version = Version::V3;
        assert_eq!(
            check_ipv4(&packet(&v2a, GROUP_V4, 255), &e3),
            Err(Error::Version {
                vrid: 51,
                version: 2
            })
        );
        // An unknown version with a v3-sized body.
        let mut p = packet(&v3, GROUP_V4, 255);
        p[20] = 0x41;
        assert_eq!(
            check_ipv4(&p, &e2),
            Err(Error::Version {
                vrid: 51,
                version: 4
            })
        );
    }

    #[test]
    fn auth_type() {
        let (mut p, e) = v2();
        p[24] = 3;
        assert_eq!(
            check_ipv4(&p, &e),
            Err(Error::AuthType {
                vrid: 51,
                auth_type: 3
            })
        );
    }

    #[test]
    fn auth_type_mismatch() {
        let (p, mut e) = v2();
        e.auth = Auth::None;
        assert_eq!(
            check_ipv4(&p, &e),
            Err(Error::AuthTypeMismatch {
                vrid: 51,
                received: 1,
                expected: 0
            })
        );
    }

    #[test]
    fn auth_failure() {
        let (p, mut e) = v2();
        e.auth = Auth::pass_from_str("secret1");
        assert_eq!(check_ipv4(&p, &e), Err(Error::AuthFailure { vrid: 51 }));
        // Only the first 8 characters count (keepalived truncates auth_pass).
        let a = advert(Version::V2, Auth::pass_from_str("longpassword"));
        let mut e = expect(&a);
        e.auth = Auth::pass_from_str("longpassXYZ");
        assert!(check_ipv4(&packet(&a, GROUP_V4, 255), &e).is_ok());
    }

    #[test]
    fn interval() {
        let (p, mut e) = v2();
        e.interval = 2;
        assert_eq!(
            check_ipv4(&p, &e),
            Err(Error::Interval {
                vrid: 51,
                received: 1,
                expected: 2
            })
        );
        // v3 does not compare intervals.
        let a = advert(Version::V3, Auth::None);
        let mut e = expect(&a);
        e.interval = 50;
        assert!(check_ipv4(&packet(&a, GROUP_V4, 255), &e).is_ok());
    }

    #[test]
    fn kind() {
        let (mut p, e) = v2();
        p[20] = 0x22;
        assert_eq!(check_ipv4(&p, &e), Err(Error::Type { vrid: 51, kind: 2 }));
    }

    #[test]
    fn addr_count() {
        let (p, mut e) = v2();
        e.vip_count = Some(2);
        assert_eq!(
            check_ipv4(&p, &e),
            Err(Error::AddrCount {
                vrid: 51,
                received: 1,
                expected: 2
            })
        );
        e.vip_count = None;
        assert!(
            check_ipv4(&p, &e).is_ok(),
            "not checked when VIP checking does not apply"
        );
    }

    #[test]
    fn ip_total_length() {
        let (mut p, e) = v2();
        p[2..4].copy_from_slice(&48u16.to_be_bytes());
        assert_eq!(
            check_ipv4(&p, &e),
            Err(Error::IpTotalLength {
                vrid: 51,
                total: 48,
                received: 40
            })
        );
    }

    #[test]
    fn checksum() {
        let (mut p, e) = v2();
        p[27] ^= 1;
        assert_eq!(
            check_ipv4(&p, &e),
            Err(Error::Checksum {
                vrid: 51,
                version: Version::V2
            })
        );
        // v3 multicast: the pseudo-header uses the real destination.
        let a = advert(Version::V3, Auth::None);
        let mut p = packet(&a, GROUP_V4, 255);
        p[16..20].copy_from_slice(&[224, 0, 0, 19]);
        assert_eq!(
            check_ipv4(&p, &expect(&a)),
            Err(Error::Checksum {
                vrid: 51,
                version: Version::V3
            })
        );
    }

    #[test]
    fn destination_kind() {
        let a = advert(Version::V2, Auth::None);
        let e = expect(&a);
        assert_eq!(
            check_ipv4(&packet(&a, PEER, 255), &e),
            Err(Error::DestinationKind {
                vrid: 51,
                expected_multicast: true
            })
        );
        let mut e = e;
        e.multicast = false;
        assert_eq!(
            check_ipv4(&packet(&a, GROUP_V4, 255), &e),
            Err(Error::DestinationKind {
                vrid: 51,
                expected_multicast: false
            })
        );
    }

    #[test]
    fn addr_missing() {
        let a = advert(Version::V2, Auth::None);
        let ok: IpAddr = "10.99.0.51".parse().unwrap();
        let missing: IpAddr = "10.99.0.52".parse().unwrap();
        assert_eq!(check_vips(&a, &[ok]), Ok(()));
        assert_eq!(
            check_vips(&a, &[ok, missing]),
            Err(Error::AddrMissing {
                vrid: 51,
                addr: missing
            })
        );
    }

    #[test]
    fn not_a_peer_and_ttl_range() {
        let peer = IpAddr::V4(PEER);
        let other = IpAddr::V4(Ipv4Addr::new(10, 99, 0, 3));
        assert_eq!(check_unicast_peer(51, peer, &[peer]), Ok(()));
        assert_eq!(
            check_unicast_peer(51, other, &[peer]),
            Err(Error::NotAPeer {
                vrid: 51,
                src: other
            })
        );
        assert_eq!(check_ttl_range(51, 64, 1, 255), Ok(()));
        assert_eq!(
            check_ttl_range(51, 64, 100, 255),
            Err(Error::TtlRange {
                vrid: 51,
                ttl: 64,
                min: 100,
                max: 255
            })
        );
    }

    #[test]
    fn ipv6_checks() {
        let src: Ipv6Addr = "fe80::1".parse().unwrap();
        let group: Ipv6Addr = "ff02::12".parse().unwrap();
        let a = Advert {
            version: Version::V3,
            vrid: 61,
            priority: 100,
            interval: 100,
            auth: Auth::None,
            addrs: Addrs::V6(vec!["fe80::61".parse().unwrap()]),
        };
        // Checksummed for the group: IPv6 checksums are verified (step 11).
        let msg = a.to_vec(Checksum::V3Ipv6 { src, dst: group }).unwrap();
        let to_self = a.to_vec(Checksum::V3Ipv6 { src, dst: src }).unwrap();
        let mut e = expect(&a);
        assert_eq!(
            check_ipv6(&msg, src, group, 255, &e).map(|r| r.advert),
            Ok(a.clone())
        );
        assert_eq!(
            check_ipv6(&msg[..7], src, group, 255, &e),
            Err(Error::TooShort { len: 7 })
        );
        assert_eq!(
            check_ipv6(&msg[..20], src, group, 255, &e),
            Err(Error::Length {
                vrid: 61,
                len: 20,
                expected: 24
            })
        );
        assert_eq!(
            check_ipv6(&to_self, src, src, 255, &e),
            Err(Error::DestinationKind {
                vrid: 61,
                expected_multicast: true
            })
        );
        e.vip_count = Some(3);
        assert_eq!(
            check_ipv6(&msg, src, group, 255, &e),
            Err(Error::AddrCount {
                vrid: 61,
                received: 1,
                expected: 3
            })
        );
        e.version = Version::V2;
        assert_eq!(
            check_ipv6(&msg, src, group, 255, &e),
            Err(Error::Version {
                vrid: 61,
                version: 3
            })
        );
    }
}

#[cfg(test)]
mod ipv6_checksum_tests {
    use super::*;
    use crate::wire::consts::{GROUP_V4, GROUP_V6};
    use crate::wire::types::Addrs;

    #[test]
    fn a_bad_ipv6_checksum_is_an_error() {
        let src: Ipv6Addr = "fe80::1".parse().unwrap();
        let a = Advert {
            version: Version::V3,
            vrid: 61,
            priority: 100,
            interval: 100,
            auth: Auth::None,
            addrs: Addrs::V6(vec!["fe80::61".parse().unwrap()]),
        };
        let e = Expect {
            version: Version::V3,
            auth: Auth::None,
            interval: 100,
            vip_count: Some(1),
            multicast: true,
            group_v4: GROUP_V4,
            unicast_checksum: UnicastChecksum::Detect,
        };
        let mut msg = a.to_vec(Checksum::V3Ipv6 { src, dst: GROUP_V6 }).unwrap();
        assert!(check_ipv6(&msg, src, GROUP_V6, 255, &e).is_ok());
        let unchecked = a.to_vec(Checksum::Offload).unwrap();
        let bad = Err(Error::Checksum {
            vrid: 61,
            version: Version::V3,
        });
        assert_eq!(check_ipv6(&unchecked, src, GROUP_V6, 255, &e), bad);
        msg[2] ^= 1;
        assert_eq!(check_ipv6(&msg, src, GROUP_V6, 255, &e), bad);
    }
}

#[cfg(test)]
mod more_tests {
    use super::*;
    use crate::wire::consts::GROUP_V4;
    use crate::wire::types::Addrs;

    #[test]
    fn ip_options_are_skipped_by_ihl() {
        let a = Advert {
            version: Version::V3,
            vrid: 9,
            priority: 100,
            interval: 100,
            auth: Auth::None,
            addrs: Addrs::V4(vec![Ipv4Addr::new(10, 0, 0, 9)]),
        };
        let src = Ipv4Addr::new(10, 0, 0, 1);
        let msg = a
            .to_vec(Checksum::ipv4(Version::V3, src, GROUP_V4))
            .unwrap();
        let mut p = vec![0x46, 0xc0, 0, 0, 0, 1, 0, 0, 255, 112, 0, 0];
        p.extend_from_slice(&src.octets());
        p.extend_from_slice(&GROUP_V4.octets());
        p.extend_from_slice(&[1, 1, 1, 0]); // NOP NOP NOP EOL
        p.extend_from_slice(&msg);
        let total = u16::try_from(p.len()).unwrap().to_be_bytes();
        p[2..4].copy_from_slice(&total);
        let expect = Expect {
            version: Version::V3,
            auth: Auth::None,
            interval: 100,
            vip_count: Some(1),
            multicast: true,
            group_v4: GROUP_V4,
            unicast_checksum: UnicastChecksum::Detect,
        };
        assert_eq!(check_ipv4(&p, &expect).map(|r| r.advert), Ok(a));
    }

    #[test]
    fn errors_read_like_keepalived_logs() {
        let cases = [
            (
                Error::Length {
                    vrid: 1,
                    len: 44,
                    expected: 40,
                },
                "vrrp packet too long, length 44 and expect 40",
            ),
            (
                Error::AddrCount {
                    vrid: 1,
                    received: 2,
                    expected: 3,
                },
                "received an unexpected ip number count 2, expected 3!",
            ),
            (
                Error::Interval {
                    vrid: 1,
                    received: 2,
                    expected: 1,
                },
                "advertisement interval mismatch mine=1 sec rcv'd=2 sec",
            ),
            (
                Error::AddrMissing {
                    vrid: 74,
                    addr: "10.99.0.177".parse().unwrap(),
                },
                "ip address associated with VRID 74 not present in MASTER advert: 10.99.0.177",
            ),
            (
                Error::Checksum {
                    vrid: 1,
                    version: Version::V3,
                },
                "Invalid VRRPv3 checksum",
            ),
            (
                Error::AuthTypeMismatch {
                    vrid: 1,
                    received: 1,
                    expected: 0,
                },
                "received a 1 auth, expecting 0!",
            ),
        ];
        for (e, text) in cases {
            assert_eq!(e.to_string(), text);
        }
    }
}
