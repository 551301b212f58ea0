//! `vrrp_instance NAME { ... }` (docs/keepalived-compat.md#vrrp_instance-keywords). Only the values as written are
//! checked here; derived settings and cross-checks are `config::check`.

use std::net::IpAddr;

use compact_str::CompactString;

use super::global::MAX_DELAY_SECS;
use super::keywords::{instance, notify, peer, root, track};
use super::script::duplicate;
use super::track::lower_track_block;
use super::values::narrow;
use super::vip::IFNAME_MAX;
use super::{auth, routes, vip, Index, Lower, Section};
use crate::config::diag::Diagnostic;
use crate::config::model::{Config, InitialState, Instance, Sp, UnicastPeer, UseVmac};
use crate::config::read::syntax::Stmt;
use crate::config::span::Spanned;

pub(crate) fn lower(l: &mut Lower, s: &Stmt, config: &mut Config) {
    let Some(name) = l.block_name(s) else { return };
    let Some(b) = l.block(s) else { return };
    if let Some(first) = l
        .instance_names
        .get(name.value.as_str())
        .and_then(|&i| config.instances.get(i))
    {
        let span = first.name.span;
        duplicate(l, "vrrp instance", &name, span);
        return;
    }
    l.instance_names.insert(
        CompactString::from(name.value.as_str()),
        config.instances.len(),
    );
    // Lowered in place: an instance is a few kilobytes, moved once less per instance.
    config.instances.push(Instance::new(name, s.keyword.span));
    let Some(inst) = config.instances.last_mut() else {
        return;
    };
    for st in &b.stmts {
        if lower_track_block(l, st, &mut inst.tracking) {
            l.check_performed(root::VRRP_INSTANCE, &st.keyword);
        } else {
            l.section(std::slice::from_ref(st), &INSTANCE, inst);
        }
    }
}

/// Appends a lowered list; the first list is moved in whole, so it keeps its exact capacity
/// (`extend` into an empty `Vec` rounds up to four entries, megabytes over 10,000 instances).
fn append<T>(to: &mut Vec<T>, list: Vec<T>) {
    if to.is_empty() {
        *to = list;
    } else {
        to.extend(list);
    }
}

fn interface_name(l: &mut Lower, s: &Stmt) -> Option<Sp<String>> {
    let v = l.string(s)?;
    if v.value.len() > IFNAME_MAX || v.value.is_empty() {
        l.push(
            Diagnostic::error(v.span, format!("interface name '{}' is too long", v.value))
                .with_help("interface names have 1 to 15 characters"),
        );
        return None;
    }
    Some(v)
}

fn state(l: &mut Lower, s: &Stmt, i: &mut Instance) {
    l.no_block(s);
    let Some(w) = l.arg(s, 0) else { return };
    l.extra(s, 1);
    let st = match w.text.as_str() {
        "MASTER" => InitialState::Master,
        "BACKUP" => {
            // keepalived: `BACKUP` after `MASTER` is ignored (docs/keepalived-compat.md#vrrp_instance-keywords).
            if let Some(prev) = &i.state {
                if prev.value == InitialState::Master {
                    l.push(
                        Diagnostic::warning(w.span, "state BACKUP after state MASTER is ignored")
                            .with_help("keepalived keeps the first `state MASTER`; remove one of the two lines"),
                    );
                    return;
                }
            }
            InitialState::Backup
        }
        other => {
            let mut d = Diagnostic::error(w.span, format!("unknown state '{other}'"))
                .with_label("keepalived defaults to BACKUP");
            d = if other.eq_ignore_ascii_case("master") || other.eq_ignore_ascii_case("backup") {
                d.with_help(format!(
                    "state is case-sensitive: write `state {}`",
                    other.to_ascii_uppercase()
                ))
            } else {
                d.with_help("state must be MASTER or BACKUP")
            };
            l.push(d);
            return;
        }
    };
    i.state = Some(Spanned::new(st, w.span));
}

fn vrid(l: &mut Lower, s: &Stmt, i: &mut Instance) {
    l.no_block(s);
    let Some(w) = l.arg(s, 0) else {
        i.rejected.push("virtual_router_id");
        return;
    };
    l.extra(s, 1);
    match super::values::parse_int(&w.text) {
        Some(v) if (1..=255).contains(&v) => {
            i.vrid = narrow(Spanned::new(v, w.span));
            i.rejected.retain(|k| *k != "virtual_router_id");
        }
        _ => {
            i.rejected.push("virtual_router_id");
            l.push(
            Diagnostic::error(
                w.span,
                format!("({}): VRID '{}' not valid - must be between 1 & 255", i.name.value, w.text),
            )
            .with_label("invalid VRID")
            .with_help("virtual_router_id must be between 1 and 255, the same on every node of the instance"),
            )
        }
    }
}

fn unicast_peers(l: &mut Lower, s: &Stmt, i: &mut Instance) {
    i.unicast_peer_span = Some(s.keyword.span);
    let Some(b) = l.block_no_args(s) else { return };
    for e in &b.stmts {
        l.no_block(e);
        let Some(addr) = l.ip_word(&e.keyword, "unicast_peer") else {
            continue;
        };
        let mut p = UnicastPeer {
            addr,
            min_ttl: None,
            max_ttl: None,
        };
        let mut it = e.args.iter();
        while let Some(w) = it.next() {
            let slot = match w.text.as_str() {
                peer::MIN_TTL => &mut p.min_ttl,
                peer::MAX_TTL => &mut p.max_ttl,
                _ => {
                    let mut d = Diagnostic::error(
                        w.span,
                        format!("unknown unicast_peer option '{}'", w.text),
                    );
                    d = if w.text.parse::<IpAddr>().is_ok() {
                        d.with_help("write one peer address per line")
                    } else {
                        d.with_help("options are min_ttl N and max_ttl N")
                    };
                    l.push(d);
                    break;
                }
            };
            match it.next() {
                Some(v) => *slot = l.int_word(v, &w.text, 0, 255).and_then(narrow),
                None => {
                    l.push(Diagnostic::error(
                        w.span,
                        format!("`{}` is missing its value", w.text),
                    ));
                }
            }
        }
        i.unicast_peers.push(p);
    }
}

fn use_vmac(l: &mut Lower, s: &Stmt, i: &mut Instance) {
    l.no_block(s);
    let mut v = UseVmac {
        ifname: None,
        mac: None,
    };
    let mut rest = s.args.iter();
    if let Some(w) = rest.next() {
        if let Some(mac) = parse_mac(&w.text) {
            v.mac = Some(Spanned::new(mac, w.span));
        } else {
            v.ifname = Some(Spanned::new(w.text.as_str().to_owned(), w.span));
            if let Some(m) = rest.next() {
                match parse_mac(&m.text) {
                    Some(mac) => v.mac = Some(Spanned::new(mac, m.span)),
                    None => l.push(
                        Diagnostic::error(
                            m.span,
                            format!("invalid MAC address '{}' for use_vmac", m.text),
                        )
                        .with_help("write six hex bytes separated by colons"),
                    ),
                }
            }
        }
    }
    l.extra(s, 2);
    i.use_vmac = Some(Spanned::new(v, s.keyword.span));
}

fn parse_mac(t: &str) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut parts = t.split(':');
    for slot in out.iter_mut() {
        *slot = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(out)
}

fn debug(l: &mut Lower, s: &Stmt, i: &mut Instance) {
    if s.args.is_empty() {
        l.no_block(s);
        l.push(
            Diagnostic::note(
                s.keyword.span,
                "`debug` without a level is a keepalived 1.x form; accepted",
            )
            .with_help("it has no effect; write `debug 0`..`debug 4` or remove it"),
        );
        i.debug = Some(Spanned::new(0, s.keyword.span));
    } else {
        i.debug = l.int(s, 0, 4).and_then(narrow);
    }
}

fn mcast_dst(l: &mut Lower, s: &Stmt, i: &mut Instance) {
    let Some(a) = l.ip(s) else { return };
    if !a.value.is_multicast() {
        l.push(
            Diagnostic::error(
                a.span,
                format!("mcast_dst_ip {} is not a multicast address", a.value),
            )
            .with_help("use an IPv4 (224.0.0.0/4) or IPv6 (ff02::/16) multicast group"),
        );
        return;
    }
    i.mcast_dst_ip = Some(a);
}

pub(super) static INSTANCE: Section<Instance> = Section {
    name: root::VRRP_INSTANCE,
    ignored: &["lvs_sync_daemon_interface"],
    also_known: &[],
    index: Index::new(),
    keywords: &[
        (instance::STATE, state),
        (instance::INTERFACE, |l, s, i| {
            i.interface = interface_name(l, s);
            if i.interface.is_none() {
                i.rejected.push("interface");
            }
        }),
        (instance::VIRTUAL_ROUTER_ID, vrid),
        (instance::PRIORITY, |l, s, i| {
            i.priority = l.int(s, 1, 255).and_then(narrow)
        }),
        (instance::ADVERT_INT, |l, s, i| {
            i.advert_int = l.seconds(s, 10_000, 255_000_000)
        }),
        (instance::NOPREEMPT, |l, s, i| i.nopreempt = Some(l.flag(s))),
        (instance::PREEMPT, |l, s, i| i.preempt = Some(l.flag(s))),
        (instance::PREEMPT_DELAY, |l, s, i| {
            i.preempt_delay = l.seconds(s, 0, 1_000_000_000)
        }),
        (instance::AUTHENTICATION, |l, s, i| {
            i.authentication = auth::lower(l, s)
        }),
        (instance::VIRTUAL_IPADDRESS, |l, s, i| {
            i.vips_span = Some(s.keyword.span);
            match l.block_no_args(s) {
                Some(b) => {
                    i.vip_entries += b.stmts.len();
                    let v = vip::lower_list(l, &b.stmts, false);
                    append(&mut i.vips, v);
                }
                None => i.rejected.push("virtual_ipaddress"),
            }
        }),
        (instance::VIRTUAL_IPADDRESS_EXCLUDED, |l, s, i| {
            if let Some(b) = l.block_no_args(s) {
                let v = vip::lower_list(l, &b.stmts, false);
                append(&mut i.excluded_vips, v);
            }
        }),
        (instance::VIRTUAL_ROUTES, |l, s, i| {
            if let Some(b) = l.block_no_args(s) {
                let v = routes::lower_routes(l, &b.stmts);
                append(&mut i.routes, v);
            }
        }),
        (instance::VIRTUAL_RULES, |l, s, i| {
            if let Some(b) = l.block_no_args(s) {
                let v = routes::lower_rules(l, &b.stmts);
                append(&mut i.rules, v);
            }
        }),
        (instance::UNICAST_SRC_IP, |l, s, i| {
            i.unicast_src_ip = l.ip(s)
        }),
        (instance::UNICAST_PEER, unicast_peers),
        (instance::UNICAST_FAULT_NO_PEER, |l, s, i| {
            i.unicast_fault_no_peer = l.opt_bool(s)
        }),
        (instance::UNICAST_TTL, |l, s, i| {
            i.unicast_ttl = l.int(s, 0, 255).and_then(narrow)
        }),
        (instance::CHECK_UNICAST_SRC, |l, s, i| {
            i.check_unicast_src = l.opt_bool(s)
        }),
        (instance::MCAST_SRC_IP, |l, s, i| i.mcast_src_ip = l.ip(s)),
        (instance::MCAST_DST_IP, mcast_dst),
        (instance::TRACK_SRC_IP, |l, s, i| {
            i.track_src_ip = l.opt_bool(s)
        }),
        (instance::VERSION, |l, s, i| i.version = l.version(s)),
        (instance::NATIVE_IPV6, |l, s, i| {
            l.deprecated(
                s,
                "the family is taken from the addresses; remove `native_ipv6`",
            );
            i.native_ipv6 = Some(l.flag(s))
        }),
        (instance::DONT_TRACK_PRIMARY, |l, s, i| {
            i.dont_track_primary = l.opt_bool(s)
        }),
        (notify::NOTIFY_MASTER, |l, s, i| {
            i.notify.master = l.command(s).map(Box::new)
        }),
        (notify::NOTIFY_BACKUP, |l, s, i| {
            i.notify.backup = l.command(s).map(Box::new)
        }),
        (notify::NOTIFY_FAULT, |l, s, i| {
            i.notify.fault = l.command(s).map(Box::new)
        }),
        (notify::NOTIFY_STOP, |l, s, i| {
            i.notify.stop = l.command(s).map(Box::new)
        }),
        (notify::NOTIFY, |l, s, i| {
            i.notify.any = l.command(s).map(Box::new)
        }),
        (notify::NOTIFY_DELETED, |l, s, i| {
            let cmd = if s.args.is_empty() {
                l.no_block(s);
                None
            } else {
                l.command(s).map(Box::new)
            };
            i.notify.deleted = Some(Spanned::new(cmd, s.keyword.span));
        }),
        (notify::NOTIFY_MASTER_RX_LOWER_PRI, |l, s, i| {
            i.notify.master_rx_lower_pri = l.command(s).map(Box::new)
        }),
        (notify::NOTIFY_PRIORITY_CHANGES, |l, s, i| {
            i.notify_priority_changes = l.opt_bool(s)
        }),
        (notify::SMTP_ALERT, |l, s, i| i.smtp_alert = l.opt_bool(s)),
        (instance::GARP_MASTER_DELAY, |l, s, i| {
            i.garp.master_delay = l.uint(s, 0, MAX_DELAY_SECS)
        }),
        (instance::GARP_MASTER_REPEAT, |l, s, i| {
            i.garp.master_repeat = l.uint(s, 1, 255)
        }),
        (instance::GARP_MASTER_REFRESH, |l, s, i| {
            i.garp.master_refresh = l.uint(s, 0, MAX_DELAY_SECS)
        }),
        (instance::GARP_MASTER_REFRESH_REPEAT, |l, s, i| {
            i.garp.master_refresh_repeat = l.uint(s, 1, 255)
        }),
        (instance::GARP_LOWER_PRIO_DELAY, |l, s, i| {
            i.garp.lower_prio_delay = l.uint(s, 0, MAX_DELAY_SECS)
        }),
        (instance::GARP_LOWER_PRIO_REPEAT, |l, s, i| {
            i.garp.lower_prio_repeat = l.uint(s, 0, 255)
        }),
        (instance::GARP_EXTRA_IF, |l, s, i| {
            i.garp.extra_if = l.garp_extra_if(s)
        }),
        (instance::VMAC_GARP_INTVL, |l, s, i| {
            l.deprecated(s, "use `garp_extra_if` instead");
            i.garp.extra_if = l.garp_extra_if(s)
        }),
        (instance::DOWN_TIMER_ADVERTS, |l, s, i| {
            i.down_timer_adverts = l.uint(s, 1, 100)
        }),
        (instance::LOWER_PRIO_NO_ADVERT, |l, s, i| {
            i.lower_prio_no_advert = l.opt_bool(s)
        }),
        (instance::HIGHER_PRIO_SEND_ADVERT, |l, s, i| {
            i.higher_prio_send_advert = l.opt_bool(s)
        }),
        (instance::SKIP_CHECK_ADV_ADDR, |l, s, i| {
            i.skip_check_adv_addr = l.opt_bool(s)
        }),
        (instance::STRICT_MODE, |l, s, i| {
            i.strict_mode = l.opt_bool(s)
        }),
        (instance::ACCEPT, |l, s, i| {
            i.accept = Some(Spanned::new(true, l.flag(s)))
        }),
        (instance::NO_ACCEPT, |l, s, i| {
            i.accept = Some(Spanned::new(false, l.flag(s)))
        }),
        (instance::USE_VMAC, use_vmac),
        (instance::VMAC_XMIT_BASE, |l, s, i| {
            i.vmac_xmit_base = l.opt_bool(s)
        }),
        (instance::USE_VMAC_ADDR, |l, s, i| {
            i.use_vmac_addr = l.opt_bool(s)
        }),
        (instance::USE_IPVLAN, |l, s, i| {
            l.no_block(s);
            let raw = l.raw(s);
            i.accepted.push(raw);
        }),
        (instance::PROMOTE_SECONDARIES, |l, s, i| {
            i.promote_secondaries = l.opt_bool(s)
        }),
        (instance::KERNEL_RX_BUF_SIZE, |l, s, i| {
            i.kernel_rx_buf_size = l.uint(s, 0, u32::MAX)
        }),
        (instance::DEBUG, debug),
        (instance::OLD_UNICAST_CHECKSUM, |l, s, i| {
            l.no_block(s);
            l.extra(s, 1);
            match s.args.first() {
                Some(w) if w.text != "never" => l.push(
                    Diagnostic::error(
                        w.span,
                        format!("invalid old_unicast_checksum option '{}'", w.text),
                    )
                    .with_help("old_unicast_checksum takes no value or `never`"),
                ),
                _ => {
                    i.old_unicast_checksum = Some(Spanned::new(
                        s.args.first().map(|w| w.text.as_str().to_owned()),
                        s.keyword.span,
                    ))
                }
            }
        }),
        (instance::LINKBEAT_USE_POLLING, |l, s, i| {
            l.deprecated(s, "use the root-level `linkbeat_interfaces` instead");
            i.linkbeat_use_polling = Some(l.flag(s))
        }),
        (instance::VRF, |l, s, i| i.vrf = interface_name(l, s)),
        // Handled by lower_track_block; listed for suggestions.
        (track::TRACK_INTERFACE, |_, _, _| {}),
        (track::TRACK_SCRIPT, |_, _, _| {}),
        (track::TRACK_FILE, |_, _, _| {}),
        (track::TRACK_PROCESS, |_, _, _| {}),
        (track::TRACK_BFD, |_, _, _| {}),
    ],
};
