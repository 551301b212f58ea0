//! The IPv4 sysctls keepalived sets for a vmac, and what it puts back at stop
//! (docs/vmac.md#sysctls):
//!
//! * on the vmac: arp_ignore=1, accept_local=1, rp_filter=0, promote_secondaries=1;
//! * on the parent: arp_ignore=1 and arp_filter=1, the old values restored when its last
//!   vmac goes (only when they were changed);
//! * rp_filter=0 on the vmac only works with all.rp_filter=0: when it is not, every
//!   interface (and `default`) is first raised to the old `all` value, so nothing filters
//!   less than before, and `all` is set to 0; all three are put back at stop when still as
//!   they were left.

use std::collections::BTreeMap;

use tracing::info;

use crate::sys::vmac_sysctl::{read, write, Tree};

const V4: Tree = Tree::Ipv4;

/// What was changed, to be put back.
#[derive(Debug, Default)]
pub struct Sysctls {
    /// The parents whose arp_ignore / arp_filter were changed, with the old values.
    parents: BTreeMap<String, (u32, u32)>,
    /// all.rp_filter before it was cleared.
    all_rp_filter: Option<u32>,
    /// default.rp_filter before it was raised.
    default_rp_filter: Option<u32>,
    /// The interfaces whose rp_filter was raised, with the old value.
    raised: Vec<(String, u32)>,
}

impl Sysctls {
    /// The vmac's own settings.
    pub fn set_vmac(&mut self, vmac: &str) {
        for (param, value) in [
            ("arp_ignore", 1),
            ("accept_local", 1),
            ("rp_filter", 0),
            ("promote_secondaries", 1),
        ] {
            if write(V4, vmac, param, value).is_err() {
                info!(target: "vrrpd", "Unable to set parameters for {vmac}");
                return;
            }
        }
    }

    /// arp_ignore=1, arp_filter=1 on `parent`, keeping the old values when they change.
    pub fn set_parent(&mut self, parent: &str, vmac: &str) {
        if self.parents.contains_key(parent) {
            return;
        }
        let (Some(ignore), Some(filter)) = (
            read(V4, parent, "arp_ignore"),
            read(V4, parent, "arp_filter"),
        ) else {
            return;
        };
        if ignore == 1 && filter == 1 {
            return;
        }
        let ok = write(V4, parent, "arp_ignore", 1).is_ok()
            && write(V4, parent, "arp_filter", 1).is_ok();
        if !ok {
            info!(target: "vrrpd", "Set base flags on {parent} failed for VMAC {vmac}");
        }
        self.parents.insert(parent.to_string(), (ignore, filter));
    }

    /// Puts back `parent`'s arp_ignore / arp_filter if they were changed.
    pub fn reset_parent(&mut self, parent: &str) {
        if let Some((ignore, filter)) = self.parents.remove(parent) {
            let ok = write(V4, parent, "arp_ignore", ignore).is_ok()
                && write(V4, parent, "arp_filter", filter).is_ok();
            if !ok {
                info!(target: "vrrpd", "Unable to reset parameters for {parent}");
            }
        }
    }

    /// Clears all.rp_filter (once) after raising `default` and every interface of `links`.
    pub fn clear_rp_filter(&mut self, links: &[String]) {
        if self.all_rp_filter.is_some() {
            return;
        }
        let Some(all) = read(V4, "all", "rp_filter") else {
            info!(target: "vrrpd", "Unable to read sysctl net.ipv4.conf.all.rp_filter");
            return;
        };
        if all == 0 {
            return;
        }
        self.all_rp_filter = Some(all);
        if let Some(d) = read(V4, "default", "rp_filter").filter(|d| *d < all) {
            info!(target: "vrrpd", "NOTICE: setting sysctl net.ipv4.conf.default.rp_filter from {d} to {all}");
            if write(V4, "default", "rp_filter", all).is_ok() {
                self.default_rp_filter = Some(d);
            }
        }
        for name in links {
            if let Some(v) = read(V4, name, "rp_filter").filter(|v| *v < all) {
                if write(V4, name, "rp_filter", all).is_ok() {
                    self.raised.push((name.clone(), v));
                }
            }
        }
        info!(target: "vrrpd", "NOTICE: setting sysctl net.ipv4.conf.all.rp_filter from {all} to 0");
        let _ = write(V4, "all", "rp_filter", 0);
    }

    /// Puts back what [`Sysctls::clear_rp_filter`] changed, where it is still as left.
    pub fn restore_rp_filter(&mut self) {
        let Some(all) = self.all_rp_filter.take() else {
            return;
        };
        if read(V4, "all", "rp_filter") == Some(0) {
            info!(target: "vrrpd", "NOTICE: resetting sysctl net.ipv4.conf.all.rp_filter to {all}");
            let _ = write(V4, "all", "rp_filter", all);
        }
        if let Some(d) = self.default_rp_filter.take() {
            if read(V4, "default", "rp_filter") == Some(all) {
                info!(target: "vrrpd", "NOTICE: resetting sysctl net.ipv4.conf.default.rp_filter to {d}");
                let _ = write(V4, "default", "rp_filter", d);
            }
        }
        for (name, v) in std::mem::take(&mut self.raised) {
            if read(V4, &name, "rp_filter") == Some(all) {
                let _ = write(V4, &name, "rp_filter", v);
            }
        }
    }
}
