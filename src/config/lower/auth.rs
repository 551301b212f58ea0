//! `authentication { auth_type PASS|AH; auth_pass STR }` (docs/keepalived-compat.md#vrrp_instance-keywords).

use super::keywords::auth;
use super::{Index, Lower, Section};
use crate::config::diag::Diagnostic;
use crate::config::model::{AuthType, Authentication};
use crate::config::read::syntax::Stmt;
use crate::config::span::Spanned;

/// Bytes of the password carried in a VRRPv2 advert.
pub(crate) const AUTH_PASS_LEN: usize = 8;

pub(crate) fn lower(l: &mut Lower, s: &Stmt) -> Option<Authentication> {
    let b = l.block_no_args(s)?;
    let mut a = Authentication {
        span: s.keyword.span,
        auth_type: None,
        auth_pass: None,
        rejected: false,
    };
    l.section(&b.stmts, &AUTH, &mut a);
    Some(a)
}

pub(super) static AUTH: Section<Authentication> = Section {
    name: "authentication",
    ignored: &[],
    also_known: &[],
    index: Index::new(),
    keywords: &[
        (auth::AUTH_TYPE, |l, s, a| {
            l.no_block(s);
            let Some(w) = l.arg(s, 0) else { return };
            l.extra(s, 1);
            let t = match w.text.as_str() {
                "PASS" => AuthType::Pass,
                "AH" => AuthType::Ah,
                other => {
                    let mut d =
                        Diagnostic::error(w.span, format!("unknown authentication type '{other}'"));
                    d = if other.eq_ignore_ascii_case("pass") || other.eq_ignore_ascii_case("ah") {
                        d.with_help(format!(
                            "auth_type is case-sensitive: write `{}`",
                            other.to_ascii_uppercase()
                        ))
                    } else {
                        d.with_help("auth_type must be PASS or AH")
                    };
                    l.push(d);
                    a.rejected = true;
                    return;
                }
            };
            a.auth_type = Some(Spanned::new(t, w.span));
        }),
        (auth::AUTH_PASS, |l, s, a| {
            l.no_block(s);
            let Some(w) = l.arg(s, 0) else { return };
            l.extra(s, 1);
            let mut bytes = w.text.as_bytes().to_vec();
            if bytes.len() > AUTH_PASS_LEN {
                bytes.truncate(AUTH_PASS_LEN);
                l.push(
                    Diagnostic::warning(w.span, "Truncating auth_pass to 8 characters")
                        .with_label(format!("only '{}' is used", String::from_utf8_lossy(&bytes)))
                        .with_help("VRRPv2 carries at most 8 bytes of password; the peer must use the same first 8"),
                );
            }
            a.auth_pass = Some(Spanned::new(bytes, w.span));
        }),
    ],
};
