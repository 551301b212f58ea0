//! Cost of one received advert through a Router with 1 and with 1,000 instances, and of an
//! unchanged reload (`Router::reconfigure`) of 1,000 instances.
//! Prints figures, asserts nothing. `cargo bench --bench proto`.
//!
//! Adverts are demultiplexed by (ifindex, VRID, family) with a hash map and timers live in an
//! ordered index, so the per-advert cost must not grow with the number of instances.

use std::hint::black_box;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use vrrpd::proto::{Input, InstanceSettings, Router, RouterSettings};
use vrrpd::wire::{Addrs, Advert, Auth, Checksum, Version};

fn settings(n: usize) -> RouterSettings {
    let instances = (0..n)
        .map(|i| {
            let ifindex = 2 + (i / 250) as u32;
            let vrid = 1 + (i % 250) as u8;
            InstanceSettings::backup(&format!("VI_{i}"), vrid)
                .interface(&format!("eth{}", ifindex - 2), ifindex)
                .priority(100)
                .vip(&format!("10.{}.{}.100/24", ifindex, vrid))
        })
        .collect();
    RouterSettings::new(instances)
}

fn packet(n: usize, k: usize) -> Input {
    let i = k % n;
    let ifindex = 2 + (i / 250) as u32;
    let vrid = 1 + (i % 250) as u8;
    let advert = Advert {
        version: Version::V2,
        vrid,
        priority: 150,
        interval: 1,
        auth: Auth::None,
        addrs: Addrs::V4(vec![format!("10.{}.{}.100", ifindex, vrid)
            .parse()
            .unwrap()]),
    };
    Input::Packet {
        ifindex,
        src: "10.0.0.2".parse::<IpAddr>().unwrap(),
        dst: "224.0.0.18".parse::<IpAddr>().unwrap(),
        ttl: 255,
        bytes: advert.to_vec(Checksum::V2).unwrap(),
    }
}

fn bench(n: usize, rounds: usize) -> Duration {
    bench_spread(n, n.min(1000), rounds)
}

/// `targets` distinct instances receive the adverts in turn.
fn bench_spread(n: usize, targets: usize, rounds: usize) -> Duration {
    let t0 = Instant::now();
    let mut router = Router::new(settings(n), t0);
    while router.poll_action().is_some() {}
    // Pre-built inputs for a spread of instances (cloned per call, as the shell would own a
    // fresh buffer per datagram).
    let inputs: Vec<Input> = (0..targets).map(|k| packet(n, k * 7919)).collect();
    let mut now = t0;
    let start = Instant::now();
    for r in 0..rounds {
        now += Duration::from_micros(10);
        router.handle(now, inputs[r % inputs.len()].clone());
        while let Some(a) = router.poll_action() {
            black_box(a);
        }
    }
    let elapsed = start.elapsed();
    black_box(router.poll_timeout());
    elapsed / rounds as u32
}

fn main() {
    let rounds = 200_000;
    bench(1, 10_000); // warm-up
    for n in [1usize, 1000] {
        let per = bench(n, rounds);
        println!(
            "proto: one received advert, {n:>5} instance(s): {per:?} per advert ({rounds} adverts)"
        );
    }
    let per = bench_spread(1000, 1, rounds);
    println!("proto: one received advert,  1000 instance(s), all for one instance: {per:?}");
    let per = bench_reload(1000, 50);
    println!("proto: unchanged reload of 1000 instances: {per:?} per reload");
}

/// An unchanged reload: matching, timer moves and index rebuild, no action.
fn bench_reload(n: usize, rounds: u32) -> Duration {
    let t0 = Instant::now();
    let settings = settings(n);
    let mut router = Router::new(settings.clone(), t0);
    while router.poll_action().is_some() {}
    let start = Instant::now();
    for r in 0..rounds {
        router.reconfigure(t0 + Duration::from_millis(u64::from(r)), settings.clone());
        assert!(router.poll_action().is_none());
    }
    start.elapsed() / rounds
}
