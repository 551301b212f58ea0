//! Per-instance derived settings (keepalived-behaviour §3.1, §3.3, §3.4): family, version,
//! priority and state, authentication, unicast, VIP list, preemption, advert interval, strict
//! mode and the values inherited from `global_defs`.

use std::net::IpAddr;
use std::time::Duration;

use crate::config::diag::Diagnostic;
use crate::config::lower::values::fmt_us;
use crate::config::model::{AuthType, Config, Derived, Family, InitialState, Origin, Sp, Version};
use crate::config::span::Span;
use crate::wire::{GROUP_V4 as DEFAULT_MCAST4, GROUP_V6 as DEFAULT_MCAST6};

pub(super) fn derive_instance(
    config: &mut Config,
    idx: usize,
    group: Option<usize>,
    d: &mut Vec<Diagnostic>,
) {
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
    // Built only when a mismatch is reported (thousands of clean instances need none).
    let family_help = || {
        format!(
            "instance {name} is {} (decided by {}); use addresses of one family per instance, or virtual_ipaddress_excluded for the other family",
            family.as_str(),
            family_src.map(|(_, _, w)| w).unwrap_or("default")
        )
    };
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
                .with_help(family_help()),
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
                .with_help(family_help()),
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
                    .with_help(family_help()),
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
                .with_help(family_help()),
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
    if strict && version == Version::V2 && !owner {
        if let Some(a) = inst.accept.as_ref().filter(|a| a.value) {
            d.push(
                Diagnostic::warning(a.span, format!("({name}) accept is not allowed with VRRPv2 in strict mode - resetting"))
                    .with_help("strict VRRPv2 (RFC 3768) never accepts packets for the virtual addresses; remove `accept` or use VRRPv3"),
            );
            e.accept =
                Derived::because(false, "strict mode with VRRPv2 (keepalived-behaviour §3.4)");
        }
    }
    if strict {
        if let Some(m) = inst.use_vmac.as_ref().and_then(|v| v.value.mac.as_ref()) {
            d.push(
                Diagnostic::warning(
                    m.span,
                    format!("({name}) a custom VMAC address is not allowed in strict mode"),
                )
                .with_help("strict mode uses the RFC MAC 00:00:5e:00:01:VRID; remove the address"),
            );
        }
        if let Some(x) = inst.vmac_xmit_base.as_ref().filter(|x| x.value) {
            d.push(
                Diagnostic::warning(
                    x.span,
                    format!("({name}) vmac_xmit_base is not allowed in strict mode"),
                )
                .with_help(
                    "strict mode sends adverts from the VMAC interface; remove vmac_xmit_base",
                ),
            );
        }
    }

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
    let who = super::trackers::Owner {
        name: &inst.name.value,
        seq: inst.seq,
        tracking: &inst.tracking,
        interface: inst.interface.as_ref().map(|i| i.value.as_str()),
    };
    e.trackers = super::trackers::resolve_trackers(
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
fn derive_garp(config: &Config, idx: usize, e: &mut crate::config::model::Effective, strict: bool) {
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
