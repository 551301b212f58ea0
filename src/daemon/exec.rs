//! Performs the core's [`Action`]s through a [`Sys`]: the small, testable part of the shell
//! that turns "send this advert" into an IPv4 header with keepalived's ID counter, "add this
//! VIP" into a netlink request with keepalived's label/brd/scope, and "send a GARP" into a
//! frame from `wire::garp` (keepalived-behaviour.md §6.1, §6.8, §7.1, §7.4).

use std::collections::HashMap;
use std::net::IpAddr;

use tracing::{debug, error, info, warn};

use super::Sys;
use crate::plan::InterfaceTracker;
use crate::proto::{Action, Input, LogLevel, NotifyTarget, VipSpec, IPPROTO_VRRP};
use crate::sys::netlink::{Removed, Vip};
use crate::sys::vrrp_socket::{IpId, Ipv4Header};
use crate::sys::{Privilege, SysError};
use crate::wire::garp::{garp_frame, unsolicited_na_frame, Mac};

/// What the shell knows about one interface (kept fresh from the netlink monitor).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Iface {
    pub index: u32,
    pub mac: Option<Mac>,
    /// IFF_NOARP: no gratuitous ARP (§6.8).
    pub noarp: bool,
    /// IFF_UP and IFF_RUNNING (keepalived's "up").
    pub up: bool,
}

/// The action executor and the interface table.
#[derive(Debug, Default)]
pub struct Exec {
    pub ifaces: HashMap<String, Iface>,
    /// `track_interface` entries, fed to the core on start-up and link changes (§4.3).
    pub trackers: Vec<InterfaceTracker>,
    /// keepalived's per-instance IPv4 ID counters (§6.1).
    ip_ids: HashMap<String, IpId>,
    /// `-V/--dont-release-vrrp` and the stop sequence has begun: no priority-0 advert and no
    /// VIP removal (§7.4).
    pub keep_vips_on_stop: bool,
    pub stopping: bool,
    /// `-a/--address-monitoring`: log every address change netlink reports.
    pub log_addresses: bool,
    /// The last send error per interface, so a dead link logs once, not once per advert.
    send_errors: HashMap<u32, String>,
}

/// An error that ends the daemon: the privileges to change addresses are missing.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Fatal(pub SysError);

impl Exec {
    pub fn new(ifaces: HashMap<String, Iface>, keep_vips_on_stop: bool) -> Exec {
        Exec {
            ifaces,
            keep_vips_on_stop,
            ..Exec::default()
        }
    }

    /// The current effect of every interface tracker (a missing interface is down).
    pub fn tracker_inputs(&self, only_ifname: Option<&str>) -> Vec<Input> {
        self.trackers
            .iter()
            .filter(|t| only_ifname.is_none_or(|n| n == t.ifname))
            .map(|t| {
                let up = self.ifaces.get(&t.ifname).is_some_and(|i| i.up);
                Input::Tracker {
                    target: t.target.clone(),
                    id: t.id.clone(),
                    state: t.state(up),
                }
            })
            .collect()
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
                // Notify scripts and FIFOs are issue 5; the event is logged at detail level.
                let who = match target {
                    NotifyTarget::Instance(n) => format!("INSTANCE \"{n}\""),
                    NotifyTarget::Group(n) => format!("GROUP \"{n}\""),
                };
                debug!(target: "vrrpd", "notify {who} {} {priority} (notify scripts are not run yet)", event.word());
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
                if self.stopping && self.keep_vips_on_stop {
                    return Ok(());
                }
                let sent = match (src, dst) {
                    (IpAddr::V4(src), IpAddr::V4(dst)) => {
                        let id = self.ip_ids.entry(instance).or_default().next_id();
                        let header = Ipv4Header {
                            src,
                            dst,
                            ttl,
                            id,
                            protocol: IPPROTO_VRRP,
                        };
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
                    return fatal_or_log(e, &instance);
                }
            }
            Action::DelVip { instance, vip } => {
                if self.stopping && self.keep_vips_on_stop {
                    return Ok(());
                }
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
            }
            Action::DelRoute { instance, spec } => {
                if self.stopping && self.keep_vips_on_stop {
                    return Ok(());
                }
                let oif = spec
                    .dev
                    .as_ref()
                    .and_then(|d| self.ifaces.get(d))
                    .map(|i| i.index);
                if let Err(e) = sys.route(false, &spec, oif).await {
                    return fatal_or_log(e, &instance);
                }
            }
            Action::AddRule { instance, spec } => {
                if let Err(e) = sys.rule(true, &spec).await {
                    return fatal_or_log(e, &instance);
                }
            }
            Action::DelRule { instance, spec } => {
                if self.stopping && self.keep_vips_on_stop {
                    return Ok(());
                }
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
                // §6.8: the Router flag is set when the interface forwards IPv6.
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

    /// The netlink form of a VIP (§7.1): label, brd and scope exactly as written; `None` when
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
