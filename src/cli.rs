//! Command line: keepalived's flags (docs/keepalived-compat.md#command-line) plus vrrpd's own.

use std::path::PathBuf;

use clap::{ArgAction, Parser, Subcommand, ValueEnum};

pub const DEFAULT_CONFIG: &str = "/etc/keepalived/keepalived.conf";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
    /// GitHub Actions workflow commands (`::error file=F,line=L,col=C::message`).
    Github,
}

/// vrrpd: a drop-in, keepalived-compatible VRRP daemon.
#[derive(Debug, Parser)]
#[command(
    name = "vrrpd",
    disable_version_flag = true,
    about = "A drop-in, keepalived-compatible VRRP daemon",
    after_help = "Reads keepalived.conf syntax. LVS, BFD and SNMP options of keepalived are accepted and ignored."
)]
pub struct Cli {
    /// Use the specified configuration file.
    #[arg(short = 'f', long = "use-file", value_name = "FILE", default_value = DEFAULT_CONFIG)]
    pub use_file: PathBuf,

    /// Don't fork the daemon process.
    #[arg(short = 'n', long = "dont-fork")]
    pub dont_fork: bool,

    /// Log messages to the local console (stderr).
    #[arg(short = 'l', long = "log-console")]
    pub log_console: bool,

    /// Detailed log messages (repeat for more).
    #[arg(short = 'D', long = "log-detail", action = ArgAction::Count)]
    pub log_detail: u8,

    /// Set syslog facility to LOG_LOCAL[0-7] or user or daemon (default daemon).
    #[arg(short = 'S', long = "log-facility", value_name = "FACILITY")]
    pub log_facility: Option<String>,

    /// Don't log via syslog.
    #[arg(short = 'G', long = "no-syslog")]
    pub no_syslog: bool,

    /// Only run with VRRP subsystem (vrrpd only has this one).
    #[arg(short = 'P', long = "vrrp")]
    pub vrrp: bool,

    /// Use the specified pidfile for the parent process.
    #[arg(short = 'p', long = "pid", value_name = "FILE")]
    pub pid: Option<PathBuf>,

    /// Use the specified pidfile for the VRRP process.
    #[arg(short = 'r', long = "vrrp_pid", value_name = "FILE")]
    pub vrrp_pid: Option<PathBuf>,

    /// Use the specified config id for `@ID` lines (default: host name up to the first dot).
    #[arg(short = 'i', long = "config-id", value_name = "ID")]
    pub config_id: Option<String>,

    /// Check the configuration and exit (keepalived's -t); an optional LOGFILE receives the report.
    #[arg(short = 't', long = "config-test", value_name = "LOGFILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub config_test: Option<String>,

    /// Check the configuration for CI and exit: every problem, with file:line:col.
    #[arg(long = "check-config")]
    pub check_config: bool,

    /// With --check-config: also check interfaces and addresses of this host.
    #[arg(long = "check-interfaces")]
    pub check_interfaces: bool,

    /// With --check-config: warnings also make the check fail.
    #[arg(long = "strict")]
    pub strict: bool,

    /// Write every input of the protocol core and the trackers to FILE as replay lines
    /// (tests/proto/replay.rs format), so a problem seen in the field can be replayed as a test.
    #[arg(long = "record-events", value_name = "FILE")]
    pub record_events: Option<PathBuf>,

    /// Serve Prometheus metrics at http://ADDR:PORT/metrics (off by default; README
    /// "Monitoring"). keepalived-exporter's names plus vrrpd's own.
    #[arg(long = "metrics-listen", value_name = "ADDR:PORT")]
    pub metrics_listen: Option<std::net::SocketAddr>,

    /// Output format of --check-config (github: workflow annotations for GitHub Actions).
    #[arg(long = "format", value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Dump the effective configuration (after includes, substitution and defaults).
    #[arg(short = 'd', long = "dump-conf")]
    pub dump_conf: bool,

    /// Set the umask for file creation (in numeric form).
    #[arg(short = 'u', long = "umask", value_name = "MASK")]
    pub umask: Option<String>,

    /// Don't remove VRRP VIPs and VROUTEs on daemon stop.
    #[arg(short = 'V', long = "dont-release-vrrp")]
    pub dont_release_vrrp: bool,

    /// Drop VIP on transition from signal.
    #[arg(short = 'X', long = "release-vips")]
    pub release_vips: bool,

    /// Don't respawn child processes (vrrpd has none: accepted for compatibility).
    #[arg(short = 'R', long = "dont-respawn")]
    pub dont_respawn: bool,

    /// Error if any configuration file is missing (same as includea).
    #[arg(short = 'e', long = "all-config")]
    pub all_config: bool,

    /// Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON.
    #[arg(long = "signum", value_name = "SIGNAL")]
    pub signum: Option<String>,

    /// Log all address changes seen on netlink.
    #[arg(short = 'a', long = "address-monitoring")]
    pub address_monitoring: bool,

    /// Display the version and exit.
    #[arg(short = 'v', long = "version")]
    pub version: bool,

    // ----- accepted for keepalived compatibility, no effect in vrrpd (LVS/BFD/SNMP) -----
    /// Only run with Health-checker subsystem (ignored: vrrpd manages VRRP only).
    #[arg(short = 'C', long = "check", hide = true)]
    pub lvs_check: bool,
    /// Don't run BFD subsystem (ignored).
    #[arg(short = 'B', long = "no_bfd", hide = true)]
    pub no_bfd: bool,
    /// Force all child processes to run (ignored).
    #[arg(long = "all", hide = true)]
    pub all: bool,
    /// Checkers pidfile (ignored).
    #[arg(short = 'c', long = "checkers_pid", value_name = "FILE", hide = true)]
    pub checkers_pid: Option<PathBuf>,
    /// BFD pidfile (ignored).
    #[arg(short = 'b', long = "bfd_pid", value_name = "FILE", hide = true)]
    pub bfd_pid: Option<PathBuf>,
    /// Don't remove IPVS topology on daemon stop (ignored).
    #[arg(short = 'I', long = "dont-release-ipvs", hide = true)]
    pub dont_release_ipvs: bool,
    /// SNMP subsystem (ignored).
    #[arg(short = 'x', long = "snmp", hide = true)]
    pub snmp: bool,
    /// SNMP agent socket (ignored).
    #[arg(
        short = 'A',
        long = "snmp-agent-socket",
        value_name = "FILE",
        hide = true
    )]
    pub snmp_agent_socket: Option<String>,
    /// Core dumps (ignored).
    #[arg(short = 'm', long = "core-dump", hide = true)]
    pub core_dump: bool,
    /// Core dump pattern (ignored).
    #[arg(short = 'M', long = "core-dump-pattern", value_name = "PATTERN", num_args = 0..=1, require_equals = true, default_missing_value = "", hide = true)]
    pub core_dump_pattern: Option<String>,
    /// Network namespace (not supported: run vrrpd under `ip netns exec` instead).
    #[arg(short = 's', long = "namespace", value_name = "NAME", hide = true)]
    pub namespace: Option<String>,
    /// genhash (LVS, ignored).
    #[arg(short = 'T', long = "genhash", hide = true)]
    pub genhash: bool,

    /// The control socket the daemon listens on and the subcommands talk to
    /// (default /run/vrrpd/control.sock).
    #[arg(long = "control-socket", value_name = "PATH", global = true)]
    pub control_socket: Option<PathBuf>,

    /// Talk to the running daemon (README "Control").
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Words that are not options: keepalived prints them and carries on.
    #[arg(hide = true)]
    pub unexpected: Vec<String>,
}

/// The control subcommands: a client of the running daemon's control socket.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Each instance: state, priorities, master, VIPs, trackers, last transition, counters.
    Status {
        /// One JSON object, for tools.
        #[arg(long)]
        json: bool,
    },
    /// Hand instances over for maintenance (priority-0 advert) and keep them BACKUP, across
    /// restarts and reloads, until undrained.
    Drain {
        /// Instances to drain.
        #[arg(value_name = "INSTANCE", required_unless_present = "all")]
        instances: Vec<String>,
        /// Every instance.
        #[arg(long, conflicts_with = "instances")]
        all: bool,
        /// Return once a peer has taken over; fail when none did within master-down.
        #[arg(long)]
        wait: bool,
    },
    /// Put drained instances back in service.
    Undrain {
        #[arg(value_name = "INSTANCE", required_unless_present = "all")]
        instances: Vec<String>,
        #[arg(long, conflicts_with = "instances")]
        all: bool,
    },
    /// Follow transitions, tracker changes and reloads, one line each.
    Events {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Reload the configuration; prints the outcome and every diagnostic, exit 1 when the
    /// reload was refused.
    Reload,
}

impl Cli {
    /// Names of the keepalived options given that have no effect in vrrpd.
    pub fn ignored_options(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        let pairs: [(bool, &'static str); 13] = [
            (self.lvs_check, "-C/--check"),
            (self.no_bfd, "-B/--no_bfd"),
            (self.all, "--all"),
            (self.checkers_pid.is_some(), "-c/--checkers_pid"),
            (self.bfd_pid.is_some(), "-b/--bfd_pid"),
            (self.dont_release_ipvs, "-I/--dont-release-ipvs"),
            (self.snmp, "-x/--snmp"),
            (self.snmp_agent_socket.is_some(), "-A/--snmp-agent-socket"),
            (self.core_dump, "-m/--core-dump"),
            (self.core_dump_pattern.is_some(), "-M/--core-dump-pattern"),
            (self.namespace.is_some(), "-s/--namespace"),
            (self.genhash, "-T/--genhash"),
            (self.dont_respawn, "-R/--dont-respawn"),
        ];
        for (set, name) in pairs {
            if set {
                v.push(name);
            }
        }
        v
    }

    /// `-t`, `--config-test` or `--check-config` was given.
    pub fn is_config_check(&self) -> bool {
        self.check_config || self.config_test.is_some()
    }
}

/// keepalived's `--signum` table (observed numbers on Linux x86_64).
pub fn signum(name: &str) -> Option<i32> {
    match name {
        "STOP" => Some(15),
        "RELOAD" => Some(1),
        "DATA" => Some(10),
        "STATS" => Some(12),
        "STATS_CLEAR" => Some(63),
        "JSON" => Some(36),
        _ => None,
    }
}
