//! `vrrp_sync_group NAME { group { ... } ... }` (docs/keepalived-compat.md#sync-groups).
//!
//! Members are resolved by `config::check` (any order). The old form listing instance names
//! directly in the group block is rejected as keepalived 2.x does (`Unknown keyword 'VI_2'`),
//! with a help line showing the `group { }` form.

use super::keywords::suggest;
use super::keywords::{notify, root, sync_group, track};
use super::script::duplicate;
use super::track::lower_track_block;
use super::{Index, Lower, Section};
use crate::config::diag::Diagnostic;
use crate::config::model::{Config, Notify, SyncGroup, TrackLists};
use crate::config::read::syntax::Stmt;
use crate::config::span::Spanned;

pub(crate) fn lower(l: &mut Lower, s: &Stmt, config: &mut Config) {
    let Some(name) = l.block_name(s) else { return };
    let Some(b) = l.block(s) else { return };
    if let Some(first) = config
        .sync_groups
        .iter()
        .find(|x| x.name.value == name.value)
    {
        let span = first.name.span;
        duplicate(l, "vrrp sync group", &name, span);
        return;
    }
    let mut g = SyncGroup {
        name,
        span: s.keyword.span,
        seq: 0,
        members: Vec::new(),
        group_span: None,
        tracking: TrackLists::default(),
        notify: Notify::default(),
        smtp_alert: None,
        notify_priority_changes: None,
        tracking_weight: None,
        trackers: Vec::new(),
    };
    let known: Vec<&str> = GROUP.keywords.iter().map(|(k, _)| *k).collect();
    for st in &b.stmts {
        let kw = st.keyword.text.as_str();
        if lower_track_block(l, st, &mut g.tracking) {
            l.check_performed(root::VRRP_SYNC_GROUP, &st.keyword);
            continue;
        }
        let old_style_member = !known.contains(&kw)
            && st.block.is_none()
            && (config.instances.iter().any(|i| i.name.value == kw)
                || (st.args.is_empty() && suggest(kw, known.iter().copied()).is_none()));
        if old_style_member {
            l.push(
                Diagnostic::error(st.keyword.span, format!("Unknown keyword '{kw}' in vrrp_sync_group"))
                    .with_label("instance names must be listed inside `group { }`")
                    .with_help(format!(
                        "write `group {{ {kw} ... }}`; the old form is not understood by keepalived 2.x either"
                    )),
            );
            continue;
        }
        l.section(std::slice::from_ref(st), &GROUP, &mut g);
    }
    config.sync_groups.push(g);
}

pub(super) static GROUP: Section<SyncGroup> = Section {
    name: root::VRRP_SYNC_GROUP,
    ignored: &[],
    also_known: &[],
    index: Index::new(),
    keywords: &[
        (sync_group::GROUP, |l, s, g| {
            g.group_span = Some(s.keyword.span);
            if let Some(b) = l.block_no_args(s) {
                for e in &b.stmts {
                    l.no_block(e);
                    for w in std::iter::once(&e.keyword).chain(e.args.iter()) {
                        g.members
                            .push(Spanned::new(w.text.as_str().to_owned(), w.span));
                    }
                }
            }
        }),
        (notify::NOTIFY_MASTER, |l, s, g| {
            g.notify.master = l.command(s).map(Box::new)
        }),
        (notify::NOTIFY_BACKUP, |l, s, g| {
            g.notify.backup = l.command(s).map(Box::new)
        }),
        (notify::NOTIFY_FAULT, |l, s, g| {
            g.notify.fault = l.command(s).map(Box::new)
        }),
        (notify::NOTIFY_STOP, |l, s, g| {
            g.notify.stop = l.command(s).map(Box::new)
        }),
        (notify::NOTIFY, |l, s, g| {
            g.notify.any = l.command(s).map(Box::new)
        }),
        (notify::NOTIFY_DELETED, |l, s, g| {
            let cmd = if s.args.is_empty() {
                l.no_block(s);
                None
            } else {
                l.command(s).map(Box::new)
            };
            g.notify.deleted = Some(Spanned::new(cmd, s.keyword.span));
        }),
        (notify::SMTP_ALERT, |l, s, g| g.smtp_alert = l.opt_bool(s)),
        (notify::NOTIFY_PRIORITY_CHANGES, |l, s, g| {
            g.notify_priority_changes = l.opt_bool(s)
        }),
        (sync_group::SYNC_GROUP_TRACKING_WEIGHT, |l, s, g| {
            g.tracking_weight = Some(l.flag(s))
        }),
        (sync_group::GLOBAL_TRACKING, |l, s, g| {
            l.deprecated(s, "use `sync_group_tracking_weight` instead");
            g.tracking_weight = Some(l.flag(s))
        }),
        // Handled by lower_track_block; listed for suggestions.
        (track::TRACK_INTERFACE, |_, _, _| {}),
        (track::TRACK_SCRIPT, |_, _, _| {}),
        (track::TRACK_FILE, |_, _, _| {}),
        (track::TRACK_PROCESS, |_, _, _| {}),
        (track::TRACK_BFD, |_, _, _| {}),
    ],
};
