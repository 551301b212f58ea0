//! Running under keepalived's name: the migration's compatibility mode.
//!
//! A node that swaps keepalived for vrrpd keeps the scripts around its configuration, and they
//! call keepalived by name: the second seed tutorial's track script runs `killall keepalived`
//! to force a failover, deploy hooks run `systemctl reload keepalived`, monitoring runs
//! `pidof keepalived`, and the keepalived exporter runs `keepalived -v` and `keepalived
//! --signum=JSON` and signals the pid in `/var/run/keepalived.pid` (docs/keepalived-names.md).
//!
//! The mode is chosen by the name vrrpd is started under, nothing else: `packaging/vrrpd-compat
//! enable` makes `/usr/sbin/keepalived` a link to vrrpd (and `keepalived.service` an alias of
//! `vrrpd.service`), so every way of starting "keepalived" starts vrrpd in this mode, and
//! `vrrpd-compat disable` restores keepalived's own files. Started as `vrrpd`, vrrpd keeps its
//! own names. In the mode:
//!
//! * the process is named `keepalived` (`/proc/PID/comm`), which is what `killall`, `pkill`,
//!   `pidof` and `ps -C` match; keepalived's signals keep their meaning (TERM releases, HUP
//!   reloads, USR1/USR2/63/36 dump), so those commands act on vrrpd as they did on keepalived;
//! * the default pid files are keepalived's, `/run/keepalived.pid` and `/run/vrrp.pid` (both
//!   hold vrrpd's one pid), where the exporter and init scripts read them;
//! * `-v` answers with a first line the keepalived exporter parses (`Keepalived v2.2.7 ...`):
//!   vrrpd's dump files and signals follow keepalived 2.2.7, so that is the version whose
//!   features (JSON dump, `--signum`) a tool may rely on;
//! * syslog lines carry keepalived's VRRP ident, `Keepalived_vrrp`, so log watchers that grep
//!   for it keep matching.

use std::ffi::OsStr;
use std::path::Path;

/// The name scripts and tools use for keepalived's processes.
pub const KEEPALIVED: &str = "keepalived";

/// The keepalived release whose behaviour, files and signals vrrpd reproduces.
pub const KEEPALIVED_VERSION: &str = "2.2.7";

/// Which names the daemon answers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Names {
    /// Started as `vrrpd` (or any other name): vrrpd's own names.
    Vrrpd,
    /// Started as `keepalived`: keepalived's names (module docs).
    Keepalived,
}

impl Names {
    /// The mode for a process started with `argv0`: keepalived's names when the program's file
    /// name is `keepalived` (a link or copy installed under that name).
    pub fn from_argv0(argv0: Option<&OsStr>) -> Names {
        let base = argv0.and_then(|a| Path::new(a).file_name());
        if base == Some(OsStr::new(KEEPALIVED)) {
            Names::Keepalived
        } else {
            Names::Vrrpd
        }
    }

    pub fn is_keepalived(self) -> bool {
        self == Names::Keepalived
    }

    /// The default pid files: the main one and the VRRP process's (keepalived writes its
    /// parent's pid to the first and its VRRP child's to the second; vrrpd is one process).
    pub fn default_pid_files(self) -> (&'static str, Option<&'static str>) {
        match self {
            Names::Vrrpd => ("/run/vrrpd.pid", None),
            Names::Keepalived => ("/run/keepalived.pid", Some("/run/vrrp.pid")),
        }
    }

    /// The syslog ident.
    pub fn syslog_ident(self) -> &'static str {
        match self {
            Names::Vrrpd => "vrrpd",
            Names::Keepalived => "Keepalived_vrrp",
        }
    }

    /// The process name to set (`PR_SET_NAME`) so that name-based tools find the daemon even
    /// when it was started through a path whose file name differs (systemd, `exec -a`).
    pub fn process_name(self) -> Option<&'static str> {
        match self {
            Names::Vrrpd => None,
            Names::Keepalived => Some(KEEPALIVED),
        }
    }

    /// The text of `-v/--version` (printed on stderr, as keepalived does). Under keepalived's
    /// name the first line is keepalived's shape, `Keepalived vX.Y.Z (...)`, which is what the
    /// keepalived exporter splits on blanks to find the version; it also needs a second line.
    pub fn version_text(self) -> String {
        let own = env!("CARGO_PKG_VERSION");
        match self {
            Names::Vrrpd => format!("vrrpd v{own}\n"),
            Names::Keepalived => format!(
                "Keepalived v{KEEPALIVED_VERSION} (vrrpd v{own})\n\n\
                 vrrpd v{own} running under keepalived's name (compatibility mode): its signals,\n\
                 dump files, pid files and configuration follow keepalived {KEEPALIVED_VERSION}.\n"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_decides() {
        let n = |s: &str| Names::from_argv0(Some(OsStr::new(s)));
        assert_eq!(n("/usr/sbin/keepalived"), Names::Keepalived);
        assert_eq!(n("keepalived"), Names::Keepalived);
        assert_eq!(n("/usr/sbin/vrrpd"), Names::Vrrpd);
        assert_eq!(n("/usr/sbin/keepalived.real"), Names::Vrrpd);
        assert_eq!(n("/opt/keepalived/bin/vrrpd"), Names::Vrrpd);
        assert_eq!(Names::from_argv0(None), Names::Vrrpd);
    }

    /// The keepalived exporter takes the first line, splits it on blanks and parses the second
    /// word without its first character as a version; it also wants a line break.
    #[test]
    fn the_version_line_parses_as_the_exporter_reads_it() {
        let text = Names::Keepalived.version_text();
        let (first, rest) = text.split_once('\n').expect("two lines");
        assert!(!rest.is_empty());
        let word = first.split(' ').nth(1).expect("a second word");
        assert_eq!(word.strip_prefix('v'), Some(KEEPALIVED_VERSION));
        assert_eq!(
            Names::Vrrpd.version_text(),
            format!("vrrpd v{}\n", env!("CARGO_PKG_VERSION"))
        );
    }
}
