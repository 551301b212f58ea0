//! Adding and removing what a MASTER holds: VIPs, excluded VIPs, `virtual_routes` and
//! `virtual_rules`, in keepalived's order.

use super::{Ctx, VirtualRouter};
use crate::proto::action::{Action, LogLevel};
use crate::proto::settings::VipSpec;

impl VirtualRouter {
    pub(crate) fn all_vips(&self) -> impl Iterator<Item = &VipSpec> {
        self.cfg.vips.iter().chain(self.cfg.excluded_vips.iter())
    }

    /// VIPs then excluded VIPs, in configuration order (docs/keepalived-compat.md#adding-addresses), then `virtual_routes`,
    /// then `virtual_rules` (docs/keepalived-compat.md#state-machine).
    pub(super) fn add_vips(&mut self, ctx: &mut Ctx) {
        if self.vips_held {
            return;
        }
        self.log(ctx, LogLevel::Detail, "setting VIPs.");
        let instance = &self.cfg.name;
        for vip in self.all_vips() {
            ctx.out.push_back(Action::AddVip {
                instance: instance.clone(),
                vip: vip.clone(),
            });
        }
        for spec in &self.cfg.routes {
            ctx.out.push_back(Action::AddRoute {
                instance: instance.clone(),
                spec: spec.clone(),
            });
        }
        for spec in &self.cfg.rules {
            ctx.out.push_back(Action::AddRule {
                instance: instance.clone(),
                spec: spec.clone(),
            });
        }
        self.vips_held = true;
    }

    /// Removes everything added, in keepalived's order: rules, routes, then addresses
    /// (docs/keepalived-compat.md#removing-addresses).
    pub(crate) fn del_vips(&mut self, ctx: &mut Ctx) {
        if !self.vips_held {
            return;
        }
        let instance = &self.cfg.name;
        for spec in &self.cfg.rules {
            ctx.out.push_back(Action::DelRule {
                instance: instance.clone(),
                spec: spec.clone(),
            });
        }
        for spec in &self.cfg.routes {
            ctx.out.push_back(Action::DelRoute {
                instance: instance.clone(),
                spec: spec.clone(),
            });
        }
        self.log(ctx, LogLevel::Detail, "removing VIPs.");
        for vip in self.all_vips() {
            ctx.out.push_back(Action::DelVip {
                instance: self.cfg.name.clone(),
                vip: vip.clone(),
            });
        }
        self.vips_held = false;
    }
}
