//! Per-instance derived settings (docs/keepalived-compat.md#vrrp_instance-keywords, docs/keepalived-compat.md#derived-instance-settings, docs/keepalived-compat.md#strict-mode): family, version,
//! priority and state, authentication, unicast, VIP list, preemption, advert interval, strict
//! mode and the values inherited from `global_defs`.
//!
//! [`derive_instance`] is the list of steps, in keepalived's order; each step is one function:
//!
//! * `addressing.rs`: address family, VRRP version, unicast, VIP list, multicast group;
//! * `election.rs`: priority and initial state, preemption, advert interval, accept mode;
//! * `auth.rs`: the authentication block;
//! * `inherited.rs`: values taken from `global_defs` or forced by strict mode, GARP schedule.

mod addressing;
mod auth;
mod election;
mod inherited;

use crate::config::diag::Diagnostic;
use crate::config::model::{Config, Derived, Effective, Global, Instance};

/// What every step reads: the instance as written, `global_defs`, and the name for messages.
struct Written<'a> {
    inst: &'a Instance,
    global: &'a Global,
    name: &'a str,
}

pub(super) fn derive_instance(
    config: &mut Config,
    idx: usize,
    group: Option<usize>,
    d: &mut Vec<Diagnostic>,
) {
    let Some(inst) = config.instances.get(idx) else {
        return;
    };
    let w = Written {
        inst,
        global: &config.global,
        name: &inst.name.value,
    };
    let mut e = inst.effective.clone();

    require_vrid(&w, d);
    let strict = derive_strict_mode(&w, &mut e);
    let family_of = addressing::derive_family(&w, &mut e);
    addressing::check_family_match(&w, family_of, d);
    let family = family_of.family;
    let version = addressing::derive_version(&w, family, strict, &mut e, d);
    let owner = election::derive_priority_and_state(&w, strict, &mut e, d);
    auth::derive_auth(&w, strict, family, version, owner, &mut e, d);
    addressing::check_unicast(&w, strict, d);
    addressing::check_vip_list(&w, strict, family, version, d);
    election::derive_preempt(&w, strict, owner, &mut e, d);
    election::derive_advert_int(&w, version, &mut e, d);
    election::derive_accept(&w, strict, version, owner, &mut e, d);
    election::check_strict_vmac(&w, strict, d);
    addressing::derive_mcast_group(&w, family, &mut e);
    inherited::derive_inherited(&w, strict, &mut e);
    inherited::derive_garp(&w, strict, &mut e);
    derive_trackers(config, idx, group, owner, &mut e, d);

    if let Some(inst) = config.instances.get_mut(idx) {
        inst.effective = e;
    }
}

/// Mandatory keywords: `virtual_router_id`.
fn require_vrid(w: &Written, d: &mut Vec<Diagnostic>) {
    let (inst, name) = (w.inst, w.name);
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
}

/// Strict mode: instance, else `vrrp_strict`, else off (docs/keepalived-compat.md#strict-mode). Returns whether it is on.
fn derive_strict_mode(w: &Written, e: &mut Effective) -> bool {
    e.strict = Derived::inherit(w.inst.strict_mode.as_ref(), w.global.strict.as_ref(), false);
    e.strict.value
}

/// Sync group membership and the effective trackers (docs/keepalived-compat.md#weights-and-effective-priority, docs/keepalived-compat.md#trackers-in-sync-groups).
fn derive_trackers(
    config: &Config,
    idx: usize,
    group: Option<usize>,
    owner: bool,
    e: &mut Effective,
    d: &mut Vec<Diagnostic>,
) {
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
}
