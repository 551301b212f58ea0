//! `--check-interfaces`: checks against facts about the host gathered by the CLI (this module
//! does no I/O), as keepalived `-t` does against the machine it runs on (docs/keepalived-compat.md#configuration-test-and-exit-statuses).

use crate::config::diag::Diagnostic;
use crate::config::model::{Config, IpNet};
use crate::config::span::Span;

/// Facts about the host's interfaces, gathered by the shell (this module does no I/O): the
/// one interface table of the runtime too (`plan::host`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HostInfo {
    pub interfaces: Vec<HostInterface>,
}

/// An address configured on a host interface.
pub type HostAddr = IpNet;

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HostInterface {
    pub name: String,
    pub index: u32,
    /// IFF_UP and IFF_RUNNING (keepalived's "up").
    pub up: bool,
    pub is_loopback: bool,
    pub multicast: bool,
    pub addrs: Vec<HostAddr>,
    /// The hardware address when it is an Ethernet MAC (gratuitous ARP / NA frames).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<crate::wire::garp::Mac>,
    /// IFF_NOARP: no gratuitous ARP (docs/keepalived-compat.md#gratuitous-arp-and-unsolicited-na).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub noarp: bool,
}

/// `--check-interfaces`: what keepalived `-t` checks against the machine it runs on (docs/keepalived-compat.md#configuration-test-and-exit-statuses):
/// instance/VIP/tracked interfaces exist, are not loopback, can multicast; the unicast source
/// address is configured locally. With `dynamic_interfaces` a missing interface is a warning.
pub fn check_host(config: &Config, host: &HostInfo) -> Vec<Diagnostic> {
    let mut d = Vec::new();
    let dynamic = config
        .global
        .dynamic_interfaces
        .as_ref()
        .is_some_and(|x| x.value);
    let find = |n: &str| host.interfaces.iter().find(|i| i.name == n);
    let missing = |d: &mut Vec<Diagnostic>, span: Span, msg: String| {
        let help = "create the interface, fix the name, or set `dynamic_interfaces` in global_defs to start the instance in FAULT until it appears";
        d.push(if dynamic {
            Diagnostic::warning(span, msg).with_help(help)
        } else {
            Diagnostic::error(span, msg).with_help(help)
        });
    };
    for i in &config.instances {
        let name = &i.name.value;
        if let Some(ifn) = &i.interface {
            match find(&ifn.value) {
                None => missing(
                    &mut d,
                    ifn.span,
                    format!(
                        "interface {} for vrrp_instance {name} doesn't exist",
                        ifn.value
                    ),
                ),
                Some(h) if h.is_loopback => d.push(
                    Diagnostic::error(
                        ifn.span,
                        format!(
                            "({name}) cannot use a loopback interface ({}) for vrrp",
                            ifn.value
                        ),
                    )
                    .with_help("use the interface that faces the other VRRP nodes"),
                ),
                Some(h) => {
                    if !h.multicast && !i.is_unicast() {
                        d.push(
                            Diagnostic::error(
                                ifn.span,
                                format!(
                                    "({name}) interface {} does not support multicast",
                                    ifn.value
                                ),
                            )
                            .with_help(
                                "configure `unicast_peer { }` or use a multicast-capable interface",
                            ),
                        );
                    }
                    if !h.up {
                        d.push(
                            Diagnostic::warning(
                                ifn.span,
                                format!("({name}) interface {} is down", ifn.value),
                            )
                            .with_help("the instance stays in FAULT until the interface is up"),
                        );
                    }
                }
            }
        }
        for v in i.vips.iter().chain(i.excluded_vips.iter()) {
            if let Some(dev) = &v.dev {
                if find(&dev.value).is_none() {
                    missing(&mut d, dev.span, format!("interface {} for virtual_ipaddress of vrrp_instance {name} doesn't exist", dev.value));
                }
            }
        }
        for t in &i.tracking.interfaces {
            if find(&t.name.value).is_none() {
                missing(
                    &mut d,
                    t.name.span,
                    format!(
                        "tracked interface {} for vrrp_instance {name} doesn't exist",
                        t.name.value
                    ),
                );
            }
        }
        if let Some(src) = &i.unicast_src_ip {
            let local = host
                .interfaces
                .iter()
                .any(|h| h.addrs.iter().any(|a| a.addr == src.value));
            if !local {
                d.push(
                    Diagnostic::warning(
                        src.span,
                        format!(
                            "({name}) unicast_src_ip {} is not configured on this host",
                            src.value
                        ),
                    )
                    .with_help("adverts cannot be sent from an address the host does not have"),
                );
            }
        }
    }
    d
}
