//! The daemon's log output, in keepalived's shape (docs/keepalived-compat.md#logging).
//!
//! * syslog (default): one datagram per line to `/dev/log`, facility `daemon` unless `-S`,
//!   ident `vrrpd` (keepalived's VRRP child says `Keepalived_vrrp`; see README "Differences"),
//!   or `Keepalived_vrrp` when started under keepalived's name ([`crate::compat`]),
//!   severity INFO for everything but warnings and errors, as keepalived does.
//! * `-l/--log-console`: the same text on stderr behind keepalived's `strftime("%c")`
//!   timestamp and `: `, e.g. `Sat Nov 21 22:50:19 2026: (VI_1) Entering MASTER STATE`.
//! * `-G/--no-syslog` turns syslog off; `-D` adds the detail lines (tracing DEBUG).
//!
//! Events are `tracing` events with target `vrrpd...`; other crates' events are dropped, so
//! the log carries keepalived's words only.

use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// Where log lines go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogOptions {
    /// `-l`: stderr with a `%c: ` prefix.
    pub console: bool,
    /// Not `-G`.
    pub syslog: bool,
    /// syslog facility number (daemon = 3).
    pub facility: u8,
    /// `-D`: detail lines too.
    pub detail: bool,
    /// The syslog ident (`vrrpd`, or keepalived's under its name).
    pub ident: &'static str,
}

/// The ident of the last-resort line, set by [`init`] (a panic can come before it).
static IDENT: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

/// syslog's LOG_DAEMON.
pub const FACILITY_DAEMON: u8 = 3;

/// Parses `-S`: `0`..`7` and `local0`..`local7` (LOG_LOCALn), `user`, `daemon`
/// (docs/keepalived-compat.md#command-line). `None` for anything else.
pub fn parse_facility(text: &str) -> Option<u8> {
    let t = text.to_ascii_lowercase();
    let local = t.strip_prefix("local").unwrap_or(&t);
    if let Ok(n) = local.parse::<u8>() {
        return (n <= 7).then_some(16 + n);
    }
    match t.as_str() {
        "user" => Some(1),
        "daemon" => Some(FACILITY_DAEMON),
        _ => None,
    }
}

/// Installs the global subscriber. Call once, after forking.
pub fn init(opts: &LogOptions) {
    let _ = IDENT.set(opts.ident);
    let layer = LineLayer {
        opts: opts.clone(),
        syslog: Mutex::new(SyslogLink::new(Path::new(DEV_LOG))),
        pid: std::process::id(),
    };
    let subscriber = tracing_subscriber::registry().with(layer);
    let _ = tracing::subscriber::set_global_default(subscriber);
}

struct LineLayer {
    opts: LogOptions,
    syslog: Mutex<SyslogLink>,
    pid: u32,
}

impl<S: Subscriber> Layer<S> for LineLayer {
    fn enabled(&self, meta: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        meta.target().starts_with("vrrpd")
            && (*meta.level() <= Level::INFO || (self.opts.detail && *meta.level() == Level::DEBUG))
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut v = MessageVisitor(String::new());
        event.record(&mut v);
        let message = v.0;
        if self.opts.console {
            let line = format!("{}: {message}\n", strftime_c());
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        }
        if self.opts.syslog {
            let severity = match *event.metadata().level() {
                Level::ERROR => 3,
                Level::WARN => 4,
                _ => 6,
            };
            let pri = u32::from(self.opts.facility) * 8 + severity;
            let line = format!(
                "<{pri}>{} {}[{}]: {message}",
                strftime("%b %e %T"),
                self.opts.ident,
                self.pid
            );
            if let Ok(mut link) = self.syslog.lock() {
                link.send(line.as_bytes(), Instant::now());
            }
        }
    }
}

/// Lines dropped because the syslog socket was full (a slow journal must not stall the
/// protocol loop); reported with the next line that gets through.
static DROPPED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Where syslog(3) sends its datagrams.
const DEV_LOG: &str = "/dev/log";

/// How long a host without a syslog daemon (a container, a lab namespace) is left alone
/// before the next attempt to connect. Without it every log line cost two socket, connect
/// and close calls: 40,000 start-up warnings took the logging thread over a second.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// The datagram socket to the syslog daemon, connected on first use.
struct SyslogLink {
    path: PathBuf,
    sock: Option<UnixDatagram>,
    /// Set when a connection failed: no new attempt before then (lines meanwhile are lost, as
    /// they were when every attempt failed).
    retry_at: Option<Instant>,
    /// Connection attempts made (tests).
    attempts: u64,
}

impl SyslogLink {
    fn new(path: &Path) -> SyslogLink {
        SyslogLink {
            path: path.to_path_buf(),
            sock: None,
            retry_at: None,
            attempts: 0,
        }
    }

    fn connect(&mut self, now: Instant) -> bool {
        if self.retry_at.is_some_and(|t| now < t) {
            return false;
        }
        self.attempts += 1;
        self.sock = UnixDatagram::unbound()
            .and_then(|s| s.connect(&self.path).map(|()| s))
            .and_then(|s| s.set_nonblocking(true).map(|()| s))
            .ok();
        self.retry_at = self.sock.is_none().then(|| now + RECONNECT_AFTER);
        self.sock.is_some()
    }

    /// Sends one line, (re)connecting when needed; a missing syslog daemon is not an error
    /// worth dying for. The socket is non-blocking: when the log daemon cannot keep up, the
    /// line is dropped and counted instead of stalling the only runtime thread.
    fn send(&mut self, line: &[u8], now: Instant) {
        use std::sync::atomic::Ordering;
        // Twice: a syslog daemon that restarted refuses the first send on the old socket.
        for _ in 0..2 {
            if self.sock.is_none() && !self.connect(now) {
                return;
            }
            let Some(s) = self.sock.as_ref() else { return };
            let dropped = DROPPED.load(Ordering::Relaxed);
            if dropped > 0 {
                let note = format!("<28>vrrpd: {dropped} log lines dropped (syslog socket full)");
                if s.send(note.as_bytes()).is_ok() {
                    DROPPED.fetch_sub(dropped, Ordering::Relaxed);
                }
            }
            match s.send(line) {
                Ok(_) => return,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    DROPPED.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Err(_) => self.sock = None,
            }
        }
    }
}

/// A last-resort line (the panic hook): stderr and a fresh syslog datagram, without touching
/// the subscriber's state, which may be what panicked.
pub fn emergency(line: &str) {
    eprintln!("vrrpd: {line}");
    let msg = format!(
        "<{}>{}[{}]: {line}",
        u32::from(FACILITY_DAEMON) * 8 + 2,
        IDENT.get().copied().unwrap_or("vrrpd"),
        std::process::id()
    );
    SyslogLink::new(Path::new(DEV_LOG)).send(msg.as_bytes(), Instant::now());
}

struct MessageVisitor(String);

impl Visit for MessageVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            use std::fmt::Write as _;
            let _ = write!(self.0, "{value:?}");
        }
    }
}

/// keepalived's console timestamp: `strftime("%c")` in the C locale.
pub fn strftime_c() -> String {
    strftime("%c")
}

/// `strftime(format)` of the local time now (the dump files use the same conversion).
fn strftime(format: &str) -> String {
    // SAFETY: time(NULL) only reads the clock.
    let now = unsafe { libc::time(std::ptr::null_mut()) };
    crate::sys::localtime::strftime_local(format, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facilities_follow_keepalived() {
        assert_eq!(parse_facility("daemon"), Some(3));
        assert_eq!(parse_facility("user"), Some(1));
        assert_eq!(parse_facility("local0"), Some(16));
        assert_eq!(parse_facility("LOCAL7"), Some(23));
        assert_eq!(parse_facility("5"), Some(21));
        assert_eq!(parse_facility("8"), None);
        assert_eq!(parse_facility("kern"), None);
    }

    #[test]
    fn a_missing_syslog_daemon_is_tried_once_a_second_not_per_line() {
        let dir = std::env::temp_dir().join(format!("vrrpd-syslog-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        let path = dir.join("log");
        let mut link = SyslogLink::new(&path);
        let t0 = Instant::now();
        for k in 0..1000 {
            link.send(b"<30>vrrpd: line", t0 + Duration::from_micros(k));
        }
        assert_eq!(
            link.attempts, 1,
            "one attempt for a burst with nobody listening"
        );
        // The daemon appears: lines reach it once the back-off has run out.
        let server = UnixDatagram::bind(&path).unwrap();
        server.set_nonblocking(true).unwrap();
        link.send(b"<30>vrrpd: early", t0 + Duration::from_millis(500));
        assert!(server.recv(&mut [0; 64]).is_err(), "still backing off");
        link.send(b"<30>vrrpd: late", t0 + RECONNECT_AFTER);
        let mut buf = [0; 64];
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"<30>vrrpd: late");
        assert_eq!(link.attempts, 2);
        // A restarted daemon: the old socket fails once, the line goes out on a new one.
        drop(server);
        std::fs::remove_file(&path).unwrap();
        let server = UnixDatagram::bind(&path).unwrap();
        link.send(b"<30>vrrpd: again", t0 + RECONNECT_AFTER);
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"<30>vrrpd: again");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn console_timestamp_looks_like_c_locale_percent_c() {
        // e.g. "Sat Nov 21 22:50:19 2026"
        let t = strftime_c();
        assert_eq!(t.split_whitespace().count(), 5, "{t}");
    }
}
