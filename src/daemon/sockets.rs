//! The instances' VRRP sockets as the loop sees them. An instance without its receive socket
//! hears no master and would take over beside it (two MASTERs), so an instance whose socket
//! cannot be opened, or whose `unicast_src_ip` is not an address of this host, is held in
//! FAULT (`Input::Sockets`) with a log line naming the reason, and is let out when a later
//! attempt succeeds: on a reload, or when a link or address of the host changes. keepalived
//! likewise puts an instance whose interface or address is missing in FAULT.
//!
//! Also here: following an interface that was deleted and created again under the same name
//! (a new index), which needs new sockets.

use std::collections::{BTreeSet, HashMap};

use tracing::error;

use super::Sys;
use crate::plan::HostInterface;
use crate::proto::{Input, RouterSettings};
use crate::sys::vrrp_socket::Unopened;
use crate::sys::SysError;

/// The instances currently held in FAULT for want of their sockets.
#[derive(Debug, Default)]
pub struct Sockets {
    deaf: BTreeSet<String>,
}

impl Sockets {
    /// True while some instance waits for its sockets (worth retrying on host changes).
    pub fn waiting(&self) -> bool {
        !self.deaf.is_empty()
    }

    /// Opens and closes sockets to match `settings`, logs every failure, and returns the
    /// core's inputs for the instances whose availability changed (`Input::Sockets`). An
    /// instance whose unicast source is not local gets no sockets at all: bound to a foreign
    /// address (`ip_nonlocal_bind`) it would hear nothing.
    pub fn sync<S: Sys>(
        &mut self,
        sys: &mut S,
        settings: &RouterSettings,
        ifaces: &HashMap<String, HostInterface>,
    ) -> Vec<Input> {
        let (inputs, failed) = self.open(sys, settings, ifaces);
        for f in &failed {
            error!(target: "vrrpd", "({}) {}", f.instances.join(", "), f.error);
        }
        inputs
    }

    /// [`Sockets::sync`] without the log lines: the inputs and what failed. Start-up uses it
    /// and stops on the first failure instead (an operating-system error, exit status 1).
    pub fn open<S: Sys>(
        &mut self,
        sys: &mut S,
        settings: &RouterSettings,
        ifaces: &HashMap<String, HostInterface>,
    ) -> (Vec<Input>, Vec<Unopened>) {
        let foreign = foreign_sources(settings, ifaces);
        let mut usable = settings.clone();
        usable
            .instances
            .retain(|i| !foreign.iter().any(|f| f.instances.contains(&i.name)));
        let failed: Vec<Unopened> = foreign
            .into_iter()
            .chain(sys.open_sockets(&usable))
            .collect();
        let deaf: BTreeSet<String> = failed
            .iter()
            .flat_map(|f| f.instances.iter().cloned())
            .collect();
        let inputs = changes(&self.deaf, &deaf, settings);
        self.deaf = deaf;
        (inputs, failed)
    }
}

impl Sockets {
    /// `Input::Sockets { open: false }` for every instance of `settings` held now (after a
    /// reload, an instance created anew under a held name starts without the reason).
    pub fn held(&self, settings: &RouterSettings) -> Vec<Input> {
        settings
            .instances
            .iter()
            .filter(|i| self.deaf.contains(&i.name))
            .map(|i| Input::Sockets {
                instance: i.name.clone(),
                open: false,
            })
            .collect()
    }
}

/// `Input::Sockets` for every instance of `settings` whose state moved between `before`
/// and `after` (the names held in FAULT), in settings order.
pub fn changes(
    before: &BTreeSet<String>,
    after: &BTreeSet<String>,
    settings: &RouterSettings,
) -> Vec<Input> {
    settings
        .instances
        .iter()
        .filter(|i| before.contains(&i.name) != after.contains(&i.name))
        .map(|i| Input::Sockets {
            instance: i.name.clone(),
            open: !after.contains(&i.name),
        })
        .collect()
}

/// Unicast instances whose source address is on no interface of this host.
pub fn foreign_sources(
    settings: &RouterSettings,
    ifaces: &HashMap<String, HostInterface>,
) -> Vec<Unopened> {
    settings
        .instances
        .iter()
        .filter(|i| i.is_unicast())
        .filter(|i| {
            !ifaces
                .values()
                .any(|h| h.addrs.iter().any(|a| a.addr == i.src))
        })
        .map(|i| Unopened {
            instances: vec![i.name.clone()],
            error: SysError::Os {
                what: format!("use unicast_src_ip {} on {}", i.src, i.ifname),
                source: std::io::Error::other("not an address of this host"),
            },
        })
        .collect()
}

/// Points the instances on `ifname` at its new index `ifindex`; true when one changed (the
/// interface was deleted and created again under the same name).
pub fn reindex(settings: &mut RouterSettings, ifname: &str, ifindex: u32) -> bool {
    let mut changed = false;
    for i in &mut settings.instances {
        if i.ifname == ifname && i.ifindex != ifindex {
            i.ifindex = ifindex;
            changed = true;
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::HostAddr;
    use crate::proto::InstanceSettings;

    fn settings() -> RouterSettings {
        RouterSettings {
            instances: vec![
                InstanceSettings::backup("A", 1).interface("eth0", 2),
                InstanceSettings::backup("U", 2)
                    .interface("eth0", 2)
                    .src("10.0.0.5")
                    .peer("10.0.0.6"),
                InstanceSettings::backup("B", 3).interface("eth1", 3),
            ],
            ..RouterSettings::default()
        }
    }

    fn host(addr: &str) -> HashMap<String, HostInterface> {
        let eth0 = HostInterface {
            name: "eth0".into(),
            index: 2,
            addrs: vec![HostAddr {
                addr: addr.parse().unwrap(),
                prefix: 24,
            }],
            ..HostInterface::default()
        };
        HashMap::from([("eth0".to_string(), eth0)])
    }

    #[test]
    fn a_unicast_source_must_be_an_address_of_the_host() {
        let s = settings();
        assert!(foreign_sources(&s, &host("10.0.0.5")).is_empty());
        let f = foreign_sources(&s, &host("10.0.0.7"));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].instances, ["U"]);
        assert!(
            f[0].error.to_string().contains("unicast_src_ip 10.0.0.5"),
            "{}",
            f[0].error
        );
    }

    #[test]
    fn only_instances_whose_state_moved_get_an_input() {
        let s = settings();
        let set = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(changes(&set(&[]), &set(&[]), &s), []);
        assert_eq!(
            changes(&set(&["A", "gone"]), &set(&["B"]), &s),
            [
                Input::Sockets {
                    instance: "A".into(),
                    open: true
                },
                Input::Sockets {
                    instance: "B".into(),
                    open: false
                },
            ]
        );
    }

    #[test]
    fn reindex_moves_only_the_instances_of_that_interface() {
        let mut s = settings();
        assert!(!reindex(&mut s, "eth0", 2));
        assert!(reindex(&mut s, "eth0", 9));
        let idx: Vec<u32> = s.instances.iter().map(|i| i.ifindex).collect();
        assert_eq!(idx, [9, 9, 3]);
    }
}
