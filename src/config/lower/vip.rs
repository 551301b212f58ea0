//! `virtual_ipaddress`, `virtual_ipaddress_excluded` and `static_ipaddress` entries
//! (docs/keepalived-compat.md#virtual-address-entries):
//!
//! ```text
//! ADDR[/PREFIX] [dev IF] [brd ADDR|+|-] [broadcast ...] [scope global|site|link|host|nowhere|NUM]
//!   [label LABEL] [peer ADDR[/PLEN]] [home] [-nodad] [mngtmpaddr] [noprefixroute] [autojoin]
//!   [no_track] [preferred_lft N|forever] [use_vmac]
//! ```
//!
//! One entry per line: keepalived reads `10.1.1.1 10.1.1.2` as one address with an unknown
//! option (`Unknown configuration entry '10.1.1.2' for ip address - ignoring`).

use std::net::IpAddr;

use super::keywords::address;
use super::values::parse_int;
use super::Lower;
use crate::config::diag::Diagnostic;
use crate::config::model::{Broadcast, Family, IpAddress, Lifetime, Scope};
use crate::config::read::syntax::{Stmt, Word};
use crate::config::span::Spanned;

/// Maximum interface / label name length (IFNAMSIZ - 1).
pub(crate) const IFNAME_MAX: usize = 15;

pub(crate) fn lower_list(l: &mut Lower, stmts: &[Stmt], _static: bool) -> Vec<IpAddress> {
    // Sized for every entry: `collect` over a filter would start at four.
    let mut out = Vec::with_capacity(stmts.len());
    out.extend(stmts.iter().filter_map(|e| lower_entry(l, e)));
    out
}

pub(crate) fn scope_word(l: &mut Lower, w: &Word) -> Option<Scope> {
    let s = match w.text.as_str() {
        "global" | "universe" => Scope::Global,
        "site" => Scope::Site,
        "link" => Scope::Link,
        "host" => Scope::Host,
        "nowhere" => Scope::Nowhere,
        other => match parse_int(other).and_then(|n| u8::try_from(n).ok()) {
            Some(n) => Scope::Number(n),
            None => {
                l.push(
                    Diagnostic::error(w.span, format!("invalid scope '{}'", w.text))
                        .with_help("use global, site, link, host, nowhere or a number 0..255"),
                );
                return None;
            }
        },
    };
    Some(s)
}

/// One address line: the address, then its options (each checked on its own).
fn lower_entry(l: &mut Lower, e: &Stmt) -> Option<IpAddress> {
    l.no_block(e);
    let (net, prefix_written) = l.net_word(&e.keyword, "virtual_ipaddress")?;
    let mut a = IpAddress {
        span: e.span(),
        net,
        prefix_written,
        dev: None,
        broadcast: None,
        scope: None,
        label: None,
        peer: None,
        home: false,
        nodad: false,
        mngtmpaddr: false,
        noprefixroute: false,
        autojoin: false,
        no_track: false,
        preferred_lft: None,
        use_vmac: false,
    };
    let mut words = e.args.iter();
    while let Some(opt) = words.next() {
        let value = if option_needs_value(&opt.text) {
            let Some(v) = words.next() else {
                missing_value(l, opt);
                break;
            };
            Some(v)
        } else {
            None
        };
        apply_option(l, &mut a, opt, value);
        l.check_performed(super::keywords::sections::ADDRESS_OPTION, opt);
    }
    Some(a)
}

fn option_needs_value(opt: &str) -> bool {
    matches!(
        opt,
        address::DEV
            | address::BRD
            | address::BROADCAST
            | address::SCOPE
            | address::LABEL
            | address::PEER
            | address::PREFERRED_LFT
    )
}

fn missing_value(l: &mut Lower, opt: &Word) {
    l.push(
        Diagnostic::error(
            opt.span,
            format!("`{}` in an ip address entry is missing its value", opt.text),
        )
        .with_help(format!("write `{} VALUE`", opt.text)),
    );
}

/// Sets the option `opt` (with its `value` when it takes one) on `a`.
fn apply_option(l: &mut Lower, a: &mut IpAddress, opt: &Word, value: Option<&Word>) {
    let family = a.net.value.family();
    match (opt.text.as_str(), value) {
        (address::DEV, Some(v)) => a.dev = Some(dev(l, v)),
        (address::BRD | address::BROADCAST, Some(v)) => {
            if family == Family::V6 {
                l.push(Diagnostic::error(
                    opt.span,
                    "broadcast is not valid for an IPv6 address",
                ));
                return;
            }
            a.broadcast = broadcast(l, v).map(|b| Spanned::new(b, v.span));
        }
        (address::SCOPE, Some(v)) => {
            if family == Family::V6 {
                l.push(
                    Diagnostic::error(opt.span, "scope is not valid for an IPv6 address")
                        .with_help("keepalived rejects scope for IPv6 addresses"),
                );
                return;
            }
            a.scope = scope_word(l, v).map(|s| Spanned::new(s, v.span));
        }
        (address::LABEL, Some(v)) => {
            if family == Family::V6 {
                l.push(
                    Diagnostic::error(opt.span, "label is not valid for an IPv6 address")
                        .with_help("keepalived rejects labels for IPv6 addresses"),
                );
                return;
            }
            if let Some(label) = label(l, v) {
                a.label = Some(label);
            }
        }
        (address::PEER, Some(v)) => {
            if let Some((p, _)) = l.net_word(v, address::PEER) {
                a.peer = Some(p);
            }
        }
        (address::PREFERRED_LFT, Some(v)) => {
            a.preferred_lft = preferred_lft(l, v).map(|x| Spanned::new(x, v.span));
        }
        (address::HOME, None) => a.home = true,
        (address::NODAD, None) => a.nodad = true,
        (address::MNGTMPADDR, None) => a.mngtmpaddr = true,
        (address::NOPREFIXROUTE, None) => a.noprefixroute = true,
        (address::AUTOJOIN, None) => a.autojoin = true,
        (address::NO_TRACK, None) => a.no_track = true,
        (address::USE_VMAC, None) => a.use_vmac = true,
        (other, _) => unknown_option(l, opt, other),
    }
}

/// `dev IF`: kept even when too long (reported).
fn dev(l: &mut Lower, v: &Word) -> Spanned<String> {
    if v.text.len() > IFNAME_MAX {
        l.push(
            Diagnostic::error(v.span, format!("interface name '{}' is too long", v.text))
                .with_help("interface names have at most 15 characters"),
        );
    }
    Spanned::new(v.text.as_str().to_owned(), v.span)
}

/// `brd ADDR|+|-`.
fn broadcast(l: &mut Lower, v: &Word) -> Option<Broadcast> {
    match v.text.as_str() {
        "+" => Some(Broadcast::Plus),
        "-" => Some(Broadcast::Minus),
        t => match t.parse::<IpAddr>() {
            Ok(IpAddr::V4(x)) => Some(Broadcast::Addr(x)),
            _ => {
                l.push(
                    Diagnostic::error(v.span, format!("invalid broadcast address '{}'", v.text))
                        .with_help(
                            "write an IPv4 address, `+` (host bits set) or `-` (host bits cleared)",
                        ),
                );
                None
            }
        },
    }
}

/// `label LABEL`: at most IFNAMSIZ - 1 characters.
fn label(l: &mut Lower, v: &Word) -> Option<Spanned<String>> {
    if v.text.len() > IFNAME_MAX {
        l.push(
            Diagnostic::error(v.span, format!("label '{}' is too long", v.text))
                .with_help("labels have at most 15 characters, conventionally `eth0:1`"),
        );
        return None;
    }
    Some(Spanned::new(v.text.as_str().to_owned(), v.span))
}

/// `preferred_lft N|forever`.
fn preferred_lft(l: &mut Lower, v: &Word) -> Option<Lifetime> {
    if v.text == address::FOREVER {
        Some(Lifetime::Forever)
    } else {
        l.int_word(v, address::PREFERRED_LFT, 0, i64::from(u32::MAX))
            .and_then(|n| u32::try_from(n.value).ok())
            .map(Lifetime::Secs)
    }
}

/// keepalived's `Unknown configuration entry`, with a hint for two addresses on one line.
fn unknown_option(l: &mut Lower, opt: &Word, other: &str) {
    let mut d = Diagnostic::error(
        opt.span,
        format!("Unknown configuration entry '{other}' for ip address - ignoring"),
    )
    .with_label("keepalived ignores this word");
    if other.parse::<IpAddr>().is_ok() || other.contains('/') {
        d = d.with_help("write one address per line");
    } else {
        d = d.with_help(
            "options are dev, brd, scope, label, peer, home, -nodad, mngtmpaddr, noprefixroute, autojoin, no_track, preferred_lft, use_vmac",
        );
    }
    l.push(d);
}
