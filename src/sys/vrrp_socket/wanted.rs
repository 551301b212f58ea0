//! Which VRRP sockets a set of instances needs (docs/keepalived-compat.md#sockets), as a pure
//! function of the settings: one receive socket per (interface, unicast?, listen address,
//! protocol: 51 for `auth_type AH` instances, 112 otherwise, as keepalived's socket pool),
//! one IPv4 send socket per interface, one IPv6 send socket per (interface, source). Each
//! wanted socket carries the names of the instances that use it, so a socket that cannot be
//! opened puts exactly those instances in FAULT (the shell does that; this file only says who).
//!
//! The shell opens what is wanted and not open, and closes what is open and not wanted; the
//! keys are what it compares.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv6Addr};

use super::Listen;
use crate::proto::{AuthSettings, RouterSettings};
use crate::sys::SysError;
use crate::wire::{PROTO_AH, PROTO_VRRP};

/// Key of one receive socket: interface index, unicast mode, bound address, IP protocol.
pub type RecvKey = (u32, bool, IpAddr, u8);

/// One socket to have open: the interface it is bound to and who uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Want<T> {
    pub ifname: String,
    /// What the socket listens to (receive sockets) or `()` (send sockets).
    pub what: T,
    /// The instances that use the socket, in settings order, without repeats.
    pub instances: Vec<String>,
}

/// Every socket `settings` needs, by key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Wanted {
    pub recv: BTreeMap<RecvKey, Want<Listen>>,
    /// IPv4 send sockets by interface index.
    pub send4: BTreeMap<u32, Want<()>>,
    /// IPv6 send sockets by (interface index, source address).
    pub send6: BTreeMap<(u32, Ipv6Addr), Want<()>>,
}

/// A wanted socket that could not be opened, and the instances that are deaf (receive) or
/// mute (send) without it.
#[derive(Debug)]
pub struct Unopened {
    pub instances: Vec<String>,
    pub error: SysError,
}

/// The sockets the instances of `settings` need. An instance whose source and group are of
/// different families (the planner never makes one) needs none.
pub fn wanted(settings: &RouterSettings) -> Wanted {
    let mut w = Wanted::default();
    for i in &settings.instances {
        match (i.src, i.mcast_group) {
            (IpAddr::V4(_), IpAddr::V4(_)) => add(&mut w.send4, i.ifindex, &i.ifname, (), &i.name),
            (IpAddr::V6(src), IpAddr::V6(_)) => {
                add(&mut w.send6, (i.ifindex, src), &i.ifname, (), &i.name)
            }
            _ => continue,
        }
        let listen = if i.is_unicast() {
            Listen::Unicast(i.src)
        } else {
            Listen::Multicast(i.mcast_group)
        };
        // An AH instance hears nothing on a protocol-112 socket: the adverts arrive as
        // protocol 51 (docs/keepalived-compat.md#ipsec-ah).
        let protocol = match i.auth {
            AuthSettings::Ah(_) => PROTO_AH,
            _ => PROTO_VRRP,
        };
        let key = (i.ifindex, i.is_unicast(), listen.addr(), protocol);
        add(&mut w.recv, key, &i.ifname, listen, &i.name);
    }
    w
}

fn add<K: Ord, T>(map: &mut BTreeMap<K, Want<T>>, key: K, ifname: &str, what: T, name: &str) {
    let want = map.entry(key).or_insert_with(|| Want {
        ifname: ifname.to_owned(),
        what,
        instances: Vec::new(),
    });
    if !want.instances.iter().any(|n| n == name) {
        want.instances.push(name.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::InstanceSettings;
    use std::net::Ipv4Addr;

    fn settings(instances: Vec<InstanceSettings>) -> RouterSettings {
        RouterSettings {
            instances,
            ..RouterSettings::default()
        }
    }

    fn v4(a: [u8; 4]) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(a))
    }

    #[test]
    fn multicast_instances_on_one_interface_share_one_receive_and_one_send_socket() {
        let s = settings(vec![
            InstanceSettings::backup("A", 1).interface("eth0", 2),
            InstanceSettings::backup("B", 2).interface("eth0", 2),
            InstanceSettings::backup("C", 3).interface("eth1", 3),
        ]);
        let w = wanted(&s);
        let group = v4([224, 0, 0, 18]);
        assert_eq!(
            w.recv.keys().copied().collect::<Vec<_>>(),
            [(2, false, group, 112), (3, false, group, 112)]
        );
        let eth0 = &w.recv[&(2, false, group, 112)];
        assert_eq!(
            (eth0.ifname.as_str(), eth0.what),
            ("eth0", Listen::Multicast(group))
        );
        assert_eq!(eth0.instances, ["A", "B"]);
        assert_eq!(w.send4.keys().copied().collect::<Vec<_>>(), [2, 3]);
        assert_eq!(w.send4[&3].instances, ["C"]);
        assert!(w.send6.is_empty());
    }

    #[test]
    fn unicast_instances_listen_on_their_source_and_ipv6_sends_per_source() {
        let s = settings(vec![
            InstanceSettings::backup("U", 1)
                .interface("eth0", 2)
                .src("10.0.0.5")
                .peer("10.0.0.6"),
            InstanceSettings::backup("M", 1).interface("eth0", 2),
            InstanceSettings::backup("S", 4)
                .interface("eth0", 2)
                .src("fe80::1"),
            InstanceSettings::backup("T", 5)
                .interface("eth0", 2)
                .src("fe80::2"),
        ]);
        let w = wanted(&s);
        let u = &w.recv[&(2, true, v4([10, 0, 0, 5]), 112)];
        assert_eq!(
            (u.what, u.instances.clone()),
            (Listen::Unicast(v4([10, 0, 0, 5])), vec!["U".to_string()])
        );
        assert!(w.recv.contains_key(&(2, false, v4([224, 0, 0, 18]), 112)));
        assert_eq!(w.send4[&2].instances, ["U", "M"]);
        let srcs: Vec<String> = w.send6.keys().map(|(i, a)| format!("{i}/{a}")).collect();
        assert_eq!(srcs, ["2/fe80::1", "2/fe80::2"]);
        let v6_recv: Vec<&Want<Listen>> = w
            .recv
            .values()
            .filter(|r| r.what.addr().is_ipv6())
            .collect();
        assert_eq!(
            v6_recv.len(),
            1,
            "one IPv6 group socket for both: {v6_recv:?}"
        );
        assert_eq!(v6_recv[0].instances, ["S", "T"]);
    }

    #[test]
    fn ah_instances_listen_on_protocol_51() {
        let w = wanted(&settings(vec![
            InstanceSettings::backup("AH", 1)
                .interface("eth0", 2)
                .auth_ah("k"),
            InstanceSettings::backup("P", 2)
                .interface("eth0", 2)
                .auth_pass("k"),
        ]));
        let group = v4([224, 0, 0, 18]);
        assert_eq!(
            w.recv.keys().copied().collect::<Vec<_>>(),
            [(2, false, group, 51), (2, false, group, 112)]
        );
        assert_eq!(w.recv[&(2, false, group, 51)].instances, ["AH"]);
        assert_eq!(w.send4.len(), 1, "one IP_HDRINCL socket sends both");
    }

    #[test]
    fn a_new_interface_index_is_a_new_socket() {
        let old = wanted(&settings(vec![
            InstanceSettings::backup("A", 1).interface("veth0", 7)
        ]));
        let new = wanted(&settings(vec![
            InstanceSettings::backup("A", 1).interface("veth0", 9)
        ]));
        assert!(old.recv.keys().all(|k| !new.recv.contains_key(k)));
        assert!(old.send4.keys().all(|k| !new.send4.contains_key(k)));
    }
}
