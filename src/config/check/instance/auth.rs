//! The authentication step (docs/keepalived-compat.md#vrrp_instance-keywords): kept only for VRRPv2 outside strict
//! mode, with a type and a password.

use super::Written;
use crate::config::diag::Diagnostic;
use crate::config::model::{AuthType, Derived, Effective, Family, InitialState, Version};

/// Authentication: ignored (with a warning saying why) unless it can be used; AH clears a
/// non-owner's `state MASTER`.
pub(super) fn derive_auth(
    w: &Written,
    strict: bool,
    family: Family,
    version: Version,
    owner: bool,
    e: &mut Effective,
    d: &mut Vec<Diagnostic>,
) {
    let name = w.name;
    e.auth = Derived::default_value(None);
    let Some(a) = &w.inst.authentication else {
        return;
    };
    let span = a.auth_type.as_ref().map(|t| t.span).unwrap_or(a.span);
    let pass = a
        .auth_pass
        .as_ref()
        .map(|p| p.value.clone())
        .unwrap_or_default();
    let ignored = |why: String, help: &str, d: &mut Vec<Diagnostic>| {
        d.push(Diagnostic::warning(a.span, why).with_help(help.to_string()));
    };
    if version == Version::V3 {
        ignored(
            format!("({name}) VRRP version 3 does not support authentication. Ignoring."),
            "remove the authentication block (VRRPv3 has no authentication), or use `version 2` on every node",
            d,
        );
    } else if strict {
        ignored(
            format!("({name}) authentication is not allowed in strict mode. Ignoring."),
            "strict mode (vrrp_strict) forbids authentication; remove the block or strict mode",
            d,
        );
    } else if let Some(t) = &a.auth_type {
        if t.value == AuthType::Ah && family == Family::V6 {
            ignored(
                format!("({name}) AH authentication is not supported with IPv6. Ignoring."),
                "remove the authentication block",
                d,
            );
        } else if family == Family::V6 {
            // keepalived's VRRPv2 over IPv6 has no room for the password (it is only copied
            // into IPv4 adverts).
            ignored(
                format!("({name}) PASS authentication is not supported with IPv6. Ignoring."),
                "remove the authentication block",
                d,
            );
        } else if pass.is_empty() {
            ignored(
                format!("({name}) authentication has no auth_pass. Ignoring."),
                "add `auth_pass SECRET` (at most 8 characters)",
                d,
            );
        } else {
            e.auth = Derived::written(Some((t.value, pass)), span);
            if t.value == AuthType::Ah && e.state.value == Some(InitialState::Master) && !owner {
                d.push(
                    Diagnostic::warning(t.span, format!("({name}) Initial state master is incompatible with AH authentication - clearing"))
                        .with_help("the instance starts as BACKUP; write `state BACKUP`"),
                );
                e.state = Derived::because(
                    Some(InitialState::Backup),
                    "AH authentication with a non-owner MASTER (docs/keepalived-compat.md#vrrp_instance-keywords)",
                );
            }
        }
    } else if !a.rejected {
        ignored(
            format!("({name}) authentication block has no auth_type. Ignoring."),
            "add `auth_type PASS`",
            d,
        );
    }
}
