//! The protocol-core property shared by the `proto` fuzz target and the deterministic
//! `proto_property` test: bytes become a sequence of (Δt, Input) fed to a Router with a fixed
//! 2-instance configuration; after every step
//! * nothing panicked;
//! * `poll_timeout()` is not in the past after `handle_timeout(now)`;
//! * VIP, route and rule add/del alternate per (instance, item) (an external deletion counts
//!   as a del);
//! * an instance is MASTER iff it holds its VIPs, and then holds all its routes and rules.
//!
//! Besides packets, link, address and tracker events, the inputs include external route/rule
//! deletions and reloads (`Router::reconfigure`) to variants of the configuration: VIP
//! added/removed, an instance removed, renamed, re-prioritised, moved to another VRID, a
//! route added, the sync group dropped.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use vrrpd::proto::{
    Action, Centisecs, Input, InstanceSettings, RouteSpec, Router, RouterSettings, RuleSpec, State,
    TrackTarget, TrackerState,
};
use vrrpd::wire::{emit_ipv4_datagram, Addrs, Advert, Auth, Checksum, Ipv4Repr, Version};

fn route_a() -> RouteSpec {
    RouteSpec::to("192.168.10.0/24").via("10.0.0.254")
}

fn route_b() -> RouteSpec {
    RouteSpec::to("0.0.0.0/0")
        .via("10.0.0.254")
        .table(100)
        .no_track()
}

fn rule_a() -> RuleSpec {
    RuleSpec::from_table("10.0.0.100", 100)
}

/// VI_1: v2 multicast with PASS auth, two VIPs, an excluded VIP, a route and a rule, in sync
/// group G.
/// VI_2: v3 unicast to 10.0.0.2, preempt_delay, state MASTER with priority 255 (owner), a
/// `no_track` route.
/// VI_3: v3 IPv6 multicast, 0.5 s.
pub fn settings() -> RouterSettings {
    let vi1 = InstanceSettings::backup("VI_1", 51)
        .priority(100)
        .auth_pass("secret")
        .vip("10.0.0.100/24")
        .vip("10.0.0.101")
        .excluded_vip("192.168.1.1/24")
        .route(route_a())
        .rule(rule_a())
        .sync_group("G");
    let vi2 = InstanceSettings::master("VI_2", 52)
        .v3()
        .priority(255)
        .peer("10.0.0.2")
        .preempt_delay_cs(300)
        .vip("10.0.0.102")
        .route(route_b());
    let vi3 = InstanceSettings::backup("VI_3", 53)
        .src("fe80::1")
        .advert_cs(50)
        .priority(150)
        .vip("fe80::53/64")
        .sync_group("G");
    RouterSettings::new(vec![vi1, vi2, vi3]).group("G", &["VI_1", "VI_3"])
}

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from(self.u8()?) << 8 | u16::from(self.u8()?))
    }
    fn take(&mut self, n: usize) -> Option<Vec<u8>> {
        let n = n.min(self.0.len());
        let (a, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(a.to_vec())
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// A plausible advert for one of the configured instances, optionally corrupted.
fn packet(b: &mut Bytes) -> Option<Input> {
    let which = b.u8()? % 3;
    let prio = b.u8()?;
    let flags = b.u8()?;
    let (advert, src, dst, csum_dst) = match which {
        0 => {
            let src = [ip("10.0.0.2"), ip("10.0.0.1"), ip("10.0.0.200")][usize::from(flags % 3)];
            let adv = Advert {
                version: Version::V2,
                vrid: 51,
                priority: prio,
                interval: 1,
                auth: Auth::pass_from_str("secret"),
                addrs: Addrs::V4(vec![
                    "10.0.0.100".parse().unwrap(),
                    "10.0.0.101".parse().unwrap(),
                ]),
            };
            (adv, src, ip("224.0.0.18"), ip("224.0.0.18"))
        }
        1 => {
            let src = [ip("10.0.0.2"), ip("10.0.0.9")][usize::from(flags % 2)];
            let adv = Advert {
                version: Version::V3,
                vrid: 52,
                priority: prio,
                interval: [100u16, 50, 300][usize::from(flags / 2 % 3)],
                auth: Auth::None,
                addrs: Addrs::V4(vec!["10.0.0.102".parse().unwrap()]),
            };
            (adv, src, ip("10.0.0.1"), ip("10.0.0.1"))
        }
        _ => {
            let src = [ip("fe80::2"), ip("fe80::1")][usize::from(flags % 2)];
            let adv = Advert {
                version: Version::V3,
                vrid: 53,
                priority: prio,
                interval: [50u16, 20, 100][usize::from(flags / 2 % 3)],
                auth: Auth::None,
                addrs: Addrs::V6(vec!["fe80::53".parse().unwrap()]),
            };
            (adv, src, ip("ff02::12"), ip("ff02::12"))
        }
    };
    let csum = match (advert.version, src, csum_dst) {
        (Version::V2, _, _) => Checksum::V2,
        (Version::V3, IpAddr::V4(s), IpAddr::V4(d)) => Checksum::V3Ipv4 { src: s, dst: d },
        (Version::V3, IpAddr::V6(s), IpAddr::V6(d)) => Checksum::V3Ipv6 { src: s, dst: d },
        _ => Checksum::Offload,
    };
    let mut bytes = advert.to_vec(csum).ok()?;
    if flags & 0x80 != 0 {
        let pos = usize::from(b.u8()?) % bytes.len().max(1);
        let val = b.u8()?;
        if let Some(x) = bytes.get_mut(pos) {
            *x = val;
        }
    }
    let ttl = if flags & 0x40 != 0 { 64 } else { 255 };
    // IPv4 adverts also arrive as the receive socket hands them over: the whole datagram.
    if let (true, IpAddr::V4(s), IpAddr::V4(d)) = (flags & 0x20 != 0, src, dst) {
        let ip = Ipv4Repr::vrrp(s, d, ttl, 1, 0);
        return Some(Input::Ipv4 {
            ifindex: 2,
            datagram: emit_ipv4_datagram(&ip, &bytes).ok()?,
        });
    }
    Some(Input::Packet {
        ifindex: 2,
        src,
        dst,
        ttl,
        bytes,
    })
}

/// A variant of [`settings`] to reload to.
fn variant(which: u8) -> RouterSettings {
    let mut s = settings();
    match which % 7 {
        0 => {}
        1 => {
            s.instances[0].vips.pop();
            s.instances[0] = s.instances[0].clone().vip("10.0.0.103");
        }
        2 => {
            s.instances.remove(1);
        }
        3 => {
            s.instances[0].priority = 180;
            s.instances[2].name = "VI_3b".into();
            s.groups[0].members = vec!["VI_1".into(), "VI_3b".into()];
        }
        4 => {
            s.instances[1].vrid = 62;
            s.instances[0]
                .routes
                .push(RouteSpec::to("172.16.0.0/12").dev("eth0"));
        }
        5 => {
            s.instances[2].advert_int = Centisecs(150);
            s.groups.clear();
            for i in &mut s.instances {
                i.sync_group = None;
            }
        }
        _ => {
            s.instances[1].priority = 200;
            s.instances[0].auth = Default::default();
            s.instances[0].rules.clear();
        }
    }
    s
}

/// One step of the generated sequence.
#[derive(Debug)]
enum Step {
    Input(Input),
    Reload(RouterSettings),
}

/// Decodes one (Δt, step); `None` at the end of the data.
fn next_step(b: &mut Bytes) -> Option<(Duration, Step)> {
    let dt = Duration::from_millis(u64::from(b.u16()?) % 20_000);
    let op = b.u8()?;
    let input = match op % 16 {
        0..=6 => packet(b)?,
        7 if op & 0x20 != 0 => Input::Ipv4 {
            ifindex: [2, 3][usize::from(op / 64 % 2)],
            datagram: {
                let n = usize::from(b.u8()? % 64);
                b.take(n)?
            },
        },
        7 => {
            let n = usize::from(b.u8()? % 48);
            Input::Packet {
                ifindex: [2, 3][usize::from(op / 16 % 2)],
                src: ip("10.0.0.2"),
                dst: ip("224.0.0.18"),
                ttl: 255,
                bytes: b.take(n)?,
            }
        }
        8 | 9 => Input::Link {
            ifname: "eth0".into(),
            up: op & 0x10 != 0,
        },
        10 | 11 => {
            let addrs = [
                "10.0.0.100",
                "10.0.0.101",
                "192.168.1.1",
                "10.0.0.1",
                "fe80::1",
            ];
            let a = addrs[usize::from(b.u8()?) % addrs.len()];
            Input::Addr {
                ifname: "eth0".into(),
                addr: ip(a),
                prefix: 24,
                added: op & 0x10 != 0,
            }
        }
        12..=14 => {
            let t = b.u8()?;
            let target = match t % 4 {
                0 => TrackTarget::Instance("VI_1".into()),
                1 => TrackTarget::Instance("VI_2".into()),
                2 => TrackTarget::Group("G".into()),
                _ => TrackTarget::Instance("VI_3".into()),
            };
            let w = b.u8()?;
            let state = match w % 4 {
                0 => TrackerState::Up,
                1 => TrackerState::Down,
                _ => TrackerState::Weight(i32::from(w as i8) * 2),
            };
            Input::Tracker {
                target,
                id: format!("t{}", t / 4 % 3),
                state,
            }
        }
        _ => match op / 16 {
            15 => Input::Stop { release: true },
            5..=9 => {
                let k = b.u8()?;
                match k % 4 {
                    0 => Input::Route {
                        spec: route_a(),
                        added: k & 0x10 != 0,
                    },
                    1 => Input::Route {
                        spec: route_b(),
                        added: false,
                    },
                    2 => Input::Rule {
                        spec: rule_a(),
                        added: false,
                    },
                    _ => Input::Route {
                        spec: RouteSpec::to("10.9.0.0/16"),
                        added: false,
                    },
                }
            }
            10..=14 => return Some((dt, Step::Reload(variant(b.u8()?)))),
            _ => Input::Link {
                ifname: "eth1".into(),
                up: false,
            },
        },
    };
    Some((dt, Step::Input(input)))
}

/// keepalived's identity of an instance across a reload (docs/keepalived-compat.md#reload), to follow renames.
fn key(i: &InstanceSettings) -> (u8, String, bool, IpAddr) {
    let addr = if i.is_unicast() { i.src } else { i.mcast_group };
    (i.vrid, i.ifname.clone(), i.is_unicast(), addr)
}

/// The observer: per (instance, address) whether the shell would hold it, and the same for
/// routes and rules (by their text).
struct Model {
    held: BTreeMap<String, BTreeSet<IpAddr>>,
    routes: BTreeMap<String, BTreeSet<String>>,
}

impl Model {
    fn apply(&mut self, action: &Action) {
        match action {
            Action::AddVip { instance, vip } => {
                let set = self.held.entry(instance.clone()).or_default();
                assert!(set.insert(vip.addr), "{instance}: add of held {}", vip.addr);
            }
            Action::DelVip { instance, vip } => {
                let set = self.held.entry(instance.clone()).or_default();
                assert!(
                    set.remove(&vip.addr),
                    "{instance}: del of absent {}",
                    vip.addr
                );
            }
            Action::AddRoute { instance, spec } => self.add_item(instance, format!("route {spec}")),
            Action::DelRoute { instance, spec } => self.del_item(instance, format!("route {spec}")),
            Action::AddRule { instance, spec } => self.add_item(instance, format!("rule {spec}")),
            Action::DelRule { instance, spec } => self.del_item(instance, format!("rule {spec}")),
            _ => {}
        }
    }

    fn add_item(&mut self, instance: &str, item: String) {
        let set = self.routes.entry(instance.to_string()).or_default();
        assert!(set.insert(item.clone()), "{instance}: add of held {item}");
    }

    fn del_item(&mut self, instance: &str, item: String) {
        let set = self.routes.entry(instance.to_string()).or_default();
        assert!(set.remove(&item), "{instance}: del of absent {item}");
    }

    /// A tracked route/rule deleted behind the core's back (a `no_track` one is forgotten
    /// by nobody: the core does not react and later deletes it, an error the shell ignores).
    fn external_delete_item(&mut self, item: String) {
        for set in self.routes.values_mut() {
            set.remove(&item);
        }
    }

    /// Follows the instances a reload renames.
    fn rename(&mut self, old: &RouterSettings, new: &RouterSettings) {
        for n in &new.instances {
            if let Some(o) = old.instances.iter().find(|o| key(o) == key(n)) {
                if o.name != n.name {
                    if let Some(set) = self.held.remove(&o.name) {
                        self.held.insert(n.name.clone(), set);
                    }
                    if let Some(set) = self.routes.remove(&o.name) {
                        self.routes.insert(n.name.clone(), set);
                    }
                }
            }
        }
    }

    fn external_delete(&mut self, addr: IpAddr) {
        for set in self.held.values_mut() {
            set.remove(&addr);
        }
    }
}

fn drain(router: &mut Router, model: &mut Model) {
    while let Some(a) = router.poll_action() {
        if std::env::var_os("PROPERTY_TRACE").is_some() {
            eprintln!("  ACT {a:?}");
        }
        model.apply(&a);
    }
}

fn check(router: &Router, model: &Model, now: Instant, current: &RouterSettings) {
    if let Some(d) = router.poll_timeout() {
        assert!(d >= now, "poll_timeout {d:?} in the past (now {now:?})");
    }
    for inst in router.snapshot().instances {
        let held = model.held.get(&inst.name).is_some_and(|s| !s.is_empty());
        assert_eq!(
            inst.state == State::Master,
            held,
            "{}: state {:?}, model holds {:?}",
            inst.name,
            inst.state,
            model.held.get(&inst.name)
        );
        assert_eq!(inst.state == State::Master, !inst.vips.is_empty());
        assert!(inst.effective_priority >= 1);
        if let Some(cfg) = current.instances.iter().find(|c| c.name == inst.name) {
            let want = if inst.state == State::Master {
                cfg.routes.len() + cfg.rules.len()
            } else {
                0
            };
            let got = model.routes.get(&inst.name).map_or(0, BTreeSet::len);
            assert_eq!(got, want, "{}: routes/rules held", inst.name);
        }
    }
}

/// Runs the property over `data` starting at `t0`.
pub fn run(data: &[u8], t0: Instant) {
    let mut b = Bytes(data);
    let mut current = settings();
    let mut router = Router::new(current.clone(), t0);
    let mut model = Model {
        held: BTreeMap::new(),
        routes: BTreeMap::new(),
    };
    let mut now = t0;
    let mut stopped = false;
    drain(&mut router, &mut model);
    check(&router, &model, now, &current);
    let mut steps = 0;
    while let Some((dt, step)) = next_step(&mut b) {
        steps += 1;
        if steps > 2_000 {
            break;
        }
        let target = now + dt;
        if std::env::var_os("PROPERTY_TRACE").is_some() {
            eprintln!("STEP +{dt:?} {step:?}");
        }
        // The shell: run every deadline up to the next input.
        let mut guard = 0;
        while let Some(d) = router.poll_timeout() {
            if d > target {
                break;
            }
            assert!(d >= now, "deadline {d:?} before now {now:?}");
            now = d;
            router.handle_timeout(now);
            drain(&mut router, &mut model);
            check(&router, &model, now, &current);
            guard += 1;
            assert!(guard < 100_000, "timer storm");
        }
        now = target;
        match step {
            Step::Reload(new) => {
                if !stopped {
                    model.rename(&current, &new);
                    current = new.clone();
                }
                router.reconfigure(now, new);
            }
            Step::Input(input) => {
                match &input {
                    Input::Addr {
                        addr, added: false, ..
                    } => model.external_delete(*addr),
                    Input::Route { spec, added: false } if !spec.no_track => {
                        model.external_delete_item(format!("route {spec}"))
                    }
                    Input::Rule { spec, added: false } if !spec.no_track => {
                        model.external_delete_item(format!("rule {spec}"))
                    }
                    Input::Stop { .. } => stopped = true,
                    _ => {}
                }
                router.handle(now, input);
            }
        }
        drain(&mut router, &mut model);
        router.handle_timeout(now);
        drain(&mut router, &mut model);
        check(&router, &model, now, &current);
    }
}
