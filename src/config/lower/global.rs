//! `global_defs { ... }` (docs/keepalived-compat.md#global_defs-keywords).

use super::keywords::{global, root};
use super::keywords::{ACCEPTED_GLOBAL, IGNORED_GLOBAL};
use super::values::narrow;
use super::{Index, Lower, Section};
use crate::config::diag::Diagnostic;
use crate::config::model::{Command, Fifo, GarpExtraIf, Global, RunAs, SmtpServer, Sp, Version};
use crate::config::read::syntax::Stmt;
use crate::config::span::Spanned;

/// Largest delay keepalived accepts for second-valued timers (INT_MAX microseconds).
pub(crate) const MAX_DELAY_SECS: u32 = 2147;

pub(crate) fn lower(l: &mut Lower, s: &Stmt, g: &mut Global) {
    g.span = Some(s.keyword.span);
    let Some(b) = l.block_no_args(s) else { return };
    for st in &b.stmts {
        let kw = st.keyword.text.as_str();
        if ACCEPTED_GLOBAL.contains(&kw) {
            l.check_performed(root::GLOBAL_DEFS, &st.keyword);
            let raw = l.raw(st);
            g.accepted.push(raw);
        } else if kw == global::NOTIFICATION_EMAIL {
            if let Some(b) = l.block_no_args(st) {
                for e in &b.stmts {
                    l.no_block(e);
                    for w in std::iter::once(&e.keyword).chain(e.args.iter()) {
                        g.notification_email
                            .push(Spanned::new(w.text.as_str().to_owned(), w.span));
                    }
                }
            }
        } else {
            l.section(std::slice::from_ref(st), &GLOBAL, g);
        }
    }
}

impl Lower {
    /// `CMD [USER [GROUP]]`.
    pub(crate) fn command(&mut self, s: &Stmt) -> Option<Command> {
        self.no_block(s);
        let cmd = self.arg(s, 0)?;
        self.extra(s, 3);
        let word = |i: usize| {
            s.args
                .get(i)
                .map(|w| Spanned::new(w.text.as_str().to_owned(), w.span))
        };
        Some(Command {
            cmd: Spanned::new(cmd.text.as_str().to_owned(), cmd.span),
            user: word(1),
            group: word(2),
        })
    }

    /// `PATH [USER [GROUP]]`.
    fn fifo(&mut self, s: &Stmt) -> Option<Fifo> {
        let c = self.command(s)?;
        Some(Fifo {
            path: c.cmd,
            user: c.user,
            group: c.group,
        })
    }

    /// `USER [GROUP]`.
    pub(crate) fn run_as(&mut self, s: &Stmt) -> Option<RunAs> {
        self.no_block(s);
        let user = self.arg(s, 0)?;
        self.extra(s, 2);
        Some(RunAs {
            user: Spanned::new(user.text.as_str().to_owned(), user.span),
            group: s
                .args
                .get(1)
                .map(|w| Spanned::new(w.text.as_str().to_owned(), w.span)),
        })
    }

    /// `vrrp_version 2|3` / `version 2|3`.
    pub(crate) fn version(&mut self, s: &Stmt) -> Option<Sp<Version>> {
        let v = self.int(s, 2, 3)?;
        let version = if v.value == 2 {
            Version::V2
        } else {
            Version::V3
        };
        Some(Spanned::new(version, v.span))
    }

    /// `garp_extra_if [all] SECS`.
    pub(crate) fn garp_extra_if(&mut self, s: &Stmt) -> Option<Sp<GarpExtraIf>> {
        self.no_block(s);
        let all = s.args.first().is_some_and(|w| w.text == "all");
        let idx = usize::from(all);
        let w = self.arg(s, idx)?;
        self.extra(s, idx + 1);
        let secs = narrow::<u32>(self.int_word(w, &s.keyword.text, 0, 86400)?)?;
        Some(Spanned::new(
            GarpExtraIf {
                all,
                secs: secs.value,
            },
            s.span(),
        ))
    }
}

fn delay(l: &mut Lower, s: &Stmt) -> Option<Sp<u32>> {
    l.uint(s, 0, MAX_DELAY_SECS)
}

fn repeat(l: &mut Lower, s: &Stmt) -> Option<Sp<u32>> {
    l.uint(s, 1, 255)
}

/// `umask` value: a number (octal with a leading 0) or `|`-joined permission bit names.
fn umask(l: &mut Lower, s: &Stmt) -> Option<Sp<u32>> {
    l.no_block(s);
    let w = l.arg(s, 0)?;
    l.extra(s, 1);
    let t = w.text.as_str();
    let value = if t.bytes().all(|b| b.is_ascii_digit()) && !t.is_empty() {
        let radix = if t.starts_with('0') { 8 } else { 10 };
        u32::from_str_radix(t, radix).ok()
    } else {
        t.split('|').try_fold(0u32, |acc, bit| {
            let v = match bit {
                "IRUSR" => 0o400,
                "IWUSR" => 0o200,
                "IXUSR" => 0o100,
                "IRGRP" => 0o40,
                "IWGRP" => 0o20,
                "IXGRP" => 0o10,
                "IROTH" => 0o4,
                "IWOTH" => 0o2,
                "IXOTH" => 0o1,
                _ => return None,
            };
            Some(acc | v)
        })
    };
    match value {
        Some(v) if v <= 0o777 => Some(Spanned::new(v, w.span)),
        _ => {
            l.push(
                Diagnostic::error(w.span, format!("invalid umask '{}'", w.text))
                    .with_help("write an octal mask such as 0177, or bits such as IWGRP|IWOTH"),
            );
            None
        }
    }
}

fn mcast4(l: &mut Lower, s: &Stmt, g: &mut Global) {
    let Some(a) = l.ip(s) else { return };
    match a.value {
        std::net::IpAddr::V4(v4) if v4.is_multicast() => {
            g.mcast_group4 = Some(Spanned::new(v4, a.span))
        }
        _ => l.push(
            Diagnostic::error(
                a.span,
                format!("vrrp_mcast_group4 {} is not multicast", a.value),
            )
            .with_help("use an IPv4 multicast address (224.0.0.0/4); the default is 224.0.0.18"),
        ),
    }
}

fn mcast6(l: &mut Lower, s: &Stmt, g: &mut Global) {
    let Some(a) = l.ip(s) else { return };
    match a.value {
        std::net::IpAddr::V6(v6) if v6.is_multicast() => {
            g.mcast_group6 = Some(Spanned::new(v6, a.span))
        }
        _ => l.push(
            Diagnostic::error(
                a.span,
                format!("vrrp_mcast_group6 {} is not multicast", a.value),
            )
            .with_help("use an IPv6 multicast address (ff00::/8); the default is ff02::12"),
        ),
    }
}

pub(super) static GLOBAL: Section<Global> = Section {
    name: root::GLOBAL_DEFS,
    ignored: IGNORED_GLOBAL,
    also_known: ACCEPTED_GLOBAL,
    index: Index::new(),
    keywords: &[
        (global::ROUTER_ID, |l, s, g| g.router_id = l.string(s)),
        (global::VRRP_VERSION, |l, s, g| {
            g.vrrp_version = l.version(s)
        }),
        (global::VRRP_MCAST_GROUP4, mcast4),
        (global::VRRP_MCAST_GROUP6, mcast6),
        (global::VRRP_GARP_MASTER_DELAY, |l, s, g| {
            g.garp.master_delay = delay(l, s)
        }),
        (global::VRRP_GARP_MASTER_REPEAT, |l, s, g| {
            g.garp.master_repeat = repeat(l, s)
        }),
        (global::VRRP_GARP_MASTER_REFRESH, |l, s, g| {
            g.garp.master_refresh = delay(l, s)
        }),
        (global::VRRP_GARP_MASTER_REFRESH_REPEAT, |l, s, g| {
            g.garp.master_refresh_repeat = repeat(l, s)
        }),
        (global::VRRP_GARP_LOWER_PRIO_DELAY, |l, s, g| {
            g.garp.lower_prio_delay = delay(l, s)
        }),
        (global::VRRP_GARP_LOWER_PRIO_REPEAT, |l, s, g| {
            g.garp.lower_prio_repeat = l.uint(s, 0, 255)
        }),
        (global::VRRP_GARP_INTERVAL, |l, s, g| {
            g.garp_interval = l.seconds(s, 0, 1_000_000_000)
        }),
        (global::VRRP_GNA_INTERVAL, |l, s, g| {
            g.gna_interval = l.seconds(s, 0, 1_000_000_000)
        }),
        (global::VRRP_MIN_GARP, |l, s, g| g.min_garp = l.opt_bool(s)),
        (global::VRRP_GARP_EXTRA_IF, |l, s, g| {
            g.garp.extra_if = l.garp_extra_if(s)
        }),
        (global::VRRP_VMAC_GARP_INTVL, |l, s, g| {
            l.deprecated(s, "use `vrrp_garp_extra_if` instead");
            g.garp.extra_if = l.garp_extra_if(s)
        }),
        (global::VRRP_DOWN_TIMER_ADVERTS, |l, s, g| {
            g.down_timer_adverts = l.uint(s, 1, 100)
        }),
        (global::VRRP_LOWER_PRIO_NO_ADVERT, |l, s, g| {
            g.lower_prio_no_advert = l.opt_bool(s)
        }),
        (global::VRRP_HIGHER_PRIO_SEND_ADVERT, |l, s, g| {
            g.higher_prio_send_advert = l.opt_bool(s)
        }),
        (global::VRRP_STRICT, |l, s, g| g.strict = l.opt_bool(s)),
        (global::VRRP_SKIP_CHECK_ADV_ADDR, |l, s, g| {
            g.skip_check_adv_addr = l.opt_bool(s)
        }),
        (global::VRRP_CHECK_UNICAST_SRC, |l, s, g| {
            g.check_unicast_src = l.opt_bool(s)
        }),
        (global::ENABLE_SCRIPT_SECURITY, |l, s, g| {
            g.enable_script_security = l.opt_bool(s)
        }),
        (global::SCRIPT_USER, |l, s, g| g.script_user = l.run_as(s)),
        (global::MAX_AUTO_PRIORITY, |l, s, g| {
            g.max_auto_priority = if s.args.is_empty() {
                l.no_block(s);
                Some(Spanned::new(99, s.keyword.span))
            } else {
                l.int(s, -1, 99).and_then(narrow)
            }
        }),
        (global::MIN_AUTO_PRIORITY_DELAY, |l, s, g| {
            g.min_auto_priority_delay = l.uint(s, 1, u32::MAX)
        }),
        (global::VRRP_PRIORITY, |l, s, g| {
            g.vrrp_priority = l.int(s, -20, 19).and_then(narrow)
        }),
        (global::VRRP_RT_PRIORITY, |l, s, g| {
            g.vrrp_rt_priority = l.uint(s, 1, 99)
        }),
        (global::VRRP_RLIMIT_RTTIME, |l, s, g| {
            g.vrrp_rlimit_rttime = l.uint(s, 1, u32::MAX)
        }),
        (global::VRRP_RLIMIT_RTIME, |l, s, g| {
            g.vrrp_rlimit_rttime = l.uint(s, 1, u32::MAX)
        }),
        (global::VRRP_NO_SWAP, |l, s, g| {
            g.vrrp_no_swap = l.opt_bool(s)
        }),
        (global::VRRP_CPU_AFFINITY, |l, s, g| {
            l.no_block(s);
            if l.arg(s, 0).is_some() {
                for w in &s.args {
                    if let Some(v) = l.int_word(w, "vrrp_cpu_affinity", 0, 4095).and_then(narrow) {
                        g.vrrp_cpu_affinity.push(v);
                    }
                }
            }
        }),
        (global::VRRP_RX_BUFS_POLICY, |l, s, g| {
            g.rx_bufs_policy = l.string(s)
        }),
        (global::VRRP_RX_BUFS_MULTIPLIER, |l, s, g| {
            g.rx_bufs_multiplier = l.uint(s, 1, u32::MAX)
        }),
        (global::DYNAMIC_INTERFACES, |l, s, g| {
            l.no_block(s);
            match s.args.first() {
                Some(w) if w.text == "allow_if_changes" => {
                    l.extra(s, 1);
                    g.dynamic_interfaces_allow_if_changes = true;
                    g.dynamic_interfaces = Some(Spanned::new(true, s.keyword.span));
                }
                _ => g.dynamic_interfaces = l.opt_bool(s),
            }
        }),
        (global::DEFAULT_INTERFACE, |l, s, g| {
            g.default_interface = l.string(s)
        }),
        (global::DISABLE_LOCAL_IGMP, |l, s, g| {
            g.disable_local_igmp = l.opt_bool(s)
        }),
        (global::VRRP_STARTUP_DELAY, |l, s, g| {
            g.startup_delay = l.seconds(s, 0, 3_600_000_000)
        }),
        (global::LOG_UNKNOWN_VRIDS, |l, s, g| {
            g.log_unknown_vrids = l.opt_bool(s)
        }),
        (global::VMAC_PREFIX, |l, s, g| g.vmac_prefix = l.string(s)),
        (global::VMAC_ADDR_PREFIX, |l, s, g| {
            g.vmac_addr_prefix = l.string(s)
        }),
        (global::VRRP_NOTIFY_FIFO, |l, s, g| {
            g.vrrp_notify_fifo = l.fifo(s)
        }),
        (global::VRRP_NOTIFY_FIFO_SCRIPT, |l, s, g| {
            g.vrrp_notify_fifo_script = l.command(s)
        }),
        (global::NOTIFY_FIFO, |l, s, g| g.notify_fifo = l.fifo(s)),
        (global::NOTIFY_FIFO_SCRIPT, |l, s, g| {
            g.notify_fifo_script = l.command(s)
        }),
        (global::VRRP_NOTIFY_PRIORITY_CHANGES, |l, s, g| {
            g.notify_priority_changes = l.opt_bool(s)
        }),
        (global::FIFO_WRITE_VRRP_STATES_ON_RELOAD, |l, s, g| {
            g.fifo_write_vrrp_states_on_reload = l.opt_bool(s)
        }),
        (global::NOTIFICATION_EMAIL_FROM, |l, s, g| {
            g.notification_email_from = l.string(s)
        }),
        (global::SMTP_SERVER, |l, s, g| {
            l.no_block(s);
            let Some(host) = l.arg(s, 0) else { return };
            l.extra(s, 2);
            let port = s
                .args
                .get(1)
                .and_then(|w| l.int_word(w, "smtp_server port", 1, 65535))
                .and_then(narrow);
            g.smtp_server = Some(SmtpServer {
                host: Spanned::new(host.text.as_str().to_owned(), host.span),
                port,
            });
        }),
        (global::SMTP_HELO_NAME, |l, s, g| {
            g.smtp_helo_name = l.string(s)
        }),
        (global::SMTP_CONNECT_TIMEOUT, |l, s, g| {
            g.smtp_connect_timeout = l.uint(s, 1, 3600)
        }),
        (global::SMTP_ALERT, |l, s, g| g.smtp_alert = l.opt_bool(s)),
        (global::SMTP_ALERT_VRRP, |l, s, g| {
            g.smtp_alert_vrrp = l.opt_bool(s)
        }),
        (global::NO_EMAIL_FAULTS, |l, s, g| {
            g.no_email_faults = l.opt_bool(s)
        }),
        (global::STARTUP_SCRIPT, |l, s, g| {
            g.startup_script = l.command(s)
        }),
        (global::STARTUP_SCRIPT_TIMEOUT, |l, s, g| {
            g.startup_script_timeout = l.uint(s, 1, 1000)
        }),
        (global::SHUTDOWN_SCRIPT, |l, s, g| {
            g.shutdown_script = l.command(s)
        }),
        (global::SHUTDOWN_SCRIPT_TIMEOUT, |l, s, g| {
            g.shutdown_script_timeout = l.uint(s, 1, 1000)
        }),
        (global::RELOAD_CHECK_CONFIG, |l, s, g| {
            g.reload_check_config = Some(l.opt_string(s))
        }),
        (global::UMASK, |l, s, g| g.umask = umask(l, s)),
        (global::RANDOM_SEED, |l, s, g| {
            g.random_seed = l.uint(s, 0, u32::MAX)
        }),
        (global::VRRP_NETLINK_CMD_RCV_BUFS, |l, s, g| {
            g.netlink_cmd_rcv_bufs = l.uint(s, 0, u32::MAX)
        }),
        (global::VRRP_NETLINK_CMD_RCV_BUFS_FORCE, |l, s, g| {
            g.netlink_cmd_rcv_bufs_force = l.opt_bool(s)
        }),
        (global::VRRP_NETLINK_MONITOR_RCV_BUFS, |l, s, g| {
            g.netlink_monitor_rcv_bufs = l.uint(s, 0, u32::MAX)
        }),
        (global::VRRP_NETLINK_MONITOR_RCV_BUFS_FORCE, |l, s, g| {
            g.netlink_monitor_rcv_bufs_force = l.opt_bool(s)
        }),
        (global::NFTABLES, |l, s, g| {
            g.nftables = Some(l.opt_string(s))
        }),
        (global::NFTABLES_PRIORITY, |l, s, g| {
            g.nftables_priority = l.int(s, -2147483648, 2147483647).and_then(narrow)
        }),
        // Handled before the table; listed for suggestions.
        (global::NOTIFICATION_EMAIL, |_, _, _| {}),
    ],
};
