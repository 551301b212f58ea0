//! Derived settings and cross-checks performed after lowering, as keepalived's
//! `vrrp_complete_init` does (keepalived-behaviour §3.3, §3.4, §4.4, §5), plus
//! [`check_host`] for `--check-interfaces` against facts the CLI gathered.
//!
//! Fills [`Instance::effective`] for every instance: each value with its [`Origin`], so
//! `--dump-conf` can explain it.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use super::diag::Diagnostic;
use super::lower::values::fmt_us;
use super::model::{
    AuthType, Config, Derived, Family, InitialState, IpNet, Origin, ResolvedTracker, Sp, TrackRef,
    TrackerKind, Version,
};
use super::span::Span;

const DEFAULT_MCAST4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
const DEFAULT_MCAST6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);

/// Runs every derivation and cross-check; returns the diagnostics.
pub fn check(config: &mut Config) -> Vec<Diagnostic> {
    let mut d = Vec::new();
    let membership = sync_groups(config, &mut d);
    for idx in 0..config.instances.len() {
        let group = membership.get(&idx).cloned();
        derive_instance(config, idx, group, &mut d);
    }
    group_trackers(config, &mut d);
    vrid_conflicts(config, &mut d);
    script_security(config, &mut d);
    unused_scripts(config, &mut d);
    d
}

/// Sync groups: resolve members (any order), one group per instance, empty and one-member
/// groups (§5). Returns instance index -> group index.
fn sync_groups(config: &Config, d: &mut Vec<Diagnostic>) -> HashMap<usize, usize> {
    let mut member_of: HashMap<usize, usize> = HashMap::new();
    for (gi, g) in config.sync_groups.iter().enumerate() {
        let mut resolved = 0;
        for m in &g.members {
            let Some(ii) = config
                .instances
                .iter()
                .position(|i| i.name.value == m.value)
            else {
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
                if let Some(best) = super::lower::keywords::suggest(&m.value, candidates) {
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

fn derive_instance(config: &mut Config, idx: usize, group: Option<usize>, d: &mut Vec<Diagnostic>) {
    let Some(inst) = config.instances.get(idx) else {
        return;
    };
    let g = &config.global;
    let name = inst.name.value.clone();
    let mut e = inst.effective.clone();

    // Mandatory keywords.
    if inst.vrid.is_none() && !inst.rejected.contains(&"virtual_router_id") {
        d.push(
            Diagnostic::error(
                inst.name.span,
                format!("({name}) the virtual router id must be set"),
            )
            .with_help(
                "add `virtual_router_id N` (1..255), the same on every node of this instance",
            ),
        );
    }

    // 1. strict mode (§3.4).
    e.strict = Derived::inherit(inst.strict_mode.as_ref(), g.strict.as_ref(), false);
    let strict = e.strict.value;

    // 2. family: first VIP / unicast peer / source address; none -> IPv4 (§3.3).
    let family_src: Option<(Family, Span, &str)> = inst
        .vips
        .first()
        .map(|v| (v.family(), v.net.span, "the first virtual_ipaddress"))
        .or_else(|| {
            inst.unicast_peers.first().map(|p| {
                (
                    Family::of(&p.addr.value),
                    p.addr.span,
                    "the first unicast_peer",
                )
            })
        })
        .or_else(|| {
            inst.unicast_src_ip
                .as_ref()
                .map(|a| (Family::of(&a.value), a.span, "unicast_src_ip"))
        })
        .or_else(|| {
            inst.mcast_src_ip
                .as_ref()
                .map(|a| (Family::of(&a.value), a.span, "mcast_src_ip"))
        });
    let family = match (family_src, inst.native_ipv6) {
        (Some((f, _, why)), _) => {
            e.family = Derived::because(Some(f), format!("from {why} (keepalived-behaviour §3.3)"));
            f
        }
        (None, Some(span)) => {
            e.family = Derived::written(Some(Family::Ipv6), span);
            Family::Ipv6
        }
        (None, None) => {
            e.family = Derived::default_value(Some(Family::Ipv4));
            Family::Ipv4
        }
    };
    let family_help = format!(
        "instance {name} is {} (decided by {}); use addresses of one family per instance, or virtual_ipaddress_excluded for the other family",
        family.as_str(),
        family_src.map(|(_, _, w)| w).unwrap_or("default")
    );
    for v in inst.vips.iter().skip(1) {
        if v.family() != family {
            d.push(
                Diagnostic::error(
                    v.net.span,
                    format!(
                        "({name}): address family must match VRRP instance [{}] - ignoring",
                        v.net.value.addr
                    ),
                )
                .with_label(format!(
                    "{} address in an {} instance",
                    v.family().as_str(),
                    family.as_str()
                ))
                .with_help(family_help.clone()),
            );
        }
    }
    for p in &inst.unicast_peers {
        if Family::of(&p.addr.value) != family {
            d.push(
                Diagnostic::error(
                    p.addr.span,
                    format!(
                        "({name}): unicast peer {} does not match the instance family {}",
                        p.addr.value,
                        family.as_str()
                    ),
                )
                .with_help(family_help.clone()),
            );
        }
    }
    for (kw, a) in [
        ("unicast_src_ip", &inst.unicast_src_ip),
        ("mcast_src_ip", &inst.mcast_src_ip),
    ] {
        if let Some(a) = a {
            if Family::of(&a.value) != family {
                d.push(
                    Diagnostic::error(
                        a.span,
                        format!(
                            "({name}): {kw} {} does not match the instance family {}",
                            a.value,
                            family.as_str()
                        ),
                    )
                    .with_help(family_help.clone()),
                );
            }
        }
    }
    if let Some(m) = &inst.mcast_dst_ip {
        if Family::of(&m.value) != family {
            d.push(
                Diagnostic::error(
                    m.span,
                    format!(
                        "({name}): mcast_dst_ip {} does not match the instance family {}",
                        m.value,
                        family.as_str()
                    ),
                )
                .with_help(family_help.clone()),
            );
        }
    }

    // version: IPv6 -> 3; else instance, else global, else 2.
    let version = if family == Family::Ipv6 {
        if let Some(v) = &inst.version {
            if v.value == Version::V2 {
                d.push(
                    Diagnostic::error(v.span, format!("({name}) VRRPv2 over IPv6 is not supported: `version 2` conflicts with the IPv6 addresses"))
                        .with_label("IPv6 instances use VRRPv3 (RFC 5798)")
                        .with_help("remove `version 2` here and on the peers; keepalived 2.2.7 accepts `version 2` written before the addresses and sends non-standard VRRPv2-over-IPv6 adverts, with which vrrpd cannot interoperate"),
                );
            }
        }
        e.version = Derived::because(
            Some(Version::V3),
            "IPv6 implies VRRPv3 (keepalived-behaviour §3.3)",
        );
        Version::V3
    } else {
        let v = Derived::inherit(inst.version.as_ref(), g.vrrp_version.as_ref(), Version::V2);
        let value = v.value;
        e.version = Derived {
            value: Some(v.value),
            origin: v.origin,
        };
        value
    };

    // 4. priority / state (§3.1).
    let state_written = inst.state.as_ref().map(|s| s.value);
    e.priority = match (&inst.priority, state_written) {
        (Some(p), _) => Derived::written(p.value, p.span),
        (None, Some(InitialState::Master)) => Derived::because(
            255,
            "state MASTER without priority (keepalived-behaviour §3.1)",
        ),
        (None, _) => Derived::default_value(100),
    };
    let owner = e.priority.value == 255;
    e.state = match &inst.state {
        Some(s) => Derived::written(Some(s.value), s.span),
        None if owner => Derived::because(
            Some(InitialState::Master),
            "priority 255 (address owner) without state (keepalived-behaviour §3.1)",
        ),
        None => Derived::default_value(Some(InitialState::Backup)),
    };
    if strict && state_written == Some(InitialState::Master) && !owner {
        if let Some(s) = &inst.state {
            d.push(
                Diagnostic::warning(s.span, format!("({name}) State MASTER must match being address owner"))
                    .with_help("strict mode: only the priority-255 owner may start as MASTER; the instance starts as BACKUP"),
            );
        }
        e.state = Derived::because(
            Some(InitialState::Backup),
            "strict mode: MASTER requires priority 255 (keepalived-behaviour §3.4)",
        );
    }

    // 5. authentication.
    e.auth = Derived::default_value(None);
    if let Some(a) = &inst.authentication {
        let span = a.auth_type.as_ref().map(|t| t.span).unwrap_or(a.span);
        let pass = a
            .auth_pass
            .as_ref()
            .map(|p| p.value.clone())
            .unwrap_or_default();
        let ignored = |why: String, help: &str, d: &mut Vec<Diagnostic>| {
            d.push(Diagnostic::warning(a.span, why).with_help(help.to_string()));
        };
        if version == Version::V3 {
            ignored(
                format!("({name}) VRRP version 3 does not support authentication. Ignoring."),
                "remove the authentication block (VRRPv3 has no authentication), or use `version 2` on every node",
                d,
            );
        } else if strict {
            ignored(
                format!("({name}) authentication is not allowed in strict mode. Ignoring."),
                "strict mode (vrrp_strict) forbids authentication; remove the block or strict mode",
                d,
            );
        } else if let Some(t) = &a.auth_type {
            if t.value == AuthType::Ah && family == Family::Ipv6 {
                ignored(
                    format!("({name}) AH authentication is not supported with IPv6. Ignoring."),
                    "remove the authentication block",
                    d,
                );
            } else if pass.is_empty() {
                ignored(
                    format!("({name}) authentication has no auth_pass. Ignoring."),
                    "add `auth_pass SECRET` (at most 8 characters)",
                    d,
                );
            } else {
                e.auth = Derived::written(Some((t.value, pass)), span);
                if t.value == AuthType::Ah && e.state.value == Some(InitialState::Master) && !owner
                {
                    d.push(
                        Diagnostic::warning(t.span, format!("({name}) Initial state master is incompatible with AH authentication - clearing"))
                            .with_help("the instance starts as BACKUP; write `state BACKUP`"),
                    );
                    e.state = Derived::because(
                        Some(InitialState::Backup),
                        "AH authentication with a non-owner MASTER (keepalived-behaviour §3.1)",
                    );
                }
            }
        } else if !a.rejected {
            ignored(
                format!("({name}) authentication block has no auth_type. Ignoring."),
                "add `auth_type PASS`",
                d,
            );
        }
    }

    // Unicast (§3.3 item 5, §6.7).
    let unicast = inst.is_unicast();
    if inst.interface.is_none() && !inst.rejected.contains(&"interface") {
        if unicast && inst.unicast_src_ip.is_none() {
            d.push(
                Diagnostic::error(
                    inst.name.span,
                    format!("({name}): Unicast instances must have unicast_src_ip or interface"),
                )
                .with_help("add `interface IFNAME` or `unicast_src_ip ADDRESS`"),
            );
        } else if !unicast {
            d.push(
                Diagnostic::error(inst.name.span, format!("({name}) no interface specified"))
                    .with_help(
                        "add `interface IFNAME`: multicast adverts are sent and received on it",
                    ),
            );
        }
    }
    if !unicast {
        if let Some(span) = inst
            .unicast_peer_span
            .or(inst.unicast_src_ip.as_ref().map(|s| s.span))
        {
            d.push(
                Diagnostic::warning(span, format!("({name}) A unicast keyword has been specified without any unicast peers. Defaulting to multicast."))
                    .with_help("add peers in `unicast_peer { ADDRESS }`, or remove the unicast keywords"),
            );
        }
        if let Some(t) = &inst.unicast_ttl {
            d.push(Diagnostic::warning(
                t.span,
                format!("({name}) unicast_ttl without unicast peers is ignored"),
            ));
        }
    } else if strict {
        if let Some(span) = inst.unicast_peer_span {
            d.push(
                Diagnostic::warning(span, format!("({name}) unicast peers are not allowed in strict mode"))
                    .with_help("RFC strict mode uses multicast only; keepalived 2.2.7 only detects this on reload"),
            );
        }
    }

    // VIP list (§3.1, §3.4).
    let vip_anchor = inst.vips_span.unwrap_or(inst.name.span);
    if inst.vips.is_empty()
        && inst.vip_entries == 0
        && !inst.rejected.contains(&"virtual_ipaddress")
    {
        let why = if strict {
            Some("strict mode")
        } else if family == Family::Ipv6 {
            Some("IPv6")
        } else if version == Version::V3 {
            Some("VRRPv3")
        } else {
            None
        };
        match why {
            Some(why) => d.push(
                Diagnostic::error(vip_anchor, format!("({name}) No VIP specified; at least one is required with {why}"))
                    .with_help("add `virtual_ipaddress { ADDRESS }`; keepalived refuses to start this instance"),
            ),
            None => d.push(
                Diagnostic::warning(vip_anchor, format!("({name}) No VIP specified; at least one is sensible"))
                    .with_help("fine if notify scripts move the address (e.g. with a cloud API); otherwise add `virtual_ipaddress { ADDRESS }`"),
            ),
        }
    } else if inst.vips.len() > 255 {
        if let Some(v) = inst.vips.get(255) {
            d.push(
                Diagnostic::error(v.net.span, format!("({name}) too many virtual IP addresses ({}); an advert carries at most 255", inst.vips.len()))
                    .with_help("move the extra addresses to virtual_ipaddress_excluded"),
            );
        }
    }
    if strict && family == Family::Ipv6 {
        if let Some(v) = inst.vips.first() {
            if let IpAddr::V6(a) = v.net.value.addr {
                if (a.segments()[0] & 0xffc0) != 0xfe80 {
                    d.push(
                        Diagnostic::error(
                            v.net.span,
                            format!(
                                "({name}) the first IPv6 VIP must be link-local in strict mode"
                            ),
                        )
                        .with_help("RFC 5798 §5.2.9: list a fe80:: address first"),
                    );
                }
            }
        }
    }

    // 8. nopreempt / preempt_delay (§3.3 item 8).
    let nopreempt_written = match (inst.nopreempt, inst.preempt) {
        (Some(n), Some(p)) if p.start > n.start || p.file != n.file => None,
        (n, _) => n,
    };
    e.nopreempt = match nopreempt_written {
        Some(span) => Derived::written(true, span),
        None => Derived::default_value(false),
    };
    if let Some(span) = nopreempt_written {
        if owner {
            d.push(
                Diagnostic::warning(span, format!("({name}) nopreempt has no effect with priority 255"))
                    .with_help("the address owner always preempts; lower the priority and use state BACKUP on both nodes"),
            );
            e.nopreempt = Derived::because(
                false,
                "cleared: priority 255 (address owner) always preempts (keepalived-behaviour §3.3)",
            );
        } else if state_written == Some(InitialState::Master) {
            d.push(
                Diagnostic::warning(
                    span,
                    format!("({name}) nopreempt has no effect with state MASTER"),
                )
                .with_label("keepalived clears nopreempt here")
                .with_help(
                    "nopreempt has no effect with state MASTER: use state BACKUP on both nodes",
                ),
            );
            e.nopreempt =
                Derived::because(false, "cleared: state MASTER (keepalived-behaviour §3.3)");
        }
    }
    e.preempt_delay = match &inst.preempt_delay {
        Some(p) => Derived::written(p.value, p.span),
        None => Derived::default_value(Duration::ZERO),
    };
    if let Some(p) = &inst.preempt_delay {
        if !p.value.is_zero() {
            let cleared = if strict {
                Some("strict mode")
            } else if state_written == Some(InitialState::Master) {
                Some("state MASTER")
            } else if e.nopreempt.value {
                Some("nopreempt")
            } else {
                None
            };
            if let Some(why) = cleared {
                if why != "nopreempt" {
                    d.push(
                        Diagnostic::warning(
                            p.span,
                            format!("({name}) preempt_delay has no effect with {why}"),
                        )
                        .with_help("use state BACKUP on both nodes for preempt_delay to apply"),
                    );
                }
                e.preempt_delay = Derived::because(
                    Duration::ZERO,
                    format!("cleared: {why} (keepalived-behaviour §3.3)"),
                );
            }
        }
    }

    // 9. advert_int rounding (§3.1).
    e.advert_int_cs = Derived::default_value(100);
    if let Some(a) = &inst.advert_int {
        let us = u64::try_from(a.value.as_micros()).unwrap_or(u64::MAX);
        match version {
            Version::V2 => {
                let secs = (us + 500_000) / 1_000_000;
                let secs = secs.max(1);
                if us % 1_000_000 != 0 {
                    d.push(
                        Diagnostic::warning(
                            a.span,
                            format!("({name}) VRRPv2 advertisement interval {}.{:06}s must be an integer. rounding to {secs}s", us / 1_000_000, us % 1_000_000),
                        )
                        .with_help("VRRPv2 adverts carry whole seconds; use VRRPv3 (`version 3`) for sub-second intervals"),
                    );
                    e.advert_int_cs = Derived::because(cs_u32(secs * 100), format!("advert_int {} rounded to whole seconds for VRRPv2 (keepalived-behaviour §3.1)", fmt_us(us)));
                } else {
                    e.advert_int_cs = Derived::written(cs_u32(secs * 100), a.span);
                }
            }
            Version::V3 => {
                let cs = ((us + 5_000) / 10_000).max(1);
                if cs > 4095 {
                    d.push(
                        Diagnostic::error(
                            a.span,
                            format!(
                                "({name}) VRRPv3 advertisement interval {}s is too long",
                                fmt_us(us)
                            ),
                        )
                        .with_help("VRRPv3 advert_int must be between 0.01 and 40.95 seconds"),
                    );
                } else if us % 10_000 != 0 {
                    d.push(
                        Diagnostic::warning(
                            a.span,
                            format!("({name}) VRRPv3 advertisement interval {}.{:06}s must be in units of 10ms - rounding", us / 1_000_000, us % 1_000_000),
                        )
                        .with_help(format!("the interval used is {}s", fmt_us(cs * 10_000))),
                    );
                    e.advert_int_cs = Derived::because(
                        cs_u32(cs),
                        format!(
                            "advert_int {} rounded to 10 ms for VRRPv3 (keepalived-behaviour §3.1)",
                            fmt_us(us)
                        ),
                    );
                } else {
                    e.advert_int_cs = Derived::written(cs_u32(cs), a.span);
                }
            }
        }
    }

    // accept (§3.1, §3.4).
    e.accept = match &inst.accept {
        Some(a) => Derived::written(a.value, a.span),
        None if strict && !owner => Derived::because(
            false,
            "strict mode, not the address owner (keepalived-behaviour §3.4)",
        ),
        None => Derived::default_value(true),
    };

    // multicast group.
    e.mcast_group = match (&inst.mcast_dst_ip, family) {
        (Some(m), _) => Derived::written(Some(m.value), m.span),
        (None, Family::Ipv4) => match &g.mcast_group4 {
            Some(x) => Derived {
                value: Some(IpAddr::V4(x.value)),
                origin: Origin::Global(x.span),
            },
            None => Derived::default_value(Some(IpAddr::V4(DEFAULT_MCAST4))),
        },
        (None, Family::Ipv6) => match &g.mcast_group6 {
            Some(x) => Derived {
                value: Some(IpAddr::V6(x.value)),
                origin: Origin::Global(x.span),
            },
            None => Derived::default_value(Some(IpAddr::V6(DEFAULT_MCAST6))),
        },
    };

    // Strict-mode forced values and global inheritance.
    e.down_timer_adverts = Derived::inherit(
        inst.down_timer_adverts.as_ref(),
        g.down_timer_adverts.as_ref(),
        3,
    );
    if strict && e.down_timer_adverts.value != 3 {
        e.down_timer_adverts =
            Derived::because(3, "strict mode forces 3 (keepalived-behaviour §3.4)");
    }
    e.lower_prio_no_advert = Derived::inherit(
        inst.lower_prio_no_advert.as_ref(),
        g.lower_prio_no_advert.as_ref(),
        false,
    );
    if strict && inst.lower_prio_no_advert.is_none() && g.lower_prio_no_advert.is_none() {
        e.lower_prio_no_advert = Derived::because(true, "strict mode (keepalived-behaviour §3.4)");
    }
    e.higher_prio_send_advert = Derived::inherit(
        inst.higher_prio_send_advert.as_ref(),
        g.higher_prio_send_advert.as_ref(),
        false,
    );
    if strict && e.higher_prio_send_advert.value {
        e.higher_prio_send_advert =
            Derived::because(false, "strict mode (keepalived-behaviour §3.4)");
    }
    e.skip_check_adv_addr = Derived::inherit(
        inst.skip_check_adv_addr.as_ref(),
        g.skip_check_adv_addr.as_ref(),
        false,
    );
    e.check_unicast_src = Derived::inherit(
        inst.check_unicast_src.as_ref(),
        g.check_unicast_src.as_ref(),
        false,
    );
    if !e.check_unicast_src.value
        && inst
            .unicast_peers
            .iter()
            .any(|p| p.min_ttl.is_some() || p.max_ttl.is_some())
    {
        e.check_unicast_src = Derived::because(
            true,
            "a unicast_peer has min_ttl/max_ttl (keepalived-behaviour §3.1)",
        );
    }
    e.smtp_alert = match (&inst.smtp_alert, &g.smtp_alert_vrrp, &g.smtp_alert) {
        (Some(l), _, _) => Derived::written(l.value, l.span),
        (None, Some(x), _) | (None, None, Some(x)) => Derived {
            value: x.value,
            origin: Origin::Global(x.span),
        },
        _ => Derived::default_value(false),
    };
    derive_garp(config, idx, &mut e, strict);

    // Trackers (§4.3, §4.4).
    let Some(inst) = config.instances.get(idx) else {
        return;
    };
    let group_ref = group.and_then(|gi| config.sync_groups.get(gi));
    e.sync_group = group_ref.map(|g| g.name.value.clone());
    let tracking_weight = group_ref.is_some_and(|g| g.tracking_weight.is_some());
    let who = Owner {
        name: &inst.name.value,
        seq: inst.seq,
        tracking: &inst.tracking,
        interface: inst.interface.as_ref().map(|i| i.value.as_str()),
    };
    e.trackers = resolve_trackers(
        config,
        &who,
        owner,
        group_ref.map(|g| (g.name.value.as_str(), tracking_weight)),
        d,
    );

    if let Some(inst) = config.instances.get_mut(idx) {
        inst.effective = e;
    }
}

fn cs_u32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// GARP schedule: instance, else global, else keepalived's default; `vrrp_min_garp` and strict
/// mode adjust the values still at their default (§2, §3.4).
fn derive_garp(config: &Config, idx: usize, e: &mut super::model::Effective, strict: bool) {
    let Some(inst) = config.instances.get(idx) else {
        return;
    };
    let g = &config.global;
    let min_garp = g.min_garp.as_ref().is_some_and(|m| m.value);
    let pick =
        |local: &Option<Sp<u32>>, global: &Option<Sp<u32>>, default: u32, min: Option<u32>| {
            let d = Derived::inherit(local.as_ref(), global.as_ref(), default);
            match (min, &d.origin) {
                (Some(m), Origin::Default) if min_garp => {
                    Derived::because(m, "vrrp_min_garp (keepalived-behaviour §2)")
                }
                _ => d,
            }
        };
    e.garp_master_delay = pick(&inst.garp.master_delay, &g.garp.master_delay, 5, Some(0));
    e.garp_master_repeat = pick(&inst.garp.master_repeat, &g.garp.master_repeat, 5, Some(1));
    e.garp_master_refresh = pick(&inst.garp.master_refresh, &g.garp.master_refresh, 0, None);
    e.garp_master_refresh_repeat = pick(
        &inst.garp.master_refresh_repeat,
        &g.garp.master_refresh_repeat,
        1,
        Some(0),
    );
    e.garp_lower_prio_delay = match (&inst.garp.lower_prio_delay, &g.garp.lower_prio_delay) {
        (None, None) => Derived::because(
            e.garp_master_delay.value,
            "= garp_master_delay (keepalived-behaviour §2)",
        ),
        (l, gl) => Derived::inherit(l.as_ref(), gl.as_ref(), 5),
    };
    e.garp_lower_prio_repeat = match (&inst.garp.lower_prio_repeat, &g.garp.lower_prio_repeat) {
        (None, None) => Derived::because(
            e.garp_master_repeat.value,
            "= garp_master_repeat (keepalived-behaviour §2)",
        ),
        (l, gl) => Derived::inherit(l.as_ref(), gl.as_ref(), 5),
    };
    if strict {
        e.garp_lower_prio_delay = Derived::because(0, "strict mode (keepalived-behaviour §3.4)");
        e.garp_lower_prio_repeat = Derived::because(0, "strict mode (keepalived-behaviour §3.4)");
    }
}

/// Who holds a tracker list: an instance or a sync group.
struct Owner<'a> {
    name: &'a str,
    /// Reading-order position, for the "defined earlier" rule.
    seq: usize,
    tracking: &'a super::model::Tracking,
    interface: Option<&'a str>,
}

/// Trackers configured on a sync group apply to every member; a member with priority 255
/// forces their weights to 0 (keepalived-behaviour §4.4).
fn group_trackers(config: &mut Config, d: &mut Vec<Diagnostic>) {
    let mut all = Vec::new();
    for g in &config.sync_groups {
        let owner_member = g.members.iter().any(|m| {
            config
                .instance(&m.value)
                .is_some_and(|i| i.effective.priority.value == 255)
        });
        let who = Owner {
            name: &g.name.value,
            seq: g.seq,
            tracking: &g.tracking,
            interface: None,
        };
        all.push(resolve_trackers(config, &who, owner_member, None, d));
    }
    for (g, t) in config.sync_groups.iter_mut().zip(all) {
        g.trackers = t;
    }
}

fn resolve_trackers(
    config: &Config,
    inst: &Owner,
    owner: bool,
    group: Option<(&str, bool)>,
    d: &mut Vec<Diagnostic>,
) -> Vec<ResolvedTracker> {
    let name = inst.name;
    let mut out = Vec::new();
    let lists: [(TrackerKind, &Vec<TrackRef>); 4] = [
        (TrackerKind::Interface, &inst.tracking.interfaces),
        (TrackerKind::Script, &inst.tracking.scripts),
        (TrackerKind::File, &inst.tracking.files),
        (TrackerKind::Process, &inst.tracking.processes),
    ];
    for (kind, refs) in lists {
        for r in refs {
            // The tracked object's own weight and reverse flag.
            let own: Option<(i32, bool, Span)> = match kind {
                TrackerKind::Interface => {
                    if inst.interface == Some(r.name.value.as_str()) {
                        d.push(
                            Diagnostic::warning(
                                r.name.span,
                                format!(
                                    "({name}) Ignoring track_interface {} since own interface",
                                    r.name.value
                                ),
                            )
                            .with_help(
                                "the instance already goes FAULT when its own interface is down",
                            ),
                        );
                        continue;
                    }
                    Some((0, false, r.name.span))
                }
                TrackerKind::Script => {
                    match config.scripts.iter().find(|s| s.name.value == r.name.value) {
                        Some(s) if s.seq > inst.seq => {
                            d.push(
                            Diagnostic::error(r.name.span, format!("({name}) track script {} not found, ignoring...", r.name.value))
                                .with_label("defined later in the file")
                                .with_help(format!(
                                    "keepalived only sees vrrp_script blocks defined before the instance; move `vrrp_script {}` above `vrrp_instance {name}`",
                                    r.name.value
                                )),
                        );
                            continue;
                        }
                        Some(s) => Some((s.weight_value(), s.weight_reverse, s.name.span)),
                        None => {
                            dangling(
                                d,
                                name,
                                "track script",
                                "vrrp_script",
                                r,
                                config.scripts.iter().map(|s| s.name.value.as_str()),
                            );
                            continue;
                        }
                    }
                }
                TrackerKind::File => match config
                    .track_files
                    .iter()
                    .find(|s| s.name.value == r.name.value)
                {
                    Some(f) => Some((
                        f.weight.as_ref().map(|w| w.value).unwrap_or(1),
                        f.weight_reverse,
                        f.name.span,
                    )),
                    None => {
                        dangling(
                            d,
                            name,
                            "track file",
                            "track_file",
                            r,
                            config.track_files.iter().map(|s| s.name.value.as_str()),
                        );
                        continue;
                    }
                },
                TrackerKind::Process => match config
                    .track_processes
                    .iter()
                    .find(|s| s.name.value == r.name.value)
                {
                    Some(p) => Some((
                        p.weight.as_ref().map(|w| w.value).unwrap_or(0),
                        p.weight_reverse,
                        p.name.span,
                    )),
                    None => {
                        dangling(
                            d,
                            name,
                            "track process",
                            "vrrp_track_process",
                            r,
                            config.track_processes.iter().map(|s| s.name.value.as_str()),
                        );
                        continue;
                    }
                },
            };
            let Some((own_weight, own_reverse, _)) = own else {
                continue;
            };
            let mut weight = match &r.weight {
                Some(w) => Derived::written(w.value, w.span),
                None if own_weight != 0 => Derived::because(
                    own_weight,
                    format!("weight of {} {}", kind_object(kind), r.name.value),
                ),
                None => Derived::default_value(own_weight),
            };
            let reverse = r.reverse.as_ref().map(|x| x.value).unwrap_or(own_reverse);
            // A track_file's default weight (1) silently becomes 0 in a sync group (§4.4).
            let file_default = kind == TrackerKind::File
                && r.weight.is_none()
                && !config
                    .track_files
                    .iter()
                    .any(|f| f.name.value == r.name.value && f.weight.is_some());
            if file_default && matches!(group, Some((_, false))) {
                weight = Derived::because(
                    0,
                    "track_file default weight in a sync group (keepalived-behaviour §4.4)",
                );
            }
            if weight.value != 0 {
                let what = kind_object(kind);
                if owner {
                    d.push(
                        Diagnostic::warning(r.name.span, format!("({name}) ignoring tracked {what} {} with weights due to address_owner", r.name.value))
                            .with_help("an instance with priority 255 never changes priority; the tracker makes it FAULT when down instead"),
                    );
                    weight = Derived::because(
                        0,
                        "dropped: priority 255 (address owner) (keepalived-behaviour §4.3)",
                    );
                } else if let Some((gname, false)) = group {
                    d.push(
                        Diagnostic::warning(r.name.span, format!("({name}) ignoring tracked {what} {} with weights due to SYNC group", r.name.value))
                            .with_help(format!("add `sync_group_tracking_weight` to vrrp_sync_group {gname} to keep the weight")),
                    );
                    weight = Derived::because(
                        0,
                        format!(
                            "dropped: member of sync group {gname} (keepalived-behaviour §4.4)"
                        ),
                    );
                }
            }
            out.push(ResolvedTracker {
                kind,
                name: r.name.value.clone(),
                weight,
                reverse,
            });
        }
    }
    out
}

fn kind_object(kind: TrackerKind) -> &'static str {
    match kind {
        TrackerKind::Interface => "interface",
        TrackerKind::Script => "script",
        TrackerKind::File => "file",
        TrackerKind::Process => "process",
    }
}

fn dangling<'a>(
    d: &mut Vec<Diagnostic>,
    inst: &str,
    what: &str,
    block: &str,
    r: &TrackRef,
    known: impl Iterator<Item = &'a str>,
) {
    let mut diag = Diagnostic::error(
        r.name.span,
        format!("({inst}) {what} {} not found, ignoring...", r.name.value),
    )
    .with_label(format!("no {block} has this name"));
    diag = match super::lower::keywords::suggest(&r.name.value, known) {
        Some(best) => diag.with_help(format!("did you mean `{best}`?")),
        None => diag.with_help(format!(
            "define `{block} {} {{ ... }}` before this instance",
            r.name.value
        )),
    };
    d.push(diag);
}

/// §3.3 item 10: same family + VRID + interface + multicast group, or for unicast the same
/// local address and overlapping peers.
fn vrid_conflicts(config: &Config, d: &mut Vec<Diagnostic>) {
    let insts = &config.instances;
    for (j, b) in insts.iter().enumerate() {
        let Some(vb) = &b.vrid else { continue };
        for a in insts.iter().take(j) {
            let Some(va) = &a.vrid else { continue };
            if va.value != vb.value || a.effective.family.value != b.effective.family.value {
                continue;
            }
            let same_if = match (&a.interface, &b.interface) {
                (Some(x), Some(y)) => x.value == y.value,
                (None, None) => true,
                _ => false,
            };
            let conflict = match (a.is_unicast(), b.is_unicast()) {
                (false, false) => {
                    same_if && a.effective.mcast_group.value == b.effective.mcast_group.value
                }
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
    let tracked = |name: &str| {
        config
            .instances
            .iter()
            .any(|i| i.tracking.scripts.iter().any(|r| r.name.value == name))
            || config
                .sync_groups
                .iter()
                .any(|s| s.tracking.scripts.iter().any(|r| r.name.value == name))
    };
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

/// §3.3 item 11: a vrrp_script nobody tracks is dropped.
fn unused_scripts(config: &Config, d: &mut Vec<Diagnostic>) {
    for s in &config.scripts {
        let used = config.instances.iter().any(|i| {
            i.tracking
                .scripts
                .iter()
                .any(|r| r.name.value == s.name.value)
        }) || config.sync_groups.iter().any(|g| {
            g.tracking
                .scripts
                .iter()
                .any(|r| r.name.value == s.name.value)
        });
        if !used {
            d.push(
                Diagnostic::warning(
                    s.name.span,
                    format!("Warning - script {} is not used", s.name.value),
                )
                .with_help("reference it in a `track_script { }` block, or remove it"),
            );
        }
    }
}

/// Facts about the host's interfaces, gathered by the CLI (this module does no I/O).
#[derive(Clone, Debug, Default)]
pub struct HostInfo {
    pub interfaces: Vec<HostInterface>,
}

/// An address configured on a host interface.
pub type HostAddr = IpNet;

#[derive(Clone, Debug)]
pub struct HostInterface {
    pub name: String,
    pub index: u32,
    pub up: bool,
    pub is_loopback: bool,
    pub multicast: bool,
    pub addrs: Vec<HostAddr>,
}

/// `--check-interfaces`: what keepalived `-t` checks against the machine it runs on (§1.10):
/// instance/VIP/tracked interfaces exist, are not loopback, can multicast; the unicast source
/// address is configured locally. With `dynamic_interfaces` a missing interface is a warning.
pub fn check_host(config: &Config, host: &HostInfo) -> Vec<Diagnostic> {
    let mut d = Vec::new();
    let dynamic = config
        .global
        .dynamic_interfaces
        .as_ref()
        .is_some_and(|x| x.value);
    let find = |n: &str| host.interfaces.iter().find(|i| i.name == n);
    let missing = |d: &mut Vec<Diagnostic>, span: Span, msg: String| {
        let help = "create the interface, fix the name, or set `dynamic_interfaces` in global_defs to start the instance in FAULT until it appears";
        d.push(if dynamic {
            Diagnostic::warning(span, msg).with_help(help)
        } else {
            Diagnostic::error(span, msg).with_help(help)
        });
    };
    for i in &config.instances {
        let name = &i.name.value;
        if let Some(ifn) = &i.interface {
            match find(&ifn.value) {
                None => missing(
                    &mut d,
                    ifn.span,
                    format!(
                        "interface {} for vrrp_instance {name} doesn't exist",
                        ifn.value
                    ),
                ),
                Some(h) if h.is_loopback => d.push(
                    Diagnostic::error(
                        ifn.span,
                        format!(
                            "({name}) cannot use a loopback interface ({}) for vrrp",
                            ifn.value
                        ),
                    )
                    .with_help("use the interface that faces the other VRRP nodes"),
                ),
                Some(h) => {
                    if !h.multicast && !i.is_unicast() {
                        d.push(
                            Diagnostic::error(
                                ifn.span,
                                format!(
                                    "({name}) interface {} does not support multicast",
                                    ifn.value
                                ),
                            )
                            .with_help(
                                "configure `unicast_peer { }` or use a multicast-capable interface",
                            ),
                        );
                    }
                    if !h.up {
                        d.push(
                            Diagnostic::warning(
                                ifn.span,
                                format!("({name}) interface {} is down", ifn.value),
                            )
                            .with_help("the instance stays in FAULT until the interface is up"),
                        );
                    }
                }
            }
        }
        for v in i.vips.iter().chain(i.excluded_vips.iter()) {
            if let Some(dev) = &v.dev {
                if find(&dev.value).is_none() {
                    missing(&mut d, dev.span, format!("interface {} for virtual_ipaddress of vrrp_instance {name} doesn't exist", dev.value));
                }
            }
        }
        for t in &i.tracking.interfaces {
            if find(&t.name.value).is_none() {
                missing(
                    &mut d,
                    t.name.span,
                    format!(
                        "tracked interface {} for vrrp_instance {name} doesn't exist",
                        t.name.value
                    ),
                );
            }
        }
        if let Some(src) = &i.unicast_src_ip {
            let local = host
                .interfaces
                .iter()
                .any(|h| h.addrs.iter().any(|a| a.addr == src.value));
            if !local {
                d.push(
                    Diagnostic::warning(
                        src.span,
                        format!(
                            "({name}) unicast_src_ip {} is not configured on this host",
                            src.value
                        ),
                    )
                    .with_help("adverts cannot be sent from an address the host does not have"),
                );
            }
        }
    }
    d
}
