//! Performs the core's [`Action`]s through a [`Sys`]: the small, testable part of the shell
//! that turns "send this advert" into an IPv4 header with keepalived's ID counter, "add this
//! VIP" into a netlink request with keepalived's label/brd/scope, and "send a GARP" into a
//! frame from `wire::garp` (docs/keepalived-compat.md#advert-packet-layout, docs/keepalived-compat.md#gratuitous-arp-and-unsolicited-na, docs/keepalived-compat.md#adding-addresses, docs/keepalived-compat.md#removing-addresses). Virtual routes
//! and rules go through netlink too, and are remembered so a deletion by hand reaches the core.

use std::collections::HashMap;
use std::net::IpAddr;

use tracing::{debug, error, info, warn};

use super::Sys;
use crate::plan::HostInterface;
use crate::proto::{Action, Input, LogLevel, NotifyTarget, VipSpec};
use crate::proto::{RouteSpec, RuleSpec};
use crate::sys::hooks::Hooks;
use crate::sys::netlink::{Removed, Vip};
use crate::sys::routes::{
    route_key, route_message, rule_key, rule_message, Deleted, RouteKey, RuleKey,
};
use crate::sys::{Privilege, SysError};
use crate::wire::garp::{garp_frame, unsolicited_na_frame};
use crate::wire::{IpId, Ipv4Repr};

/// The action executor and the interface table.
#[derive(Debug, Default)]
pub struct Exec {
    /// The interface table by name: the plan's host snapshot (`plan::host`), kept fresh from
    /// the netlink monitor.
    pub ifaces: HashMap<String, HostInterface>,
    /// The notify scripts and FIFOs (docs/keepalived-compat.md#running-scripts, docs/keepalived-compat.md#notifications, docs/keepalived-compat.md#sync-groups): every `Action::Notify` goes here.
    pub hooks: Option<Hooks>,
    /// keepalived's per-instance IPv4 ID counters (docs/keepalived-compat.md#advert-packet-layout).
    ip_ids: HashMap<String, IpId>,
    /// `-V/--dont-release-vrrp`: the loop stops the core with `Input::Stop { release: false }`,
    /// so the core sends no priority-0 advert and removes no VIP, route or rule
    /// (docs/keepalived-compat.md#removing-addresses). The policy is the core's; nothing here
    /// filters actions.
    pub keep_vips_on_stop: bool,
    /// The stop sequence has begun.
    pub stopping: bool,
    /// `-a/--address-monitoring`: log every address change netlink reports.
    pub log_addresses: bool,
    /// Virtual routes and rules we installed, by the key the kernel reports them with, so a
    /// deletion by hand can be told to the core (docs/keepalived-compat.md#addresses-deleted-while-master).
    routes: Vec<(RouteKey, RouteSpec)>,
    rules: Vec<(RuleKey, RuleSpec)>,
    /// The last send error per interface, so a dead link logs once, not once per advert.
    send_errors: HashMap<u32, String>,
    /// `--record-events`: every input the node is given, as replay lines (the loop writes
    /// them; kept here because the loop hands `Exec` to everything it calls).
    pub recorder: Option<super::record::Recorder>,
    /// The instances held in FAULT for want of their VRRP sockets (daemon/sockets.rs).
    pub sockets: super::sockets::Sockets,
}

/// An error that ends the daemon: the privileges to change addresses are missing, or the
/// kernel refuses a VIP the MASTER must hold.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Fatal(pub SysError);

impl Exec {
    pub fn new(ifaces: HashMap<String, HostInterface>, keep_vips_on_stop: bool) -> Exec {
        Exec {
            ifaces,
            keep_vips_on_stop,
            ..Exec::default()
        }
    }

    /// The core's input for a route or rule the kernel deleted, when it is one of ours.
    pub fn deleted_input(&mut self, d: Deleted) -> Option<Input> {
        match d {
            Deleted::Route(key) => {
                let i = self.routes.iter().position(|(k, _)| *k == key)?;
                let (_, spec) = self.routes.swap_remove(i);
                Some(Input::Route { spec, added: false })
            }
            Deleted::Rule(key) => {
                let i = self.rules.iter().position(|(k, _)| k.matches(&key))?;
                let (_, spec) = self.rules.swap_remove(i);
                Some(Input::Rule { spec, added: false })
            }
        }
    }

    pub fn name_of(&self, index: u32) -> Option<&str> {
        self.ifaces
            .iter()
            .find(|(_, i)| i.index == index)
            .map(|(n, _)| n.as_str())
    }

    /// Performs one action. Only missing privileges are fatal; everything else is logged and
    /// the daemon carries on, as keepalived does.
    pub async fn perform<S: Sys>(&mut self, sys: &mut S, action: Action) -> Result<(), Fatal> {
        match action {
            Action::Log { level, message } => log(level, &message),
            Action::Notify {
                target,
                event,
                priority,
            } => {
                let who = match &target {
                    NotifyTarget::Instance(n) => format!("INSTANCE \"{n}\""),
                    NotifyTarget::Group(n) => format!("GROUP \"{n}\""),
                };
                debug!(target: "vrrpd", "notify {who} {} {priority}", event.word());
                if let Some(h) = &mut self.hooks {
                    h.notify(&target, event, priority);
                }
            }
            Action::SendAdvert {
                instance,
                ifindex,
                ifname,
                src,
                dst,
                ttl,
                bytes,
            } => {
                let sent = match (src, dst) {
                    (IpAddr::V4(src), IpAddr::V4(dst)) => {
                        let id = self.ip_ids.entry(instance).or_default().next_id();
                        let header = Ipv4Repr::vrrp(src, dst, ttl, id, bytes.len());
                        sys.send_advert(ifindex, &header, &bytes).await
                    }
                    (IpAddr::V6(src), IpAddr::V6(dst)) => {
                        sys.send_advert6(ifindex, src, dst, ttl, &bytes).await
                    }
                    _ => return Ok(()),
                };
                match sent {
                    Ok(()) => {
                        self.send_errors.remove(&ifindex);
                    }
                    Err(e) => {
                        let text = e.to_string();
                        if self.send_errors.get(&ifindex) != Some(&text) {
                            error!(target: "vrrpd", "{text} ({ifname})");
                            self.send_errors.insert(ifindex, text);
                        }
                    }
                }
            }
            Action::AddVip { instance, vip } => {
                let Some(nl) = self.vip(&vip) else {
                    info!(target: "vrrpd", "Not adding address {} to {} since interface doesn't exist", vip.addr, vip.ifname);
                    return Ok(());
                };
                if let Err(e) = sys.add_vip(&nl).await {
                    // A MASTER that cannot hold its address is no master: stop (priority 0,
                    // everything released) so the peer takes over, and exit non-zero.
                    if !self.stopping {
                        return Err(Fatal(SysError::Os {
                            what: format!(
                                "add address {}/{} to {} for ({instance})",
                                vip.addr, vip.prefix_len, vip.ifname
                            ),
                            source: std::io::Error::other(match e {
                                SysError::Os { source, .. } => source.to_string(),
                                other => other.to_string(),
                            }),
                        }));
                    }
                    return fatal_or_log(e, &instance);
                }
            }
            Action::DelVip { instance, vip } => {
                let Some(nl) = self.vip(&vip) else {
                    return Ok(());
                };
                match sys.del_vip(&nl).await {
                    Ok(Removed::Removed | Removed::NotPresent) => {}
                    Err(e) => return fatal_or_log(e, &instance),
                }
            }
            Action::AddRoute { instance, spec } => {
                let oif = spec
                    .dev
                    .as_ref()
                    .and_then(|d| self.ifaces.get(d))
                    .map(|i| i.index);
                if let Err(e) = sys.route(true, &spec, oif).await {
                    return fatal_or_log(e, &instance);
                }
                let key = route_key(&route_message(&spec, oif));
                self.routes.retain(|(k, _)| *k != key);
                self.routes.push((key, spec));
            }
            Action::DelRoute { instance, spec } => {
                let oif = spec
                    .dev
                    .as_ref()
                    .and_then(|d| self.ifaces.get(d))
                    .map(|i| i.index);
                let key = route_key(&route_message(&spec, oif));
                self.routes.retain(|(k, _)| *k != key);
                if let Err(e) = sys.route(false, &spec, oif).await {
                    return fatal_or_log(e, &instance);
                }
            }
            Action::AddRule { instance, spec } => {
                if let Err(e) = sys.rule(true, &spec).await {
                    return fatal_or_log(e, &instance);
                }
                let key = rule_key(&rule_message(&spec));
                self.rules.retain(|(k, _)| *k != key);
                self.rules.push((key, spec));
            }
            Action::DelRule { instance, spec } => {
                let key = rule_key(&rule_message(&spec));
                self.rules.retain(|(k, _)| *k != key);
                if let Err(e) = sys.rule(false, &spec).await {
                    return fatal_or_log(e, &instance);
                }
            }
            Action::SendGarp { ifname, ip, .. } => {
                let Some(iface) = self.ifaces.get(&ifname) else {
                    return Ok(());
                };
                let (Some(mac), false) = (iface.mac, iface.noarp) else {
                    return Ok(());
                };
                debug!(target: "vrrpd", "Sending gratuitous ARP on {ifname} for {ip}");
                if let Err(e) = sys.send_frame(iface.index, &garp_frame(mac, ip)) {
                    warn!(target: "vrrpd", "{e}");
                }
            }
            Action::SendNa { ifname, ip, .. } => {
                let Some(iface) = self.ifaces.get(&ifname) else {
                    return Ok(());
                };
                let Some(mac) = iface.mac else {
                    return Ok(());
                };
                debug!(target: "vrrpd", "Sending unsolicited Neighbour Advert on {ifname} for {ip}");
                // docs/keepalived-compat.md#gratuitous-arp-and-unsolicited-na: the Router flag is set when the interface forwards IPv6.
                let forwarding =
                    std::fs::read_to_string(format!("/proc/sys/net/ipv6/conf/{ifname}/forwarding"))
                        .is_ok_and(|v| v.trim() == "1");
                let frame = unsolicited_na_frame(mac, ip, forwarding);
                if let Err(e) = sys.send_frame(iface.index, &frame) {
                    warn!(target: "vrrpd", "{e}");
                }
            }
        }
        Ok(())
    }

    /// The netlink form of a VIP (docs/keepalived-compat.md#adding-addresses): label, brd and scope exactly as written; `None` when
    /// its interface does not exist.
    pub fn vip(&self, spec: &VipSpec) -> Option<Vip> {
        let iface = self.ifaces.get(&spec.ifname)?;
        let mut v = Vip::new(iface.index, spec.addr, spec.prefix_len);
        v.scope = spec.scope;
        v.label = spec.label.clone();
        v.broadcast = match spec.broadcast {
            Some(IpAddr::V4(b)) => Some(b),
            _ => None,
        };
        Some(v)
    }
}

fn fatal_or_log(e: SysError, instance: &str) -> Result<(), Fatal> {
    if matches!(
        e,
        SysError::Permission {
            need: Privilege::NetAdmin,
            ..
        }
    ) {
        return Err(Fatal(e));
    }
    error!(target: "vrrpd", "({instance}) {e}");
    Ok(())
}

/// Logs a core line at the matching level; `Detail` lines only show with `-D`.
pub fn log(level: LogLevel, message: &str) {
    match level {
        LogLevel::Detail => debug!(target: "vrrpd", "{message}"),
        LogLevel::Info => info!(target: "vrrpd", "{message}"),
        LogLevel::Warning => warn!(target: "vrrpd", "{message}"),
        LogLevel::Error => error!(target: "vrrpd", "{message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vips_keep_keepalived_label_brd_and_scope() {
        let ifaces = HashMap::from([(
            "eth0".to_string(),
            HostInterface {
                name: "eth0".into(),
                index: 7,
                up: true,
                ..HostInterface::default()
            },
        )]);
        let exec = Exec::new(ifaces, false);
        let mut spec = VipSpec::parse("10.0.0.100/24", "eth0");
        spec.label = Some("eth0:1".into());
        spec.broadcast = Some("10.0.0.255".parse().unwrap());
        spec.scope = 253;
        let v = exec.vip(&spec).unwrap();
        assert_eq!((v.ifindex, v.prefix, v.scope), (7, 24, 253));
        assert_eq!(v.label.as_deref(), Some("eth0:1"));
        assert_eq!(v.broadcast, Some("10.0.0.255".parse().unwrap()));
        // docs/keepalived-compat.md#adding-addresses: no brd unless written; a missing interface means "Not adding address".
        assert_eq!(
            exec.vip(&VipSpec::parse("10.0.0.101", "eth0"))
                .unwrap()
                .broadcast,
            None
        );
        assert!(exec.vip(&VipSpec::parse("10.0.0.101", "eth9")).is_none());
    }
}
