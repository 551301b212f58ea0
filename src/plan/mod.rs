//! The one boundary from configuration to runtime: a checked [`Config`] plus one snapshot of
//! the host ([`HostInfo`]) become a [`Runtime`], everything the daemon runs with. No other
//! runtime module (`sys`, `track`, `node`, `daemon`) reads the configuration model; they take
//! the plain settings built here.
//!
//! * [`router`]: the protocol core's [`RouterSettings`] (interfaces resolved to indexes,
//!   sources chosen, derived settings applied);
//! * [`trackers`]: the trackers' [`TrackerSettings`] (scripts, files, processes, interfaces,
//!   every reference with its weight and target);
//! * [`scripts`]: the `vrrp_script` commands, the script defaults and the `init_file` actions;
//! * [`firewall`]: the nftables drop rules of `no_accept` instances ([`FirewallSpec`]);
//! * [`hooks`]: the notify commands and FIFOs ([`HookSpec`]);
//! * [`alerts`]: the SMTP alert settings ([`MailSpec`]);
//! * [`host`]: the interface table ([`HostInfo`]) the plan was built against, which the shell
//!   keeps fresh from netlink events.
//!
//! Pure: reading the file ([`read`]) is the configuration front end's I/O; the host snapshot
//! is read by the shell (netlink in the daemon, getifaddrs for `--check-interfaces`); the
//! commands are resolved on the host (realpath, users) by `sys::script` from the specs here.

pub mod alerts;
pub mod firewall;
pub mod hooks;
pub mod host;
pub mod router;
pub mod scripts;
pub mod trackers;
pub mod vmac;
pub mod vmac_addr;
pub mod vmac_resolve;

use std::path::Path;
use std::time::Duration;

pub use firewall::FirewallSpec;
pub use host::{HostAddr, HostInfo, HostInterface};
pub use router::{router_settings, router_settings_with, unsupported, PlanError, Vmacs};

use crate::config::diag::{Diagnostic, Severity};
use crate::config::model::Sp;
use crate::config::read::source::{FsLoader, SourceMap};
use crate::config::read::ParseOptions;
use crate::config::{self, Config};
use crate::proto::RouterSettings;
use crate::sys::hooks::HookSpec;
use crate::sys::netlink::RcvBuf;
use crate::sys::realtime::{RealtimeSpec, DEFAULT_RLIMIT_RTTIME_US};
use crate::sys::script::{CommandSpec, DefaultsSpec};
use crate::sys::script_set::ScriptSpec;
use crate::sys::smtp::MailSpec;
use crate::sys::track_sources::InitFile;
use crate::track::TrackerSettings;

/// Everything the runtime needs from one configuration on one host.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Runtime {
    /// The protocol core's settings.
    pub settings: RouterSettings,
    /// The trackers' settings (`track::Trackers::new`).
    pub trackers: TrackerSettings,
    /// `script_user`, `enable_script_security` (`sys::script::ScriptDefaults::resolve`).
    pub script_defaults: DefaultsSpec,
    /// Every `vrrp_script` with a command (`sys::script_set::ScriptSet::prepare`).
    pub scripts: Vec<ScriptSpec>,
    /// The notify commands and FIFOs (`sys::hooks::HookConfig::prepare`).
    pub hooks: HookSpec,
    /// The SMTP alerts (`sys::smtp::Mailer`); `None` when no mail is ever sent.
    pub mail: Option<MailSpec>,
    /// The instances with `smtp_alert` on, with or without a mail server (the dumps).
    pub smtp_alert: std::collections::BTreeSet<String>,
    /// The `init_file`s, applied once at start (`sys::track_sources::init_files`).
    pub init_files: Vec<InitFile>,
    /// The interface table the plan was built against.
    pub host: HostInfo,
    /// `vrrp_startup_delay` (docs/keepalived-compat.md#global_defs-keywords).
    pub startup_delay: Option<Duration>,
    /// `global_defs umask` (docs/keepalived-compat.md#global_defs-keywords).
    pub umask: Option<u32>,
    /// `startup_script` / `shutdown_script` with their timeouts (daemon::startup_script).
    pub startup_script: Option<GlobalScript>,
    pub shutdown_script: Option<GlobalScript>,
    /// Lines to log: the configuration's warnings and the features not performed yet.
    pub warnings: Vec<String>,
    /// The loader already logged [`Runtime::warnings`] on its own thread: tens of thousands
    /// of them (`script ... is not used` in generated files) cost the loop 0.3 s to log
    /// (README "Reload at any size").
    pub warnings_logged: bool,
    /// The nftables rules of `no_accept` instances (`firewall`), if any.
    pub firewall: Option<FirewallSpec>,
}

impl Runtime {
    /// Every `USER [GROUP]` this plan runs something as or gives a FIFO to, plus the default
    /// script user keepalived looks for: what the loader resolves off the loop
    /// (`sys::script::prefetch`).
    pub fn run_as_names(&self) -> Vec<(String, Option<String>)> {
        use crate::sys::script::{CommandSpec, RunAs, DEFAULT_SCRIPT_USER};
        let pair = |r: &RunAs| (r.user.clone(), r.group.clone());
        let mut names = vec![(DEFAULT_SCRIPT_USER.to_string(), None)];
        names.extend(self.script_defaults.script_user.as_ref().map(pair));
        let mut commands: Vec<&CommandSpec> = self.scripts.iter().map(|s| &s.command).collect();
        for (_, n) in self.hooks.instances.iter().chain(self.hooks.groups.iter()) {
            commands.extend(
                [
                    &n.master,
                    &n.backup,
                    &n.fault,
                    &n.stop,
                    &n.deleted,
                    &n.any,
                    &n.master_rx_lower_pri,
                ]
                .into_iter()
                .flatten(),
            );
        }
        commands.extend(self.hooks.fifo_script.as_ref());
        names.extend(commands.iter().filter_map(|c| c.user.as_ref().map(pair)));
        names.extend(self.hooks.fifos.iter().filter_map(|f| f.owner.clone()));
        names.sort();
        names.dedup();
        names
    }

    /// Plans `cfg` for `host`; `warnings` (the configuration's own) go first in
    /// [`Runtime::warnings`].
    pub fn build(
        cfg: &Config,
        host: HostInfo,
        warnings: Vec<String>,
    ) -> Result<Runtime, PlanError> {
        Runtime::build_with(cfg, host, warnings, &Vmacs::new())
    }

    /// [`Runtime::build`] with the `use_vmac` instances on the vmacs the shell set up.
    pub fn build_with(
        cfg: &Config,
        host: HostInfo,
        mut warnings: Vec<String>,
        vmacs: &Vmacs,
    ) -> Result<Runtime, PlanError> {
        let settings = router_settings_with(cfg, &host, vmacs)?;
        warnings.extend(unsupported(cfg));
        let firewall = firewall::firewall_spec(cfg, &settings);
        Ok(Runtime {
            settings,
            firewall,
            host,
            warnings,
            ..Runtime::without_host(cfg)
        })
    }

    /// Everything that does not depend on the host: no router settings, an empty interface
    /// table (tests of the trackers, scripts and hooks).
    pub fn without_host(cfg: &Config) -> Runtime {
        let trackers = trackers::tracker_settings(cfg);
        let scripts = scripts::script_specs(cfg, &trackers);
        Runtime {
            settings: RouterSettings::default(),
            trackers,
            script_defaults: scripts::defaults(cfg),
            scripts,
            hooks: hooks::hook_spec(cfg),
            mail: alerts::mail_spec(cfg),
            smtp_alert: alerts::alerting_instances(cfg),
            init_files: scripts::init_files(cfg),
            host: HostInfo::default(),
            startup_delay: cfg.global.startup_delay.as_ref().map(|d| d.value),
            umask: cfg.global.umask.as_ref().map(|m| m.value),
            startup_script: GlobalScript::of(
                cfg.global.startup_script.as_ref(),
                cfg.global.startup_script_timeout.as_ref(),
            ),
            shutdown_script: GlobalScript::of(
                cfg.global.shutdown_script.as_ref(),
                cfg.global.shutdown_script_timeout.as_ref(),
            ),
            warnings: Vec::new(),
            warnings_logged: false,
            firewall: None,
        }
    }
}

/// `startup_script` or `shutdown_script` and its timeout (keepalived's default 10 s).
#[derive(Clone, Debug, PartialEq)]
pub struct GlobalScript {
    pub command: CommandSpec,
    pub timeout: Duration,
}

impl GlobalScript {
    fn of(
        cmd: Option<&crate::config::model::Command>,
        timeout: Option<&Sp<u32>>,
    ) -> Option<GlobalScript> {
        Some(GlobalScript {
            command: hooks::command(cmd?),
            timeout: Duration::from_secs(u64::from(timeout.map_or(10, |t| t.value))),
        })
    }
}

/// A configuration file read and checked, waiting for a host snapshot.
#[derive(Clone, Debug)]
pub struct Checked {
    config: Config,
    /// The warnings of the check, one line each.
    warnings: Vec<String>,
}

impl Checked {
    /// A configuration already loaded and checked (`main` reads it before forking).
    pub fn new(config: Config, warnings: Vec<String>) -> Checked {
        Checked { config, warnings }
    }

    /// The runtime of this configuration on `host`.
    pub fn plan(&self, host: HostInfo) -> Result<Runtime, PlanError> {
        Runtime::build(&self.config, host, self.warnings.clone())
    }

    /// The runtime of this configuration on `host`, the `use_vmac` instances on `vmacs`.
    pub fn plan_with(&self, host: HostInfo, vmacs: &Vmacs) -> Result<Runtime, PlanError> {
        Runtime::build_with(&self.config, host, self.warnings.clone(), vmacs)
    }

    /// The vmac interfaces this configuration wants on `host` (docs/vmac.md).
    pub fn vmacs_wanted(&self, host: &HostInfo) -> Vec<vmac::VmacWant> {
        vmac::wanted(&self.config, host)
    }

    /// `vrrp_netlink_cmd_rcv_bufs[_force]` and `vrrp_netlink_monitor_rcv_bufs[_force]`: the
    /// receive buffers of the command and monitor netlink sockets, opened before the host is
    /// read. A size of 0 or none keeps the system default (keepalived ignores 0 too).
    pub fn netlink_rcvbufs(&self) -> (Option<RcvBuf>, Option<RcvBuf>) {
        let g = &self.config.global;
        let buf = |size: &Option<Sp<u32>>, force: &Option<Sp<bool>>| {
            let bytes = size.as_ref().map_or(0, |v| v.value);
            (bytes > 0).then(|| RcvBuf {
                bytes,
                force: force.as_ref().is_some_and(|f| f.value),
            })
        };
        (
            buf(&g.netlink_cmd_rcv_bufs, &g.netlink_cmd_rcv_bufs_force),
            buf(
                &g.netlink_monitor_rcv_bufs,
                &g.netlink_monitor_rcv_bufs_force,
            ),
        )
    }

    /// `vrrp_rt_priority`, `vrrp_priority`, `vrrp_rlimit_rttime`, `vrrp_no_swap`,
    /// `vrrp_cpu_affinity`: applied to the protocol loop at start (`sys::realtime::apply`).
    pub fn realtime(&self) -> RealtimeSpec {
        let g = &self.config.global;
        RealtimeSpec {
            rt_priority: g.vrrp_rt_priority.as_ref().map(|p| p.value),
            nice: g.vrrp_priority.as_ref().map(|p| p.value),
            rlimit_rttime_us: g
                .vrrp_rlimit_rttime
                .as_ref()
                .map_or(DEFAULT_RLIMIT_RTTIME_US, |r| r.value),
            no_swap: g.vrrp_no_swap.as_ref().is_some_and(|v| v.value),
            cpus: g.vrrp_cpu_affinity.iter().map(|c| c.value).collect(),
        }
    }

    /// The interfaces of the instances with `promote_secondaries` (their own, else
    /// `default_interface`), each once, in order: applied at start (`sys::promote_secondaries`).
    pub fn promote_secondaries_interfaces(&self) -> Vec<String> {
        let default = self.config.global.default_interface.as_ref();
        let mut out: Vec<String> = Vec::new();
        for i in &self.config.instances {
            if !i.promote_secondaries.as_ref().is_some_and(|p| p.value) {
                continue;
            }
            if let Some(name) = i.interface.as_ref().or(default) {
                if !out.contains(&name.value) {
                    out.push(name.value.clone());
                }
            }
        }
        out
    }

    /// `disable_local_igmp`, applied at start (`sys::local_igmp`).
    pub fn disable_local_igmp(&self) -> bool {
        self.config
            .global
            .disable_local_igmp
            .as_ref()
            .is_some_and(|d| d.value)
    }

    /// `global_defs umask`, applied before the host is read.
    pub fn umask(&self) -> Option<u32> {
        self.config.global.umask.as_ref().map(|m| m.value)
    }
}

/// Reads and checks the configuration file at `path` (start-up and SIGHUP,
/// docs/keepalived-compat.md#reload): the checked configuration, or one line per error.
pub fn read(path: &Path, parse: &ParseOptions) -> Result<Checked, Vec<String>> {
    let loaded = match config::load(&FsLoader, path, parse) {
        Ok(l) => l,
        Err(e) => return Err(vec![format!("cannot read configuration file {e}")]),
    };
    let lines = |sev: Severity| -> Vec<String> {
        loaded
            .diagnostics
            .iter()
            .filter(|d| d.severity == sev)
            .map(|d| diagnostic_line(d, &loaded.sources))
            .collect()
    };
    match &loaded.config {
        Some(cfg) => Ok(Checked::new(cfg.clone(), lines(Severity::Warning))),
        None => Err(lines(Severity::Error)),
    }
}

/// A diagnostic as one log line (`file:line:col: severity: message`).
pub fn diagnostic_line(d: &Diagnostic, sources: &SourceMap) -> String {
    d.headline(sources)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::TrackTarget;
    use crate::track::TrackerKind;

    #[test]
    fn one_configuration_and_one_host_give_every_runtime_setting() {
        let l = config::load_str(
            "global_defs {\n vrrp_startup_delay 2\n enable_script_security\n}\ntrack_file tf {\n file /run/tf\n init_file 3 overwrite\n}\nvrrp_script chk {\n script /bin/true\n weight -20\n}\nvrrp_script unused {\n script /bin/true\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 100\n virtual_ipaddress { 10.0.0.100/24 }\n track_script {\n chk\n }\n track_file {\n tf\n }\n notify_master /bin/true\n}\n",
        );
        let Some(cfg) = l.config.clone() else {
            panic!("{}", l.render())
        };
        let host = HostInfo {
            interfaces: vec![HostInterface {
                name: "eth0".into(),
                index: 2,
                up: true,
                multicast: true,
                addrs: vec![HostAddr {
                    addr: "10.0.0.1".parse().unwrap(),
                    prefix: 24,
                }],
                ..HostInterface::default()
            }],
        };
        let plan = Runtime::build(&cfg, host.clone(), vec!["w".into()]).expect("plan");
        assert_eq!(plan.settings.instances[0].ifindex, 2);
        assert_eq!(plan.host, host);
        assert_eq!(plan.warnings.first().map(String::as_str), Some("w"));
        assert_eq!(plan.startup_delay, Some(Duration::from_secs(2)));
        assert!(plan.script_defaults.security);
        // Only the tracked script runs, and only it is kept (keepalived drops the other).
        let names: Vec<&str> = plan
            .trackers
            .scripts
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, ["chk"]);
        assert_eq!(plan.scripts.len(), 1);
        let uses: Vec<(TrackerKind, &str, i32)> = plan
            .trackers
            .uses
            .iter()
            .map(|u| (u.kind, u.name.as_str(), u.weight))
            .collect();
        assert_eq!(
            uses,
            [
                (TrackerKind::Script, "chk", -20),
                (TrackerKind::File, "tf", 1)
            ]
        );
        assert!(plan
            .trackers
            .uses
            .iter()
            .all(|u| u.target == TrackTarget::Instance("VI_1".into())));
        assert_eq!(plan.init_files.len(), 1);
        assert_eq!(plan.init_files[0].value, Some(3));
        assert!(plan.hooks.instances[0].1.master.is_some());
        // A host without the interface cannot run it.
        assert!(Runtime::build(&cfg, HostInfo::default(), Vec::new()).is_err());
    }

    #[test]
    fn every_run_as_user_is_listed_for_the_loader() {
        let l = config::load_str(
            "global_defs {\n script_user alice staff\n vrrp_notify_fifo /run/f bob\n}\nvrrp_script chk {\n script /bin/true\n user carol\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n priority 100\n virtual_ipaddress { 10.0.0.100/24 }\n track_script {\n chk\n }\n notify_master /bin/true dave\n}\n",
        );
        let Some(cfg) = l.config.clone() else {
            panic!("{}", l.render())
        };
        let plan = Runtime::without_host(&cfg);
        let want: Vec<(String, Option<String>)> = [
            ("alice", Some("staff")),
            ("bob", None),
            ("carol", None),
            ("dave", None),
            ("keepalived_script", None),
        ]
        .iter()
        .map(|(u, g)| (u.to_string(), g.map(str::to_string)))
        .collect();
        assert_eq!(plan.run_as_names(), want);
    }
}
