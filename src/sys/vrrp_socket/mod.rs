//! Raw IP protocol 112 sockets for VRRP adverts, IPv4 and IPv6 (docs/keepalived-compat.md#advert-packet-layout,
//! docs/keepalived-compat.md#sockets, docs/keepalived-compat.md#unicast-mode); protocol 51
//! receive sockets for `auth_type AH` instances (docs/keepalived-compat.md#ipsec-ah), whose
//! datagrams are handed over whole so the core can verify the AH ICV over the IP header.
//!
//! keepalived keeps one receive socket and one send socket per (family, interface, multicast
//! group or unicast source). This module provides exactly those two for both families; the
//! set-up they share is written here once, the family-specific options and the reading and
//! writing of one datagram are in `v4.rs` and `v6.rs`.
//!
//! The sockets move bytes and nothing else: `wire` builds and parses every header and message.
//!
//! * [`RecvSocket`]: bound to the device (SO_BINDTODEVICE), `IP(V6)_MULTICAST_ALL` off, and
//!   either joined to the group on that interface and bound to the group address
//!   (multicast), or bound to the local unicast source address (unicast mode, docs/keepalived-compat.md#unicast-mode), so each
//!   socket only sees the adverts meant for it. What arrives is handed over unparsed as
//!   [`Delivered`]: a raw IPv4 socket delivers the whole datagram, header included (the
//!   interface comes from `IP_PKTINFO`); a raw IPv6 socket delivers only the VRRP message, and
//!   the destination, interface and hop limit come from `IPV6_RECVPKTINFO` and
//!   `IPV6_RECVHOPLIMIT`. The core then runs every receive check of docs/keepalived-compat.md#receive-checks through
//!   `wire::check_ipv4` / `wire::check_ipv6`, so a malformed datagram is counted, not dropped
//!   here. `IPV6_CHECKSUM` stays off: the core verifies the IPv6 checksum itself, so that a
//!   bad one is counted (keepalived lets the kernel drop it unseen).
//! * [`SendSocket`]: IPv4 with `IP_HDRINCL`, because keepalived builds the IPv4 header itself
//!   (TOS 0xC0, a per-instance ID counter, TTL 255, DF clear) and peers such as captures and
//!   strict firewalls see exactly that header, built by `wire::emit_ipv4_datagram`; IPv6 with
//!   a kernel-built header (traffic class 0xC0, multicast hop limit 255), bound to the
//!   advert's source address. Multicast loop is off (a router must not hear its own adverts)
//!   and IPv4 multicast goes out with `MSG_DONTROUTE`. Raw sockets of protocol 112 also
//!   receive every incoming advert, so the send socket gets a receive buffer of 0 and a
//!   drop-all BPF filter, as keepalived does.
//!
//! All are non-blocking and wrapped in tokio's [`AsyncFd`], so the shell awaits readiness in
//! its tasks.

mod v4;
mod v6;
pub mod wanted;

use std::io;
use std::net::{IpAddr, Ipv6Addr};

use socket2::{Domain, Protocol, SockAddr, SockFilter, Socket, Type};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use super::{Privilege, SysError};
use crate::proto::Input;
use crate::wire::{
    parse_ipv4_datagram, parse_ipv6_datagram, Datagram, Error as WireError, Family, Ipv4Repr,
    PROTO_VRRP,
};
pub use wanted::{wanted, RecvKey, Unopened, Want, Wanted};

/// Largest datagram we read: a v3 IPv6 advert with 255 addresses is 4088 bytes, everything
/// VRRP sends is below this. A longer datagram is cut here and then fails the length checks
/// (docs/keepalived-compat.md#receive-checks checks 3 and 10), so it is counted.
const RECV_BUF: usize = 8192;

/// BPF `ret #0`: accept zero bytes, i.e. drop every packet.
const BPF_RET_K: u16 = 0x06;

/// What a receive socket listens to; the address's family is the socket's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Listen {
    /// Join this group on the interface and accept only datagrams addressed to it.
    Multicast(IpAddr),
    /// Unicast mode: accept only datagrams addressed to this local address (`unicast_src_ip`
    /// or the interface's address).
    Unicast(IpAddr),
}

impl Listen {
    /// The address the socket is bound to.
    pub fn addr(self) -> IpAddr {
        match self {
            Listen::Multicast(a) | Listen::Unicast(a) => a,
        }
    }
}

/// One datagram exactly as the kernel delivered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivered {
    /// From a raw IPv4 socket: the whole datagram, IP header included.
    V4 { ifindex: u32, datagram: Vec<u8> },
    /// From a raw IPv6 socket: the VRRP message, with the addresses and hop limit from
    /// ancillary data.
    V6 {
        ifindex: u32,
        src: Ipv6Addr,
        dst: Ipv6Addr,
        hop_limit: u8,
        message: Vec<u8>,
    },
}

impl Delivered {
    /// The interface the datagram arrived on.
    pub fn ifindex(&self) -> u32 {
        match self {
            Delivered::V4 { ifindex, .. } | Delivered::V6 { ifindex, .. } => *ifindex,
        }
    }

    /// The envelope and VRRP message as `wire` splits them (check 1 and the IPv4 header).
    pub fn datagram(&self) -> Result<Datagram<'_>, WireError> {
        match self {
            Delivered::V4 { datagram, .. } => parse_ipv4_datagram(datagram),
            Delivered::V6 {
                src,
                dst,
                hop_limit,
                message,
                ..
            } => parse_ipv6_datagram(message, *src, *dst, *hop_limit),
        }
    }

    /// The core's input for this datagram; the core runs every receive check on it.
    pub fn into_input(self) -> Input {
        match self {
            Delivered::V4 { ifindex, datagram } => Input::Ipv4 { ifindex, datagram },
            Delivered::V6 {
                ifindex,
                src,
                dst,
                hop_limit,
                message,
            } => Input::Packet {
                ifindex,
                src: IpAddr::V6(src),
                dst: IpAddr::V6(dst),
                ttl: hop_limit,
                bytes: message,
            },
        }
    }
}

/// A receive socket for one interface and one group or unicast address.
#[derive(Debug)]
pub struct RecvSocket {
    io: AsyncFd<Socket>,
    ifname: String,
    ifindex: u32,
    family: Family,
    /// One receive buffer for the socket's life: a datagram is read into it and only its
    /// bytes are copied out, so a flood costs no 8 KiB allocation per packet.
    buf: std::sync::Mutex<Box<[u8]>>,
}

impl RecvSocket {
    /// Opens the receive socket on `ifname` (index `ifindex`) as keepalived does (docs/keepalived-compat.md#sockets).
    ///
    /// A unicast address that is not local fails here with the kernel's `EADDRNOTAVAIL`; the
    /// shell logs keepalived's `bind unicast_src X failed` around it.
    /// `protocol` is 112, or 51 for `auth_type AH` instances (docs/keepalived-compat.md#ipsec-ah).
    pub fn open(
        ifname: &str,
        ifindex: u32,
        listen: Listen,
        protocol: u8,
    ) -> Result<RecvSocket, SysError> {
        let what = |op: &str| format!("{op} on {ifname}");
        let fail = |op: &str| {
            let what = what(op);
            move |e| SysError::os(what, Privilege::NetRaw, e)
        };
        let bind_to = listen.addr();
        let family = family_of(bind_to);
        let sock = raw_socket(family, protocol, &what("open the VRRP receive socket"))?;
        sock.bind_device(Some(ifname.as_bytes()))
            .map_err(fail("bind the VRRP receive socket to the device"))?;
        match family {
            Family::V4 => v4::receive_options(&sock, &what)?,
            Family::V6 => v6::receive_options(&sock, &what)?,
        }
        if let Listen::Multicast(group) = listen {
            let joined = match group {
                IpAddr::V4(g) => v4::join(&sock, g, ifindex),
                IpAddr::V6(g) => sock.join_multicast_v6(&g, ifindex),
            };
            joined.map_err(fail(&format!("join multicast group {group}")))?;
        }
        sock.bind(&sockaddr(bind_to, ifindex))
            .map_err(fail(&format!("bind the VRRP receive socket to {bind_to}")))?;
        sock.set_nonblocking(true)
            .map_err(fail("make the VRRP receive socket non-blocking"))?;
        let io = register(sock, Interest::READABLE)
            .map_err(fail("register the VRRP receive socket with tokio"))?;
        Ok(RecvSocket {
            io,
            ifname: ifname.to_owned(),
            ifindex,
            family,
            buf: std::sync::Mutex::new(vec![0u8; RECV_BUF].into_boxed_slice()),
        })
    }

    /// Waits for the next datagram.
    ///
    /// Cancel safe: a datagram is only read once it is returned, so this can sit in the
    /// shell's `select!`.
    pub async fn recv(&self) -> Result<Delivered, SysError> {
        loop {
            let mut guard = self.io.readable().await.map_err(|e| self.err(e))?;
            match guard.try_io(|inner| self.recv_one(inner.get_ref())) {
                Ok(Ok(Some(r))) => return Ok(r),
                Ok(Ok(None)) => continue,
                Ok(Err(e)) => return Err(self.err(e)),
                Err(_would_block) => continue,
            }
        }
    }

    /// Reads one datagram if one is queued, without waiting: the shell drains the queue after
    /// each wake-up (docs/keepalived-compat.md#sockets).
    pub fn try_recv(&self) -> Result<Option<Delivered>, SysError> {
        loop {
            match self.recv_one(self.io.get_ref()) {
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

    /// Reads one datagram; `Ok(None)` for one to skip (an IPv6 datagram without the ancillary
    /// data that says where it came from and went to).
    fn recv_one(&self, sock: &Socket) -> io::Result<Option<Delivered>> {
        // Only this socket's receive task reads it: the lock is never contended.
        let mut guard = self
            .buf
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match self.family {
            Family::V4 => v4::recv_one(sock, self.ifindex, &mut guard).map(Some),
            Family::V6 => v6::recv_one(sock, self.ifindex, &mut guard),
        }
    }

    fn err(&self, e: io::Error) -> SysError {
        SysError::os(
            format!("receive a VRRP advert on {}", self.ifname),
            Privilege::NetRaw,
            e,
        )
    }
}

/// The send socket of one interface (IPv4), or of one interface and source address (IPv6).
#[derive(Debug)]
pub struct SendSocket {
    io: AsyncFd<Socket>,
    ifname: String,
    ifindex: u32,
}

impl SendSocket {
    /// Opens the IPv4 send socket on `ifname` (index `ifindex`) as keepalived does (docs/keepalived-compat.md#sockets).
    pub fn open_v4(ifname: &str, ifindex: u32) -> Result<SendSocket, SysError> {
        SendSocket::open(ifname, ifindex, Family::V4, |sock, what| {
            v4::send_options(sock, ifindex, what)
        })
    }

    /// Opens the IPv6 send socket on `ifname` for adverts from `src` (the link-local address,
    /// docs/keepalived-compat.md#advert-packet-layout).
    pub fn open_v6(ifname: &str, ifindex: u32, src: Ipv6Addr) -> Result<SendSocket, SysError> {
        SendSocket::open(ifname, ifindex, Family::V6, |sock, what| {
            v6::send_options(sock, ifindex, src, what)
        })
    }

    /// The set-up both families share, around the family's own options.
    fn open(
        ifname: &str,
        ifindex: u32,
        family: Family,
        options: impl FnOnce(&Socket, &dyn Fn(&str) -> String) -> Result<(), SysError>,
    ) -> Result<SendSocket, SysError> {
        let what = |op: &str| format!("{op} on {ifname}");
        let fail = |op: &str| {
            let what = what(op);
            move |e| SysError::os(what, Privilege::NetRaw, e)
        };
        // With IP_HDRINCL the header's protocol field decides what goes out, so one socket
        // of protocol 112 also sends the AH adverts (protocol 51).
        let sock = raw_socket(family, PROTO_VRRP, &what("open the VRRP send socket"))?;
        sock.bind_device(Some(ifname.as_bytes()))
            .map_err(fail("bind the VRRP send socket to the device"))?;
        options(&sock, &what)?;
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
            ifindex,
        })
    }

    /// Sends `message` (the VRRP message, or AH + VRRP when `ip.protocol` is AH) behind the
    /// IPv4 header `ip`, built by `wire::emit_ipv4_datagram`. Multicast destinations are sent
    /// with `MSG_DONTROUTE` (docs/keepalived-compat.md#advert-packet-layout).
    pub async fn send_v4(&self, ip: &Ipv4Repr, message: &[u8]) -> Result<(), SysError> {
        let what = || format!("send a VRRP advert to {} on {}", ip.dst, self.ifname);
        let packet = crate::wire::emit_ipv4_datagram(ip, message).map_err(|e| SysError::Os {
            what: what(),
            source: io::Error::new(io::ErrorKind::InvalidInput, e.to_string()),
        })?;
        self.send_to(&packet, IpAddr::V4(ip.dst), v4::send_flags(ip.dst))
            .await
            .map_err(|e| SysError::os(what(), Privilege::NetRaw, e))
    }

    /// Sends one VRRP message (checksum included) to `dst`; the kernel adds the IPv6 header.
    /// `hops` is the unicast hop limit (`unicast_ttl`), multicast always goes out with 255.
    pub async fn send_v6(&self, dst: Ipv6Addr, hops: u8, message: &[u8]) -> Result<(), SysError> {
        let what = || format!("send a VRRP advert to {dst} on {}", self.ifname);
        if !dst.is_multicast() {
            self.io
                .get_ref()
                .set_unicast_hops_v6(u32::from(hops))
                .map_err(|e| SysError::os(what(), Privilege::NetRaw, e))?;
        }
        self.send_to(message, IpAddr::V6(dst), 0)
            .await
            .map_err(|e| SysError::os(what(), Privilege::NetRaw, e))
    }

    async fn send_to(&self, bytes: &[u8], dst: IpAddr, flags: libc::c_int) -> io::Result<()> {
        let to = sockaddr(dst, self.ifindex);
        self.io
            .async_io(Interest::WRITABLE, |s| {
                s.send_to_with_flags(bytes, &to, flags)
            })
            .await
            .map(|_| ())
    }
}

fn family_of(addr: IpAddr) -> Family {
    match addr {
        IpAddr::V4(_) => Family::V4,
        IpAddr::V6(_) => Family::V6,
    }
}

/// A raw socket of `protocol` (112, or 51 for AH) in `family`.
fn raw_socket(family: Family, protocol: u8, what: &str) -> Result<Socket, SysError> {
    let domain = match family {
        Family::V4 => Domain::IPV4,
        Family::V6 => Domain::IPV6,
    };
    Socket::new(domain, Type::RAW, Some(Protocol::from(i32::from(protocol))))
        .map_err(|e| SysError::os(what, Privilege::NetRaw, e))
}

/// The socket address of `addr` (port 0); link-scoped IPv6 addresses get the interface index.
fn sockaddr(addr: IpAddr, ifindex: u32) -> SockAddr {
    match addr {
        IpAddr::V4(a) => SockAddr::from(std::net::SocketAddrV4::new(a, 0)),
        IpAddr::V6(a) => v6::sockaddr(a, ifindex),
    }
}

/// Hands the socket to tokio's reactor.
fn register(sock: Socket, interest: Interest) -> io::Result<AsyncFd<Socket>> {
    // SAFETY: the AsyncFd takes ownership of the socket, so its descriptor stays open and
    // unchanged for as long as the registration lives.
    unsafe { AsyncFd::register_with_interest(sock, interest) }.map_err(|e| e.into_parts().1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{emit_ipv4_datagram, GROUP_V4, GROUP_V6, PROTO_AH};

    /// A v2 advert for VRID 51 (first four bytes are enough for the hand-over).
    const MSG: [u8; 8] = [0x21, 51, 100, 1, 0, 1, 0, 0];

    #[test]
    fn ipv4_datagrams_reach_the_core_whole_and_ah_is_not_dropped_here() {
        let src = "10.0.0.2".parse().unwrap();
        for protocol in [PROTO_VRRP, PROTO_AH] {
            let mut ip = Ipv4Repr::vrrp(src, GROUP_V4, 255, 1, 0);
            ip.protocol = protocol;
            // Room for an AH header in front of the message when there is one.
            let mut payload = vec![0; if protocol == PROTO_AH { 24 } else { 0 }];
            payload.extend_from_slice(&MSG);
            let datagram = emit_ipv4_datagram(&ip, &payload).unwrap();
            let r = Delivered::V4 {
                ifindex: 3,
                datagram: datagram.clone(),
            };
            assert_eq!(r.ifindex(), 3);
            assert_eq!(r.datagram().map(|d| d.protocol), Ok(protocol));
            assert_eq!(
                r.into_input(),
                Input::Ipv4 {
                    ifindex: 3,
                    datagram
                }
            );
        }
    }

    #[test]
    fn ipv6_messages_reach_the_core_with_their_envelope() {
        let src: Ipv6Addr = "fe80::2".parse().unwrap();
        let r = Delivered::V6 {
            ifindex: 4,
            src,
            dst: GROUP_V6,
            hop_limit: 255,
            message: MSG.to_vec(),
        };
        assert_eq!(r.datagram().map(|d| d.message.len()), Ok(8));
        assert_eq!(
            r.into_input(),
            Input::Packet {
                ifindex: 4,
                src: IpAddr::V6(src),
                dst: IpAddr::V6(GROUP_V6),
                ttl: 255,
                bytes: MSG.to_vec(),
            }
        );
    }
}
