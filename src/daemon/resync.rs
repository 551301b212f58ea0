//! Catching up after the netlink monitor lost events (a receive buffer overrun, or a monitor
//! that closed and was reopened): the host's links and addresses are dumped again and the
//! differences with the loop's interface table become the events the monitor would have
//! sent, so the core, the trackers and the sockets see every change they missed.

use std::collections::HashMap;

use crate::plan::{HostAddr, HostInfo, HostInterface};
use crate::sys::netlink::Change;

/// The events that turn `known` (the loop's table) into `now` (a fresh dump), per interface:
/// addresses that went away first (while the table can still name their interface), then
/// the link, then the addresses that appeared. An interface re-created under its name (a new
/// index) loses all its old addresses first. A vanished interface is reported removed once
/// (the table keeps it, down).
pub fn diff(known: &HashMap<String, HostInterface>, now: &HostInfo) -> Vec<Change> {
    let mut out = Vec::new();
    let mut names: Vec<&String> = known.keys().collect();
    names.sort();
    for name in names {
        let Some(old) = known.get(name) else { continue };
        if now.interfaces.iter().any(|n| n.name == *name) {
            continue;
        }
        removed_addrs(old, &[], &mut out);
        if old.up {
            out.push(Change::LinkRemoved {
                ifindex: old.index,
                name: name.clone(),
            });
        }
    }
    for new in &now.interfaces {
        let old = known.get(&new.name);
        let same_link = old.filter(|o| o.index == new.index);
        if let Some(o) = old {
            let keep = if same_link.is_some() {
                new.addrs.as_slice()
            } else {
                &[]
            };
            removed_addrs(o, keep, &mut out);
        }
        let changed =
            same_link.is_none_or(|o| o.up != new.up || (new.mac.is_some() && o.mac != new.mac));
        if changed {
            out.push(Change::LinkChange {
                ifindex: new.index,
                name: new.name.clone(),
                up: new.up,
                mac: new.mac,
            });
        }
        let had: &[HostAddr] = same_link.map_or(&[], |o| o.addrs.as_slice());
        for a in new.addrs.iter().filter(|a| !had.contains(a)) {
            out.push(Change::AddrChange {
                ifindex: new.index,
                addr: a.addr,
                prefix: a.prefix,
                added: true,
            });
        }
    }
    out
}

/// Removal events for the addresses of `old` that are not in `keep`.
fn removed_addrs(old: &HostInterface, keep: &[HostAddr], out: &mut Vec<Change>) {
    for a in old.addrs.iter().filter(|a| !keep.contains(a)) {
        out.push(Change::AddrChange {
            ifindex: old.index,
            addr: a.addr,
            prefix: a.prefix,
            added: false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(name: &str, index: u32, up: bool, addrs: &[&str]) -> HostInterface {
        HostInterface {
            name: name.into(),
            index,
            up,
            addrs: addrs
                .iter()
                .map(|a| HostAddr {
                    addr: a.parse().unwrap(),
                    prefix: 24,
                })
                .collect(),
            ..HostInterface::default()
        }
    }

    fn table(ifaces: &[HostInterface]) -> HashMap<String, HostInterface> {
        ifaces.iter().map(|i| (i.name.clone(), i.clone())).collect()
    }

    fn addr(ifindex: u32, a: &str, added: bool) -> Change {
        Change::AddrChange {
            ifindex,
            addr: a.parse().unwrap(),
            prefix: 24,
            added,
        }
    }

    #[test]
    fn nothing_missed_means_no_events() {
        let eth0 = iface("eth0", 2, true, &["10.0.0.1"]);
        let host = HostInfo {
            interfaces: vec![eth0.clone()],
        };
        assert_eq!(diff(&table(&[eth0]), &host), []);
    }

    #[test]
    fn missed_link_and_address_changes_are_replayed() {
        let known = table(&[
            iface("eth0", 2, true, &["10.0.0.1", "10.0.0.100"]),
            iface("eth1", 3, false, &[]),
            iface("gone", 4, true, &["10.9.0.1"]),
        ]);
        let host = HostInfo {
            interfaces: vec![
                iface("eth0", 2, true, &["10.0.0.1"]),
                iface("eth1", 3, true, &["10.1.0.1"]),
            ],
        };
        assert_eq!(
            diff(&known, &host),
            [
                addr(4, "10.9.0.1", false),
                Change::LinkRemoved {
                    ifindex: 4,
                    name: "gone".into()
                },
                addr(2, "10.0.0.100", false),
                Change::LinkChange {
                    ifindex: 3,
                    name: "eth1".into(),
                    up: true,
                    mac: None
                },
                addr(3, "10.1.0.1", true),
            ]
        );
    }

    #[test]
    fn a_recreated_interface_drops_its_old_addresses_then_comes_back_with_its_new_index() {
        let known = table(&[iface("veth0", 7, true, &["10.0.0.2"])]);
        let host = HostInfo {
            interfaces: vec![iface("veth0", 9, true, &["10.0.0.2"])],
        };
        assert_eq!(
            diff(&known, &host),
            [
                addr(7, "10.0.0.2", false),
                Change::LinkChange {
                    ifindex: 9,
                    name: "veth0".into(),
                    up: true,
                    mac: None
                },
                addr(9, "10.0.0.2", true),
            ]
        );
    }

    #[test]
    fn a_vanished_interface_already_known_down_is_not_reported_again() {
        let known = table(&[iface("gone", 4, false, &[])]);
        assert_eq!(diff(&known, &HostInfo { interfaces: vec![] }), []);
    }
}
