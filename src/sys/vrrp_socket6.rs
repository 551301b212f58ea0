//! Raw IPv6 protocol 112 sockets for VRRPv3 over IPv6 (keepalived-behaviour.md §6.1, §6.3).
//!
//! The IPv6 sibling of [`super::vrrp_socket`]. The kernel builds the IPv6 header, so:
//!
//! * [`RecvSocket6`]: bound to the device, `IPV6_MULTICAST_ALL` off, joined to the group on the
//!   interface and bound to it (multicast) or bound to the local source address (unicast);
//!   `IPV6_RECVPKTINFO` and `IPV6_RECVHOPLIMIT` give the destination, the interface and the hop
//!   limit that raw IPv6 sockets do not hand over in the payload.
//! * [`SendSocket6`]: bound to the device and to the advert's source address (the link-local
//!   address, §6.1), traffic class 0xC0, multicast hop limit 255, multicast loop off, a receive
//!   buffer of 0 and a drop-all filter. The VRRPv3 checksum (with the IPv6 pseudo-header) is
//!   already in the message the core built, so `IPV6_CHECKSUM` stays off.

use std::io::{self, IoSliceMut};
use std::net::{IpAddr, Ipv6Addr, SocketAddrV6};
use std::os::fd::AsRawFd;

use nix::sys::socket::{recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, SockaddrIn6};
use socket2::{Domain, Protocol, SockAddr, SockFilter, Socket, Type};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use super::vrrp_socket::{Received, IPPROTO_VRRP, VRRP_TOS, VRRP_TTL};
use super::{Privilege, SysError};

const RECV_BUF: usize = 8192;
const BPF_RET_K: u16 = 0x06;

/// What an IPv6 receive socket listens to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Listen6 {
    /// Join this group (ff02::12 by default) on the interface.
    Multicast(Ipv6Addr),
    /// Unicast mode: only adverts addressed to this local address.
    Unicast(Ipv6Addr),
}

/// The socket address of `addr` on interface `ifindex` (link-local scopes need the index).
fn sockaddr(addr: Ipv6Addr, ifindex: u32) -> SockAddr {
    let scope = if is_link_scoped(&addr) { ifindex } else { 0 };
    SockAddr::from(SocketAddrV6::new(addr, 0, 0, scope))
}

fn is_link_scoped(a: &Ipv6Addr) -> bool {
    let s = a.segments().first().copied().unwrap_or_default();
    s & 0xffc0 == 0xfe80 || (a.is_multicast() && s & 0x000f == 0x2)
}

fn raw_v6(what: &str) -> Result<Socket, SysError> {
    Socket::new(
        Domain::IPV6,
        Type::RAW,
        Some(Protocol::from(i32::from(IPPROTO_VRRP))),
    )
    .map_err(|e| SysError::os(what, Privilege::NetRaw, e))
}

fn register(sock: Socket, interest: Interest) -> io::Result<AsyncFd<Socket>> {
    // SAFETY: the AsyncFd owns the socket, so its descriptor stays valid while registered.
    unsafe { AsyncFd::register_with_interest(sock, interest) }.map_err(|e| e.into_parts().1)
}

/// An IPv6 receive socket for one interface and one group or unicast address.
#[derive(Debug)]
pub struct RecvSocket6 {
    io: AsyncFd<Socket>,
    ifname: String,
    ifindex: u32,
}

impl RecvSocket6 {
    pub fn open(ifname: &str, ifindex: u32, listen: Listen6) -> Result<RecvSocket6, SysError> {
        let what = |op: &str| format!("{op} on {ifname}");
        let sock = raw_v6(&what("open the VRRP IPv6 receive socket"))?;
        let fail = |op: &str| {
            let what = what(op);
            move |e| SysError::os(what, Privilege::NetRaw, e)
        };
        sock.bind_device(Some(ifname.as_bytes()))
            .map_err(fail("bind the VRRP IPv6 receive socket to the device"))?;
        sock.set_multicast_all_v6(false)
            .map_err(fail("disable IPV6_MULTICAST_ALL"))?;
        setsockopt(&sock, sockopt::Ipv6RecvPacketInfo, &true).map_err(|e| {
            SysError::os(what("enable IPV6_RECVPKTINFO"), Privilege::NetRaw, e.into())
        })?;
        setsockopt(&sock, sockopt::Ipv6RecvHopLimit, &true).map_err(|e| {
            SysError::os(
                what("enable IPV6_RECVHOPLIMIT"),
                Privilege::NetRaw,
                e.into(),
            )
        })?;
        let bind_to = match listen {
            Listen6::Multicast(group) => {
                sock.join_multicast_v6(&group, ifindex)
                    .map_err(fail(&format!("join multicast group {group}")))?;
                group
            }
            Listen6::Unicast(local) => local,
        };
        sock.bind(&sockaddr(bind_to, ifindex))
            .map_err(fail(&format!("bind the VRRP receive socket to {bind_to}")))?;
        sock.set_nonblocking(true)
            .map_err(fail("make the VRRP receive socket non-blocking"))?;
        let io = register(sock, Interest::READABLE)
            .map_err(fail("register the VRRP receive socket with tokio"))?;
        Ok(RecvSocket6 {
            io,
            ifname: ifname.to_owned(),
            ifindex,
        })
    }

    /// The next advert, with the destination and hop limit from ancillary data. Cancel safe.
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

    fn err(&self, e: io::Error) -> SysError {
        SysError::os(
            format!("receive a VRRP advert on {}", self.ifname),
            Privilege::NetRaw,
            e,
        )
    }
}

fn recv_one(sock: &Socket, bound_ifindex: u32) -> io::Result<Option<Received>> {
    let mut buf = vec![0u8; RECV_BUF];
    let mut cmsg = nix::cmsg_space!(libc::in6_pktinfo, libc::c_int);
    let (len, ifindex, src, dst, hops) = {
        let mut iov = [IoSliceMut::new(&mut buf)];
        let msg = recvmsg::<SockaddrIn6>(
            sock.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_DONTWAIT,
        )?;
        let mut ifindex = bound_ifindex;
        let mut dst = None;
        let mut hops = None;
        for c in msg.cmsgs()? {
            match c {
                ControlMessageOwned::Ipv6PacketInfo(info) => {
                    ifindex = info.ipi6_ifindex;
                    dst = Some(Ipv6Addr::from(info.ipi6_addr.s6_addr));
                }
                ControlMessageOwned::Ipv6HopLimit(h) => hops = u8::try_from(h).ok(),
                _ => {}
            }
        }
        (msg.bytes, ifindex, msg.address.map(|a| a.ip()), dst, hops)
    };
    let (Some(src), Some(dst), Some(ttl)) = (src, dst, hops) else {
        return Ok(None);
    };
    Ok(buf.get(..len).map(|payload| Received {
        ifindex,
        src: IpAddr::V6(src),
        dst: IpAddr::V6(dst),
        ttl,
        protocol: IPPROTO_VRRP,
        payload: payload.to_vec(),
    }))
}

/// The IPv6 send socket of one interface and source address.
#[derive(Debug)]
pub struct SendSocket6 {
    io: AsyncFd<Socket>,
    ifname: String,
    ifindex: u32,
}

impl SendSocket6 {
    pub fn open(ifname: &str, ifindex: u32, src: Ipv6Addr) -> Result<SendSocket6, SysError> {
        let what = |op: &str| format!("{op} on {ifname}");
        let sock = raw_v6(&what("open the VRRP IPv6 send socket"))?;
        let fail = |op: &str| {
            let what = what(op);
            move |e| SysError::os(what, Privilege::NetRaw, e)
        };
        sock.bind_device(Some(ifname.as_bytes()))
            .map_err(fail("bind the VRRP IPv6 send socket to the device"))?;
        sock.set_multicast_if_v6(ifindex)
            .map_err(fail("set IPV6_MULTICAST_IF"))?;
        sock.set_multicast_loop_v6(false)
            .map_err(fail("disable IPV6_MULTICAST_LOOP"))?;
        sock.set_multicast_hops_v6(u32::from(VRRP_TTL))
            .map_err(fail("set IPV6_MULTICAST_HOPS"))?;
        sock.set_tclass_v6(u32::from(VRRP_TOS))
            .map_err(fail("set IPV6_TCLASS"))?;
        // At boot the link-local address may still be tentative (DAD); binding it would fail
        // and take the daemon down, so bind freely and let the first adverts wait for DAD.
        sock.set_freebind_v6(true)
            .map_err(fail("set IPV6_FREEBIND"))?;
        sock.bind(&sockaddr(src, ifindex))
            .map_err(fail(&format!("bind the VRRP send socket to {src}")))?;
        sock.set_recv_buffer_size(0)
            .map_err(fail("shrink the send socket's receive buffer"))?;
        sock.attach_filter(&[SockFilter::new(BPF_RET_K, 0, 0, 0)])
            .map_err(fail("attach the drop-all filter to the send socket"))?;
        sock.set_nonblocking(true)
            .map_err(fail("make the VRRP send socket non-blocking"))?;
        let io = register(sock, Interest::WRITABLE)
            .map_err(fail("register the VRRP send socket with tokio"))?;
        Ok(SendSocket6 {
            io,
            ifname: ifname.to_owned(),
            ifindex,
        })
    }

    /// Sends one VRRP message (checksum included) to `dst`; `hops` is the unicast hop limit
    /// (`unicast_ttl`), multicast always goes out with 255.
    pub async fn send(&self, dst: Ipv6Addr, hops: u8, payload: &[u8]) -> Result<(), SysError> {
        let what = || format!("send a VRRP advert to {dst} on {}", self.ifname);
        if !dst.is_multicast() {
            self.io
                .get_ref()
                .set_unicast_hops_v6(u32::from(hops))
                .map_err(|e| SysError::os(what(), Privilege::NetRaw, e))?;
        }
        let to = sockaddr(dst, self.ifindex);
        self.io
            .async_io(Interest::WRITABLE, |s| s.send_to(payload, &to))
            .await
            .map(|_| ())
            .map_err(|e| SysError::os(what(), Privilege::NetRaw, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_scoped_addresses_get_the_interface_index() {
        assert!(is_link_scoped(&"fe80::1".parse().unwrap()));
        assert!(is_link_scoped(&"ff02::12".parse().unwrap()));
        assert!(!is_link_scoped(&"2001:db8::1".parse().unwrap()));
        assert!(!is_link_scoped(&"ff05::12".parse().unwrap()));
    }
}
