//! The loop on tokio's paused clock with a recording `Sys` whose sockets can be made to fail:
//! an instance whose sockets cannot be opened is held in FAULT (never deaf, so never a second
//! MASTER) while the others run on, and leaves FAULT when they can be opened; an interface
//! re-created under its name moves the sockets and the adverts to its new index; a resync
//! after a netlink overrun replays what the monitor missed.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use tokio::sync::mpsc;
use vrrpd::daemon::exec::Exec;
use vrrpd::daemon::{self, Event, Loader, Reloaded, SdState, Sys};
use vrrpd::plan::{HostInfo, HostInterface, Runtime};
use vrrpd::proto::{InstanceSettings, RouteSpec, RouterSettings, RuleSpec};
use vrrpd::sys::netlink::{self, Added, Removed, Vip};
use vrrpd::sys::signals::Signal;
use vrrpd::sys::vrrp_socket::Unopened;
use vrrpd::sys::SysError;
use vrrpd::wire::Ipv4Repr;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Rec {
    /// (ms since start, interface index, VRID, priority)
    Advert(u128, u32, u8, u8),
    Add(u128, IpAddr),
    Del(u128, IpAddr),
    /// The interface indexes of the sockets asked for.
    Sockets(u128, Vec<u32>),
}

/// Fails the sockets of instance `deaf` while the clock is inside `window` (ms).
struct FlakySys {
    t0: tokio::time::Instant,
    recs: Vec<Rec>,
    deaf: &'static str,
    window: (u128, u128),
}

impl FlakySys {
    fn new(deaf: &'static str, window: (u128, u128)) -> FlakySys {
        FlakySys {
            t0: tokio::time::Instant::now(),
            recs: Vec::new(),
            deaf,
            window,
        }
    }
    fn ms(&self) -> u128 {
        self.t0.elapsed().as_millis()
    }
}

impl Sys for FlakySys {
    async fn send_advert(
        &mut self,
        ifindex: u32,
        _h: &Ipv4Repr,
        payload: &[u8],
    ) -> Result<(), SysError> {
        let (vrid, prio) = (
            payload.get(1).copied().unwrap_or(0),
            payload.get(2).copied().unwrap_or(0),
        );
        let at = self.ms();
        self.recs.push(Rec::Advert(at, ifindex, vrid, prio));
        Ok(())
    }
    async fn send_advert6(
        &mut self,
        _ifindex: u32,
        _src: Ipv6Addr,
        _dst: Ipv6Addr,
        _hops: u8,
        _payload: &[u8],
    ) -> Result<(), SysError> {
        Ok(())
    }
    async fn route(
        &mut self,
        _add: bool,
        _spec: &RouteSpec,
        _oif: Option<u32>,
    ) -> Result<(), SysError> {
        Ok(())
    }
    async fn rule(&mut self, _add: bool, _spec: &RuleSpec) -> Result<(), SysError> {
        Ok(())
    }
    async fn add_vip(&mut self, vip: &Vip) -> Result<Added, SysError> {
        let at = self.ms();
        self.recs.push(Rec::Add(at, vip.addr));
        Ok(Added::Added)
    }
    async fn del_vip(&mut self, vip: &Vip) -> Result<Removed, SysError> {
        let at = self.ms();
        self.recs.push(Rec::Del(at, vip.addr));
        Ok(Removed::NotPresent)
    }
    fn send_frame(&mut self, _ifindex: u32, _frame: &[u8]) -> Result<(), SysError> {
        Ok(())
    }
    fn sync_sockets(&mut self, settings: &RouterSettings) -> Result<(), SysError> {
        match self.open_sockets(settings).into_iter().next() {
            Some(u) => Err(u.error),
            None => Ok(()),
        }
    }
    fn open_sockets(&mut self, settings: &RouterSettings) -> Vec<Unopened> {
        let at = self.ms();
        let idx = settings.instances.iter().map(|i| i.ifindex).collect();
        self.recs.push(Rec::Sockets(at, idx));
        let failing = at >= self.window.0 && at < self.window.1;
        settings
            .instances
            .iter()
            .filter(|i| failing && i.name == self.deaf)
            .map(|i| Unopened {
                instances: vec![i.name.clone()],
                error: SysError::io(
                    "bind the VRRP receive socket",
                    std::io::Error::from_raw_os_error(libc::ENODEV),
                ),
            })
            .collect()
    }
    fn systemd(&mut self, _state: SdState) {}
}

struct Once(Option<Reloaded>);

impl Loader for Once {
    fn load(&mut self) -> impl std::future::Future<Output = Reloaded> + 'static {
        let outcome = self
            .0
            .take()
            .unwrap_or_else(|| Reloaded::Failed(vec!["no reload scripted".into()]));
        std::future::ready(outcome)
    }
}

fn eth0(index: u32, up: bool) -> HostInterface {
    HostInterface {
        name: "eth0".into(),
        index,
        mac: Some([2, 0, 0, 0, 0, 1]),
        up,
        ..HostInterface::default()
    }
}

fn two(priority: u8) -> RouterSettings {
    RouterSettings::new(vec![
        InstanceSettings::backup("VI_1", 51)
            .priority(priority)
            .vip("10.0.0.100/24"),
        InstanceSettings::backup("VI_2", 52)
            .priority(priority)
            .vip("10.0.0.101/24"),
    ])
    .exact_keepalived()
}

fn script(tx: mpsc::Sender<Event>, events: Vec<(u64, Event)>) {
    tokio::spawn(async move {
        let t0 = tokio::time::Instant::now();
        for (ms, ev) in events {
            tokio::time::sleep_until(t0 + Duration::from_millis(ms)).await;
            let _ = tx.send(ev).await;
        }
    });
}

/// Advert times of VRID `vrid` with a non-zero priority.
fn adverts(recs: &[Rec], vrid: u8) -> Vec<u128> {
    recs.iter()
        .filter_map(|r| match r {
            Rec::Advert(at, _, v, p) if *v == vrid && *p > 0 => Some(*at),
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn an_instance_whose_socket_fails_on_reload_is_fault_until_it_opens_the_others_run_on() {
    // VI_2's sockets fail from the reload (10 s) until 20 s; an address event at 20 s retries.
    let mut sys = FlakySys::new("VI_2", (9_000, 20_000));
    let mut loader = Once(Some(Reloaded::Ok(Box::new(Runtime {
        settings: two(110),
        host: HostInfo {
            interfaces: vec![eth0(2, true)],
        },
        ..Runtime::default()
    }))));
    let mut exec = Exec::new(HashMap::from([("eth0".to_string(), eth0(2, true))]), false);
    let (tx, mut rx) = mpsc::channel(16);
    let addr = Event::Net(netlink::Change::AddrChange {
        ifindex: 2,
        addr: "10.0.0.9".parse().unwrap(),
        prefix: 24,
        added: true,
    });
    script(
        tx,
        vec![
            (10_000, Event::Signal(Signal::Reload)),
            (20_000, addr),
            (30_000, Event::Signal(Signal::Stop)),
        ],
    );
    daemon::run(&mut sys, &mut loader, &mut exec, two(100), &mut rx)
        .await
        .unwrap();
    let vi1 = adverts(&sys.recs, 51);
    let vi2 = adverts(&sys.recs, 52);
    // VI_1 advertises every second throughout.
    for t in (5..30).map(|s| s * 1000) {
        assert!(
            vi1.iter().any(|a| *a > t && *a <= t + 1000),
            "VI_1 gap after {t} ms: {vi1:?}"
        );
    }
    // VI_2 was master, went to FAULT at the reload (its VIP released), stayed silent while
    // deaf, and came back (BACKUP, then MASTER, alone on this link) after the retry.
    assert!(vi2.iter().any(|a| *a < 10_000), "{vi2:?}");
    assert!(
        vi2.iter().all(|a| *a <= 10_000 || *a >= 20_000),
        "VI_2 advertised while it could not hear: {vi2:?}"
    );
    let v101: IpAddr = "10.0.0.101".parse().unwrap();
    assert!(
        sys.recs
            .iter()
            .any(|r| matches!(r, Rec::Del(at, a) if *a == v101 && *at == 10_000)),
        "{:?}",
        sys.recs
    );
    assert!(
        vi2.iter().any(|a| *a > 20_000),
        "VI_2 never came back: {vi2:?}"
    );
    let v100: IpAddr = "10.0.0.100".parse().unwrap();
    assert!(
        !sys.recs
            .iter()
            .any(|r| matches!(r, Rec::Del(at, a) if *a == v100 && *at > 0 && *at < 30_000)),
        "VI_1 released its VIP: {:?}",
        sys.recs
    );
}

#[tokio::test(start_paused = true)]
async fn a_recreated_interface_moves_sockets_and_adverts_to_its_new_index() {
    let mut sys = FlakySys::new("none", (0, 0));
    let mut loader = Once(None);
    let mut exec = Exec::new(HashMap::from([("eth0".to_string(), eth0(2, true))]), false);
    let (tx, mut rx) = mpsc::channel(16);
    let link = |ifindex, up| {
        Event::Net(netlink::Change::LinkChange {
            ifindex,
            name: "eth0".into(),
            up,
            mac: Some([2, 0, 0, 0, 0, 1]),
        })
    };
    let removed = Event::Net(netlink::Change::LinkRemoved {
        ifindex: 2,
        name: "eth0".into(),
    });
    script(
        tx,
        vec![
            (5_000, removed),
            (5_500, link(9, false)),
            (6_000, link(9, true)),
            (15_000, Event::Signal(Signal::Stop)),
        ],
    );
    daemon::run(&mut sys, &mut loader, &mut exec, two(100), &mut rx)
        .await
        .unwrap();
    assert!(
        sys.recs.contains(&Rec::Sockets(5_500, vec![9, 9])),
        "no sockets on the new index: {:?}",
        sys.recs
    );
    let after: Vec<&Rec> = sys
        .recs
        .iter()
        .filter(|r| matches!(r, Rec::Advert(at, ..) if *at > 6_000))
        .collect();
    assert!(!after.is_empty());
    assert!(
        after.iter().all(|r| matches!(r, Rec::Advert(_, 9, ..))),
        "adverts after the re-creation not on index 9: {after:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_resync_replays_a_link_change_the_monitor_missed() {
    let mut sys = FlakySys::new("none", (0, 0));
    let mut loader = Once(None);
    let mut exec = Exec::new(HashMap::from([("eth0".to_string(), eth0(2, true))]), false);
    let (tx, mut rx) = mpsc::channel(16);
    let down = Event::Resync(HostInfo {
        interfaces: vec![eth0(2, false)],
    });
    script(
        tx,
        vec![(5_000, down), (8_000, Event::Signal(Signal::Stop))],
    );
    daemon::run(&mut sys, &mut loader, &mut exec, two(100), &mut rx)
        .await
        .unwrap();
    // Both masters go to FAULT at 5 s: VIPs released, no adverts after the priority 0.
    for vrid in [51, 52] {
        assert!(adverts(&sys.recs, vrid).iter().all(|a| *a <= 5_000));
    }
    assert!(
        sys.recs.iter().any(|r| matches!(r, Rec::Del(5_000, _))),
        "{:?}",
        sys.recs
    );
    assert!(!exec.ifaces["eth0"].up);
}
