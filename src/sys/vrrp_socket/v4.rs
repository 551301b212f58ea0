//! The IPv4 parts of the VRRP sockets: receive options (`IP_PKTINFO`), the group join by
//! interface index, the send options (`IP_HDRINCL`, `IP_MULTICAST_IF`, loop off, TOS) and
//! reading one datagram (docs/keepalived-compat.md#advert-packet-layout, docs/keepalived-compat.md#sockets).

use std::io::{self, IoSliceMut};
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;

use nix::sys::socket::{recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, SockaddrIn};
use socket2::{InterfaceIndexOrAddress, Socket};

use super::Delivered;
use crate::sys::{Privilege, SysError};
use crate::wire::ADVERT_TOS;

/// `IP_MULTICAST_ALL` off (only the groups joined on this socket) and `IP_PKTINFO` on (the
/// interface of each datagram).
pub(super) fn receive_options(
    sock: &Socket,
    what: &dyn Fn(&str) -> String,
) -> Result<(), SysError> {
    sock.set_multicast_all_v4(false)
        .map_err(|e| SysError::os(what("disable IP_MULTICAST_ALL"), Privilege::NetRaw, e))?;
    setsockopt(sock, sockopt::Ipv4PacketInfo, &true)
        .map_err(|e| SysError::os(what("enable IP_PKTINFO"), Privilege::NetRaw, e.into()))
}

/// Joins `group` on the interface with index `ifindex`.
pub(super) fn join(sock: &Socket, group: Ipv4Addr, ifindex: u32) -> io::Result<()> {
    sock.join_multicast_v4_n(&group, &InterfaceIndexOrAddress::Index(ifindex))
}

/// `IP_HDRINCL` (keepalived builds the header), `IP_MULTICAST_IF` = the interface,
/// `IP_MULTICAST_LOOP` off, `IP_TOS` 0xC0.
pub(super) fn send_options(
    sock: &Socket,
    ifindex: u32,
    what: &dyn Fn(&str) -> String,
) -> Result<(), SysError> {
    let fail = |op: &str| {
        let what = what(op);
        move |e| SysError::os(what, Privilege::NetRaw, e)
    };
    sock.set_header_included_v4(true)
        .map_err(fail("set IP_HDRINCL"))?;
    set_multicast_if_index(sock, ifindex).map_err(fail("set IP_MULTICAST_IF"))?;
    sock.set_multicast_loop_v4(false)
        .map_err(fail("disable IP_MULTICAST_LOOP"))?;
    sock.set_tos_v4(u32::from(ADVERT_TOS))
        .map_err(fail("set IP_TOS"))
}

/// Multicast adverts go out with `MSG_DONTROUTE` (docs/keepalived-compat.md#advert-packet-layout).
pub(super) fn send_flags(dst: Ipv4Addr) -> libc::c_int {
    if dst.is_multicast() {
        libc::MSG_DONTROUTE
    } else {
        0
    }
}

/// Reads one datagram, header included, unparsed.
pub(super) fn recv_one(sock: &Socket, bound_ifindex: u32, buf: &mut [u8]) -> io::Result<Delivered> {
    let mut cmsg = nix::cmsg_space!(libc::in_pktinfo);
    let (len, ifindex) = {
        let mut iov = [IoSliceMut::new(buf)];
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
    let bytes = buf.get(..len).unwrap_or_default().to_vec();
    Ok(Delivered::V4 {
        ifindex,
        datagram: bytes,
    })
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
