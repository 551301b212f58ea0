//! Addresses in keepalived's dump form (`format_ipaddress` in 2.2.7, docs/keepalived-compat.md#dump-files):
//! `ADDR[/LEN] [brd B] dev IF scope S [label L] [no_track] [IPv6 lifetime] [set]`.
//!
//! The prefix length is left out for a host address (/32, /128); `brd` only when one was
//! configured (IPv4); the scope by its `rt_scopes` name; an IPv6 address says `deprecated`
//! when it is a /128 (keepalived's default preferred lifetime 0 for those) and
//! `preferred_lft forever` otherwise; `set` when this node holds the address now.

use std::net::IpAddr;

use crate::proto::VipSpec;

/// `v` as keepalived's dumps write it; `set`: this node holds it.
pub fn vip_text(v: &VipSpec, set: bool) -> String {
    let host = if v.addr.is_ipv4() { 32 } else { 128 };
    let mut s = v.addr.to_string();
    if v.prefix_len != host {
        s.push_str(&format!("/{}", v.prefix_len));
    }
    if let (IpAddr::V4(_), Some(b)) = (v.addr, v.broadcast) {
        s.push_str(&format!(" brd {b}"));
    }
    s.push_str(&format!(" dev {} scope {}", v.ifname, scope_name(v.scope)));
    if let Some(l) = &v.label {
        s.push_str(&format!(" label {l}"));
    }
    if v.no_track {
        s.push_str(" no_track");
    }
    if v.addr.is_ipv6() {
        s.push_str(if v.prefix_len == 128 {
            " deprecated"
        } else {
            " preferred_lft forever"
        });
    }
    if set {
        s.push_str(" set");
    }
    s
}

/// `/etc/iproute2/rt_scopes` names, as keepalived prints them; others by number.
pub fn scope_name(scope: u8) -> String {
    match scope {
        0 => "global".into(),
        200 => "site".into(),
        253 => "link".into(),
        254 => "host".into(),
        255 => "nowhere".into(),
        n => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalived_forms() {
        let mut v = VipSpec::parse("10.0.0.100/24", "eth0");
        assert_eq!(
            vip_text(&v, true),
            "10.0.0.100/24 dev eth0 scope global set"
        );
        v.label = Some("eth0:1".into());
        assert_eq!(
            vip_text(&v, false),
            "10.0.0.100/24 dev eth0 scope global label eth0:1"
        );
        let mut h = VipSpec::parse("10.0.0.102", "eth0");
        h.broadcast = Some("10.0.0.255".parse().unwrap());
        h.scope = 253;
        assert_eq!(
            vip_text(&h, true),
            "10.0.0.102 brd 10.0.0.255 dev eth0 scope link set"
        );
        let six = VipSpec::parse("fd00::1/64", "eth0");
        assert_eq!(
            vip_text(&six, false),
            "fd00::1/64 dev eth0 scope global preferred_lft forever"
        );
    }
}
