//! The resolved runtime configuration of the protocol core.
//!
//! `proto` does not read the `config` model directly: the integrator maps a parsed
//! keepalived.conf onto these plain structs (all defaults and derivations of
//! docs/keepalived-compat.md#derived-instance-settings already applied, interface names resolved to indexes,
//! the advert source address chosen). Keeping the core's input this small makes every test
//! read like a keepalived.conf snippet:
//!
//! ```
//! use vrrpd::proto::InstanceSettings;
//! let vi = InstanceSettings::backup("VI_1", 51).priority(100).vip("10.0.0.100/24");
//! assert_eq!(vi.priority, 100);
//! ```
//!
//! The builder methods that take text (`vip`, `src`, `peer`, …) parse literals written by a
//! programmer and panic on a malformed one; the integrator fills the fields directly.
//!
//! # Mapping from keepalived.conf (for the integrator)
//!
//! | keyword / derivation (docs/keepalived-compat.md) | field |
//! |---|---|
//! | instance name, `virtual_router_id` | `name`, `vrid` |
//! | `version` / global `vrrp_version`; IPv6 ⇒ 3 (docs/keepalived-compat.md#derived-instance-settings step 2) | `version` |
//! | `interface` (resolved to its index) | `ifname`, `ifindex` |
//! | `priority` (255 when `state MASTER` and no priority, docs/keepalived-compat.md#vrrp_instance-keywords) | `priority` |
//! | `state MASTER` | `wants_master` (only matters for owners and sync-group start-up) |
//! | `advert_int` after rounding (v2 whole seconds → ×100) | `advert_int` (centiseconds) |
//! | `nopreempt` (cleared for owners / `state MASTER`) | `preempt = false` |
//! | `preempt_delay` (cleared with MASTER/nopreempt/strict) | `preempt_delay` |
//! | `authentication { auth_type PASS; auth_pass X }` (v2 only) | `auth` |
//! | `virtual_ipaddress` (family of the instance), `virtual_ipaddress_excluded` | `vips`, `excluded_vips`, with `dev` resolved into `ifname` |
//! | `unicast_src_ip` / `mcast_src_ip` / interface primary address (never a VIP, docs/keepalived-compat.md#start-up-cleanup) | `src` (its family is the instance family) |
//! | `mcast_dst_ip` / global group, default 224.0.0.18 or ff02::12 | `mcast_group` |
//! | `unicast_peer { A [min_ttl N max_ttl M] }` | `unicast_peers` (`ttl_range`) |
//! | `unicast_ttl` | `unicast_ttl` |
//! | `garp_*` (instance, else global) | `garp` |
//! | `down_timer_adverts`, `lower_prio_no_advert`, `higher_prio_send_advert`, `skip_check_adv_addr`, `check_unicast_src`, `dont_track_primary`, `old_unicast_checksum`, `accept` | same names |
//! | `strict_mode` (its consequences of docs/keepalived-compat.md#strict-mode already applied to the other fields) | `strict` |
//! | `virtual_routes`, `virtual_rules` (resolved, `dev` names kept) | `routes`, `rules` ([`RouteSpec`], [`RuleSpec`]) |
//! | `notify_deleted` | `notify_deleted` |
//! | `use_vmac`, `vmac_xmit_base` (the vmac the shell set up, docs/vmac.md) | `vmac`; `ifname`/`ifindex` are the vmac unless adverts use the parent |
//! | `vrrp_sync_group` membership | `sync_group` + [`SyncGroupSettings`] |
//! | `track_script` / `track_interface` / `track_file` / `track_process` | not settings: the shell feeds each tracker's effect as `Input::Tracker` (Weight(w·m) / Down / Up, docs/keepalived-compat.md#weights-and-effective-priority) |
//!
//! Values are clamped by `Router::new` to what the wire can carry (v2 1..=255 s, v3
//! 1..=4095 cs, preempt_delay ≤ 1000 s, GARP repeats ≤ 255, down_timer_adverts 1..=100).

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::routes::{RouteSpec, RuleSpec};
use crate::wire::{Family, Version, ADVERT_TTL, GROUP_V4, GROUP_V6};

/// A duration in centiseconds, the unit of the VRRPv3 advert interval (RFC 5798 §5.2.7).
/// VRRPv2 intervals are whole seconds and are stored here as multiples of 100.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Centisecs(pub u32);

impl Centisecs {
    pub const fn from_secs(secs: u32) -> Centisecs {
        Centisecs(secs.saturating_mul(100))
    }

    /// Exact conversion: 1 cs = 10 ms.
    pub fn to_duration(self) -> Duration {
        Duration::from_millis(u64::from(self.0) * 10)
    }

    /// Whole seconds, rounded down (the VRRPv2 wire unit).
    pub fn whole_secs(self) -> u32 {
        self.0 / 100
    }
}

/// VRRPv2 authentication as configured (`authentication { auth_type PASS; auth_pass X }`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthSettings {
    #[default]
    None,
    /// The password, at most 8 bytes are used (keepalived truncates and zero-pads).
    Pass(String),
    /// IPsec AH (HMAC-MD5-96) keyed with `auth_pass`, zero-padded or cut to 8 bytes like
    /// PASS (docs/keepalived-compat.md#ipsec-ah).
    Ah(String),
}

impl AuthSettings {
    /// The wire form: PASS zero-padded/truncated to 8 bytes (docs/keepalived-compat.md#vrrp_instance-keywords).
    pub fn to_wire(&self) -> crate::wire::Auth {
        match self {
            AuthSettings::None => crate::wire::Auth::None,
            AuthSettings::Pass(p) => crate::wire::Auth::pass_from_str(p),
            AuthSettings::Ah(_) => crate::wire::Auth::Ah,
        }
    }

    /// The HMAC key of `auth_type AH`: the password's first 8 bytes, zero-padded.
    pub fn ah_key(&self) -> Option<crate::wire::AhKey> {
        match self {
            AuthSettings::Ah(p) => match crate::wire::Auth::pass_from_str(p) {
                crate::wire::Auth::Pass(key) => Some(key),
                _ => None,
            },
            _ => None,
        }
    }
}

/// One `virtual_ipaddress` / `virtual_ipaddress_excluded` entry (docs/keepalived-compat.md#virtual-address-entries),
/// resolved: `ifname` is always set.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VipSpec {
    pub addr: IpAddr,
    /// Default /32 or /128.
    pub prefix_len: u8,
    /// The device the address goes on (`dev`, default: the instance interface).
    pub ifname: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broadcast: Option<IpAddr>,
    /// rtnetlink scope number (0 = global, the default).
    #[serde(default)]
    pub scope: u8,
    /// `no_track`: an external deletion is not reacted to.
    #[serde(default)]
    pub no_track: bool,
}

impl VipSpec {
    /// Parses `ADDR[/PREFIX]` on `ifname`; panics on a malformed literal (builder use).
    pub fn parse(text: &str, ifname: &str) -> VipSpec {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = addr
            .parse()
            .unwrap_or_else(|_| panic!("bad VIP literal {text:?}"));
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix_len = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .unwrap_or_else(|| panic!("bad VIP prefix in {text:?}")),
            None => max,
        };
        VipSpec {
            addr,
            prefix_len,
            ifname: ifname.to_string(),
            label: None,
            broadcast: None,
            scope: 0,
            no_track: false,
        }
    }
}

/// The gratuitous ARP / unsolicited NA schedule of one instance (docs/keepalived-compat.md#gratuitous-arp-and-unsolicited-na).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GarpSettings {
    /// `garp_master_delay`: second burst after becoming MASTER (0 = none). Default 5 s.
    pub master_delay: Centisecs,
    /// `garp_master_repeat`: messages per VIP per burst. Default 5.
    pub master_repeat: u32,
    /// `garp_master_refresh`: periodic refresh while MASTER (0 = off, the default).
    pub master_refresh: Centisecs,
    /// `garp_master_refresh_repeat`: messages per VIP per refresh. Default 1.
    pub refresh_repeat: u32,
    /// `garp_lower_prio_delay`: second burst after a lower-priority advert. Default 5 s.
    pub lower_prio_delay: Centisecs,
    /// `garp_lower_prio_repeat`: messages per VIP on a lower-priority advert (0 = off). Default 5.
    pub lower_prio_repeat: u32,
}

impl Default for GarpSettings {
    fn default() -> Self {
        GarpSettings {
            master_delay: Centisecs::from_secs(5),
            master_repeat: 5,
            master_refresh: Centisecs(0),
            refresh_repeat: 1,
            lower_prio_delay: Centisecs::from_secs(5),
            lower_prio_repeat: 5,
        }
    }
}

/// A `unicast_peer` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerSettings {
    pub addr: IpAddr,
    /// `min_ttl`/`max_ttl`: when set, received TTL must lie in the range (check 15 of docs/keepalived-compat.md#receive-checks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_range: Option<(u8, u8)>,
}

/// The VRRPv3/IPv4 unicast checksum variant (docs/keepalived-compat.md#checksums).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum OldUnicastChecksum {
    /// Standard pseudo-header; switch to the old variant when a peer is seen using it.
    #[default]
    Auto,
    /// `old_unicast_checksum`: always use the multicast group as pseudo-header destination.
    Always,
    /// `old_unicast_checksum never`: never switch.
    Never,
}

#[derive(Serialize, Deserialize)]
#[serde(remote = "Version")]
enum VersionDef {
    V2,
    V3,
}

/// The resolved settings of one `vrrp_instance`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InstanceSettings {
    pub name: String,
    pub vrid: u8,
    #[serde(with = "VersionDef")]
    pub version: Version,
    /// The instance interface (`interface`), by index and by name.
    pub ifindex: u32,
    pub ifname: String,
    /// Base priority 1..=255 (255 = address owner).
    pub priority: u8,
    /// `state MASTER`: only matters for the owner (docs/keepalived-compat.md#timers-and-start-up) and sync-group start-up.
    pub wants_master: bool,
    /// `advert_int` (v2: a multiple of 100 cs).
    pub advert_int: Centisecs,
    /// `!nopreempt`.
    pub preempt: bool,
    /// `preempt_delay` (0 = none).
    pub preempt_delay: Centisecs,
    /// `accept` (the shell's firewall concern; carried for the snapshot).
    pub accept: bool,
    pub auth: AuthSettings,
    pub vips: Vec<VipSpec>,
    pub excluded_vips: Vec<VipSpec>,
    /// `virtual_routes`, installed while MASTER after the addresses (docs/keepalived-compat.md#state-machine).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<RouteSpec>,
    /// `virtual_rules`, installed while MASTER after the routes (docs/keepalived-compat.md#state-machine).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleSpec>,
    /// Advert source: `mcast_src_ip`/`unicast_src_ip` or the interface primary address.
    /// Its family is the instance's family.
    pub src: IpAddr,
    /// Multicast group (`mcast_dst_ip` or 224.0.0.18 / ff02::12).
    pub mcast_group: IpAddr,
    /// Non-empty ⇒ unicast mode (docs/keepalived-compat.md#unicast-mode).
    pub unicast_peers: Vec<PeerSettings>,
    /// TTL / hop limit of unicast adverts (`unicast_ttl`, default 255).
    pub unicast_ttl: u8,
    pub garp: GarpSettings,
    /// `down_timer_adverts` 1..=100 (default 3).
    pub down_timer_adverts: u32,
    pub lower_prio_no_advert: bool,
    pub higher_prio_send_advert: bool,
    pub skip_check_adv_addr: bool,
    pub check_unicast_src: bool,
    pub dont_track_primary: bool,
    /// Strict mode (already applied to the other fields by the integrator; carried for
    /// the snapshot and for checks that depend on it).
    pub strict: bool,
    pub old_unicast_checksum: OldUnicastChecksum,
    /// Name of the `vrrp_sync_group` this instance belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_group: Option<String>,
    /// `notify_deleted`: an instance removed by a reload notifies DELETED instead of FAULT
    /// (docs/keepalived-compat.md#reload).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub notify_deleted: bool,
    /// `use_vmac`: the vmac interface the VIPs live on (docs/vmac.md); `ifname` is it too
    /// unless adverts go out of the parent (`vmac_xmit_base`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmac: Option<String>,
}

impl Default for InstanceSettings {
    fn default() -> Self {
        InstanceSettings {
            name: String::new(),
            vrid: 1,
            version: Version::V2,
            ifindex: 2,
            ifname: "eth0".into(),
            priority: 100,
            wants_master: false,
            advert_int: Centisecs::from_secs(1),
            preempt: true,
            preempt_delay: Centisecs(0),
            accept: true,
            auth: AuthSettings::None,
            vips: Vec::new(),
            excluded_vips: Vec::new(),
            routes: Vec::new(),
            rules: Vec::new(),
            src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            mcast_group: IpAddr::V4(GROUP_V4),
            unicast_peers: Vec::new(),
            unicast_ttl: ADVERT_TTL,
            garp: GarpSettings::default(),
            down_timer_adverts: 3,
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            skip_check_adv_addr: false,
            check_unicast_src: false,
            dont_track_primary: false,
            strict: false,
            old_unicast_checksum: OldUnicastChecksum::Auto,
            sync_group: None,
            notify_deleted: false,
            vmac: None,
        }
    }
}

impl InstanceSettings {
    /// `vrrp_instance NAME { state BACKUP; virtual_router_id VRID; interface eth0;
    /// priority 100; advert_int 1 }` with source 10.0.0.1.
    pub fn backup(name: &str, vrid: u8) -> InstanceSettings {
        InstanceSettings {
            name: name.into(),
            vrid,
            ..InstanceSettings::default()
        }
    }

    /// `state MASTER` (with `priority` still to be set; see [`Self::priority`]).
    pub fn master(name: &str, vrid: u8) -> InstanceSettings {
        InstanceSettings {
            wants_master: true,
            ..InstanceSettings::backup(name, vrid)
        }
    }

    pub fn family(&self) -> Family {
        match self.src {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    pub fn is_owner(&self) -> bool {
        self.priority == 255
    }

    pub fn is_unicast(&self) -> bool {
        !self.unicast_peers.is_empty()
    }

    // ===== builder =====

    pub fn priority(mut self, p: u8) -> Self {
        self.priority = p;
        self
    }

    /// `version 3`.
    pub fn v3(mut self) -> Self {
        self.version = Version::V3;
        self
    }

    /// `advert_int` in centiseconds (100 = 1 s).
    pub fn advert_cs(mut self, cs: u32) -> Self {
        self.advert_int = Centisecs(cs);
        self
    }

    pub fn interface(mut self, ifname: &str, ifindex: u32) -> Self {
        for v in self.vips.iter_mut().chain(self.excluded_vips.iter_mut()) {
            if v.ifname == self.ifname {
                v.ifname = ifname.into();
            }
        }
        self.ifname = ifname.into();
        self.ifindex = ifindex;
        self
    }

    /// `virtual_ipaddress { ADDR[/PREFIX] }` on the instance interface. IPv6 addresses also
    /// switch the default multicast group to ff02::12 when the source is IPv6.
    pub fn vip(mut self, text: &str) -> Self {
        self.vips.push(VipSpec::parse(text, &self.ifname));
        self
    }

    /// `virtual_ipaddress_excluded { ADDR[/PREFIX] }`.
    pub fn excluded_vip(mut self, text: &str) -> Self {
        self.excluded_vips.push(VipSpec::parse(text, &self.ifname));
        self
    }

    /// `mcast_src_ip` / `unicast_src_ip`. An IPv6 source selects family IPv6, version 3 and
    /// the group ff02::12.
    pub fn src(mut self, text: &str) -> Self {
        self.src = text
            .parse()
            .unwrap_or_else(|_| panic!("bad source literal {text:?}"));
        if self.src.is_ipv6() {
            self.version = Version::V3;
            self.mcast_group = IpAddr::V6(GROUP_V6);
        }
        self
    }

    /// `unicast_peer { ADDR }`.
    pub fn peer(mut self, text: &str) -> Self {
        let addr = text
            .parse()
            .unwrap_or_else(|_| panic!("bad peer literal {text:?}"));
        self.unicast_peers.push(PeerSettings {
            addr,
            ttl_range: None,
        });
        self
    }

    pub fn nopreempt(mut self) -> Self {
        self.preempt = false;
        self
    }

    pub fn preempt_delay_cs(mut self, cs: u32) -> Self {
        self.preempt_delay = Centisecs(cs);
        self
    }

    /// `authentication { auth_type PASS; auth_pass P }`.
    pub fn auth_pass(mut self, pass: &str) -> Self {
        self.auth = AuthSettings::Pass(pass.into());
        self
    }

    /// `authentication { auth_type AH; auth_pass P }`.
    pub fn auth_ah(mut self, pass: &str) -> Self {
        self.auth = AuthSettings::Ah(pass.into());
        self
    }

    pub fn garp(mut self, garp: GarpSettings) -> Self {
        self.garp = garp;
        self
    }

    /// A `virtual_routes` entry.
    pub fn route(mut self, route: RouteSpec) -> Self {
        self.routes.push(route);
        self
    }

    /// A `virtual_rules` entry.
    pub fn rule(mut self, rule: RuleSpec) -> Self {
        self.rules.push(rule);
        self
    }

    pub fn sync_group(mut self, group: &str) -> Self {
        self.sync_group = Some(group.into());
        self
    }
}

/// A `vrrp_sync_group` (docs/keepalived-compat.md#sync-groups): members move between MASTER, BACKUP and
/// FAULT together.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncGroupSettings {
    pub name: String,
    /// Instance names, resolved and de-duplicated by the integrator.
    pub members: Vec<String>,
}

/// Everything the core needs: instances, sync groups and the improvement switches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RouterSettings {
    pub instances: Vec<InstanceSettings>,
    pub groups: Vec<SyncGroupSettings>,
    /// A backup that may preempt (preempt on, no preempt_delay) and hears a valid advert of
    /// LOWER priority than its own takes over after its Skew_Time instead of a full
    /// Master_Down_Interval. Default on; off = keepalived 2.2.7 timing.
    pub fast_preempt: bool,
    /// Interfaces known to be down when the router starts: their instances start in FAULT
    /// (`entering FAULT state`, as keepalived 2.2.7 prints it at start-up) unless
    /// `dont_track_primary`. Later changes arrive as [`super::Input::Link`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub down_interfaces: Vec<String>,
    /// `log_unknown_vrids` (docs/keywords.md): log an advert whose VRID no instance on that
    /// interface uses, keepalived's `Unknown VRID(N) received on interface(IF). ignoring...`.
    /// Each (interface, VRID, family) is logged once (a LAN must not fill the log); every
    /// one is counted.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub log_unknown_vrids: bool,
}

impl Default for RouterSettings {
    fn default() -> Self {
        RouterSettings {
            instances: Vec::new(),
            groups: Vec::new(),
            fast_preempt: true,
            down_interfaces: Vec::new(),
            log_unknown_vrids: false,
        }
    }
}

impl RouterSettings {
    pub fn new(instances: Vec<InstanceSettings>) -> RouterSettings {
        RouterSettings {
            instances,
            ..RouterSettings::default()
        }
    }

    /// keepalived 2.2.7 timing (no fast preemption).
    pub fn exact_keepalived(mut self) -> Self {
        self.fast_preempt = false;
        self
    }

    pub fn group(mut self, name: &str, members: &[&str]) -> Self {
        self.groups.push(SyncGroupSettings {
            name: name.into(),
            members: members.iter().map(|m| m.to_string()).collect(),
        });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vip_literals_default_to_host_prefixes() {
        let v = VipSpec::parse("10.0.0.100", "eth0");
        assert_eq!((v.prefix_len, v.ifname.as_str()), (32, "eth0"));
        assert_eq!(VipSpec::parse("fe80::61", "eth1").prefix_len, 128);
        assert_eq!(VipSpec::parse("10.0.0.100/24", "eth0").prefix_len, 24);
    }

    #[test]
    fn builder_reads_like_keepalived_conf() {
        let vi = InstanceSettings::master("VI_1", 51)
            .interface("bond0", 7)
            .priority(150)
            .auth_pass("secret12345")
            .vip("10.0.0.100/24")
            .peer("10.0.0.2");
        assert!(vi.wants_master && vi.is_unicast() && !vi.is_owner());
        assert_eq!((vi.ifname.as_str(), vi.ifindex), ("bond0", 7));
        assert_eq!(vi.vips[0].ifname, "bond0");
        // auth_pass is truncated to 8 bytes (docs/keepalived-compat.md#vrrp_instance-keywords).
        assert_eq!(vi.auth.to_wire(), crate::wire::Auth::Pass(*b"secret12"));
        let v6 = InstanceSettings::backup("VI_6", 61).src("fe80::1");
        assert_eq!((v6.version, v6.family()), (Version::V3, Family::V6));
        assert_eq!(v6.mcast_group, IpAddr::V6(GROUP_V6));
    }

    #[test]
    fn settings_json_only_needs_what_differs_from_the_defaults() {
        let text = r#"{"instances":[{"name":"VI_1","vrid":51,"priority":150}]}"#;
        let s: RouterSettings = serde_json::from_str(text).unwrap();
        assert!(s.fast_preempt);
        assert_eq!(s.instances[0].advert_int, Centisecs(100));
        assert_eq!(s.instances[0].garp.master_repeat, 5);
        let back: RouterSettings =
            serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn centisecs_convert_exactly() {
        assert_eq!(Centisecs(150).to_duration(), Duration::from_millis(1500));
        assert_eq!(Centisecs::from_secs(3).whole_secs(), 3);
    }
}
