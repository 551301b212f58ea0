//! The notify hooks' settings (docs/keepalived-compat.md#notifications,
//! docs/keepalived-compat.md#sync-groups): every notify command of every instance and sync
//! group, the notify FIFOs and the FIFO script, as `sys::hooks::HookConfig::prepare` takes them.

use std::path::PathBuf;

use crate::config::model::{Command, Config, Fifo, Notify};
use crate::sys::hooks::{FifoSpec, HookSpec, NotifySpec};
use crate::sys::script::{CommandSpec, RunAs};

/// The notify commands and FIFOs of `cfg`.
pub fn hook_spec(cfg: &Config) -> HookSpec {
    let notify = |n: &Notify| NotifySpec {
        master: n.master.as_deref().map(command),
        backup: n.backup.as_deref().map(command),
        fault: n.fault.as_deref().map(command),
        stop: n.stop.as_deref().map(command),
        deleted: n
            .deleted
            .as_ref()
            .and_then(|d| d.value.as_deref())
            .map(command),
        any: n.any.as_deref().map(command),
        master_rx_lower_pri: n.master_rx_lower_pri.as_deref().map(command),
    };
    let g = &cfg.global;
    let mut fifos: Vec<FifoSpec> = g.vrrp_notify_fifo.as_ref().map(fifo).into_iter().collect();
    if let Some(f) = g.notify_fifo.as_ref().map(fifo) {
        // A vrrp FIFO with the same path as the global one is the same file (docs/keepalived-compat.md#global_defs-keywords).
        if !fifos.iter().any(|x| x.path == f.path) {
            fifos.push(f);
        }
    }
    HookSpec {
        instances: cfg
            .instances
            .iter()
            .map(|i| (i.name.value.clone(), notify(&i.notify)))
            .collect(),
        groups: cfg
            .sync_groups
            .iter()
            .map(|g| (g.name.value.clone(), notify(&g.notify)))
            .collect(),
        fifos,
        fifo_script: g
            .vrrp_notify_fifo_script
            .as_ref()
            .or(g.notify_fifo_script.as_ref())
            .map(command),
    }
}

/// A configured command and its `USER [GROUP]`.
pub fn command(c: &Command) -> CommandSpec {
    CommandSpec {
        cmd: c.cmd.value.clone(),
        user: c.user.as_ref().map(|u| RunAs {
            user: u.value.clone(),
            group: c.group.as_ref().map(|g| g.value.clone()),
        }),
    }
}

fn fifo(f: &Fifo) -> FifoSpec {
    FifoSpec {
        path: PathBuf::from(&f.path.value),
        owner: f
            .user
            .as_ref()
            .map(|u| (u.value.clone(), f.group.as_ref().map(|g| g.value.clone()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::hooks::HookConfig;
    use crate::sys::script::{Identity, ScriptDefaults};

    #[test]
    fn every_notify_command_is_planned_and_prepared() {
        let l = crate::config::load_str(
            "global_defs {\n vrrp_notify_fifo /run/x.fifo\n notify_fifo /run/x.fifo\n}\nvrrp_instance VI_1 {\n interface lo\n virtual_router_id 5\n priority 100\n virtual_ipaddress { 10.0.0.1 }\n notify_master \"/bin/echo m\"\n notify /bin/true\n notify_backup /no/such/script\n}\nvrrp_instance VI_2 {\n interface lo\n virtual_router_id 6\n priority 100\n virtual_ipaddress { 10.0.0.2 }\n}\nvrrp_sync_group G {\n group {\n VI_1\n VI_2\n }\n notify_fault true\n}\n",
        );
        let Some(c) = l.config.clone() else {
            panic!("{}", l.render())
        };
        let defaults = ScriptDefaults {
            identity: Identity::current(),
            missing_user: None,
            security: false,
        };
        let (cfg, problems) = HookConfig::prepare(&hook_spec(&c), &defaults);
        let vi = &cfg.instances["VI_1"];
        assert_eq!(vi.master.as_ref().unwrap().argv[1..], ["m"]);
        assert!(vi.any.is_some() && vi.backup.is_none());
        assert!(!cfg.instances.contains_key("VI_2"));
        assert!(cfg.groups["G"].fault.is_some());
        assert_eq!(
            problems,
            ["(VI_1) notify_backup: script `/no/such/script` not found or not executable"]
        );
        assert_eq!(cfg.fifos.len(), 1, "same path once");
    }
}
