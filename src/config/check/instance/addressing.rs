//! Addressing steps: address family, VRRP version, unicast, VIP list, multicast group
//! (docs/keepalived-compat.md#vrrp_instance-keywords, docs/keepalived-compat.md#derived-instance-settings, docs/keepalived-compat.md#strict-mode).

use std::net::IpAddr;

use super::Written;
use crate::config::diag::Diagnostic;
use crate::config::model::{Derived, Effective, Family, Origin, Version};

use crate::wire::{GROUP_V4 as DEFAULT_MCAST4, GROUP_V6 as DEFAULT_MCAST6};

/// The instance's family and what decided it.
#[derive(Clone, Copy)]
pub(super) struct FamilyOf {
    pub family: Family,
    /// The keyword that decided the family, `"default"` when none did.
    pub by: &'static str,
}

/// A keyword that decides the family, with the reason `--dump-conf` shows for it (a fixed text:
/// no string is built per instance).
macro_rules! decided_by {
    ($family:expr, $by:literal) => {
        (
            $family,
            $by,
            concat!(
                "from ",
                $by,
                " (docs/keepalived-compat.md#derived-instance-settings)"
            ),
        )
    };
}

/// Family: first VIP / unicast peer / source address; none -> IPv4 (docs/keepalived-compat.md#derived-instance-settings).
pub(super) fn derive_family(w: &Written, e: &mut Effective) -> FamilyOf {
    let inst = w.inst;
    let family_src: Option<(Family, &'static str, &'static str)> = inst
        .vips
        .first()
        .map(|v| decided_by!(v.family(), "the first virtual_ipaddress"))
        .or_else(|| {
            inst.unicast_peers
                .first()
                .map(|p| decided_by!(Family::of(&p.addr.value), "the first unicast_peer"))
        })
        .or_else(|| {
            inst.unicast_src_ip
                .as_ref()
                .map(|a| decided_by!(Family::of(&a.value), "unicast_src_ip"))
        })
        .or_else(|| {
            inst.mcast_src_ip
                .as_ref()
                .map(|a| decided_by!(Family::of(&a.value), "mcast_src_ip"))
        });
    let family = match (family_src, inst.native_ipv6) {
        (Some((f, _, why)), _) => {
            e.family = Derived::because(Some(f), why);
            f
        }
        (None, Some(span)) => {
            e.family = Derived::written(Some(Family::V6), span);
            Family::V6
        }
        (None, None) => {
            e.family = Derived::default_value(Some(Family::V4));
            Family::V4
        }
    };
    FamilyOf {
        family,
        by: family_src.map(|(_, by, _)| by).unwrap_or("default"),
    }
}

/// Every other address of the instance must be of its family.
pub(super) fn check_family_match(w: &Written, of: FamilyOf, d: &mut Vec<Diagnostic>) {
    let (inst, name, family) = (w.inst, w.name, of.family);
    // Built only when a mismatch is reported (thousands of clean instances need none).
    let family_help = || {
        format!(
            "instance {name} is {} (decided by {}); use addresses of one family per instance, or virtual_ipaddress_excluded for the other family",
            family.as_str(),
            of.by
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
}

/// Version: instance, else global, else 2; IPv6 -> 3 unless `version 2` is written before
/// the first IPv6 address, which keepalived 2.2.7 honours with non-standard VRRPv2-over-IPv6
/// adverts (docs/keepalived-compat.md#advert-packet-layout); strict mode forces 3 then.
pub(super) fn derive_version(
    w: &Written,
    family: Family,
    strict: bool,
    e: &mut Effective,
    d: &mut Vec<Diagnostic>,
) -> Version {
    let (inst, name) = (w.inst, w.name);
    if family == Family::V6 {
        if let Some(v) = inst.version.as_ref().filter(|v| v.value == Version::V2) {
            // keepalived learns the family from the first address: `version 2` after it
            // is refused there ("conflicts with configured or deduced version").
            let before = inst
                .vips
                .first()
                .is_none_or(|a| a.net.span.file != v.span.file || v.span.start < a.net.span.start);
            if !before {
                d.push(
                    Diagnostic::error(v.span, format!("({name}) vrrp_version 2 conflicts with configured or deduced version 3; ignoring."))
                        .with_label("written after the IPv6 addresses")
                        .with_help("IPv6 instances use VRRPv3 (RFC 5798): remove `version 2`; keepalived 2.2.7 only honours it when it comes before the first address"),
                );
            } else if strict {
                d.push(
                    Diagnostic::warning(v.span, format!("({name}) cannot use IPv6 with VRRP version 2; setting version 3"))
                        .with_help("strict mode (vrrp_strict / strict_mode) sends VRRPv3 over IPv6: remove `version 2`"),
                );
            } else {
                d.push(
                    Diagnostic::warning(v.span, format!("({name}) VRRPv2 over IPv6 is not standard"))
                        .with_label("sends VRRP version 2 adverts to the IPv6 group")
                        .with_help("as keepalived 2.2.7, the adverts carry a VRRPv2 header (interval in whole seconds, auth type 0), the IPv6 addresses and no authentication data, with the IPv6 pseudo-header checksum; RFC 3768 defines VRRPv2 for IPv4 only, so only keepalived and vrrpd understand them. Use `version 3` on every node when you can"),
                );
                e.version = Derived::written(Some(Version::V2), v.span);
                return Version::V2;
            }
        }
        e.version = Derived::because(
            Some(Version::V3),
            "IPv6 implies VRRPv3 (docs/keepalived-compat.md#derived-instance-settings)",
        );
        Version::V3
    } else {
        let v = Derived::inherit(
            inst.version.as_ref(),
            w.global.vrrp_version.as_ref(),
            Version::V2,
        );
        let value = v.value;
        e.version = Derived {
            value: Some(v.value),
            origin: v.origin,
        };
        value
    }
}

/// Unicast (docs/keepalived-compat.md#derived-instance-settings item 5, docs/keepalived-compat.md#unicast-mode): an interface or a source address, peers for the unicast
/// keywords, no peers in strict mode.
pub(super) fn check_unicast(w: &Written, strict: bool, d: &mut Vec<Diagnostic>) {
    let (inst, name) = (w.inst, w.name);
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
}

/// VIP list (docs/keepalived-compat.md#vrrp_instance-keywords, docs/keepalived-compat.md#strict-mode): required with strict mode, IPv6 or VRRPv3; at most 255; in strict
/// IPv6 the first one link-local.
pub(super) fn check_vip_list(
    w: &Written,
    strict: bool,
    family: Family,
    version: Version,
    d: &mut Vec<Diagnostic>,
) {
    let (inst, name) = (w.inst, w.name);
    let vip_anchor = inst.vips_span.unwrap_or(inst.name.span);
    if inst.vips.is_empty()
        && inst.vip_entries == 0
        && !inst.rejected.contains(&"virtual_ipaddress")
    {
        let why = if strict {
            Some("strict mode")
        } else if family == Family::V6 {
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
    if strict && family == Family::V6 {
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
}

/// Multicast group: `mcast_dst_ip`, else `vrrp_mcast_group4/6`, else the RFC group.
pub(super) fn derive_mcast_group(w: &Written, family: Family, e: &mut Effective) {
    let g = w.global;
    e.mcast_group = match (&w.inst.mcast_dst_ip, family) {
        (Some(m), _) => Derived::written(Some(m.value), m.span),
        (None, Family::V4) => match &g.mcast_group4 {
            Some(x) => Derived {
                value: Some(IpAddr::V4(x.value)),
                origin: Origin::Global(x.span),
            },
            None => Derived::default_value(Some(IpAddr::V4(DEFAULT_MCAST4))),
        },
        (None, Family::V6) => match &g.mcast_group6 {
            Some(x) => Derived {
                value: Some(IpAddr::V6(x.value)),
                origin: Origin::Global(x.span),
            },
            None => Derived::default_value(Some(IpAddr::V6(DEFAULT_MCAST6))),
        },
    };
}
