//! Per-instance counters, named as in RFC 6527 / keepalived's `keepalived.json` stats
//! (docs/keepalived-compat.md#dump-files), plus the two SNMP-only error counters.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Adverts that passed the format checks (check 13 of docs/keepalived-compat.md#receive-checks).
    pub advert_rcvd: u64,
    /// Adverts sent, priority 0 included (one per advert, not per unicast peer copy).
    pub advert_sent: u64,
    pub become_master: u64,
    pub release_master: u64,
    pub packet_len_err: u64,
    /// Always 0 in keepalived 2.2.7 (the v2 interval mismatch is dropped uncounted).
    pub advert_interval_err: u64,
    pub ip_ttl_err: u64,
    pub invalid_type_rcvd: u64,
    pub addr_list_err: u64,
    pub invalid_authtype: u64,
    pub authtype_mismatch: u64,
    pub auth_failure: u64,
    pub pri_zero_rcvd: u64,
    pub pri_zero_sent: u64,
    /// SNMP `chk_err`: bad checksum.
    pub chk_err: u64,
    /// SNMP `vers_err`: version differs from the instance's.
    pub vers_err: u64,
    /// Valid lower-priority adverts a MASTER did not answer because it had answered one
    /// within the advert interval (vrrpd's limit; keepalived answers each). Left out of
    /// snapshots while 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lower_prio_unanswered: u64,
    /// Valid adverts from another MASTER heard while MASTER (vrrpd's; two masters at once,
    /// or the moment before one yields). Left out of snapshots while 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dual_master: u64,
}

/// Errors that could not be charged to an instance.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlobalCounters {
    /// Shorter than the 8-byte VRRP header (after the IP header, for IPv4), check 1.
    pub packet_too_short: u64,
    /// An IPv4 datagram whose header is malformed before any VRID can be read (version not 4,
    /// IHL < 5, protocol neither VRRP nor AH). The kernel drops these before a raw socket sees
    /// them; counted all the same. Left out of snapshots while 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub bad_ip_header: u64,
    /// VRID not configured on that interface/family (`log_unknown_vrids`).
    pub unknown_vrid: u64,
    /// Received on an interface no instance uses.
    pub unknown_interface: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
