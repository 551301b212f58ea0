//! The shell loop on tokio's paused clock with a recording `Sys`: what reaches the OS, in
//! which order, with which IPv4 header, and when.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use tokio::sync::mpsc;
use vrrpd::config::model::IpNet;
use vrrpd::daemon::exec::Exec;
use vrrpd::daemon::{self, Event, Loader, Reloaded, SdState, Sys};
use vrrpd::plan::{HostInterface, Runtime};
use vrrpd::proto::{InstanceSettings, RouterSettings};
use vrrpd::sys::netlink::{Added, Removed, Vip};
use vrrpd::sys::signals::Signal;
use vrrpd::sys::SysError;
use vrrpd::wire::Ipv4Repr;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Rec {
    Advert {
        at_ms: u128,
        id: u16,
        priority: u8,
        ttl: u8,
        dst: Ipv4Addr,
    },
    Advert6 {
        src: std::net::Ipv6Addr,
        dst: std::net::Ipv6Addr,
        hops: u8,
        priority: u8,
    },
    Add(IpAddr, u8, Option<String>),
    Del(IpAddr),
    Frame(u32, usize),
    /// A route or rule added (true) or deleted, as iproute2 text.
    Route(bool, String),
    Sockets(usize),
    Sd(SdState),
    /// `WATCHDOG=1` and `STATUS=` (recorded only when the watchdog is on).
    Ping(u128),
    Status(String),
}

struct RecSys {
    t0: tokio::time::Instant,
    recs: Vec<Rec>,
    /// add_vip fails with EINVAL.
    fail_add: bool,
    /// `WATCHDOG_USEC`, and add_vip never returns (a hung loop).
    watchdog: Option<Duration>,
    hang_add: bool,
    /// Each add_vip takes this long (a kernel round trip, on the paused clock).
    slow_add: Duration,
    /// Adverts are recorded for this instance only (`None`: all).
    only_vrid: Option<u8>,
}

impl RecSys {
    fn new() -> RecSys {
        RecSys {
            t0: tokio::time::Instant::now(),
            recs: Vec::new(),
            fail_add: false,
            watchdog: None,
            hang_add: false,
            slow_add: Duration::ZERO,
            only_vrid: None,
        }
    }
}

impl Sys for RecSys {
    async fn send_advert(
        &mut self,
        _ifindex: u32,
        h: &Ipv4Repr,
        payload: &[u8],
    ) -> Result<(), SysError> {
        if self
            .only_vrid
            .is_some_and(|v| payload.get(1).copied() != Some(v))
        {
            return Ok(());
        }
        self.recs.push(Rec::Advert {
            at_ms: self.t0.elapsed().as_millis(),
            id: h.ident,
            priority: payload.get(2).copied().unwrap_or_default(),
            ttl: h.ttl,
            dst: h.dst,
        });
        Ok(())
    }
    async fn send_advert6(
        &mut self,
        _ifindex: u32,
        src: std::net::Ipv6Addr,
        dst: std::net::Ipv6Addr,
        hops: u8,
        payload: &[u8],
    ) -> Result<(), SysError> {
        self.recs.push(Rec::Advert6 {
            src,
            dst,
            hops,
            priority: payload.get(2).copied().unwrap_or_default(),
        });
        Ok(())
    }
    async fn route(
        &mut self,
        add: bool,
        spec: &vrrpd::proto::RouteSpec,
        _oif: Option<u32>,
    ) -> Result<(), SysError> {
        self.recs.push(Rec::Route(add, spec.to_string()));
        Ok(())
    }
    async fn rule(&mut self, add: bool, spec: &vrrpd::proto::RuleSpec) -> Result<(), SysError> {
        self.recs.push(Rec::Route(add, spec.to_string()));
        Ok(())
    }
    async fn add_vip(&mut self, vip: &Vip) -> Result<Added, SysError> {
        self.recs
            .push(Rec::Add(vip.addr, vip.prefix, vip.label.clone()));
        if self.hang_add {
            std::future::pending::<()>().await;
        }
        if !self.slow_add.is_zero() {
            tokio::time::sleep(self.slow_add).await;
        }
        if self.fail_add {
            return Err(SysError::io(
                "add address",
                std::io::Error::from_raw_os_error(libc::EINVAL),
            ));
        }
        Ok(Added::Added)
    }
    async fn del_vip(&mut self, vip: &Vip) -> Result<Removed, SysError> {
        self.recs.push(Rec::Del(vip.addr));
        Ok(Removed::NotPresent)
    }
    fn send_frame(&mut self, ifindex: u32, frame: &[u8]) -> Result<(), SysError> {
        self.recs.push(Rec::Frame(ifindex, frame.len()));
        Ok(())
    }
    fn sync_sockets(&mut self, settings: &RouterSettings) -> Result<(), SysError> {
        self.recs.push(Rec::Sockets(settings.instances.len()));
        Ok(())
    }
    fn systemd(&mut self, state: SdState) {
        self.recs.push(Rec::Sd(state));
    }
    fn watchdog_interval(&self) -> Option<Duration> {
        self.watchdog
    }
    fn watchdog_ping(&mut self) {
        self.recs.push(Rec::Ping(self.t0.elapsed().as_millis()));
    }
    fn status(&mut self, text: &str) {
        if self.watchdog.is_some() {
            self.recs.push(Rec::Status(text.to_string()));
        }
    }
}

/// What the next SIGHUP reads.
struct Scripted(Option<Reloaded>);

impl Loader for Scripted {
    fn load(&mut self) -> impl std::future::Future<Output = Reloaded> + 'static {
        let outcome = self
            .0
            .take()
            .unwrap_or_else(|| Reloaded::Failed(vec!["no reload scripted".into()]));
        std::future::ready(outcome)
    }
}

fn iface(name: &str, index: u32, mac: Option<[u8; 6]>, up: bool) -> HostInterface {
    HostInterface {
        name: name.into(),
        index,
        mac,
        up,
        ..HostInterface::default()
    }
}

fn ifaces() -> HashMap<String, HostInterface> {
    HashMap::from([(
        "eth0".to_string(),
        iface("eth0", 2, Some([2, 0, 0, 0, 0, 1]), true),
    )])
}

/// [`ifaces`] with the VIP already on eth0, as a crashed run leaves it.
fn with_leftover_vip() -> HashMap<String, HostInterface> {
    let mut ifs = ifaces();
    if let Some(eth0) = ifs.get_mut("eth0") {
        eth0.addrs.push(IpNet {
            addr: "10.0.0.100".parse().unwrap(),
            prefix: 24,
        });
    }
    ifs
}

/// docs/keepalived-compat.md#start-up-cleanup: a VIP the host does not have is not asked
/// for: no RTM_DELADDR before the sockets open (1,000 of them delayed start-up by 17 ms).
#[tokio::test(start_paused = true)]
async fn start_up_cleanup_asks_only_for_addresses_the_host_has() {
    let sys = alone_until_stopped(ifaces(), 1_000).await;
    assert_eq!(sys.recs[0], Rec::Sockets(1), "{:?}", sys.recs);
}

/// One priority-100 instance on `ifaces`, no reload, stopped (SIGTERM) after `stop_ms`.
async fn alone_until_stopped(ifaces: HashMap<String, HostInterface>, stop_ms: u64) -> RecSys {
    let mut sys = RecSys::new();
    let mut exec = Exec::new(ifaces, false);
    let (tx, mut rx) = mpsc::channel(16);
    script(tx, vec![(stop_ms, Event::Signal(Signal::Stop))]);
    daemon::run(
        &mut sys,
        &mut Scripted(None),
        &mut exec,
        settings(100),
        &mut rx,
    )
    .await
    .unwrap();
    sys
}

fn settings(priority: u8) -> RouterSettings {
    RouterSettings::new(vec![InstanceSettings::backup("VI_1", 51)
        .priority(priority)
        .vip("10.0.0.100/24")])
    .exact_keepalived()
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

fn adverts(recs: &[Rec]) -> Vec<(u128, u16, u8)> {
    recs.iter()
        .filter_map(|r| match r {
            Rec::Advert {
                at_ms,
                id,
                priority,
                ..
            } => Some((*at_ms, *id, *priority)),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn alone_it_becomes_master_adds_the_vip_and_releases_it_on_stop() {
    let sys = alone_until_stopped(with_leftover_vip(), 5_000).await;
    let recs = &sys.recs;
    let vip: IpAddr = "10.0.0.100".parse().unwrap();
    // docs/keepalived-compat.md#start-up-cleanup: the leftover VIP is deleted before the sockets open.
    assert_eq!(recs[0], Rec::Del(vip));
    assert_eq!(recs[1], Rec::Sockets(1));
    assert_eq!(recs[2], Rec::Sd(SdState::Ready));
    // Master after 3 × 1 s + (256-100)/256 s = 3.609375 s (tokio's timer wheel wakes on the
    // next whole millisecond); then one advert per second.
    let ads = adverts(recs);
    assert_eq!(ads[0].0, 3610, "{ads:?}");
    assert_eq!(ads[1].0, 4610);
    // keepalived's IPv4 ID counter: 1, 2, 3 … (docs/keepalived-compat.md#advert-packet-layout).
    let ids: Vec<u16> = ads.iter().map(|a| a.1).collect();
    assert_eq!(ids, (1..=ads.len() as u16).collect::<Vec<_>>());
    // The first advert goes out before the VIP is added, then 5 GARPs (docs/keepalived-compat.md#state-machine, docs/keepalived-compat.md#gratuitous-arp-and-unsolicited-na).
    let first_ad = recs
        .iter()
        .position(|r| matches!(r, Rec::Advert { .. }))
        .unwrap();
    let add = recs.iter().position(|r| matches!(r, Rec::Add(..))).unwrap();
    assert!(first_ad < add);
    assert_eq!(recs[add], Rec::Add(vip, 24, None));
    assert_eq!(
        recs.iter()
            .filter(|r| matches!(r, Rec::Frame(2, 42)))
            .count(),
        5
    );
    // Stop: priority-0 advert, VIP deleted, STOPPING=1 first.
    let (_, _, last_prio) = *ads.last().unwrap();
    assert_eq!(last_prio, 0);
    let stopping = recs
        .iter()
        .position(|r| *r == Rec::Sd(SdState::Stopping))
        .unwrap();
    assert!(recs[stopping..].contains(&Rec::Del(vip)));
    if let Some(Rec::Advert { ttl, dst, .. }) =
        recs.iter().find(|r| matches!(r, Rec::Advert { .. }))
    {
        assert_eq!((*ttl, *dst), (255, Ipv4Addr::new(224, 0, 0, 18)));
    }
}

#[tokio::test(start_paused = true)]
async fn dont_release_vrrp_keeps_the_vip_and_sends_no_priority_zero() {
    let mut sys = RecSys::new();
    let mut loader = Scripted(None);
    let mut exec = Exec::new(ifaces(), true);
    let (tx, mut rx) = mpsc::channel(16);
    script(tx, vec![(5_000, Event::Signal(Signal::Stop))]);
    daemon::run(&mut sys, &mut loader, &mut exec, settings(100), &mut rx)
        .await
        .unwrap();
    let stopping = sys
        .recs
        .iter()
        .position(|r| *r == Rec::Sd(SdState::Stopping))
        .unwrap();
    assert!(
        sys.recs[stopping..]
            .iter()
            .all(|r| !matches!(r, Rec::Del(_) | Rec::Advert { .. })),
        "{:?}",
        &sys.recs[stopping..]
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_reload_keeps_the_running_router() {
    let mut sys = RecSys::new();
    let mut loader = Scripted(None);
    loader.0 = Some(Reloaded::Failed(vec![
        "keepalived.conf:3:1: error: x".into()
    ]));
    let mut exec = Exec::new(ifaces(), false);
    let (tx, mut rx) = mpsc::channel(16);
    script(
        tx,
        vec![
            (4_000, Event::Signal(Signal::Reload)),
            (6_000, Event::Signal(Signal::Stop)),
        ],
    );
    daemon::run(&mut sys, &mut loader, &mut exec, settings(100), &mut rx)
        .await
        .unwrap();
    let sd: Vec<&Rec> = sys
        .recs
        .iter()
        .filter(|r| matches!(r, Rec::Sd(_)))
        .collect();
    assert_eq!(
        sd,
        [
            &Rec::Sd(SdState::Ready),
            &Rec::Sd(SdState::Reloading),
            &Rec::Sd(SdState::Ready),
            &Rec::Sd(SdState::Stopping)
        ]
    );
    // Still master across the failed reload: adverts every second, no priority 0 until stop.
    let ads = adverts(&sys.recs);
    let zeros: Vec<_> = ads.iter().filter(|a| a.2 == 0).collect();
    assert_eq!(zeros.len(), 1, "{ads:?}");
    assert!(ads.iter().any(|a| a.0 == 5610 && a.2 == 100), "{ads:?}");
}

#[tokio::test(start_paused = true)]
async fn link_down_from_the_monitor_puts_the_instance_in_fault() {
    let mut sys = RecSys::new();
    let mut loader = Scripted(None);
    let mut exec = Exec::new(ifaces(), false);
    let (tx, mut rx) = mpsc::channel(16);
    let link = |up| {
        Event::Net(vrrpd::sys::netlink::Change::LinkChange {
            ifindex: 2,
            name: "eth0".into(),
            up,
            mac: Some([2, 0, 0, 0, 0, 1]),
        })
    };
    script(
        tx,
        vec![(4_000, link(false)), (8_000, Event::Signal(Signal::Stop))],
    );
    daemon::run(&mut sys, &mut loader, &mut exec, settings(100), &mut rx)
        .await
        .unwrap();
    let ads = adverts(&sys.recs);
    // Master at 3.609 s; FAULT at 4 s sends priority 0 and stops advertising.
    assert!(ads.iter().all(|a| a.0 <= 4000), "{ads:?}");
    assert_eq!(ads.last().map(|a| a.2), Some(0));
    assert!(sys.recs.contains(&Rec::Del("10.0.0.100".parse().unwrap())));
}

#[tokio::test(start_paused = true)]
async fn a_good_reload_keeps_the_master_and_adds_the_new_vip() {
    let mut sys = RecSys::new();
    let mut loader = Scripted(None);
    let mut new = settings(120);
    new.instances[0] = new.instances[0].clone().vip("10.0.0.101/24");
    loader.0 = Some(Reloaded::Ok(Box::new(Runtime {
        settings: new,
        host: vrrpd::plan::HostInfo {
            interfaces: ifaces().into_values().collect(),
        },
        ..Runtime::default()
    })));
    let mut exec = Exec::new(ifaces(), false);
    let (tx, mut rx) = mpsc::channel(16);
    script(
        tx,
        vec![
            (4_000, Event::Signal(Signal::Reload)),
            (6_000, Event::Signal(Signal::Stop)),
        ],
    );
    daemon::run(&mut sys, &mut loader, &mut exec, settings(100), &mut rx)
        .await
        .unwrap();
    let ads = adverts(&sys.recs);
    // One priority-0 advert (at stop); the new priority is advertised after the reload.
    assert_eq!(ads.iter().filter(|a| a.2 == 0).count(), 1, "{ads:?}");
    assert!(ads.iter().any(|a| a.0 >= 4000 && a.2 == 120), "{ads:?}");
    let reload = sys
        .recs
        .iter()
        .position(|r| *r == Rec::Sd(SdState::Reloading))
        .unwrap();
    let after = &sys.recs[reload..];
    assert!(after.contains(&Rec::Add("10.0.0.101".parse().unwrap(), 24, None)));
    // The kept VIP is neither deleted nor re-added by the reload.
    let ready = after
        .iter()
        .position(|r| *r == Rec::Sd(SdState::Ready))
        .unwrap();
    assert!(!after[..ready].contains(&Rec::Del("10.0.0.100".parse().unwrap())));
    assert!(!after[..ready].contains(&Rec::Add("10.0.0.100".parse().unwrap(), 24, None)));
}

/// A loader that takes `delay` to read each plan (a large configuration or a slow disk),
/// counting how often it was asked.
struct Slow {
    delay: Duration,
    settings: RouterSettings,
    calls: std::rc::Rc<std::cell::Cell<u32>>,
}

impl Loader for Slow {
    fn load(&mut self) -> impl std::future::Future<Output = Reloaded> + 'static {
        self.calls.set(self.calls.get() + 1);
        let delay = self.delay;
        let plan = Runtime {
            settings: self.settings.clone(),
            host: vrrpd::plan::HostInfo {
                interfaces: ifaces().into_values().collect(),
            },
            ..Runtime::default()
        };
        async move {
            tokio::time::sleep(delay).await;
            Reloaded::Ok(Box::new(plan))
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_slow_reload_does_not_stop_the_adverts() {
    // docs/keepalived-compat.md#reload: the master keeps advertising while the new file is
    // read; the new priority is advertised once the plan is applied.
    let mut sys = RecSys::new();
    let calls = std::rc::Rc::new(std::cell::Cell::new(0));
    let mut loader = Slow {
        delay: Duration::from_secs(5),
        settings: settings(120),
        calls: calls.clone(),
    };
    let mut exec = Exec::new(ifaces(), false);
    let (tx, mut rx) = mpsc::channel(16);
    script(
        tx,
        vec![
            (4_000, Event::Signal(Signal::Reload)),
            (11_000, Event::Signal(Signal::Stop)),
        ],
    );
    daemon::run(&mut sys, &mut loader, &mut exec, settings(100), &mut rx)
        .await
        .unwrap();
    let ads = adverts(&sys.recs);
    // Master at 3.61 s, then one advert a second: 4.61 … 8.61 at the old priority while
    // the plan is read, the new one from 9 s on.
    for at in [4610, 5610, 6610, 7610, 8610] {
        assert!(ads.iter().any(|a| a.0 == at && a.2 == 100), "{at}: {ads:?}");
    }
    assert!(
        ads.iter().any(|a| a.0 >= 9000 && a.0 < 11000 && a.2 == 120),
        "{ads:?}"
    );
    let gaps = ads.windows(2).map(|w| w[1].0 - w[0].0).max();
    assert!(gaps.is_some_and(|g| g <= 1000), "{ads:?}");
    assert_eq!(calls.get(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_sighup_during_a_reload_reads_the_file_again_afterwards() {
    let mut sys = RecSys::new();
    let calls = std::rc::Rc::new(std::cell::Cell::new(0));
    let mut loader = Slow {
        delay: Duration::from_secs(2),
        settings: settings(120),
        calls: calls.clone(),
    };
    let mut exec = Exec::new(ifaces(), false);
    let (tx, mut rx) = mpsc::channel(16);
    script(
        tx,
        vec![
            (4_000, Event::Signal(Signal::Reload)),
            (4_500, Event::Signal(Signal::Reload)),
            (5_000, Event::Signal(Signal::Reload)),
            (12_000, Event::Signal(Signal::Stop)),
        ],
    );
    daemon::run(&mut sys, &mut loader, &mut exec, settings(100), &mut rx)
        .await
        .unwrap();
    // The two SIGHUPs during the first reload make one more reading, after it.
    assert_eq!(calls.get(), 2);
    let sd: Vec<&Rec> = sys
        .recs
        .iter()
        .filter(|r| matches!(r, Rec::Sd(_)))
        .collect();
    assert_eq!(
        sd,
        [
            &Rec::Sd(SdState::Ready),
            &Rec::Sd(SdState::Reloading),
            &Rec::Sd(SdState::Ready),
            &Rec::Sd(SdState::Reloading),
            &Rec::Sd(SdState::Ready),
            &Rec::Sd(SdState::Stopping)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn track_interface_weight_follows_link_events() {
    let mut sys = RecSys::new();
    let mut loader = Scripted(None);
    let mut ifs = ifaces();
    ifs.insert("eth1".into(), iface("eth1", 3, None, true));
    // The trackers come from the configuration (daemon::tracker_io owns interface tracking).
    let loaded = vrrpd::config::load_str(
        "vrrp_instance VI_1 {
            interface eth0
            virtual_router_id 51
            priority 100
            track_interface {
                eth1 weight -20
            }
            virtual_ipaddress {
                10.0.0.100/24
            }
        }",
    );
    let cfg = loaded.config.expect("config");
    let (tracking, hooks) =
        daemon::tracker_io::TrackerIo::start(&Runtime::without_host(&cfg), &ifs, daemon::now());
    let mut exec = Exec::new(ifs, false);
    exec.hooks = Some(hooks);
    let (tx, mut rx) = mpsc::channel(16);
    let eth1 = |up| {
        Event::Net(vrrpd::sys::netlink::Change::LinkChange {
            ifindex: 3,
            name: "eth1".into(),
            up,
            mac: None,
        })
    };
    script(
        tx,
        vec![
            (4_200, eth1(false)),
            (6_200, eth1(true)),
            (7_500, Event::Signal(Signal::Stop)),
        ],
    );
    daemon::run_tracked(
        &mut sys,
        &mut loader,
        &mut exec,
        settings(100),
        tracking,
        &mut rx,
    )
    .await
    .unwrap();
    let ads = adverts(&sys.recs);
    // docs/keepalived-compat.md#weights-and-effective-priority: a negative weight is subtracted while the tracked interface is down.
    assert!(
        ads.iter().any(|a| a.0 > 4200 && a.0 < 6200 && a.2 == 80),
        "{ads:?}"
    );
    assert!(ads.iter().any(|a| a.0 > 6200 && a.2 == 100), "{ads:?}");
}

#[tokio::test(start_paused = true)]
async fn a_vip_that_cannot_be_added_stops_the_daemon_with_an_error() {
    let mut sys = RecSys::new();
    let mut loader = Scripted(None);
    sys.fail_add = true;
    let mut exec = Exec::new(ifaces(), false);
    let (tx, mut rx) = mpsc::channel(16);
    script(tx, vec![(60_000, Event::Signal(Signal::Stop))]);
    let err = daemon::run(&mut sys, &mut loader, &mut exec, settings(100), &mut rx)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot add address 10.0.0.100/24 to eth0 for (VI_1)"),
        "{err}"
    );
    // The stop sequence still ran: STOPPING=1 and a priority-0 advert for the peer.
    let stopping = sys
        .recs
        .iter()
        .position(|r| *r == Rec::Sd(SdState::Stopping))
        .unwrap();
    assert!(sys.recs[stopping..]
        .iter()
        .any(|r| matches!(r, Rec::Advert { priority: 0, .. })));
}

#[tokio::test(start_paused = true)]
async fn ipv6_instances_send_kernel_headed_adverts_and_neighbour_adverts() {
    let mut sys = RecSys::new();
    let mut loader = Scripted(None);
    let mut exec = Exec::new(ifaces(), false);
    let (tx, mut rx) = mpsc::channel(16);
    script(tx, vec![(5_000, Event::Signal(Signal::Stop))]);
    let s = RouterSettings::new(vec![InstanceSettings::backup("VI_6", 61)
        .interface("eth0", 2)
        .src("fe80::1")
        .priority(100)
        .vip("fd00::100/64")]);
    daemon::run(&mut sys, &mut loader, &mut exec, s, &mut rx)
        .await
        .unwrap();
    let ads: Vec<_> = sys
        .recs
        .iter()
        .filter_map(|r| match r {
            Rec::Advert6 {
                src,
                dst,
                hops,
                priority,
            } => Some((*src, *dst, *hops, *priority)),
            _ => None,
        })
        .collect();
    let ll: std::net::Ipv6Addr = "fe80::1".parse().unwrap();
    let group: std::net::Ipv6Addr = "ff02::12".parse().unwrap();
    assert_eq!(ads.first(), Some(&(ll, group, 255, 100)), "{ads:?}");
    assert_eq!(ads.last().map(|a| a.3), Some(0));
    // Unsolicited NAs: 14 (Ethernet) + 40 (IPv6) + 32 (NA with the link-layer option).
    assert_eq!(
        sys.recs
            .iter()
            .filter(|r| matches!(r, Rec::Frame(2, 86)))
            .count(),
        5
    );
}

#[tokio::test(start_paused = true)]
async fn track_file_values_reach_the_core_through_the_loop() {
    let dir = std::env::temp_dir().join(format!("vrrpd-shell-tf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("w");
    std::fs::write(&file, "3\n").unwrap();
    let loaded = vrrpd::config::load_str(&format!(
        "track_file tf {{
            file {}
            weight -10
        }}
        vrrp_instance VI_1 {{
            interface eth0
            virtual_router_id 51
            priority 100
            track_file {{
                tf
            }}
            virtual_ipaddress {{
                10.0.0.100/24
            }}
        }}",
        file.display()
    ));
    let cfg = loaded.config.expect("config");
    let (tracking, hooks) = daemon::tracker_io::TrackerIo::start(
        &Runtime::without_host(&cfg),
        &ifaces(),
        daemon::now(),
    );
    let mut exec = Exec::new(ifaces(), false);
    exec.hooks = Some(hooks);
    let mut sys = RecSys::new();
    let mut loader = Scripted(None);
    let (tx, mut rx) = mpsc::channel(16);
    let f = file.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(6_000)).await;
        std::fs::write(&f, "0\n").unwrap();
    });
    script(tx, vec![(9_000, Event::Signal(Signal::Stop))]);
    daemon::run_tracked(
        &mut sys,
        &mut loader,
        &mut exec,
        settings(100),
        tracking,
        &mut rx,
    )
    .await
    .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let ads = adverts(&sys.recs);
    // docs/keepalived-compat.md#weights-and-effective-priority: value 3 × weight -10 = -30 while the file says 3; the full 100 once it says 0.
    assert!(ads.iter().any(|a| a.0 < 6_000 && a.2 == 70), "{ads:?}");
    assert!(ads.iter().any(|a| a.0 > 6_600 && a.2 == 100), "{ads:?}");
}

#[tokio::test(start_paused = true)]
async fn a_picture_query_is_answered_between_steps() {
    use vrrpd::daemon::observe::{Happening, Query};
    let mut sys = RecSys::new();
    let mut loader = Scripted(None);
    let mut exec = Exec::new(ifaces(), false);
    let mut happenings = exec.observers.listen();
    let (tx, mut rx) = mpsc::channel(16);
    let (ask, answer) = tokio::sync::oneshot::channel();
    script(
        tx,
        vec![
            (5_000, Event::Query(Query::Picture(ask))),
            (6_000, Event::Signal(Signal::Stop)),
        ],
    );
    daemon::run(&mut sys, &mut loader, &mut exec, settings(100), &mut rx)
        .await
        .unwrap();
    let picture = answer.await.unwrap();
    let vi = picture.snapshot.instance("VI_1").unwrap();
    assert_eq!(vi.state, vrrpd::proto::State::Master);
    assert_eq!(picture.uptime, Duration::from_secs(5));
    // The transitions went out as happenings: BACKUP at start, MASTER, STOP.
    let mut states = Vec::new();
    while let Ok(h) = happenings.try_recv() {
        if let Happening::Transition { state, .. } = h {
            states.push(state);
        }
    }
    assert_eq!(states, ["BACKUP", "MASTER", "STOP"]);
}

#[tokio::test(start_paused = true)]
async fn control_queries_drain_the_core_and_answer_a_reload_with_its_outcome() {
    use vrrpd::daemon::observe::Query;
    let mut sys = RecSys::new();
    let mut loader = Scripted(Some(Reloaded::Failed(vec!["bad line".into()])));
    let mut exec = Exec::new(ifaces(), false);
    let (tx, mut rx) = mpsc::channel(16);
    let (drained, drained_answer) = tokio::sync::oneshot::channel();
    let (unknown, unknown_answer) = tokio::sync::oneshot::channel();
    let (status, status_answer) = tokio::sync::oneshot::channel();
    let (reload, reload_answer) = tokio::sync::oneshot::channel();
    script(
        tx,
        vec![
            (
                5_000,
                Event::Query(Query::Drain {
                    instances: vec!["VI_1".into()],
                    drain: true,
                    reply: drained,
                }),
            ),
            (
                5_100,
                Event::Query(Query::Drain {
                    instances: vec!["NOPE".into()],
                    drain: true,
                    reply: unknown,
                }),
            ),
            (5_200, Event::Query(Query::Reload(reload))),
            (9_000, Event::Query(Query::Status(status))),
            (9_500, Event::Signal(Signal::Stop)),
        ],
    );
    daemon::run(&mut sys, &mut loader, &mut exec, settings(100), &mut rx)
        .await
        .unwrap();
    assert_eq!(drained_answer.await.unwrap()["answer"], "drain");
    let refused = unknown_answer.await.unwrap();
    assert_eq!(refused["answer"], "error", "{refused}");
    let reloaded = reload_answer.await.unwrap();
    assert_eq!(reloaded["ok"], false, "{reloaded}");
    assert_eq!(reloaded["lines"][0], "bad line", "{reloaded}");
    // Drained at 5 s, alone: BACKUP, and still drained after the failed reload.
    let parts = status_answer.await.unwrap();
    let vi = parts.picture.snapshot.instance("VI_1").unwrap();
    assert_eq!(vi.state, vrrpd::proto::State::Backup);
    assert!(vi.drained);
    assert!(parts.drains.contains("VI_1"));
}

#[tokio::test(start_paused = true)]
async fn a_drained_address_owner_restarts_as_backup_without_taking_over_for_a_moment() {
    // `vrrpd drain` kept across a restart (control/drains.rs): an owner (priority 255,
    // state MASTER) must not add its VIP and advertise 255 before the drain applies.
    let mut sys = RecSys::new();
    let mut loader = Scripted(None);
    let mut exec = Exec::new(ifaces(), false);
    exec.control.drains.all = true;
    let (tx, mut rx) = mpsc::channel(16);
    script(tx, vec![(5_000, Event::Signal(Signal::Stop))]);
    let owner = RouterSettings::new(vec![InstanceSettings::master("VI_1", 51)
        .priority(255)
        .vip("10.0.0.100/24")])
    .exact_keepalived();
    daemon::run(&mut sys, &mut loader, &mut exec, owner, &mut rx)
        .await
        .unwrap();
    let added = sys
        .recs
        .iter()
        .filter(|r| matches!(r, Rec::Add(..)))
        .count();
    assert_eq!(added, 0, "{:?}", sys.recs);
    let ads = adverts(&sys.recs);
    assert!(ads.iter().all(|a| a.2 != 255), "{ads:?}");
}

/// systemd's watchdog (sd_status): `WATCHDOG=1` every half interval from the loop, `STATUS=`
/// on changes; when the loop hangs (here: a VIP addition that never returns) the pings stop,
/// so systemd would kill and restart the daemon.
#[tokio::test(start_paused = true)]
async fn watchdog_pings_stop_when_the_loop_hangs() {
    let mut sys = RecSys::new();
    sys.watchdog = Some(Duration::from_millis(400));
    sys.hang_add = true;
    let mut loader = Scripted(None);
    let mut exec = Exec::new(ifaces(), false);
    let (_tx, mut rx) = mpsc::channel(16);
    let run = daemon::run(&mut sys, &mut loader, &mut exec, settings(100), &mut rx);
    // Master at 3.61 s: the VIP addition hangs; nothing can end the run.
    let hung = tokio::time::timeout(Duration::from_secs(10), run).await;
    assert!(hung.is_err(), "the run cannot end while add_vip hangs");
    let pings: Vec<u128> = sys
        .recs
        .iter()
        .filter_map(|r| match r {
            Rec::Ping(at) => Some(*at),
            _ => None,
        })
        .collect();
    // 0, 200, ..., 3600 ms: every 200 ms until the loop hung, none afterwards.
    assert_eq!(pings.first(), Some(&0), "{pings:?}");
    assert!(pings.windows(2).all(|w| w[1] - w[0] == 200), "{pings:?}");
    assert!(
        pings.last().is_some_and(|l| (3400..=3610).contains(l)),
        "{pings:?}"
    );
    assert!(sys
        .recs
        .contains(&Rec::Status("VI_1 BACKUP prio 100".into())));
}

/// `-X/--release-vips` (docs/keepalived-compat.md#removing-addresses): after a reload, an
/// instance that is not MASTER deletes its VIPs although it never added them (a copy left on a
/// backup does not survive the reload); without `-X` a backup's reload touches no address.
#[tokio::test(start_paused = true)]
async fn release_vips_makes_a_reload_delete_a_backups_addresses() {
    for release in [false, true] {
        let mut sys = RecSys::new();
        let mut loader = Scripted(Some(Reloaded::Ok(Box::new(Runtime {
            settings: settings(100),
            host: vrrpd::plan::HostInfo {
                interfaces: ifaces().into_values().collect(),
            },
            ..Runtime::default()
        }))));
        let mut exec = Exec::new(ifaces(), false);
        exec.release_vips = release;
        let (tx, mut rx) = mpsc::channel(16);
        // BACKUP until 3.6 s: the reload comes at 1 s.
        script(
            tx,
            vec![
                (1_000, Event::Signal(Signal::Reload)),
                (2_000, Event::Signal(Signal::Stop)),
            ],
        );
        daemon::run(&mut sys, &mut loader, &mut exec, settings(100), &mut rx)
            .await
            .unwrap();
        let reload = sys
            .recs
            .iter()
            .position(|r| *r == Rec::Sd(SdState::Reloading))
            .unwrap();
        let ready = reload
            + sys.recs[reload..]
                .iter()
                .position(|r| *r == Rec::Sd(SdState::Ready))
                .unwrap();
        let deleted = sys.recs[reload..ready].contains(&Rec::Del("10.0.0.100".parse().unwrap()));
        assert_eq!(
            deleted,
            release,
            "-X {release}: {:?}",
            &sys.recs[reload..ready]
        );
    }
}

/// `-X` leaves a MASTER's addresses alone.
#[tokio::test(start_paused = true)]
async fn release_vips_keeps_a_masters_addresses() {
    let mut sys = RecSys::new();
    let mut loader = Scripted(Some(Reloaded::Ok(Box::new(Runtime {
        settings: settings(100),
        host: vrrpd::plan::HostInfo {
            interfaces: ifaces().into_values().collect(),
        },
        ..Runtime::default()
    }))));
    let mut exec = Exec::new(ifaces(), false);
    exec.release_vips = true;
    let (tx, mut rx) = mpsc::channel(16);
    script(
        tx,
        vec![
            (4_000, Event::Signal(Signal::Reload)),
            (5_000, Event::Signal(Signal::Stop)),
        ],
    );
    daemon::run(&mut sys, &mut loader, &mut exec, settings(100), &mut rx)
        .await
        .unwrap();
    let reload = sys
        .recs
        .iter()
        .position(|r| *r == Rec::Sd(SdState::Reloading))
        .unwrap();
    let ready = reload
        + sys.recs[reload..]
            .iter()
            .position(|r| *r == Rec::Sd(SdState::Ready))
            .unwrap();
    assert!(
        !sys.recs[reload..ready].contains(&Rec::Del("10.0.0.100".parse().unwrap())),
        "{:?}",
        &sys.recs[reload..ready]
    );
}

/// SIGTERM as MASTER (tests/proto/handover.rs for the core): priority 0, then the loop keeps
/// running until the successor's advert (the VIP goes then), a second SIGTERM (at once), or
/// master-down with nobody (3.61 s). Returns when `run` returned (ms of the paused clock) and
/// the records.
async fn stop_with(after_stop: Vec<(u64, Event)>) -> (u128, Vec<Rec>) {
    let mut sys = RecSys::new();
    let mut loader = Scripted(None);
    let mut exec = Exec::new(ifaces(), false);
    let (tx, mut rx) = mpsc::channel(16);
    let mut events = vec![(5_000, Event::Signal(Signal::Stop))];
    events.extend(after_stop);
    // Keeps the channel open (a closed one releases at once).
    events.push((60_000, Event::Warning("end".into())));
    script(tx, events);
    let t0 = tokio::time::Instant::now();
    daemon::run(&mut sys, &mut loader, &mut exec, settings(100), &mut rx)
        .await
        .unwrap();
    (t0.elapsed().as_millis(), sys.recs)
}

fn successor_advert() -> Event {
    let inst = InstanceSettings::backup("VI_1", 51)
        .priority(90)
        .vip("10.0.0.100/24");
    let src: IpAddr = "10.0.0.2".parse().unwrap();
    let dst: IpAddr = "224.0.0.18".parse().unwrap();
    Event::Input(vrrpd::proto::Input::Packet {
        ifindex: 2,
        src,
        dst,
        ttl: 255,
        bytes: crate::common::encode(&crate::common::advert_like(&inst, 90), src, dst),
    })
}

#[tokio::test(start_paused = true)]
async fn sigterm_keeps_the_vip_until_the_successor_is_heard() {
    let vip: IpAddr = "10.0.0.100".parse().unwrap();
    // The successor's advert 600 ms after the stop ends it (the VIP goes 50 ms later).
    let (took, recs) = stop_with(vec![(5_600, successor_advert())]).await;
    assert!((5_650..5_660).contains(&took), "stopped after {took} ms");
    let stopping = recs
        .iter()
        .position(|r| *r == Rec::Sd(SdState::Stopping))
        .unwrap();
    assert!(recs[stopping..].contains(&Rec::Del(vip)));
    assert_eq!(adverts(&recs).last().map(|a| a.2), Some(0));
    // A second SIGTERM: at once.
    let (took, recs) = stop_with(vec![(5_100, Event::Signal(Signal::Stop))]).await;
    assert!((5_100..5_110).contains(&took), "stopped after {took} ms");
    assert!(recs.contains(&Rec::Del(vip)));
    // Nobody takes over: released after master-down (3 × 1 s + 0.61 s).
    let (took, recs) = stop_with(Vec::new()).await;
    assert!((8_609..8_620).contains(&took), "stopped after {took} ms");
    assert!(recs.contains(&Rec::Del(vip)));
}

#[tokio::test(start_paused = true)]
async fn a_mass_transition_does_not_hold_up_a_fast_instances_adverts() {
    // daemon/backlog.rs: 300 instances with one-second adverts become MASTER in the same
    // instant, 300 VIPs at 0.3 ms each (90 ms of kernel round trips); VI_1 on the same node
    // advertises every 30 ms and must not wait for them.
    let mut sys = RecSys::new();
    sys.slow_add = Duration::from_micros(300);
    sys.only_vrid = Some(51);
    let mut loader = Scripted(None);
    let mut exec = Exec::new(ifaces(), false);
    let mut instances = vec![InstanceSettings::backup("VI_1", 51)
        .v3()
        .advert_cs(3)
        .priority(150)
        .vip("10.0.0.100/24")];
    for k in 0..300u32 {
        let vrid = u8::try_from(k % 250 + 1).unwrap_or(1);
        let vrid = if vrid == 51 { 252 } else { vrid };
        let mut i = InstanceSettings::backup(&format!("VI_F{k}"), vrid)
            .v3()
            .vip(&format!("10.1.{}.{}/32", k / 250, k % 250 + 1));
        if k >= 250 {
            i = i.interface("eth1", 3);
        }
        instances.push(i);
    }
    let (tx, mut rx) = mpsc::channel(16);
    script(tx, vec![(5_000, Event::Signal(Signal::Stop))]);
    let mut ifs = ifaces();
    ifs.insert(
        "eth1".into(),
        iface("eth1", 3, Some([2, 0, 0, 0, 0, 2]), true),
    );
    exec.ifaces = ifs;
    daemon::run(
        &mut sys,
        &mut loader,
        &mut exec,
        RouterSettings::new(instances).exact_keepalived(),
        &mut rx,
    )
    .await
    .unwrap();
    let adds = sys
        .recs
        .iter()
        .filter(|r| matches!(r, Rec::Add(..)))
        .count();
    assert!(adds >= 301, "the fleet became MASTER: {adds} VIPs added");
    // VI_1's adverts from its first until the stop: every 30 ms, through the fleet's
    // transition at 3.609 s.
    let ads: Vec<u128> = adverts(&sys.recs)
        .iter()
        .filter(|a| a.2 == 150)
        .map(|a| a.0)
        .collect();
    assert!(ads.iter().any(|&t| t > 3_700), "{ads:?}");
    let worst = ads.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    assert!(worst <= 31, "an advert waited {worst} ms: {ads:?}");
}
