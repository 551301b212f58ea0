//! Gratuitous ARP / unsolicited NA: one burst, and the timers that schedule further bursts
//! (docs/keepalived-compat.md#gratuitous-arp-and-unsolicited-na).

use std::net::IpAddr;

use super::{Ctx, VirtualRouter};
use crate::proto::action::{Action, LogLevel};
use crate::proto::timer::Timer;

impl VirtualRouter {
    /// One burst: `repeat` GARP/NA per VIP and excluded VIP, interleaved (docs/keepalived-compat.md#state-machine, docs/keepalived-compat.md#gratuitous-arp-and-unsolicited-na).
    pub fn garp_burst(&self, ctx: &mut Ctx, repeat: u32) {
        if repeat == 0 {
            return;
        }
        for vip in self.all_vips() {
            let what = match vip.addr {
                IpAddr::V4(_) => "gratuitous ARPs",
                IpAddr::V6(_) => "Unsolicited Neighbour Adverts",
            };
            self.log(
                ctx,
                LogLevel::Detail,
                &format!("Sending/queueing {what} on {} for {}", vip.ifname, vip.addr),
            );
        }
        for _ in 0..repeat {
            for vip in self.all_vips() {
                ctx.out.push_back(self.garp_action(&vip.ifname, vip.addr));
            }
        }
    }

    pub(crate) fn garp_action(&self, ifname: &str, ip: IpAddr) -> Action {
        match ip {
            IpAddr::V4(ip) => Action::SendGarp {
                instance: self.cfg.name.clone(),
                ifname: ifname.to_string(),
                ip,
            },
            IpAddr::V6(ip) => Action::SendNa {
                instance: self.cfg.name.clone(),
                ifname: ifname.to_string(),
                ip,
            },
        }
    }

    /// Entering MASTER: the first burst now, the second `garp_master_delay` later (if set),
    /// and a refresh burst every `garp_master_refresh` (if set).
    pub(super) fn start_master_garps(&self, ctx: &mut Ctx) {
        let garp = &self.cfg.garp;
        self.garp_burst(ctx, garp.master_repeat);
        if garp.master_refresh.0 > 0 {
            ctx.arm(
                self.idx,
                Timer::GarpRefresh,
                garp.master_refresh.to_duration(),
            );
        }
        if garp.master_delay.0 > 0 && garp.master_repeat > 0 {
            ctx.arm(
                self.idx,
                Timer::GarpMasterDelay,
                garp.master_delay.to_duration(),
            );
        }
    }

    /// A MASTER answering a lower-priority advert: a burst now and another one
    /// `garp_lower_prio_delay` later (keepalived's `garp_lower_prio_repeat`).
    pub(super) fn answer_lower_prio_garps(&self, ctx: &mut Ctx) {
        let garp = &self.cfg.garp;
        if garp.lower_prio_repeat == 0 {
            return;
        }
        self.garp_burst(ctx, garp.lower_prio_repeat);
        if garp.lower_prio_delay.0 > 0 {
            ctx.arm(
                self.idx,
                Timer::GarpLowerPrio,
                garp.lower_prio_delay.to_duration(),
            );
        }
    }

    /// A GARP timer expired in MASTER: its burst; the refresh timer re-arms itself.
    pub(super) fn on_garp_timer(&self, ctx: &mut Ctx, timer: Timer) {
        let garp = &self.cfg.garp;
        match timer {
            Timer::GarpMasterDelay => self.garp_burst(ctx, garp.master_repeat),
            Timer::GarpLowerPrio => self.garp_burst(ctx, garp.lower_prio_repeat),
            Timer::GarpRefresh => {
                self.garp_burst(ctx, garp.refresh_repeat);
                if garp.master_refresh.0 > 0 {
                    ctx.arm(
                        self.idx,
                        Timer::GarpRefresh,
                        garp.master_refresh.to_duration(),
                    );
                }
            }
            Timer::Advert | Timer::MasterDown | Timer::PreemptDelay | Timer::HandOver => {}
        }
    }
}
