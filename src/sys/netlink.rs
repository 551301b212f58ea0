//! rtnetlink: interface lookup, VIP add/delete, and the link/address monitor
//! (docs/keepalived-compat.md#adding-addresses–docs/keepalived-compat.md#removing-addresses, docs/keepalived-compat.md#log-lines "Netlink reports eth0 down").
//!
//! [`Netlink`] is the request side (one connection, cloneable handle). [`Monitor`] is a
//! separate multicast connection subscribed to the link and IPv4/IPv6 address groups, the
//! equivalent of keepalived's "kernel netlink reflector"; it turns kernel notifications into
//! the typed [`Change`]s the shell feeds to the core as `Input::Link` / `Input::Addr`.
//!
//! VIPs are added with a hand-built `RTM_NEWADDR` instead of rtnetlink's `address().add()`,
//! because that helper always adds `IFA_BROADCAST`, while keepalived adds a broadcast address
//! only when the configuration says `brd` (docs/keepalived-compat.md#adding-addresses): the resulting address must be exactly what
//! `ip addr add 10.99.0.100/24 dev eth0 label eth0:1` gives.
//!
//! Both constructors spawn their connection task with `tokio::spawn`, so they must be called
//! inside a tokio runtime.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use futures::channel::mpsc::UnboundedReceiver;
use futures::{Stream, StreamExt, TryStreamExt};
use rtnetlink::packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_REQUEST};
use rtnetlink::packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage, AddressScope, CacheInfo,
};
use rtnetlink::packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use rtnetlink::packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::sys::{AsyncSocket, SocketAddr};
use rtnetlink::{Handle, MulticastGroup};

use super::{Privilege, SysError};

/// What the kernel knows about one interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub index: u32,
    pub name: String,
    /// IFF_UP: administratively up.
    pub admin_up: bool,
    /// IFF_RUNNING: operationally up (carrier).
    pub running: bool,
    /// IFF_NOARP: keepalived sends no gratuitous ARP on such interfaces (docs/keepalived-compat.md#gratuitous-arp-and-unsolicited-na).
    pub noarp: bool,
    /// The hardware address when it is an Ethernet MAC.
    pub mac: Option<[u8; 6]>,
    /// IFF_LOOPBACK.
    pub loopback: bool,
    /// IFF_MULTICAST.
    pub multicast: bool,
}

impl Link {
    /// keepalived's notion of "up": IFF_UP and IFF_RUNNING both set.
    pub fn is_up(&self) -> bool {
        self.admin_up && self.running
    }
}

/// One address configured on an interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IfAddr {
    pub ifindex: u32,
    /// The local address (IFA_LOCAL, or IFA_ADDRESS when there is no IFA_LOCAL).
    pub addr: IpAddr,
    pub prefix: u8,
    /// The peer address of a point-to-point address.
    pub peer: Option<IpAddr>,
    pub label: Option<String>,
    /// IFA_F_SECONDARY: not the primary address of its subnet.
    pub secondary: bool,
}

/// A virtual address as keepalived configures it (docs/keepalived-compat.md#virtual-address-entries `virtual_ipaddress` entry, docs/keepalived-compat.md#adding-addresses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vip {
    pub ifindex: u32,
    pub addr: IpAddr,
    /// Default 32 / 128.
    pub prefix: u8,
    /// `scope`; 0 = global (RT_SCOPE_UNIVERSE) by default.
    pub scope: u8,
    /// `brd`: added as IFA_BROADCAST only when given.
    pub broadcast: Option<Ipv4Addr>,
    /// `label`: IFA_LABEL, IPv4 only.
    pub label: Option<String>,
    /// `peer`: IFA_ADDRESS set to the peer instead of the local address.
    pub peer: Option<IpAddr>,
    /// IPv6: IFA_F_NODAD (keepalived always sets it unless `-nodad`).
    pub nodad: bool,
    /// IPv6: IFA_CACHEINFO preferred lifetime in seconds (valid = infinite). keepalived sends
    /// 0 for /128 VIPs (RFC 3484 "deprecated", so a VIP is never picked as a source address)
    /// and nothing otherwise. `None` leaves the kernel default (forever).
    pub preferred_lft: Option<u32>,
}

impl Vip {
    /// A VIP with keepalived's defaults: global scope, no brd/label/peer; for IPv6 NODAD, and
    /// a preferred lifetime of 0 when the prefix is /128 (docs/keepalived-compat.md#adding-addresses).
    pub fn new(ifindex: u32, addr: IpAddr, prefix: u8) -> Vip {
        let v6 = addr.is_ipv6();
        let host_route = v6 && prefix == 128;
        Vip {
            ifindex,
            addr,
            prefix,
            scope: 0,
            broadcast: None,
            label: None,
            peer: None,
            nodad: v6,
            preferred_lft: host_route.then_some(0),
        }
    }

    /// The `RTM_NEWADDR` / `RTM_DELADDR` body (docs/keepalived-compat.md#adding-addresses: prefix length, scope, index; IFA_LOCAL;
    /// IFA_ADDRESS = peer or the address; IFA_BROADCAST and IFA_LABEL only when given).
    pub(super) fn message(&self, for_add: bool) -> AddressMessage {
        let mut m = AddressMessage::default();
        m.header.family = match self.addr {
            IpAddr::V4(_) => AddressFamily::Inet,
            IpAddr::V6(_) => AddressFamily::Inet6,
        };
        m.header.prefix_len = self.prefix;
        m.header.scope = AddressScope::from(self.scope);
        m.header.index = self.ifindex;
        let attrs = &mut m.attributes;
        attrs.push(AddressAttribute::Local(self.addr));
        attrs.push(AddressAttribute::Address(self.peer.unwrap_or(self.addr)));
        if !for_add {
            return m;
        }
        if let (Some(brd), IpAddr::V4(_)) = (self.broadcast, self.addr) {
            attrs.push(AddressAttribute::Broadcast(brd));
        }
        if let (Some(label), IpAddr::V4(_)) = (&self.label, self.addr) {
            attrs.push(AddressAttribute::Label(label.clone()));
        }
        if self.addr.is_ipv6() {
            if self.nodad {
                m.header.flags = AddressHeaderFlags::Nodad;
                attrs.push(AddressAttribute::Flags(AddressFlags::Nodad));
            }
            if let Some(preferred) = self.preferred_lft {
                let mut info = CacheInfo::default();
                info.ifa_preferred = preferred;
                info.ifa_valid = u32::MAX;
                attrs.push(AddressAttribute::CacheInfo(info));
            }
        }
        m
    }
}

/// Result of [`Netlink::add_vip`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    Added,
    /// The kernel already had it (EEXIST); keepalived treats that as set.
    AlreadyPresent,
}

/// Result of [`Netlink::del_vip`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removed {
    Removed,
    /// It was not there (or its interface is gone): not an error (docs/keepalived-compat.md#start-up-cleanup, docs/keepalived-compat.md#removing-addresses).
    NotPresent,
}

/// `vrrp_netlink_cmd_rcv_bufs[_force]` / `vrrp_netlink_monitor_rcv_bufs[_force]`
/// (docs/keywords.md): the receive buffer of a netlink socket. `force` uses SO_RCVBUFFORCE,
/// which (with CAP_NET_ADMIN) may go beyond net.core.rmem_max; the kernel doubles the value
/// for its bookkeeping, as for any SO_RCVBUF.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RcvBuf {
    pub bytes: u32,
    pub force: bool,
}

/// Sets `buf` on `fd`. keepalived logs a failure (`Cannot set SO_RCVBUF IP option`) and carries
/// on with the default size; so does vrrpd.
fn set_rcvbuf(fd: &impl std::os::fd::AsFd, buf: Option<RcvBuf>, which: &str) {
    use nix::sys::socket::{setsockopt, sockopt};
    let Some(buf) = buf else { return };
    let bytes = usize::try_from(buf.bytes).unwrap_or(usize::MAX);
    let res = if buf.force {
        setsockopt(fd, sockopt::RcvBufForce, &bytes)
    } else {
        setsockopt(fd, sockopt::RcvBuf, &bytes)
    };
    if let Err(e) = res {
        let opt = if buf.force {
            "SO_RCVBUFFORCE"
        } else {
            "SO_RCVBUF"
        };
        tracing::warn!(target: "vrrpd", "Cannot set {opt} on the netlink {which} socket: {e}");
    }
}

/// The request side of rtnetlink.
#[derive(Clone, Debug)]
pub struct Netlink {
    handle: Handle,
}

impl Netlink {
    /// Opens the connection and spawns its driver task on the current tokio runtime.
    pub fn open() -> Result<Netlink, SysError> {
        Netlink::open_with(None)
    }

    /// [`Netlink::open`] with the receive buffer `vrrp_netlink_cmd_rcv_bufs` asks for.
    pub fn open_with(rcvbuf: Option<RcvBuf>) -> Result<Netlink, SysError> {
        let (mut conn, handle, _messages) = rtnetlink::new_connection()
            .map_err(|e| SysError::os("open a netlink socket", Privilege::NetAdmin, e))?;
        set_rcvbuf(conn.socket_mut().socket_ref(), rcvbuf, "command");
        tokio::spawn(conn);
        Ok(Netlink { handle })
    }

    /// The request handle, for the other rtnetlink files of `sys` (netlink_vmac.rs).
    pub(super) fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// The interface called `name`, or `None` when it does not exist.
    pub async fn link_by_name(&self, name: &str) -> Result<Option<Link>, SysError> {
        let req = self.handle.link().get().match_name(name.to_owned());
        first_link(req.execute(), &format!("look up interface {name}")).await
    }

    /// The interface with index `index`, or `None` when it does not exist.
    pub async fn link_by_index(&self, index: u32) -> Result<Option<Link>, SysError> {
        let req = self.handle.link().get().match_index(index);
        first_link(req.execute(), &format!("look up interface index {index}")).await
    }

    /// Every interface of this network namespace.
    pub async fn links(&self) -> Result<Vec<Link>, SysError> {
        self.handle
            .link()
            .get()
            .execute()
            .map_err(|e| nl_error("list interfaces", e))
            .try_filter_map(|m| futures::future::ready(Ok(link_from(&m))))
            .try_collect()
            .await
    }

    /// Every IPv4 and IPv6 address of the host, in one dump. rtnetlink's per-interface filter
    /// is applied after the kernel has sent every address anyway, so one dump for all
    /// interfaces costs what one dump per interface costs each time.
    pub async fn all_addresses(&self) -> Result<Vec<IfAddr>, SysError> {
        self.handle
            .address()
            .get()
            .execute()
            .map_err(|e| nl_error("list addresses", e))
            .try_filter_map(|m| futures::future::ready(Ok(addr_from(&m))))
            .try_collect()
            .await
    }

    /// Adds a VIP exactly as keepalived does (docs/keepalived-compat.md#adding-addresses): `RTM_NEWADDR` with only NLM_F_REQUEST
    /// (plus ACK, to learn the outcome), no CREATE/EXCL/REPLACE.
    pub async fn add_vip(&self, vip: &Vip) -> Result<Added, SysError> {
        let what = format!(
            "add address {}/{} to interface index {}",
            vip.addr, vip.prefix, vip.ifindex
        );
        let msg = RouteNetlinkMessage::NewAddress(vip.message(true));
        match self.request(msg, &what).await {
            Ok(()) => Ok(Added::Added),
            Err(e) if e.errno() == Some(libc::EEXIST) => Ok(Added::AlreadyPresent),
            Err(e) => Err(e),
        }
    }

    /// Deletes a VIP (docs/keepalived-compat.md#removing-addresses: IFA_LOCAL/IFA_ADDRESS and prefix length). An address that is not
    /// there, or whose interface has gone, is [`Removed::NotPresent`], not an error.
    pub async fn del_vip(&self, vip: &Vip) -> Result<Removed, SysError> {
        let what = format!(
            "delete address {}/{} from interface index {}",
            vip.addr, vip.prefix, vip.ifindex
        );
        let msg = RouteNetlinkMessage::DelAddress(vip.message(false));
        match self.request(msg, &what).await {
            Ok(()) => Ok(Removed::Removed),
            Err(e)
                if matches!(
                    e.errno(),
                    Some(libc::EADDRNOTAVAIL | libc::ENODEV | libc::ESRCH)
                ) =>
            {
                Ok(Removed::NotPresent)
            }
            Err(e) => Err(e),
        }
    }

    /// Sends one request with NLM_F_REQUEST | NLM_F_ACK and waits for the acknowledgement.
    async fn request(&self, msg: RouteNetlinkMessage, what: &str) -> Result<(), SysError> {
        self.request_with_flags(msg, what, 0).await
    }

    /// [`Self::request`] with extra header flags (NLM_F_CREATE for routes and rules).
    pub(super) async fn request_with_flags(
        &self,
        msg: RouteNetlinkMessage,
        what: &str,
        extra: u16,
    ) -> Result<(), SysError> {
        let mut req = NetlinkMessage::from(msg);
        req.header.flags = NLM_F_REQUEST | NLM_F_ACK | extra;
        let mut handle = self.handle.clone();
        let mut responses = handle.request(req).map_err(|e| nl_error(what, e))?;
        while let Some(reply) = responses.next().await {
            if let NetlinkPayload::Error(err) = reply.payload {
                if err.code.is_some() {
                    return Err(SysError::os(what, Privilege::NetAdmin, err.to_io()));
                }
            }
        }
        Ok(())
    }
}

async fn first_link(
    stream: impl Stream<Item = Result<LinkMessage, rtnetlink::Error>>,
    what: &str,
) -> Result<Option<Link>, SysError> {
    let mut stream = std::pin::pin!(stream);
    match stream.next().await {
        None => Ok(None),
        Some(Ok(m)) => Ok(link_from(&m)),
        Some(Err(e)) => match nl_error(what, e) {
            e if e.errno() == Some(libc::ENODEV) => Ok(None),
            e => Err(e),
        },
    }
}

fn nl_error(what: &str, e: rtnetlink::Error) -> SysError {
    match e {
        rtnetlink::Error::NetlinkError(m) => SysError::os(what, Privilege::NetAdmin, m.to_io()),
        other => SysError::Os {
            what: what.to_owned(),
            source: std::io::Error::other(other.to_string()),
        },
    }
}

fn link_from(m: &LinkMessage) -> Option<Link> {
    let mut name = None;
    let mut mac = None;
    for a in &m.attributes {
        match a {
            LinkAttribute::IfName(n) => name = Some(n.clone()),
            LinkAttribute::Address(hw) => mac = <[u8; 6]>::try_from(hw.as_slice()).ok(),
            _ => {}
        }
    }
    let flags = m.header.flags;
    Some(Link {
        index: m.header.index,
        name: name?,
        admin_up: flags.contains(LinkFlags::Up),
        running: flags.contains(LinkFlags::Running),
        noarp: flags.contains(LinkFlags::Noarp),
        mac,
        loopback: flags.contains(LinkFlags::Loopback),
        multicast: flags.contains(LinkFlags::Multicast),
    })
}

fn addr_from(m: &AddressMessage) -> Option<IfAddr> {
    let mut local = None;
    let mut address = None;
    let mut label = None;
    for a in &m.attributes {
        match a {
            AddressAttribute::Local(ip) => local = Some(*ip),
            AddressAttribute::Address(ip) => address = Some(*ip),
            AddressAttribute::Label(l) => label = Some(l.clone()),
            _ => {}
        }
    }
    let addr = local.or(address)?;
    Some(IfAddr {
        ifindex: m.header.index,
        addr,
        prefix: m.header.prefix_len,
        peer: address.filter(|a| local.is_some() && *a != addr),
        label,
        secondary: m.header.flags.contains(AddressHeaderFlags::Secondary),
    })
}

/// A change reported by the kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A link appeared or its up state, name or MAC changed ("Netlink reports eth0 down").
    /// `up` is keepalived's IFF_UP && IFF_RUNNING.
    LinkChange {
        ifindex: u32,
        name: String,
        up: bool,
        mac: Option<[u8; 6]>,
    },
    /// A link was deleted; keepalived treats this as down.
    LinkRemoved { ifindex: u32, name: String },
    /// An address was added or removed (docs/keepalived-compat.md#addresses-deleted-while-master "Netlink reflector reports IP ... removed").
    AddrChange {
        ifindex: u32,
        addr: IpAddr,
        prefix: u8,
        added: bool,
    },
}

/// The kernel's link and address notifications (`ip monitor link address`).
///
/// The kernel sends RTM_NEWLINK for many reasons (statistics, carrier counters); the monitor
/// remembers the last (name, up, MAC) per interface and reports only real changes.
pub struct Monitor {
    messages: UnboundedReceiver<(NetlinkMessage<RouteNetlinkMessage>, SocketAddr)>,
    links: HashMap<u32, (String, bool, Option<[u8; 6]>)>,
    /// The receive buffer it was opened with, for [`Monitor::rcvbuf`].
    rcvbuf: Option<RcvBuf>,
}

/// What the monitor hands on: a change, or the news that changes were lost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Monitored {
    Change(Change),
    /// The kernel could not queue some notifications (ENOBUFS: the socket's receive buffer
    /// was full; netlink-proto turns the error into an `NLMSG_OVERRUN` message). The reader
    /// must dump the links and addresses again to learn what it missed.
    Overrun,
}

impl Monitor {
    /// Subscribes to RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR and RTNLGRP_IPV6_IFADDR and spawns the
    /// connection task on the current tokio runtime.
    pub fn open() -> Result<Monitor, SysError> {
        Monitor::open_with(None)
    }

    /// [`Monitor::open`] with the receive buffer `vrrp_netlink_monitor_rcv_bufs` asks for
    /// (kept for a reopen after the socket closed).
    pub fn open_with(rcvbuf: Option<RcvBuf>) -> Result<Monitor, SysError> {
        let groups = [
            MulticastGroup::Link,
            MulticastGroup::Ipv4Ifaddr,
            MulticastGroup::Ipv6Ifaddr,
        ];
        let (mut conn, _handle, messages) =
            rtnetlink::new_multicast_connection(&groups).map_err(|e| {
                SysError::os(
                    "subscribe to netlink link and address events",
                    Privilege::NetAdmin,
                    e,
                )
            })?;
        set_rcvbuf(conn.socket_mut().socket_ref(), rcvbuf, "monitor");
        tokio::spawn(conn);
        let mut m = Monitor::from_messages(messages);
        m.rcvbuf = rcvbuf;
        Ok(m)
    }

    /// A monitor reading `messages` (the seam the tests use to inject what the connection
    /// delivers, an overrun for instance).
    pub fn from_messages(
        messages: UnboundedReceiver<(NetlinkMessage<RouteNetlinkMessage>, SocketAddr)>,
    ) -> Monitor {
        Monitor {
            messages,
            links: HashMap::new(),
            rcvbuf: None,
        }
    }

    /// The receive buffer asked for at open (a reopened monitor keeps it).
    pub fn rcvbuf(&self) -> Option<RcvBuf> {
        self.rcvbuf
    }

    /// The next event, overruns skipped; `None` when the netlink connection has closed.
    /// Cancel safe.
    pub async fn next(&mut self) -> Option<Change> {
        loop {
            if let Monitored::Change(e) = self.next_notice().await? {
                return Some(e);
            }
        }
    }

    /// The next event or overrun; `None` when the netlink connection has closed (for
    /// instance after an error netlink-proto cannot recover from). Cancel safe.
    pub async fn next_notice(&mut self) -> Option<Monitored> {
        loop {
            let (msg, _) = self.messages.next().await?;
            if let Some(m) = self.translate(msg) {
                return Some(m);
            }
        }
    }

    fn translate(&mut self, msg: NetlinkMessage<RouteNetlinkMessage>) -> Option<Monitored> {
        let inner = match msg.payload {
            NetlinkPayload::InnerMessage(inner) => inner,
            NetlinkPayload::Overrun(_) => {
                // The remembered link states may be stale now: report every link again.
                self.links.clear();
                return Some(Monitored::Overrun);
            }
            _ => return None,
        };
        self.event(inner).map(Monitored::Change)
    }

    fn event(&mut self, inner: RouteNetlinkMessage) -> Option<Change> {
        match inner {
            RouteNetlinkMessage::NewLink(m) => {
                let link = link_from(&m)?;
                let state = (link.name.clone(), link.is_up(), link.mac);
                if self.links.get(&link.index) == Some(&state) {
                    return None;
                }
                self.links.insert(link.index, state);
                Some(Change::LinkChange {
                    ifindex: link.index,
                    up: link.is_up(),
                    name: link.name,
                    mac: link.mac,
                })
            }
            RouteNetlinkMessage::DelLink(m) => {
                self.links.remove(&m.header.index);
                let link = link_from(&m)?;
                Some(Change::LinkRemoved {
                    ifindex: link.index,
                    name: link.name,
                })
            }
            RouteNetlinkMessage::NewAddress(m) => addr_event(&m, true),
            RouteNetlinkMessage::DelAddress(m) => addr_event(&m, false),
            _ => None,
        }
    }
}

fn addr_event(m: &AddressMessage, added: bool) -> Option<Change> {
    let a = addr_from(m)?;
    Some(Change::AddrChange {
        ifindex: a.ifindex,
        addr: a.addr,
        prefix: a.prefix,
        added,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    #[test]
    fn v4_vip_has_no_broadcast_unless_given() {
        let mut vip = Vip::new(7, IpAddr::V4(Ipv4Addr::new(10, 99, 0, 100)), 24);
        let m = vip.message(true);
        assert_eq!((m.header.prefix_len, m.header.index), (24, 7));
        assert!(!m
            .attributes
            .iter()
            .any(|a| matches!(a, AddressAttribute::Broadcast(_))));
        assert!(!m
            .attributes
            .iter()
            .any(|a| matches!(a, AddressAttribute::Label(_))));
        vip.broadcast = Some(Ipv4Addr::new(10, 99, 0, 255));
        vip.label = Some("eth0:1".into());
        let m = vip.message(true);
        assert!(m
            .attributes
            .contains(&AddressAttribute::Broadcast(Ipv4Addr::new(10, 99, 0, 255))));
        assert!(m
            .attributes
            .contains(&AddressAttribute::Label("eth0:1".into())));
        let del = vip.message(false);
        assert!(!del
            .attributes
            .iter()
            .any(|a| matches!(a, AddressAttribute::Label(_))));
    }

    #[test]
    fn v6_vip_is_nodad_and_deprecated_only_as_a_host_address() {
        let addr = IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0x61));
        let m = Vip::new(3, addr, 64).message(true);
        assert!(m
            .attributes
            .contains(&AddressAttribute::Flags(AddressFlags::Nodad)));
        assert!(!m
            .attributes
            .iter()
            .any(|a| matches!(a, AddressAttribute::CacheInfo(_))));
        let vip = Vip::new(3, addr, 128);
        let m = vip.message(true);
        assert_eq!(m.header.family, AddressFamily::Inet6);
        assert!(m
            .attributes
            .contains(&AddressAttribute::Flags(AddressFlags::Nodad)));
        assert!(m
            .attributes
            .iter()
            .any(|a| matches!(a, AddressAttribute::CacheInfo(c) if c.ifa_preferred == 0)));
    }

    /// What netlink-proto delivers when recvmsg on the monitor fails with ENOBUFS.
    fn overrun() -> NetlinkMessage<RouteNetlinkMessage> {
        let mut hdr = rtnetlink::packet_core::NetlinkHeader::default();
        hdr.message_type = rtnetlink::packet_core::NLMSG_OVERRUN;
        NetlinkMessage::new(hdr, NetlinkPayload::Overrun(Vec::new()))
    }

    fn new_link(index: u32, name: &str, up: bool) -> NetlinkMessage<RouteNetlinkMessage> {
        let mut m = LinkMessage::default();
        m.header.index = index;
        if up {
            m.header.flags = LinkFlags::Up | LinkFlags::Running;
        }
        m.attributes.push(LinkAttribute::IfName(name.into()));
        NetlinkMessage::from(RouteNetlinkMessage::NewLink(m))
    }

    #[tokio::test]
    async fn an_overrun_is_reported_and_a_closed_monitor_ends_the_stream() {
        let (tx, rx) = futures::channel::mpsc::unbounded();
        let mut mon = Monitor::from_messages(rx);
        let from = SocketAddr::new(0, 0);
        let link = Change::LinkChange {
            ifindex: 2,
            name: "eth0".into(),
            up: true,
            mac: None,
        };
        for m in [
            new_link(2, "eth0", true),
            new_link(2, "eth0", true),
            overrun(),
            new_link(2, "eth0", true),
        ] {
            tx.unbounded_send((m, from)).unwrap();
        }
        drop(tx);
        assert_eq!(
            mon.next_notice().await,
            Some(Monitored::Change(link.clone()))
        );
        // The unchanged repeat is filtered; the overrun is not.
        assert_eq!(mon.next_notice().await, Some(Monitored::Overrun));
        // After an overrun the link cache is gone: the same state is reported again.
        assert_eq!(mon.next_notice().await, Some(Monitored::Change(link)));
        assert_eq!(mon.next_notice().await, None);
    }

    #[test]
    fn peer_goes_in_ifa_address() {
        let mut vip = Vip::new(1, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 32);
        vip.peer = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)));
        let m = vip.message(true);
        assert!(m
            .attributes
            .contains(&AddressAttribute::Local(IpAddr::V4(Ipv4Addr::new(
                10, 0, 0, 1
            )))));
        assert!(m
            .attributes
            .contains(&AddressAttribute::Address(IpAddr::V4(Ipv4Addr::new(
                10, 0, 0, 2
            )))));
    }
}
