//! Election steps: priority and initial state, preemption, advert interval, accept mode
//! (docs/keepalived-compat.md#vrrp_instance-keywords, docs/keepalived-compat.md#derived-instance-settings, docs/keepalived-compat.md#strict-mode).

use std::time::Duration;

use super::Written;
use crate::config::diag::Diagnostic;
use crate::config::lower::values::fmt_us;
use crate::config::model::{Derived, Effective, InitialState, Version};

/// Priority and state (docs/keepalived-compat.md#vrrp_instance-keywords); strict mode keeps non-owners from starting as MASTER.
/// Returns whether the instance is the address owner (priority 255).
pub(super) fn derive_priority_and_state(
    w: &Written,
    strict: bool,
    e: &mut Effective,
    d: &mut Vec<Diagnostic>,
) -> bool {
    let (inst, name) = (w.inst, w.name);
    let state_written = inst.state.as_ref().map(|s| s.value);
    e.priority = match (&inst.priority, state_written) {
        (Some(p), _) => Derived::written(p.value, p.span),
        (None, Some(InitialState::Master)) => Derived::because(
            255,
            "state MASTER without priority (docs/keepalived-compat.md#vrrp_instance-keywords)",
        ),
        (None, _) => Derived::default_value(100),
    };
    let owner = e.priority.value == 255;
    e.state = match &inst.state {
        Some(s) => Derived::written(Some(s.value), s.span),
        None if owner => Derived::because(
            Some(InitialState::Master),
            "priority 255 (address owner) without state (docs/keepalived-compat.md#vrrp_instance-keywords)",
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
            "strict mode: MASTER requires priority 255 (docs/keepalived-compat.md#strict-mode)",
        );
    }
    owner
}

/// `nopreempt` / `preempt_delay` (docs/keepalived-compat.md#derived-instance-settings item 8): cleared for owners, `state MASTER` and strict
/// mode.
pub(super) fn derive_preempt(
    w: &Written,
    strict: bool,
    owner: bool,
    e: &mut Effective,
    d: &mut Vec<Diagnostic>,
) {
    let (inst, name) = (w.inst, w.name);
    let state_written = inst.state.as_ref().map(|s| s.value);
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
                "cleared: priority 255 (address owner) always preempts (docs/keepalived-compat.md#derived-instance-settings)",
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
            e.nopreempt = Derived::because(
                false,
                "cleared: state MASTER (docs/keepalived-compat.md#derived-instance-settings)",
            );
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
                    format!("cleared: {why} (docs/keepalived-compat.md#derived-instance-settings)"),
                );
            }
        }
    }
}

/// `advert_int` rounding (docs/keepalived-compat.md#vrrp_instance-keywords): whole seconds for VRRPv2, 10 ms units up to 40.95 s for
/// VRRPv3.
pub(super) fn derive_advert_int(
    w: &Written,
    version: Version,
    e: &mut Effective,
    d: &mut Vec<Diagnostic>,
) {
    let name = w.name;
    e.advert_int_cs = Derived::default_value(100);
    let Some(a) = &w.inst.advert_int else {
        return;
    };
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
                e.advert_int_cs = Derived::because(cs_u32(secs * 100), format!("advert_int {} rounded to whole seconds for VRRPv2 (docs/keepalived-compat.md#vrrp_instance-keywords)", fmt_us(us)));
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
                        "advert_int {} rounded to 10 ms for VRRPv3 (docs/keepalived-compat.md#vrrp_instance-keywords)",
                        fmt_us(us)
                    ),
                );
            } else {
                e.advert_int_cs = Derived::written(cs_u32(cs), a.span);
            }
        }
    }
}

fn cs_u32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// Accept mode (docs/keepalived-compat.md#vrrp_instance-keywords, docs/keepalived-compat.md#strict-mode): off by default for non-owners in strict mode, never with strict
/// VRRPv2.
pub(super) fn derive_accept(
    w: &Written,
    strict: bool,
    version: Version,
    owner: bool,
    e: &mut Effective,
    d: &mut Vec<Diagnostic>,
) {
    let (inst, name) = (w.inst, w.name);
    e.accept = match &inst.accept {
        Some(a) => Derived::written(a.value, a.span),
        None if strict && !owner => Derived::because(
            false,
            "strict mode, not the address owner (docs/keepalived-compat.md#strict-mode)",
        ),
        None => Derived::default_value(true),
    };
    if strict && version == Version::V2 && !owner {
        if let Some(a) = inst.accept.as_ref().filter(|a| a.value) {
            d.push(
                Diagnostic::warning(a.span, format!("({name}) accept is not allowed with VRRPv2 in strict mode - resetting"))
                    .with_help("strict VRRPv2 (RFC 3768) never accepts packets for the virtual addresses; remove `accept` or use VRRPv3"),
            );
            e.accept = Derived::because(
                false,
                "strict mode with VRRPv2 (docs/keepalived-compat.md#strict-mode)",
            );
        }
    }
}

/// Strict mode uses the RFC VMAC and sends from it (docs/keepalived-compat.md#strict-mode).
pub(super) fn check_strict_vmac(w: &Written, strict: bool, d: &mut Vec<Diagnostic>) {
    if !strict {
        return;
    }
    let (inst, name) = (w.inst, w.name);
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
            .with_help("strict mode sends adverts from the VMAC interface; remove vmac_xmit_base"),
        );
    }
}
