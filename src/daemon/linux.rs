//! The real [`Sys`]: raw VRRP sockets, rtnetlink, AF_PACKET frames, sd_notify, and the
//! start-up that wires them to the loop.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::net::Ipv6Addr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use super::exec::Exec;
use super::tracker_io::TrackerIo;
use super::vmac::VmacHost;
use super::watch;
use super::{DaemonError, Event, Loader, Reloaded, SdState, Sys};
use crate::config::read::ParseOptions;
use crate::plan::{self, Checked, HostAddr, HostInfo, HostInterface};
use crate::proto::RouterSettings;
use crate::sys::frames::FrameSender;
use crate::sys::netlink::{Added, Monitor, Netlink, Removed, Vip};
use crate::sys::signals::Signals;
use crate::sys::systemd::Notifier;
use crate::sys::vrrp_socket::{wanted, RecvKey, RecvSocket, SendSocket, Unopened};
use crate::sys::SysError;
use crate::wire::Ipv4Repr;

/// What `main` hands the daemon.
#[derive(Clone, Debug)]
pub struct Options {
    pub config_path: PathBuf,
    pub parse: ParseOptions,
    /// `-V/--dont-release-vrrp`.
    pub dont_release: bool,
    /// `-X/--release-vips`.
    pub release_vips: bool,
    /// `-a/--address-monitoring`.
    pub address_monitoring: bool,
    /// `--record-events FILE`: the node's inputs as replay lines (daemon/record.rs).
    pub record_events: Option<PathBuf>,
    /// `--control-socket` (or the default): `vrrpd status`, drain, events, reload.
    pub control_socket: PathBuf,
    /// `--metrics-listen ADDR:PORT`: the Prometheus endpoint (crate::metrics).
    pub metrics_listen: Option<std::net::SocketAddr>,
}

pub struct LinuxSys {
    netlink: Netlink,
    frames: FrameSender,
    senders: HashMap<u32, SendSocket>,
    senders6: HashMap<(u32, Ipv6Addr), SendSocket>,
    receivers: HashMap<RecvKey, JoinHandle<()>>,
    events: mpsc::Sender<Event>,
    notifier: Notifier,
    /// The route/rule monitor, subscribed to what the settings in force need: re-checked
    /// whenever the sockets are (start, reload).
    routes: watch::Routes,
    /// The vmacs (docs/vmac.md), shared with the loader.
    vmacs: Arc<tokio::sync::Mutex<VmacHost>>,
}

/// Starts the daemon on the current runtime and runs it until it stops: `checked` is planned
/// against the host's interfaces as netlink reports them.
pub async fn start(opts: Options, checked: Checked) -> Result<(), DaemonError> {
    // On the loop's own thread, before anything else starts (docs/keywords.md).
    for line in crate::sys::realtime::apply(&checked.realtime()) {
        warn!(target: "vrrpd", "{line}");
    }
    let (_promote, failed) =
        crate::sys::promote_secondaries::enable(&checked.promote_secondaries_interfaces());
    for line in failed {
        info!(target: "vrrpd", "{line}");
    }
    // Switched back on when this guard drops, whichever way the daemon ends.
    let _local_igmp = if checked.disable_local_igmp() {
        crate::sys::local_igmp::disable().unwrap_or_else(|line| {
            info!(target: "vrrpd", "{line}");
            None
        })
    } else {
        None
    };
    let (tx, mut rx) = mpsc::channel(1024);
    // Signals first, so a SIGTERM during start-up is not lost.
    let mut signals = Signals::install()?;
    // main blocked them until now: what arrived meanwhile is delivered to the handlers.
    crate::sys::signals::unblock_handled()?;
    let sig_tx = tx.clone();
    tokio::spawn(async move {
        while let Some(s) = signals.recv().await {
            if sig_tx.send(Event::Signal(s)).await.is_err() {
                return;
            }
        }
    });
    if let Some(addr) = opts.metrics_listen {
        // Bound before start-up completes, so a port in use is an error at start.
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| DaemonError::Other(format!("--metrics-listen {addr}: {e}")))?;
        info!(target: "vrrpd", "Serving metrics on http://{addr}/metrics");
        tokio::spawn(crate::metrics::server::serve(listener, tx.clone()));
    }
    debug!(target: "vrrpd", "Registering Kernel netlink reflector");
    let (cmd_buf, monitor_buf) = checked.netlink_rcvbufs();
    let netlink = Netlink::open_with(cmd_buf)?;
    // docs/vmac.md: the vmacs exist before the plan, which puts their instances on them, and
    // before the link monitor, which would otherwise report their creation (down, then up).
    let vmacs = Arc::new(tokio::sync::Mutex::new(VmacHost::new(netlink.clone())));
    let wants = checked.vmacs_wanted(&read_host(&netlink).await?);
    let mut vmac_names = plan::Vmacs::new();
    if !wants.is_empty() {
        vmac_names = vmacs.lock().await.ensure(wants).await?;
    }
    // A start-up that fails from here removes the vmacs it made.
    let started = async {
        let monitor = Monitor::open_with(monitor_buf)?;
        tokio::spawn(watch::links(monitor, tx.clone()));
        let host = read_host(&netlink).await?;
        let plan = checked
            .plan_with(host, &vmac_names)
            .map_err(|e| DaemonError::Other(e.to_string()))?;
        let mut routes = watch::Routes::new(tx.clone());
        routes.follow(&plan.settings)?;
        Ok::<_, DaemonError>((plan, routes))
    }
    .await;
    let (plan, routes) = match started {
        Ok(x) => x,
        Err(e) => {
            vmacs.lock().await.teardown().await;
            return Err(e);
        }
    };
    // The model served the plan; a reload reads the file again (README "Memory"). Freed
    // beside the loop, which starts meanwhile (a 200,000-line model: milliseconds).
    super::free_beside_the_loop(checked);
    for line in &plan.warnings {
        warn!(target: "vrrpd", "{line}");
    }
    let settings = plan.settings.clone();
    debug!(target: "vrrpd", "Registering gratuitous ARP shared channel");
    let mut assigned: Vec<(&str, std::net::IpAddr)> = Vec::new();
    for i in &settings.instances {
        if !assigned.contains(&(i.ifname.as_str(), i.src)) {
            debug!(target: "vrrpd", "Assigned address {} for interface {}", i.src, i.ifname);
            assigned.push((i.ifname.as_str(), i.src));
        }
    }
    let notifier = Notifier::from_env().unwrap_or_else(|_| Notifier::disabled());
    let mut sys = LinuxSys {
        netlink,
        frames: FrameSender::new(),
        senders: HashMap::new(),
        senders6: HashMap::new(),
        receivers: HashMap::new(),
        events: tx,
        notifier,
        routes,
        vmacs: vmacs.clone(),
    };
    // `startup_script` runs to its end (or timeout) before VRRP starts, as in keepalived.
    let script_defaults = (plan.startup_script.is_some() || plan.shutdown_script.is_some())
        .then(|| crate::sys::script::ScriptDefaults::resolve(&plan.script_defaults));
    if let (Some(script), Some(defaults)) = (&plan.startup_script, &script_defaults) {
        super::startup_script::run_global("startup", script, defaults).await;
    }
    // `vrrp_startup_delay` (docs/keepalived-compat.md#global_defs-keywords): wait before the instances start;
    // signals arriving meanwhile stay queued.
    if let Some(d) = plan.startup_delay {
        if !d.is_zero() {
            info!(target: "vrrpd", "Delaying startup for {} seconds", d.as_secs_f64());
            tokio::time::sleep(d).await;
        }
    }
    // Scripts are forked from this (the runtime's) thread: see sys::script.
    let ifaces = plan::host::by_name(&plan.host);
    let (tracking, hooks) = TrackerIo::start(&plan, &ifaces, super::now());
    let mut exec = Exec::new(ifaces, opts.dont_release);
    exec.release_vips = opts.release_vips;
    exec.hooks = Some(hooks);
    exec.mailer.configure(plan.mail.clone());
    exec.firewall = super::firewall::Firewall::start(plan.firewall.clone());
    exec.log_addresses = opts.address_monitoring;
    // Without a timerfd the loop still runs, on tokio's millisecond timer.
    match crate::sys::precise_timer::PreciseTimer::new() {
        Ok(t) => exec.timer = Some(t),
        Err(e) => warn!(target: "vrrpd", "timerfd: {e}; deadlines are kept to the millisecond"),
    }
    if let Some(path) = &opts.record_events {
        // Times count from the node's start (`Recorder::begin` in run_tracked).
        match super::record::Recorder::create(path, super::now(), &plan.host, &opts.config_path) {
            Ok(r) => exec.recorder = Some(r),
            Err(e) => warn!(target: "vrrpd", "--record-events {}: {e}", path.display()),
        }
    }
    // The control socket (src/control): without it the daemon still runs VRRP, so a
    // problem is one warning. The drained state is read first, so the node starts drained.
    let control_socket = opts.control_socket.clone();
    let control = match crate::control::server::start(&control_socket, sys.events.clone()) {
        Ok(server) => {
            let file = crate::control::drains::DrainFile::new(crate::control::drains_path(
                &control_socket,
            ));
            exec.control = crate::control::at_loop::ControlState::load(file);
            Some(server)
        }
        Err(e) => {
            warn!(target: "vrrpd", "{e}; vrrpd status/drain/events/reload will not reach this daemon");
            None
        }
    };
    // Everything the loop needs was taken from the plan above.
    let shutdown_script = plan.shutdown_script.clone();
    super::free_beside_the_loop(plan);
    let mut loader = FileLoader {
        opts: opts.clone(),
        vmacs: vmacs.clone(),
    };
    let result = super::run_tracked(
        &mut sys,
        &mut loader,
        &mut exec,
        settings,
        tracking,
        &mut rx,
    )
    .await;
    for (_, h) in sys.receivers.drain() {
        h.abort();
    }
    // docs/vmac.md#stop: the vmacs go with the VIPs, unless -V keeps both.
    if !opts.dont_release {
        vmacs.lock().await.teardown().await;
    }
    drop(control);
    // `shutdown_script` once VRRP has stopped (also after a fatal error).
    if let (Some(script), Some(defaults)) = (&shutdown_script, &script_defaults) {
        super::startup_script::run_global("shutdown", script, defaults).await;
    }
    result
}

/// One snapshot of the host's interfaces from netlink: links (index, IFF_UP && IFF_RUNNING,
/// flags, MAC) and their addresses. The daemon reads netlink rather than getifaddrs: the
/// monitor that keeps the table fresh speaks netlink too, so names, indexes and flags come
/// from one source, and the MAC and IFF_NOARP the GARP sender needs are in the same reply.
pub async fn read_host(netlink: &Netlink) -> Result<HostInfo, SysError> {
    let links = netlink.links().await?;
    let mut by_index: HashMap<u32, Vec<HostAddr>> = HashMap::with_capacity(links.len());
    for a in netlink.all_addresses().await? {
        by_index.entry(a.ifindex).or_default().push(HostAddr {
            addr: a.addr,
            prefix: a.prefix,
        });
    }
    let mut interfaces: Vec<HostInterface> = links
        .into_iter()
        .map(|l| HostInterface {
            up: l.is_up(),
            addrs: by_index.remove(&l.index).unwrap_or_default(),
            name: l.name,
            index: l.index,
            is_loopback: l.loopback,
            multicast: l.multicast,
            mac: l.mac,
            noarp: l.noarp,
        })
        .collect();
    interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(HostInfo { interfaces })
}

/// [`read_host`] on a blocking-pool thread with a netlink connection of its own, at background
/// priority (sys/background.rs). Why: a connection's replies are parsed by its driver task on
/// the runtime that spawned it; on the loop's connection a host with 1,000 VIPs cost the loop
/// milliseconds of parsing per snapshot, late adverts during a reload (issue #16's bench).
pub async fn read_host_beside_the_loop() -> Result<HostInfo, SysError> {
    let joined = tokio::task::spawn_blocking(|| {
        let _bg = crate::sys::background::enter();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .map_err(|e| SysError::io("start a runtime for the host snapshot", e))?;
        rt.block_on(async {
            let netlink = Netlink::open()?;
            read_host(&netlink).await
        })
    })
    .await;
    joined.unwrap_or_else(|e| {
        Err(SysError::io(
            "read the host's interfaces",
            std::io::Error::other(e.to_string()),
        ))
    })
}

/// The daemon's [`Loader`]: reads and checks the configuration file again, snapshots the
/// host, plans (docs/keepalived-compat.md#reload).
#[derive(Debug)]
pub struct FileLoader {
    pub opts: Options,
    /// The daemon's vmacs: a reload sets up the ones it wants before planning.
    pub vmacs: Arc<tokio::sync::Mutex<VmacHost>>,
}

impl Loader for FileLoader {
    /// Reading, checking and planning the file, and the host snapshot, run on blocking-pool
    /// threads, so a large configuration, a slow file system or a host with many addresses
    /// never holds up adverts.
    fn load(&mut self) -> impl std::future::Future<Output = Reloaded> + 'static {
        let path = self.opts.config_path.clone();
        let parse = self.opts.parse.clone();
        let vmacs = self.vmacs.clone();
        async move {
            let checked = match tokio::task::spawn_blocking(move || {
                // The loop preempts the reading (sys/background.rs).
                let _bg = crate::sys::background::enter();
                plan::read(&path, &parse)
            })
            .await
            {
                Ok(Ok(c)) => c,
                Ok(Err(lines)) => return Reloaded::Failed(lines),
                Err(e) => {
                    return Reloaded::Failed(vec![format!("reading the configuration failed: {e}")])
                }
            };
            let mut host = match read_host_beside_the_loop().await {
                Ok(h) => h,
                Err(e) => return Reloaded::Failed(vec![e.to_string()]),
            };
            // docs/vmac.md#reload: wanted vmacs are set up, unwanted ones removed, first.
            let wants = checked.vmacs_wanted(&host);
            let names = match vmacs.lock().await.ensure(wants).await {
                Ok(n) => n,
                Err(e) => return Reloaded::Failed(vec![e.to_string()]),
            };
            if !names.is_empty() {
                host = match read_host_beside_the_loop().await {
                    Ok(h) => h,
                    Err(e) => return Reloaded::Failed(vec![e.to_string()]),
                };
            }
            let planned = tokio::task::spawn_blocking(move || {
                let _bg = crate::sys::background::enter();
                let p = checked
                    .plan_with(host, &names)
                    .map_err(|e| vec![e.to_string()])?;
                // User and group lookups may block (NSS): made here, answered on the loop.
                crate::sys::script::prefetch(p.run_as_names());
                let mut p = p;
                for w in &p.warnings {
                    warn!(target: "vrrpd", "{w}");
                }
                p.warnings_logged = true;
                Ok(p)
            })
            .await;
            match planned {
                Ok(Ok(p)) => {
                    // keepalived re-applies global_defs umask on reload (unless -u was given).
                    crate::sys::umask::apply_config(p.umask);
                    Reloaded::Ok(Box::new(p))
                }
                Ok(Err(lines)) => Reloaded::Failed(lines),
                Err(e) => Reloaded::Failed(vec![format!("reading the configuration failed: {e}")]),
            }
        }
    }
}

/// Hands every datagram a receive socket reads to the core, unparsed: the core runs every
/// receive check (docs/keepalived-compat.md#receive-checks) and counts what fails.
async fn rx_task(sock: RecvSocket, tx: mpsc::Sender<Event>) {
    loop {
        match sock.recv().await {
            Ok(r) => {
                if tx.send(Event::Input(r.into_input())).await.is_err() {
                    return;
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
        header: &Ipv4Repr,
        payload: &[u8],
    ) -> Result<(), SysError> {
        match self.senders.get(&ifindex) {
            Some(s) => s.send_v4(header, payload).await,
            None => Err(SysError::NoSuchInterface {
                name: format!("index {ifindex}"),
            }),
        }
    }

    async fn send_advert6(
        &mut self,
        ifindex: u32,
        src: Ipv6Addr,
        dst: Ipv6Addr,
        hops: u8,
        payload: &[u8],
    ) -> Result<(), SysError> {
        match self.senders6.get(&(ifindex, src)) {
            Some(s) => s.send_v6(dst, hops, payload).await,
            None => Err(SysError::NoSuchInterface {
                name: format!("index {ifindex}"),
            }),
        }
    }

    async fn add_vip(&mut self, vip: &Vip) -> Result<Added, SysError> {
        self.netlink.add_vip(vip).await
    }

    async fn route(
        &mut self,
        add: bool,
        spec: &crate::proto::RouteSpec,
        oif: Option<u32>,
    ) -> Result<(), SysError> {
        if add {
            self.netlink.add_route(spec, oif).await.map(|_| ())
        } else {
            self.netlink.del_route(spec, oif).await.map(|_| ())
        }
    }

    async fn rule(&mut self, add: bool, spec: &crate::proto::RuleSpec) -> Result<(), SysError> {
        if add {
            self.netlink.add_rule(spec).await.map(|_| ())
        } else {
            self.netlink.del_rule(spec).await.map(|_| ())
        }
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

    /// Owned vmacs the settings in force no longer use go now that the core has released
    /// their VIPs and sent its priority-0 adverts through them.
    fn settings_applied(&mut self, settings: &RouterSettings) {
        let keep: Vec<String> = settings
            .instances
            .iter()
            .filter_map(|i| i.vmac.clone())
            .collect();
        let vmacs = self.vmacs.clone();
        tokio::spawn(async move { vmacs.lock().await.prune(&keep).await });
    }

    /// A vmac deleted from outside, or with its parent, is created again (when its parent is
    /// there), as keepalived does; its new index reaches the core through the link monitor.
    fn link_event(&mut self, name: &str) {
        let vmacs = self.vmacs.clone();
        let name = name.to_string();
        tokio::spawn(async move { vmacs.lock().await.heal(&name).await });
    }

    fn sync_sockets(&mut self, settings: &RouterSettings) -> Result<(), SysError> {
        match self.open_sockets(settings).into_iter().next() {
            Some(u) => Err(u.error),
            None => Ok(()),
        }
    }

    /// Closes the sockets `settings` no longer needs and opens the missing ones (the set is
    /// `vrrp_socket::wanted`); every socket that cannot be opened is returned with its users.
    fn open_sockets(&mut self, settings: &RouterSettings) -> Vec<Unopened> {
        if let Err(e) = self.routes.follow(settings) {
            warn!(target: "vrrpd", "{e}");
        }
        let want = wanted(settings);
        self.receivers.retain(|k, h| {
            let keep = want.recv.contains_key(k);
            if !keep {
                h.abort();
            }
            keep
        });
        self.senders.retain(|k, _| want.send4.contains_key(k));
        self.senders6.retain(|k, _| want.send6.contains_key(k));
        let mut failed = Vec::new();
        for (key, w) in want.recv {
            if self.receivers.contains_key(&key) {
                continue;
            }
            let (ifindex, unicast, addr, protocol) = key;
            let sock = match RecvSocket::open(&w.ifname, ifindex, w.what, protocol) {
                Ok(s) => s,
                Err(e) => {
                    // keepalived's wording for a unicast source it cannot bind.
                    let error = if unicast {
                        SysError::Os {
                            what: format!("bind unicast_src {addr} on {}", w.ifname),
                            source: std::io::Error::other(e.to_string()),
                        }
                    } else {
                        e
                    };
                    failed.push(Unopened {
                        instances: w.instances,
                        error,
                    });
                    continue;
                }
            };
            let family = if addr.is_ipv4() { "IPv4" } else { "IPv6" };
            let mode = if unicast { "unicast" } else { "multicast" };
            debug!(target: "vrrpd", "VRRP sockpool: [ifindex({ifindex:3}), family({family}), proto({protocol}), {mode}, address({addr})]");
            let handle = tokio::spawn(rx_task(sock, self.events.clone()));
            self.receivers.insert(key, handle);
        }
        for (ifindex, w) in want.send4 {
            if let Entry::Vacant(e) = self.senders.entry(ifindex) {
                match SendSocket::open_v4(&w.ifname, ifindex) {
                    Ok(s) => {
                        e.insert(s);
                    }
                    Err(error) => failed.push(Unopened {
                        instances: w.instances,
                        error,
                    }),
                }
            }
        }
        for ((ifindex, src), w) in want.send6 {
            if let Entry::Vacant(e) = self.senders6.entry((ifindex, src)) {
                match SendSocket::open_v6(&w.ifname, ifindex, src) {
                    Ok(s) => {
                        e.insert(s);
                    }
                    Err(error) => failed.push(Unopened {
                        instances: w.instances,
                        error,
                    }),
                }
            }
        }
        failed
    }

    fn watchdog_interval(&self) -> Option<Duration> {
        self.notifier
            .is_enabled()
            .then(crate::sys::systemd::watchdog_interval)
            .flatten()
    }

    fn watchdog_ping(&mut self) {
        if let Err(e) = self.notifier.watchdog() {
            debug!(target: "vrrpd", "{e}");
        }
    }

    fn status(&mut self, text: &str) {
        if let Err(e) = self.notifier.status(text) {
            debug!(target: "vrrpd", "{e}");
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The snapshot taken beside the loop (its own thread, runtime and connection) is the one
    /// the loop's connection gives: same interfaces, and each address under its own interface
    /// from the single address dump. Reads this host's links (a netlink dump, no packets).
    #[tokio::test]
    async fn the_host_snapshot_beside_the_loop_matches_the_loops_own() {
        let Ok(netlink) = Netlink::open() else {
            return; // no netlink socket in this sandbox: nothing to compare
        };
        let (Ok(here), Ok(beside)) = (read_host(&netlink).await, read_host_beside_the_loop().await)
        else {
            panic!("a netlink dump failed");
        };
        assert_eq!(here, beside);
        let lo = here.interfaces.iter().find(|i| i.is_loopback);
        assert!(
            lo.is_some_and(|i| i.addrs.iter().any(|a| a.addr.is_loopback())),
            "{here:?}"
        );
    }
}
