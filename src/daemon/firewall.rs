//! The shell side of the `no_accept` firewall (docs/keepalived-compat.md#firewall-rules):
//! the loop tells [`Firewall`] which VIPs each instance holds; a worker task turns the
//! wanted set contents into `nft` commands (`plan::firewall::render`) and runs them, one
//! transaction at a time, so the protocol loop never waits for `nft`.
//!
//! The worker keeps only the latest wish (a `watch` channel): a burst of changes costs one
//! `nft` run. It cleans a table left by a killed daemon before its first change, retries a
//! failed run with a growing pause (the sets stay as they were: a transaction is all or
//! nothing), and deletes the tables when the daemon stops.
//!
//! `nft` is started through `sys::script` (the process-wide reaper owns `waitpid`), with
//! the commands as one argument, and killed after [`NFT_TIMEOUT`].

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{debug, error, info};

use crate::plan::firewall::{self, Built, Element, Layout, Origin};
use crate::plan::FirewallSpec;
use crate::proto::VipSpec;
use crate::sys::script::{self, Identity, Prepared};
use crate::track::ScriptOutcome;

/// How long one `nft` run may take before its process group is killed.
pub const NFT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the stop sequence waits for the tables to be deleted.
const STOP_WAIT: Duration = Duration::from_secs(12);
/// Pauses between attempts after a failed run.
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);
/// The longest command line given to `nft` (Linux refuses one argument over 128 KiB).
const MAX_SCRIPT: usize = 120 * 1024;

/// What the worker should make the kernel hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Want {
    layout: Option<Layout>,
    elements: BTreeSet<Element>,
    stop: bool,
}

/// The loop's handle.
#[derive(Debug, Default)]
pub struct Firewall {
    spec: Option<FirewallSpec>,
    /// The VIPs each instance holds now, with their interface index (every instance: a
    /// reload may make one that holds VIPs start or stop blocking).
    present: BTreeMap<String, Vec<(VipSpec, u32)>>,
    tx: Option<watch::Sender<Want>>,
    task: Option<JoinHandle<()>>,
}

impl Firewall {
    /// Starts the worker for `spec` (nothing runs without one). Call before the loop: the
    /// `nft` command is resolved here.
    pub fn start(spec: Option<FirewallSpec>) -> Firewall {
        let mut fw = Firewall {
            spec: None,
            ..Firewall::default()
        };
        fw.reconfigure(spec);
        fw
    }

    /// A reload's new firewall: instances that now accept leave the sets, instances that
    /// now block and hold VIPs enter them, and a new table layout rebuilds the tables.
    pub fn reconfigure(&mut self, spec: Option<FirewallSpec>) {
        if let Some(s) = &spec {
            if self.spec.as_ref().map(|o| o.origin) != Some(s.origin)
                && s.origin == Origin::Automatic
            {
                info!(target: "vrrpd", "use_vmac or no_accept/strict specified, but no firewall configured - using nftables");
            }
            if self.tx.is_none() {
                self.spawn(&s.layout.table);
            }
        }
        self.spec = spec;
        self.publish();
    }

    fn spawn(&mut self, table: &str) {
        let nft = match script::prepare("nft", &Identity::current(), false) {
            Ok(p) => Some(p),
            Err(e) => {
                error!(target: "vrrpd", "nftables: cannot run nft ({e}) - the drop rules of no_accept instances cannot be installed (install nftables)");
                None
            }
        };
        let (tx, rx) = watch::channel(Want::default());
        self.task = Some(tokio::spawn(worker(nft, table.to_string(), rx)));
        self.tx = Some(tx);
    }

    /// `vip` was added for `instance` on interface `ifindex`.
    pub fn vip_added(&mut self, instance: &str, vip: &VipSpec, ifindex: u32) {
        let list = self.present.entry(instance.to_string()).or_default();
        let first = list.is_empty();
        list.retain(|(v, _)| v.addr != vip.addr || v.ifname != vip.ifname);
        list.push((vip.clone(), ifindex));
        if first && self.blocks(instance) {
            debug!(target: "vrrpd", "({instance}) setting firewall drop rule");
        }
        self.publish();
    }

    /// `vip` of `instance` was removed (or was not there).
    pub fn vip_removed(&mut self, instance: &str, vip: &VipSpec) {
        let Some(list) = self.present.get_mut(instance) else {
            return;
        };
        list.retain(|(v, _)| v.addr != vip.addr || v.ifname != vip.ifname);
        if list.is_empty() {
            self.present.remove(instance);
            if self.blocks(instance) {
                debug!(target: "vrrpd", "({instance}) removing firewall drop rule");
            }
        }
        self.publish();
    }

    fn blocks(&self, instance: &str) -> bool {
        self.spec
            .as_ref()
            .is_some_and(|s| s.blocking.contains_key(instance))
    }

    /// The elements wanted now.
    fn elements(&self) -> BTreeSet<Element> {
        let Some(spec) = &self.spec else {
            return BTreeSet::new();
        };
        self.present
            .iter()
            .flat_map(|(inst, vips)| {
                vips.iter()
                    .filter_map(move |(v, ix)| spec.element(inst, v, *ix))
            })
            .collect()
    }

    fn publish(&self) {
        let Some(tx) = &self.tx else { return };
        let want = Want {
            layout: self.spec.as_ref().map(|s| s.layout.clone()),
            elements: self.elements(),
            stop: false,
        };
        tx.send_if_modified(|w| {
            let changed = *w != want;
            *w = want;
            changed
        });
    }

    /// The stop sequence's last step: the tables are deleted (keepalived's `nft_end`).
    pub async fn stop(&mut self) {
        let Some(tx) = self.tx.take() else { return };
        tx.send_modify(|w| w.stop = true);
        if let Some(task) = self.task.take() {
            if tokio::time::timeout(STOP_WAIT, task).await.is_err() {
                error!(target: "vrrpd", "nftables: the tables could not be deleted in time");
            }
        }
    }
}

/// Runs `commands` through `nft`; `Err` says why it failed.
async fn run(nft: &Prepared, commands: &str) -> Result<(), String> {
    if commands.len() > MAX_SCRIPT {
        return Err(format!("{} bytes of commands is too many", commands.len()));
    }
    let p = nft.with_args(["--", commands]);
    match script::run(&p, NFT_TIMEOUT, Duration::from_secs(1)).await {
        ScriptOutcome::Exited(0) => Ok(()),
        ScriptOutcome::Exited(n) => Err(format!("nft exited with status {n}")),
        ScriptOutcome::Signaled(s) => Err(format!("nft exited due to signal {s}")),
        ScriptOutcome::TimedOut => Err(format!("nft timed out after {NFT_TIMEOUT:?}")),
        ScriptOutcome::SpawnFailed(why) => Err(format!("nft could not be run: {why}")),
    }
}

/// [`run`], with the time it took in the detail log (how long a new VIP may answer before its
/// drop rule is in place).
async fn timed(nft: &Prepared, commands: &str) -> Result<(), String> {
    let t0 = std::time::Instant::now();
    let r = run(nft, commands).await;
    if r.is_ok() {
        debug!(target: "vrrpd", "nftables: rules applied in {} ms", t0.elapsed().as_millis());
    }
    r
}

/// Deletes tables named `table` that a previous run left behind (a SIGKILL skips the stop
/// sequence), with keepalived's line for each.
async fn clean_leftovers(nft: &Prepared, table: &str) {
    for family in ["ip", "ip6"] {
        if run(nft, &format!("delete table {family} {table}"))
            .await
            .is_ok()
        {
            info!(target: "vrrpd", "Deleting old {family} {table} table");
        }
    }
}

/// The worker: applies the latest [`Want`] until told to stop.
async fn worker(nft: Option<Prepared>, table: String, mut rx: watch::Receiver<Want>) {
    let Some(nft) = nft else {
        // Nothing can be installed; the error was logged at start.
        while !rx.borrow_and_update().stop {
            if rx.changed().await.is_err() {
                return;
            }
        }
        return;
    };
    if firewall::usable_name(&table) {
        clean_leftovers(&nft, &table).await;
    }
    let mut built = Built::default();
    let mut pause = RETRY_FIRST;
    loop {
        let want = rx.borrow_and_update().clone();
        let commands = match (&want.layout, want.stop) {
            (Some(layout), false) => firewall::render(layout, &want.elements, &built),
            _ => firewall::teardown(&built).map(|c| (c, Built::default())),
        };
        let failed = match commands {
            None => false,
            Some((c, next)) => match timed(&nft, &c).await {
                Ok(()) => {
                    built = next;
                    pause = RETRY_FIRST;
                    false
                }
                Err(why) => {
                    error!(target: "vrrpd", "nftables: {why} applying `{}` - retrying in {} s", short(&c), pause.as_secs());
                    true
                }
            },
        };
        if want.stop {
            return;
        }
        if failed {
            tokio::select! {
                r = rx.changed() => if r.is_err() { break },
                () = tokio::time::sleep(pause) => {}
            }
            pause = (pause * 2).min(RETRY_MAX);
            continue;
        }
        if rx.changed().await.is_err() {
            break;
        }
    }
    // The loop's handle is gone without a stop: still leave nothing behind.
    if let Some(c) = firewall::teardown(&built) {
        let _ = run(&nft, &c).await;
    }
}

/// The start of a command list, for a log line.
fn short(c: &str) -> String {
    const MAX: usize = 160;
    match c.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}...", &c[..i]),
        None => c.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::firewall::Blocking;

    fn spec(blocking: &[&str]) -> FirewallSpec {
        FirewallSpec {
            layout: Layout {
                table: "keepalived".into(),
                priority: -1,
                counters: false,
            },
            ifindex: false,
            origin: Origin::Automatic,
            blocking: blocking
                .iter()
                .map(|n| {
                    let b = Blocking {
                        ifname: "eth0".into(),
                        dont_track_primary: false,
                    };
                    (n.to_string(), b)
                })
                .collect(),
        }
    }

    fn v4(a: &str) -> Element {
        Element::V4(a.parse().unwrap())
    }

    #[test]
    fn the_sets_follow_the_vips_each_blocking_instance_holds() {
        let mut fw = Firewall {
            spec: Some(spec(&["VI_1"])),
            ..Firewall::default()
        };
        let vip = VipSpec::parse("10.0.0.100/24", "eth0");
        fw.vip_added("VI_1", &vip, 2);
        // An instance in accept mode holds its VIP without a drop rule.
        fw.vip_added("VI_2", &VipSpec::parse("10.0.0.200", "eth0"), 2);
        assert_eq!(fw.elements(), BTreeSet::from([v4("10.0.0.100")]));
        // The same VIP again (put back after a deletion by hand) changes nothing.
        fw.vip_added("VI_1", &vip, 2);
        assert_eq!(fw.elements().len(), 1);
        // A reload that makes VI_2 block too covers the VIP it already holds.
        fw.spec = Some(spec(&["VI_1", "VI_2"]));
        assert_eq!(
            fw.elements(),
            BTreeSet::from([v4("10.0.0.100"), v4("10.0.0.200")])
        );
        fw.vip_removed("VI_1", &vip);
        assert_eq!(fw.elements(), BTreeSet::from([v4("10.0.0.200")]));
        fw.spec = None;
        assert!(fw.elements().is_empty());
    }
}
