//! The IPv6 parts of the VRRP sockets: receive options (`IPV6_RECVPKTINFO`,
//! `IPV6_RECVHOPLIMIT`), the send options (multicast interface, loop off, hop limit 255,
//! traffic class 0xC0, bound source), scoped socket addresses and reading one message
//! (docs/keepalived-compat.md#advert-packet-layout, docs/keepalived-compat.md#sockets). The kernel builds the IPv6 header.

use std::io::{self, IoSliceMut};
use std::net::{Ipv6Addr, SocketAddrV6};
use std::os::fd::AsRawFd;

use nix::sys::socket::{recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, SockaddrIn6};
use socket2::{SockAddr, Socket};

use super::Delivered;
use crate::sys::{Privilege, SysError};
use crate::wire::{ADVERT_TOS, ADVERT_TTL};

/// `IPV6_MULTICAST_ALL` off; `IPV6_RECVPKTINFO` and `IPV6_RECVHOPLIMIT` on, because raw IPv6
/// sockets do not hand over the header that holds the destination and hop limit.
pub(super) fn receive_options(
    sock: &Socket,
    what: &dyn Fn(&str) -> String,
) -> Result<(), SysError> {
    sock.set_multicast_all_v6(false)
        .map_err(|e| SysError::os(what("disable IPV6_MULTICAST_ALL"), Privilege::NetRaw, e))?;
    setsockopt(sock, sockopt::Ipv6RecvPacketInfo, &true)
        .map_err(|e| SysError::os(what("enable IPV6_RECVPKTINFO"), Privilege::NetRaw, e.into()))?;
    setsockopt(sock, sockopt::Ipv6RecvHopLimit, &true).map_err(|e| {
        SysError::os(
            what("enable IPV6_RECVHOPLIMIT"),
            Privilege::NetRaw,
            e.into(),
        )
    })
}

/// Multicast interface, loop off, multicast hop limit 255, traffic class 0xC0, bound to the
/// advert's source address.
pub(super) fn send_options(
    sock: &Socket,
    ifindex: u32,
    src: Ipv6Addr,
    what: &dyn Fn(&str) -> String,
) -> Result<(), SysError> {
    let fail = |op: &str| {
        let what = what(op);
        move |e| SysError::os(what, Privilege::NetRaw, e)
    };
    sock.set_multicast_if_v6(ifindex)
        .map_err(fail("set IPV6_MULTICAST_IF"))?;
    sock.set_multicast_loop_v6(false)
        .map_err(fail("disable IPV6_MULTICAST_LOOP"))?;
    sock.set_multicast_hops_v6(u32::from(ADVERT_TTL))
        .map_err(fail("set IPV6_MULTICAST_HOPS"))?;
    sock.set_tclass_v6(u32::from(ADVERT_TOS))
        .map_err(fail("set IPV6_TCLASS"))?;
    // At boot the link-local address may still be tentative (DAD); binding it would fail
    // and take the daemon down, so bind freely and let the first adverts wait for DAD.
    sock.set_freebind_v6(true)
        .map_err(fail("set IPV6_FREEBIND"))?;
    sock.bind(&sockaddr(src, ifindex))
        .map_err(fail(&format!("bind the VRRP send socket to {src}")))
}

/// The socket address of `addr` on interface `ifindex` (link-local scopes need the index).
pub(super) fn sockaddr(addr: Ipv6Addr, ifindex: u32) -> SockAddr {
    let scope = if is_link_scoped(&addr) { ifindex } else { 0 };
    SockAddr::from(SocketAddrV6::new(addr, 0, 0, scope))
}

fn is_link_scoped(a: &Ipv6Addr) -> bool {
    let s = a.segments().first().copied().unwrap_or_default();
    s & 0xffc0 == 0xfe80 || (a.is_multicast() && s & 0x000f == 0x2)
}

/// Reads one message with its source, destination and hop limit; `Ok(None)` when the
/// ancillary data is missing (nothing to check it against).
pub(super) fn recv_one(
    sock: &Socket,
    bound_ifindex: u32,
    buf: &mut [u8],
) -> io::Result<Option<Delivered>> {
    let mut cmsg = nix::cmsg_space!(libc::in6_pktinfo, libc::c_int);
    let (len, ifindex, src, dst, hops) = {
        let mut iov = [IoSliceMut::new(buf)];
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
    let (Some(src), Some(dst), Some(hop_limit)) = (src, dst, hops) else {
        return Ok(None);
    };
    let bytes = buf.get(..len).unwrap_or_default().to_vec();
    Ok(Some(Delivered::V6 {
        ifindex,
        src,
        dst,
        hop_limit,
        message: bytes,
    }))
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
        let scoped = sockaddr("fe80::1".parse().unwrap(), 7);
        assert_eq!(
            scoped.as_socket_ipv6().map(|a| a.scope_id()),
            Some(7),
            "{scoped:?}"
        );
    }
}
