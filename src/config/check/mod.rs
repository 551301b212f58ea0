//! Derived settings and cross-checks performed after lowering, as keepalived's
//! `vrrp_complete_init` does (docs/keepalived-compat.md#derived-instance-settings, docs/keepalived-compat.md#strict-mode, docs/keepalived-compat.md#trackers-in-sync-groups, docs/keepalived-compat.md#sync-groups), plus
//! [`check_host`] for `--check-interfaces` against facts the CLI gathered.
//!
//! Fills [`Instance::effective`](crate::config::model::Instance::effective) for every instance:
//! each value with its [`Origin`](crate::config::model::Origin), so `--dump-conf` can explain it.
//!
//! * `instance/`: per-instance derivations, one function per step (family, version,
//!   priority/state, auth, preempt, advert interval, strict mode, global inheritance);
//! * `trackers.rs`: tracker resolution and weight rules;
//! * `host.rs`: checks against the host's interfaces;
//! * `firewall.rs`: the nftables keywords and the `no_accept` trap;
//! * `by_name/`: commands in scripts that control keepalived by name (`--check-interfaces`);
//! * here: sync-group membership, VRID conflicts, script security, unused scripts.

pub mod by_name;
pub mod firewall;
mod host;
mod instance;
mod trackers;

pub use by_name::{check_by_name, named_scripts, NamedScript};
pub use host::{check_host, HostAddr, HostInfo, HostInterface};

use std::net::IpAddr;

// FxHash: keys are the configuration's own names and numbers, hashed once per instance; the
// default SipHash was a visible part of checking a 10,000-instance file.
use compact_str::CompactString;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::config::diag::Diagnostic;
use crate::config::model::{Config, Family, Sp};
use crate::config::span::Span;

/// Runs every derivation and cross-check, adding the diagnostics to `d`.
pub fn check_into(config: &mut Config, d: &mut Vec<Diagnostic>) {
    check_into_but_unused_scripts(config, d);
    unused_scripts(config, d);
}

/// [`check_into`] without the warnings for unused scripts ([`unused_script_names`]), which
/// only ever warn: the daemon's start-up makes them after its instances have started.
pub fn check_into_but_unused_scripts(config: &mut Config, d: &mut Vec<Diagnostic>) {
    let membership = sync_groups(config, d);
    for idx in 0..config.instances.len() {
        let group = membership.get(&idx).cloned();
        instance::derive_instance(config, idx, group, d);
    }
    trackers::group_trackers(config, d);
    vrid_conflicts(config, d);
    script_security(config, d);
    firewall::check_firewall(config, d);
}

/// Sync groups: resolve members (any order), one group per instance, empty and one-member
/// groups (docs/keepalived-compat.md#sync-groups). Returns instance index -> group index.
fn sync_groups(config: &Config, d: &mut Vec<Diagnostic>) -> HashMap<usize, usize> {
    let mut member_of: HashMap<usize, usize> = HashMap::default();
    if config.sync_groups.is_empty() {
        return member_of;
    }
    let by_name: HashMap<&str, usize> = config
        .instances
        .iter()
        .enumerate()
        .map(|(i, inst)| (inst.name.value.as_str(), i))
        .collect();
    for (gi, g) in config.sync_groups.iter().enumerate() {
        let mut resolved = 0;
        for m in &g.members {
            let Some(&ii) = by_name.get(m.value.as_str()) else {
                let mut diag = Diagnostic::error(
                    m.span,
                    format!(
                        "Virtual router {} specified in sync group {} doesn't exist",
                        m.value, g.name.value
                    ),
                )
                .with_label("no vrrp_instance has this name");
                let candidates = config
                    .instances
                    .iter()
                    .map(|i| i.name.value.as_str())
                    .filter(|n| !g.members.iter().any(|x| x.value == *n));
                if let Some(best) = crate::config::lower::keywords::suggest(&m.value, candidates) {
                    diag = diag.with_help(format!("did you mean `{best}`?"));
                }
                d.push(diag);
                continue;
            };
            if let Some(&other) = member_of.get(&ii) {
                if other != gi {
                    let other_name = config
                        .sync_groups
                        .get(other)
                        .map(|x| x.name.value.as_str())
                        .unwrap_or("?");
                    d.push(
                        Diagnostic::error(
                            m.span,
                            format!(
                                "vrrp instance {} is already in sync group {other_name}",
                                m.value
                            ),
                        )
                        .with_help("an instance may be in only one sync group"),
                    );
                }
                continue;
            }
            member_of.insert(ii, gi);
            resolved += 1;
        }
        if g.members.is_empty() {
            d.push(
                Diagnostic::warning(
                    g.name.span,
                    format!(
                        "Sync group {} has no virtual router(s). removing",
                        g.name.value
                    ),
                )
                .with_help("list the member instances in `group { VI_1 VI_2 }`"),
            );
        } else if resolved == 1 && g.members.len() == 1 {
            d.push(
                Diagnostic::warning(
                    g.name.span,
                    format!("Sync group {} has only 1 virtual router", g.name.value),
                )
                .with_help("a sync group is meant to keep several instances together"),
            );
        }
    }
    member_of
}

/// docs/keepalived-compat.md#derived-instance-settings item 10: same family + VRID + interface + multicast group, or for unicast the same
/// local address and overlapping peers.
fn vrid_conflicts(config: &Config, d: &mut Vec<Diagnostic>) {
    let insts = &config.instances;
    // Bucket by (VRID, family) so a config with thousands of instances is not compared pair
    // by pair; multicast instances are further keyed by interface and group, which is exactly
    // their conflict rule.
    type McastKey<'a> = (u8, Option<Family>, Option<&'a str>, Option<IpAddr>);
    let mut mcast: HashMap<McastKey<'_>, usize> = HashMap::default();
    mcast.reserve(insts.len());
    let mut unicast: HashMap<(u8, Option<Family>), Vec<usize>> = HashMap::default();
    for (j, b) in insts.iter().enumerate() {
        let Some(vb) = &b.vrid else { continue };
        let family = b.effective.family.value;
        let earlier: Vec<usize> = if b.is_unicast() {
            let bucket = unicast.entry((vb.value, family)).or_default();
            let e = bucket.clone();
            bucket.push(j);
            e
        } else {
            let key = (
                vb.value,
                family,
                b.interface.as_ref().map(|i| i.value.as_str()),
                b.effective.mcast_group.value,
            );
            match mcast.get(&key) {
                Some(&first) => vec![first],
                None => {
                    mcast.insert(key, j);
                    Vec::new()
                }
            }
        };
        for a in earlier.iter().filter_map(|&i| insts.get(i)) {
            let same_if = match (&a.interface, &b.interface) {
                (Some(x), Some(y)) => x.value == y.value,
                (None, None) => true,
                _ => false,
            };
            let conflict = match (a.is_unicast(), b.is_unicast()) {
                (false, false) => true,
                (true, true) => {
                    let same_src = match (&a.unicast_src_ip, &b.unicast_src_ip) {
                        (Some(x), Some(y)) => x.value == y.value,
                        (None, None) => same_if,
                        _ => false,
                    };
                    same_src
                        && a.unicast_peers
                            .iter()
                            .any(|p| b.unicast_peers.iter().any(|q| q.addr.value == p.addr.value))
                }
                _ => false,
            };
            if conflict {
                let family = b
                    .effective
                    .family
                    .value
                    .map(Family::as_str)
                    .unwrap_or("IPv4");
                let ifname = b
                    .interface
                    .as_ref()
                    .map(|i| i.value.as_str())
                    .unwrap_or("(none)");
                d.push(
                    Diagnostic::error(
                        vb.span,
                        format!("{} and {} both use VRID {} with {family} on interface {ifname}", a.name.value, b.name.value, vb.value),
                    )
                    .with_label("duplicate VRID")
                    .with_help("each instance on one interface (and multicast group or unicast peer set) needs its own virtual_router_id"),
                );
            }
        }
    }
}

/// keepalived logs `SECURITY VIOLATION - scripts are being executed but script_security not
/// enabled.` (exit 6 under -t) when any script is configured and `enable_script_security` is
/// off. Scripts still run; vrrpd warns once, at the first script.
fn script_security(config: &Config, d: &mut Vec<Diagnostic>) {
    if config
        .global
        .enable_script_security
        .as_ref()
        .is_some_and(|s| s.value)
    {
        return;
    }
    let g = &config.global;
    let referenced = referenced_scripts(config);
    let tracked = |name: &str| referenced.contains(name);
    let mut spans: Vec<Span> = Vec::new();
    spans.extend(
        config
            .scripts
            .iter()
            .filter(|s| tracked(&s.name.value))
            .filter_map(|s| s.script.as_ref().map(|c| c.span)),
    );
    for i in &config.instances {
        spans.extend(i.notify.commands().map(|c| c.cmd.span));
    }
    for s in &config.sync_groups {
        spans.extend(s.notify.commands().map(|c| c.cmd.span));
    }
    for c in [
        &g.vrrp_notify_fifo_script,
        &g.notify_fifo_script,
        &g.startup_script,
        &g.shutdown_script,
    ]
    .into_iter()
    .flatten()
    {
        spans.push(c.cmd.span);
    }
    let first = spans.into_iter().min_by_key(|s| (s.file, s.start));
    if let Some(span) = first {
        d.push(
            Diagnostic::warning(span, "SECURITY VIOLATION - scripts are being executed but script_security not enabled.")
                .with_label("first script")
                .with_help("add `enable_script_security` (and optionally `script_user USER`) to global_defs; scripts run as root otherwise"),
        );
    }
}

/// Names of the vrrp_scripts some instance or sync group tracks.
fn referenced_scripts(config: &Config) -> HashSet<&str> {
    let instances = config.instances.iter().map(|i| &i.tracking);
    let groups = config.sync_groups.iter().map(|g| &g.tracking);
    instances
        .chain(groups)
        .flat_map(|t| t.scripts.iter().map(|r| r.name.value.as_str()))
        .collect()
}

/// docs/keepalived-compat.md#derived-instance-settings item 11: a vrrp_script nobody tracks is dropped.
fn unused_scripts(config: &Config, d: &mut Vec<Diagnostic>) {
    let unused = unused_script_names(config);
    // One growth for what can be tens of thousands of warnings (generated files).
    d.reserve(unused.len());
    d.extend(unused.iter().map(unused_script_warning));
}

/// The names of the `vrrp_script`s no instance or sync group tracks, in file order. Kept
/// inline (names up to 24 bytes need no heap copy): a generated file can have tens of
/// thousands.
pub fn unused_script_names(config: &Config) -> Vec<Sp<CompactString>> {
    let referenced = referenced_scripts(config);
    config
        .scripts
        .iter()
        .filter(|s| !referenced.contains(s.name.value.as_str()))
        .map(|s| Sp::new(CompactString::from(s.name.value.as_str()), s.name.span))
        .collect()
}

/// keepalived's warning for a script nothing tracks.
pub fn unused_script_warning(name: &Sp<CompactString>) -> Diagnostic {
    Diagnostic::warning(
        name.span,
        format!("Warning - script {} is not used", name.value),
    )
    .with_help("reference it in a `track_script { }` block, or remove it")
}
