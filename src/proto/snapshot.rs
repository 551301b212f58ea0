//! The serialisable picture returned by [`super::Router::snapshot`]: what a status dump,
//! `keepalived.json`-style output or a replay test's `state.json` needs.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::settings::Centisecs;
use super::state::State;
use super::stats::{Counters, GlobalCounters};
use super::transition::{TransitionReason, TransitionRecord};

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
    /// keepalived's `Wantstate`: the state the instance is heading for (MASTER while MASTER,
    /// BACKUP while BACKUP, the configured `state` before the start and in FAULT).
    pub wanted_state: State,
    /// The last state change, with its reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition: Option<TransitionRecord>,
    /// State changes by reason.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub transitions: BTreeMap<TransitionReason, u64>,
    /// Drained by an operator (`Input::Drain`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drained: bool,
    /// MASTER leaving make-before-break: priority 0 sent, VIPs kept until a new master is
    /// heard (drain or stop; `instance/handover.rs`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub handing_over: bool,
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
