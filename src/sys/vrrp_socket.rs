//! Raw IP protocol 112 sockets for VRRP adverts (keepalived-behaviour.md §6.1, §6.3, §6.7).
//!
//! keepalived keeps one receive socket and one send socket per (family, interface, multicast
//! group or unicast source). This file provides exactly those two, for IPv4:
//!
//! * [`RecvSocket`]: bound to the device (SO_BINDTODEVICE), `IP_MULTICAST_ALL` off, and either
//!   joined to the group on that interface and bound to the group address (multicast), or bound
//!   to the local unicast source address (unicast mode, §6.7), so each socket only sees the
//!   adverts meant for it. Linux raw IPv4 sockets hand us the IP header, from which we take the
//!   TTL, source and destination; the interface comes from `IP_PKTINFO`.
//! * [`SendSocket`]: `IP_HDRINCL`, because keepalived builds the IPv4 header itself (TOS 0xC0, a
//!   per-instance ID counter, TTL 255, DF clear) and peers such as captures and strict
//!   firewalls see exactly that header. `IP_MULTICAST_IF` is the interface, `IP_MULTICAST_LOOP`
//!   is off (a router must not hear its own adverts), and multicast goes out with
//!   `MSG_DONTROUTE`. Raw sockets of protocol 112 also receive every incoming advert, so the
//!   send socket gets a receive buffer of 0 and a drop-all BPF filter, as keepalived does.
//!
//! Both are non-blocking and wrapped in tokio's [`AsyncFd`], so the shell awaits readiness in
//! its tasks. IPv6 (kernel-built header, `IPV6_CHECKSUM`, hop-limit ancillary data) will be a
//! sibling `open_v6` on the same types: [`Received`] already carries `IpAddr`s.

use std::io::{self, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::os::fd::AsRawFd;

use nix::sys::socket::{recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, SockaddrIn};
use socket2::{Domain, InterfaceIndexOrAddress, Protocol, SockAddr, SockFilter, Socket, Type};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use super::{Privilege, SysError};

/// IANA protocol number of VRRP.
pub const IPPROTO_VRRP: u8 = 112;
/// IANA protocol number of IPsec AH (keepalived's `authentication { auth_type AH }`).
pub const IPPROTO_AH: u8 = 51;
/// The default IPv4 VRRP group, `vrrp_mcast_group4` (RFC 3768 §5.2.2).
pub const VRRP_GROUP_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// Type of service keepalived puts in every advert: precedence 6, "internetwork control".
pub const VRRP_TOS: u8 = 0xC0;
/// TTL of every multicast advert (RFC 3768 §5.2.3) and the default `unicast_ttl`.
pub const VRRP_TTL: u8 = 255;

/// Largest datagram we read: a v3 IPv6 advert with 255 addresses is 4088 bytes, everything
/// VRRP sends is below this.
const RECV_BUF: usize = 8192;
/// Length of the IPv4 header we build (IHL 5, no options).
const IPV4_HEADER_LEN: usize = 20;

/// What a receive socket listens to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listen {
    /// Join this group on the interface and accept only datagrams addressed to it.
    Multicast(Ipv4Addr),
    /// Unicast mode: accept only datagrams addressed to this local address (`unicast_src_ip`
    /// or the interface's primary address).
    Unicast(Ipv4Addr),
}

/// One datagram as the core wants it (`Input::Packet`): the header fields VRRP checks and the
/// IP payload (the VRRP message, or AH followed by VRRP).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// Interface the datagram arrived on (`IP_PKTINFO`).
    pub ifindex: u32,
    pub src: IpAddr,
    pub dst: IpAddr,
    /// TTL (IPv4) or hop limit (IPv6) as received; RFC 3768 §7.1 wants 255 for multicast.
    pub ttl: u8,
    /// The IP protocol of the payload: 112 (VRRP) or 51 (AH).
    pub protocol: u8,
    /// Everything after the IP header, cut to the header's total length.
    pub payload: Vec<u8>,
}

/// A receive socket for one interface and one group or unicast address.
#[derive(Debug)]
pub struct RecvSocket {
    io: AsyncFd<Socket>,
    ifname: String,
    ifindex: u32,
}

impl RecvSocket {
    /// Opens the IPv4 receive socket on `ifname` (index `ifindex`) as keepalived does (§6.3).
    ///
    /// A unicast address that is not local fails here with the kernel's `EADDRNOTAVAIL`; the
    /// shell logs keepalived's `bind unicast_src X failed` around it.
    pub fn open_v4(ifname: &str, ifindex: u32, listen: Listen) -> Result<RecvSocket, SysError> {
        let what = |op: &str| format!("{op} on {ifname}");
        let sock = raw_v4_socket(&what("open the VRRP receive socket"))?;
        let fail = |op: &str| {
            let what = what(op);
            move |e| SysError::os(what, Privilege::NetRaw, e)
        };
        sock.bind_device(Some(ifname.as_bytes()))
            .map_err(fail("bind the VRRP receive socket to the device"))?;
        sock.set_multicast_all_v4(false)
            .map_err(fail("disable IP_MULTICAST_ALL"))?;
        setsockopt(&sock, sockopt::Ipv4PacketInfo, &true)
            .map_err(|e| SysError::os(what("enable IP_PKTINFO"), Privilege::NetRaw, e.into()))?;
        let bind_to = match listen {
            Listen::Multicast(group) => {
                sock.join_multicast_v4_n(&group, &InterfaceIndexOrAddress::Index(ifindex))
                    .map_err(fail(&format!("join multicast group {group}")))?;
                group
            }
            Listen::Unicast(local) => local,
        };
        sock.bind(&SockAddr::from(SocketAddrV4::new(bind_to, 0)))
            .map_err(fail(&format!("bind the VRRP receive socket to {bind_to}")))?;
        sock.set_nonblocking(true)
            .map_err(fail("make the VRRP receive socket non-blocking"))?;
        let io = register(sock, Interest::READABLE)
            .map_err(fail("register the VRRP receive socket with tokio"))?;
        Ok(RecvSocket {
            io,
            ifname: ifname.to_owned(),
            ifindex,
        })
    }

    /// Waits for the next well-formed datagram. Datagrams whose IP header does not parse are
    /// skipped (the kernel never delivers such, so there is nothing to count).
    ///
    /// Cancel safe: a datagram is only read once it is returned, so this can sit in the
    /// shell's `select!`.
    pub async fn recv(&self) -> Result<Received, SysError> {
        loop {
            let mut guard = self.io.readable().await.map_err(|e| self.err(e))?;
            match guard.try_io(|inner| recv_one(inner.get_ref(), self.ifindex)) {
                Ok(Ok(Some(r))) => return Ok(r),
                Ok(Ok(None)) => continue,
                Ok(Err(e)) => return Err(self.err(e)),
                Err(_would_block) => continue,
            }
        }
    }

    /// Reads one datagram if one is queued, without waiting: the shell drains the queue after
    /// each wake-up (§6.3).
    pub fn try_recv(&self) -> Result<Option<Received>, SysError> {
        loop {
            match recv_one(self.io.get_ref(), self.ifindex) {
                Ok(Some(r)) => return Ok(Some(r)),
                Ok(None) => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) => return Err(self.err(e)),
            }
        }
    }

    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    fn err(&self, e: io::Error) -> SysError {
        SysError::os(
            format!("receive a VRRP advert on {}", self.ifname),
            Privilege::NetRaw,
            e,
        )
    }
}

/// Reads one datagram; `Ok(None)` for one that is not a parseable IPv4 datagram.
fn recv_one(sock: &Socket, bound_ifindex: u32) -> io::Result<Option<Received>> {
    let mut buf = vec![0u8; RECV_BUF];
    let mut cmsg = nix::cmsg_space!(libc::in_pktinfo);
    let (len, ifindex) = {
        let mut iov = [IoSliceMut::new(&mut buf)];
        let msg = recvmsg::<SockaddrIn>(
            sock.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_DONTWAIT,
        )?;
        let mut ifindex = bound_ifindex;
        for c in msg.cmsgs()? {
            if let ControlMessageOwned::Ipv4PacketInfo(info) = c {
                ifindex = u32::try_from(info.ipi_ifindex).unwrap_or(bound_ifindex);
            }
        }
        (msg.bytes, ifindex)
    };
    Ok(buf
        .get(..len)
        .and_then(parse_ipv4)
        .map(|(hdr, payload)| Received {
            ifindex,
            src: IpAddr::V4(hdr.src),
            dst: IpAddr::V4(hdr.dst),
            ttl: hdr.ttl,
            protocol: hdr.protocol,
            payload: payload.to_vec(),
        }))
}

/// The IPv4 header fields of one outgoing advert. TOS (0xC0), DF clear and the checksum are
/// fixed by [`ipv4_packet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Header {
    pub src: Ipv4Addr,
    /// The group, or one unicast peer (one copy per peer, §6.7).
    pub dst: Ipv4Addr,
    /// 255, or `unicast_ttl` in unicast mode.
    pub ttl: u8,
    /// From the instance's [`IpId`] counter.
    pub id: u16,
    /// [`IPPROTO_VRRP`], or [`IPPROTO_AH`] when the payload starts with an AH header.
    pub protocol: u8,
}

/// keepalived's per-instance IPv4 identification counter: starts at 1, increments per
/// advert, skips 0 on wrap-around (§6.1). (With `IP_HDRINCL` an ID of 0 would make the kernel
/// pick one, which keepalived avoids.)
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

/// Builds the datagram keepalived sends: IPv4 header (version 4, IHL 5, TOS 0xC0, total
/// length, ID, no flags/fragment offset, TTL, protocol, header checksum, src, dst) followed
/// by `payload`. `None` when the payload does not fit in one IPv4 datagram.
pub fn ipv4_packet(h: &Ipv4Header, payload: &[u8]) -> Option<Vec<u8>> {
    let total = u16::try_from(IPV4_HEADER_LEN.checked_add(payload.len())?).ok()?;
    let mut p = Vec::with_capacity(usize::from(total));
    p.extend_from_slice(&[0x45, VRRP_TOS]);
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&h.id.to_be_bytes());
    p.extend_from_slice(&[0, 0, h.ttl, h.protocol, 0, 0]);
    p.extend_from_slice(&h.src.octets());
    p.extend_from_slice(&h.dst.octets());
    let sum = internet_checksum(&p).to_be_bytes();
    if let Some(c) = p.get_mut(10..12) {
        c.copy_from_slice(&sum);
    }
    p.extend_from_slice(payload);
    Some(p)
}

/// RFC 1071 one's-complement sum (used for the header we build; the kernel recomputes it for
/// `IP_HDRINCL` sockets anyway, so this only makes captures of our own buffer exact).
fn internet_checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut chunks = bytes.chunks_exact(2);
    for c in &mut chunks {
        if let [a, b] = c {
            sum += u32::from(u16::from_be_bytes([*a, *b]));
        }
    }
    if let [last] = chunks.remainder() {
        sum += u32::from(*last) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The fields of a received IPv4 header we hand on.
struct Ipv4Fields {
    ttl: u8,
    protocol: u8,
    src: Ipv4Addr,
    dst: Ipv4Addr,
}

/// Splits a raw-socket datagram into header fields and payload (cut to the total length).
fn parse_ipv4(d: &[u8]) -> Option<(Ipv4Fields, &[u8])> {
    let first = *d.first()?;
    if first >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(first & 0x0f) * 4;
    if ihl < IPV4_HEADER_LEN {
        return None;
    }
    let total = usize::from(u16::from_be_bytes([*d.get(2)?, *d.get(3)?]));
    let addr = |at: usize| -> Option<Ipv4Addr> {
        let b: [u8; 4] = d.get(at..at + 4)?.try_into().ok()?;
        Some(Ipv4Addr::from(b))
    };
    let fields = Ipv4Fields {
        ttl: *d.get(8)?,
        protocol: *d.get(9)?,
        src: addr(12)?,
        dst: addr(16)?,
    };
    let payload = d.get(ihl..total.min(d.len()))?;
    Some((fields, payload))
}

/// The send socket of one interface.
#[derive(Debug)]
pub struct SendSocket {
    io: AsyncFd<Socket>,
    ifname: String,
}

impl SendSocket {
    /// Opens the IPv4 send socket on `ifname` (index `ifindex`) as keepalived does (§6.3).
    pub fn open_v4(ifname: &str, ifindex: u32) -> Result<SendSocket, SysError> {
        let what = |op: &str| format!("{op} on {ifname}");
        let sock = raw_v4_socket(&what("open the VRRP send socket"))?;
        let fail = |op: &str| {
            let what = what(op);
            move |e| SysError::os(what, Privilege::NetRaw, e)
        };
        sock.set_header_included_v4(true)
            .map_err(fail("set IP_HDRINCL"))?;
        set_multicast_if_index(&sock, ifindex).map_err(fail("set IP_MULTICAST_IF"))?;
        sock.set_multicast_loop_v4(false)
            .map_err(fail("disable IP_MULTICAST_LOOP"))?;
        sock.set_tos_v4(u32::from(VRRP_TOS))
            .map_err(fail("set IP_TOS"))?;
        sock.bind_device(Some(ifname.as_bytes()))
            .map_err(fail("bind the VRRP send socket to the device"))?;
        // A protocol-112 raw socket gets a copy of every incoming advert; this one only sends.
        sock.set_recv_buffer_size(0)
            .map_err(fail("shrink the send socket's receive buffer"))?;
        sock.attach_filter(&[SockFilter::new(BPF_RET_K, 0, 0, 0)])
            .map_err(fail("attach the drop-all filter to the send socket"))?;
        sock.set_nonblocking(true)
            .map_err(fail("make the VRRP send socket non-blocking"))?;
        let io = register(sock, Interest::WRITABLE)
            .map_err(fail("register the VRRP send socket with tokio"))?;
        Ok(SendSocket {
            io,
            ifname: ifname.to_owned(),
        })
    }

    /// Sends `payload` (the VRRP message, or AH + VRRP) behind the header from `h`.
    /// Multicast destinations are sent with `MSG_DONTROUTE` (§6.1).
    pub async fn send_v4(&self, h: &Ipv4Header, payload: &[u8]) -> Result<(), SysError> {
        let what = || format!("send a VRRP advert to {} on {}", h.dst, self.ifname);
        let packet = ipv4_packet(h, payload).ok_or_else(|| SysError::Os {
            what: what(),
            source: io::Error::new(io::ErrorKind::InvalidInput, "advert too large for IPv4"),
        })?;
        let to = SockAddr::from(SocketAddrV4::new(h.dst, 0));
        let flags = if h.dst.is_multicast() {
            libc::MSG_DONTROUTE
        } else {
            0
        };
        self.io
            .async_io(Interest::WRITABLE, |s| {
                s.send_to_with_flags(&packet, &to, flags)
            })
            .await
            .map(|_| ())
            .map_err(|e| SysError::os(what(), Privilege::NetRaw, e))
    }
}

/// Hands the socket to tokio's reactor.
fn register(sock: Socket, interest: Interest) -> io::Result<AsyncFd<Socket>> {
    // SAFETY: the AsyncFd takes ownership of the socket, so its descriptor stays open and
    // unchanged for as long as the registration lives.
    unsafe { AsyncFd::register_with_interest(sock, interest) }.map_err(|e| e.into_parts().1)
}

/// BPF `ret #0`: accept zero bytes, i.e. drop every packet.
const BPF_RET_K: u16 = 0x06;

fn raw_v4_socket(what: &str) -> Result<Socket, SysError> {
    Socket::new(
        Domain::IPV4,
        Type::RAW,
        Some(Protocol::from(i32::from(IPPROTO_VRRP))),
    )
    .map_err(|e| SysError::os(what, Privilege::NetRaw, e))
}

/// `IP_MULTICAST_IF` with a `struct ip_mreqn` naming the interface by index, as keepalived
/// does (socket2 only offers the address form, which is ambiguous on interfaces sharing an
/// address or having none).
fn set_multicast_if_index(sock: &Socket, ifindex: u32) -> io::Result<()> {
    let mreqn = libc::ip_mreqn {
        imr_multiaddr: libc::in_addr { s_addr: 0 },
        imr_address: libc::in_addr { s_addr: 0 },
        imr_ifindex: i32::try_from(ifindex)
            .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?,
    };
    let len = std::mem::size_of::<libc::ip_mreqn>() as libc::socklen_t;
    // SAFETY: the pointer and length describe `mreqn`, a live, properly aligned ip_mreqn.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_MULTICAST_IF,
            (&mreqn as *const libc::ip_mreqn).cast(),
            len,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// keepalived's v2 advert with two VIPs and PASS "secret12" (§6.1).
    const ADVERT: [u8; 24] = [
        0x21, 0x33, 0xa0, 0x02, 0x01, 0x01, 0xba, 0xbb, 10, 99, 0, 100, 10, 99, 0, 101, b's', b'e',
        b'c', b'r', b'e', b't', b'1', b'2',
    ];

    fn header() -> Ipv4Header {
        Ipv4Header {
            src: Ipv4Addr::new(10, 99, 0, 1),
            dst: VRRP_GROUP_V4,
            ttl: VRRP_TTL,
            id: 1,
            protocol: IPPROTO_VRRP,
        }
    }

    #[test]
    fn header_matches_keepalived() {
        let p = ipv4_packet(&header(), &ADVERT).unwrap();
        assert_eq!(p.len(), 44, "IP length 44 as captured (§6.1)");
        assert_eq!(&p[..10], &[0x45, 0xc0, 0, 44, 0, 1, 0, 0, 255, 112]);
        assert_eq!(&p[12..20], &[10, 99, 0, 1, 224, 0, 0, 18]);
        assert_eq!(internet_checksum(&p[..20]), 0, "header checksum verifies");
        assert_eq!(&p[20..], &ADVERT);
    }

    #[test]
    fn parse_round_trips_the_built_header() {
        let p = ipv4_packet(&header(), &ADVERT).unwrap();
        let (f, payload) = parse_ipv4(&p).unwrap();
        assert_eq!((f.ttl, f.protocol), (255, 112));
        assert_eq!((f.src, f.dst), (Ipv4Addr::new(10, 99, 0, 1), VRRP_GROUP_V4));
        assert_eq!(payload, &ADVERT);
    }

    #[test]
    fn parse_rejects_garbage_without_panicking() {
        assert!(parse_ipv4(&[]).is_none());
        assert!(parse_ipv4(&[0x45; 10]).is_none());
        assert!(parse_ipv4(&[0x60; 40]).is_none(), "not IPv4");
        let mut p = ipv4_packet(&header(), &ADVERT).unwrap();
        p[0] = 0x44; // IHL 4
        assert!(parse_ipv4(&p).is_none());
        let mut p = ipv4_packet(&header(), &ADVERT).unwrap();
        p[0] = 0x4f; // IHL 15 = 60 bytes > total length 44
        assert!(parse_ipv4(&p).is_none());
        let mut p = ipv4_packet(&header(), &ADVERT).unwrap();
        p[3] = 30; // total length 30: payload cut to 10 bytes
        assert_eq!(parse_ipv4(&p).unwrap().1.len(), 10);
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

    #[test]
    fn oversized_payload_is_refused() {
        assert!(ipv4_packet(&header(), &vec![0; 65_516]).is_none());
        assert!(ipv4_packet(&header(), &vec![0; 65_515]).is_some());
    }
}
