//! `use_vmac`: which VRRP virtual-MAC interfaces the configuration wants (docs/vmac.md).
//!
//! Pure: the instance's interface is looked up in a [`HostInfo`] snapshot; what to do about
//! the links that already exist is decided in [`super::vmac_resolve`]; the shell
//! (`daemon::vmac`) creates, adopts and removes the macvlan links.

use std::net::{IpAddr, Ipv6Addr};

use super::host::HostInfo;
use crate::config::model::{Config, Instance};
use crate::wire::Family;

/// Longest interface name the kernel takes (IFNAMSIZ less the terminating NUL).
pub const IFNAME_MAX: usize = 15;

/// `vmac_prefix` when the configuration gives none.
pub const DEFAULT_PREFIX: &str = "vrrp";

/// One virtual-MAC interface an instance wants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VmacWant {
    /// How the plan finds it again: the instance name for the instance's own vmac,
    /// [`super::vmac_addr::key`] for an extra one.
    pub key: String,
    /// The `vrrp_instance` name (log lines are prefixed with it).
    pub instance: String,
    pub vrid: u8,
    pub family: Family,
    /// The instance's interface, which becomes the macvlan's parent.
    pub parent: String,
    pub parent_index: u32,
    /// RFC 5798 section 7.3 MAC, or the one written after `use_vmac`.
    pub mac: [u8; 6],
    /// The name written after `use_vmac`, if any.
    pub configured_name: Option<String>,
    /// `global_defs vmac_prefix`, else [`DEFAULT_PREFIX`].
    pub prefix: String,
    /// Adverts go out of (and come in on) the parent, not the vmac: `vmac_xmit_base`, or
    /// forced by unicast (docs/vmac.md#sending-and-receiving).
    pub xmit_base: bool,
    /// Some excluded VIP is of the other family: IPv6 then stays enabled on an IPv4 vmac.
    pub other_family_evips: bool,
    /// IPv6 without `vmac_xmit_base`: the link-local address put on the vmac, so adverts
    /// leave it from the same source the parent would use (docs/vmac.md#ipv6).
    pub link_local: Option<Ipv6Addr>,
}

/// The virtual router MAC of RFC 5798 section 7.3: 00-00-5E-00-01-{VRID} for IPv4,
/// 00-00-5E-00-02-{VRID} for IPv6.
pub fn rfc_mac(vrid: u8, family: Family) -> [u8; 6] {
    let kind = match family {
        Family::V4 => 0x01,
        Family::V6 => 0x02,
    };
    [0x00, 0x00, 0x5e, 0x00, kind, vrid]
}

/// The `n`th name keepalived tries for a vmac: `PREFIX.VRID` first, then `PREFIXN.VRID`;
/// when too long for the kernel, the prefix is shortened, never the numbers.
pub fn candidate_name(prefix: &str, num: Option<u16>, vrid: u8) -> String {
    let tail = match num {
        None => format!(".{vrid}"),
        Some(n) => format!("{n}.{vrid}"),
    };
    let room = IFNAME_MAX.saturating_sub(tail.len());
    let head: String = prefix.chars().take(room).collect();
    format!("{head}{tail}")
}

/// The numbers keepalived appends after the first name is taken: 1, 2, 3, ... for IPv4;
/// for IPv6 6 first (`vrrp6.VRID`), then 1, 2, ... skipping 6.
pub fn candidate_numbers(family: Family) -> impl Iterator<Item = u16> {
    let v6 = family == Family::V6;
    let first = v6.then_some(6);
    first
        .into_iter()
        .chain((1..=u16::MAX).filter(move |n| !v6 || *n != 6))
}

/// The modified EUI-64 link-local address of `mac` (RFC 4291 appendix A), the vmac's IPv6
/// source when neither the configuration nor the parent gives one.
pub fn eui64_link_local(mac: [u8; 6]) -> Ipv6Addr {
    let [a, b, c, d, e, f] = mac;
    Ipv6Addr::from([
        0xfe,
        0x80,
        0,
        0,
        0,
        0,
        0,
        0,
        a ^ 0x02,
        b,
        c,
        0xff,
        0xfe,
        d,
        e,
        f,
    ])
}

/// Whether adverts use the parent rather than the vmac (docs/vmac.md#sending-and-receiving):
/// `vmac_xmit_base`, or unicast (keepalived forces it); never in strict mode.
pub fn xmit_base(inst: &Instance) -> bool {
    !inst.effective.strict.value
        && (inst.vmac_xmit_base.as_ref().is_some_and(|x| x.value) || inst.is_unicast())
}

/// Every vmac the configuration wants on `host`, in instance order. An instance whose
/// interface is not on the host is left out: the router plan reports that.
pub fn wanted(cfg: &Config, host: &HostInfo) -> Vec<VmacWant> {
    let prefix = cfg
        .global
        .vmac_prefix
        .as_ref()
        .map_or(DEFAULT_PREFIX.to_string(), |p| p.value.clone());
    let mut out = Vec::new();
    for inst in &cfg.instances {
        out.extend(want(cfg, inst, host, &prefix));
        if let Some(base) = inst
            .interface
            .as_ref()
            .or(cfg.global.default_interface.as_ref())
        {
            out.extend(super::vmac_addr::extra_wants(cfg, inst, host, &base.value));
        }
    }
    out
}

fn want(cfg: &Config, inst: &Instance, host: &HostInfo, prefix: &str) -> Option<VmacWant> {
    let v = &inst.use_vmac.as_ref()?.value;
    let vrid = inst.vrid.as_ref()?.value;
    let parent = inst
        .interface
        .as_ref()
        .or(cfg.global.default_interface.as_ref())?
        .value
        .clone();
    let iface = host.interfaces.iter().find(|i| i.name == parent)?;
    let family = inst.effective.family();
    let xmit_base = xmit_base(inst);
    let link_local = (family == Family::V6 && !xmit_base).then(|| {
        let written = inst
            .unicast_src_ip
            .as_ref()
            .or(inst.mcast_src_ip.as_ref())
            .and_then(|a| match a.value {
                IpAddr::V6(v6) => Some(v6),
                IpAddr::V4(_) => None,
            });
        let parents = iface.addrs.iter().find_map(|a| match a.addr {
            IpAddr::V6(v6) if v6.segments().first().is_some_and(|s| s & 0xffc0 == 0xfe80) => {
                Some(v6)
            }
            _ => None,
        });
        written
            .or(parents)
            .unwrap_or_else(|| eui64_link_local(iface.mac.unwrap_or_default()))
    });
    Some(VmacWant {
        key: inst.name.value.clone(),
        instance: inst.name.value.clone(),
        vrid,
        family,
        parent,
        parent_index: iface.index,
        mac: v.mac.as_ref().map_or(rfc_mac(vrid, family), |m| m.value),
        configured_name: v.ifname.as_ref().map(|n| n.value.clone()),
        prefix: prefix.to_string(),
        xmit_base,
        other_family_evips: inst.excluded_vips.iter().any(|e| e.family() != family),
        link_local,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_macs_carry_the_family_and_the_vrid() {
        assert_eq!(rfc_mac(51, Family::V4), [0, 0, 0x5e, 0, 1, 51]);
        assert_eq!(rfc_mac(255, Family::V6), [0, 0, 0x5e, 0, 2, 255]);
    }

    #[test]
    fn names_are_prefix_dot_vrid_and_shorten_the_prefix_only() {
        assert_eq!(candidate_name("vrrp", None, 51), "vrrp.51");
        assert_eq!(candidate_name("vrrp", Some(6), 51), "vrrp6.51");
        assert_eq!(
            candidate_name("averyveryverylongprefix", None, 255),
            "averyveryve.255"
        );
        assert_eq!(
            candidate_name("averyveryverylongprefix", Some(12), 255),
            "averyvery12.255"
        );
        assert!(candidate_name("x".repeat(40).as_str(), Some(999), 1).len() <= IFNAME_MAX);
    }

    #[test]
    fn ipv6_tries_vrrp6_first_and_never_twice() {
        let v6: Vec<u16> = candidate_numbers(Family::V6).take(7).collect();
        assert_eq!(v6, [6, 1, 2, 3, 4, 5, 7]);
        let v4: Vec<u16> = candidate_numbers(Family::V4).take(3).collect();
        assert_eq!(v4, [1, 2, 3]);
    }

    #[test]
    fn eui64_flips_the_universal_bit_and_inserts_fffe() {
        let a = eui64_link_local([0x02, 0x11, 0x22, 0x33, 0x44, 0x55]);
        assert_eq!(a, "fe80::11:22ff:fe33:4455".parse::<Ipv6Addr>().unwrap());
    }

    use crate::plan::router::{router_settings, router_settings_with, Vmacs};
    use crate::plan::{HostAddr, HostInterface};

    fn host(with_vmac: bool) -> HostInfo {
        let addr = |a: &str, p| HostAddr {
            addr: a.parse().unwrap(),
            prefix: p,
        };
        let mut interfaces = vec![HostInterface {
            name: "eth0".into(),
            index: 2,
            up: true,
            multicast: true,
            addrs: vec![addr("10.0.0.1", 24), addr("fe80::1", 64)],
            mac: Some([2, 0, 0, 0, 0, 1]),
            ..HostInterface::default()
        }];
        interfaces.push(HostInterface {
            name: "eth1".into(),
            index: 3,
            up: true,
            multicast: true,
            ..HostInterface::default()
        });
        if with_vmac {
            interfaces.push(HostInterface {
                name: "vrrp.51".into(),
                index: 9,
                up: true,
                multicast: true,
                mac: Some(rfc_mac(51, Family::V4)),
                ..HostInterface::default()
            });
        }
        HostInfo { interfaces }
    }

    fn cfg(extra: &str) -> Config {
        let text = format!(
            "vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n priority 100\n {extra}\n virtual_ipaddress {{\n 10.0.0.100/24\n 10.0.0.101/24 dev eth0\n 10.0.0.102/24 dev eth1\n }}\n}}\n"
        );
        let l = crate::config::load_str(&text);
        let r = l.render();
        l.config.unwrap_or_else(|| panic!("{r}"))
    }

    fn vmacs() -> Vmacs {
        Vmacs::from([("VI_1".to_string(), "vrrp.51".to_string())])
    }

    #[test]
    fn wanted_carries_parent_mac_and_the_xmit_choice() {
        let w = wanted(&cfg("use_vmac"), &host(false));
        assert_eq!(w.len(), 1);
        assert_eq!((w[0].parent.as_str(), w[0].parent_index), ("eth0", 2));
        assert_eq!(w[0].mac, rfc_mac(51, Family::V4));
        assert_eq!(w[0].configured_name, None);
        assert_eq!(w[0].prefix, "vrrp");
        assert!(!w[0].xmit_base && w[0].link_local.is_none());
        let w = wanted(
            &cfg("use_vmac vm51 02:00:00:00:00:33\n vmac_xmit_base"),
            &host(false),
        );
        assert_eq!(w[0].configured_name.as_deref(), Some("vm51"));
        assert_eq!(w[0].mac, [2, 0, 0, 0, 0, 0x33]);
        assert!(w[0].xmit_base);
        // Unicast forces the parent; no use_vmac wants nothing.
        let w = wanted(
            &cfg("use_vmac\n unicast_peer {\n 10.0.0.2\n }"),
            &host(false),
        );
        assert!(w[0].xmit_base);
        assert!(wanted(&cfg(""), &host(false)).is_empty());
    }

    #[test]
    fn vips_of_the_instance_interface_and_adverts_move_to_the_vmac() {
        let c = cfg("use_vmac");
        let s = router_settings_with(&c, &host(true), &vmacs()).expect("plan");
        let i = &s.instances[0];
        assert_eq!((i.ifname.as_str(), i.ifindex), ("vrrp.51", 9));
        assert_eq!(i.vmac.as_deref(), Some("vrrp.51"));
        let devs: Vec<&str> = i.vips.iter().map(|v| v.ifname.as_str()).collect();
        assert_eq!(devs, ["vrrp.51", "vrrp.51", "eth1"]);
        // The source is still the parent's address.
        assert_eq!(i.src, "10.0.0.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn xmit_base_keeps_adverts_on_the_parent_and_vips_on_the_vmac() {
        let c = cfg("use_vmac\n vmac_xmit_base");
        let s = router_settings_with(&c, &host(true), &vmacs()).expect("plan");
        let i = &s.instances[0];
        assert_eq!((i.ifname.as_str(), i.ifindex), ("eth0", 2));
        assert_eq!(i.vips[0].ifname, "vrrp.51");
    }

    #[test]
    fn without_a_vmac_on_the_host_the_instance_stays_on_its_interface() {
        let c = cfg("use_vmac");
        let s = router_settings(&c, &host(false)).expect("plan");
        assert_eq!(s.instances[0].ifname, "eth0");
        assert_eq!(s.instances[0].vmac, None);
        let s = router_settings_with(&c, &host(false), &vmacs()).expect("plan");
        assert_eq!(s.instances[0].ifname, "eth0");
    }

    #[test]
    fn ipv6_puts_the_parents_link_local_on_the_vmac() {
        let text = "vrrp_instance VI_6 {\n interface eth0\n virtual_router_id 51\n priority 100\n use_vmac\n virtual_ipaddress {\n 2001:db8::100/64\n }\n}\n";
        let l = crate::config::load_str(text);
        let r = l.render();
        let c = l.config.unwrap_or_else(|| panic!("{r}"));
        let w = wanted(&c, &host(false));
        assert_eq!(w[0].family, Family::V6);
        assert_eq!(w[0].mac, rfc_mac(51, Family::V6));
        assert_eq!(w[0].link_local, Some("fe80::1".parse().unwrap()));
    }
}
