//! The real [`Sys`]: raw VRRP sockets, rtnetlink, AF_PACKET frames, sd_notify, and the
//! start-up that wires them to the loop.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use super::exec::{Exec, Iface};
use super::{DaemonError, Event, Reloaded, SdState, Sys};
use crate::config::diag::{Diagnostic, Severity};
use crate::config::parse::ParseOptions;
use crate::config::source::{FsLoader, SourceMap};
use crate::config::{self, Config};
use crate::proto::{Input, RouterSettings};
use crate::sys::frames::FrameSender;
use crate::sys::netlink::{Added, Monitor, Netlink, Removed, Vip};
use crate::sys::signals::Signals;
use crate::sys::systemd::Notifier;
use crate::sys::vrrp_socket::{
    Ipv4Header, Listen, Received, RecvSocket, SendSocket, IPPROTO_AH, IPPROTO_VRRP,
};
use crate::sys::SysError;
use crate::wire::Family;

/// What `main` hands the daemon.
#[derive(Clone, Debug)]
pub struct Options {
    pub config_path: PathBuf,
    pub parse: ParseOptions,
    /// `-V/--dont-release-vrrp`.
    pub dont_release: bool,
}

/// Key of one receive socket: interface and group (multicast) or local address (unicast).
type RecvKey = (u32, bool, Ipv4Addr);

pub struct LinuxSys {
    netlink: Netlink,
    frames: FrameSender,
    senders: HashMap<u32, SendSocket>,
    receivers: HashMap<RecvKey, JoinHandle<()>>,
    events: mpsc::Sender<Event>,
    notifier: Notifier,
    opts: Options,
}

/// Starts the daemon on the current runtime and runs it until it stops.
pub async fn start(opts: Options, cfg: Config) -> Result<(), DaemonError> {
    let (tx, mut rx) = mpsc::channel(1024);
    // Signals first (house-style §4.4), so a SIGTERM during start-up is not lost.
    let mut signals = Signals::install()?;
    let sig_tx = tx.clone();
    tokio::spawn(async move {
        while let Some(s) = signals.recv().await {
            if sig_tx.send(Event::Signal(s)).await.is_err() {
                return;
            }
        }
    });
    info!(target: "vrrpd", "Registering Kernel netlink reflector");
    let netlink = Netlink::open()?;
    let mut monitor = Monitor::open()?;
    let mon_tx = tx.clone();
    tokio::spawn(async move {
        while let Some(ev) = monitor.next().await {
            if mon_tx.send(Event::Net(ev)).await.is_err() {
                return;
            }
        }
    });
    let (settings, ifaces) = resolve(&netlink, &cfg).await?;
    let notifier = Notifier::from_env().unwrap_or_else(|_| Notifier::disabled());
    let mut sys = LinuxSys {
        netlink,
        frames: FrameSender::new(),
        senders: HashMap::new(),
        receivers: HashMap::new(),
        events: tx,
        notifier,
        opts: opts.clone(),
    };
    let mut exec = Exec::new(ifaces, opts.dont_release);
    let result = super::run(&mut sys, &mut exec, settings, &mut rx).await;
    for (_, h) in sys.receivers.drain() {
        h.abort();
    }
    result
}

/// Maps a checked configuration onto settings for this host, with the interface table.
pub async fn resolve(
    netlink: &Netlink,
    cfg: &Config,
) -> Result<(RouterSettings, HashMap<String, Iface>), DaemonError> {
    let host = crate::host::gather();
    let settings =
        crate::plan::router_settings(cfg, &host).map_err(|e| DaemonError::Other(e.to_string()))?;
    if let Some(i) = settings.instances.iter().find(|i| i.family() == Family::V6) {
        return Err(DaemonError::Other(format!(
            "vrrp_instance {}: IPv6 instances are not supported by the vrrpd daemon yet",
            i.name
        )));
    }
    let mut ifaces = HashMap::new();
    for l in netlink.links().await? {
        ifaces.insert(
            l.name.clone(),
            Iface {
                index: l.index,
                mac: l.mac,
                noarp: l.noarp,
            },
        );
    }
    Ok((settings, ifaces))
}

/// A diagnostic as one log line (`file:line:col: severity: message`).
pub fn diagnostic_line(d: &Diagnostic, sources: &SourceMap) -> String {
    d.render(sources)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Receive checks 1, 2 and 10 of §6.4 that belong to the shell: the kernel delivered an IPv4
/// datagram whose header parsed (1) and was cut to its total length (10); AH (2) is not
/// supported, so such adverts are dropped.
pub fn packet_input(r: Received) -> Option<Input> {
    if r.protocol != IPPROTO_VRRP {
        debug_assert!(r.protocol == IPPROTO_AH || r.protocol != IPPROTO_VRRP);
        return None;
    }
    Some(Input::Packet {
        ifindex: r.ifindex,
        src: r.src,
        dst: r.dst,
        ttl: r.ttl,
        bytes: r.payload,
    })
}

async fn rx_task(sock: RecvSocket, tx: mpsc::Sender<Event>) {
    loop {
        match sock.recv().await {
            Ok(r) => {
                if let Some(input) = packet_input(r) {
                    if tx.send(Event::Input(input)).await.is_err() {
                        return;
                    }
                }
            }
            Err(e) => {
                if tx.send(Event::Warning(e.to_string())).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

impl Sys for LinuxSys {
    async fn send_advert(
        &mut self,
        ifindex: u32,
        header: &Ipv4Header,
        payload: &[u8],
    ) -> Result<(), SysError> {
        match self.senders.get(&ifindex) {
            Some(s) => s.send_v4(header, payload).await,
            None => Err(SysError::NoSuchInterface {
                name: format!("index {ifindex}"),
            }),
        }
    }

    async fn add_vip(&mut self, vip: &Vip) -> Result<Added, SysError> {
        self.netlink.add_vip(vip).await
    }

    async fn del_vip(&mut self, vip: &Vip) -> Result<Removed, SysError> {
        self.netlink.del_vip(vip).await
    }

    fn send_frame(&mut self, ifindex: u32, frame: &[u8]) -> Result<(), SysError> {
        // A packet socket that saw its link go down reports ENETDOWN once; the sender then
        // drops it, and the second attempt goes out on a fresh one.
        self.frames
            .send(ifindex, frame)
            .or_else(|_| self.frames.send(ifindex, frame))
    }

    fn sync_sockets(&mut self, settings: &RouterSettings) -> Result<(), SysError> {
        let mut want_rx: HashMap<RecvKey, (String, Listen)> = HashMap::new();
        let mut want_tx: HashMap<u32, String> = HashMap::new();
        for i in &settings.instances {
            let (IpAddr::V4(src), IpAddr::V4(group)) = (i.src, i.mcast_group) else {
                continue;
            };
            let listen = if i.is_unicast() {
                Listen::Unicast(src)
            } else {
                Listen::Multicast(group)
            };
            let key = match listen {
                Listen::Unicast(a) => (i.ifindex, true, a),
                Listen::Multicast(g) => (i.ifindex, false, g),
            };
            want_rx.insert(key, (i.ifname.clone(), listen));
            want_tx.insert(i.ifindex, i.ifname.clone());
        }
        self.receivers.retain(|k, h| {
            let keep = want_rx.contains_key(k);
            if !keep {
                h.abort();
            }
            keep
        });
        self.senders.retain(|k, _| want_tx.contains_key(k));
        for (key, (ifname, listen)) in want_rx {
            if self.receivers.contains_key(&key) {
                continue;
            }
            let sock = RecvSocket::open_v4(&ifname, key.0, listen).map_err(|e| match listen {
                Listen::Unicast(a) => SysError::Os {
                    what: format!("bind unicast_src {a} on {ifname}"),
                    source: std::io::Error::other(e.to_string()),
                },
                Listen::Multicast(_) => e,
            })?;
            let handle = tokio::spawn(rx_task(sock, self.events.clone()));
            self.receivers.insert(key, handle);
        }
        for (ifindex, ifname) in want_tx {
            if let std::collections::hash_map::Entry::Vacant(e) = self.senders.entry(ifindex) {
                e.insert(SendSocket::open_v4(&ifname, ifindex)?);
            }
        }
        Ok(())
    }

    async fn reload(&mut self) -> Reloaded {
        let loaded = match config::load(&FsLoader, &self.opts.config_path, &self.opts.parse) {
            Ok(l) => l,
            Err(e) => return Reloaded::Failed(vec![format!("cannot read configuration file {e}")]),
        };
        let lines = |sev: Option<Severity>| -> Vec<String> {
            loaded
                .diagnostics
                .iter()
                .filter(|d| sev.is_none_or(|s| d.severity == s))
                .map(|d| diagnostic_line(d, &loaded.sources))
                .collect()
        };
        let Some(cfg) = &loaded.config else {
            return Reloaded::Failed(lines(Some(Severity::Error)));
        };
        match resolve(&self.netlink, cfg).await {
            Ok((settings, ifaces)) => Reloaded::Ok {
                settings,
                ifaces,
                warnings: lines(Some(Severity::Warning)),
            },
            Err(e) => Reloaded::Failed(vec![e.to_string()]),
        }
    }

    fn systemd(&mut self, state: SdState) {
        let r = match state {
            SdState::Ready => self.notifier.ready(),
            SdState::Reloading => self.notifier.reloading(),
            SdState::Stopping => self.notifier.stopping(),
        };
        if let Err(e) = r {
            warn!(target: "vrrpd", "{e}");
        }
    }
}
