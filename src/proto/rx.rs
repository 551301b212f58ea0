//! Receive validation for one instance (docs/keepalived-compat.md#receive-checks). The checks
//! themselves live in one place, `wire::validate` ([`check_ipv4_ah`] / [`check_ipv6`] for 1–12
//! on what the sockets delivered, [`check_message`] for 3–12 on a bare message,
//! [`check_vips`] for 14, [`check_unicast_peer`] / [`check_ttl_range`] for 15); this file
//! only does what depends on the instance: building the [`Expect`] from its state, charging
//! each error to keepalived's counter, logging keepalived's wording, and switching to the old
//! unicast checksum when a peer uses it (docs/keepalived-compat.md#checksums).

use std::net::IpAddr;

use super::action::LogLevel;
use super::instance::{Ctx, QuietError, VirtualRouter};
use super::settings::OldUnicastChecksum;
use super::state::State;
use super::stats::Counters;
use crate::wire::{
    check_ipv4_ah, check_ipv6, check_message, check_ttl_range, check_unicast_peer, check_vips,
    Advert, AhCheck, Envelope, Error, Expect, UnicastChecksum, Version, GROUP_V4,
};

/// A received datagram or message with the IP-level facts the core checks.
pub(crate) struct Packet<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub ttl: u8,
    pub bytes: &'a [u8],
    /// `bytes` is a whole IPv4 datagram, header included ([`super::Input::Ipv4`]); otherwise
    /// a VRRP message ([`super::Input::Packet`]).
    pub ipv4_datagram: bool,
}

/// The counter keepalived increments for a receive error (docs/keepalived-compat.md#receive-checks); `None` for the drops it
/// does not count (v2 interval mismatch, unicast source not a peer).
fn counter<'a>(counters: &'a mut Counters, error: &Error) -> Option<&'a mut u64> {
    Some(match error {
        Error::TooShort { .. }
        | Error::BadIpHeader
        | Error::IpHeaderLength { .. }
        | Error::Length { .. }
        | Error::IpTotalLength { .. } => &mut counters.packet_len_err,
        Error::Ttl { .. } | Error::TtlRange { .. } => &mut counters.ip_ttl_err,
        Error::Version { .. } => &mut counters.vers_err,
        Error::AuthType { .. } => &mut counters.invalid_authtype,
        Error::AuthTypeMismatch { .. } => &mut counters.authtype_mismatch,
        Error::AhPresence { .. } => &mut counters.authtype_mismatch,
        // keepalived's vrrp_in_chk_ipsecah: ICV, SPI and replay all count as auth_failure.
        Error::AuthFailure { .. }
        | Error::AhIcv { .. }
        | Error::AhSpi { .. }
        | Error::AhReplay { .. } => &mut counters.auth_failure,
        Error::Type { .. } => &mut counters.invalid_type_rcvd,
        Error::AddrCount { .. } | Error::AddrMissing { .. } | Error::DestinationKind { .. } => {
            &mut counters.addr_list_err
        }
        Error::Checksum { .. } => &mut counters.chk_err,
        Error::Interval { .. } | Error::NotAPeer { .. } | Error::AhNextHeader { .. } => {
            return None
        }
    })
}

impl VirtualRouter {
    /// What this instance expects of a received advert right now.
    fn expect(&self, src: IpAddr) -> Expect {
        // Check 9/14 apply always for a master; for a backup unless skip_check_adv_addr and
        // the sender is the master we already know.
        let check_vips = self.state == State::Master
            || !(self.cfg.skip_check_adv_addr && self.master_addr == Some(src));
        Expect {
            version: self.cfg.version,
            auth: self.auth,
            interval: match self.cfg.version {
                Version::V2 => u16::try_from(self.cfg.advert_int.whole_secs()).unwrap_or(0),
                Version::V3 => u16::try_from(self.cfg.advert_int.0).unwrap_or(0),
            },
            vip_count: check_vips.then(|| self.advert_addrs.len()),
            multicast: !self.cfg.is_unicast(),
            group_v4: match self.cfg.mcast_group {
                IpAddr::V4(g) => g,
                IpAddr::V6(_) => GROUP_V4,
            },
            unicast_checksum: if self.old_checksum {
                UnicastChecksum::Old
            } else {
                match self.cfg.old_unicast_checksum {
                    OldUnicastChecksum::Auto => UnicastChecksum::Detect,
                    OldUnicastChecksum::Always => UnicastChecksum::Old,
                    OldUnicastChecksum::Never => UnicastChecksum::Never,
                }
            },
        }
    }

    /// Runs every check of docs/keepalived-compat.md#receive-checks this instance is concerned with; returns the advert when it
    /// passed (counters and log lines updated either way).
    pub(crate) fn validate(&mut self, ctx: &mut Ctx, rx: &Packet) -> Option<Advert> {
        let error = match self.check(ctx, rx) {
            Ok(advert) => {
                // A valid advert: every kind of error may be logged again (once an interval).
                for q in &mut self.quiet_errors {
                    q.rearmed = true;
                }
                // 16.
                if advert.priority == 0 {
                    self.counters.pri_zero_rcvd += 1;
                }
                return Some(advert);
            }
            Err(error) => error,
        };
        if let Some(c) = counter(&mut self.counters, &error) {
            *c += 1;
        }
        if error.silent() {
            return None;
        }
        // Each kind is logged once until a valid advert arrives, and at most once an
        // advert interval (VirtualRouter::quiet_errors).
        let kind = std::mem::discriminant(&error);
        let interval = self.cfg.advert_int.to_duration();
        match self.quiet_errors.iter_mut().find(|q| q.kind == kind) {
            Some(q) if !q.rearmed || ctx.now < q.logged + interval => return None,
            Some(q) => {
                q.logged = ctx.now;
                q.rearmed = false;
            }
            None => self.quiet_errors.push(QuietError {
                kind,
                logged: ctx.now,
                rearmed: false,
            }),
        }
        let bare = error.logged_bare();
        let text = match error {
            // wire's wording lacks the instance's own version.
            Error::Version { version, .. } => {
                let ours = match self.cfg.version {
                    Version::V2 => 2,
                    Version::V3 => 3,
                };
                format!("wrong version. Received {version} and expect {ours}")
            }
            other => other.to_string(),
        };
        if bare {
            ctx.log(LogLevel::Info, text);
        } else {
            self.log(ctx, LogLevel::Info, &text);
        }
        None
    }

    /// Checks 1–12 (from 3 on for a bare message), the old-checksum switch, `advert_rcvd`
    /// (13), then 14 and 15.
    fn check(&mut self, ctx: &mut Ctx, rx: &Packet) -> Result<Advert, Error> {
        let expect = self.expect(rx.src);
        self.rx_ah_seq = None;
        let received = match (rx.ipv4_datagram, rx.src, rx.dst) {
            (true, _, _) => {
                // The AH counter moves as soon as the AH header verified, even when a later
                // check drops the advert (docs/keepalived-compat.md#ipsec-ah).
                let mut ah = self.ah_key.map(|key| AhCheck {
                    key,
                    counter: self.ah_seq,
                });
                let result = check_ipv4_ah(rx.bytes, &expect, ah.as_mut());
                if let Some(ah) = ah {
                    self.ah_seq.seq = ah.counter.seq;
                }
                let received = result?;
                // A BACKUP that accepted a number not below its counter clears `cycle`.
                if received.ah_seq.is_some() && self.state == State::Backup {
                    self.ah_seq.cycle = false;
                }
                self.rx_ah_seq = received.ah_seq;
                received
            }
            (false, IpAddr::V6(src), IpAddr::V6(dst)) => {
                check_ipv6(rx.bytes, src, dst, rx.ttl, &expect)?
            }
            (false, _, _) => {
                let envelope = Envelope {
                    src: rx.src,
                    dst: rx.dst,
                    ttl: rx.ttl,
                    header_len: 0,
                    total_len: None,
                };
                check_message(rx.bytes, &envelope, &expect)?
            }
        };
        // docs/keepalived-compat.md#checksums: an advert that only verified with keepalived ≤ 1.3.6's unicast checksum
        // switches the instance to that variant for sending and receiving.
        if received.old_unicast_checksum && !self.old_checksum {
            self.old_checksum = true;
            self.log(
                ctx,
                LogLevel::Info,
                "Setting unicast VRRPv3 checksum to old version",
            );
        }
        // 13.
        self.counters.advert_rcvd += 1;
        // 14.
        if expect.vip_count.is_some() {
            check_vips(&received.advert, &self.vip_addrs)?;
        }
        // 15. unicast source and TTL range (after 12, the destination kind is the mode).
        let ranged = self.cfg.unicast_peers.iter().any(|p| p.ttl_range.is_some());
        if !expect.multicast && (self.cfg.check_unicast_src || ranged) {
            check_unicast_peer(self.cfg.vrid, rx.src, &self.peer_addrs)?;
            let range = self
                .cfg
                .unicast_peers
                .iter()
                .find(|p| p.addr == rx.src)
                .and_then(|p| p.ttl_range);
            if let Some((min, max)) = range {
                check_ttl_range(self.cfg.vrid, rx.ttl, min, max)?;
            }
        }
        Ok(received.advert)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{Input, InstanceSettings, Router, RouterSettings};
    use crate::wire::{
        emit_ipv4_datagram, Addrs, Auth, Checksum, Ipv4Repr, GROUP_V4, GROUP_V6, PROTO_AH,
    };
    use std::net::Ipv4Addr;

    /// A valid v2 advert for VRID 51 from 10.0.0.2, as an IPv4 datagram.
    fn datagram() -> Vec<u8> {
        let a = Advert {
            version: Version::V2,
            vrid: 51,
            priority: 150,
            interval: 1,
            auth: Auth::None,
            addrs: Addrs::V4(vec![Ipv4Addr::new(10, 0, 0, 100)]),
        };
        let msg = a.to_vec(Checksum::V2).unwrap();
        let ip = Ipv4Repr::vrrp(Ipv4Addr::new(10, 0, 0, 2), GROUP_V4, 255, 1, 0);
        emit_ipv4_datagram(&ip, &msg).unwrap()
    }

    #[test]
    fn ip_level_errors_are_counted_like_the_others() {
        let settings = RouterSettings::new(vec![
            InstanceSettings::backup("VI_1", 51).vip("10.0.0.100/24")
        ]);
        let now = crate::test_epoch();
        let mut router = Router::new(settings, now);
        let mut feed = |datagram: Vec<u8>| {
            router.handle(
                now,
                Input::Ipv4 {
                    ifindex: 2,
                    datagram,
                },
            );
            while router.poll_action().is_some() {}
            router.snapshot()
        };
        let snap = feed(datagram());
        assert_eq!(
            snap.instances[0].counters.advert_rcvd, 1,
            "a good datagram passes"
        );

        let mut bad_ihl = datagram();
        bad_ihl[0] = 0x4f; // a 60-byte header in a 40-byte datagram
        let mut bad_total = datagram();
        bad_total[2..4].copy_from_slice(&100u16.to_be_bytes()); // check 10
        feed(bad_ihl);
        let snap = feed(bad_total);
        assert_eq!(snap.instances[0].counters.packet_len_err, 2);

        // Check 2: an AH header in front of the advert, for an instance without AH.
        let good = datagram();
        let mut ah = good[..20].to_vec();
        ah[9] = PROTO_AH;
        ah.extend_from_slice(&[112, 4, 0, 0]);
        ah.extend_from_slice(&[0; 20]);
        ah.extend_from_slice(&good[20..]);
        let snap = feed(ah);
        assert_eq!(snap.instances[0].counters.authtype_mismatch, 1);

        // No VRID to charge: counted globally.
        let mut v6 = datagram();
        v6[0] = 0x65;
        feed(v6);
        let snap = feed(datagram()[..27].to_vec());
        assert_eq!(
            (snap.global.bad_ip_header, snap.global.packet_too_short),
            (1, 1)
        );
        assert_eq!(snap.instances[0].counters.advert_rcvd, 1);
    }

    /// A v2 AH advert for VRID 52 from 10.0.0.2 with sequence `seq`, keyed with `pass`.
    fn ah_datagram(seq: u32, pass: &str, priority: u8) -> Vec<u8> {
        let a = Advert {
            version: Version::V2,
            vrid: 52,
            priority,
            interval: 1,
            auth: Auth::Ah,
            addrs: Addrs::V4(vec![Ipv4Addr::new(10, 0, 0, 100)]),
        };
        let msg = a.to_vec(Checksum::V2).unwrap();
        let ip = Ipv4Repr {
            protocol: PROTO_AH,
            ..Ipv4Repr::vrrp(Ipv4Addr::new(10, 0, 0, 2), GROUP_V4, 255, 1, 0)
        };
        let key = crate::proto::AuthSettings::Ah(pass.into())
            .ah_key()
            .unwrap();
        let payload = crate::wire::ah::seal(&ip, &key, seq, false, &msg).unwrap();
        emit_ipv4_datagram(&ip, &payload).unwrap()
    }

    #[test]
    fn ah_adverts_are_verified_replays_and_wrong_keys_counted() {
        let settings = RouterSettings::new(vec![InstanceSettings::backup("VI_AH", 52)
            .vip("10.0.0.100/24")
            .auth_ah("sEcret99x")]);
        let now = crate::test_epoch();
        let mut router = Router::new(settings, now);
        let logs = std::cell::RefCell::new(Vec::new());
        let mut feed = |datagram: Vec<u8>| {
            router.handle(
                now,
                Input::Ipv4 {
                    ifindex: 2,
                    datagram,
                },
            );
            while let Some(a) = router.poll_action() {
                if let crate::proto::Action::Log { message, .. } = a {
                    logs.borrow_mut().push(message);
                }
            }
            router.snapshot()
        };
        // The key is cut to 8 bytes, as keepalived cuts auth_pass.
        let snap = feed(ah_datagram(5, "sEcret99", 150));
        assert_eq!(snap.instances[0].counters.advert_rcvd, 1);
        let snap = feed(ah_datagram(5, "sEcret99", 150));
        assert_eq!(
            (
                snap.instances[0].counters.advert_rcvd,
                snap.instances[0].counters.auth_failure
            ),
            (1, 1),
            "a replay is refused and counted"
        );
        let snap = feed(ah_datagram(9, "other", 150));
        assert_eq!(snap.instances[0].counters.auth_failure, 2);
        let snap = feed(ah_datagram(6, "sEcret99", 150));
        assert_eq!(snap.instances[0].counters.advert_rcvd, 2);
        // A plain advert is an AH presence mismatch.
        let mut plain = datagram();
        plain[21] = 52;
        let snap = feed(plain);
        assert_eq!(snap.instances[0].counters.authtype_mismatch, 1);
        let logs = logs.borrow();
        assert!(logs.iter().any(|l| l
            == "(VI_AH) IPSEC-AH : sequence number 5 already processed. Packet dropped. Local(5)"));
        assert!(logs.iter().any(|l| l
            == "(VI_AH) IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !"));
        assert!(logs
            .iter()
            .any(|l| l == "(VI_AH) No AH header but auth type is AH"));
    }

    /// The AH seals of the adverts sent so far, and the log lines.
    fn drain(router: &mut Router) -> (Vec<crate::proto::AhSeal>, Vec<String>) {
        let (mut seals, mut logs) = (Vec::new(), Vec::new());
        while let Some(a) = router.poll_action() {
            match a {
                crate::proto::Action::SendAdvert { ah, .. } => seals.extend(ah),
                crate::proto::Action::Log { message, .. } => logs.push(message),
                _ => {}
            }
        }
        (seals, logs)
    }

    #[test]
    fn ah_master_numbers_its_adverts_and_syncs_above_a_lower_priority_one() {
        let settings = RouterSettings::new(vec![InstanceSettings::master("VI_AH", 52)
            .vip("10.0.0.100/24")
            .auth_ah("sEcret99")]);
        let mut now = crate::test_epoch();
        let mut router = Router::new(settings, now);
        for _ in 0..4 {
            drain(&mut router);
            now = router.poll_timeout().unwrap();
            router.handle_timeout(now);
        }
        let (seals, _) = drain(&mut router);
        assert_eq!(router.snapshot().instances[0].state, State::Master);
        let key = crate::proto::AuthSettings::Ah("sEcret99".into()).ah_key();
        assert!(seals.iter().all(|s| Some(s.key) == key && !s.zero_ttl));
        let seq = seals.last().map(|s| s.seq).unwrap_or(0);
        assert!(seq >= 1);
        // A valid lower-priority AH advert numbered above ours: the counter goes one above it.
        router.handle(
            now,
            Input::Ipv4 {
                ifindex: 2,
                datagram: ah_datagram(seq + 40, "sEcret99", 50),
            },
        );
        let (seals, logs) = drain(&mut router);
        assert!(
            logs.iter()
                .any(|l| l == "(VI_AH) IPSEC-AH : Syncing seq_num - Increment seq"),
            "{logs:?}"
        );
        assert_eq!(seals.first().map(|s| s.seq), Some(seq + 42), "{seals:?}");
    }

    #[test]
    fn a_bad_ipv6_checksum_is_counted() {
        let mut inst = InstanceSettings::backup("VI_6", 61)
            .src("fe80::1")
            .vip("fe80::61/64");
        inst.version = Version::V3;
        let now = crate::test_epoch();
        let mut router = Router::new(RouterSettings::new(vec![inst]), now);
        let src: std::net::Ipv6Addr = "fe80::2".parse().unwrap();
        let a = Advert {
            version: Version::V3,
            vrid: 61,
            priority: 100,
            interval: 100,
            auth: Auth::None,
            addrs: Addrs::V6(vec!["fe80::61".parse().unwrap()]),
        };
        let good = a.to_vec(Checksum::V3Ipv6 { src, dst: GROUP_V6 }).unwrap();
        let mut bad = good.clone();
        bad[6] ^= 0xff;
        for bytes in [good, bad] {
            router.handle(
                now,
                Input::Packet {
                    ifindex: 2,
                    src: IpAddr::V6(src),
                    dst: IpAddr::V6(GROUP_V6),
                    ttl: 255,
                    bytes,
                },
            );
        }
        let c = &router.snapshot().instances[0].counters;
        assert_eq!((c.advert_rcvd, c.chk_err), (1, 1));
    }

    #[test]
    fn every_error_is_charged_like_keepalived() {
        let mut c = Counters::default();
        for e in [
            Error::AhIcv { vrid: 1 },
            Error::AhSpi {
                vrid: 1,
                src: [0; 4],
                spi: [1; 4],
            },
            Error::AhReplay {
                vrid: 1,
                seq: 1,
                local: 1,
            },
            Error::AuthFailure { vrid: 1 },
            Error::AhPresence {
                vrid: 1,
                has_ah: true,
            },
        ] {
            if let Some(n) = counter(&mut c, &e) {
                *n += 1;
            }
        }
        assert_eq!(c.auth_failure, 4, "AH ICV, SPI and replay are auth_failure");
        assert_eq!(c.authtype_mismatch, 1, "AH presence is authtype_mismatch");
        assert!(counter(&mut c, &Error::AhNextHeader { vrid: 1 }).is_none());
        assert!(counter(
            &mut c,
            &Error::Interval {
                vrid: 1,
                received: 2,
                expected: 1
            }
        )
        .is_none());
        let src = "10.0.0.9".parse().unwrap();
        assert!(counter(&mut c, &Error::NotAPeer { vrid: 1, src }).is_none());
    }
}
