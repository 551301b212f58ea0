//! The serialisable picture returned by [`super::Router::snapshot`]: what a status dump,
//! `keepalived.json`-style output or a replay test's `state.json` needs.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::settings::Centisecs;
use super::state::State;
use super::stats::{Counters, GlobalCounters};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub instances: Vec<InstanceSnapshot>,
    pub groups: Vec<GroupSnapshot>,
    pub global: GlobalCounters,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceSnapshot {
    pub name: String,
    pub vrid: u8,
    pub state: State,
    pub base_priority: u8,
    pub effective_priority: u8,
    /// The current master's address (ours when MASTER), when known.
    pub master_addr: Option<IpAddr>,
    pub master_priority: u8,
    /// The interval used for master-down (v3: learned from the master).
    pub master_adver_int: Centisecs,
    /// Addresses currently held (VIPs then excluded VIPs); empty unless MASTER.
    pub vips: Vec<IpAddr>,
    pub counters: Counters,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSnapshot {
    pub name: String,
    pub state: State,
}

impl Snapshot {
    /// The snapshot of the instance called `name`.
    pub fn instance(&self, name: &str) -> Option<&InstanceSnapshot> {
        self.instances.iter().find(|i| i.name == name)
    }
}
