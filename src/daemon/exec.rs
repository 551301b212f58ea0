//! Performs the core's [`Action`]s through a [`Sys`]: the small, testable part of the shell
//! that turns "send this advert" into an IPv4 header with keepalived's ID counter, "add this
//! VIP" into a netlink request with keepalived's label/brd/scope, and "send a GARP" into a
//! frame from `wire::garp` (docs/keepalived-compat.md#advert-packet-layout, docs/keepalived-compat.md#gratuitous-arp-and-unsolicited-na, docs/keepalived-compat.md#adding-addresses, docs/keepalived-compat.md#removing-addresses). Virtual routes
//! and rules go through netlink too, and are remembered so a deletion by hand reaches the core.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

use tracing::{debug, error, info, warn};

use super::vip_retry::{self, VipRetries};
use super::Sys;
use crate::plan::HostInterface;
use crate::proto::{Action, AhSeal, Input, LogLevel, NotifyEvent, NotifyTarget, VipSpec};
use crate::proto::{RouteSpec, RuleSpec};
use crate::sys::hooks::Hooks;
use crate::sys::netlink::{Removed, Vip};
use crate::sys::routes::{
    route_key, route_message, rule_key, rule_message, Deleted, RouteKey, RuleKey,
};
use crate::sys::smtp::Mailer;
use crate::sys::{Privilege, SysError};
use crate::wire::garp::{garp_frame, unsolicited_na_frame};
use crate::wire::{IpId, Ipv4Repr, PROTO_AH};

/// The action executor and the interface table.
#[derive(Debug, Default)]
pub struct Exec {
    /// The interface table by name: the plan's host snapshot (`plan::host`), kept fresh from
    /// the netlink monitor.
    pub ifaces: HashMap<String, HostInterface>,
    /// The notify scripts and FIFOs (docs/keepalived-compat.md#running-scripts, docs/keepalived-compat.md#notifications, docs/keepalived-compat.md#sync-groups): every `Action::Notify` goes here.
    pub hooks: Option<Hooks>,
    /// The SMTP alerts (docs/keepalived-compat.md#smtp-alerts): every `Action::Notify` goes
    /// here too; mails are queued and sent off the loop.
    pub mailer: Mailer,
    /// keepalived's per-instance IPv4 ID counters (docs/keepalived-compat.md#advert-packet-layout).
    ip_ids: HashMap<String, IpId>,
    /// `-V/--dont-release-vrrp`: the loop stops the core with `Input::Stop { release: false }`,
    /// so the core sends no priority-0 advert and removes no VIP, route or rule
    /// (docs/keepalived-compat.md#removing-addresses). The policy is the core's; nothing here
    /// filters actions.
    pub keep_vips_on_stop: bool,
    /// `-X/--release-vips`: after a reload, every instance that is not MASTER deletes its
    /// addresses as at start-up (docs/keepalived-compat.md#removing-addresses).
    pub release_vips: bool,
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
    /// What the metrics endpoint, the control socket and systemd see (`observe`).
    pub observers: super::observe::Observers,
    /// The drained instances and their file (src/control).
    pub control: crate::control::at_loop::ControlState,
    /// VIPs the kernel refused for a reason that can pass, waiting for their next attempt.
    pub vip_retries: VipRetries,
    /// The first failure of the stop sequence: every removal is still attempted (each
    /// failure logged), and this one makes the exit status non-zero.
    stop_failure: Option<SysError>,
    /// The instances held in FAULT for want of their VRRP sockets (daemon/sockets.rs).
    pub sockets: super::sockets::Sockets,
    /// The nftables drop rules of `no_accept` instances (daemon/firewall.rs): told of every
    /// VIP added and removed.
    pub firewall: super::firewall::Firewall,
    /// The loop's wake-up at the deadline itself (sys/precise_timer.rs); `None` in tests on
    /// tokio's paused clock, which sleep on tokio's timer.
    pub timer: Option<crate::sys::precise_timer::PreciseTimer>,
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

    /// Performs one action: a dispatch table, one small function per kind. Only missing
    /// privileges (and a VIP request the kernel refuses as malformed) are fatal; everything
    /// else is logged and the daemon carries on, as keepalived does.
    pub async fn perform<S: Sys>(&mut self, sys: &mut S, action: Action) -> Result<(), Fatal> {
        match action {
            Action::Log { level, message } => log(level, &message),
            Action::Notify {
                target,
                event,
                priority,
            } => self.notify(&target, event, priority),
            Action::SendAdvert {
                instance,
                ifindex,
                ifname,
                src,
                dst,
                ttl,
                bytes,
                ah,
            } => {
                let advert = Advert {
                    instance,
                    ifindex,
                    ifname,
                    src,
                    dst,
                    ttl,
                    ah,
                };
                self.send_advert(sys, advert, &bytes).await;
            }
            Action::AddVip { instance, vip } => return self.add_vip(sys, &instance, &vip).await,
            Action::DelVip { instance, vip } => return self.del_vip(sys, &instance, &vip).await,
            Action::AddRoute { instance, spec } => {
                return self.add_route(sys, &instance, spec).await
            }
            Action::DelRoute { instance, spec } => {
                return self.del_route(sys, &instance, &spec).await
            }
            Action::AddRule { instance, spec } => return self.add_rule(sys, &instance, spec).await,
            Action::DelRule { instance, spec } => {
                return self.del_rule(sys, &instance, &spec).await
            }
            Action::SendGarp { ifname, ip, .. } => self.send_garp(sys, &ifname, ip),
            Action::SendNa { ifname, ip, .. } => self.send_na(sys, &ifname, ip),
        }
        Ok(())
    }

    fn notify(&mut self, target: &NotifyTarget, event: NotifyEvent, priority: u8) {
        let who = match target {
            NotifyTarget::Instance(n) => format!("INSTANCE \"{n}\""),
            NotifyTarget::Group(n) => format!("GROUP \"{n}\""),
        };
        debug!(target: "vrrpd", "notify {who} {} {priority}", event.word());
        let (kind, name) = match target {
            NotifyTarget::Instance(n) => ("instance", n),
            NotifyTarget::Group(n) => ("group", n),
        };
        self.observers
            .happen(super::observe::Happening::Transition {
                target: kind.into(),
                name: name.clone(),
                state: event.word().into(),
                priority,
            });
        self.mailer.notify(target, event);
        if let Some(h) = &mut self.hooks {
            h.notify(target, event, priority);
            self.observers.shell.notify_queued += 1;
        }
    }

    /// One advert; a send error is logged once per interface until a send succeeds again.
    async fn send_advert<S: Sys>(&mut self, sys: &mut S, a: Advert, bytes: &[u8]) {
        let sent = match (a.src, a.dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => {
                let id = self.ip_ids.entry(a.instance).or_default().next_id();
                let header = Ipv4Repr::vrrp(src, dst, a.ttl, id, bytes.len());
                match a.ah {
                    None => sys.send_advert(a.ifindex, &header, bytes).await,
                    // The ICV covers this very header, ID included (docs/keepalived-compat.md#ipsec-ah).
                    Some(ah) => {
                        let header = Ipv4Repr {
                            protocol: PROTO_AH,
                            ..header
                        };
                        match crate::wire::ah::seal(&header, &ah.key, ah.seq, ah.zero_ttl, bytes) {
                            Ok(sealed) => sys.send_advert(a.ifindex, &header, &sealed).await,
                            Err(e) => Err(SysError::Os {
                                what: format!("seal an AH advert to {dst}"),
                                source: std::io::Error::other(e.to_string()),
                            }),
                        }
                    }
                }
            }
            (IpAddr::V6(src), IpAddr::V6(dst)) => {
                sys.send_advert6(a.ifindex, src, dst, a.ttl, bytes).await
            }
            _ => return,
        };
        match sent {
            Ok(()) => {
                self.send_errors.remove(&a.ifindex);
            }
            Err(e) => {
                let text = e.to_string();
                if self.send_errors.get(&a.ifindex) != Some(&text) {
                    error!(target: "vrrpd", "{text} ({})", a.ifname);
                    self.send_errors.insert(a.ifindex, text);
                }
            }
        }
    }

    async fn add_vip<S: Sys>(
        &mut self,
        sys: &mut S,
        instance: &str,
        vip: &VipSpec,
    ) -> Result<(), Fatal> {
        // A retry still pending for this address is superseded by this attempt.
        self.vip_retries.cancel(instance, vip);
        let Some(nl) = self.vip(vip) else {
            info!(target: "vrrpd", "Not adding address {} to {} since interface doesn't exist", vip.addr, vip.ifname);
            return Ok(());
        };
        // Before the address, as keepalived sets its drop rule before the VIPs.
        self.firewall.vip_added(instance, vip, nl.ifindex);
        let result = sys.add_vip(&nl).await;
        self.observers.shell.vip_add.record(result.is_ok());
        match result {
            Ok(_) => {
                super::held::added(&nl);
                test_panic_after_master();
                Ok(())
            }
            Err(e) if self.stopping => self.fatal_or_log(e, instance),
            // keepalived logs and carries on; vrrpd keeps trying (vip_retry.rs): exiting
            // would leave no master at all.
            Err(e) if vip_retry::is_transient(&e) => {
                self.vip_retries.schedule(instance, vip, &e, super::now());
                Ok(())
            }
            // Missing privileges, or a request the kernel refuses as malformed: no retry can
            // help. A MASTER that cannot hold its address is no master: stop (priority 0,
            // everything released) so the peer takes over, and exit non-zero.
            Err(e) => Err(add_vip_fatal(instance, vip, e)),
        }
    }

    /// Tries again every VIP whose retry is due at `now` (the loop calls this when
    /// [`VipRetries::due`] has passed).
    pub async fn retry_vips<S: Sys>(&mut self, sys: &mut S, now: Instant) -> Result<(), Fatal> {
        for p in self.vip_retries.take_due(now) {
            let Some(nl) = self.vip(&p.spec) else {
                info!(target: "vrrpd", "Not adding address {} to {} since interface doesn't exist", p.spec.addr, p.spec.ifname);
                continue;
            };
            let result = sys.add_vip(&nl).await;
            self.observers.shell.vip_add.record(result.is_ok());
            match result {
                Ok(_) => {
                    super::held::added(&nl);
                    info!(target: "vrrpd", "({}) added address {}/{} to {} after retrying", p.instance, p.spec.addr, p.spec.prefix_len, p.spec.ifname);
                }
                Err(e) if vip_retry::is_transient(&e) => {
                    self.vip_retries.failed_again(p, &e, now);
                }
                Err(e) => return Err(add_vip_fatal(&p.instance, &p.spec, e)),
            }
        }
        Ok(())
    }

    async fn del_vip<S: Sys>(
        &mut self,
        sys: &mut S,
        instance: &str,
        vip: &VipSpec,
    ) -> Result<(), Fatal> {
        // The core has let go of the address: a pending retry must not put it back.
        self.vip_retries.cancel(instance, vip);
        let Some(nl) = self.vip(vip) else {
            return Ok(());
        };
        let result = sys.del_vip(&nl).await;
        self.observers.shell.vip_del.record(result.is_ok());
        match result {
            Ok(Removed::Removed | Removed::NotPresent) => {
                super::held::removed(&nl);
                self.firewall.vip_removed(instance, vip);
                Ok(())
            }
            Err(e) => self.fatal_or_log(e, instance),
        }
    }

    /// The interface index of a route's `dev`.
    fn route_oif(&self, spec: &RouteSpec) -> Option<u32> {
        spec.dev
            .as_ref()
            .and_then(|d| self.ifaces.get(d))
            .map(|i| i.index)
    }

    async fn add_route<S: Sys>(
        &mut self,
        sys: &mut S,
        instance: &str,
        spec: RouteSpec,
    ) -> Result<(), Fatal> {
        let oif = self.route_oif(&spec);
        let result = sys.route(true, &spec, oif).await;
        self.observers.shell.route_add.record(result.is_ok());
        if let Err(e) = result {
            return self.fatal_or_log(e, instance);
        }
        let key = route_key(&route_message(&spec, oif));
        self.routes.retain(|(k, _)| *k != key);
        self.routes.push((key, spec));
        Ok(())
    }

    async fn del_route<S: Sys>(
        &mut self,
        sys: &mut S,
        instance: &str,
        spec: &RouteSpec,
    ) -> Result<(), Fatal> {
        let oif = self.route_oif(spec);
        let key = route_key(&route_message(spec, oif));
        self.routes.retain(|(k, _)| *k != key);
        let result = sys.route(false, spec, oif).await;
        self.observers.shell.route_del.record(result.is_ok());
        match result {
            Ok(()) => Ok(()),
            Err(e) => self.fatal_or_log(e, instance),
        }
    }

    async fn add_rule<S: Sys>(
        &mut self,
        sys: &mut S,
        instance: &str,
        spec: RuleSpec,
    ) -> Result<(), Fatal> {
        let result = sys.rule(true, &spec).await;
        self.observers.shell.rule_add.record(result.is_ok());
        if let Err(e) = result {
            return self.fatal_or_log(e, instance);
        }
        let key = rule_key(&rule_message(&spec));
        self.rules.retain(|(k, _)| *k != key);
        self.rules.push((key, spec));
        Ok(())
    }

    async fn del_rule<S: Sys>(
        &mut self,
        sys: &mut S,
        instance: &str,
        spec: &RuleSpec,
    ) -> Result<(), Fatal> {
        let key = rule_key(&rule_message(spec));
        self.rules.retain(|(k, _)| *k != key);
        let result = sys.rule(false, spec).await;
        self.observers.shell.rule_del.record(result.is_ok());
        match result {
            Ok(()) => Ok(()),
            Err(e) => self.fatal_or_log(e, instance),
        }
    }

    fn send_garp<S: Sys>(&mut self, sys: &mut S, ifname: &str, ip: std::net::Ipv4Addr) {
        let Some(iface) = self.ifaces.get(ifname) else {
            return;
        };
        let (Some(mac), false) = (iface.mac, iface.noarp) else {
            return;
        };
        debug!(target: "vrrpd", "Sending gratuitous ARP on {ifname} for {ip}");
        let result = sys.send_frame(iface.index, &garp_frame(mac, ip));
        self.observers.shell.garp.record(result.is_ok());
        if let Err(e) = result {
            warn!(target: "vrrpd", "{e}");
        }
    }

    fn send_na<S: Sys>(&mut self, sys: &mut S, ifname: &str, ip: std::net::Ipv6Addr) {
        let Some(iface) = self.ifaces.get(ifname) else {
            return;
        };
        let Some(mac) = iface.mac else {
            return;
        };
        debug!(target: "vrrpd", "Sending unsolicited Neighbour Advert on {ifname} for {ip}");
        // docs/keepalived-compat.md#gratuitous-arp-and-unsolicited-na: the Router flag is set when the interface forwards IPv6.
        let forwarding =
            std::fs::read_to_string(format!("/proc/sys/net/ipv6/conf/{ifname}/forwarding"))
                .is_ok_and(|v| v.trim() == "1");
        let frame = unsolicited_na_frame(mac, ip, forwarding);
        let result = sys.send_frame(iface.index, &frame);
        self.observers.shell.garp.record(result.is_ok());
        if let Err(e) = result {
            warn!(target: "vrrpd", "{e}");
        }
    }

    /// An error changing addresses, routes or rules. Missing privileges end the daemon,
    /// except in the stop sequence, which is best-effort: there every failure is logged, the
    /// remaining removals still run, and the first failure is kept for the exit status
    /// ([`Exec::take_stop_failure`]). Anything else is logged, as keepalived does.
    fn fatal_or_log(&mut self, e: SysError, instance: &str) -> Result<(), Fatal> {
        let privileges = matches!(
            e,
            SysError::Permission {
                need: Privilege::NetAdmin,
                ..
            }
        );
        if privileges && !self.stopping {
            return Err(Fatal(e));
        }
        error!(target: "vrrpd", "({instance}) {e}");
        if self.stopping {
            self.stop_failure.get_or_insert(e);
        }
        Ok(())
    }

    /// The first failure of the stop sequence, if any.
    pub fn take_stop_failure(&mut self) -> Option<Fatal> {
        self.stop_failure.take().map(Fatal)
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

/// Test-only (debug builds): `VRRPD_TEST_PANIC_AFTER_MASTER=1` panics right after a VIP was
/// added, so tests can see what a panic leaves behind (tests/daemon/hardening.rs). Release
/// builds do not read it.
fn test_panic_after_master() {
    #[cfg(debug_assertions)]
    if std::env::var_os("VRRPD_TEST_PANIC_AFTER_MASTER").is_some_and(|v| v == "1") {
        panic!("VRRPD_TEST_PANIC_AFTER_MASTER: test-only panic after adding a VIP");
    }
}

/// The fatal error of a VIP the kernel refused: names the address, the interface and the
/// instance, with the OS's reason.
fn add_vip_fatal(instance: &str, vip: &VipSpec, e: SysError) -> Fatal {
    Fatal(SysError::Os {
        what: format!(
            "add address {}/{} to {} for ({instance})",
            vip.addr, vip.prefix_len, vip.ifname
        ),
        source: std::io::Error::other(match e {
            SysError::Os { source, .. } => source.to_string(),
            other => other.to_string(),
        }),
    })
}

/// The fields of `Action::SendAdvert` besides the bytes.
struct Advert {
    instance: String,
    ifindex: u32,
    ifname: String,
    src: IpAddr,
    dst: IpAddr,
    ttl: u8,
    ah: Option<AhSeal>,
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
