//! A simulated LAN of nodes that track their service, driven through [`Node`] (the protocol
//! core and the trackers together) from real keepalived.conf text, on a virtual clock.
//!
//! Each node runs nginx (simulated): a `vrrp_script` checks it (fall/rise, weight), a
//! `track_file` carries an operator's drain value (weight -1), and a `vrrp_track_process`
//! with quorum 1 and no weight watches a sidecar (its loss is FAULT). The scenario kills and
//! restarts nginx and the sidecar and writes drain values at random moments; scripts take a
//! random time to run and their outcome follows nginx's health at the moment they end;
//! files and processes are reported on the shell's poll periods (0.5 s, 1 s), as the daemon
//! does. Adverts are delivered after a latency.
//!
//! Invariants over many seeds:
//! * at every step, a node holds its VIP iff it is MASTER;
//! * after every quiet period long enough for rise/fall, the process delays and a master-down
//!   interval: every node's effective priority is what its trackers say (base, minus 60 while
//!   nginx is down past `fall`, minus the drain value), a node whose sidecar is gone is FAULT,
//!   and exactly one node is MASTER among the others: the one with the highest effective
//!   priority.

use crate::common;

use common::rng::Rng;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use vrrpd::config::HostInfo;
use vrrpd::node::{Node, NodeAction, NodeInput};
use vrrpd::proto::{Action, Input, State};
use vrrpd::track::ScriptOutcome;

const FALL: u32 = 2;
const RISE: u32 = 2;
const SCRIPT_WEIGHT: i32 = -60;

fn conf(i: usize, priority: u8) -> String {
    format!(
        "global_defs {{\n    router_id r{i}\n}}\n\n\
         vrrp_script chk_nginx {{\n    script \"/usr/bin/pgrep -x nginx\"\n    interval 1\n    timeout 1\n    fall {FALL}\n    rise {RISE}\n    weight {SCRIPT_WEIGHT}\n}}\n\n\
         track_file drain {{\n    file \"/run/lb/drain\"\n    weight -1\n}}\n\n\
         vrrp_track_process sidecar {{\n    process sidecar\n    quorum 1\n    delay 1\n}}\n\n\
         vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 51\n    priority {priority}\n    advert_int 1\n\
         \x20   virtual_ipaddress {{\n        10.0.0.100/24\n    }}\n\
         \x20   track_script {{\n        chk_nginx\n    }}\n\
         \x20   track_file {{\n        drain\n    }}\n\
         \x20   track_process {{\n        sidecar\n    }}\n}}\n"
    )
}

fn host(i: usize) -> HostInfo {
    common::hostinfo::eth0_host(&format!("10.0.0.{}", i + 1))
}

/// One simulated machine.
struct Machine {
    node: Node,
    base: u8,
    nginx_up: bool,
    sidecar_up: bool,
    drain: i64,
    holds_vip: bool,
    state: State,
    priority: u8,
}

/// What the simulation delivers later.
enum Due {
    /// An advert for node `to`.
    Packet { to: usize, input: Input },
    /// A script run of node `i` ends (its outcome is decided then).
    ScriptEnds { i: usize },
    /// The shell's file poll of node `i`.
    FilePoll { i: usize },
    /// The shell's process scan of node `i`.
    ProcScan { i: usize },
}

struct Sim {
    m: Vec<Machine>,
    now: Instant,
    queue: BTreeMap<(Instant, u64), Due>,
    seq: u64,
    rng: Rng,
    seed: u64,
}

impl Sim {
    fn new(seed: u64, prios: &[u8]) -> Sim {
        let t0 = common::t0();
        let mut sim = Sim {
            m: Vec::new(),
            now: t0,
            queue: BTreeMap::new(),
            seq: 0,
            rng: Rng::new(seed),
            seed,
        };
        for (i, &p) in prios.iter().enumerate() {
            let loaded = vrrpd::config::load(
                &vrrpd::config::read::source::MemLoader::new()
                    .with("/etc/keepalived.conf", conf(i, p)),
                std::path::Path::new("/etc/keepalived.conf"),
                &vrrpd::config::read::ParseOptions::default(),
            )
            .expect("the config reads");
            let cfg = loaded.config.expect("the config checks");
            let settings = vrrpd::plan::router_settings(&cfg, &host(i)).expect("settings");
            sim.m.push(Machine {
                node: Node::new(settings, &vrrpd::plan::trackers::tracker_settings(&cfg), t0),
                base: p,
                nginx_up: true,
                sidecar_up: true,
                drain: 0,
                holds_vip: false,
                state: State::Init,
                priority: p,
            });
            // The shell's pollers run from the start.
            sim.at(t0, Due::FilePoll { i });
            sim.at(t0, Due::ProcScan { i });
        }
        for i in 0..sim.m.len() {
            sim.drain(i);
        }
        sim
    }

    fn at(&mut self, t: Instant, due: Due) {
        self.seq += 1;
        self.queue.insert((t, self.seq), due);
    }

    /// Performs node i's actions: adverts to the others, script runs scheduled, VIPs noted.
    fn drain(&mut self, i: usize) {
        while let Some(a) = self.m[i].node.poll_action() {
            match a {
                NodeAction::RunScript { .. } => {
                    let took = Duration::from_millis(5 + self.rng.below(300));
                    let t = self.now + took;
                    self.at(t, Due::ScriptEnds { i });
                }
                NodeAction::Core(Action::SendAdvert {
                    src,
                    dst,
                    ttl,
                    bytes,
                    ..
                }) => {
                    for to in 0..self.m.len() {
                        if to != i {
                            let input = Input::Packet {
                                ifindex: 2,
                                src,
                                dst,
                                ttl,
                                bytes: bytes.clone(),
                            };
                            let t = self.now + Duration::from_millis(2);
                            self.at(t, Due::Packet { to, input });
                        }
                    }
                }
                NodeAction::Core(Action::AddVip { .. }) => {
                    assert!(
                        !self.m[i].holds_vip,
                        "seed {}: node {i} added twice",
                        self.seed
                    );
                    self.m[i].holds_vip = true;
                }
                NodeAction::Core(Action::DelVip { .. }) => {
                    assert!(
                        self.m[i].holds_vip,
                        "seed {}: node {i} removed twice",
                        self.seed
                    );
                    self.m[i].holds_vip = false;
                }
                _ => {}
            }
        }
        let snap = self.m[i].node.snapshot();
        let first = &snap.instances[0];
        self.m[i].state = first.state;
        self.m[i].priority = first.effective_priority;
        assert_eq!(
            self.m[i].holds_vip,
            first.state == State::Master,
            "seed {}: node {i} is {:?} and holds the VIP: {}",
            self.seed,
            first.state,
            self.m[i].holds_vip
        );
    }

    fn feed(&mut self, i: usize, input: NodeInput) {
        self.m[i].node.handle(self.now, input);
        self.drain(i);
    }

    fn run_until(&mut self, t: Instant) {
        loop {
            let next_q = self.queue.keys().next().map(|k| k.0);
            let next_t = self.m.iter().filter_map(|m| m.node.poll_timeout()).min();
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
            self.now = next;
            if next_q == Some(next) {
                let Some((&key, _)) = self.queue.iter().next() else {
                    break;
                };
                let Some(due) = self.queue.remove(&key) else {
                    break;
                };
                self.deliver(due);
            } else {
                for i in 0..self.m.len() {
                    if self.m[i].node.poll_timeout().is_some_and(|d| d <= self.now) {
                        self.m[i].node.handle_timeout(self.now);
                        self.drain(i);
                    }
                }
            }
        }
        self.now = self.now.max(t);
    }

    fn deliver(&mut self, due: Due) {
        match due {
            Due::Packet { to, input } => self.feed(to, NodeInput::Core(input)),
            Due::ScriptEnds { i } => {
                let outcome = if self.m[i].nginx_up {
                    ScriptOutcome::Exited(0)
                } else {
                    ScriptOutcome::Exited(1)
                };
                let name = "chk_nginx".to_string();
                self.feed(i, NodeInput::ScriptDone { name, outcome });
            }
            Due::FilePoll { i } => {
                let value = self.m[i].drain;
                self.feed(
                    i,
                    NodeInput::FileValue {
                        name: "drain".into(),
                        value,
                    },
                );
                let t = self.now + Duration::from_millis(500);
                self.at(t, Due::FilePoll { i });
            }
            Due::ProcScan { i } => {
                let n = u32::from(self.m[i].sidecar_up);
                self.feed(
                    i,
                    NodeInput::ProcessCounts {
                        counts: vec![("sidecar".into(), n)],
                    },
                );
                let t = self.now + Duration::from_secs(1);
                self.at(t, Due::ProcScan { i });
            }
        }
    }

    /// What node i's trackers should make of its services by now (after a quiet period).
    fn expected_priority(&self, i: usize) -> u8 {
        let m = &self.m[i];
        let mut p = i64::from(m.base) - m.drain;
        if !m.nginx_up {
            p += i64::from(SCRIPT_WEIGHT);
        }
        p.clamp(1, 254) as u8
    }

    fn check_settled(&self, round: usize) {
        let ctx = |s: &Sim| {
            s.m.iter()
                .map(|m| {
                    format!(
                        "{:?} prio {} (nginx {}, sidecar {}, drain {})",
                        m.state, m.priority, m.nginx_up, m.sidecar_up, m.drain
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        let mut best: Option<(u8, usize)> = None;
        for (i, m) in self.m.iter().enumerate() {
            if !m.sidecar_up {
                assert_eq!(
                    m.state,
                    State::Fault,
                    "seed {} round {round}: node {i} lost its sidecar: {}",
                    self.seed,
                    ctx(self)
                );
                continue;
            }
            let want = self.expected_priority(i);
            assert_eq!(
                m.priority,
                want,
                "seed {} round {round}: node {i}: {}",
                self.seed,
                ctx(self)
            );
            if best.is_none_or(|(p, _)| want > p) {
                best = Some((want, i));
            }
        }
        let masters: Vec<usize> = (0..self.m.len())
            .filter(|&i| self.m[i].state == State::Master)
            .collect();
        match best {
            Some((_, i)) => assert_eq!(
                masters,
                vec![i],
                "seed {} round {round}: {}",
                self.seed,
                ctx(self)
            ),
            None => assert!(masters.is_empty()),
        }
    }
}

#[test]
fn tracked_services_decide_the_master_over_many_seeds() {
    for seed in 0..120u64 {
        // Distinct priorities, so the expected master is unique whatever the drains.
        let mut sim = Sim::new(seed, &[150, 120, 100]);
        sim.run_until(sim.now + Duration::from_secs(6));
        sim.check_settled(0);
        for round in 1..=6 {
            // One or two changes of one machine's services.
            for _ in 0..=sim.rng.below(2) {
                let i = sim.rng.below(3) as usize;
                match sim.rng.below(4) {
                    0 => sim.m[i].nginx_up = !sim.m[i].nginx_up,
                    1 => sim.m[i].sidecar_up = !sim.m[i].sidecar_up,
                    // Drain values that keep priorities distinct from each other's bases.
                    2 => sim.m[i].drain = [0, 7, 33, 95][sim.rng.below(4) as usize],
                    _ => sim.m[i].drain = 0,
                }
            }
            // Keep at least one healthy candidate, and priorities distinct.
            let prios: Vec<u8> = (0..3).map(|i| sim.expected_priority(i)).collect();
            if (0..3).all(|i| !sim.m[i].sidecar_up)
                || (prios[0] == prios[1] || prios[1] == prios[2] || prios[0] == prios[2])
            {
                for m in &mut sim.m {
                    m.sidecar_up = true;
                    m.drain = 0;
                    m.nginx_up = true;
                }
            }
            // fall/rise (2 runs of 1 s + up to 0.3 s), the process delay (1 s + 1 s scan),
            // a master-down interval (3 s + skew) and the adverts' latency.
            sim.run_until(sim.now + Duration::from_secs(9));
            sim.check_settled(round);
        }
    }
}
