//! SMTP alerts (`smtp_alert`, docs/keepalived-compat.md#smtp-alerts): one mail per state change
//! of an instance or sync group that has alerts on, sent off the protocol loop.
//!
//! [`Mailer::notify`] is called with every notification the core emits (the same events that
//! run the notify scripts) and never blocks: it decides whether keepalived would mail, and
//! queues the mail for one worker task that sends the mails one after the other through
//! `lettre`'s plain-SMTP client. A slow or dead server therefore delays only the mails:
//!
//! * connecting times out after `smtp_connect_timeout` (keepalived's default 30 s), and a
//!   whole mail after twice that ([`total_timeout`]; lettre has no per-reply timeout, where
//!   keepalived bounds each wait for a reply by `smtp_connect_timeout`, then sends QUIT and
//!   waits as long again);
//! * at most [`QUEUE`] mails wait; beyond that a new mail is dropped and counted, with one
//!   warning per burst of drops (a flapping pair under a dead server costs bounded memory and
//!   no task per mail);
//! * at shutdown the mails still queued get [`STOP_DEADLINE`] (keepalived's loop runs for
//!   about a second after its STOP notifications, but serves no mail socket any more: no STOP
//!   mail is sent, by either daemon).

pub mod message;

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lettre::address::{Address, Envelope};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::proto::{NotifyEvent, NotifyTarget};

/// Mails waiting to be sent, over all instances and groups.
pub const QUEUE: usize = 16;
/// How long the shutdown waits for the queued mails.
pub const STOP_DEADLINE: Duration = Duration::from_secs(1);
/// keepalived's `smtp_connect_timeout` default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// keepalived's SMTP port.
pub const DEFAULT_PORT: u16 = 25;

/// The alert settings of a configuration (built by `plan::alerts`). Present only when
/// keepalived would send anything: `notification_email` lists someone and `smtp_server` is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailSpec {
    /// `smtp_server HOST|IP`, as written.
    pub server: String,
    pub port: u16,
    /// `notification_email`, in order.
    pub recipients: Vec<String>,
    /// `notification_email_from`; default `<user>@<local name>`.
    pub from: Option<String>,
    /// `smtp_helo_name`; default the local name.
    pub helo: Option<String>,
    /// `router_id`; default the local name.
    pub router_id: Option<String>,
    pub connect_timeout: Duration,
    /// `no_email_faults`: no mail for FAULT.
    pub no_email_faults: bool,
    /// Instances and sync groups whose effective `smtp_alert` is on.
    pub instances: BTreeSet<String>,
    pub groups: BTreeSet<String>,
}

/// A whole mail (connect, dialogue, data) may take at most this long.
pub fn total_timeout(spec: &MailSpec) -> Duration {
    spec.connect_timeout.saturating_mul(2)
}

/// One queued mail: the subject tail and body; the worker adds router id, date and addresses.
#[derive(Debug)]
struct Outgoing {
    target: NotifyTarget,
    what: &'static str,
    body: &'static str,
}

/// Sent, failed and dropped mails (metrics and tests).
#[derive(Debug, Default)]
pub struct MailCounts {
    pub sent: AtomicU64,
    pub failed: AtomicU64,
    pub dropped: AtomicU64,
}

/// The sending task; it ends by itself once its queue is empty and `tx` is dropped.
struct Worker {
    tx: mpsc::Sender<Outgoing>,
    handle: JoinHandle<()>,
}

/// The alert mailer: disabled (the default) until [`Mailer::configure`] gives it a spec.
#[derive(Default)]
pub struct Mailer {
    spec: Option<Arc<MailSpec>>,
    worker: Option<Worker>,
    /// keepalived's `last_email_state` per instance (false) and group (true): a state is
    /// mailed once until another state has been mailed.
    last: HashMap<(bool, String), NotifyEvent>,
    /// Dropping since the last mail that was queued (one warning per burst).
    dropping: bool,
    counts: Arc<MailCounts>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// Sets the alert settings (start and reload). Unchanged settings keep the running worker;
    /// otherwise the old worker finishes its queue in the background. What was last mailed
    /// per name is kept.
    pub fn configure(&mut self, spec: Option<MailSpec>) {
        if self.spec.as_deref() == spec.as_ref() {
            return;
        }
        if let Some(s) = &spec {
            for r in s
                .recipients
                .iter()
                .filter(|r| r.parse::<Address>().is_err())
            {
                tracing::warn!(target: "vrrpd", "notification_email {r}: not a mail address, not sent to");
            }
        }
        self.spec = spec.map(Arc::new);
        // Dropping the sender lets the old worker drain its queue and end.
        self.worker = None;
    }

    pub fn counts(&self) -> &MailCounts {
        &self.counts
    }

    /// One notification of the core. Queues a mail when keepalived would send one
    /// (docs/keepalived-compat.md#smtp-alerts); never blocks. Call inside the tokio runtime.
    pub fn notify(&mut self, target: &NotifyTarget, event: NotifyEvent) {
        let (Some(spec), Some(out)) = (self.spec.clone(), self.wanted(target, event)) else {
            return;
        };
        let counts = self.counts.clone();
        let worker = self
            .worker
            .get_or_insert_with(|| Worker::start(spec.clone(), counts));
        match worker.tx.try_send(out) {
            Ok(()) => {
                if self.dropping {
                    self.dropping = false;
                    tracing::warn!(
                        target: "vrrpd",
                        "SMTP alerts queued again ({} dropped so far)",
                        self.counts.dropped.load(Ordering::Relaxed)
                    );
                }
            }
            Err(e) => {
                self.counts.dropped.fetch_add(1, Ordering::Relaxed);
                if !self.dropping {
                    self.dropping = true;
                    let o = match &e {
                        mpsc::error::TrySendError::Full(o)
                        | mpsc::error::TrySendError::Closed(o) => o,
                    };
                    tracing::warn!(
                        target: "vrrpd",
                        "SMTP alert queue full ({QUEUE} mails waiting for {}): dropping \"{}\" and further alerts until it drains",
                        server_pair(&spec),
                        message::subject("", &o.target, o.what).trim_start_matches("[] ")
                    );
                }
            }
        }
    }

    /// The mail keepalived sends for this notification, if any; records it as mailed.
    fn wanted(&mut self, target: &NotifyTarget, event: NotifyEvent) -> Option<Outgoing> {
        let spec = self.spec.as_ref()?;
        let (is_group, name) = match target {
            NotifyTarget::Instance(n) => (false, n),
            NotifyTarget::Group(n) => (true, n),
        };
        let enabled = if is_group {
            spec.groups.contains(name)
        } else {
            spec.instances.contains(name)
        };
        // STOP comes only at shutdown, and keepalived's STOP mail never leaves: its loop stops
        // serving sockets once shutting down (docs/keepalived-compat.md#smtp-alerts).
        if !enabled
            || event == NotifyEvent::Stop
            || (spec.no_email_faults && event == NotifyEvent::Fault)
        {
            return None;
        }
        let key = (is_group, name.clone());
        if self.last.get(&key) == Some(&event) {
            return None;
        }
        let (what, body) = message::wording(target, event)?;
        self.last.insert(key, event);
        Some(Outgoing {
            target: target.clone(),
            what,
            body,
        })
    }

    /// Shutdown: lets the queued mails go out for at most `deadline`, then abandons them.
    pub async fn shutdown(mut self, deadline: Duration) {
        let Some(w) = self.worker.take() else {
            return;
        };
        drop(w.tx);
        let mut handle = w.handle;
        if tokio::time::timeout(deadline, &mut handle).await.is_err() {
            handle.abort();
        }
    }
}

/// `[HOST]:PORT`, keepalived's way of naming the server in its log lines.
fn server_pair(spec: &MailSpec) -> String {
    format!("[{}]:{}", spec.server, spec.port)
}

impl Worker {
    fn start(spec: Arc<MailSpec>, counts: Arc<MailCounts>) -> Worker {
        let (tx, mut rx) = mpsc::channel::<Outgoing>(QUEUE);
        let s = spec;
        let handle = tokio::spawn(async move {
            let mut sender: Option<Sender> = None;
            while let Some(out) = rx.recv().await {
                if sender.is_none() {
                    sender = Some(Sender::new(&s).await);
                }
                if let Some(snd) = &sender {
                    if snd.send(&s, &out).await {
                        counts.sent.fetch_add(1, Ordering::Relaxed);
                    } else {
                        counts.failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
        Worker { tx, handle }
    }
}

/// The transport and the identity the mails go out with, resolved once per worker.
struct Sender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    envelope: Option<Envelope>,
    from: String,
    router_id: String,
    to: String,
}

impl Sender {
    async fn new(spec: &MailSpec) -> Sender {
        let needs_local = spec.from.is_none() || spec.helo.is_none() || spec.router_id.is_none();
        let local = if needs_local {
            local_name().await
        } else {
            String::new()
        };
        let from = match &spec.from {
            Some(f) => f.clone(),
            None => format!("{}@{local}", user_name().await),
        };
        let helo = spec.helo.clone().unwrap_or_else(|| local.clone());
        let router_id = spec.router_id.clone().unwrap_or_else(|| local.clone());
        let rcpts: Vec<Address> = spec
            .recipients
            .iter()
            .filter_map(|r| r.parse().ok())
            .collect();
        let envelope = Envelope::new(from.parse().ok(), rcpts).ok();
        if envelope.is_none() {
            tracing::warn!(target: "vrrpd", "SMTP alerts: no valid notification_email address, no mail is sent");
        }
        let transport =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(spec.server.as_str())
                .port(spec.port)
                .timeout(Some(spec.connect_timeout))
                .hello_name(ClientId::Domain(helo))
                .build();
        Sender {
            transport,
            envelope,
            from,
            router_id,
            to: message::to_header(&spec.recipients),
        }
    }

    /// Sends one mail; logs a failure in keepalived's words. True when the server took it.
    async fn send(&self, spec: &MailSpec, out: &Outgoing) -> bool {
        let Some(envelope) = &self.envelope else {
            return false;
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let date = super::localtime::strftime_local(
            "%a, %d %b %Y %H:%M:%S %z",
            libc::time_t::try_from(now).unwrap_or_default(),
        );
        let subject = message::subject(&self.router_id, &out.target, out.what);
        let text = message::compose(&date, &self.from, &subject, &self.to, out.body);
        let host = server_pair(spec);
        let sent = tokio::time::timeout(
            total_timeout(spec),
            self.transport.send_raw(envelope, text.as_bytes()),
        )
        .await;
        match sent {
            Ok(Ok(_)) => {
                tracing::debug!(target: "vrrpd", "SMTP alert successfully sent.");
                true
            }
            Ok(Err(e)) => {
                let detail = e.to_string();
                let line = if let Some(code) = e.status() {
                    format!("Error processing SMTP cmd on SMTP server {host}. SMTP status code = {code}")
                } else if detail.starts_with("Connection error") {
                    if e.is_timeout() {
                        format!("Timeout opening connection to remote SMTP server {host}.")
                    } else {
                        format!("SMTP connection ERROR to {host}.")
                    }
                } else if e.is_timeout() {
                    format!("Timeout reading data to remote SMTP server {host}.")
                } else {
                    format!("Error reading data from remote SMTP server {host}.")
                };
                tracing::warn!(target: "vrrpd", "{line}");
                tracing::debug!(target: "vrrpd", "SMTP alert \"{subject}\": {detail}");
                false
            }
            Err(_) => {
                tracing::warn!(target: "vrrpd", "Timeout reading data to remote SMTP server {host}.");
                false
            }
        }
    }
}

/// keepalived's local name: the canonical name of `uname -n` (getaddrinfo with
/// AI_CANONNAME), else the node name. Resolved off the loop, for at most 5 s.
async fn local_name() -> String {
    let node = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let n = node.clone();
    let canon = tokio::task::spawn_blocking(move || canonical_name(&n));
    match tokio::time::timeout(Duration::from_secs(5), canon).await {
        Ok(Ok(Some(c))) => c,
        _ => node,
    }
}

fn canonical_name(node: &str) -> Option<String> {
    let c = std::ffi::CString::new(node).ok()?;
    // SAFETY: zeroed addrinfo is a valid hints struct; getaddrinfo fills `res`, which is read
    // only when the call succeeded and freed exactly once.
    unsafe {
        let mut hints: libc::addrinfo = std::mem::zeroed();
        hints.ai_flags = libc::AI_CANONNAME;
        let mut res: *mut libc::addrinfo = std::ptr::null_mut();
        if libc::getaddrinfo(c.as_ptr(), std::ptr::null(), &hints, &mut res) != 0 || res.is_null() {
            return None;
        }
        let name = (*res).ai_canonname;
        let out = (!name.is_null()).then(|| {
            std::ffi::CStr::from_ptr(name)
                .to_string_lossy()
                .into_owned()
        });
        libc::freeaddrinfo(res);
        out
    }
}

/// The name of the user the daemon runs as (keepalived's default sender is `<user>@<local>`).
async fn user_name() -> String {
    let uid = nix::unistd::getuid();
    let name = tokio::task::spawn_blocking(move || nix::unistd::User::from_uid(uid));
    match tokio::time::timeout(Duration::from_secs(5), name).await {
        Ok(Ok(Ok(Some(u)))) => u.name,
        _ => "root".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> MailSpec {
        MailSpec {
            // Port 1 of the loopback: refused at once if a test lets the worker run.
            server: "127.0.0.1".into(),
            port: 1,
            recipients: vec!["ops@example.test".into()],
            from: Some("vrrp@example.test".into()),
            helo: Some("lb1".into()),
            router_id: Some("lb1".into()),
            connect_timeout: Duration::from_secs(1),
            no_email_faults: false,
            instances: ["VI_1".to_string()].into(),
            groups: ["G1".to_string()].into(),
        }
    }

    fn mailer(spec: MailSpec) -> Mailer {
        let mut m = Mailer::default();
        m.configure(Some(spec));
        m
    }

    fn inst(n: &str) -> NotifyTarget {
        NotifyTarget::Instance(n.into())
    }

    fn whats(m: &mut Mailer, t: &NotifyTarget, events: &[NotifyEvent]) -> Vec<&'static str> {
        events
            .iter()
            .filter_map(|e| m.wanted(t, *e).map(|o| o.what))
            .collect()
    }

    use NotifyEvent::{Backup, Deleted, Fault, Master, MasterRxLowerPri, Stop};

    #[test]
    fn a_state_is_mailed_once_until_another_is() {
        let mut m = mailer(spec());
        let got = whats(
            &mut m,
            &inst("VI_1"),
            &[
                Backup,
                Backup,
                Master,
                MasterRxLowerPri,
                Master,
                Fault,
                Backup,
            ],
        );
        assert_eq!(
            got,
            [
                "Entering BACKUP state",
                "Entering MASTER state",
                "Entering FAULT state",
                "Entering BACKUP state"
            ]
        );
        let g = NotifyTarget::Group("G1".into());
        assert_eq!(
            whats(&mut m, &g, &[Master, Deleted]),
            ["Entering MASTER state"]
        );
    }

    #[test]
    fn no_mail_for_stop_disabled_targets_or_without_spec() {
        let mut m = mailer(spec());
        assert_eq!(
            whats(&mut m, &inst("VI_1"), &[Master, Stop]),
            ["Entering MASTER state"]
        );
        assert!(whats(&mut m, &inst("VI_2"), &[Master, Backup]).is_empty());
        assert!(whats(&mut m, &NotifyTarget::Group("G2".into()), &[Master]).is_empty());
        let mut off = Mailer::default();
        assert!(whats(&mut off, &inst("VI_1"), &[Master]).is_empty());
        // A removed instance reports DELETED (notify_deleted) with its own words.
        assert_eq!(whats(&mut m, &inst("VI_1"), &[Deleted]), ["Deleted"]);
    }

    #[test]
    fn no_email_faults_skips_fault_without_counting_it_as_mailed() {
        let mut m = mailer(MailSpec {
            no_email_faults: true,
            ..spec()
        });
        // BACKUP, (FAULT not mailed), BACKUP again: still the last mailed state, no mail.
        let got = whats(
            &mut m,
            &inst("VI_1"),
            &[Backup, Fault, Backup, Master, Fault, Backup],
        );
        assert_eq!(
            got,
            [
                "Entering BACKUP state",
                "Entering MASTER state",
                "Entering BACKUP state"
            ]
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_full_queue_drops_and_counts() {
        let mut m = mailer(spec());
        // The worker cannot run before this test yields: every mail past the queue's size is
        // dropped, never blocking and never spawning anything more.
        for k in 0..40 {
            let e = if k % 2 == 0 { Master } else { Backup };
            m.notify(&inst("VI_1"), e);
        }
        assert_eq!(
            m.counts().dropped.load(Ordering::Relaxed),
            40 - QUEUE as u64
        );
        m.shutdown(Duration::ZERO).await;
    }
}
