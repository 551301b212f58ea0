//! What to do with the links already on the host for each wanted vmac, as keepalived decides
//! at start-up (docs/vmac.md#start-up-and-leftovers): adopt a matching macvlan whatever its
//! name, update or replace an incompatible one of the configured name, else create one under
//! the first free name.
//!
//! Pure: the link table is an argument; the shell performs the [`Step`]s and logs the notes.

use super::vmac::{candidate_name, candidate_numbers, VmacWant};
pub use crate::sys::netlink_vmac::{LinkFacts, Macvlan};

/// What the shell does for one vmac.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// A private macvlan on the parent with the right MAC exists: use it as it is.
    Adopt { index: u32 },
    /// Nothing of that name exists: create it.
    Create,
    /// A macvlan of that name on the right parent has the wrong MAC or mode: change both.
    Update { index: u32 },
    /// A macvlan of that name hangs off another parent: delete it, then create.
    Replace { index: u32 },
}

/// One wanted vmac with its name and step, and keepalived's log lines about the choice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VmacPlan {
    pub want: VmacWant,
    pub name: String,
    pub step: Step,
    pub notes: Vec<String>,
}

/// Decides every wanted vmac against `links`, in order: an earlier instance's name or
/// adopted link is not reused by a later one.
pub fn resolve(wants: &[VmacWant], links: &[LinkFacts]) -> Vec<VmacPlan> {
    let mut out: Vec<VmacPlan> = Vec::with_capacity(wants.len());
    for w in wants {
        let taken = |name: &str| out.iter().any(|p| p.name == name);
        out.push(resolve_one(w, links, &taken));
    }
    out
}

fn resolve_one(w: &VmacWant, links: &[LinkFacts], taken: &dyn Fn(&str) -> bool) -> VmacPlan {
    let iname = &w.instance;
    let mut notes = Vec::new();
    let matching = links.iter().find(|l| {
        l.mac == Some(w.mac)
            && l.macvlan
                .is_some_and(|m| m.parent == w.parent_index && m.private)
            && !taken(&l.name)
    });
    if let Some(l) = matching {
        notes.push(format!("({iname}) Found matching interface {}", l.name));
        if let Some(c) = w.configured_name.as_ref().filter(|c| **c != l.name) {
            notes.push(format!(
                "({iname}) vmac name mismatch {c} <=> {n}. changing to {n}.",
                n = l.name
            ));
        }
        return plan(w, l.name.clone(), Step::Adopt { index: l.index }, notes);
    }
    let mut name = w.configured_name.clone();
    if let Some(n) = name.clone() {
        match links.iter().find(|l| l.name == n) {
            None => {}
            Some(l) => match l.macvlan {
                Some(m) if m.private => {
                    notes.push(format!(
                        "({iname}) VMAC {n} already exists but is incompatible. It will be deleted/updated"
                    ));
                    let step = if m.parent == w.parent_index {
                        Step::Update { index: l.index }
                    } else {
                        Step::Replace { index: l.index }
                    };
                    return plan(w, n, step, notes);
                }
                Some(_) => {
                    notes.push(format!(
                        "({iname}) interface {n} already exists and is not a private macvlan; ignoring vmac if_name"
                    ));
                    name = None;
                }
                None => {
                    notes.push(format!(
                        "({iname}) VMAC interface name {n} already exists as a non VMAC interface. ignoring configured name"
                    ));
                    name = None;
                }
            },
        }
    }
    let name = name.unwrap_or_else(|| free_name(w, links, taken));
    plan(w, name, Step::Create, notes)
}

/// keepalived's first unused name: not an existing link, not another instance's vmac.
fn free_name(w: &VmacWant, links: &[LinkFacts], taken: &dyn Fn(&str) -> bool) -> String {
    let free = |n: &String| !taken(n) && !links.iter().any(|l| l.name == *n);
    std::iter::once(None)
        .chain(candidate_numbers(w.family).map(Some))
        .map(|num| candidate_name(&w.prefix, num, w.vrid))
        .find(free)
        .unwrap_or_else(|| candidate_name(&w.prefix, None, w.vrid))
}

fn plan(w: &VmacWant, name: String, step: Step, notes: Vec<String>) -> VmacPlan {
    VmacPlan {
        want: w.clone(),
        name,
        step,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::vmac::rfc_mac;
    use crate::wire::Family;

    fn want(name: Option<&str>) -> VmacWant {
        VmacWant {
            key: "VI_1".into(),
            instance: "VI_1".into(),
            vrid: 51,
            family: Family::V4,
            parent: "eth0".into(),
            parent_index: 2,
            mac: rfc_mac(51, Family::V4),
            configured_name: name.map(str::to_string),
            prefix: "vrrp".into(),
            xmit_base: false,
            other_family_evips: false,
            link_local: None,
        }
    }

    fn link(name: &str, index: u32, mac: [u8; 6], macvlan: Option<(u32, bool)>) -> LinkFacts {
        LinkFacts {
            name: name.into(),
            index,
            mac: Some(mac),
            macvlan: macvlan.map(|(parent, private)| Macvlan { parent, private }),
        }
    }

    const ETH0: [u8; 6] = [2, 0, 0, 0, 0, 1];

    #[test]
    fn nothing_there_creates_vrrp_dot_vrid() {
        let p = resolve(&[want(None)], &[link("eth0", 2, ETH0, None)]);
        assert_eq!((p[0].name.as_str(), p[0].step), ("vrrp.51", Step::Create));
        assert!(p[0].notes.is_empty());
    }

    #[test]
    fn a_leftover_with_the_right_parent_mac_and_mode_is_adopted_under_its_name() {
        let links = [
            link("eth0", 2, ETH0, None),
            link("old51", 9, rfc_mac(51, Family::V4), Some((2, true))),
        ];
        let p = resolve(&[want(Some("vm51"))], &links);
        assert_eq!(p[0].name, "old51");
        assert_eq!(p[0].step, Step::Adopt { index: 9 });
        assert_eq!(
            p[0].notes,
            [
                "(VI_1) Found matching interface old51",
                "(VI_1) vmac name mismatch vm51 <=> old51. changing to old51."
            ]
        );
    }

    #[test]
    fn a_named_macvlan_with_a_wrong_mac_is_updated_and_one_on_another_parent_replaced() {
        let wrong_mac = [link("vm51", 9, ETH0, Some((2, true)))];
        let p = resolve(&[want(Some("vm51"))], &wrong_mac);
        assert_eq!(p[0].step, Step::Update { index: 9 });
        let other_parent = [link("vm51", 9, rfc_mac(51, Family::V4), Some((3, true)))];
        let p = resolve(&[want(Some("vm51"))], &other_parent);
        assert_eq!(p[0].step, Step::Replace { index: 9 });
        assert_eq!(p[0].name, "vm51");
    }

    #[test]
    fn a_name_held_by_another_kind_of_link_is_not_touched() {
        let links = [link("vrrp.51", 4, ETH0, None)];
        let p = resolve(&[want(Some("vrrp.51"))], &links);
        assert_eq!((p[0].name.as_str(), p[0].step), ("vrrp1.51", Step::Create));
        assert_eq!(p[0].notes.len(), 1);
        // A bridge-mode macvlan of that name is not ours either.
        let links = [link("vm", 4, rfc_mac(51, Family::V4), Some((2, false)))];
        let p = resolve(&[want(Some("vm"))], &links);
        assert_eq!((p[0].name.as_str(), p[0].step), ("vrrp.51", Step::Create));
    }

    #[test]
    fn two_instances_never_share_a_name() {
        let mut b = want(None);
        b.instance = "VI_2".into();
        b.parent_index = 3;
        let p = resolve(&[want(None), b], &[]);
        assert_eq!(p[0].name, "vrrp.51");
        assert_eq!(p[1].name, "vrrp1.51");
    }
}
