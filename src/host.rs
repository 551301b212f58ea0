//! Facts about the host the daemon or `--check-interfaces` runs on (shell side: reads the OS).

/// keepalived's default config id: the node name up to the first dot (`uname -n`).
pub fn default_config_id() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let name = name.trim();
    name.split('.').next().unwrap_or(name).to_string()
}

/// The interfaces of this host and their addresses, for `--check-interfaces` (and `main`'s
/// early check before forking), read with getifaddrs: no netlink socket or async runtime is
/// needed there. The type is the plan's interface table, which the daemon fills from netlink
/// (`daemon::linux::read_host`).
pub fn gather() -> crate::plan::HostInfo {
    use std::collections::BTreeMap;

    use nix::net::if_::InterfaceFlags;

    use crate::plan::{HostAddr as IpNet, HostInfo, HostInterface};

    let mut by_name: BTreeMap<String, HostInterface> = BTreeMap::new();
    let Ok(addrs) = nix::ifaddrs::getifaddrs() else {
        return HostInfo {
            interfaces: Vec::new(),
        };
    };
    for ifa in addrs {
        let entry = by_name
            .entry(ifa.interface_name.clone())
            .or_insert_with(|| HostInterface {
                index: nix::net::if_::if_nametoindex(ifa.interface_name.as_str()).unwrap_or(0),
                name: ifa.interface_name.clone(),
                up: ifa.flags.contains(InterfaceFlags::IFF_UP)
                    && ifa.flags.contains(InterfaceFlags::IFF_RUNNING),
                is_loopback: ifa.flags.contains(InterfaceFlags::IFF_LOOPBACK),
                multicast: ifa.flags.contains(InterfaceFlags::IFF_MULTICAST),
                addrs: Vec::new(),
                mac: None,
                noarp: ifa.flags.contains(InterfaceFlags::IFF_NOARP),
            });
        if let Some(mac) = ifa
            .address
            .as_ref()
            .and_then(|a| a.as_link_addr())
            .and_then(|l| l.addr())
        {
            entry.mac = Some(mac);
        }
        let (Some(addr), Some(mask)) = (ifa.address, ifa.netmask) else {
            continue;
        };
        let net = if let (Some(a), Some(m)) = (addr.as_sockaddr_in(), mask.as_sockaddr_in()) {
            Some(IpNet {
                addr: std::net::IpAddr::V4(a.ip()),
                prefix: u32::from(m.ip()).count_ones() as u8,
            })
        } else if let (Some(a), Some(m)) = (addr.as_sockaddr_in6(), mask.as_sockaddr_in6()) {
            Some(IpNet {
                addr: std::net::IpAddr::V6(a.ip()),
                prefix: u128::from(m.ip()).count_ones() as u8,
            })
        } else {
            None
        };
        entry.addrs.extend(net);
    }
    HostInfo {
        interfaces: by_name.into_values().collect(),
    }
}
