//! `use_vmac_addr` and the per-address `use_vmac` option: extra vmacs for VIPs that do not
//! go on the instance's own vmac (another interface, or the other family), as keepalived's
//! `vrrp_complete_instance` decides (docs/vmac.md#extra-vmacs-for-addresses).
//!
//! Pure; the wants join the instance vmacs in [`super::vmac::wanted`].

use std::net::IpAddr;

use super::host::HostInfo;
use super::vmac::{eui64_link_local, rfc_mac, VmacWant, DEFAULT_PREFIX};
use crate::config::model::{Config, Instance, IpAddress};
use crate::wire::Family;

/// The map key of an extra vmac: instance, parent and family (the instance's own vmac is
/// keyed by the instance name alone).
pub fn key(instance: &str, parent: &str, family: Family) -> String {
    format!("{instance} {parent} {}", family.as_str())
}

/// The parent of the extra vmac address `a` goes on, if it needs one: on the instance's
/// interface only when the instance's vmac does not take it and `use_vmac` (or
/// `use_vmac_addr` for the other family) asks; on another interface with either.
pub fn extra_parent(inst: &Instance, a: &IpAddress, base: &str) -> Option<String> {
    let dev = a.dev.as_ref().map_or(base, |d| d.value.as_str());
    let family = inst.effective.family();
    let vmac_addr = inst.use_vmac_addr.as_ref().is_some_and(|u| u.value);
    let wanted = if dev == base {
        let on_instance_vmac = inst.use_vmac.is_some() && a.family() == family;
        !on_instance_vmac && (a.use_vmac || (vmac_addr && a.family() != family))
    } else {
        a.use_vmac || vmac_addr
    };
    wanted.then(|| dev.to_string())
}

/// The extra vmacs of `inst` (base interface `base`), one per parent and family.
pub fn extra_wants(cfg: &Config, inst: &Instance, host: &HostInfo, base: &str) -> Vec<VmacWant> {
    let Some(vrid) = inst.vrid.as_ref().map(|v| v.value) else {
        return Vec::new();
    };
    let g = &cfg.global;
    let prefix = g
        .vmac_addr_prefix
        .as_ref()
        .or(g.vmac_prefix.as_ref())
        .map_or(DEFAULT_PREFIX.to_string(), |p| p.value.clone());
    let name = &inst.name.value;
    let mut out: Vec<VmacWant> = Vec::new();
    for a in inst.vips.iter().chain(inst.excluded_vips.iter()) {
        let Some(parent) = extra_parent(inst, a, base) else {
            continue;
        };
        let family = a.family();
        let k = key(name, &parent, family);
        if out.iter().any(|w| w.key == k) {
            continue;
        }
        let Some(iface) = host.interfaces.iter().find(|i| i.name == parent) else {
            continue;
        };
        let link_local = (family == Family::V6).then(|| {
            iface
                .addrs
                .iter()
                .find_map(|x| match x.addr {
                    IpAddr::V6(v6)
                        if v6.segments().first().is_some_and(|s| s & 0xffc0 == 0xfe80) =>
                    {
                        Some(v6)
                    }
                    _ => None,
                })
                .unwrap_or_else(|| eui64_link_local(iface.mac.unwrap_or_default()))
        });
        let written_mac = inst.use_vmac.as_ref().and_then(|v| v.value.mac.as_ref());
        out.push(VmacWant {
            key: k,
            instance: name.clone(),
            vrid,
            family,
            parent: parent.clone(),
            parent_index: iface.index,
            mac: written_mac.map_or(rfc_mac(vrid, family), |m| m.value),
            configured_name: None,
            prefix: prefix.clone(),
            xmit_base: false,
            other_family_evips: false,
            link_local,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::router::{router_settings_with, Vmacs};
    use crate::plan::vmac::wanted;
    use crate::plan::{HostAddr, HostInterface};

    fn host() -> HostInfo {
        let eth = |name: &str, index| HostInterface {
            name: name.into(),
            index,
            up: true,
            multicast: true,
            addrs: vec![HostAddr {
                addr: "10.0.0.1".parse().unwrap(),
                prefix: 24,
            }],
            ..HostInterface::default()
        };
        let vm = |name: &str, index| HostInterface {
            addrs: Vec::new(),
            ..eth(name, index)
        };
        HostInfo {
            interfaces: vec![
                eth("eth0", 2),
                eth("eth1", 3),
                vm("vrrp.51", 9),
                vm("vrrp6.51", 10),
                vm("vrrp1.51", 11),
            ],
        }
    }

    fn cfg(extra: &str, evips: &str) -> Config {
        let text = format!(
            "vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n priority 100\n {extra}\n virtual_ipaddress {{\n 10.0.0.100/24\n }}\n virtual_ipaddress_excluded {{\n {evips}\n }}\n}}\n"
        );
        let l = crate::config::load_str(&text);
        let r = l.render();
        l.config.unwrap_or_else(|| panic!("{r}"))
    }

    #[test]
    fn other_family_and_other_interface_addresses_get_their_own_vmac() {
        let c = cfg(
            "use_vmac\n use_vmac_addr",
            "2001:db8::5/64\n 10.0.1.5/24 dev eth1\n 10.0.0.5/24",
        );
        let w = wanted(&c, &host());
        let keys: Vec<&str> = w.iter().map(|w| w.key.as_str()).collect();
        assert_eq!(keys, ["VI_1", "VI_1 eth0 IPv6", "VI_1 eth1 IPv4"]);
        assert_eq!(w[1].mac, rfc_mac(51, Family::V6));
        assert_eq!(
            (w[2].parent.as_str(), w[2].mac),
            ("eth1", rfc_mac(51, Family::V4))
        );
        let vmacs = Vmacs::from([
            ("VI_1".to_string(), "vrrp.51".to_string()),
            ("VI_1 eth0 IPv6".to_string(), "vrrp6.51".to_string()),
            ("VI_1 eth1 IPv4".to_string(), "vrrp1.51".to_string()),
        ]);
        let s = router_settings_with(&c, &host(), &vmacs).expect("plan");
        let devs: Vec<&str> = s.instances[0]
            .excluded_vips
            .iter()
            .map(|v| v.ifname.as_str())
            .collect();
        assert_eq!(devs, ["vrrp6.51", "vrrp1.51", "vrrp.51"]);
    }

    #[test]
    fn the_address_option_alone_asks_for_its_own_vmac() {
        let c = cfg("", "2001:db8::5/64 use_vmac\n 10.0.1.5/24 dev eth1");
        let w = wanted(&c, &host());
        let keys: Vec<&str> = w.iter().map(|w| w.key.as_str()).collect();
        assert_eq!(keys, ["VI_1 eth0 IPv6"]);
        assert!(w[0].link_local.is_some());
    }
}
