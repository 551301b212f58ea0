//! The interface table: one snapshot of the host's interfaces (index, link state, flags, MAC,
//! addresses) that the plan resolves names and sources against and the daemon's executor
//! keeps fresh from netlink events.
//!
//! The type is [`crate::config::HostInfo`]: `config::check_host` (`--check-interfaces`) reads
//! the same facts, and the configuration front end may not depend on the plan. The daemon
//! fills it from netlink (links and addresses, `daemon::linux`); `--check-interfaces` from
//! getifaddrs (`crate::host::gather`).

use std::collections::HashMap;

pub use crate::config::{HostAddr, HostInfo, HostInterface};

/// The interfaces of `host` by name.
pub fn by_name(host: &HostInfo) -> HashMap<String, HostInterface> {
    host.interfaces
        .iter()
        .map(|i| (i.name.clone(), i.clone()))
        .collect()
}
