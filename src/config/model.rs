//! The typed keepalived.conf model (VRRP part), as written and as derived.
//!
//! Lowering (`config::lower`) fills the "as written" fields: every value keeps the [`Span`] it
//! was read from (`Option<Spanned<T>>` = "not written"). The checks (`config::check`) then fill
//! [`Effective`] for every instance: the values the daemon runs with after defaults, global
//! inheritance and keepalived's derivations (docs/keepalived-compat.md#derived-instance-settings), each with its
//! [`Origin`] so `--dump-conf` can say where it came from.
//!
//! This module knows nothing about the syntax or the parser.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use super::span::{Span, Spanned};

/// Shorthand used throughout the model.
pub type Sp<T> = Spanned<T>;

/// The whole VRRP configuration.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub global: Global,
    /// `vrrp_script NAME { ... }` blocks, in file order.
    pub scripts: Vec<VrrpScript>,
    /// `vrrp_track_process NAME { ... }` blocks.
    pub track_processes: Vec<TrackProcess>,
    /// Root-level `track_file NAME { ... }` (alias `vrrp_track_file`) blocks.
    pub track_files: Vec<TrackFile>,
    pub sync_groups: Vec<SyncGroup>,
    pub instances: Vec<Instance>,
    /// `static_ipaddress { ... }`: addresses installed at start whatever the VRRP state.
    pub static_addresses: Vec<IpAddress>,
    pub static_routes: Vec<Route>,
    pub static_rules: Vec<Rule>,
    /// Root-level process keywords accepted without effect on VRRP (`net_namespace`,
    /// `use_pid_dir`, `instance`, `child_wait_time`, `linkbeat_*`, ...), with their arguments.
    pub process: Vec<RawSetting>,
    /// Keywords and blocks of keepalived's other subsystems (LVS, checkers, BFD) that were
    /// skipped, each reported once as "ignored: vrrpd manages VRRP only".
    pub ignored: Vec<Sp<String>>,
}

impl Config {
    pub fn instance(&self, name: &str) -> Option<&Instance> {
        self.instances.iter().find(|i| i.name.value == name)
    }

    pub fn script(&self, name: &str) -> Option<&VrrpScript> {
        self.scripts.iter().find(|s| s.name.value == name)
    }

    pub fn sync_group(&self, name: &str) -> Option<&SyncGroup> {
        self.sync_groups.iter().find(|g| g.name.value == name)
    }
}

/// A keyword kept verbatim (accepted, no effect on VRRP).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawSetting {
    pub keyword: Sp<String>,
    pub args: Vec<Sp<String>>,
}

/// An address with a prefix length (`10.0.0.1/24`, `fe80::1/64`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct IpNet {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl IpNet {
    pub fn family(&self) -> Family {
        Family::of(&self.addr)
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The address family and VRRP version are the codec's types (`wire`), so the configuration
/// and the packets name them the same way.
pub use crate::wire::{Family, Version};

/// `state MASTER|BACKUP`: the initial wish (docs/keepalived-compat.md#vrrp_instance-keywords).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitialState {
    Master,
    Backup,
}

impl InitialState {
    pub fn as_str(self) -> &'static str {
        match self {
            InitialState::Master => "MASTER",
            InitialState::Backup => "BACKUP",
        }
    }
}

/// A command with optional run-as identity: `notify_master CMD [USER [GROUP]]`. The command is
/// kept raw (one config word, usually double-quoted); the daemon splits it (docs/keepalived-compat.md#lexical-rules, docs/keepalived-compat.md#running-scripts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub cmd: Sp<String>,
    pub user: Option<Sp<String>>,
    pub group: Option<Sp<String>>,
}

/// `USER [GROUP]` (script_user, vrrp_script `user`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunAs {
    pub user: Sp<String>,
    pub group: Option<Sp<String>>,
}

/// A FIFO with its optional owner: `vrrp_notify_fifo PATH [USER [GROUP]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fifo {
    pub path: Sp<String>,
    pub user: Option<Sp<String>>,
    pub group: Option<Sp<String>>,
}

/// The GARP / unsolicited-NA schedule keywords as written, shared by `global_defs` (prefixed
/// `vrrp_`) and `vrrp_instance`; the plan resolves them into the core's `proto::GarpSettings` (docs/keepalived-compat.md#global_defs-keywords, docs/keepalived-compat.md#gratuitous-arp-and-unsolicited-na).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GarpKeywords {
    pub master_delay: Option<Sp<u32>>,
    pub master_repeat: Option<Sp<u32>>,
    pub master_refresh: Option<Sp<u32>>,
    pub master_refresh_repeat: Option<Sp<u32>>,
    pub lower_prio_delay: Option<Sp<u32>>,
    pub lower_prio_repeat: Option<Sp<u32>>,
    /// `garp_extra_if [all] SECS`.
    pub extra_if: Option<Sp<GarpExtraIf>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GarpExtraIf {
    pub all: bool,
    pub secs: u32,
}

/// `smtp_server HOST|IP [PORT]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpServer {
    pub host: Sp<String>,
    pub port: Option<Sp<u16>>,
}

/// `global_defs { ... }` (docs/keepalived-compat.md#global_defs-keywords). `None` = not written.
#[derive(Clone, Debug, Default)]
pub struct Global {
    pub span: Option<Span>,
    pub router_id: Option<Sp<String>>,
    pub vrrp_version: Option<Sp<Version>>,
    pub mcast_group4: Option<Sp<Ipv4Addr>>,
    pub mcast_group6: Option<Sp<Ipv6Addr>>,
    pub garp: GarpKeywords,
    pub garp_interval: Option<Sp<Duration>>,
    pub gna_interval: Option<Sp<Duration>>,
    pub min_garp: Option<Sp<bool>>,
    pub down_timer_adverts: Option<Sp<u32>>,
    pub lower_prio_no_advert: Option<Sp<bool>>,
    pub higher_prio_send_advert: Option<Sp<bool>>,
    pub strict: Option<Sp<bool>>,
    pub skip_check_adv_addr: Option<Sp<bool>>,
    pub check_unicast_src: Option<Sp<bool>>,
    pub enable_script_security: Option<Sp<bool>>,
    pub script_user: Option<RunAs>,
    pub max_auto_priority: Option<Sp<i32>>,
    pub min_auto_priority_delay: Option<Sp<u32>>,
    /// Nice value of the VRRP process, -20..19.
    pub vrrp_priority: Option<Sp<i32>>,
    pub vrrp_rt_priority: Option<Sp<u32>>,
    pub vrrp_rlimit_rttime: Option<Sp<u32>>,
    pub vrrp_no_swap: Option<Sp<bool>>,
    pub vrrp_cpu_affinity: Vec<Sp<u32>>,
    pub rx_bufs_policy: Option<Sp<String>>,
    pub rx_bufs_multiplier: Option<Sp<u32>>,
    pub dynamic_interfaces: Option<Sp<bool>>,
    pub dynamic_interfaces_allow_if_changes: bool,
    pub default_interface: Option<Sp<String>>,
    pub disable_local_igmp: Option<Sp<bool>>,
    pub startup_delay: Option<Sp<Duration>>,
    pub log_unknown_vrids: Option<Sp<bool>>,
    pub vmac_prefix: Option<Sp<String>>,
    pub vmac_addr_prefix: Option<Sp<String>>,
    pub vrrp_notify_fifo: Option<Fifo>,
    pub vrrp_notify_fifo_script: Option<Command>,
    pub notify_fifo: Option<Fifo>,
    pub notify_fifo_script: Option<Command>,
    pub notify_priority_changes: Option<Sp<bool>>,
    pub fifo_write_vrrp_states_on_reload: Option<Sp<bool>>,
    pub notification_email: Vec<Sp<String>>,
    pub notification_email_from: Option<Sp<String>>,
    pub smtp_server: Option<SmtpServer>,
    pub smtp_helo_name: Option<Sp<String>>,
    pub smtp_connect_timeout: Option<Sp<u32>>,
    pub smtp_alert: Option<Sp<bool>>,
    pub smtp_alert_vrrp: Option<Sp<bool>>,
    pub no_email_faults: Option<Sp<bool>>,
    pub startup_script: Option<Command>,
    pub startup_script_timeout: Option<Sp<u32>>,
    pub shutdown_script: Option<Command>,
    pub shutdown_script_timeout: Option<Sp<u32>>,
    /// `reload_check_config [LOGFILE]`: the inner option is the log file.
    pub reload_check_config: Option<Sp<Option<String>>>,
    pub umask: Option<Sp<u32>>,
    pub random_seed: Option<Sp<u32>>,
    /// `vrrp_netlink_cmd_rcv_bufs` (0 = the system default) and its `_force`.
    pub netlink_cmd_rcv_bufs: Option<Sp<u32>>,
    pub netlink_cmd_rcv_bufs_force: Option<Sp<bool>>,
    /// `vrrp_netlink_monitor_rcv_bufs` (0 = the system default) and its `_force`.
    pub netlink_monitor_rcv_bufs: Option<Sp<u32>>,
    pub netlink_monitor_rcv_bufs_force: Option<Sp<bool>>,
    pub nftables: Option<Sp<Option<String>>>,
    pub nftables_priority: Option<Sp<i32>>,
    /// Other keys accepted without effect (SNMP, DBus, netlink buffer sizes, reload files, ...).
    pub accepted: Vec<RawSetting>,
}

/// `authentication { auth_type PASS|AH; auth_pass STR }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authentication {
    pub span: Span,
    pub auth_type: Option<Sp<AuthType>>,
    /// At most 8 bytes (longer passwords are truncated with a warning, as keepalived does).
    pub auth_pass: Option<Sp<Vec<u8>>>,
    /// A value in the block was rejected (already diagnosed), so "missing" checks are skipped.
    pub rejected: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthType {
    /// Simple text password (RFC 2338 type 1).
    Pass,
    /// IPsec AH, HMAC-MD5-96 (type 2).
    Ah,
}

impl AuthType {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthType::Pass => "PASS",
            AuthType::Ah => "AH",
        }
    }
}

/// `brd ADDR|+|-`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Broadcast {
    Addr(Ipv4Addr),
    /// Host bits set.
    Plus,
    /// Host bits cleared.
    Minus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Global,
    Site,
    Link,
    Host,
    Nowhere,
    Number(u8),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Global => f.write_str("global"),
            Scope::Site => f.write_str("site"),
            Scope::Link => f.write_str("link"),
            Scope::Host => f.write_str("host"),
            Scope::Nowhere => f.write_str("nowhere"),
            Scope::Number(n) => write!(f, "{n}"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifetime {
    Forever,
    Secs(u32),
}

/// One `virtual_ipaddress` / `virtual_ipaddress_excluded` / `static_ipaddress` entry
/// (docs/keepalived-compat.md#virtual-address-entries).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpAddress {
    /// The whole entry line.
    pub span: Span,
    /// Address and prefix; the prefix defaults to /32 or /128 when not written.
    pub net: Sp<IpNet>,
    pub prefix_written: bool,
    pub dev: Option<Sp<String>>,
    pub broadcast: Option<Sp<Broadcast>>,
    pub scope: Option<Sp<Scope>>,
    pub label: Option<Sp<String>>,
    pub peer: Option<Sp<IpNet>>,
    pub home: bool,
    /// `-nodad` (which re-enables DAD, docs/keepalived-compat.md#virtual-address-entries).
    pub nodad: bool,
    pub mngtmpaddr: bool,
    pub noprefixroute: bool,
    pub autojoin: bool,
    pub no_track: bool,
    pub preferred_lft: Option<Sp<Lifetime>>,
    pub use_vmac: bool,
}

impl IpAddress {
    pub fn family(&self) -> Family {
        self.net.value.family()
    }
}

/// One `virtual_routes` / `static_routes` entry, kept structured but simple: the common
/// iproute2 words are typed, anything else is kept in `options` in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub span: Span,
    /// `blackhole`, `unreachable`, `prohibit`, `throw`, ... when written before the prefix.
    pub kind: Option<Sp<String>>,
    pub dest: Option<Sp<IpNet>>,
    pub src: Option<Sp<IpAddr>>,
    pub via: Option<Sp<IpAddr>>,
    /// `or GW2` (second gateway, deprecated multipath form).
    pub or_via: Option<Sp<IpAddr>>,
    pub dev: Option<Sp<String>>,
    pub table: Option<Sp<String>>,
    pub metric: Option<Sp<u32>>,
    pub scope: Option<Sp<Scope>>,
    pub no_track: bool,
    pub options: Vec<Sp<String>>,
}

/// One `virtual_rules` / `static_rules` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub span: Span,
    pub from: Option<Sp<IpNet>>,
    pub to: Option<Sp<IpNet>>,
    pub table: Option<Sp<String>>,
    pub preference: Option<Sp<u32>>,
    pub no_track: bool,
    pub options: Vec<Sp<String>>,
}

/// `unicast_peer { ADDR [min_ttl N] [max_ttl N] }` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnicastPeer {
    pub addr: Sp<IpAddr>,
    pub min_ttl: Option<Sp<u8>>,
    pub max_ttl: Option<Sp<u8>>,
}

/// A tracker reference inside `track_interface` / `track_script` / `track_file` /
/// `track_process`: `NAME [weight N [reverse|noreverse]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackRef {
    pub name: Sp<String>,
    pub weight: Option<Sp<i32>>,
    /// `reverse` (true) or `noreverse` (false) when written.
    pub reverse: Option<Sp<bool>>,
}

/// The tracker lists of an instance or sync group as written (`track_interface`,
/// `track_script`, `track_file`, `track_process`, `track_bfd`); the plan turns them into the
/// trackers of `track`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrackLists {
    pub interfaces: Vec<TrackRef>,
    pub scripts: Vec<TrackRef>,
    pub files: Vec<TrackRef>,
    pub processes: Vec<TrackRef>,
    /// `track_bfd` entries (BFD is out of scope; kept for the record).
    pub bfd: Vec<TrackRef>,
}

/// Notification scripts of an instance or sync group (docs/keepalived-compat.md#vrrp_instance-keywords, docs/keepalived-compat.md#sync-groups).
///
/// The commands are boxed: most instances have none, and seven unboxed ones made up a quarter
/// of every instance (10,000 instances: 8 MB for nothing).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Notify {
    pub master: Option<Box<Command>>,
    pub backup: Option<Box<Command>>,
    pub fault: Option<Box<Command>>,
    pub stop: Option<Box<Command>>,
    /// `notify_deleted [CMD]`: the keyword itself switches reporting DELETED on reload removal.
    pub deleted: Option<Sp<Option<Box<Command>>>>,
    /// `notify CMD`: run on every transition with `INSTANCE NAME STATE PRIO` appended.
    pub any: Option<Box<Command>>,
    pub master_rx_lower_pri: Option<Box<Command>>,
}

impl Notify {
    pub fn commands(&self) -> impl Iterator<Item = &Command> {
        self.named_commands().map(|(_, c)| c)
    }

    /// Each configured command with the keyword that sets it (`notify_master`).
    pub fn named_commands(&self) -> impl Iterator<Item = (&'static str, &Command)> {
        let deleted = self.deleted.as_ref().and_then(|d| d.value.as_deref());
        [
            ("notify_master", self.master.as_deref()),
            ("notify_backup", self.backup.as_deref()),
            ("notify_fault", self.fault.as_deref()),
            ("notify_stop", self.stop.as_deref()),
            ("notify_deleted", deleted),
            ("notify", self.any.as_deref()),
            (
                "notify_master_rx_lower_pri",
                self.master_rx_lower_pri.as_deref(),
            ),
        ]
        .into_iter()
        .filter_map(|(k, c)| c.map(|c| (k, c)))
    }
}

/// `use_vmac [IFNAME] [MAC]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UseVmac {
    pub ifname: Option<Sp<String>>,
    pub mac: Option<Sp<[u8; 6]>>,
}

/// `vrrp_instance NAME { ... }` as written (docs/keepalived-compat.md#vrrp_instance-keywords).
#[derive(Clone, Debug)]
pub struct Instance {
    pub name: Sp<String>,
    /// The `vrrp_instance` keyword.
    pub span: Span,
    /// Position among the root statements in reading order (includes expanded): keepalived
    /// resolves `track_script` names against scripts defined *earlier* (docs/keepalived-compat.md#blocks-and-braces).
    pub seq: usize,
    pub state: Option<Sp<InitialState>>,
    pub interface: Option<Sp<String>>,
    pub vrid: Option<Sp<u8>>,
    pub priority: Option<Sp<u8>>,
    /// Parsed value before version rounding (0.01..255 s).
    pub advert_int: Option<Sp<Duration>>,
    pub nopreempt: Option<Span>,
    /// `preempt` (compat: clears nopreempt).
    pub preempt: Option<Span>,
    pub preempt_delay: Option<Sp<Duration>>,
    pub authentication: Option<Authentication>,
    pub vips: Vec<IpAddress>,
    /// Span of the `virtual_ipaddress` keyword, when written.
    pub vips_span: Option<Span>,
    /// Number of `virtual_ipaddress` entries written, valid or not (an empty list caused by
    /// rejected entries is not reported twice).
    pub vip_entries: usize,
    pub excluded_vips: Vec<IpAddress>,
    pub routes: Vec<Route>,
    pub rules: Vec<Rule>,
    pub unicast_src_ip: Option<Sp<IpAddr>>,
    pub unicast_peers: Vec<UnicastPeer>,
    /// Span of the `unicast_peer` keyword, when written (even if empty).
    pub unicast_peer_span: Option<Span>,
    pub unicast_fault_no_peer: Option<Sp<bool>>,
    pub unicast_ttl: Option<Sp<u8>>,
    pub check_unicast_src: Option<Sp<bool>>,
    pub mcast_src_ip: Option<Sp<IpAddr>>,
    pub mcast_dst_ip: Option<Sp<IpAddr>>,
    pub track_src_ip: Option<Sp<bool>>,
    pub version: Option<Sp<Version>>,
    pub native_ipv6: Option<Span>,
    pub tracking: TrackLists,
    pub dont_track_primary: Option<Sp<bool>>,
    pub notify: Notify,
    pub notify_priority_changes: Option<Sp<bool>>,
    pub smtp_alert: Option<Sp<bool>>,
    pub garp: GarpKeywords,
    pub down_timer_adverts: Option<Sp<u32>>,
    pub lower_prio_no_advert: Option<Sp<bool>>,
    pub higher_prio_send_advert: Option<Sp<bool>>,
    pub skip_check_adv_addr: Option<Sp<bool>>,
    pub strict_mode: Option<Sp<bool>>,
    /// `accept` (true) / `no_accept` (false).
    pub accept: Option<Sp<bool>>,
    pub use_vmac: Option<Sp<UseVmac>>,
    pub vmac_xmit_base: Option<Sp<bool>>,
    pub use_vmac_addr: Option<Sp<bool>>,
    pub promote_secondaries: Option<Sp<bool>>,
    pub kernel_rx_buf_size: Option<Sp<u32>>,
    pub debug: Option<Sp<u8>>,
    pub old_unicast_checksum: Option<Sp<Option<String>>>,
    pub linkbeat_use_polling: Option<Span>,
    pub vrf: Option<Sp<String>>,
    /// Keywords whose value was rejected in lowering (already diagnosed), so the checks do not
    /// also report them as missing.
    pub rejected: Vec<&'static str>,
    /// Other accepted keywords (`use_ipvlan`, `lvs_sync_daemon_interface`, ...), verbatim.
    pub accepted: Vec<RawSetting>,
    /// What the daemon runs with; filled by `config::check`.
    pub effective: Effective,
}

impl Instance {
    pub fn new(name: Sp<String>, span: Span) -> Instance {
        Instance {
            name,
            span,
            seq: 0,
            state: None,
            interface: None,
            vrid: None,
            priority: None,
            advert_int: None,
            nopreempt: None,
            preempt: None,
            preempt_delay: None,
            authentication: None,
            vips: Vec::new(),
            vips_span: None,
            vip_entries: 0,
            excluded_vips: Vec::new(),
            routes: Vec::new(),
            rules: Vec::new(),
            unicast_src_ip: None,
            unicast_peers: Vec::new(),
            unicast_peer_span: None,
            unicast_fault_no_peer: None,
            unicast_ttl: None,
            check_unicast_src: None,
            mcast_src_ip: None,
            mcast_dst_ip: None,
            track_src_ip: None,
            version: None,
            native_ipv6: None,
            tracking: TrackLists::default(),
            dont_track_primary: None,
            notify: Notify::default(),
            notify_priority_changes: None,
            smtp_alert: None,
            garp: GarpKeywords::default(),
            down_timer_adverts: None,
            lower_prio_no_advert: None,
            higher_prio_send_advert: None,
            skip_check_adv_addr: None,
            strict_mode: None,
            accept: None,
            use_vmac: None,
            vmac_xmit_base: None,
            use_vmac_addr: None,
            promote_secondaries: None,
            kernel_rx_buf_size: None,
            debug: None,
            old_unicast_checksum: None,
            linkbeat_use_polling: None,
            vrf: None,
            rejected: Vec::new(),
            accepted: Vec::new(),
            effective: Effective::default(),
        }
    }

    /// Unicast mode: at least one peer (keepalived falls back to multicast without peers).
    pub fn is_unicast(&self) -> bool {
        !self.unicast_peers.is_empty()
    }
}

/// Where an effective value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Written in the instance (or script/group) itself.
    Written(Span),
    /// Inherited from `global_defs`.
    Global(Span),
    /// keepalived's built-in default.
    Default,
    /// Computed by a keepalived rule; the text names the rule and its section of
    /// keepalived-behaviour.md. Most reasons are fixed texts, kept without a copy (one string
    /// per derived value of 10,000 instances was a measurable part of `--check-config`).
    Derived(Cow<'static, str>),
}

/// An effective value with its origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Derived<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Derived<T> {
    pub fn default_value(value: T) -> Self {
        Derived {
            value,
            origin: Origin::Default,
        }
    }

    pub fn written(value: T, span: Span) -> Self {
        Derived {
            value,
            origin: Origin::Written(span),
        }
    }

    pub fn because(value: T, why: impl Into<Cow<'static, str>>) -> Self {
        Derived {
            value,
            origin: Origin::Derived(why.into()),
        }
    }

    /// The written instance value, else the global one, else `default`.
    pub fn inherit(local: Option<&Sp<T>>, global: Option<&Sp<T>>, default: T) -> Self
    where
        T: Clone,
    {
        match (local, global) {
            (Some(l), _) => Derived::written(l.value.clone(), l.span),
            (None, Some(g)) => Derived {
                value: g.value.clone(),
                origin: Origin::Global(g.span),
            },
            (None, None) => Derived::default_value(default),
        }
    }
}

impl<T: Default> Default for Derived<T> {
    fn default() -> Self {
        Derived::default_value(T::default())
    }
}

/// Kind of a resolved tracker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackerKind {
    Interface,
    Script,
    File,
    Process,
}

impl TrackerKind {
    pub fn keyword(self) -> &'static str {
        match self {
            TrackerKind::Interface => "track_interface",
            TrackerKind::Script => "track_script",
            TrackerKind::File => "track_file",
            TrackerKind::Process => "track_process",
        }
    }
}

/// A tracker as the instance will use it: weight resolved from the reference, the tracked
/// object's own weight, and the sync-group / owner rules (docs/keepalived-compat.md#weights-and-effective-priority, docs/keepalived-compat.md#trackers-in-sync-groups). Weight 0 = unweighted
/// (instance FAULT while the tracker is down).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedTracker {
    pub kind: TrackerKind,
    pub name: String,
    pub weight: Derived<i32>,
    pub reverse: bool,
}

/// The settings an instance runs with (docs/keepalived-compat.md#derived-instance-settings).
#[derive(Clone, Debug, Default)]
pub struct Effective {
    pub state: Derived<Option<InitialState>>,
    pub priority: Derived<u8>,
    pub family: Derived<Option<Family>>,
    pub version: Derived<Option<Version>>,
    /// Advert interval in centiseconds after version rounding.
    pub advert_int_cs: Derived<u32>,
    pub nopreempt: Derived<bool>,
    pub preempt_delay: Derived<Duration>,
    pub strict: Derived<bool>,
    /// The authentication actually used (None = none / ignored).
    pub auth: Derived<Option<(AuthType, Vec<u8>)>>,
    pub accept: Derived<bool>,
    pub mcast_group: Derived<Option<IpAddr>>,
    pub down_timer_adverts: Derived<u32>,
    pub lower_prio_no_advert: Derived<bool>,
    pub higher_prio_send_advert: Derived<bool>,
    pub skip_check_adv_addr: Derived<bool>,
    pub check_unicast_src: Derived<bool>,
    pub smtp_alert: Derived<bool>,
    pub garp_master_delay: Derived<u32>,
    pub garp_master_repeat: Derived<u32>,
    pub garp_master_refresh: Derived<u32>,
    pub garp_master_refresh_repeat: Derived<u32>,
    pub garp_lower_prio_delay: Derived<u32>,
    pub garp_lower_prio_repeat: Derived<u32>,
    pub trackers: Vec<ResolvedTracker>,
    /// Name of the sync group the instance belongs to.
    pub sync_group: Option<String>,
}

impl Effective {
    /// The advert interval as a duration (centiseconds are the wire unit of VRRPv3).
    pub fn advert_interval(&self) -> Duration {
        Duration::from_millis(u64::from(self.advert_int_cs.value) * 10)
    }

    pub fn family(&self) -> Family {
        self.family.value.unwrap_or(Family::V4)
    }

    pub fn version(&self) -> Version {
        self.version.value.unwrap_or(Version::V2)
    }

    /// The state the instance wishes to start in (a non-owner MASTER still waits; docs/keepalived-compat.md#timers-and-start-up).
    pub fn initial_state(&self) -> InitialState {
        self.state.value.unwrap_or(InitialState::Backup)
    }
}

/// `vrrp_script NAME { ... }` (docs/keepalived-compat.md#vrrp_script-keywords).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VrrpScript {
    pub name: Sp<String>,
    pub span: Span,
    /// Position among the root statements in reading order (includes expanded): keepalived
    /// resolves `track_script` names against scripts defined *earlier* (docs/keepalived-compat.md#blocks-and-braces).
    pub seq: usize,
    pub script: Option<Sp<String>>,
    pub interval: Option<Sp<u32>>,
    pub timeout: Option<Sp<u32>>,
    /// Range -253..253; keepalived still applies an out-of-range weight (reported).
    pub weight: Option<Sp<i32>>,
    pub weight_reverse: bool,
    pub rise: Option<Sp<u32>>,
    pub fall: Option<Sp<u32>>,
    /// Boxed: rarely set, and a generated file can hold tens of thousands of scripts.
    pub user: Option<Box<RunAs>>,
    pub init_fail: Option<Span>,
}

impl VrrpScript {
    pub fn interval_secs(&self) -> u32 {
        self.interval.as_ref().map(|i| i.value).unwrap_or(1)
    }
    /// Default timeout = interval (docs/keepalived-compat.md#vrrp_script-keywords).
    pub fn timeout_secs(&self) -> u32 {
        self.timeout
            .as_ref()
            .map(|t| t.value)
            .unwrap_or_else(|| self.interval_secs())
    }
    pub fn weight_value(&self) -> i32 {
        self.weight.as_ref().map(|w| w.value).unwrap_or(0)
    }
    pub fn rise_count(&self) -> u32 {
        self.rise.as_ref().map(|r| r.value).unwrap_or(1)
    }
    pub fn fall_count(&self) -> u32 {
        self.fall.as_ref().map(|r| r.value).unwrap_or(1)
    }
}

/// `vrrp_track_process NAME { ... }` (docs/keepalived-compat.md#weights-and-effective-priority).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackProcess {
    pub name: Sp<String>,
    pub span: Span,
    pub process: Option<Sp<String>>,
    pub args: Vec<Sp<String>>,
    pub param_match: Option<Sp<String>>,
    pub weight: Option<Sp<i32>>,
    pub weight_reverse: bool,
    pub quorum: Option<Sp<u32>>,
    pub quorum_max: Option<Sp<u32>>,
    pub delay: Option<Sp<Duration>>,
    pub terminate_delay: Option<Sp<Duration>>,
    pub fork_delay: Option<Sp<Duration>>,
    pub full_command: Option<Span>,
}

/// Root-level `track_file NAME { file PATH; weight N [reverse]; init_file [VALUE] [overwrite] }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackFile {
    pub name: Sp<String>,
    pub span: Span,
    pub file: Option<Sp<String>>,
    pub weight: Option<Sp<i32>>,
    pub weight_reverse: bool,
    pub init_file: Option<Sp<InitFile>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitFile {
    pub value: Option<i64>,
    pub overwrite: bool,
}

/// `vrrp_sync_group NAME { group { ... } ... }` (docs/keepalived-compat.md#sync-groups).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncGroup {
    pub name: Sp<String>,
    pub span: Span,
    /// Position among the root statements in reading order (includes expanded): keepalived
    /// resolves `track_script` names against scripts defined *earlier* (docs/keepalived-compat.md#blocks-and-braces).
    pub seq: usize,
    pub members: Vec<Sp<String>>,
    /// Span of the `group` keyword, when written.
    pub group_span: Option<Span>,
    pub tracking: TrackLists,
    pub notify: Notify,
    pub smtp_alert: Option<Sp<bool>>,
    pub notify_priority_changes: Option<Sp<bool>>,
    /// `sync_group_tracking_weight` (or its deprecated alias `global_tracking`).
    pub tracking_weight: Option<Span>,
    /// The group's own trackers as applied to every member; filled by `config::check`.
    pub trackers: Vec<ResolvedTracker>,
}
