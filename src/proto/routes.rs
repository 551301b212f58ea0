//! `virtual_routes` and `virtual_rules` (docs/keepalived-compat.md#vrrp_instance-keywords): installed while
//! MASTER, after the addresses; removed before them (docs/keepalived-compat.md#state-machine, docs/keepalived-compat.md#removing-addresses).
//!
//! The specs are resolved and structured so the shell can build `RTM_NEWROUTE` /
//! `RTM_NEWRULE` messages without parsing text: every optional attribute is an `Option`,
//! `None` meaning "not written in keepalived.conf, let the kernel default apply".

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// An address with a prefix length, e.g. `192.168.10.0/24`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Prefix {
    pub addr: IpAddr,
    pub len: u8,
}

impl Prefix {
    /// Parses `ADDR[/LEN]` (host prefix by default); panics on a malformed literal
    /// (builder use; the integrator fills the fields).
    pub fn parse(text: &str) -> Prefix {
        let (addr, len) = match text.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (text, None),
        };
        let addr: IpAddr = addr
            .parse()
            .unwrap_or_else(|_| panic!("bad prefix literal {text:?}"));
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = match len {
            Some(l) => l
                .parse::<u8>()
                .ok()
                .filter(|l| *l <= max)
                .unwrap_or_else(|| panic!("bad prefix length in {text:?}")),
            None => max,
        };
        Prefix { addr, len }
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// One `virtual_routes` entry: `[src A] [to] PREFIX [via|gw GW] [dev IF] [scope S]
/// [table T] [metric M] [protocol P] [onlink] [no_track]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RouteSpec {
    /// Destination (`to PREFIX`).
    pub dst: Prefix,
    /// `via` / `gw`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<IpAddr>,
    /// Preferred source (`src`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src: Option<IpAddr>,
    /// Output device name (`dev`); the shell resolves the index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<String>,
    /// rtnetlink scope number (`scope link` = 253, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<u8>,
    /// Routing table id (`table`, default main).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<u32>,
    /// `metric` / `priority` / `preference`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<u32>,
    /// `protocol` number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<u8>,
    /// Route type other than unicast (`blackhole`, `unreachable`, `prohibit`, ...), as
    /// keepalived.conf writes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default)]
    pub onlink: bool,
    /// `no_track`: an external deletion is not reacted to.
    #[serde(default)]
    pub no_track: bool,
}

impl RouteSpec {
    /// `to PREFIX` with nothing else set (builder).
    pub fn to(prefix: &str) -> RouteSpec {
        RouteSpec {
            dst: Prefix::parse(prefix),
            via: None,
            src: None,
            dev: None,
            scope: None,
            table: None,
            metric: None,
            protocol: None,
            kind: None,
            onlink: false,
            no_track: false,
        }
    }

    /// `via GW` (builder; panics on a malformed literal).
    pub fn via(mut self, gw: &str) -> RouteSpec {
        self.via = Some(gw.parse().unwrap_or_else(|_| panic!("bad gateway {gw:?}")));
        self
    }

    pub fn dev(mut self, ifname: &str) -> RouteSpec {
        self.dev = Some(ifname.into());
        self
    }

    pub fn table(mut self, table: u32) -> RouteSpec {
        self.table = Some(table);
        self
    }

    pub fn no_track(mut self) -> RouteSpec {
        self.no_track = true;
        self
    }

    /// The same route, ignoring `no_track` (what netlink can report back).
    pub fn same_route(&self, other: &RouteSpec) -> bool {
        RouteSpec {
            no_track: false,
            ..self.clone()
        } == RouteSpec {
            no_track: false,
            ..other.clone()
        }
    }
}

impl fmt::Display for RouteSpec {
    /// iproute2-like, as in keepalived's configuration and logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(kind) = &self.kind {
            write!(f, "{kind} ")?;
        }
        write!(f, "{}", self.dst)?;
        if let Some(via) = self.via {
            write!(f, " via {via}")?;
        }
        if let Some(src) = self.src {
            write!(f, " src {src}")?;
        }
        if let Some(dev) = &self.dev {
            write!(f, " dev {dev}")?;
        }
        if let Some(table) = self.table {
            write!(f, " table {table}")?;
        }
        if let Some(metric) = self.metric {
            write!(f, " metric {metric}")?;
        }
        Ok(())
    }
}

/// One `virtual_rules` entry: `[from PREFIX] [to PREFIX] [iif IF] [oif IF] [fwmark M]
/// [tos T] [preference N] table T [no_track]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RuleSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Prefix>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Prefix>,
    /// `table` / `lookup`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<u32>,
    /// `preference` / `priority` / `order`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preference: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iif: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oif: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fwmark: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tos: Option<u8>,
    /// `no_track`: an external deletion is not reacted to.
    #[serde(default)]
    pub no_track: bool,
}

impl RuleSpec {
    /// `from PREFIX table T` (builder).
    pub fn from_table(prefix: &str, table: u32) -> RuleSpec {
        RuleSpec {
            from: Some(Prefix::parse(prefix)),
            table: Some(table),
            ..RuleSpec::default()
        }
    }

    /// The same rule, ignoring `no_track`.
    pub fn same_rule(&self, other: &RuleSpec) -> bool {
        RuleSpec {
            no_track: false,
            ..self.clone()
        } == RuleSpec {
            no_track: false,
            ..other.clone()
        }
    }
}

impl fmt::Display for RuleSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(from) = self.from {
            parts.push(format!("from {from}"));
        }
        if let Some(to) = self.to {
            parts.push(format!("to {to}"));
        }
        if let Some(iif) = &self.iif {
            parts.push(format!("iif {iif}"));
        }
        if let Some(oif) = &self.oif {
            parts.push(format!("oif {oif}"));
        }
        if let Some(mark) = self.fwmark {
            parts.push(format!("fwmark {mark:#x}"));
        }
        if let Some(pref) = self.preference {
            parts.push(format!("preference {pref}"));
        }
        if let Some(table) = self.table {
            parts.push(format!("table {table}"));
        }
        if parts.is_empty() {
            parts.push("all".into());
        }
        f.write_str(&parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_print_like_iproute2_and_compare_without_no_track() {
        let r = RouteSpec::to("192.168.10.0/24")
            .via("10.0.0.254")
            .dev("eth1");
        assert_eq!(r.to_string(), "192.168.10.0/24 via 10.0.0.254 dev eth1");
        assert!(r.same_route(&r.clone().no_track()));
        assert!(!r.same_route(&r.clone().table(100)));
        let rule = RuleSpec::from_table("10.0.0.100", 100);
        assert_eq!(rule.to_string(), "from 10.0.0.100/32 table 100");
        assert_eq!(RuleSpec::default().to_string(), "all");
        assert_eq!(Prefix::parse("fe80::/64").len, 64);
    }

    #[test]
    fn specs_round_trip_through_json() {
        let r = RouteSpec::to("0.0.0.0/0").via("10.0.0.254").table(100);
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<RouteSpec>(&text).unwrap(), r);
        let min: RouteSpec =
            serde_json::from_str(r#"{"dst":{"addr":"10.1.0.0","len":16}}"#).unwrap();
        assert_eq!(min, RouteSpec::to("10.1.0.0/16"));
    }
}
