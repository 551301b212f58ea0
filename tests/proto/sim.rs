//! A simulated LAN (in the style of quinn-proto's `Pair`): N routers on a
//! virtual clock, every `SendAdvert` delivered to the others after a latency. Knobs: random
//! loss, partition + heal, link down/up, silent router death and restart. Deterministic
//! (seeded), no sleeps, no privileges.
//!
//! Invariants checked over many seeds:
//! * after every step: an alive router holds VIPs iff it is MASTER (from the actions it emitted
//!   and from its snapshot), and VIP add/del alternate;
//! * after a quiet settle period: exactly one MASTER per connected component, with the
//!   highest priority of that component;
//! * failover after a silent death within latency + Master_Down_Interval of the best backup;
//!   after a link-down (priority 0) within latency + Skew_Time;
//! * after a partition heals: exactly one MASTER within one advert interval (+ 2 × latency);
//! * in a third of the seeds every router runs two instances in one sync group: the members
//!   of a router are always found in the same state after settling;
//! * reloads (`Router::reconfigure`) with an unchanged configuration at random moments cause
//!   no action and no state change; a reload adding a VIP everywhere only adds it (and
//!   GARPs it) on the master.

use crate::common;

use common::rng::Rng;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use vrrpd::proto::{interval, Action, Input, InstanceSettings, Router, RouterSettings, State};
use vrrpd::wire::Version;

struct Node {
    settings: RouterSettings,
    router: Router,
    alive: bool,
    link_up: bool,
    /// Addresses held per instance name, from the emitted AddVip/DelVip.
    held: BTreeMap<String, BTreeSet<IpAddr>>,
    /// State of the first instance (the one elections are checked on).
    state: State,
    /// State of every instance (sync-group members must agree).
    states: Vec<State>,
    priority: u8,
}

struct Lan {
    nodes: Vec<Node>,
    now: Instant,
    latency: Duration,
    loss_permille: u64,
    rng: Rng,
    queue: BTreeMap<(Instant, u64), (usize, Input)>,
    seq: u64,
    component: Vec<usize>,
    /// (time, node, new state)
    history: Vec<(Instant, usize, State)>,
    seed: u64,
}

impl Lan {
    fn new(seed: u64, settings: Vec<RouterSettings>, latency: Duration) -> Lan {
        let now = common::t0();
        let nodes = settings
            .into_iter()
            .map(|s| Node {
                priority: s.instances[0].priority,
                router: Router::new(s.clone(), now),
                settings: s,
                alive: true,
                link_up: true,
                held: BTreeMap::new(),
                state: State::Init,
                states: Vec::new(),
            })
            .collect::<Vec<_>>();
        let n = nodes.len();
        let mut lan = Lan {
            nodes,
            now,
            latency,
            loss_permille: 0,
            rng: Rng::new(seed ^ 0x5eed),
            queue: BTreeMap::new(),
            seq: 0,
            component: vec![0; n],
            history: Vec::new(),
            seed,
        };
        for i in 0..n {
            lan.drain(i);
        }
        lan
    }

    fn drain(&mut self, i: usize) {
        self.drain_collect(i);
    }

    /// Performs every queued action of node `i` and returns them.
    fn drain_collect(&mut self, i: usize) -> Vec<Action> {
        let actions: Vec<Action> =
            std::iter::from_fn(|| self.nodes[i].router.poll_action()).collect();
        for action in actions.clone() {
            match action {
                Action::SendAdvert {
                    src,
                    dst,
                    ttl,
                    bytes,
                    ..
                } => {
                    if !self.nodes[i].alive || !self.nodes[i].link_up {
                        continue;
                    }
                    for j in 0..self.nodes.len() {
                        if j == i || self.component[j] != self.component[i] {
                            continue;
                        }
                        if self.loss_permille > 0 && self.rng.chance(self.loss_permille) {
                            continue;
                        }
                        self.seq += 1;
                        let input = Input::Packet {
                            ifindex: 2,
                            src,
                            dst,
                            ttl,
                            bytes: bytes.clone(),
                        };
                        self.queue
                            .insert((self.now + self.latency, self.seq), (j, input));
                    }
                }
                Action::AddVip { vip, instance } => {
                    assert!(
                        self.nodes[i]
                            .held
                            .entry(instance)
                            .or_default()
                            .insert(vip.addr),
                        "seed {}: node {i} added {} twice",
                        self.seed,
                        vip.addr
                    );
                }
                Action::DelVip { vip, instance } => {
                    assert!(
                        self.nodes[i]
                            .held
                            .entry(instance)
                            .or_default()
                            .remove(&vip.addr),
                        "seed {}: node {i} removed {} it did not hold",
                        self.seed,
                        vip.addr
                    );
                }
                _ => {}
            }
        }
        self.check_node(i);
        actions
    }

    fn check_node(&mut self, i: usize) {
        let snap = self.nodes[i].router.snapshot();
        let first = &snap.instances[0];
        if first.state != self.nodes[i].state {
            self.nodes[i].state = first.state;
            self.history.push((self.now, i, first.state));
        }
        self.nodes[i].priority = first.effective_priority;
        self.nodes[i].states = snap.instances.iter().map(|x| x.state).collect();
        for inst in &snap.instances {
            let master = inst.state == State::Master;
            let held = self.nodes[i].held.get(&inst.name);
            assert_eq!(
                master,
                held.is_some_and(|h| !h.is_empty()),
                "seed {}: node {i} {} state {:?} but holds {held:?}",
                self.seed,
                inst.name,
                inst.state,
            );
            assert_eq!(
                master,
                !inst.vips.is_empty(),
                "seed {}: snapshot VIPs",
                self.seed
            );
        }
    }

    fn run_until(&mut self, t: Instant) {
        loop {
            let next_q = self.queue.keys().next().map(|k| k.0);
            let next_t = self
                .nodes
                .iter()
                .filter(|n| n.alive)
                .filter_map(|n| n.router.poll_timeout())
                .min();
            let next = match (next_q, next_t) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => match a.or(b) {
                    Some(x) => x,
                    None => break,
                },
            };
            if next > t {
                break;
            }
            assert!(next >= self.now, "seed {}: time went backwards", self.seed);
            self.now = next;
            if next_q == Some(next) {
                let key = *self.queue.keys().next().unwrap();
                let (j, input) = self.queue.remove(&key).unwrap();
                if self.nodes[j].alive && self.nodes[j].link_up {
                    self.nodes[j].router.handle(self.now, input);
                    self.drain(j);
                }
            } else {
                for i in 0..self.nodes.len() {
                    let due = self.nodes[i]
                        .router
                        .poll_timeout()
                        .is_some_and(|d| d <= self.now);
                    if self.nodes[i].alive && due {
                        self.nodes[i].router.handle_timeout(self.now);
                        self.drain(i);
                        if let Some(d) = self.nodes[i].router.poll_timeout() {
                            assert!(d >= self.now, "seed {}: timer in the past", self.seed);
                        }
                    }
                }
            }
        }
        self.now = self.now.max(t);
    }

    /// A reload (SIGHUP) of node `i` with `settings`; returns the actions it caused.
    fn reload(&mut self, i: usize, settings: RouterSettings) -> Vec<Action> {
        self.nodes[i].settings = settings.clone();
        self.nodes[i].router.reconfigure(self.now, settings);
        self.drain_collect(i)
    }

    fn run_for(&mut self, d: Duration) {
        let t = self.now + d;
        self.run_until(t);
    }

    fn input(&mut self, i: usize, input: Input) {
        self.nodes[i].router.handle(self.now, input);
        self.drain(i);
    }

    fn set_link(&mut self, i: usize, up: bool) {
        self.nodes[i].link_up = up;
        self.input(
            i,
            Input::Link {
                ifname: "eth0".into(),
                up,
            },
        );
    }

    fn kill(&mut self, i: usize) {
        self.nodes[i].alive = false;
    }

    /// A daemon restart: a fresh router (the shell removes leftover VIPs at start-up).
    fn revive(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        node.alive = true;
        node.held.clear();
        node.state = State::Init;
        node.states.clear();
        node.router = Router::new(node.settings.clone(), self.now);
        self.drain(i);
    }

    fn active(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|i| self.nodes[*i].alive && self.nodes[*i].link_up)
            .collect()
    }

    fn masters(&self) -> Vec<usize> {
        self.active()
            .into_iter()
            .filter(|i| self.nodes[*i].state == State::Master)
            .collect()
    }

    /// Exactly one MASTER per connected component, with the component's top priority; the
    /// members of a router's sync group all in the same state.
    fn check_converged(&self, what: &str) {
        for i in self.active() {
            let states = &self.nodes[i].states;
            assert!(
                states.iter().all(|s| *s == states[0]),
                "seed {} {what}: node {i} group members disagree: {states:?}",
                self.seed
            );
        }
        let comps: BTreeSet<usize> = self.active().iter().map(|i| self.component[*i]).collect();
        for c in comps {
            let members: Vec<usize> = self
                .active()
                .into_iter()
                .filter(|i| self.component[*i] == c)
                .collect();
            let masters: Vec<usize> = members
                .iter()
                .copied()
                .filter(|i| self.nodes[*i].state == State::Master)
                .collect();
            assert_eq!(
                masters.len(),
                1,
                "seed {} {what}: component {c} members {members:?} masters {masters:?} states {:?}",
                self.seed,
                self.nodes.iter().map(|n| n.state).collect::<Vec<_>>()
            );
            let top = members
                .iter()
                .map(|i| self.nodes[*i].priority)
                .max()
                .unwrap();
            assert_eq!(
                self.nodes[masters[0]].priority, top,
                "seed {} {what}: master is not the top priority",
                self.seed
            );
        }
    }

    /// When a node other than `old` entered MASTER at or after `since`.
    fn takeover_after(&self, since: Instant, old: usize) -> Option<Instant> {
        self.history
            .iter()
            .find(|(t, i, s)| *t >= since && *i != old && *s == State::Master)
            .map(|(t, _, _)| *t)
    }
}

struct Scenario {
    version: Version,
    interval_cs: u32,
    priorities: Vec<u8>,
    latency: Duration,
    fast_preempt: bool,
    /// Two instances per router in one sync group.
    group: bool,
}

impl Scenario {
    fn random(rng: &mut Rng) -> Scenario {
        let n = 2 + rng.below(2) as usize;
        let (version, interval_cs) = if rng.chance(500) {
            (Version::V2, 100)
        } else {
            (Version::V3, [50, 100, 150, 200][rng.below(4) as usize])
        };
        let mut priorities: Vec<u8> = (0..n).map(|_| 50 + rng.below(200) as u8).collect();
        if rng.chance(200) {
            priorities[1] = priorities[0]; // equal priorities: address tie-break
        }
        Scenario {
            version,
            interval_cs,
            priorities,
            latency: Duration::from_millis(rng.below(31)),
            fast_preempt: rng.chance(700),
            group: rng.chance(333),
        }
    }

    fn settings(&self) -> Vec<RouterSettings> {
        self.priorities
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let inst = |name: &str, vrid: u8, vip: &str| {
                    let mut inst = InstanceSettings::backup(name, vrid)
                        .priority(*p)
                        .src(&format!("10.0.0.{}", i + 1))
                        .vip(vip)
                        .advert_cs(self.interval_cs);
                    inst.version = self.version;
                    inst
                };
                let mut s = if self.group {
                    RouterSettings::new(vec![
                        inst("VI_A", 51, "10.0.0.100/24").sync_group("G"),
                        inst("VI_B", 52, "10.0.0.101/24").sync_group("G"),
                    ])
                    .group("G", &["VI_A", "VI_B"])
                } else {
                    RouterSettings::new(vec![inst("VI_1", 51, "10.0.0.100/24")])
                };
                s.fast_preempt = self.fast_preempt;
                s
            })
            .collect()
    }

    fn advert(&self) -> Duration {
        Duration::from_millis(u64::from(self.interval_cs) * 10)
    }

    fn master_down(&self, prio: u8) -> Duration {
        interval::master_down(
            self.version,
            prio,
            vrrpd::proto::Centisecs(self.interval_cs),
            3,
        )
    }

    /// Long enough for any election to finish once the network is quiet.
    fn settle(&self) -> Duration {
        self.master_down(1) + self.advert() * 2 + self.latency * 4
    }
}

fn best_backup_prio(lan: &Lan, except: usize) -> u8 {
    lan.active()
        .into_iter()
        .filter(|i| *i != except)
        .map(|i| lan.nodes[i].priority)
        .max()
        .unwrap()
}

fn run_seed(seed: u64) -> (Duration, usize) {
    let mut rng = Rng::new(seed);
    let sc = Scenario::random(&mut rng);
    let n = sc.priorities.len();
    let mut lan = Lan::new(seed, sc.settings(), sc.latency);
    let eps = Duration::from_micros(1);

    // 1. Start-up with loss, then quiet.
    lan.loss_permille = [0, 50, 200][rng.below(3) as usize];
    lan.run_for(Duration::from_secs(20));
    lan.loss_permille = 0;
    lan.run_for(sc.settle());
    lan.check_converged("start-up");

    for round in 0..2 {
        // 2. Silent death of the master: failover within latency + master-down.
        let m = lan.masters()[0];
        let best = best_backup_prio(&lan, m);
        let died = lan.now;
        lan.kill(m);
        lan.run_for(sc.master_down(best) + sc.latency + eps);
        let took = lan.takeover_after(died, m);
        assert!(
            took.is_some(),
            "seed {seed} round {round}: no failover within {:?}",
            sc.master_down(best) + sc.latency
        );
        lan.run_for(sc.settle());
        lan.check_converged("after death");

        // 3. Restart of the dead router.
        lan.revive(m);
        lan.run_for(sc.settle());
        lan.check_converged("after restart");

        // 4. Partition and heal.
        let alone = rng.below(n as u64) as usize;
        lan.component = (0..n).map(|i| usize::from(i == alone)).collect();
        lan.run_for(sc.settle());
        lan.check_converged("partitioned");
        lan.component = vec![0; n];
        let healed = lan.now;
        lan.run_for(sc.advert() + sc.latency * 2 + eps);
        assert_eq!(
            lan.masters().len(),
            1,
            "seed {seed} round {round}: not re-converged one interval after heal (healed at +{:?})",
            healed - common::t0()
        );
        lan.run_for(sc.settle());
        lan.check_converged("healed");

        // 5. Link down on the master: it goes FAULT; its priority-0 advert cannot leave a
        // dead link, so the others take over within latency + master-down.
        let m = lan.masters()[0];
        let best = best_backup_prio(&lan, m);
        let down = lan.now;
        lan.set_link(m, false);
        assert_eq!(lan.nodes[m].state, State::Fault);
        lan.run_for(sc.master_down(best) + sc.latency + eps);
        assert!(
            lan.takeover_after(down, m).is_some(),
            "seed {seed} round {round}: no takeover within master-down after link down"
        );
        lan.run_for(sc.settle());
        lan.check_converged("link down");
        lan.set_link(m, true);
        lan.run_for(sc.settle());
        lan.check_converged("link up");

        // 6. A graceful stop of the master: priority 0, takeover within latency + skew.
        let m = lan.masters()[0];
        let best = best_backup_prio(&lan, m);
        let stopped = lan.now;
        lan.input(m, Input::Stop { release: true });
        lan.kill(m);
        let skew = interval::skew(sc.version, best, vrrpd::proto::Centisecs(sc.interval_cs));
        lan.run_for(skew + sc.latency + eps);
        assert!(
            lan.takeover_after(stopped, m).is_some(),
            "seed {seed} round {round}: no takeover within skew after stop"
        );
        lan.revive(m);
        lan.run_for(sc.settle());
        lan.check_converged("after stop and restart");

        // 7. Thirty lossy seconds.
        lan.loss_permille = 100;
        lan.run_for(Duration::from_secs(30));
        lan.loss_permille = 0;
        lan.run_for(sc.settle());
        lan.check_converged("after loss");
    }
    (lan.now - common::t0(), lan.history.len())
}

#[test]
fn two_and_three_routers_over_many_seeds() {
    let (mut simulated, mut transitions) = (Duration::ZERO, 0);
    for seed in 0..200 {
        let (t, h) = run_seed(seed);
        simulated += t;
        transitions += h;
    }
    // Each seed covers a few simulated minutes with dozens of state changes.
    assert!(simulated > Duration::from_secs(200 * 120), "{simulated:?}");
    assert!(transitions > 200 * 10, "{transitions}");
    eprintln!("simulated {simulated:?}, {transitions} state changes");
}

#[test]
fn three_routers_the_highest_wins_and_survivors_take_over_in_order() {
    let settings: Vec<RouterSettings> = [100u8, 150, 200]
        .iter()
        .enumerate()
        .map(|(i, p)| {
            RouterSettings::new(vec![InstanceSettings::backup("VI_1", 51)
                .priority(*p)
                .src(&format!("10.0.0.{}", i + 1))
                .vip("10.0.0.100/24")])
        })
        .collect();
    let mut lan = Lan::new(1, settings, Duration::from_millis(1));
    lan.run_for(Duration::from_secs(10));
    assert_eq!(lan.masters(), vec![2]);
    lan.kill(2);
    lan.run_for(Duration::from_secs(10));
    assert_eq!(lan.masters(), vec![1]);
    lan.input(1, Input::Stop { release: true });
    lan.nodes[1].alive = false;
    let stopped = lan.now;
    lan.run_for(Duration::from_secs(2));
    // Priority 0 ⇒ the last router takes over after its skew (609.375 ms) + latency.
    let took = lan.takeover_after(stopped, 1).unwrap();
    assert_eq!(took - stopped, Duration::from_micros(610_375));
}

/// Reloads of every router with an unchanged configuration at random moments: not a single
/// action, no state change, still one master.
#[test]
fn unchanged_reloads_at_random_moments_are_invisible() {
    for seed in 0..60 {
        let mut rng = Rng::new(seed ^ 0x4e10ad);
        let sc = Scenario::random(&mut rng);
        let n = sc.priorities.len();
        let mut lan = Lan::new(seed, sc.settings(), sc.latency);
        lan.run_for(Duration::from_secs(10));
        lan.run_for(sc.settle());
        lan.check_converged("before reloads");
        let changes = lan.history.len();
        for _ in 0..60 {
            let wait = Duration::from_micros(rng.below(2 * sc.advert().as_micros() as u64));
            lan.run_for(wait);
            let who: Vec<usize> = if rng.chance(300) {
                (0..n).collect()
            } else {
                vec![rng.below(n as u64) as usize]
            };
            for i in who {
                let settings = lan.nodes[i].settings.clone();
                let actions = lan.reload(i, settings);
                assert!(
                    actions.is_empty(),
                    "seed {seed}: node {i} reload: {actions:?}"
                );
            }
        }
        lan.run_for(sc.settle());
        lan.check_converged("after reloads");
        assert_eq!(lan.history.len(), changes, "seed {seed}: state changed");
    }
}

/// A reload adding a VIP on every router at once: the master adds it (and sends its GARP
/// burst), nobody else does anything, nobody changes state.
#[test]
fn reload_adding_a_vip_everywhere_only_adds_it_on_the_master() {
    for seed in 0..60 {
        let mut rng = Rng::new(seed ^ 0xadd);
        let sc = Scenario::random(&mut rng);
        let n = sc.priorities.len();
        let mut lan = Lan::new(seed, sc.settings(), sc.latency);
        lan.run_for(Duration::from_secs(10));
        lan.run_for(sc.settle());
        lan.check_converged("before reload");
        let changes = lan.history.len();
        lan.run_for(Duration::from_micros(
            rng.below(sc.advert().as_micros() as u64),
        ));
        let master = lan.masters()[0];
        for i in 0..n {
            let mut settings = lan.nodes[i].settings.clone();
            let first = &mut settings.instances[0];
            *first = first.clone().vip("10.0.0.150");
            let actions = lan.reload(i, settings);
            let mut adds = Vec::new();
            for a in &actions {
                match a {
                    Action::AddVip { vip, .. } => adds.push(vip.addr),
                    Action::SendGarp { ip, .. } => {
                        assert_eq!(ip.to_string(), "10.0.0.150", "seed {seed}")
                    }
                    Action::Log { level, .. } => {
                        assert_eq!(*level, vrrpd::proto::LogLevel::Detail, "seed {seed}")
                    }
                    other => panic!("seed {seed}: node {i} reload: {other:?}"),
                }
            }
            let want: Vec<IpAddr> = if i == master {
                vec!["10.0.0.150".parse().unwrap()]
            } else {
                vec![]
            };
            assert_eq!(adds, want, "seed {seed}: node {i}");
        }
        lan.run_for(sc.settle());
        lan.check_converged("after reload");
        assert_eq!(lan.history.len(), changes, "seed {seed}: state changed");
    }
}
