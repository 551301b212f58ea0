//! What was deleted externally while MASTER is put back at once; the instance stays MASTER
//! (docs/keepalived-compat.md#addresses-deleted-while-master).

use std::fmt::Display;
use std::net::IpAddr;

use super::{Ctx, VirtualRouter};
use crate::proto::action::{Action, LogLevel};
use crate::proto::routes::{RouteSpec, RuleSpec};
use crate::proto::settings::InstanceSettings;
use crate::proto::state::State;

impl VirtualRouter {
    /// An address of the instance disappeared while MASTER (docs/keepalived-compat.md#addresses-deleted-while-master). vrrpd puts it back at
    /// once and stays MASTER (keepalived would drop to BACKUP, send priority 0 and reclaim
    /// after Skew_Time). Returns true when the address was one of ours.
    pub fn restore_vip(&mut self, ctx: &mut Ctx, ifname: &str, addr: IpAddr) -> bool {
        if self.state != State::Master || !self.vips_held {
            return false;
        }
        let Some(vip) = self
            .all_vips()
            .find(|v| v.addr == addr && v.ifname == ifname && !v.no_track)
            .cloned()
        else {
            return false;
        };
        ctx.log(
            LogLevel::Detail,
            format!("Netlink reflector reports IP {addr} removed from {ifname}"),
        );
        self.log(
            ctx,
            LogLevel::Info,
            &format!("VIP {addr} deleted externally on {ifname} - restoring it (staying MASTER)"),
        );
        ctx.out.push_back(Action::AddVip {
            instance: self.cfg.name.clone(),
            vip: vip.clone(),
        });
        // Handing over, the address is put back to keep serving, but without a GARP: the
        // successor's GARP must be the last word (instance/handover.rs).
        let burst = if self.handing_over() {
            0
        } else {
            self.cfg.garp.master_repeat
        };
        for _ in 0..burst {
            ctx.out.push_back(self.garp_action(&vip.ifname, vip.addr));
        }
        true
    }

    /// A `virtual_routes` or `virtual_rules` entry disappeared while MASTER. keepalived treats
    /// it like a deleted VIP (docs/keepalived-compat.md#addresses-deleted-while-master: leave
    /// MASTER unless `no_track`); vrrpd follows its own VIP policy: put it back at once and
    /// stay MASTER. Returns true when the entry was one of ours.
    pub fn restore<T: Restorable>(&mut self, ctx: &mut Ctx, reported: &T) -> bool {
        if self.state != State::Master || !self.vips_held {
            return false;
        }
        let Some(ours) = T::configured(&self.cfg)
            .iter()
            .find(|c| c.tracked() && c.same(reported))
            .cloned()
        else {
            return false;
        };
        self.log(
            ctx,
            LogLevel::Info,
            &format!(
                "{} {ours} deleted externally - restoring it (staying MASTER)",
                T::NAME
            ),
        );
        ctx.out.push_back(ours.add(self.cfg.name.clone()));
        true
    }
}

/// A configured entry that [`VirtualRouter::restore`] can put back: a `virtual_routes` or a
/// `virtual_rules` entry.
pub(crate) trait Restorable: Clone + Display {
    /// What the log line calls it.
    const NAME: &'static str;
    /// The instance's configured entries of this kind.
    fn configured(cfg: &InstanceSettings) -> &[Self];
    /// Not `no_track`: an external deletion is reacted to.
    fn tracked(&self) -> bool;
    /// The same entry as `reported`, ignoring `no_track` (what netlink can report back).
    fn same(&self, reported: &Self) -> bool;
    /// The action that adds it again.
    fn add(self, instance: String) -> Action;
}

impl Restorable for RouteSpec {
    const NAME: &'static str = "virtual route";
    fn configured(cfg: &InstanceSettings) -> &[Self] {
        &cfg.routes
    }
    fn tracked(&self) -> bool {
        !self.no_track
    }
    fn same(&self, reported: &Self) -> bool {
        self.same_route(reported)
    }
    fn add(self, instance: String) -> Action {
        Action::AddRoute {
            instance,
            spec: self,
        }
    }
}

impl Restorable for RuleSpec {
    const NAME: &'static str = "virtual rule";
    fn configured(cfg: &InstanceSettings) -> &[Self] {
        &cfg.rules
    }
    fn tracked(&self) -> bool {
        !self.no_track
    }
    fn same(&self, reported: &Self) -> bool {
        self.same_rule(reported)
    }
    fn add(self, instance: String) -> Action {
        Action::AddRule {
            instance,
            spec: self,
        }
    }
}
