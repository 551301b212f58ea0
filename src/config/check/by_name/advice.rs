//! The words of a keepalived-by-name warning: what the command does under vrrpd with the
//! keepalived compatibility mode on, with it off, and what to write instead.

use super::matcher::{Invocation, Kind, Sig, Target};

/// "`killall keepalived` controls keepalived by name", with `who` (what runs the script)
/// appended in parentheses when given.
pub fn message(kind: &Kind, text: &str, who: Option<&str>) -> String {
    let what = match kind {
        Kind::Signal { .. } | Kind::Service { .. } => "controls keepalived by name",
        Kind::Lookup | Kind::LookupCommandLine => "looks keepalived up by name",
        Kind::Invoke(_) => "runs keepalived by name",
        Kind::PidFile => "uses keepalived's pid file",
    };
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match who {
        Some(who) => format!("`{text}` {what} (run by {who})"),
        None => format!("`{text}` {what}"),
    }
}

/// The help line. `track_script` names the vrrp_script that runs the command, if one does:
/// stopping the daemon from a track script is the tutorials' way to force a failover, and
/// vrrpd has a better one.
pub fn help(kind: &Kind, track_script: Option<&str>) -> String {
    let (on, off, instead) = match kind {
        Kind::Signal { sig, target } => signal(sig, target, track_script),
        Kind::Lookup => (
            "vrrpd's process is named keepalived, so it finds vrrpd".to_string(),
            "vrrpd's process is named vrrpd, so it finds nothing".to_string(),
            "use `pidof vrrpd` or read /run/vrrpd.pid".to_string(),
        ),
        Kind::LookupCommandLine => (
            "vrrpd runs as /usr/sbin/keepalived, so it finds vrrpd".to_string(),
            format!("it finds only command lines that mention keepalived ({CMDLINE})"),
            "use `pidof vrrpd` or read /run/vrrpd.pid".to_string(),
        ),
        Kind::Service { verb } => service(verb, track_script),
        Kind::Invoke(inv) => invoke(inv),
        Kind::PidFile => (
            "vrrpd writes its pid to /run/keepalived.pid (/var/run links to /run)".to_string(),
            "that file does not exist".to_string(),
            "read /run/vrrpd.pid".to_string(),
        ),
    };
    format!(
        "with compatibility mode on (`vrrpd-compat enable`), {on}; with it off, {off}. \
         Instead, {instead}"
    )
}

/// When a pattern on whole command lines still finds vrrpd without compatibility mode.
const CMDLINE: &str =
    "vrrpd's does when it was started with `-f /etc/keepalived/keepalived.conf`, else none";

/// The advice for a track script that stops the daemon to hand the VIPs over.
fn failover(script: &str) -> String {
    format!(
        "to hand over to the peer, let the script exit non-zero and give vrrp_script {script} \
         a negative `weight` larger than the priority gap (or no `weight`, so the instance goes \
         to FAULT) and `fall 1`: the peer takes over while vrrpd keeps running"
    )
}

fn signal(sig: &Sig, target: &Target, track_script: Option<&str>) -> (String, String, String) {
    let on = match sig {
        Sig::Term => {
            "vrrpd gets SIGTERM, sends a priority-0 advert, removes its VIPs and exits".to_string()
        }
        Sig::Kill => "vrrpd gets SIGKILL and dies without a priority-0 advert: the VIPs stay on \
                      this host until the peer's master-down timer expires"
            .to_string(),
        Sig::Hup => "vrrpd gets SIGHUP and reloads its configuration".to_string(),
        Sig::Usr1 => "vrrpd gets SIGUSR1 and writes keepalived.data".to_string(),
        Sig::Usr2 => "vrrpd gets SIGUSR2 and writes keepalived.stats".to_string(),
        Sig::Zero => "it only tests that vrrpd runs".to_string(),
        Sig::Json => "vrrpd gets keepalived's JSON signal and writes keepalived.json".to_string(),
        Sig::StatsClear => "vrrpd writes keepalived.stats and clears its counters".to_string(),
        Sig::Other(_) | Sig::Unknown(_) => format!("vrrpd gets {}", sig.name()),
    };
    let off = match target {
        Target::Name => "no process is named keepalived, so it does nothing and exits 1".into(),
        Target::CommandLine => {
            format!("it signals the processes whose command line mentions keepalived ({CMDLINE})")
        }
        Target::Lookup => "the lookup finds no process, so kill gets no pid and fails".into(),
        Target::PidFile => "keepalived's pid file does not exist, so nothing is signalled".into(),
    };
    (on, off, instead(sig, track_script))
}

/// What to write instead of signalling keepalived.
fn instead(sig: &Sig, track_script: Option<&str>) -> String {
    match (sig, track_script) {
        (Sig::Term | Sig::Kill, Some(script)) => failover(script),
        (Sig::Term, None) => "use `systemctl stop vrrpd`".to_string(),
        (Sig::Kill, None) => {
            "use `systemctl stop vrrpd`, which releases the VIPs first".to_string()
        }
        (Sig::Hup, _) => "use `systemctl reload vrrpd`".to_string(),
        (Sig::Zero, _) => "use `pidof vrrpd`".to_string(),
        (Sig::Json, _) => "use `kill -s $(vrrpd --signum=JSON) $(cat /run/vrrpd.pid)`".to_string(),
        (Sig::StatsClear, _) => {
            "use `kill -s $(vrrpd --signum=STATS_CLEAR) $(cat /run/vrrpd.pid)`".to_string()
        }
        (Sig::Unknown(_), _) => "use `systemctl kill -s SIGNAL vrrpd`".to_string(),
        (other, _) => {
            let name = other.name();
            let name = name.strip_prefix("signal ").unwrap_or(&name);
            format!("use `systemctl kill -s {name} vrrpd`")
        }
    }
}

fn service(verb: &str, track_script: Option<&str>) -> (String, String, String) {
    let effect = match verb {
        "stop" => "stops vrrpd, which releases its VIPs first",
        "restart" | "try-restart" | "condrestart" => "restarts vrrpd",
        "reload" | "force-reload" | "reload-or-restart" | "try-reload-or-restart" => {
            "makes vrrpd reload its configuration"
        }
        "start" => "starts vrrpd unless it runs",
        "kill" => "signals vrrpd",
        "status" | "is-active" | "is-failed" | "show" => "reports on vrrpd",
        _ => "acts on vrrpd",
    };
    let on = format!("keepalived.service is an alias of vrrpd.service, so it {effect}");
    let starts = matches!(
        verb,
        "start" | "restart" | "reload-or-restart" | "force-reload" | "condrestart"
    );
    let off = if starts {
        "it acts on keepalived's own unit: it starts the real keepalived beside vrrpd while \
         that is installed, and fails once it is removed"
    } else {
        "it acts on keepalived's own unit, not on vrrpd (and fails once keepalived is removed)"
    }
    .to_string();
    let instead = match (verb, track_script) {
        ("stop" | "kill", Some(script)) => failover(script),
        ("", _) => "use `systemctl VERB vrrpd`".to_string(),
        (verb, _) => format!("use `systemctl {verb} vrrpd`"),
    };
    (on, off, instead)
}

fn invoke(inv: &Invocation) -> (String, String, String) {
    let off = "it runs the real keepalived while that is installed, and is not found once it is \
               removed";
    match inv {
        Invocation::Version => (
            "vrrpd answers like keepalived 2.2.7".to_string(),
            off.to_string(),
            "use `vrrpd --version`".to_string(),
        ),
        Invocation::Signum(name) => (
            format!("vrrpd prints keepalived 2.2.7's number for {name}"),
            off.to_string(),
            format!("use `vrrpd --signum={name}` (the numbers are the same)"),
        ),
        Invocation::Other(args) => {
            let with = if args.is_empty() {
                String::new()
            } else {
                format!(" {args}")
            };
            (
                "it runs vrrpd".to_string(),
                "it runs the real keepalived beside vrrpd while that is installed, and is not \
                 found once it is removed"
                    .to_string(),
                format!("use `vrrpd{with}`"),
            )
        }
    }
}
