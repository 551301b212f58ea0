//! Values inherited from `global_defs` or forced by strict mode (docs/keepalived-compat.md#global_defs-keywords,
//! docs/keepalived-compat.md#vrrp_instance-keywords, docs/keepalived-compat.md#strict-mode), and the GARP schedule.

use super::Written;
use crate::config::model::{Derived, Effective, Origin, Sp};

/// Strict-mode forced values and global inheritance: down timer, priority adverts, source
/// checks, SMTP alerts.
pub(super) fn derive_inherited(w: &Written, strict: bool, e: &mut Effective) {
    let (inst, g) = (w.inst, w.global);
    e.down_timer_adverts = Derived::inherit(
        inst.down_timer_adverts.as_ref(),
        g.down_timer_adverts.as_ref(),
        3,
    );
    if strict && e.down_timer_adverts.value != 3 {
        e.down_timer_adverts = Derived::because(
            3,
            "strict mode forces 3 (docs/keepalived-compat.md#strict-mode)",
        );
    }
    e.lower_prio_no_advert = Derived::inherit(
        inst.lower_prio_no_advert.as_ref(),
        g.lower_prio_no_advert.as_ref(),
        false,
    );
    if strict && inst.lower_prio_no_advert.is_none() && g.lower_prio_no_advert.is_none() {
        e.lower_prio_no_advert =
            Derived::because(true, "strict mode (docs/keepalived-compat.md#strict-mode)");
    }
    e.higher_prio_send_advert = Derived::inherit(
        inst.higher_prio_send_advert.as_ref(),
        g.higher_prio_send_advert.as_ref(),
        false,
    );
    if strict && e.higher_prio_send_advert.value {
        e.higher_prio_send_advert =
            Derived::because(false, "strict mode (docs/keepalived-compat.md#strict-mode)");
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
            "a unicast_peer has min_ttl/max_ttl (docs/keepalived-compat.md#vrrp_instance-keywords)",
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
}

/// GARP schedule: instance, else global, else keepalived's default; `vrrp_min_garp` and strict
/// mode adjust the values still at their default (docs/keepalived-compat.md#global_defs-keywords, docs/keepalived-compat.md#strict-mode).
pub(super) fn derive_garp(w: &Written, strict: bool, e: &mut Effective) {
    let (inst, g) = (w.inst, w.global);
    let min_garp = g.min_garp.as_ref().is_some_and(|m| m.value);
    let pick =
        |local: &Option<Sp<u32>>, global: &Option<Sp<u32>>, default: u32, min: Option<u32>| {
            let d = Derived::inherit(local.as_ref(), global.as_ref(), default);
            match (min, &d.origin) {
                (Some(m), Origin::Default) if min_garp => Derived::because(
                    m,
                    "vrrp_min_garp (docs/keepalived-compat.md#global_defs-keywords)",
                ),
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
            "= garp_master_delay (docs/keepalived-compat.md#global_defs-keywords)",
        ),
        (l, gl) => Derived::inherit(l.as_ref(), gl.as_ref(), 5),
    };
    e.garp_lower_prio_repeat = match (&inst.garp.lower_prio_repeat, &g.garp.lower_prio_repeat) {
        (None, None) => Derived::because(
            e.garp_master_repeat.value,
            "= garp_master_repeat (docs/keepalived-compat.md#global_defs-keywords)",
        ),
        (l, gl) => Derived::inherit(l.as_ref(), gl.as_ref(), 5),
    };
    if strict {
        e.garp_lower_prio_delay =
            Derived::because(0, "strict mode (docs/keepalived-compat.md#strict-mode)");
        e.garp_lower_prio_repeat =
            Derived::because(0, "strict mode (docs/keepalived-compat.md#strict-mode)");
    }
}
