//! Building and sending this instance's adverts: the checksum each destination needs and
//! one copy per unicast peer or one to the group.

use std::net::IpAddr;

use super::{Ctx, VirtualRouter};
use crate::proto::action::{Action, AhSeal, LogLevel};
use crate::wire::{Advert, Checksum, Version, ADVERT_TTL};

impl VirtualRouter {
    fn checksum_for(&self, dst: IpAddr) -> Checksum {
        match (self.cfg.version, self.cfg.src, dst) {
            // keepalived's v2 over IPv6 gets the kernel's IPv6 pseudo-header checksum
            // (docs/keepalived-compat.md#checksums).
            (_, IpAddr::V6(src), IpAddr::V6(dst)) => Checksum::V3Ipv6 { src, dst },
            (Version::V2, _, _) => Checksum::V2,
            (Version::V3, IpAddr::V4(src), IpAddr::V4(dst)) => {
                let dst = match (
                    self.old_checksum && self.cfg.is_unicast(),
                    self.cfg.mcast_group,
                ) {
                    (true, IpAddr::V4(group)) => group,
                    _ => dst,
                };
                Checksum::V3Ipv4 { src, dst }
            }
            _ => Checksum::Offload,
        }
    }

    fn advert(&self, priority: u8) -> Advert {
        let interval = match self.cfg.version {
            Version::V2 => u16::try_from(self.cfg.advert_int.whole_secs().min(255)).unwrap_or(255),
            Version::V3 => u16::try_from(self.cfg.advert_int.0.min(0x0fff)).unwrap_or(0x0fff),
        };
        Advert {
            version: self.cfg.version,
            vrid: self.cfg.vrid,
            priority,
            interval,
            auth: self.auth,
            addrs: self.advert_addrs.clone(),
        }
    }

    /// Sends one advert with `priority`: to the group, or one copy per unicast peer (docs/keepalived-compat.md#unicast-mode).
    pub fn send_advert(&mut self, ctx: &mut Ctx, priority: u8) {
        let advert = self.advert(priority);
        // keepalived numbers each advert once, whatever the number of unicast copies.
        let ah = self.ah_key.map(|key| AhSeal {
            key,
            seq: self.ah_seq.next_to_send(),
            zero_ttl: self.cfg.is_unicast(),
        });
        let dsts: Vec<(IpAddr, u8)> = if self.cfg.is_unicast() {
            self.cfg
                .unicast_peers
                .iter()
                .map(|p| (p.addr, self.cfg.unicast_ttl))
                .collect()
        } else {
            vec![(self.cfg.mcast_group, ADVERT_TTL)]
        };
        for (dst, ttl) in dsts {
            match advert.to_vec(self.checksum_for(dst)) {
                Ok(bytes) => ctx.out.push_back(Action::SendAdvert {
                    instance: self.cfg.name.clone(),
                    ifindex: self.cfg.ifindex,
                    ifname: self.cfg.ifname.clone(),
                    src: self.cfg.src,
                    dst,
                    ttl,
                    bytes,
                    ah,
                }),
                Err(e) => {
                    self.log(ctx, LogLevel::Error, &format!("cannot build advert: {e}"));
                    return;
                }
            }
        }
        self.counters.advert_sent += 1;
        if priority == 0 {
            self.counters.pri_zero_sent += 1;
            self.log(ctx, LogLevel::Detail, "sent 0 priority");
        }
    }
}
