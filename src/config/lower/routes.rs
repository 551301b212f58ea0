//! `virtual_routes` / `static_routes` and `virtual_rules` / `static_rules` entries, kept
//! structured but simple (docs/keepalived-compat.md#vrrp_instance-keywords): the common iproute2 words are typed and
//! checked, anything else is kept verbatim in `options`.
//!
//! Routes: `[TYPE] [src A] [to] PREFIX [via|gw GW [or GW2]] [dev IF] [scope S] [table T]
//! [metric M] ... [no_track]`. Rules: `[from PFX] [to PFX] [table T] [preference N] ...
//! [no_track]`.

use super::keywords::{route, rule};
use super::values::narrow;
use super::vip::scope_word;
use super::Lower;
use crate::config::diag::Diagnostic;
use crate::config::model::{IpNet, Route, Rule, Sp};
use crate::config::read::syntax::{Stmt, Word};
use crate::config::span::Spanned;

const ROUTE_TYPES: &[&str] = &[
    "unicast",
    "blackhole",
    "unreachable",
    "prohibit",
    "throw",
    "local",
    "broadcast",
    "multicast",
    "anycast",
    "nat",
];

fn words(e: &Stmt) -> Vec<&Word> {
    std::iter::once(&e.keyword).chain(e.args.iter()).collect()
}

fn need<'w>(
    l: &mut Lower,
    opt: &Word,
    it: &mut impl Iterator<Item = &'w Word>,
) -> Option<&'w Word> {
    let v = it.next();
    if v.is_none() {
        l.push(
            Diagnostic::error(opt.span, format!("`{}` is missing its value", opt.text))
                .with_help(format!("write `{} VALUE`", opt.text)),
        );
    }
    v
}

fn prefix(l: &mut Lower, w: &Word, what: &str) -> Option<Sp<IpNet>> {
    if w.text == "default" {
        return Some(Spanned::new(
            IpNet {
                addr: std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
                prefix: 0,
            },
            w.span,
        ));
    }
    l.net_word(w, what).map(|(n, _)| n)
}

pub(crate) fn lower_routes(l: &mut Lower, stmts: &[Stmt]) -> Vec<Route> {
    stmts.iter().filter_map(|e| lower_route(l, e)).collect()
}

fn lower_route(l: &mut Lower, e: &Stmt) -> Option<Route> {
    l.no_block(e);
    let mut r = Route {
        span: e.span(),
        kind: None,
        dest: None,
        src: None,
        via: None,
        or_via: None,
        dev: None,
        table: None,
        metric: None,
        scope: None,
        no_track: false,
        options: Vec::new(),
    };
    let ws = words(e);
    let mut it = ws.into_iter().peekable();
    if let Some(w) = it.peek() {
        if ROUTE_TYPES.contains(&w.text.as_str()) {
            r.kind = Some(Spanned::new(w.text.as_str().to_owned(), w.span));
            it.next();
        }
    }
    while let Some(w) = it.next() {
        match w.text.as_str() {
            route::SRC => {
                if let Some(v) = need(l, w, &mut it) {
                    r.src = l.ip_word(v, "route src");
                }
            }
            route::TO => {
                if let Some(v) = need(l, w, &mut it) {
                    r.dest = prefix(l, v, "route destination");
                }
            }
            route::VIA | route::GW => {
                if w.text == route::GW {
                    l.push(
                        Diagnostic::warning(w.span, "\"gw\" for routes is deprecated")
                            .with_help("use `via` instead"),
                    );
                }
                if let Some(v) = need(l, w, &mut it) {
                    r.via = l.ip_word(v, "route gateway");
                }
            }
            route::OR => {
                l.check_performed(super::keywords::sections::ROUTE_OPTION, w);
                l.push(
                    Diagnostic::warning(w.span, "\"or\" for routes is deprecated")
                        .with_help("use `nexthop` instead"),
                );
                if let Some(v) = need(l, w, &mut it) {
                    r.or_via = l.ip_word(v, "route gateway");
                }
            }
            route::DEV | route::OIF => {
                if let Some(v) = need(l, w, &mut it) {
                    r.dev = Some(Spanned::new(v.text.as_str().to_owned(), v.span));
                }
            }
            route::TABLE => {
                if let Some(v) = need(l, w, &mut it) {
                    r.table = Some(Spanned::new(v.text.as_str().to_owned(), v.span));
                }
            }
            route::METRIC | route::PRIORITY | route::PREFERENCE => {
                if let Some(v) = need(l, w, &mut it) {
                    r.metric = l
                        .int_word(v, "route metric", 0, i64::from(u32::MAX))
                        .and_then(narrow);
                }
            }
            route::SCOPE => {
                if let Some(v) = need(l, w, &mut it) {
                    r.scope = scope_word(l, v).map(|s| Spanned::new(s, v.span));
                }
            }
            route::NO_TRACK => r.no_track = true,
            t if r.dest.is_none()
                && (t == "default" || t.parse::<std::net::IpAddr>().is_ok() || t.contains('/')) =>
            {
                r.dest = prefix(l, w, "route destination");
            }
            _ => r
                .options
                .push(Spanned::new(w.text.as_str().to_owned(), w.span)),
        }
    }
    if r.dest.is_none() {
        l.push(
            Diagnostic::error(e.keyword.span, "route has no destination prefix").with_help(
                "write `PREFIX [via GW] [dev IF] ...`, e.g. `10.0.0.0/8 via 192.168.1.1`",
            ),
        );
    }
    Some(r)
}

pub(crate) fn lower_rules(l: &mut Lower, stmts: &[Stmt]) -> Vec<Rule> {
    stmts.iter().filter_map(|e| lower_rule(l, e)).collect()
}

fn lower_rule(l: &mut Lower, e: &Stmt) -> Option<Rule> {
    l.no_block(e);
    let mut r = Rule {
        span: e.span(),
        from: None,
        to: None,
        table: None,
        preference: None,
        no_track: false,
        options: Vec::new(),
    };
    let ws = words(e);
    let mut it = ws.into_iter();
    while let Some(w) = it.next() {
        match w.text.as_str() {
            rule::FROM => {
                if let Some(v) = need(l, w, &mut it) {
                    r.from = if v.text == rule::ALL {
                        None
                    } else {
                        prefix(l, v, "rule from")
                    };
                }
            }
            rule::TO => {
                if let Some(v) = need(l, w, &mut it) {
                    r.to = if v.text == rule::ALL {
                        None
                    } else {
                        prefix(l, v, "rule to")
                    };
                }
            }
            rule::TABLE | rule::LOOKUP => {
                if let Some(v) = need(l, w, &mut it) {
                    r.table = Some(Spanned::new(v.text.as_str().to_owned(), v.span));
                }
            }
            rule::PREFERENCE | rule::PREF | rule::PRIORITY | rule::PRIO => {
                if let Some(v) = need(l, w, &mut it) {
                    r.preference = l
                        .int_word(v, "rule preference", 0, i64::from(u32::MAX))
                        .and_then(narrow);
                }
            }
            rule::NO_TRACK => r.no_track = true,
            _ => r
                .options
                .push(Spanned::new(w.text.as_str().to_owned(), w.span)),
        }
    }
    Some(r)
}
