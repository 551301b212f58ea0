//! The nftables drop rules of `no_accept` instances (docs/keepalived-compat.md#firewall-rules):
//! which instances block traffic to their VIPs, what the sets should hold, and the `nft`
//! commands that take the kernel from what was built to what is wanted. Pure: the shell
//! (daemon/firewall.rs) runs the commands and remembers what succeeded.
//!
//! The layout is keepalived 2.2.7's, so `nft list table ip keepalived` reads the same with
//! either daemon: per family a table named by `nftables` (default `keepalived`), base chains
//! `out` (hook output) and `in` (hook input) at `nftables_priority` (default -1), a set
//! `vips` matched by `ip saddr @vips drop` / `ip daddr @vips drop`; for IPv6 also the
//! neighbour-discovery exception and the link-local chains keyed by interface.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::config::Config;
use crate::proto::{RouterSettings, VipSpec};

/// keepalived's table name when `nftables` has no argument or the firewall is switched on
/// automatically.
pub const DEFAULT_TABLE: &str = "keepalived";
/// keepalived's base-chain priority (`nftables_priority`).
pub const DEFAULT_PRIORITY: i32 = -1;
/// The owner's priority: an owner always accepts (RFC 5798 section 6.4.3).
const OWNER: u8 = 255;

/// Why the firewall is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `nftables [TABLE]` in `global_defs`.
    Nftables,
    /// `vrrp_iptables` / `vrrp_ipsets`: keepalived built without iptables (Debian's 2.2.7)
    /// uses nftables instead, table `keepalived`.
    Iptables,
    /// An instance needs it and nothing was configured: keepalived logs `use_vmac or
    /// no_accept/strict specified, but no firewall configured - using nftables`.
    Automatic,
}

/// What decides the tables' shape; a change (reload) rebuilds them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub table: String,
    pub priority: i32,
    /// `nftables_counters`: a `counter` in every rule.
    pub counters: bool,
}

/// An instance whose VIPs are dropped while it holds them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocking {
    pub ifname: String,
    pub dont_track_primary: bool,
}

/// The firewall of one configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirewallSpec {
    pub layout: Layout,
    /// `nftables_ifindex`: link-local VIPs always keyed by interface index.
    pub ifindex: bool,
    pub origin: Origin,
    /// Non-owner instances without accept mode, by name.
    pub blocking: BTreeMap<String, Blocking>,
}

/// One set element.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Element {
    /// `ip keepalived vips`.
    V4(Ipv4Addr),
    /// `ip6 keepalived vips`.
    V6(Ipv6Addr),
    /// `ip6 keepalived vips_link_local`: a link-local VIP and its interface index.
    LinkLocal(Ipv6Addr, u32),
    /// `ip6 keepalived vips_link_local_name`: a link-local VIP and its interface name
    /// (`dont_track_primary` without `nftables_ifindex`, as keepalived).
    LinkLocalName(Ipv6Addr, String),
}

/// A piece of the tables, created the first time an element needs it (as keepalived does)
/// and kept until the daemon stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    V4,
    V6,
    V6LinkLocal,
    V6LinkLocalName,
}

impl Element {
    fn part(&self) -> Part {
        match self {
            Element::V4(_) => Part::V4,
            Element::V6(_) => Part::V6,
            Element::LinkLocal(..) => Part::V6LinkLocal,
            Element::LinkLocalName(..) => Part::V6LinkLocalName,
        }
    }

    fn text(&self) -> String {
        match self {
            Element::V4(a) => a.to_string(),
            Element::V6(a) => a.to_string(),
            Element::LinkLocal(a, i) => format!("{a} . {i}"),
            Element::LinkLocalName(a, n) => format!("{a} . \"{n}\""),
        }
    }
}

/// What the kernel has, as far as the shell knows: the layout built and its parts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Built {
    pub layout: Option<Layout>,
    pub parts: BTreeSet<Part>,
}

/// The firewall `cfg` needs, given its instances' settings; `None` when no table is
/// configured and no instance blocks (keepalived installs nothing then).
pub fn firewall_spec(cfg: &Config, settings: &RouterSettings) -> Option<FirewallSpec> {
    let g = &cfg.global;
    let accepted = |kw: &str| g.accepted.iter().any(|r| r.keyword.value == kw);
    let blocking: BTreeMap<String, Blocking> = settings
        .instances
        .iter()
        .filter(|i| i.priority != OWNER && !i.accept)
        .map(|i| {
            let b = Blocking {
                ifname: i.ifname.clone(),
                dont_track_primary: i.dont_track_primary,
            };
            (i.name.clone(), b)
        })
        .collect();
    let choice = crate::config::check::firewall::table_choice(g);
    let (table, origin, priority) = match choice {
        Some(c) if c.from_iptables => (None, Origin::Iptables, c.priority),
        Some(c) => (c.name, Origin::Nftables, c.priority),
        None if !blocking.is_empty() => (None, Origin::Automatic, None),
        None => return None,
    };
    let table = table
        .filter(|t| usable_name(t))
        .unwrap_or_else(|| DEFAULT_TABLE.to_string());
    Some(FirewallSpec {
        layout: Layout {
            table,
            priority: priority.unwrap_or(DEFAULT_PRIORITY),
            counters: accepted("nftables_counters"),
        },
        ifindex: accepted("nftables_ifindex"),
        origin,
        blocking,
    })
}

/// A table name `nft` takes (config/check/firewall.rs warns about any other).
pub use crate::config::check::firewall::usable_name;

impl FirewallSpec {
    /// The set element for `vip` of `instance`, or `None` when the instance accepts
    /// traffic (or the interface name cannot be written for `nft`). `ifindex` is the index
    /// of the VIP's interface.
    pub fn element(&self, instance: &str, vip: &VipSpec, ifindex: u32) -> Option<Element> {
        let inst = self.blocking.get(instance)?;
        match vip.addr {
            IpAddr::V4(a) => Some(Element::V4(a)),
            IpAddr::V6(a) if !is_link_local(a) => Some(Element::V6(a)),
            IpAddr::V6(a)
                if !self.ifindex
                    && inst.dont_track_primary
                    && (vip.ifname == inst.ifname || vip.no_track) =>
            {
                let plain = vip
                    .ifname
                    .chars()
                    .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\');
                plain.then(|| Element::LinkLocalName(a, vip.ifname.clone()))
            }
            IpAddr::V6(a) => Some(Element::LinkLocal(a, ifindex)),
        }
    }
}

/// fe80::/10.
fn is_link_local(a: Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}

/// The `nft` commands (one transaction: `;`-separated, given to `nft` as one argument) that
/// make the tables hold exactly `elements`, from `built`; and what is built afterwards.
/// `None` when nothing is built and nothing is wanted. A changed layout deletes the old
/// tables first; parts already built are kept (with their sets rewritten), as keepalived
/// keeps its tables until it stops.
pub fn render(
    layout: &Layout,
    elements: &BTreeSet<Element>,
    built: &Built,
) -> Option<(String, Built)> {
    let mut out = String::new();
    let mut parts = BTreeSet::new();
    if built.layout.as_ref() == Some(layout) {
        parts.extend(built.parts.iter().copied());
    } else if let Some(old) = &built.layout {
        out.push_str(&teardown_of(&old.table, &built.parts));
    }
    let before = parts.clone();
    parts.extend(elements.iter().map(Element::part));
    // Every IPv6 part lives in the IPv6 table built with `vips` (Part::V6 sorts first).
    if parts.iter().any(|p| *p != Part::V4) {
        parts.insert(Part::V6);
    }
    if parts.is_empty() && out.is_empty() {
        return None;
    }
    for p in &parts {
        if !before.contains(p) {
            setup(layout, *p, &mut out);
        }
    }
    for p in &parts {
        let (family, set) = set_of(*p);
        let t = &layout.table;
        let _ = write!(out, "flush set {family} {t} {set}; ");
        let items: Vec<String> = elements
            .iter()
            .filter(|e| e.part() == *p)
            .map(Element::text)
            .collect();
        if !items.is_empty() {
            let _ = write!(
                out,
                "add element {family} {t} {set} {{ {} }}; ",
                items.join(", ")
            );
        }
    }
    let next = Built {
        layout: (!parts.is_empty()).then(|| layout.clone()),
        parts,
    };
    Some((out.trim_end().to_string(), next))
}

/// The commands that delete what `built` holds (the stop sequence), or `None`.
pub fn teardown(built: &Built) -> Option<String> {
    let layout = built.layout.as_ref()?;
    let s = teardown_of(&layout.table, &built.parts);
    (!s.is_empty()).then(|| s.trim_end().to_string())
}

fn teardown_of(table: &str, parts: &BTreeSet<Part>) -> String {
    let mut out = String::new();
    for family in families(parts) {
        let _ = write!(out, "delete table {family} {table}; ");
    }
    out
}

/// The families whose table exists when `parts` are built.
pub fn families(parts: &BTreeSet<Part>) -> Vec<&'static str> {
    let mut f = Vec::new();
    if parts.contains(&Part::V4) {
        f.push("ip");
    }
    if parts.iter().any(|p| *p != Part::V4) {
        f.push("ip6");
    }
    f
}

fn set_of(p: Part) -> (&'static str, &'static str) {
    match p {
        Part::V4 => ("ip", "vips"),
        Part::V6 => ("ip6", "vips"),
        Part::V6LinkLocal => ("ip6", "vips_link_local"),
        Part::V6LinkLocalName => ("ip6", "vips_link_local_name"),
    }
}

/// The commands creating one part, in keepalived's order (so handles, and `nft list`,
/// come out the same). A link-local part needs the IPv6 base, which `render` builds first.
fn setup(layout: &Layout, p: Part, out: &mut String) {
    let t = &layout.table;
    let prio = layout.priority;
    let c = if layout.counters { "counter " } else { "" };
    let base = |family: &str, out: &mut String| {
        let _ = write!(
            out,
            "add table {family} {t}; \
             add chain {family} {t} out {{ type filter hook output priority {prio}; policy accept; }}; \
             add chain {family} {t} in {{ type filter hook input priority {prio}; policy accept; }}; "
        );
    };
    match p {
        Part::V4 => {
            base("ip", out);
            let _ = write!(
                out,
                "add set ip {t} vips {{ type ipv4_addr; }}; \
                 add rule ip {t} in ip daddr @vips {c}drop; \
                 add rule ip {t} out ip saddr @vips {c}drop; "
            );
        }
        Part::V6 => ipv6_base(layout, out, &base),
        Part::V6LinkLocal | Part::V6LinkLocalName => {
            let (set, key, iif, oif) = if p == Part::V6LinkLocal {
                ("vips_link_local", "iface_index", "iif", "oif")
            } else {
                ("vips_link_local_name", "ifname", "iifname", "oifname")
            };
            let _ = write!(
                out,
                "add set ip6 {t} {set} {{ type ipv6_addr . {key}; }}; \
                 add rule ip6 {t} in_link_local ip6 daddr . {iif} @{set} {c}drop; \
                 add rule ip6 {t} out_link_local ip6 saddr . {oif} @{set} {c}drop; "
            );
        }
    }
}

/// The IPv6 table: base chains, link-local chains, `vips`, the neighbour-discovery
/// exception (an NS/NA to or from a VIP must pass, or the VIP could not be resolved), and
/// the jumps of link-local addresses to their own chains.
fn ipv6_base(layout: &Layout, out: &mut String, base: &dyn Fn(&str, &mut String)) {
    let t = &layout.table;
    let c = if layout.counters { "counter " } else { "" };
    base("ip6", out);
    let _ = write!(
        out,
        "add chain ip6 {t} in_link_local; \
         add chain ip6 {t} out_link_local; \
         add set ip6 {t} vips {{ type ipv6_addr; }}; \
         add set ip6 {t} neighbor-discovery {{ type icmpv6_type; flags constant; elements = {{ nd-neighbor-solicit, nd-neighbor-advert }}; }}; \
         add rule ip6 {t} in icmpv6 type @neighbor-discovery {c}accept; \
         add rule ip6 {t} in ip6 daddr fe80::/10 {c}goto in_link_local; \
         add rule ip6 {t} out icmpv6 type @neighbor-discovery {c}accept; \
         add rule ip6 {t} out ip6 saddr fe80::/10 {c}goto out_link_local; \
         add rule ip6 {t} in ip6 daddr @vips {c}drop; \
         add rule ip6 {t} out ip6 saddr @vips {c}drop; "
    );
}

/// The elements `held` (instance -> its elements) add up to.
pub fn union(held: &BTreeMap<String, BTreeSet<Element>>) -> BTreeSet<Element> {
    held.values().flatten().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{HostAddr, HostInfo, HostInterface, Runtime};

    fn plan(text: &str) -> Option<FirewallSpec> {
        let l = crate::config::load_str(text);
        let Some(cfg) = l.config.clone() else {
            panic!("{}", l.render())
        };
        let host = HostInfo {
            interfaces: vec![HostInterface {
                name: "eth0".into(),
                index: 2,
                up: true,
                multicast: true,
                addrs: vec![
                    HostAddr {
                        addr: "10.0.0.1".parse().unwrap(),
                        prefix: 24,
                    },
                    HostAddr {
                        addr: "fe80::1".parse().unwrap(),
                        prefix: 64,
                    },
                ],
                ..HostInterface::default()
            }],
        };
        Runtime::build(&cfg, host, Vec::new())
            .expect("plan")
            .firewall
    }

    fn inst(name: &str, vrid: u8, extra: &str) -> String {
        format!("vrrp_instance {name} {{\n interface eth0\n virtual_router_id {vrid}\n {extra}\n virtual_ipaddress {{ 10.0.0.{vrid} }}\n}}\n")
    }

    #[test]
    fn strict_blocks_non_owners_with_keepalived_defaults() {
        let text = format!(
            "global_defs {{\n vrrp_strict\n}}\n{}{}{}",
            inst("VI_1", 51, "priority 100"),
            inst("OWN", 52, "priority 255"),
            inst("V3", 53, "priority 100\n version 3\n accept"),
        );
        let fw = plan(&text).expect("strict needs a firewall");
        assert_eq!(fw.origin, Origin::Automatic);
        assert_eq!(
            fw.layout,
            Layout {
                table: "keepalived".into(),
                priority: -1,
                counters: false
            }
        );
        // The owner always accepts; VRRPv3 may keep `accept` in strict mode.
        assert_eq!(fw.blocking.keys().collect::<Vec<_>>(), ["VI_1"]);
    }

    #[test]
    fn no_firewall_without_strict_no_accept_or_a_table() {
        assert_eq!(plan(&inst("VI_1", 51, "priority 100")), None);
        let fw = plan(&inst("VI_1", 51, "priority 100\n no_accept")).expect("no_accept");
        assert_eq!(fw.blocking.keys().collect::<Vec<_>>(), ["VI_1"]);
    }

    #[test]
    fn nftables_keywords_set_the_layout() {
        let text = format!(
            "global_defs {{\n nftables vrrp_fw\n nftables_priority -5\n nftables_counters\n nftables_ifindex\n}}\n{}",
            inst("VI_1", 51, "priority 100\n no_accept")
        );
        let fw = plan(&text).expect("configured");
        assert_eq!(fw.origin, Origin::Nftables);
        assert_eq!(
            fw.layout,
            Layout {
                table: "vrrp_fw".into(),
                priority: -5,
                counters: true
            }
        );
        assert!(fw.ifindex);
    }

    #[test]
    fn vrrp_iptables_uses_the_default_nftables_table() {
        let text = format!(
            "global_defs {{\n vrrp_iptables INPUT OUTPUT\n}}\n{}",
            inst("VI_1", 51, "priority 100\n no_accept")
        );
        let fw = plan(&text).expect("iptables means nftables here");
        assert_eq!(fw.origin, Origin::Iptables);
        assert_eq!(fw.layout.table, "keepalived");
    }

    #[test]
    fn the_first_table_keyword_wins_and_resets_the_priority_as_keepalived() {
        let with = |globals: &str| {
            let text = format!(
                "global_defs {{\n{globals}\n}}\n{}",
                inst("VI_1", 51, "priority 100\n no_accept")
            );
            plan(&text).expect("a firewall").layout
        };
        // `nftables` after `vrrp_iptables` is "already specified - ignoring".
        let l = with(" vrrp_iptables\n nftables other");
        assert_eq!((l.table.as_str(), l.priority), ("keepalived", -1));
        let l = with(" nftables other\n vrrp_iptables");
        assert_eq!(l.table, "other");
        // The table keyword resets the priority: only a later nftables_priority counts.
        assert_eq!(with(" nftables_priority 7\n nftables t").priority, -1);
        assert_eq!(with(" nftables t\n nftables_priority 7").priority, 7);
        // A name nft cannot take falls back to keepalived's.
        assert_eq!(with(" nftables 9lives").table, "keepalived");
    }

    fn spec(dont_track_primary: bool, ifindex: bool) -> FirewallSpec {
        FirewallSpec {
            layout: Layout {
                table: "keepalived".into(),
                priority: -1,
                counters: false,
            },
            ifindex,
            origin: Origin::Automatic,
            blocking: BTreeMap::from([(
                "VI_1".to_string(),
                Blocking {
                    ifname: "eth0".into(),
                    dont_track_primary,
                },
            )]),
        }
    }

    #[test]
    fn elements_follow_keepalived_sets() {
        let s = spec(false, false);
        let v = |t: &str| VipSpec::parse(t, "eth0");
        assert_eq!(
            s.element("VI_1", &v("10.0.0.100/24"), 2),
            Some(Element::V4("10.0.0.100".parse().unwrap()))
        );
        assert_eq!(
            s.element("VI_1", &v("2001:db8::1"), 2),
            Some(Element::V6("2001:db8::1".parse().unwrap()))
        );
        assert_eq!(
            s.element("VI_1", &v("fe80::100"), 2),
            Some(Element::LinkLocal("fe80::100".parse().unwrap(), 2))
        );
        // An instance that accepts is not in any set.
        assert_eq!(s.element("OTHER", &v("10.0.0.100"), 2), None);
        // dont_track_primary keys link-local VIPs by name, unless nftables_ifindex.
        assert_eq!(
            spec(true, false).element("VI_1", &v("fe80::100"), 2),
            Some(Element::LinkLocalName(
                "fe80::100".parse().unwrap(),
                "eth0".into()
            ))
        );
        assert_eq!(
            spec(true, true).element("VI_1", &v("fe80::100"), 2),
            Some(Element::LinkLocal("fe80::100".parse().unwrap(), 2))
        );
    }

    fn set(e: &[Element]) -> BTreeSet<Element> {
        e.iter().cloned().collect()
    }

    #[test]
    fn the_table_is_built_once_then_only_its_sets_change() {
        let s = spec(false, false);
        let vip = Element::V4("10.0.0.100".parse().unwrap());
        // Nothing wanted, nothing built: no command at all (a BACKUP at start).
        assert_eq!(render(&s.layout, &BTreeSet::new(), &Built::default()), None);
        let (first, built) = render(
            &s.layout,
            &set(std::slice::from_ref(&vip)),
            &Built::default(),
        )
        .unwrap();
        assert_eq!(
            first,
            "add table ip keepalived; \
             add chain ip keepalived out { type filter hook output priority -1; policy accept; }; \
             add chain ip keepalived in { type filter hook input priority -1; policy accept; }; \
             add set ip keepalived vips { type ipv4_addr; }; \
             add rule ip keepalived in ip daddr @vips drop; \
             add rule ip keepalived out ip saddr @vips drop; \
             flush set ip keepalived vips; \
             add element ip keepalived vips { 10.0.0.100 };"
        );
        assert_eq!(built.parts, BTreeSet::from([Part::V4]));
        // Leaving MASTER empties the set; the table stays, as keepalived's does.
        let (backup, built2) = render(&s.layout, &BTreeSet::new(), &built).unwrap();
        assert_eq!(backup, "flush set ip keepalived vips;");
        assert_eq!(built2, built);
        assert_eq!(
            teardown(&built).as_deref(),
            Some("delete table ip keepalived;")
        );
        assert_eq!(teardown(&Built::default()), None);
    }

    #[test]
    fn ipv6_builds_the_neighbour_discovery_exception_and_link_local_chains() {
        let mut layout = spec(false, false).layout;
        layout.counters = true;
        let ll = Element::LinkLocal("fe80::100".parse().unwrap(), 7);
        let (script, built) = render(&layout, &set(&[ll]), &Built::default()).unwrap();
        assert_eq!(built.parts, BTreeSet::from([Part::V6, Part::V6LinkLocal]));
        for want in [
            "add set ip6 keepalived neighbor-discovery { type icmpv6_type; flags constant; elements = { nd-neighbor-solicit, nd-neighbor-advert }; }",
            "add rule ip6 keepalived in icmpv6 type @neighbor-discovery counter accept",
            "add rule ip6 keepalived in ip6 daddr fe80::/10 counter goto in_link_local",
            "add rule ip6 keepalived in ip6 daddr @vips counter drop",
            "add set ip6 keepalived vips_link_local { type ipv6_addr . iface_index; }",
            "add rule ip6 keepalived in_link_local ip6 daddr . iif @vips_link_local counter drop",
            "add rule ip6 keepalived out_link_local ip6 saddr . oif @vips_link_local counter drop",
            "add element ip6 keepalived vips_link_local { fe80::100 . 7 }",
        ] {
            assert!(script.contains(want), "{want} missing from {script}");
        }
        // The base table comes before the link-local set that hangs off it.
        let base = script.find("add table ip6").unwrap();
        assert!(base < script.find("vips_link_local {").unwrap());
        assert_eq!(
            teardown(&built).as_deref(),
            Some("delete table ip6 keepalived;")
        );
    }

    #[test]
    fn a_new_layout_replaces_the_old_tables_in_the_same_transaction() {
        let old = spec(false, false).layout;
        let vip = set(&[Element::V4("10.0.0.100".parse().unwrap())]);
        let (_, built) = render(&old, &vip, &Built::default()).unwrap();
        let new = Layout {
            table: "fw".into(),
            ..old
        };
        let (script, after) = render(&new, &vip, &built).unwrap();
        assert!(script.starts_with("delete table ip keepalived; add table ip fw;"));
        assert_eq!(after.layout, Some(new.clone()));
        // Nothing wanted under the new layout: the old tables still go.
        let (script, after) = render(&new, &BTreeSet::new(), &built).unwrap();
        assert_eq!(script, "delete table ip keepalived;");
        assert_eq!(after, Built::default());
    }

    #[test]
    fn table_names_nft_cannot_take_are_refused() {
        assert!(usable_name("keepalived"));
        assert!(usable_name("vrrp-fw.1"));
        for bad in ["", "1abc", "a b", "a;b", "a\"b"] {
            assert!(!usable_name(bad), "{bad}");
        }
    }
}
