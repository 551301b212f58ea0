//! The firewall keywords (docs/keepalived-compat.md#firewall-rules): `vrrp_iptables` and
//! `vrrp_ipsets` mean nftables here (keepalived 2.2.7 as Debian builds it has no iptables
//! support and says so), a table name `nft` cannot take, and the trap of `no_accept`: while
//! MASTER every packet to the VIPs is dropped, so a service on the node listening on a VIP
//! (nginx, haproxy) cannot be reached through it.

use crate::config::diag::Diagnostic;
use crate::config::model::{Config, Global, Instance, TrackerKind};
use crate::config::span::Span;

/// keepalived's words for `vrrp_iptables` / `vrrp_ipsets` in a build without iptables
/// (the quote inside is keepalived's, unbalanced).
const IPTABLES_NOT_SUPPORTED: &str = "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option";

/// A table name `nft` takes unquoted (a letter, then letters, digits, `_`, `-`, `.`;
/// shorter than keepalived's limit of 256). The daemon uses `keepalived` instead of any
/// other.
pub fn usable_name(t: &str) -> bool {
    t.len() < 256
        && t.starts_with(|c: char| c.is_ascii_alphabetic())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The table `global_defs` configures, as keepalived reads it: the first of `nftables` and
/// `vrrp_iptables`/`vrrp_ipsets` wins (a later `nftables` is `already specified -
/// ignoring`), and either resets the chain priority to -1, so `nftables_priority` counts only
/// when written after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableChoice {
    /// `nftables NAME` (None: the default name).
    pub name: Option<String>,
    /// Chosen by `vrrp_iptables`/`vrrp_ipsets`.
    pub from_iptables: bool,
    pub priority: Option<i32>,
}

/// See [`TableChoice`]; `None` when no table keyword is written.
pub fn table_choice(g: &Global) -> Option<TableChoice> {
    let iptables = g
        .accepted
        .iter()
        .filter(|r| matches!(r.keyword.value.as_str(), "vrrp_iptables" | "vrrp_ipsets"))
        .map(|r| r.keyword.span)
        .min_by_key(|s| order(*s));
    let nft = g.nftables.as_ref();
    let (span, name, from_iptables) = match (nft, iptables) {
        (Some(n), Some(i)) if order(i) < order(n.span) => (i, None, true),
        (Some(n), _) => (n.span, n.value.clone(), false),
        (None, Some(i)) => (i, None, true),
        (None, None) => return None,
    };
    let priority = g
        .nftables_priority
        .as_ref()
        .filter(|p| order(p.span) > order(span))
        .map(|p| p.value);
    Some(TableChoice {
        name,
        from_iptables,
        priority,
    })
}

/// Reading order (files in the order they were opened, then offsets).
fn order(s: Span) -> (crate::config::span::FileId, u32) {
    (s.file, s.start)
}

pub(super) fn check_firewall(config: &Config, d: &mut Vec<Diagnostic>) {
    let g = &config.global;
    let choice = table_choice(g);
    for r in &g.accepted {
        let kw = r.keyword.value.as_str();
        if kw == "vrrp_iptables" || kw == "vrrp_ipsets" {
            d.push(
                Diagnostic::warning(r.keyword.span, IPTABLES_NOT_SUPPORTED).with_help(
                    "vrrpd, like keepalived 2.2.7 on Debian, installs nftables rules instead (table `keepalived`, chains `in`/`out`, set `vips`); write `nftables` to say so",
                ),
            );
        }
    }
    if let Some(t) = g.nftables.as_ref() {
        if choice.as_ref().is_some_and(|c| c.from_iptables) {
            d.push(
                Diagnostic::warning(t.span, "nftables already specified - ignoring").with_help(
                    "the `vrrp_iptables`/`vrrp_ipsets` above already chose table `keepalived`; remove them to name the table",
                ),
            );
        } else if let Some(name) = t.value.as_deref().filter(|n| !usable_name(n)) {
            d.push(
                Diagnostic::warning(t.span, format!("nftables table name '{name}' cannot be used - using keepalived"))
                    .with_help("a table name is a letter followed by letters, digits, `_`, `-` or `.`, shorter than 256 characters"),
            );
        }
    }
    if let Some(p) = g.nftables_priority.as_ref() {
        if choice.as_ref().is_some_and(|c| c.priority.is_none()) {
            d.push(
                Diagnostic::warning(p.span, "nftables_priority is reset to -1 by the table keyword after it")
                    .with_help("keepalived resets the priority when it reads `nftables` or `vrrp_iptables`; write nftables_priority after them"),
            );
        }
    }
    for inst in &config.instances {
        unreachable_service(config, inst, d);
    }
}

/// A non-owner without accept mode drops traffic to its VIPs while MASTER
/// (RFC 5798 section 6.4.3; keepalived's nftables `in` chain). Reported where the choice
/// was made (`no_accept`, the instance's `strict_mode`, or `vrrp_strict`): a warning when
/// the instance tracks a script or process (it checks a service that runs here), a note
/// otherwise.
fn unreachable_service(config: &Config, inst: &Instance, d: &mut Vec<Diagnostic>) {
    let e = &inst.effective;
    if e.accept.value || e.priority.value == 255 {
        return;
    }
    let name = &inst.name.value;
    let written_no_accept = inst.accept.as_ref().filter(|a| !a.value).map(|a| a.span);
    let strict_span = inst
        .strict_mode
        .as_ref()
        .filter(|s| s.value)
        .map(|s| s.span)
        .or_else(|| {
            config
                .global
                .strict
                .as_ref()
                .filter(|s| s.value && e.strict.value)
                .map(|s| s.span)
        });
    let Some(span): Option<Span> = written_no_accept.or(strict_span) else {
        return;
    };
    let why = if written_no_accept.is_some() {
        "no_accept"
    } else {
        "strict mode (no_accept)"
    };
    let vips: Vec<String> = inst
        .vips
        .iter()
        .chain(inst.excluded_vips.iter())
        .map(|v| v.net.value.addr.to_string())
        .collect();
    let shown = match vips.len() {
        0 => "its VIPs".to_string(),
        1..=3 => vips.join(", "),
        n => format!("{} and {} more", vips[..3].join(", "), n - 3),
    };
    let service = tracks_a_service(config, inst);
    let message = format!(
        "({name}) {why}: while MASTER this node drops every packet to {shown}; a service here listening on a VIP (nginx, haproxy, ...) cannot be reached through it"
    );
    let fix = if e.strict.value && e.version.value == Some(crate::config::model::Version::V2) {
        "strict VRRPv2 cannot accept: remove vrrp_strict/strict_mode (then `accept` is the default), or use `version 3` and add `accept` to the instance"
    } else if e.strict.value {
        "add `accept` to the instance (VRRPv3 strict mode allows it), or make it the address owner (priority 255)"
    } else {
        "remove `no_accept` (or write `accept`), or make the instance the address owner (priority 255)"
    };
    let help = format!(
        "{fix}; keepalived installs the same nftables drop rules (table keepalived, `ip daddr @vips drop`)"
    );
    let diag = if service {
        Diagnostic::warning(span, message)
    } else {
        Diagnostic::note(span, message)
    };
    d.push(diag.with_help(help));
}

/// The instance, or its sync group, tracks a script or a process: a sign that it fronts a
/// service running on this node.
fn tracks_a_service(config: &Config, inst: &Instance) -> bool {
    let service = |k: TrackerKind| matches!(k, TrackerKind::Script | TrackerKind::Process);
    let group = inst
        .effective
        .sync_group
        .as_deref()
        .and_then(|g| config.sync_groups.iter().find(|s| s.name.value == g));
    inst.effective.trackers.iter().any(|t| service(t.kind))
        || group.is_some_and(|g| g.trackers.iter().any(|t| service(t.kind)))
}
