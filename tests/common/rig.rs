//! Shared test rig for the protocol core: a fixed `t0`, a router driven on explicit times,
//! and adverts built with the real wire codec (so the decoder always runs).

use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use vrrpd::proto::{Action, InstanceSettings, LogLevel, Router, RouterSettings, State};
use vrrpd::wire::{Addrs, Advert, Auth, Checksum, Version};

/// A fixed instant all tests measure from (taken once; only differences matter).
pub fn t0() -> Instant {
    static T0: OnceLock<Instant> = OnceLock::new();
    *T0.get_or_init(Instant::now)
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub fn us(n: u64) -> Duration {
    Duration::from_micros(n)
}

/// An action and when it was emitted (offset from t0).
#[derive(Clone, Debug)]
pub struct Timed {
    pub at: Duration,
    pub action: Action,
}

/// A router driven at explicit times; every action is recorded with its time.
pub struct Rig {
    pub router: Router,
    pub now: Instant,
    pub out: Vec<Timed>,
}

impl Rig {
    pub fn new(settings: RouterSettings) -> Rig {
        let router = Router::new(settings, t0());
        let mut rig = Rig {
            router,
            now: t0(),
            out: Vec::new(),
        };
        rig.drain();
        rig
    }

    pub fn one(inst: InstanceSettings) -> Rig {
        Rig::new(RouterSettings::new(vec![inst]))
    }

    pub fn drain(&mut self) {
        let at = self.now - t0();
        while let Some(action) = self.router.poll_action() {
            self.out.push(Timed { at, action });
        }
    }

    /// Runs every timer up to `t` (offset from t0) in order, then sets the clock to `t`.
    pub fn advance_to(&mut self, t: Duration) {
        let target = t0() + t;
        while let Some(d) = self.router.poll_timeout() {
            if d > target {
                break;
            }
            assert!(
                d >= self.now,
                "poll_timeout {d:?} before now {:?}",
                self.now
            );
            self.now = d;
            self.router.handle_timeout(d);
            self.drain();
        }
        if target > self.now {
            self.now = target;
        }
    }

    /// Advances to `t`, then feeds `input`.
    pub fn input_at(&mut self, t: Duration, input: vrrpd::proto::Input) {
        self.advance_to(t);
        self.router.handle(self.now, input);
        self.drain();
    }

    /// Advances to `t`, then reloads with `settings` (`Router::reconfigure`).
    pub fn reconfigure_at(&mut self, t: Duration, settings: RouterSettings) {
        self.advance_to(t);
        self.router.reconfigure(self.now, settings);
        self.drain();
    }

    /// Receives `advert` from `src` sent to the multicast group with TTL 255 at `t`.
    pub fn rx_at(&mut self, t: Duration, src: &str, advert: &Advert) {
        let src: IpAddr = src.parse().unwrap();
        let dst: IpAddr = if src.is_ipv4() {
            "224.0.0.18".parse().unwrap()
        } else {
            "ff02::12".parse().unwrap()
        };
        self.rx_to(t, src, dst, 255, advert);
    }

    pub fn rx_to(&mut self, t: Duration, src: IpAddr, dst: IpAddr, ttl: u8, advert: &Advert) {
        let bytes = encode(advert, src, dst);
        self.input_at(
            t,
            vrrpd::proto::Input::Packet {
                ifindex: 2,
                src,
                dst,
                ttl,
                bytes,
            },
        );
    }

    /// Everything emitted since `from` (inclusive).
    pub fn since(&self, from: Duration) -> Vec<&Timed> {
        self.out.iter().filter(|t| t.at >= from).collect()
    }

    pub fn logs(&self) -> Vec<String> {
        self.out
            .iter()
            .filter_map(|t| match &t.action {
                Action::Log { message, level } if *level != LogLevel::Detail => {
                    Some(message.clone())
                }
                _ => None,
            })
            .collect()
    }

    pub fn all_logs(&self) -> Vec<String> {
        self.out
            .iter()
            .filter_map(|t| match &t.action {
                Action::Log { message, .. } => Some(message.clone()),
                _ => None,
            })
            .collect()
    }

    /// When the log line `text` was first emitted.
    pub fn when_logged(&self, text: &str) -> Option<Duration> {
        self.out.iter().find_map(|t| match &t.action {
            Action::Log { message, .. } if message == text => Some(t.at),
            _ => None,
        })
    }

    pub fn state(&self, name: &str) -> State {
        self.router.snapshot().instance(name).unwrap().state
    }

    pub fn clear(&mut self) {
        self.out.clear();
    }

    /// Adverts sent, decoded: (time, dst, priority).
    pub fn sent_adverts(&self) -> Vec<(Duration, IpAddr, u8)> {
        self.out
            .iter()
            .filter_map(|t| match &t.action {
                Action::SendAdvert { dst, bytes, .. } => Some((t.at, *dst, bytes[2])),
                _ => None,
            })
            .collect()
    }

    pub fn count(&self, pred: impl Fn(&Action) -> bool) -> usize {
        self.out.iter().filter(|t| pred(&t.action)).count()
    }
}

pub fn is_garp(a: &Action) -> bool {
    matches!(a, Action::SendGarp { .. } | Action::SendNa { .. })
}

pub fn is_add(a: &Action) -> bool {
    matches!(a, Action::AddVip { .. })
}

pub fn is_del(a: &Action) -> bool {
    matches!(a, Action::DelVip { .. })
}

/// The advert a peer running the same configuration as `inst` would send with `priority`.
pub fn advert_like(inst: &InstanceSettings, priority: u8) -> Advert {
    let addrs = match inst.src {
        IpAddr::V4(_) => Addrs::V4(
            inst.vips
                .iter()
                .filter_map(|v| match v.addr {
                    IpAddr::V4(a) => Some(a),
                    _ => None,
                })
                .collect(),
        ),
        IpAddr::V6(_) => Addrs::V6(
            inst.vips
                .iter()
                .filter_map(|v| match v.addr {
                    IpAddr::V6(a) => Some(a),
                    _ => None,
                })
                .collect(),
        ),
    };
    Advert {
        version: inst.version,
        vrid: inst.vrid,
        priority,
        interval: match inst.version {
            Version::V2 => (inst.advert_int.0 / 100) as u16,
            Version::V3 => inst.advert_int.0 as u16,
        },
        auth: match inst.version {
            Version::V2 => inst.auth.to_wire(),
            Version::V3 => Auth::None,
        },
        addrs,
    }
}

/// Encodes with the checksum a correct sender computes for `src` → `dst`.
pub fn encode(advert: &Advert, src: IpAddr, dst: IpAddr) -> Vec<u8> {
    let csum = match (advert.version, src, dst) {
        (Version::V2, _, _) => Checksum::V2,
        (Version::V3, IpAddr::V4(s), IpAddr::V4(d)) => Checksum::V3Ipv4 { src: s, dst: d },
        (Version::V3, IpAddr::V6(s), IpAddr::V6(d)) => Checksum::V3Ipv6 { src: s, dst: d },
        _ => Checksum::Offload,
    };
    advert.to_vec(csum).expect("encodable advert")
}
