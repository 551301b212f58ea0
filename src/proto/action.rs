//! Everything the core asks the shell to do, drained with [`super::Router::poll_action`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use super::input::hex_bytes;
use super::routes::{RouteSpec, RuleSpec};
use super::settings::VipSpec;
use super::state::State;

/// One effect for the shell to perform, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Send one advert. `bytes` is the VRRP message with its checksum already computed for
    /// this `src`/`dst`; the shell adds the IP header (`wire::emit_ipv4_datagram`: protocol
    /// 112, TOS 0xC0, TTL `ttl`, DF clear, ID per-instance counter from 1; for IPv6 the
    /// kernel's) and sends it on `ifindex` (multicast with MSG_DONTROUTE). One action per
    /// unicast peer. With `ah` the shell puts an IPsec AH header in front (protocol 51,
    /// `wire::ah::seal`), because its ICV covers the IP header the shell builds.
    SendAdvert {
        instance: String,
        ifindex: u32,
        ifname: String,
        src: IpAddr,
        dst: IpAddr,
        ttl: u8,
        #[serde(with = "hex_bytes")]
        bytes: Vec<u8>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ah: Option<AhSeal>,
    },
    /// Add an address (RTM_NEWADDR, docs/keepalived-compat.md#adding-addresses). VIPs first, then excluded.
    AddVip { instance: String, vip: VipSpec },
    /// Remove an address (errors for absent addresses are to be ignored, docs/keepalived-compat.md#removing-addresses).
    DelVip { instance: String, vip: VipSpec },
    /// One gratuitous ARP for `ip` on `ifname` (frame from `wire::garp`).
    SendGarp {
        instance: String,
        ifname: String,
        ip: Ipv4Addr,
    },
    /// One unsolicited neighbour advertisement for `ip` on `ifname`.
    SendNa {
        instance: String,
        ifname: String,
        ip: Ipv6Addr,
    },
    /// Run notify scripts / write the FIFO line (docs/keepalived-compat.md#notifications).
    Notify {
        target: NotifyTarget,
        event: NotifyEvent,
        /// The instance's effective priority (always 0 for groups).
        priority: u8,
    },
    /// A log line in keepalived's wording (docs/keepalived-compat.md#log-lines).
    Log { level: LogLevel, message: String },
    /// Install a `virtual_routes` entry (RTM_NEWROUTE). Emitted after the addresses when
    /// becoming MASTER (docs/keepalived-compat.md#state-machine).
    AddRoute { instance: String, spec: RouteSpec },
    /// Remove a `virtual_routes` entry; leaving MASTER removes rules, then routes, then
    /// addresses (docs/keepalived-compat.md#removing-addresses). Errors for absent routes are to be ignored.
    DelRoute { instance: String, spec: RouteSpec },
    /// Install a `virtual_rules` entry (RTM_NEWRULE), after the routes.
    AddRule { instance: String, spec: RuleSpec },
    /// Remove a `virtual_rules` entry, before the routes.
    DelRule { instance: String, spec: RuleSpec },
    // The accept-mode firewall needs no action of its own: the shell derives the nftables
    // sets from AddVip/DelVip (daemon/firewall.rs, docs/keepalived-compat.md#firewall-rules).
}

/// `auth_type AH`: what the shell seals an advert with (docs/keepalived-compat.md#ipsec-ah).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AhSeal {
    /// The 8-byte key (`auth_pass`, zero-padded).
    pub key: [u8; 8],
    /// The sequence number of this advert (the same for every unicast copy).
    pub seq: u32,
    /// A unicast instance: the TTL is left out of the ICV, as keepalived does.
    pub zero_ttl: bool,
}

/// Who a notification is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NotifyTarget {
    /// `INSTANCE "NAME" ...`
    Instance(String),
    /// `GROUP "NAME" ...`
    Group(String),
}

/// The notified event: a state, or one of the FIFO-only events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NotifyEvent {
    Master,
    Backup,
    Fault,
    Stop,
    /// `notify_deleted`: the instance was removed by a reload (docs/keepalived-compat.md#reload).
    Deleted,
    /// `notify_master_rx_lower_pri` / FIFO `MASTER_RX_LOWER_PRI`.
    MasterRxLowerPri,
}

impl NotifyEvent {
    pub fn of_state(state: State) -> Option<NotifyEvent> {
        match state {
            State::Master => Some(NotifyEvent::Master),
            State::Backup => Some(NotifyEvent::Backup),
            State::Fault => Some(NotifyEvent::Fault),
            State::Stopped => Some(NotifyEvent::Stop),
            State::Init => None,
        }
    }

    /// The word used by keepalived's notify arguments and FIFO lines.
    pub fn word(self) -> &'static str {
        match self {
            NotifyEvent::Master => "MASTER",
            NotifyEvent::Backup => "BACKUP",
            NotifyEvent::Fault => "FAULT",
            NotifyEvent::Stop => "STOP",
            NotifyEvent::Deleted => "DELETED",
            NotifyEvent::MasterRxLowerPri => "MASTER_RX_LOWER_PRI",
        }
    }
}

/// keepalived logs everything at syslog INFO; `Detail` lines appear only with `-D`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LogLevel {
    Detail,
    Info,
    Warning,
    Error,
}

/// Capacity an emptied action queue keeps. A burst (1,000 instances entering MASTER at once
/// queue one GARP action per VIP and repeat) grows a queue to megabytes; keeping that for the
/// daemon's whole life made its resident memory twice keepalived's (README "Memory").
const IDLE_QUEUE_CAPACITY: usize = 64;

/// Gives an empty queue's burst capacity back to the allocator.
pub fn shrink_idle<T>(queue: &mut std::collections::VecDeque<T>) {
    if queue.is_empty() && queue.capacity() > 4 * IDLE_QUEUE_CAPACITY {
        queue.shrink_to(IDLE_QUEUE_CAPACITY);
    }
}
