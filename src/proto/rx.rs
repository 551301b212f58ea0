//! Receive validation in keepalived's order (keepalived-behaviour.md §6.4), so the same
//! packet increments the same counter and logs the same line as `vrrp_check_packet`.
//!
//! The shell passes the VRRP message with the TTL and destination of its IP header, having
//! already checked the IPv4 total length (check 10) and stripped AH (check 2, AH is not
//! supported). Header fields are read through `wire::VrrpPacket`, whose getters never panic;
//! the final decode is `wire::Advert::parse` with the checksum already verified here.

use std::net::IpAddr;

use super::action::LogLevel;
use super::instance::{Ctx, Instance};
use super::settings::OldUnicastChecksum;
use crate::wire::vrrp::{message_len, verifies_as_old_unicast, verify_checksum};
use crate::wire::{Advert, Auth, Checksum, Family, Version, VrrpPacket};

/// The IP-level facts of a received packet.
pub(crate) struct Received<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub ttl: u8,
    pub bytes: &'a [u8],
}

fn family_of(addr: IpAddr) -> Family {
    match addr {
        IpAddr::V4(_) => Family::V4,
        IpAddr::V6(_) => Family::V6,
    }
}

impl Instance {
    /// Runs every check of §6.4 from 3 on; returns the advert when it passed (counters and
    /// log lines updated either way).
    pub(crate) fn validate(&mut self, ctx: &mut Ctx, rx: &Received) -> Option<Advert> {
        let family = self.cfg.family();
        let packet = VrrpPacket::new_unchecked(rx.bytes, family);
        let count = usize::from(packet.addr_count());

        // 3. exact length for the announced address count.
        let expected = message_len(self.cfg.version, family, count);
        if rx.bytes.len() != expected {
            self.counters.packet_len_err += 1;
            let which = if rx.bytes.len() > expected {
                "long"
            } else {
                "short"
            };
            let text = format!(
                "vrrp packet too {which}, length {} and expect {expected}",
                rx.bytes.len()
            );
            self.log(ctx, LogLevel::Info, &text);
            return None;
        }
        // 4. multicast: TTL / hop limit 255.
        let multicast = rx.dst.is_multicast();
        if multicast && rx.ttl != 255 {
            self.counters.ip_ttl_err += 1;
            let text = format!("invalid TTL/HL. Received {} and expect 255", rx.ttl);
            self.log(ctx, LogLevel::Info, &text);
            return None;
        }
        // 5. version.
        let ours = match self.cfg.version {
            Version::V2 => 2,
            Version::V3 => 3,
        };
        if packet.version() != ours {
            self.counters.vers_err += 1;
            let text = format!(
                "wrong version. Received {} and expect {ours}",
                packet.version()
            );
            self.log(ctx, LogLevel::Info, &text);
            return None;
        }
        if self.cfg.version == Version::V2 {
            // 6. authentication.
            let auth_type = packet.auth_type();
            if auth_type > 2 {
                self.counters.invalid_authtype += 1;
                self.log(
                    ctx,
                    LogLevel::Info,
                    &format!("Invalid auth type: {auth_type}"),
                );
                return None;
            }
            let expected_type = self.auth.type_number();
            if auth_type != expected_type {
                self.counters.authtype_mismatch += 1;
                let text = format!("received a {auth_type} auth, expecting {expected_type}!");
                self.log(ctx, LogLevel::Info, &text);
                return None;
            }
            if let Auth::Pass(_) = self.auth {
                let data = packet.auth_data().unwrap_or([0; 8]);
                if !self.auth.pass_matches(&data) {
                    self.counters.auth_failure += 1;
                    self.log(ctx, LogLevel::Info, "received an invalid passwd!");
                    return None;
                }
            }
            // 7. interval (dropped, no counter in 2.2.7).
            let mine = self.cfg.advert_int.whole_secs();
            if u32::from(packet.adver_int()) != mine {
                let text = format!(
                    "advertisement interval mismatch mine={mine} sec rcv'd={} sec",
                    packet.adver_int()
                );
                self.log(ctx, LogLevel::Info, &text);
                return None;
            }
        }
        // 8. type.
        if packet.kind() != 1 {
            self.counters.invalid_type_rcvd += 1;
            let text = format!("Invalid packet type. {} and expect 1", packet.kind());
            self.log(ctx, LogLevel::Info, &text);
            return None;
        }
        // 9. address count, when the VIP check applies.
        let check_vips = self.state == super::state::State::Master
            || !(self.cfg.skip_check_adv_addr && self.master_addr == Some(rx.src));
        if check_vips && count != self.advert_addrs.len() {
            self.counters.addr_list_err += 1;
            let text = format!(
                "received an unexpected ip number count {count}, expected {}!",
                self.advert_addrs.len()
            );
            self.log(ctx, LogLevel::Info, &text);
            return None;
        }
        // 11. checksum (IPv6: verified by the kernel, IPV6_CHECKSUM).
        if !self.checksum_ok(ctx, rx) {
            self.counters.chk_err += 1;
            let text = match self.cfg.version {
                Version::V2 => "Invalid VRRPv2 checksum",
                Version::V3 => "Invalid VRRPv3 checksum",
            };
            self.log(ctx, LogLevel::Info, text);
            return None;
        }
        // 12. destination kind matches the mode.
        if multicast == self.cfg.is_unicast() {
            self.counters.addr_list_err += 1;
            let text = if multicast {
                "Expected unicast packet but received multicast packet"
            } else {
                "Expected multicast packet but received unicast packet"
            };
            self.log(ctx, LogLevel::Info, text);
            return None;
        }
        let advert = match Advert::parse(rx.bytes, family, Checksum::Offload) {
            Ok(a) => a,
            Err(_) => {
                self.counters.packet_len_err += 1;
                return None;
            }
        };
        // 13.
        self.counters.advert_rcvd += 1;
        // 14. every configured VIP present.
        if check_vips {
            let missing = self
                .advert_addrs
                .iter()
                .find(|ours| !advert.addrs.iter().any(|a| a == *ours));
            if let Some(addr) = missing {
                self.counters.addr_list_err += 1;
                let text = format!(
                    "ip address associated with VRID {} not present in MASTER advert: {addr}",
                    self.cfg.vrid
                );
                self.log(ctx, LogLevel::Info, &text);
                return None;
            }
        }
        // 15. unicast source and TTL range.
        if !multicast {
            let ranged = self.cfg.unicast_peers.iter().any(|p| p.ttl_range.is_some());
            if self.cfg.check_unicast_src || ranged {
                let Some(peer) = self.cfg.unicast_peers.iter().find(|p| p.addr == rx.src) else {
                    let text = format!("unicast source address {} not a unicast peer", rx.src);
                    self.log(ctx, LogLevel::Info, &text);
                    return None;
                };
                if let Some((min, max)) = peer.ttl_range {
                    if rx.ttl < min || rx.ttl > max {
                        self.counters.ip_ttl_err += 1;
                        let text = format!("TTL/HL {} not in range {min} - {max}", rx.ttl);
                        self.log(ctx, LogLevel::Info, &text);
                        return None;
                    }
                }
            }
        }
        // 16.
        if advert.priority == 0 {
            self.counters.pri_zero_rcvd += 1;
        }
        Some(advert)
    }

    /// Check 11 with the old-unicast auto-detection of §6.2.
    fn checksum_ok(&mut self, ctx: &mut Ctx, rx: &Received) -> bool {
        let csum = match (self.cfg.version, rx.src, rx.dst) {
            (Version::V2, _, _) => Checksum::V2,
            (Version::V3, IpAddr::V4(src), IpAddr::V4(dst)) => {
                let dst = match (
                    self.old_checksum && !rx.dst.is_multicast(),
                    self.cfg.mcast_group,
                ) {
                    (true, IpAddr::V4(group)) => group,
                    _ => dst,
                };
                Checksum::V3Ipv4 { src, dst }
            }
            // IPv6: the kernel verified it (IPV6_CHECKSUM) before we saw the packet.
            _ => Checksum::Offload,
        };
        if family_of(rx.src) != self.cfg.family() {
            return false;
        }
        if verify_checksum(rx.bytes, csum) {
            return true;
        }
        if let (Version::V3, IpAddr::V4(src), IpAddr::V4(_), IpAddr::V4(group)) =
            (self.cfg.version, rx.src, rx.dst, self.cfg.mcast_group)
        {
            let auto = self.cfg.old_unicast_checksum == OldUnicastChecksum::Auto;
            if auto
                && !self.old_checksum
                && !rx.dst.is_multicast()
                && verifies_as_old_unicast(rx.bytes, src, group)
            {
                self.old_checksum = true;
                self.log(
                    ctx,
                    LogLevel::Info,
                    "Setting unicast VRRPv3 checksum to old version",
                );
                return true;
            }
        }
        false
    }
}
