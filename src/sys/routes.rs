//! `virtual_routes` and `virtual_rules` through rtnetlink (docs/keepalived-compat.md#vrrp_instance-keywords, docs/keepalived-compat.md#state-machine,
//! docs/keepalived-compat.md#removing-addresses): the messages `ip route add|del ...` and `ip rule add|del ...` would send, built from
//! the core's [`RouteSpec`] / [`RuleSpec`].
//!
//! Defaults follow iproute2, which keepalived mimics: table main, a unicast route without a
//! gateway has scope link and with one scope global; routes get protocol 18 (`keepalived` in
//! iproute2's `rt_protos`) unless `protocol` is written. Deleting something that is not there
//! is [`Removed::NotPresent`], as for addresses.

use std::net::IpAddr;

use futures::channel::mpsc::UnboundedReceiver;
use futures::StreamExt;
use rtnetlink::packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_CREATE, NLM_F_EXCL};
use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use rtnetlink::packet_route::rule::{RuleAction, RuleAttribute, RuleMessage};
use rtnetlink::packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::sys::SocketAddr;
use rtnetlink::MulticastGroup;

use super::netlink::{Added, Netlink, Removed};
use super::{Privilege, SysError};
use crate::proto::{RouteSpec, RuleSpec};

/// RTPROT_KEEPALIVED.
const PROTO_KEEPALIVED: u8 = 18;
const RT_TABLE_MAIN: u32 = 254;
/// RT_TABLE_COMPAT: the header value when the id does not fit in a byte (RTA_TABLE carries it).
const RT_TABLE_COMPAT: u8 = 252;

fn family(addr: &IpAddr) -> AddressFamily {
    match addr {
        IpAddr::V4(_) => AddressFamily::Inet,
        IpAddr::V6(_) => AddressFamily::Inet6,
    }
}

fn route_addr(addr: IpAddr) -> RouteAddress {
    match addr {
        IpAddr::V4(a) => RouteAddress::Inet(a),
        IpAddr::V6(a) => RouteAddress::Inet6(a),
    }
}

fn table_byte(table: u32) -> u8 {
    u8::try_from(table).unwrap_or(RT_TABLE_COMPAT)
}

fn route_type(kind: Option<&str>) -> RouteType {
    match kind {
        Some("blackhole") => RouteType::BlackHole,
        Some("unreachable") => RouteType::Unreachable,
        Some("prohibit") => RouteType::Prohibit,
        Some("throw") => RouteType::Throw,
        Some("local") => RouteType::Local,
        Some("broadcast") => RouteType::Broadcast,
        Some("multicast") => RouteType::Multicast,
        Some("anycast") => RouteType::Anycast,
        Some("nat") => RouteType::Nat,
        _ => RouteType::Unicast,
    }
}

/// The RTM_NEWROUTE / RTM_DELROUTE body; `oif` is the index of `spec.dev`.
pub fn route_message(spec: &RouteSpec, oif: Option<u32>) -> RouteMessage {
    let mut m = RouteMessage::default();
    let table = spec.table.unwrap_or(RT_TABLE_MAIN);
    let kind = route_type(spec.kind.as_deref());
    m.header.address_family = family(&spec.dst.addr);
    m.header.destination_prefix_length = spec.dst.len;
    m.header.table = table_byte(table);
    m.header.protocol = RouteProtocol::from(spec.protocol.unwrap_or(PROTO_KEEPALIVED));
    let default_scope = match (kind, spec.via) {
        (RouteType::Unicast, None) => 253,
        (RouteType::Local, _) => 254,
        _ => 0,
    };
    m.header.scope = RouteScope::from(spec.scope.unwrap_or(default_scope));
    m.header.kind = kind;
    if spec.onlink {
        m.header.flags |= RouteFlags::Onlink;
    }
    let a = &mut m.attributes;
    a.push(RouteAttribute::Table(table));
    if spec.dst.len > 0 {
        a.push(RouteAttribute::Destination(route_addr(spec.dst.addr)));
    }
    if let Some(via) = spec.via {
        a.push(RouteAttribute::Gateway(route_addr(via)));
    }
    if let Some(src) = spec.src {
        a.push(RouteAttribute::PrefSource(route_addr(src)));
    }
    if let Some(oif) = oif {
        a.push(RouteAttribute::Oif(oif));
    }
    if let Some(metric) = spec.metric {
        a.push(RouteAttribute::Priority(metric));
    }
    m
}

/// The RTM_NEWRULE / RTM_DELRULE body. A rule with neither `from` nor `to` is IPv4.
pub fn rule_message(spec: &RuleSpec) -> RuleMessage {
    let mut m = RuleMessage::default();
    let fam = spec
        .from
        .or(spec.to)
        .map(|p| family(&p.addr))
        .unwrap_or(AddressFamily::Inet);
    let table = spec.table.unwrap_or(RT_TABLE_MAIN);
    m.header.family = fam;
    m.header.table = table_byte(table);
    m.header.action = RuleAction::ToTable;
    m.header.tos = spec.tos.unwrap_or(0);
    let a = &mut m.attributes;
    a.push(RuleAttribute::Table(table));
    if let Some(from) = spec.from {
        m.header.src_len = from.len;
        a.push(RuleAttribute::Source(from.addr));
    }
    if let Some(to) = spec.to {
        m.header.dst_len = to.len;
        a.push(RuleAttribute::Destination(to.addr));
    }
    if let Some(iif) = &spec.iif {
        a.push(RuleAttribute::Iifname(iif.clone()));
    }
    if let Some(oif) = &spec.oif {
        a.push(RuleAttribute::Oifname(oif.clone()));
    }
    if let Some(mark) = spec.fwmark {
        a.push(RuleAttribute::FwMark(mark));
    }
    if let Some(pref) = spec.preference {
        a.push(RuleAttribute::Priority(pref));
    }
    m
}

fn not_present(e: &SysError) -> bool {
    matches!(e.errno(), Some(libc::ESRCH | libc::ENOENT | libc::ENODEV))
}

impl Netlink {
    /// `ip route add SPEC` (EEXIST is [`Added::AlreadyPresent`]).
    pub async fn add_route(&self, spec: &RouteSpec, oif: Option<u32>) -> Result<Added, SysError> {
        let what = format!("add route {spec}");
        let msg = RouteNetlinkMessage::NewRoute(route_message(spec, oif));
        match self
            .request_with_flags(msg, &what, NLM_F_CREATE | NLM_F_EXCL)
            .await
        {
            Ok(()) => Ok(Added::Added),
            Err(e) if e.errno() == Some(libc::EEXIST) => Ok(Added::AlreadyPresent),
            Err(e) => Err(e),
        }
    }

    /// `ip route del SPEC`.
    pub async fn del_route(&self, spec: &RouteSpec, oif: Option<u32>) -> Result<Removed, SysError> {
        let what = format!("delete route {spec}");
        let msg = RouteNetlinkMessage::DelRoute(route_message(spec, oif));
        match self.request_with_flags(msg, &what, 0).await {
            Ok(()) => Ok(Removed::Removed),
            Err(e) if not_present(&e) => Ok(Removed::NotPresent),
            Err(e) => Err(e),
        }
    }

    /// `ip rule add SPEC`.
    pub async fn add_rule(&self, spec: &RuleSpec) -> Result<Added, SysError> {
        let what = format!("add rule {spec}");
        let msg = RouteNetlinkMessage::NewRule(rule_message(spec));
        match self
            .request_with_flags(msg, &what, NLM_F_CREATE | NLM_F_EXCL)
            .await
        {
            Ok(()) => Ok(Added::Added),
            Err(e) if e.errno() == Some(libc::EEXIST) => Ok(Added::AlreadyPresent),
            Err(e) => Err(e),
        }
    }

    /// `ip rule del SPEC`.
    pub async fn del_rule(&self, spec: &RuleSpec) -> Result<Removed, SysError> {
        let what = format!("delete rule {spec}");
        let msg = RouteNetlinkMessage::DelRule(rule_message(spec));
        match self.request_with_flags(msg, &what, 0).await {
            Ok(()) => Ok(Removed::Removed),
            Err(e) if not_present(&e) => Ok(Removed::NotPresent),
            Err(e) => Err(e),
        }
    }
}

/// What identifies a route across our request and the kernel's notification: family,
/// destination, table, gateway, output interface, metric and type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RouteKey {
    family: u8,
    dst: Option<IpAddr>,
    dst_len: u8,
    table: u32,
    gateway: Option<IpAddr>,
    oif: Option<u32>,
    metric: Option<u32>,
    kind: u8,
}

fn ip_of(a: &RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(v4) => Some(IpAddr::V4(*v4)),
        RouteAddress::Inet6(v6) => Some(IpAddr::V6(*v6)),
        _ => None,
    }
}

/// The key of a route message (ours or the kernel's).
pub fn route_key(m: &RouteMessage) -> RouteKey {
    let mut k = RouteKey {
        family: u8::from(m.header.address_family),
        dst: None,
        dst_len: m.header.destination_prefix_length,
        table: u32::from(m.header.table),
        gateway: None,
        oif: None,
        metric: None,
        kind: u8::from(m.header.kind),
    };
    for a in &m.attributes {
        match a {
            RouteAttribute::Destination(d) => k.dst = ip_of(d),
            RouteAttribute::Gateway(g) => k.gateway = ip_of(g),
            RouteAttribute::Oif(o) => k.oif = Some(*o),
            RouteAttribute::Priority(p) => k.metric = Some(*p),
            RouteAttribute::Table(t) => k.table = *t,
            _ => {}
        }
    }
    k
}

/// What identifies a rule: family, prefixes and table; the preference only when we set one
/// (the kernel picks one otherwise).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RuleKey {
    family: u8,
    src: Option<(IpAddr, u8)>,
    dst: Option<(IpAddr, u8)>,
    table: u32,
    priority: Option<u32>,
}

impl RuleKey {
    /// Whether the kernel's `reported` rule is this one of ours.
    pub fn matches(&self, reported: &RuleKey) -> bool {
        self.family == reported.family
            && self.src == reported.src
            && self.dst == reported.dst
            && self.table == reported.table
            && (self.priority.is_none() || self.priority == reported.priority)
    }
}

/// The key of a rule message (ours or the kernel's).
pub fn rule_key(m: &RuleMessage) -> RuleKey {
    let mut k = RuleKey {
        family: u8::from(m.header.family),
        src: None,
        dst: None,
        table: u32::from(m.header.table),
        priority: None,
    };
    for a in &m.attributes {
        match a {
            RuleAttribute::Source(s) => k.src = Some((*s, m.header.src_len)),
            RuleAttribute::Destination(d) => k.dst = Some((*d, m.header.dst_len)),
            RuleAttribute::Table(t) => k.table = *t,
            RuleAttribute::Priority(p) => k.priority = Some(*p),
            _ => {}
        }
    }
    k
}

/// A route or rule the kernel reports as deleted (`ip monitor route rule`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Deleted {
    Route(RouteKey),
    Rule(RuleKey),
}

/// The kernel's route and rule deletions, so a MASTER can put back a virtual route or rule
/// deleted by hand (docs/keepalived-compat.md#addresses-deleted-while-master).
pub struct RouteMonitor {
    messages: UnboundedReceiver<(NetlinkMessage<RouteNetlinkMessage>, SocketAddr)>,
}

/// The groups a route monitor needs: the route groups only when some instance has
/// `virtual_routes`, the rule groups only with `virtual_rules`. On a busy router (a full BGP
/// table) every route change would otherwise wake the daemon for nothing and could overrun
/// its socket.
pub fn monitor_groups(routes: bool, rules: bool) -> Vec<MulticastGroup> {
    let mut groups = Vec::new();
    if routes {
        groups.extend([MulticastGroup::Ipv4Route, MulticastGroup::Ipv6Route]);
    }
    if rules {
        groups.extend([MulticastGroup::Ipv4Rule, MulticastGroup::Ipv6Rule]);
    }
    groups
}

impl RouteMonitor {
    /// Subscribes to `groups` ([`monitor_groups`]); spawns the connection task.
    pub fn open(groups: &[MulticastGroup]) -> Result<RouteMonitor, SysError> {
        let (conn, _handle, messages) =
            rtnetlink::new_multicast_connection(groups).map_err(|e| {
                SysError::os(
                    "subscribe to netlink route and rule events",
                    Privilege::NetAdmin,
                    e,
                )
            })?;
        tokio::spawn(conn);
        Ok(RouteMonitor { messages })
    }

    /// The next deletion; `None` when the connection has closed. Cancel safe.
    pub async fn next(&mut self) -> Option<Deleted> {
        loop {
            let (msg, _) = self.messages.next().await?;
            let NetlinkPayload::InnerMessage(inner) = msg.payload else {
                continue;
            };
            match inner {
                RouteNetlinkMessage::DelRoute(m) => return Some(Deleted::Route(route_key(&m))),
                RouteNetlinkMessage::DelRule(m) => return Some(Deleted::Rule(rule_key(&m))),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_and_rule_groups_only_when_the_plan_has_them() {
        assert!(monitor_groups(false, false).is_empty());
        let routes = monitor_groups(true, false);
        assert_eq!(routes.len(), 2);
        assert!(routes
            .iter()
            .all(|g| matches!(g, MulticastGroup::Ipv4Route | MulticastGroup::Ipv6Route)));
        let rules = monitor_groups(false, true);
        assert!(rules
            .iter()
            .all(|g| matches!(g, MulticastGroup::Ipv4Rule | MulticastGroup::Ipv6Rule)));
        assert_eq!(monitor_groups(true, true).len(), 4);
    }

    #[test]
    fn route_defaults_follow_iproute2() {
        let m = route_message(&RouteSpec::to("192.168.10.0/24").dev("eth0"), Some(3));
        assert_eq!(m.header.table, 254);
        assert_eq!(m.header.scope, RouteScope::Link);
        assert_eq!(m.header.kind, RouteType::Unicast);
        assert!(m.attributes.contains(&RouteAttribute::Oif(3)));
        let gw = route_message(
            &RouteSpec::to("0.0.0.0/0").via("10.0.0.254").table(100),
            None,
        );
        assert_eq!(
            (gw.header.table, gw.header.scope),
            (100, RouteScope::Universe)
        );
        assert!(!gw
            .attributes
            .iter()
            .any(|a| matches!(a, RouteAttribute::Destination(_))));
        let big = route_message(&RouteSpec::to("10.0.0.0/8").table(1000), None);
        assert_eq!(big.header.table, RT_TABLE_COMPAT);
        assert!(big.attributes.contains(&RouteAttribute::Table(1000)));
    }

    #[test]
    fn keys_ignore_what_the_kernel_adds() {
        let spec = RouteSpec::to("192.168.10.0/24")
            .via("10.0.0.254")
            .table(100);
        let ours = route_message(&spec, Some(3));
        let mut reported = ours.clone();
        reported
            .attributes
            .push(RouteAttribute::Preference(Default::default()));
        assert_eq!(route_key(&ours), route_key(&reported));
        let other = route_message(&spec.clone().table(101), Some(3));
        assert_ne!(route_key(&ours), route_key(&other));
        let rule = rule_message(&RuleSpec::from_table("10.0.0.0/24", 100));
        let mut kernel = rule.clone();
        kernel.attributes.push(RuleAttribute::Priority(32765));
        assert!(rule_key(&rule).matches(&rule_key(&kernel)));
    }

    #[test]
    fn rule_carries_prefixes_and_table() {
        let m = rule_message(&RuleSpec::from_table("10.0.0.0/24", 100));
        assert_eq!((m.header.src_len, m.header.table), (24, 100));
        assert_eq!(m.header.action, RuleAction::ToTable);
        assert!(m
            .attributes
            .contains(&RuleAttribute::Source("10.0.0.0".parse().unwrap())));
    }
}
