//! What the daemon will run: a checked configuration plus facts about the host, mapped onto
//! the protocol core's [`RouterSettings`] (the table in `proto/settings.rs`).
//!
//! Pure: the host facts are a [`HostInfo`] the shell fills from the kernel at run time and
//! tests write as literals. Anything that cannot be resolved on this host (an interface that
//! does not exist, no address to send adverts from) is one [`PlanError`] line, printed by the
//! daemon before it exits non-zero.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::host::{HostInfo, HostInterface};
use crate::config::model::{
    AuthType, Broadcast, Config, Effective, Family, InitialState, Instance, IpAddress, Route, Rule,
    Scope,
};
use crate::proto::{
    AuthSettings, Centisecs, GarpSettings, InstanceSettings, OldUnicastChecksum, PeerSettings,
    Prefix, RouteSpec, RouterSettings, RuleSpec, SyncGroupSettings, VipSpec,
};
use crate::wire::{self, ADVERT_TTL, GROUP_V4, GROUP_V6};

/// A configuration that cannot run on this host, as one sentence.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(pub String);

fn err(msg: impl Into<String>) -> PlanError {
    PlanError(msg.into())
}

/// Maps a checked configuration onto the core's settings for this host, every `use_vmac`
/// instance on its parent interface (no vmac exists: `--check-interfaces`, tests).
pub fn router_settings(cfg: &Config, host: &HostInfo) -> Result<RouterSettings, PlanError> {
    router_settings_with(cfg, host, &Vmacs::new())
}

/// The vmac interface of each `use_vmac` instance, by instance name (docs/vmac.md).
pub type Vmacs = std::collections::BTreeMap<String, String>;

/// [`router_settings`] with the instances of `vmacs` moved onto their vmac interfaces.
pub fn router_settings_with(
    cfg: &Config,
    host: &HostInfo,
    vmacs: &Vmacs,
) -> Result<RouterSettings, PlanError> {
    // docs/keepalived-compat.md#start-up-cleanup: a VIP is never the advert source, whatever instance it belongs to.
    let all_vips: Vec<IpAddr> = cfg
        .instances
        .iter()
        .flat_map(|i| i.vips.iter().chain(i.excluded_vips.iter()))
        .map(|v| v.net.value.addr)
        .collect();
    let mut instances = Vec::with_capacity(cfg.instances.len());
    let mut down = Vec::new();
    for inst in &cfg.instances {
        let s = instance_settings(cfg, inst, host, &all_vips, vmacs)?;
        let up = find(host, &s.ifname).is_some_and(|h| h.up);
        if !up && !down.contains(&s.ifname) {
            down.push(s.ifname.clone());
        }
        instances.push(s);
    }
    let groups = cfg
        .sync_groups
        .iter()
        .map(|g| SyncGroupSettings {
            name: g.name.value.clone(),
            members: g.members.iter().map(|m| m.value.clone()).collect(),
        })
        .collect();
    Ok(RouterSettings {
        instances,
        groups,
        down_interfaces: down,
        log_unknown_vrids: cfg
            .global
            .log_unknown_vrids
            .as_ref()
            .is_some_and(|l| l.value),
        ..RouterSettings::default()
    })
}

/// Features the configuration uses that the daemon does not perform yet, one line each, for
/// the start-up log (none at present: `use_vmac` was the last).
pub fn unsupported(_cfg: &Config) -> Vec<String> {
    Vec::new()
}

fn find<'h>(host: &'h HostInfo, name: &str) -> Option<&'h HostInterface> {
    host.interfaces.iter().find(|i| i.name == name)
}

/// One checked `vrrp_instance` on this host, as the core's settings: each step below maps one
/// group of keywords, in the order their errors are reported.
fn instance_settings(
    cfg: &Config,
    inst: &Instance,
    host: &HostInfo,
    all_vips: &[IpAddr],
    vmacs: &Vmacs,
) -> Result<InstanceSettings, PlanError> {
    let name = inst.name.value.as_str();
    let e = &inst.effective;
    let (base, iface) = interface(cfg, inst, host)?;
    let vrid = vrid(inst)?;
    let family = e.family();
    let version = e.version();
    // docs/vmac.md#sending-and-receiving: VIPs of the instance's family live on the vmac;
    // adverts use it too unless they go out of the parent.
    let vmac = vmacs
        .get(name)
        .filter(|_| inst.use_vmac.is_some())
        .and_then(|v| find(host, v));
    let vip_if = |a: &IpAddress| match vmac {
        Some(v) if a.family() == family && a.dev.as_ref().is_none_or(|d| d.value == base) => {
            v.name.clone()
        }
        _ => super::vmac_addr::extra_parent(inst, a, &base)
            .and_then(|p| vmacs.get(&super::vmac_addr::key(name, &p, a.family())))
            .and_then(|v| find(host, v))
            .map_or_else(
                || a.dev.as_ref().map_or(base.clone(), |d| d.value.clone()),
                |v| v.name.clone(),
            ),
    };
    let (vips, excluded_vips) = vips(inst, host, &vip_if, family)?;
    let src = advert_source(inst, iface, &base, family, all_vips)?;
    let (ifname, sock_if) = match vmac {
        Some(v) if !super::vmac::xmit_base(inst) => (v.name.clone(), v),
        _ => (base, iface),
    };
    let auth = auth(e, version);
    let (routes, rules) = routes_and_rules(inst, host)?;
    Ok(InstanceSettings {
        name: name.to_string(),
        vrid,
        version,
        ifindex: sock_if.index,
        ifname,
        priority: e.priority.value,
        wants_master: e.initial_state() == InitialState::Master,
        advert_int: Centisecs(e.advert_int_cs.value),
        preempt: !e.nopreempt.value,
        preempt_delay: preempt_delay(e),
        accept: e.accept.value,
        auth,
        vips,
        excluded_vips,
        src,
        mcast_group: mcast_group(e, family),
        unicast_peers: unicast_peers(inst),
        unicast_ttl: inst.unicast_ttl.as_ref().map_or(ADVERT_TTL, |t| t.value),
        garp: garp(e),
        down_timer_adverts: e.down_timer_adverts.value,
        lower_prio_no_advert: e.lower_prio_no_advert.value,
        higher_prio_send_advert: e.higher_prio_send_advert.value,
        skip_check_adv_addr: e.skip_check_adv_addr.value,
        check_unicast_src: e.check_unicast_src.value,
        dont_track_primary: inst.dont_track_primary.as_ref().is_some_and(|d| d.value),
        strict: e.strict.value,
        old_unicast_checksum: old_unicast_checksum(inst),
        sync_group: e.sync_group.clone(),
        routes,
        rules,
        notify_deleted: inst.notify.deleted.is_some(),
        vmac: vmac.map(|v| v.name.clone()),
    })
}

/// The instance's interface (its own, else the global `default_interface`) and that
/// interface on this host.
fn interface<'h>(
    cfg: &Config,
    inst: &Instance,
    host: &'h HostInfo,
) -> Result<(String, &'h HostInterface), PlanError> {
    let name = inst.name.value.as_str();
    let ifname = inst
        .interface
        .as_ref()
        .map(|i| i.value.clone())
        .or_else(|| {
            cfg.global
                .default_interface
                .as_ref()
                .map(|i| i.value.clone())
        })
        .ok_or_else(|| err(format!("vrrp_instance {name} has no interface")))?;
    let iface = find(host, &ifname).ok_or_else(|| {
        err(format!(
            "interface {ifname} for vrrp_instance {name} doesn't exist"
        ))
    })?;
    Ok((ifname, iface))
}

fn vrid(inst: &Instance) -> Result<u8, PlanError> {
    let name = inst.name.value.as_str();
    inst.vrid
        .as_ref()
        .map(|v| v.value)
        .ok_or_else(|| err(format!("vrrp_instance {name} has no virtual_router_id")))
}

/// The VIPs and excluded VIPs, each on its `dev` (else the instance's interface), which must
/// exist on this host.
fn vips(
    inst: &Instance,
    host: &HostInfo,
    ifname: &dyn Fn(&IpAddress) -> String,
    family: Family,
) -> Result<(Vec<VipSpec>, Vec<VipSpec>), PlanError> {
    let vip_of = |a: &IpAddress| vip_on_host(inst, host, &ifname(a), a);
    // docs/keepalived-compat.md#vrrp_instance-keywords: every VIP shares the instance's family; others are ignored by keepalived.
    let vips = inst
        .vips
        .iter()
        .filter(|v| v.family() == family)
        .map(vip_of)
        .collect::<Result<Vec<_>, _>>()?;
    let excluded_vips = inst
        .excluded_vips
        .iter()
        .map(vip_of)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((vips, excluded_vips))
}

fn vip_on_host(
    inst: &Instance,
    host: &HostInfo,
    ifname: &str,
    a: &IpAddress,
) -> Result<VipSpec, PlanError> {
    let name = inst.name.value.as_str();
    let dev = ifname.to_string();
    if find(host, &dev).is_none() {
        return Err(err(format!(
            "interface {dev} for address {} of vrrp_instance {name} doesn't exist",
            a.net.value.addr
        )));
    }
    Ok(vip_spec(a, dev))
}

/// [`source_address`], or the error that says how to give one.
fn advert_source(
    inst: &Instance,
    iface: &HostInterface,
    ifname: &str,
    family: Family,
    all_vips: &[IpAddr],
) -> Result<IpAddr, PlanError> {
    let name = inst.name.value.as_str();
    source_address(inst, iface, family, all_vips).ok_or_else(|| {
        let fam = family.as_str();
        err(format!(
            "vrrp_instance {name}: no {fam} address on {ifname} to send adverts from \
             (add one, or set unicast_src_ip / mcast_src_ip)"
        ))
    })
}

/// `mcast_dst_address`, else the family's VRRP group.
fn mcast_group(e: &Effective, family: Family) -> IpAddr {
    e.mcast_group.value.unwrap_or(match family {
        Family::V4 => IpAddr::V4(GROUP_V4),
        Family::V6 => IpAddr::V6(GROUP_V6),
    })
}

/// `authentication`: PASS and AH only in VRRPv2 (the checker already dropped AH over IPv6).
fn auth(e: &Effective, version: wire::Version) -> AuthSettings {
    match &e.auth.value {
        Some((AuthType::Pass, pass)) if version == wire::Version::V2 => {
            AuthSettings::Pass(String::from_utf8_lossy(pass).into_owned())
        }
        Some((AuthType::Ah, pass)) if version == wire::Version::V2 => {
            AuthSettings::Ah(String::from_utf8_lossy(pass).into_owned())
        }
        _ => AuthSettings::None,
    }
}

/// `preempt_delay` in centiseconds, saturating.
fn preempt_delay(e: &Effective) -> Centisecs {
    Centisecs(u32::try_from(e.preempt_delay.value.as_millis() / 10).unwrap_or(u32::MAX))
}

/// `old_unicast_checksum`: absent is automatic, `never` is never, anything else always.
fn old_unicast_checksum(inst: &Instance) -> OldUnicastChecksum {
    match &inst.old_unicast_checksum {
        None => OldUnicastChecksum::Auto,
        Some(v) => match v.value.as_deref() {
            Some("never") => OldUnicastChecksum::Never,
            _ => OldUnicastChecksum::Always,
        },
    }
}

/// `unicast_peer` entries; a TTL range only when `min_ttl` or `max_ttl` is given.
fn unicast_peers(inst: &Instance) -> Vec<PeerSettings> {
    inst.unicast_peers
        .iter()
        .map(|p| PeerSettings {
            addr: p.addr.value,
            ttl_range: match (&p.min_ttl, &p.max_ttl) {
                (None, None) => None,
                (min, max) => Some((
                    min.as_ref().map_or(0, |m| m.value),
                    max.as_ref().map_or(255, |m| m.value),
                )),
            },
        })
        .collect()
}

/// The gratuitous ARP / NA schedule (`garp_*`).
fn garp(e: &Effective) -> GarpSettings {
    GarpSettings {
        master_delay: Centisecs::from_secs(e.garp_master_delay.value),
        master_repeat: e.garp_master_repeat.value,
        master_refresh: Centisecs::from_secs(e.garp_master_refresh.value),
        refresh_repeat: e.garp_master_refresh_repeat.value,
        lower_prio_delay: Centisecs::from_secs(e.garp_lower_prio_delay.value),
        lower_prio_repeat: e.garp_lower_prio_repeat.value,
    }
}

/// `virtual_routes` and `virtual_rules`.
fn routes_and_rules(
    inst: &Instance,
    host: &HostInfo,
) -> Result<(Vec<RouteSpec>, Vec<RuleSpec>), PlanError> {
    let name = inst.name.value.as_str();
    let routes = inst
        .routes
        .iter()
        .map(|r| route_spec(name, r, host))
        .collect::<Result<_, _>>()?;
    let rules = inst
        .rules
        .iter()
        .map(|r| rule_spec(name, r))
        .collect::<Result<_, _>>()?;
    Ok((routes, rules))
}

/// The advert source (docs/keepalived-compat.md#advert-packet-layout, docs/keepalived-compat.md#start-up-cleanup): `unicast_src_ip` / `mcast_src_ip`, else the interface's
/// first address of the family (the link-local one for IPv6) that is not a VIP.
fn source_address(
    inst: &Instance,
    iface: &HostInterface,
    family: Family,
    all_vips: &[IpAddr],
) -> Option<IpAddr> {
    let written = inst
        .unicast_src_ip
        .as_ref()
        .or(inst.mcast_src_ip.as_ref())
        .map(|a| a.value)
        .filter(|a| Family::of(a) == family);
    if written.is_some() {
        return written;
    }
    iface
        .addrs
        .iter()
        .map(|n| n.addr)
        .filter(|a| Family::of(a) == family && !all_vips.contains(a))
        .find(|a| match a {
            IpAddr::V4(_) => true,
            IpAddr::V6(v6) => is_link_local(v6),
        })
}

fn is_link_local(a: &Ipv6Addr) -> bool {
    a.segments().first().is_some_and(|s| s & 0xffc0 == 0xfe80)
}

/// One `virtual_ipaddress` entry as the core carries it (docs/keepalived-compat.md#virtual-address-entries, docs/keepalived-compat.md#adding-addresses).
fn vip_spec(a: &IpAddress, ifname: String) -> VipSpec {
    let net = a.net.value;
    let broadcast = a
        .broadcast
        .as_ref()
        .and_then(|b| match (b.value, net.addr) {
            (Broadcast::Addr(x), _) => Some(IpAddr::V4(x)),
            (Broadcast::Plus, IpAddr::V4(v4)) => Some(IpAddr::V4(Ipv4Addr::from(
                u32::from(v4) | !mask(net.prefix),
            ))),
            (Broadcast::Minus, IpAddr::V4(v4)) => {
                Some(IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask(net.prefix))))
            }
            _ => None,
        });
    VipSpec {
        addr: net.addr,
        prefix_len: net.prefix,
        ifname,
        label: a.label.as_ref().map(|l| l.value.clone()),
        broadcast,
        scope: a.scope.as_ref().map_or(0, |s| scope_number(s.value)),
        no_track: a.no_track,
    }
}

/// A routing table by number or iproute2's built-in names.
fn table_id(owner: &str, text: &str) -> Result<u32, PlanError> {
    match text {
        "main" => Ok(254),
        "local" => Ok(255),
        "default" => Ok(253),
        t => t.parse().map_err(|_| {
            err(format!(
                "vrrp_instance {owner}: routing table {t} is not a number (vrrpd does not read /etc/iproute2/rt_tables yet)"
            ))
        }),
    }
}

/// A number as iproute2 reads it (decimal or 0x hex).
fn number(text: &str) -> Option<u32> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => text.parse().ok(),
    }
}

/// One `virtual_routes` entry for the core (docs/keepalived-compat.md#vrrp_instance-keywords).
fn route_spec(owner: &str, r: &Route, host: &HostInfo) -> Result<RouteSpec, PlanError> {
    let dst = r.dest.as_ref().map(|d| d.value).ok_or_else(|| {
        err(format!(
            "vrrp_instance {owner}: a virtual route has no destination"
        ))
    })?;
    let dev = r.dev.as_ref().map(|d| d.value.clone());
    if let Some(d) = &dev {
        if find(host, d).is_none() {
            return Err(err(format!(
                "interface {d} for a virtual route of vrrp_instance {owner} doesn't exist"
            )));
        }
    }
    let mut spec = RouteSpec {
        dst: Prefix {
            addr: dst.addr,
            len: dst.prefix,
        },
        via: r.via.as_ref().map(|v| v.value),
        src: r.src.as_ref().map(|v| v.value),
        dev,
        scope: r.scope.as_ref().map(|s| scope_number(s.value)),
        table: r
            .table
            .as_ref()
            .map(|t| table_id(owner, &t.value))
            .transpose()?,
        metric: r.metric.as_ref().map(|m| m.value),
        protocol: None,
        kind: r
            .kind
            .as_ref()
            .map(|k| k.value.clone())
            .filter(|k| k != "unicast"),
        onlink: false,
        no_track: r.no_track,
    };
    let mut words = r.options.iter().map(|o| o.value.as_str());
    while let Some(w) = words.next() {
        match w {
            "onlink" => spec.onlink = true,
            "protocol" | "proto" => {
                spec.protocol = words
                    .next()
                    .and_then(number)
                    .and_then(|p| u8::try_from(p).ok())
            }
            _ => {}
        }
    }
    Ok(spec)
}

/// One `virtual_rules` entry for the core (docs/keepalived-compat.md#vrrp_instance-keywords).
fn rule_spec(owner: &str, r: &Rule) -> Result<RuleSpec, PlanError> {
    let prefix = |n: &crate::config::model::IpNet| Prefix {
        addr: n.addr,
        len: n.prefix,
    };
    let mut spec = RuleSpec {
        from: r.from.as_ref().map(|f| prefix(&f.value)),
        to: r.to.as_ref().map(|t| prefix(&t.value)),
        table: r
            .table
            .as_ref()
            .map(|t| table_id(owner, &t.value))
            .transpose()?,
        preference: r.preference.as_ref().map(|p| p.value),
        no_track: r.no_track,
        ..RuleSpec::default()
    };
    let mut words = r.options.iter().map(|o| o.value.as_str());
    while let Some(w) = words.next() {
        match w {
            "iif" => spec.iif = words.next().map(str::to_string),
            "oif" => spec.oif = words.next().map(str::to_string),
            "fwmark" => spec.fwmark = words.next().and_then(number),
            "tos" | "dsfield" => {
                spec.tos = words
                    .next()
                    .and_then(number)
                    .and_then(|t| u8::try_from(t).ok())
            }
            _ => {}
        }
    }
    Ok(spec)
}

/// The IPv4 netmask of a prefix length (0..=32; longer counts as 32).
fn mask(prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p => u32::MAX << (32 - u32::from(p.min(32))),
    }
}

/// rtnetlink scope numbers (`ip addr ... scope NAME`).
fn scope_number(s: Scope) -> u8 {
    match s {
        Scope::Global => 0,
        Scope::Site => 200,
        Scope::Link => 253,
        Scope::Host => 254,
        Scope::Nowhere => 255,
        Scope::Number(n) => n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::IpNet;

    fn iface(name: &str, index: u32, up: bool, addrs: &[&str]) -> HostInterface {
        HostInterface {
            name: name.into(),
            index,
            up,
            is_loopback: false,
            multicast: true,
            addrs: addrs
                .iter()
                .map(|a| {
                    let (ip, p) = a.split_once('/').unwrap();
                    IpNet {
                        addr: ip.parse().unwrap(),
                        prefix: p.parse().unwrap(),
                    }
                })
                .collect(),
            ..HostInterface::default()
        }
    }

    fn host(ifs: Vec<HostInterface>) -> HostInfo {
        HostInfo { interfaces: ifs }
    }

    fn plan(text: &str, h: &HostInfo) -> Result<RouterSettings, PlanError> {
        let loaded = crate::config::load_str(text);
        let rendered = loaded.render();
        let cfg = loaded.config.unwrap_or_else(|| panic!("{rendered}"));
        router_settings(&cfg, h)
    }

    const BASIC: &str = "vrrp_instance VI_1 {
        state MASTER
        interface eth0
        virtual_router_id 51
        priority 150
        advert_int 1
        authentication {
            auth_type PASS
            auth_pass 1111
        }
        virtual_ipaddress {
            10.0.0.100/24 dev eth0 label eth0:1
            10.0.0.101
        }
    }";

    #[test]
    fn basic_instance_maps_every_field() {
        let h = host(vec![iface(
            "eth0",
            7,
            true,
            &["10.0.0.1/24", "10.0.0.100/24"],
        )]);
        let s = plan(BASIC, &h).unwrap();
        let vi = &s.instances[0];
        assert_eq!((vi.name.as_str(), vi.vrid, vi.priority), ("VI_1", 51, 150));
        assert_eq!((vi.ifname.as_str(), vi.ifindex), ("eth0", 7));
        assert!(vi.wants_master && vi.preempt);
        assert_eq!(vi.advert_int, Centisecs(100));
        assert_eq!(vi.version, wire::Version::V2);
        assert_eq!(vi.auth, AuthSettings::Pass("1111".into()));
        assert_eq!(vi.src, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(vi.mcast_group, IpAddr::V4(GROUP_V4));
        assert_eq!(vi.vips.len(), 2);
        assert_eq!(vi.vips[0].label.as_deref(), Some("eth0:1"));
        assert_eq!((vi.vips[0].prefix_len, vi.vips[1].prefix_len), (24, 32));
        assert_eq!(vi.garp, GarpSettings::default());
        assert!(s.down_interfaces.is_empty());
    }

    #[test]
    fn auth_type_ah_is_planned_with_its_password() {
        let h = host(vec![iface("eth0", 7, true, &["10.0.0.1/24"])]);
        let conf = BASIC.replace("auth_type PASS", "auth_type AH");
        let s = plan(&conf, &h).unwrap();
        assert_eq!(s.instances[0].auth, AuthSettings::Ah("1111".into()));
        assert_eq!(
            s.instances[0].auth.ah_key(),
            Some(*b"1111\0\0\0\0"),
            "zero-padded to 8 bytes"
        );
    }

    #[test]
    fn a_vip_is_never_the_source_address() {
        // docs/keepalived-compat.md#start-up-cleanup: the leftover VIP comes first on the interface but is skipped.
        let h = host(vec![iface(
            "eth0",
            7,
            true,
            &["10.0.0.100/24", "10.0.0.2/24"],
        )]);
        let s = plan(BASIC, &h).unwrap();
        assert_eq!(s.instances[0].src, "10.0.0.2".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn state_master_without_priority_is_the_owner() {
        let text = "vrrp_instance V {
            state MASTER
            interface eth0
            virtual_router_id 5
            virtual_ipaddress {
                10.0.0.100
            }
        }";
        let h = host(vec![iface("eth0", 2, true, &["10.0.0.1/24"])]);
        let vi = &plan(text, &h).unwrap().instances[0];
        assert!(vi.is_owner());
    }

    #[test]
    fn missing_interface_is_one_clear_line() {
        let h = host(vec![iface("eth1", 3, true, &["10.0.0.1/24"])]);
        let e = plan(BASIC, &h).unwrap_err();
        assert_eq!(
            e.to_string(),
            "interface eth0 for vrrp_instance VI_1 doesn't exist"
        );
    }

    #[test]
    fn no_source_address_is_one_clear_line() {
        let h = host(vec![iface("eth0", 7, true, &["fe80::1/64"])]);
        let e = plan(BASIC, &h).unwrap_err();
        assert!(
            e.0.starts_with("vrrp_instance VI_1: no IPv4 address on eth0"),
            "{e}"
        );
    }

    #[test]
    fn down_interface_starts_in_fault() {
        let h = host(vec![iface("eth0", 7, false, &["10.0.0.1/24"])]);
        assert_eq!(plan(BASIC, &h).unwrap().down_interfaces, vec!["eth0"]);
    }

    #[test]
    fn unicast_v3_with_brd_scope_and_sync_group() {
        let text = "vrrp_sync_group G {
            group {
                A
            }
        }
        vrrp_instance A {
            interface eth0
            virtual_router_id 9
            version 3
            advert_int 0.5
            nopreempt
            unicast_src_ip 10.0.0.1
            unicast_peer {
                10.0.0.2
            }
            virtual_ipaddress {
                10.0.0.50/24 brd + scope link
            }
        }";
        let h = host(vec![iface(
            "eth0",
            4,
            true,
            &["10.0.0.9/24", "10.0.0.1/24"],
        )]);
        let s = plan(text, &h).unwrap();
        let vi = &s.instances[0];
        assert_eq!(vi.version, wire::Version::V3);
        assert_eq!(vi.advert_int, Centisecs(50));
        assert!(!vi.preempt);
        assert_eq!(vi.src, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(vi.unicast_peers.len(), 1);
        assert_eq!(vi.vips[0].broadcast, Some("10.0.0.255".parse().unwrap()));
        assert_eq!(vi.vips[0].scope, 253);
        assert_eq!(vi.sync_group.as_deref(), Some("G"));
        assert_eq!(s.groups[0].members, vec!["A"]);
    }

    #[test]
    fn tracking_is_not_reported_unsupported() {
        let text = "vrrp_instance VI_1 {
            interface eth0
            virtual_router_id 51
            priority 100
            track_interface {
                eth1 weight -20
                eth2
            }
            virtual_ipaddress {
                10.0.0.100
            }
        }";
        let loaded = crate::config::load_str(text);
        let rendered = loaded.render();
        let cfg = loaded.config.unwrap_or_else(|| panic!("{rendered}"));
        // Tracking is performed (daemon::tracker_io): nothing to warn about.
        assert!(unsupported(&cfg).is_empty());
    }

    #[test]
    fn virtual_routes_and_rules_map() {
        let text = "vrrp_instance VI_1 {
            interface eth0
            virtual_router_id 51
            priority 100
            virtual_ipaddress {
                10.0.0.100/24
            }
            virtual_routes {
                192.168.50.0/24 via 10.0.0.254 dev eth0 table 100 metric 5
                blackhole 10.9.0.0/16
            }
            virtual_rules {
                from 10.0.0.100/32 table 100 preference 200
            }
        }";
        let h = host(vec![iface("eth0", 7, true, &["10.0.0.1/24"])]);
        let vi = &plan(text, &h).unwrap().instances[0];
        assert_eq!(vi.routes.len(), 2, "{:?}", vi.routes);
        let r = &vi.routes[0];
        assert_eq!(
            r.to_string(),
            "192.168.50.0/24 via 10.0.0.254 dev eth0 table 100 metric 5"
        );
        assert_eq!(vi.routes[1].kind.as_deref(), Some("blackhole"));
        assert_eq!(
            vi.rules[0].to_string(),
            "from 10.0.0.100/32 preference 200 table 100"
        );
    }

    /// Every seed configuration in examples/ maps, once its interface exists.
    #[test]
    fn every_example_config_maps() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("conf") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let loaded = crate::config::load_str(&text);
            let rendered = loaded.render();
            let cfg = loaded
                .config
                .unwrap_or_else(|| panic!("{}: {rendered}", path.display()));
            // Give each interface the config names one address outside every VIP.
            let mut ifs: Vec<HostInterface> = Vec::new();
            for (n, i) in cfg.instances.iter().enumerate() {
                let name = i.interface.as_ref().unwrap().value.clone();
                if !ifs.iter().any(|h| h.name == name) {
                    let src = i
                        .unicast_src_ip
                        .as_ref()
                        .map(|a| format!("{}/24", a.value))
                        .unwrap_or_else(|| format!("198.51.100.{}/24", n + 1));
                    ifs.push(iface(&name, 2 + n as u32, true, &[&src]));
                }
            }
            let s = router_settings(&cfg, &host(ifs))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(s.instances.len(), cfg.instances.len(), "{}", path.display());
            for vi in &s.instances {
                assert!(!vi.vips.is_empty(), "{}: {}", path.display(), vi.name);
                assert!(!vi.vips.iter().any(|v| v.addr == vi.src));
            }
            seen += 1;
        }
        assert!(seen >= 11, "only {seen} example configs found");
    }
}
