//! The netlink monitors' tasks: link and address changes (with recovery from lost events)
//! and route/rule deletions (subscribed only when the plan has virtual routes or rules).
//!
//! The kernel does not wait for a slow reader: when the monitor's receive buffer is full the
//! next read fails with ENOBUFS and notifications are lost. The task then logs it and dumps
//! the links and addresses again ([`Event::Resync`]; the loop replays the differences,
//! daemon/resync.rs). A monitor whose connection ended is reopened, and resynchronised the
//! same way, instead of leaving the daemon blind to link changes.

use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use super::linux::read_host_beside_the_loop;
use super::Event;
use crate::sys::netlink::{Monitor, Monitored};
use crate::sys::routes::{monitor_groups, RouteMonitor};
use crate::sys::SysError;

/// How long after an overrun further ones are only debug lines (one warning per burst).
const OVERRUN_QUIET: Duration = Duration::from_secs(60);

/// Feeds the loop the link and address changes of `monitor` until the loop is gone.
pub async fn links(mut monitor: Monitor, tx: mpsc::Sender<Event>) {
    let mut last_overrun: Option<Instant> = None;
    loop {
        match monitor.next_notice().await {
            Some(Monitored::Change(ev)) => {
                if tx.send(Event::Net(ev)).await.is_err() {
                    return;
                }
                continue;
            }
            Some(Monitored::Overrun) => {
                let t = Instant::now();
                if last_overrun.is_none_or(|l| t.duration_since(l) >= OVERRUN_QUIET) {
                    warn!(target: "vrrpd", "Netlink: Receive buffer overrun on monitor socket - (No buffer space available); resynchronising interfaces and addresses");
                    last_overrun = Some(t);
                } else {
                    debug!(target: "vrrpd", "Netlink: Receive buffer overrun on monitor socket again");
                }
            }
            None => {
                warn!(target: "vrrpd", "Netlink: monitor socket closed; reopening it");
                monitor = reopen(monitor.rcvbuf()).await;
                info!(target: "vrrpd", "Netlink: monitor socket reopened; resynchronising interfaces and addresses");
            }
        }
        if !resync(&tx).await {
            return;
        }
    }
}

/// A new monitor, retried every second until the kernel gives one.
async fn reopen(rcvbuf: Option<crate::sys::netlink::RcvBuf>) -> Monitor {
    loop {
        match Monitor::open_with(rcvbuf) {
            Ok(m) => return m,
            Err(e) => {
                warn!(target: "vrrpd", "Netlink: cannot reopen the monitor socket: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Dumps the host again for the loop (beside it: an overrun means a burst of changes the loop
/// is already busy with); false when the loop is gone.
async fn resync(tx: &mpsc::Sender<Event>) -> bool {
    match read_host_beside_the_loop().await {
        Ok(host) => tx.send(Event::Resync(host)).await.is_ok(),
        Err(e) => {
            warn!(target: "vrrpd", "Netlink: cannot read the interfaces again: {e}");
            true
        }
    }
}

/// The route/rule monitor, subscribed to what the current plan needs.
#[derive(Debug)]
pub struct Routes {
    tx: mpsc::Sender<Event>,
    /// (routes, rules) subscribed now.
    wanted: (bool, bool),
    task: Option<JoinHandle<()>>,
}

impl Routes {
    pub fn new(tx: mpsc::Sender<Event>) -> Routes {
        Routes {
            tx,
            wanted: (false, false),
            task: None,
        }
    }

    /// Subscribes to the route and rule groups `settings` need (none: no monitor at all).
    pub fn follow(&mut self, settings: &crate::proto::RouterSettings) -> Result<(), SysError> {
        let has = |f: fn(&crate::proto::InstanceSettings) -> bool| settings.instances.iter().any(f);
        let wanted = (has(|i| !i.routes.is_empty()), has(|i| !i.rules.is_empty()));
        if wanted == self.wanted && (self.task.is_some() || wanted == (false, false)) {
            return Ok(());
        }
        if let Some(t) = self.task.take() {
            t.abort();
        }
        self.wanted = wanted;
        let groups = monitor_groups(wanted.0, wanted.1);
        if groups.is_empty() {
            return Ok(());
        }
        let mut monitor = RouteMonitor::open(&groups)?;
        let tx = self.tx.clone();
        self.task = Some(tokio::spawn(async move {
            while let Some(d) = monitor.next().await {
                if tx.send(Event::Deleted(d)).await.is_err() {
                    return;
                }
            }
        }));
        Ok(())
    }
}

impl Drop for Routes {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtnetlink::packet_core::{NetlinkHeader, NetlinkMessage, NetlinkPayload, NLMSG_OVERRUN};
    use rtnetlink::sys::SocketAddr;

    /// Runs the link task on a monitor fed `messages` (then closed) and returns the first
    /// thing it tells the loop. Reads this host's links (a netlink dump, no packets).
    async fn first_event(
        messages: Vec<NetlinkMessage<rtnetlink::packet_route::RouteNetlinkMessage>>,
    ) -> Option<Event> {
        let (feed, rx) = futures::channel::mpsc::unbounded();
        for m in messages {
            feed.unbounded_send((m, SocketAddr::new(0, 0))).ok()?;
        }
        let (tx, mut events) = mpsc::channel(4);
        let task = tokio::spawn(links(Monitor::from_messages(rx), tx));
        let got = tokio::time::timeout(Duration::from_secs(5), events.recv()).await;
        task.abort();
        drop(feed);
        got.ok().flatten()
    }

    fn has_loopback(ev: &Option<Event>) -> bool {
        matches!(ev, Some(Event::Resync(h)) if h.interfaces.iter().any(|i| i.is_loopback))
    }

    #[tokio::test]
    async fn an_overrun_makes_the_task_read_the_host_again() {
        let mut hdr = NetlinkHeader::default();
        hdr.message_type = NLMSG_OVERRUN;
        let overrun = NetlinkMessage::new(hdr, NetlinkPayload::Overrun(Vec::new()));
        let ev = first_event(vec![overrun]).await;
        assert!(has_loopback(&ev), "{ev:?}");
    }

    #[tokio::test]
    async fn a_closed_monitor_is_reopened_and_the_host_read_again() {
        let (feed, rx) = futures::channel::mpsc::unbounded();
        drop(feed);
        let (tx, mut events) = mpsc::channel(4);
        let task = tokio::spawn(links(Monitor::from_messages(rx), tx));
        let ev = tokio::time::timeout(Duration::from_secs(5), events.recv())
            .await
            .ok()
            .flatten();
        task.abort();
        assert!(has_loopback(&ev), "{ev:?}");
    }
}
