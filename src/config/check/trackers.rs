//! Tracker resolution (docs/keepalived-compat.md#weights-and-effective-priority, docs/keepalived-compat.md#trackers-in-sync-groups): each `track_*` reference is resolved
//! against the tracked objects, its weight derived, and the owner / sync-group rules applied.

use crate::config::diag::Diagnostic;
use crate::config::model::{Config, Derived, ResolvedTracker, TrackRef, TrackerKind};

/// Who holds a tracker list: an instance or a sync group.
pub(super) struct Owner<'a> {
    pub(super) name: &'a str,
    /// Reading-order position, for the "defined earlier" rule.
    pub(super) seq: usize,
    pub(super) tracking: &'a crate::config::model::TrackLists,
    pub(super) interface: Option<&'a str>,
}

/// Trackers configured on a sync group apply to every member; a member with priority 255
/// forces their weights to 0 (docs/keepalived-compat.md#trackers-in-sync-groups).
pub(super) fn group_trackers(config: &mut Config, d: &mut Vec<Diagnostic>) {
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

/// Resolves `inst`'s `track_*` references: looks up each tracked object, derives the weight,
/// then applies the address-owner and sync-group rules. References that do not resolve are
/// reported and left out.
pub(super) fn resolve_trackers(
    config: &Config,
    inst: &Owner,
    owner: bool,
    group: Option<(&str, bool)>,
    d: &mut Vec<Diagnostic>,
) -> Vec<ResolvedTracker> {
    let lists: [(TrackerKind, &Vec<TrackRef>); 4] = [
        (TrackerKind::Interface, &inst.tracking.interfaces),
        (TrackerKind::Script, &inst.tracking.scripts),
        (TrackerKind::File, &inst.tracking.files),
        (TrackerKind::Process, &inst.tracking.processes),
    ];
    // Exact room (a first `push` reserves four): one list per instance of a large file.
    let mut out = Vec::with_capacity(lists.iter().map(|(_, refs)| refs.len()).sum());
    for (kind, refs) in lists {
        for r in refs {
            let Some(own) = tracked_object(config, inst, kind, r, d) else {
                continue;
            };
            let mut weight = reference_weight(config, kind, r, own, group);
            drop_weight_if_fixed(inst.name, kind, r, owner, group, &mut weight, d);
            out.push(ResolvedTracker {
                kind,
                name: r.name.value.clone(),
                weight,
                reverse: r.reverse.as_ref().map(|x| x.value).unwrap_or(own.reverse),
            });
        }
    }
    out
}

/// The tracked object's own weight and reverse flag.
#[derive(Clone, Copy)]
struct OwnWeight {
    weight: i32,
    reverse: bool,
}

/// Looks up the object `r` names; `None` (reported) when it cannot be tracked.
fn tracked_object(
    config: &Config,
    inst: &Owner,
    kind: TrackerKind,
    r: &TrackRef,
    d: &mut Vec<Diagnostic>,
) -> Option<OwnWeight> {
    let name = inst.name;
    match kind {
        TrackerKind::Interface => tracked_interface(inst, r, d),
        TrackerKind::Script => tracked_script(config, inst, r, d),
        TrackerKind::File => match config
            .track_files
            .iter()
            .find(|s| s.name.value == r.name.value)
        {
            Some(f) => Some(OwnWeight {
                weight: f.weight.as_ref().map(|w| w.value).unwrap_or(1),
                reverse: f.weight_reverse,
            }),
            None => {
                dangling(
                    d,
                    name,
                    "track file",
                    "track_file",
                    r,
                    config.track_files.iter().map(|s| s.name.value.as_str()),
                );
                None
            }
        },
        TrackerKind::Process => match config
            .track_processes
            .iter()
            .find(|s| s.name.value == r.name.value)
        {
            Some(p) => Some(OwnWeight {
                weight: p.weight.as_ref().map(|w| w.value).unwrap_or(0),
                reverse: p.weight_reverse,
            }),
            None => {
                dangling(
                    d,
                    name,
                    "track process",
                    "vrrp_track_process",
                    r,
                    config.track_processes.iter().map(|s| s.name.value.as_str()),
                );
                None
            }
        },
    }
}

/// `track_interface`: any interface but the instance's own.
fn tracked_interface(inst: &Owner, r: &TrackRef, d: &mut Vec<Diagnostic>) -> Option<OwnWeight> {
    let name = inst.name;
    if inst.interface == Some(r.name.value.as_str()) {
        d.push(
            Diagnostic::warning(
                r.name.span,
                format!(
                    "({name}) Ignoring track_interface {} since own interface",
                    r.name.value
                ),
            )
            .with_help("the instance already goes FAULT when its own interface is down"),
        );
        return None;
    }
    Some(OwnWeight {
        weight: 0,
        reverse: false,
    })
}

/// `track_script`: a `vrrp_script` defined before the holder (docs/keepalived-compat.md#weights-and-effective-priority).
fn tracked_script(
    config: &Config,
    inst: &Owner,
    r: &TrackRef,
    d: &mut Vec<Diagnostic>,
) -> Option<OwnWeight> {
    let name = inst.name;
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
            None
        }
        Some(s) => Some(OwnWeight {
            weight: s.weight_value(),
            reverse: s.weight_reverse,
        }),
        None => {
            dangling(
                d,
                name,
                "track script",
                "vrrp_script",
                r,
                config.scripts.iter().map(|s| s.name.value.as_str()),
            );
            None
        }
    }
}

/// The reference's weight: written, else the object's own; a `track_file`'s default weight
/// (1) silently becomes 0 in a sync group without `sync_group_tracking_weight` (docs/keepalived-compat.md#trackers-in-sync-groups).
fn reference_weight(
    config: &Config,
    kind: TrackerKind,
    r: &TrackRef,
    own: OwnWeight,
    group: Option<(&str, bool)>,
) -> Derived<i32> {
    let weight = match &r.weight {
        Some(w) => Derived::written(w.value, w.span),
        None if own.weight != 0 => Derived::because(
            own.weight,
            format!("weight of {} {}", kind_object(kind), r.name.value),
        ),
        None => Derived::default_value(own.weight),
    };
    let file_default = kind == TrackerKind::File
        && r.weight.is_none()
        && !config
            .track_files
            .iter()
            .any(|f| f.name.value == r.name.value && f.weight.is_some());
    if file_default && matches!(group, Some((_, false))) {
        return Derived::because(
            0,
            "track_file default weight in a sync group (docs/keepalived-compat.md#trackers-in-sync-groups)",
        );
    }
    weight
}

/// An address owner's priority never changes, nor does a sync-group member's without
/// `sync_group_tracking_weight`: their trackers' weights drop to 0 (docs/keepalived-compat.md#weights-and-effective-priority, docs/keepalived-compat.md#trackers-in-sync-groups).
fn drop_weight_if_fixed(
    name: &str,
    kind: TrackerKind,
    r: &TrackRef,
    owner: bool,
    group: Option<(&str, bool)>,
    weight: &mut Derived<i32>,
    d: &mut Vec<Diagnostic>,
) {
    if weight.value == 0 {
        return;
    }
    let what = kind_object(kind);
    if owner {
        d.push(
            Diagnostic::warning(r.name.span, format!("({name}) ignoring tracked {what} {} with weights due to address_owner", r.name.value))
                .with_help("an instance with priority 255 never changes priority; the tracker makes it FAULT when down instead"),
        );
        *weight = Derived::because(
            0,
            "dropped: priority 255 (address owner) (docs/keepalived-compat.md#weights-and-effective-priority)",
        );
    } else if let Some((gname, false)) = group {
        d.push(
            Diagnostic::warning(
                r.name.span,
                format!(
                    "({name}) ignoring tracked {what} {} with weights due to SYNC group",
                    r.name.value
                ),
            )
            .with_help(format!(
                "add `sync_group_tracking_weight` to vrrp_sync_group {gname} to keep the weight"
            )),
        );
        *weight = Derived::because(
            0,
            format!("dropped: member of sync group {gname} (docs/keepalived-compat.md#trackers-in-sync-groups)"),
        );
    }
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
    diag = match crate::config::lower::keywords::suggest(&r.name.value, known) {
        Some(best) => diag.with_help(format!("did you mean `{best}`?")),
        None => diag.with_help(format!(
            "define `{block} {} {{ ... }}` before this instance",
            r.name.value
        )),
    };
    d.push(diag);
}
