//! Tracker resolution (keepalived-behaviour §4.3, §4.4): each `track_*` reference is resolved
//! against the tracked objects, its weight derived, and the owner / sync-group rules applied.

use crate::config::diag::Diagnostic;
use crate::config::model::{Config, Derived, ResolvedTracker, TrackRef, TrackerKind};
use crate::config::span::Span;

/// Who holds a tracker list: an instance or a sync group.
pub(super) struct Owner<'a> {
    pub(super) name: &'a str,
    /// Reading-order position, for the "defined earlier" rule.
    pub(super) seq: usize,
    pub(super) tracking: &'a crate::config::model::Tracking,
    pub(super) interface: Option<&'a str>,
}

/// Trackers configured on a sync group apply to every member; a member with priority 255
/// forces their weights to 0 (keepalived-behaviour §4.4).
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

pub(super) fn resolve_trackers(
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
    diag = match crate::config::lower::keywords::suggest(&r.name.value, known) {
        Some(best) => diag.with_help(format!("did you mean `{best}`?")),
        None => diag.with_help(format!(
            "define `{block} {} {{ ... }}` before this instance",
            r.name.value
        )),
    };
    d.push(diag);
}
