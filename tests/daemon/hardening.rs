//! The daemon when things go wrong: signals during start-up, a stop sequence that meets a
//! refusal, VIPs the kernel refuses for a while, and a panic.
//!
//! The first tests run the shell loop on tokio's paused clock with a recording `Sys` (no root);
//! the others run the binary in a namespace lab and use vrrpd's test-only hooks, which only a
//! debug build honours (`cfg(debug_assertions)`):
//! * `VRRPD_TEST_START_DELAY_MS=N`: sleep N ms while loading the configuration at start-up
//!   (main.rs `test_start_delay`), to send signals inside the start-up window;
//! * `VRRPD_TEST_PANIC_AFTER_MASTER=1`: panic right after a VIP was added (daemon/exec.rs).

use crate::common;

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use common::lab::{config, Daemon, Instance, Lab};
use nix::sys::signal::Signal as NixSignal;
use tokio::sync::mpsc;
use vrrpd::daemon::exec::Exec;
use vrrpd::daemon::{self, Event, NoReload, SdState, Sys};
use vrrpd::plan::HostInterface;
use vrrpd::proto::{InstanceSettings, RouterSettings};
use vrrpd::sys::netlink::{Added, Removed, Vip};
use vrrpd::sys::signals::Signal;
use vrrpd::sys::{Privilege, SysError};
use vrrpd::wire::Ipv4Repr;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Rec {
    Advert {
        at_ms: u128,
        priority: u8,
    },
    /// An add_vip call: when, which address, and whether it failed.
    Add {
        at_ms: u128,
        addr: IpAddr,
        failed: bool,
    },
    Del(IpAddr),
    Sd(SdState),
}

/// A recording `Sys` whose VIP calls fail on demand.
struct RecSys {
    t0: tokio::time::Instant,
    recs: Vec<Rec>,
    /// The number of add_vip calls still to fail with ENOBUFS (a transient refusal).
    fail_adds: usize,
    /// Once STOPPING=1 has been sent, del_vip of this address fails with EPERM.
    refuse_del_on_stop: Option<IpAddr>,
    stopping: bool,
}

impl RecSys {
    fn new() -> RecSys {
        RecSys {
            t0: tokio::time::Instant::now(),
            recs: Vec::new(),
            fail_adds: 0,
            refuse_del_on_stop: None,
            stopping: false,
        }
    }

    fn ms(&self) -> u128 {
        self.t0.elapsed().as_millis()
    }

    fn adds(&self) -> Vec<(u128, bool)> {
        self.recs
            .iter()
            .filter_map(|r| match r {
                Rec::Add { at_ms, failed, .. } => Some((*at_ms, *failed)),
                _ => None,
            })
            .collect()
    }

    fn after_stopping(&self) -> &[Rec] {
        let i = self
            .recs
            .iter()
            .position(|r| *r == Rec::Sd(SdState::Stopping))
            .expect("STOPPING=1 was sent");
        &self.recs[i..]
    }
}

impl Sys for RecSys {
    async fn send_advert(&mut self, _: u32, _: &Ipv4Repr, payload: &[u8]) -> Result<(), SysError> {
        let rec = Rec::Advert {
            at_ms: self.ms(),
            priority: payload.get(2).copied().unwrap_or_default(),
        };
        self.recs.push(rec);
        Ok(())
    }
    async fn send_advert6(
        &mut self,
        _: u32,
        _: std::net::Ipv6Addr,
        _: std::net::Ipv6Addr,
        _: u8,
        _: &[u8],
    ) -> Result<(), SysError> {
        Ok(())
    }
    async fn route(
        &mut self,
        _: bool,
        _: &vrrpd::proto::RouteSpec,
        _: Option<u32>,
    ) -> Result<(), SysError> {
        Ok(())
    }
    async fn rule(&mut self, _: bool, _: &vrrpd::proto::RuleSpec) -> Result<(), SysError> {
        Ok(())
    }
    async fn add_vip(&mut self, vip: &Vip) -> Result<Added, SysError> {
        let failed = self.fail_adds > 0;
        let rec = Rec::Add {
            at_ms: self.ms(),
            addr: vip.addr,
            failed,
        };
        self.recs.push(rec);
        if failed {
            self.fail_adds -= 1;
            return Err(SysError::io(
                "add address",
                std::io::Error::from_raw_os_error(libc::ENOBUFS),
            ));
        }
        Ok(Added::Added)
    }
    async fn del_vip(&mut self, vip: &Vip) -> Result<Removed, SysError> {
        self.recs.push(Rec::Del(vip.addr));
        if self.stopping && self.refuse_del_on_stop == Some(vip.addr) {
            return Err(SysError::os(
                format!("delete address {}", vip.addr),
                Privilege::NetAdmin,
                std::io::Error::from_raw_os_error(libc::EPERM),
            ));
        }
        Ok(Removed::Removed)
    }
    fn send_frame(&mut self, _: u32, _: &[u8]) -> Result<(), SysError> {
        Ok(())
    }
    fn sync_sockets(&mut self, _: &RouterSettings) -> Result<(), SysError> {
        Ok(())
    }
    fn systemd(&mut self, state: SdState) {
        self.stopping |= state == SdState::Stopping;
        self.recs.push(Rec::Sd(state));
    }
}

fn ifaces() -> HashMap<String, HostInterface> {
    HashMap::from([(
        "eth0".to_string(),
        HostInterface {
            name: "eth0".into(),
            index: 2,
            mac: Some([2, 0, 0, 0, 0, 1]),
            up: true,
            ..HostInterface::default()
        },
    )])
}

fn settings(vips: &[&str]) -> RouterSettings {
    let mut inst = InstanceSettings::backup("VI_1", 51).priority(100);
    for v in vips {
        inst = inst.vip(v);
    }
    RouterSettings::new(vec![inst]).exact_keepalived()
}

/// Sends `events` at the given offsets from now.
fn script(tx: mpsc::Sender<Event>, events: Vec<(u64, Event)>) {
    tokio::spawn(async move {
        let t0 = tokio::time::Instant::now();
        for (ms, ev) in events {
            tokio::time::sleep_until(t0 + Duration::from_millis(ms)).await;
            let _ = tx.send(ev).await;
        }
    });
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("an address literal")
}

/// A refused removal does not end the stop sequence: every VIP is still attempted, and the
/// daemon reports the failure.
#[tokio::test(start_paused = true)]
async fn stop_attempts_every_vip_when_one_removal_is_refused() {
    let mut sys = RecSys::new();
    sys.refuse_del_on_stop = Some(ip("10.0.0.100"));
    let mut exec = Exec::new(ifaces(), false);
    let (tx, mut rx) = mpsc::channel(16);
    script(tx, vec![(5_000, Event::Signal(Signal::Stop))]);
    let vips = ["10.0.0.100/24", "10.0.0.101/24", "10.0.0.102/24"];
    let result = daemon::run(&mut sys, &mut NoReload, &mut exec, settings(&vips), &mut rx).await;
    let err = result.expect_err("a refused removal makes the exit status non-zero");
    assert!(err.to_string().contains("10.0.0.100"), "{err}");
    let dels: Vec<&Rec> = sys
        .after_stopping()
        .iter()
        .filter(|r| matches!(r, Rec::Del(_)))
        .collect();
    for v in ["10.0.0.100", "10.0.0.101", "10.0.0.102"] {
        assert!(
            dels.contains(&&Rec::Del(ip(v))),
            "{v} not removed: {dels:?}"
        );
    }
}

/// Two transient refusals: the VIP is retried after 100 ms, then 200 ms, and held; the
/// daemon stays up (adverts go on) until the stop.
#[tokio::test(start_paused = true)]
async fn a_transiently_refused_vip_is_retried_with_backoff() {
    let mut sys = RecSys::new();
    sys.fail_adds = 2;
    let mut exec = Exec::new(ifaces(), false);
    let (tx, mut rx) = mpsc::channel(16);
    script(tx, vec![(10_000, Event::Signal(Signal::Stop))]);
    daemon::run(
        &mut sys,
        &mut NoReload,
        &mut exec,
        settings(&["10.0.0.100/24"]),
        &mut rx,
    )
    .await
    .expect("a transient refusal does not end the daemon");
    let adds = sys.adds();
    assert_eq!(adds.len(), 3, "{adds:?}");
    let (t1, t2, t3) = (adds[0].0, adds[1].0, adds[2].0);
    assert_eq!((adds[0].1, adds[1].1, adds[2].1), (true, true, false));
    assert!((100..=101).contains(&(t2 - t1)), "{adds:?}");
    assert!((200..=201).contains(&(t3 - t2)), "{adds:?}");
    // Still MASTER until the stop at 10 s: adverts at priority 100 up to then.
    assert!(sys
        .recs
        .iter()
        .any(|r| matches!(r, Rec::Advert { at_ms, priority: 100 } if *at_ms > 9_000)));
}

/// A retry pending when the instance leaves MASTER (link down: FAULT) is dropped: the VIP the
/// core removed is not put back.
#[tokio::test(start_paused = true)]
async fn a_pending_retry_is_dropped_when_the_instance_leaves_master() {
    let mut sys = RecSys::new();
    sys.fail_adds = 1000;
    let mut exec = Exec::new(ifaces(), false);
    let (tx, mut rx) = mpsc::channel(16);
    let down = Event::Net(vrrpd::sys::netlink::Change::LinkChange {
        ifindex: 2,
        name: "eth0".into(),
        up: false,
        mac: Some([2, 0, 0, 0, 0, 1]),
    });
    script(
        tx,
        vec![(3_650, down), (10_000, Event::Signal(Signal::Stop))],
    );
    daemon::run(
        &mut sys,
        &mut NoReload,
        &mut exec,
        settings(&["10.0.0.100/24"]),
        &mut rx,
    )
    .await
    .expect("a transient refusal does not end the daemon");
    let adds = sys.adds();
    assert!(!adds.is_empty(), "{adds:?}");
    assert!(adds.iter().all(|(t, _)| *t < 3_650), "{adds:?}");
}

// ---- namespace tests: the binary in a lab ----

const VIP: &str = "10.0.0.100";

fn one_master() -> String {
    config(
        "r0",
        &[Instance::v3("VI_1", 51, 150, "1").vip(&format!("{VIP}/24 dev eth0"))],
    )
}

/// A SIGHUP while the configuration is still being read does not kill the daemon: it is
/// queued, and the loop reloads once it runs.
#[test]
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root/namespaces (netns-tests)"
)]
fn sighup_during_start_up_is_queued() {
    let tag = common::lab::tag("sighup_during_start_up_is_queued", "");
    let mut lab = Lab::new(&tag, 1);
    lab.start_env(
        0,
        Daemon::Vrrpd,
        &one_master(),
        &[],
        &[("VRRPD_TEST_START_DELAY_MS", "1500")],
    );
    std::thread::sleep(Duration::from_millis(500));
    lab.signal(0, NixSignal::SIGHUP);
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_log(0, "Reload complete", Duration::from_secs(10));
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    lab.assert_running(0, "after the queued reload");
    assert_eq!(lab.stop(0).map(|s| s.code()), Some(Some(0)));
}

/// A SIGTERM while the configuration is still being read stops the daemon cleanly (exit 0,
/// keepalived's stop lines) once the loop runs.
#[test]
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root/namespaces (netns-tests)"
)]
fn sigterm_during_start_up_stops_cleanly() {
    let tag = common::lab::tag("sigterm_during_start_up_stops_cleanly", "");
    let mut lab = Lab::new(&tag, 1);
    lab.start_env(
        0,
        Daemon::Vrrpd,
        &one_master(),
        &[],
        &[("VRRPD_TEST_START_DELAY_MS", "1500")],
    );
    std::thread::sleep(Duration::from_millis(500));
    lab.signal(0, NixSignal::SIGTERM);
    let st = lab.wait_exit(0, Duration::from_secs(10));
    let log = lab.log(0);
    assert_eq!(st.map(|s| s.code()), Some(Some(0)), "{log}");
    assert!(log.contains("Stopped vrrpd"), "{log}");
    assert!(lab.holders(VIP).is_empty());
}

/// The kernel refuses a VIP for a while: with the loopback MTU below IPv4's minimum (68) the
/// kernel drops lo's IPv4 state and RTM_NEWADDR on lo fails with ENOBUFS; raising the MTU
/// again brings it back. The daemon stays up, and holds the VIP once the kernel accepts it.
#[test]
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root/namespaces (netns-tests)"
)]
fn a_vip_refused_for_a_while_is_retried_until_held() {
    let tag = common::lab::tag("a_vip_refused_for_a_while_is_retried_until_held", "");
    let mut lab = Lab::new(&tag, 1);
    let ns = lab.ns(0).to_string();
    lab.ip(&ns, &["link", "set", "lo", "mtu", "60"]);
    // Check the trick itself: the kernel refuses an address on lo now.
    let refused = lab
        .command(&ns, &["ip", "addr", "add", "192.0.2.1/32", "dev", "lo"])
        .output()
        .expect("ip");
    assert!(
        !refused.status.success(),
        "lo with MTU 60 accepted an address"
    );
    let conf = config(
        "r0",
        &[Instance::v3("VI_1", 51, 150, "1")
            .vip(&format!("{VIP}/24 dev eth0"))
            .vip("192.0.2.77/32 dev lo")],
    );
    lab.start(0, Daemon::Vrrpd, &conf);
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(1500));
    lab.assert_running(0, "while the kernel refuses the VIP on lo");
    lab.ip(&ns, &["link", "set", "lo", "mtu", "65536"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let addrs = lab.ip(&ns, &["-4", "addr", "show", "dev", "lo"]);
        if addrs.contains("192.0.2.77/32") {
            break;
        }
        lab.assert_running(0, "waiting for the retried VIP");
        assert!(
            Instant::now() < deadline,
            "no 192.0.2.77 on lo\n{}",
            lab.log(0)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    lab.assert_running(0, "after the VIP was added");
    // The kernel shows the address before the daemon has written its line about it.
    lab.wait_log(
        0,
        "added address 192.0.2.77/32 to lo after retrying",
        Duration::from_secs(5),
    );
    let log = lab.log(0);
    assert!(log.contains("192.0.2.77/32 to interface index 1: No buffer space available (os error 105) - retrying in 100 ms"), "{log}");
    assert!(
        log.contains("added address 192.0.2.77/32 to lo after retrying"),
        "{log}"
    );
    assert_eq!(lab.stop(0).map(|s| s.code()), Some(Some(0)));
}

/// A panic after becoming MASTER: the VIP is released from the panic hook and the exit status
/// is 70.
#[test]
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root/namespaces (netns-tests)"
)]
fn a_panic_releases_the_vips_and_exits_70() {
    let tag = common::lab::tag("a_panic_releases_the_vips_and_exits_70", "");
    let mut lab = Lab::new(&tag, 1);
    lab.start_env(
        0,
        Daemon::Vrrpd,
        &one_master(),
        &[],
        &[("VRRPD_TEST_PANIC_AFTER_MASTER", "1")],
    );
    let st = lab.wait_exit(0, Duration::from_secs(15));
    let log = lab.log(0);
    assert_eq!(st.map(|s| s.code()), Some(Some(70)), "{log}");
    assert!(log.contains("internal error"), "{log}");
    assert!(
        lab.holders(VIP).is_empty(),
        "the VIP outlived the panic\n{log}"
    );
}
