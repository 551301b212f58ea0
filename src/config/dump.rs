//! `--dump-conf`: the effective configuration in keepalived.conf syntax, after defaults,
//! global inheritance and keepalived's derivations. Every value that was not written where it
//! is printed carries a comment saying where it came from:
//!
//! ```text
//!     priority 255                            # derived: state MASTER without priority (docs/keepalived-compat.md#vrrp_instance-keywords)
//! ```
//!
//! Each block is printed by a table of `Item`s, in output order: a keyword (spelled by the
//! lowering's keyword constants in `lower/keywords.rs`) with the function that shows its
//! value, or a custom printer for blocks, comments and lines whose keyword depends on the value.

use std::fmt::Write as _;
use std::time::Duration;

use super::lower::keywords::{
    address, auth, global, instance, notify, peer, root, route, rule, script, sync_group, track,
    track_file, track_process, track_ref,
};
use super::lower::values::fmt_us;
use super::model::{
    Broadcast, Command, Config, Derived, Fifo, GarpExtraIf, Global, Instance, IpAddress, Lifetime,
    Notify, Origin, Route, Rule, RunAs, Sp, SyncGroup, TrackFile, TrackLists, TrackProcess,
    TrackRef, VrrpScript,
};

const COMMENT_COLUMN: usize = 40;

struct Out {
    text: String,
}

impl Out {
    fn line(&mut self, indent: usize, body: &str, origin: Option<&Origin>) {
        let mut l = format!("{}{}", "    ".repeat(indent), body);
        let comment = match origin {
            None | Some(Origin::Written(_)) => None,
            Some(Origin::Global(_)) => Some("# from global_defs".to_string()),
            Some(Origin::Default) => Some("# default".to_string()),
            Some(Origin::Derived(why)) => Some(format!("# derived: {why}")),
        };
        if let Some(c) = comment {
            let pad = COMMENT_COLUMN.saturating_sub(l.chars().count()).max(1);
            l.push_str(&" ".repeat(pad));
            l.push_str(&c);
        }
        self.text.push_str(&l);
        self.text.push('\n');
    }

    /// `head {`, one line per entry, `}`.
    fn block(&mut self, indent: usize, head: &str, entries: impl IntoIterator<Item = String>) {
        self.line(indent, &format!("{head} {{"), None);
        for e in entries {
            self.line(indent + 1, &e, None);
        }
        self.line(indent, "}", None);
    }

    /// A blank line, then `keyword NAME {`, the items, `}`.
    fn named_block<T>(&mut self, keyword: &str, name: &str, t: &T, items: &[Item<T>]) {
        self.text.push('\n');
        self.line(0, &format!("{keyword} {} {{", q(name)), None);
        self.items(1, t, items);
        self.line(0, "}", None);
    }

    fn items<T>(&mut self, indent: usize, t: &T, items: &[Item<T>]) {
        for item in items {
            match item {
                Item::Value(kw, value) => {
                    if let Some(s) = value(t) {
                        self.line(indent, &format!("{kw}{}", s.after), s.origin.as_ref());
                    }
                }
                Item::Custom(print) => print(self, t),
            }
        }
    }
}

/// One entry of a block's printing table.
enum Item<T: 'static> {
    /// `keyword` followed by what the function shows; no line when it shows nothing.
    Value(&'static str, fn(&T) -> Option<Shown>),
    /// Anything else: blocks, comments, lines whose keyword depends on the value.
    Custom(fn(&mut Out, &T)),
}

/// What a keyword line shows after the keyword (with its leading space), and where the value
/// came from when it was not written there.
struct Shown {
    after: String,
    origin: Option<Origin>,
}

impl Shown {
    fn words(after: String) -> Shown {
        Shown {
            after,
            origin: None,
        }
    }
}

/// The value as written.
fn value<T>(v: &Option<Sp<T>>, show: impl Fn(&T) -> String) -> Option<Shown> {
    v.as_ref()
        .map(|v| Shown::words(format!(" {}", show(&v.value))))
}

/// `true` / `false` as written.
fn flag(v: &Option<Sp<bool>>) -> Option<Shown> {
    value(v, b)
}

/// The keyword alone, when `on`.
fn bare(on: bool) -> Option<Shown> {
    on.then(|| Shown::words(String::new()))
}

/// The effective value, with its origin.
fn derived<T>(d: &Derived<T>, show: impl Fn(&T) -> String) -> Option<Shown> {
    Some(Shown {
        after: format!(" {}", show(&d.value)),
        origin: Some(d.origin.clone()),
    })
}

/// A command line as written.
fn command(c: Option<&Command>) -> Option<Shown> {
    c.map(|c| Shown::words(format!(" {}", cmd(c))))
}

/// Optional trailing words: nothing after the keyword when they are absent or blank.
fn trailing(words: String) -> Shown {
    Shown::words(words.trim_end().to_string())
}

/// Quotes a word when it would not survive re-reading as one token.
fn q(s: &str) -> String {
    if s.is_empty() || s.contains([' ', '\t', '#', '!', '{', '}', '"']) {
        format!("\"{}\"", s.replace('"', "\\\""))
    } else {
        s.to_string()
    }
}

fn cmd(c: &Command) -> String {
    let mut s = q(&c.cmd.value);
    if let Some(u) = &c.user {
        s.push(' ');
        s.push_str(&q(&u.value));
    }
    if let Some(g) = &c.group {
        s.push(' ');
        s.push_str(&q(&g.value));
    }
    s
}

fn fifo(f: &Option<Fifo>) -> Option<Shown> {
    command(
        f.as_ref()
            .map(|f| Command {
                cmd: f.path.clone(),
                user: f.user.clone(),
                group: f.group.clone(),
            })
            .as_ref(),
    )
}

fn run_as(u: Option<&RunAs>) -> Option<Shown> {
    u.map(|u| {
        let g = u
            .group
            .as_ref()
            .map(|g| format!(" {}", q(&g.value)))
            .unwrap_or_default();
        Shown::words(format!(" {}{g}", q(&u.user.value)))
    })
}

fn secs(d: &Duration) -> String {
    fmt_us(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

fn b(v: &bool) -> String {
    if *v { "true" } else { "false" }.to_string()
}

fn s<T: ToString>(v: &T) -> String {
    v.to_string()
}

fn extra_if(v: &GarpExtraIf) -> String {
    format!("{}{}", if v.all { "all " } else { "" }, v.secs)
}

fn reverse(on: bool) -> &'static str {
    if on {
        " reverse"
    } else {
        ""
    }
}

pub fn dump(config: &Config) -> String {
    let mut o = Out {
        text: String::new(),
    };
    o.line(0, &format!("{} {{", root::GLOBAL_DEFS), None);
    o.items(1, &config.global, GLOBAL);
    o.line(0, "}", None);
    for s in &config.scripts {
        o.named_block(root::VRRP_SCRIPT, &s.name.value, s, SCRIPT);
    }
    for p in &config.track_processes {
        o.named_block(root::VRRP_TRACK_PROCESS, &p.name.value, p, TRACK_PROCESS);
    }
    for f in &config.track_files {
        o.named_block(root::TRACK_FILE, &f.name.value, f, TRACK_FILE);
    }
    static_block(
        &mut o,
        root::STATIC_IPADDRESS,
        &config.static_addresses,
        ipaddr,
    );
    static_block(
        &mut o,
        root::STATIC_ROUTES,
        &config.static_routes,
        route_line,
    );
    static_block(&mut o, root::STATIC_RULES, &config.static_rules, rule_line);
    for g in &config.sync_groups {
        o.named_block(root::VRRP_SYNC_GROUP, &g.name.value, g, SYNC_GROUP);
    }
    for i in &config.instances {
        o.named_block(root::VRRP_INSTANCE, &i.name.value, i, INSTANCE);
    }
    not_vrrp(&mut o, config);
    o.text
}

/// A root block of one entry per line, printed when it has entries.
fn static_block<T>(o: &mut Out, keyword: &str, list: &[T], show: fn(&T) -> String) {
    if !list.is_empty() {
        o.text.push('\n');
        o.block(0, keyword, list.iter().map(show));
    }
}

/// Root keywords accepted without effect and the other subsystems' blocks, as comments.
fn not_vrrp(o: &mut Out, config: &Config) {
    if !config.ignored.is_empty() || !config.process.is_empty() {
        o.text.push('\n');
    }
    for p in &config.process {
        o.line(
            0,
            &format!("# accepted, no effect in vrrpd: {}", p.keyword.value),
            None,
        );
    }
    for x in &config.ignored {
        o.line(
            0,
            &format!("# ignored (vrrpd manages VRRP only): {}", x.value),
            None,
        );
    }
}

// ===== global_defs =====

static GLOBAL: &[Item<Global>] = &[
    Item::Custom(|o, g| match &g.router_id {
        Some(r) => o.line(1, &format!("{} {}", global::ROUTER_ID, q(&r.value)), None),
        None => o.line(
            1,
            &format!("# {}: the host name (default)", global::ROUTER_ID),
            None,
        ),
    }),
    Item::Value(global::VRRP_VERSION, |g| {
        value(&g.vrrp_version, |v| v.number().to_string())
    }),
    Item::Value(global::VRRP_MCAST_GROUP4, |g| value(&g.mcast_group4, s)),
    Item::Value(global::VRRP_MCAST_GROUP6, |g| value(&g.mcast_group6, s)),
    Item::Value(global::VRRP_GARP_MASTER_DELAY, |g| {
        value(&g.garp.master_delay, s)
    }),
    Item::Value(global::VRRP_GARP_MASTER_REPEAT, |g| {
        value(&g.garp.master_repeat, s)
    }),
    Item::Value(global::VRRP_GARP_MASTER_REFRESH, |g| {
        value(&g.garp.master_refresh, s)
    }),
    Item::Value(global::VRRP_GARP_MASTER_REFRESH_REPEAT, |g| {
        value(&g.garp.master_refresh_repeat, s)
    }),
    Item::Value(global::VRRP_GARP_LOWER_PRIO_DELAY, |g| {
        value(&g.garp.lower_prio_delay, s)
    }),
    Item::Value(global::VRRP_GARP_LOWER_PRIO_REPEAT, |g| {
        value(&g.garp.lower_prio_repeat, s)
    }),
    Item::Value(global::VRRP_GARP_INTERVAL, |g| {
        value(&g.garp_interval, secs)
    }),
    Item::Value(global::VRRP_GNA_INTERVAL, |g| value(&g.gna_interval, secs)),
    Item::Value(global::VRRP_MIN_GARP, |g| flag(&g.min_garp)),
    Item::Value(global::VRRP_GARP_EXTRA_IF, |g| {
        value(&g.garp.extra_if, extra_if)
    }),
    Item::Value(global::VRRP_DOWN_TIMER_ADVERTS, |g| {
        value(&g.down_timer_adverts, s)
    }),
    Item::Value(global::VRRP_LOWER_PRIO_NO_ADVERT, |g| {
        flag(&g.lower_prio_no_advert)
    }),
    Item::Value(global::VRRP_HIGHER_PRIO_SEND_ADVERT, |g| {
        flag(&g.higher_prio_send_advert)
    }),
    Item::Value(global::VRRP_STRICT, |g| flag(&g.strict)),
    Item::Value(global::VRRP_SKIP_CHECK_ADV_ADDR, |g| {
        flag(&g.skip_check_adv_addr)
    }),
    Item::Value(global::VRRP_CHECK_UNICAST_SRC, |g| {
        flag(&g.check_unicast_src)
    }),
    Item::Value(global::ENABLE_SCRIPT_SECURITY, |g| {
        flag(&g.enable_script_security)
    }),
    Item::Value(global::SCRIPT_USER, |g| run_as(g.script_user.as_ref())),
    Item::Value(global::MAX_AUTO_PRIORITY, |g| {
        value(&g.max_auto_priority, s)
    }),
    Item::Value(global::MIN_AUTO_PRIORITY_DELAY, |g| {
        value(&g.min_auto_priority_delay, s)
    }),
    Item::Value(global::VRRP_PRIORITY, |g| value(&g.vrrp_priority, s)),
    Item::Value(global::VRRP_RT_PRIORITY, |g| value(&g.vrrp_rt_priority, s)),
    Item::Value(global::VRRP_RLIMIT_RTTIME, |g| {
        value(&g.vrrp_rlimit_rttime, s)
    }),
    Item::Value(global::VRRP_NO_SWAP, |g| flag(&g.vrrp_no_swap)),
    Item::Value(global::VRRP_CPU_AFFINITY, |g| {
        (!g.vrrp_cpu_affinity.is_empty()).then(|| {
            let cpus: Vec<String> = g.vrrp_cpu_affinity.iter().map(|c| s(&c.value)).collect();
            Shown::words(format!(" {}", cpus.join(" ")))
        })
    }),
    Item::Value(global::VRRP_RX_BUFS_POLICY, |g| {
        value(&g.rx_bufs_policy, |v| v.clone())
    }),
    Item::Value(global::VRRP_RX_BUFS_MULTIPLIER, |g| {
        value(&g.rx_bufs_multiplier, s)
    }),
    Item::Value(global::DYNAMIC_INTERFACES, |g| {
        g.dynamic_interfaces.as_ref().filter(|d| d.value).map(|_| {
            let allow = if g.dynamic_interfaces_allow_if_changes {
                " allow_if_changes"
            } else {
                ""
            };
            Shown::words(allow.to_string())
        })
    }),
    Item::Value(global::DEFAULT_INTERFACE, |g| {
        value(&g.default_interface, |v| v.clone())
    }),
    Item::Value(global::DISABLE_LOCAL_IGMP, |g| flag(&g.disable_local_igmp)),
    Item::Value(global::VRRP_STARTUP_DELAY, |g| {
        value(&g.startup_delay, secs)
    }),
    Item::Value(global::LOG_UNKNOWN_VRIDS, |g| flag(&g.log_unknown_vrids)),
    Item::Value(global::VMAC_PREFIX, |g| {
        value(&g.vmac_prefix, |v| v.clone())
    }),
    Item::Value(global::VMAC_ADDR_PREFIX, |g| {
        value(&g.vmac_addr_prefix, |v| v.clone())
    }),
    Item::Value(global::VRRP_NOTIFY_FIFO, |g| fifo(&g.vrrp_notify_fifo)),
    Item::Value(global::NOTIFY_FIFO, |g| fifo(&g.notify_fifo)),
    Item::Value(global::VRRP_NOTIFY_FIFO_SCRIPT, |g| {
        command(g.vrrp_notify_fifo_script.as_ref())
    }),
    Item::Value(global::NOTIFY_FIFO_SCRIPT, |g| {
        command(g.notify_fifo_script.as_ref())
    }),
    Item::Value(global::STARTUP_SCRIPT, |g| {
        command(g.startup_script.as_ref())
    }),
    Item::Value(global::SHUTDOWN_SCRIPT, |g| {
        command(g.shutdown_script.as_ref())
    }),
    Item::Value(global::STARTUP_SCRIPT_TIMEOUT, |g| {
        value(&g.startup_script_timeout, s)
    }),
    Item::Value(global::SHUTDOWN_SCRIPT_TIMEOUT, |g| {
        value(&g.shutdown_script_timeout, s)
    }),
    Item::Value(global::VRRP_NOTIFY_PRIORITY_CHANGES, |g| {
        flag(&g.notify_priority_changes)
    }),
    Item::Value(global::FIFO_WRITE_VRRP_STATES_ON_RELOAD, |g| {
        flag(&g.fifo_write_vrrp_states_on_reload)
    }),
    Item::Custom(|o, g| {
        if !g.notification_email.is_empty() {
            let emails = g.notification_email.iter().map(|e| q(&e.value));
            o.block(1, global::NOTIFICATION_EMAIL, emails);
        }
    }),
    Item::Value(global::NOTIFICATION_EMAIL_FROM, |g| {
        value(&g.notification_email_from, |v| q(v))
    }),
    Item::Value(global::SMTP_SERVER, |g| {
        g.smtp_server.as_ref().map(|sv| {
            let port = sv
                .port
                .as_ref()
                .map(|p| format!(" {}", p.value))
                .unwrap_or_default();
            Shown::words(format!(" {}{port}", q(&sv.host.value)))
        })
    }),
    Item::Value(global::SMTP_HELO_NAME, |g| {
        value(&g.smtp_helo_name, |v| q(v))
    }),
    Item::Value(global::SMTP_CONNECT_TIMEOUT, |g| {
        value(&g.smtp_connect_timeout, s)
    }),
    Item::Value(global::SMTP_ALERT, |g| flag(&g.smtp_alert)),
    Item::Value(global::SMTP_ALERT_VRRP, |g| flag(&g.smtp_alert_vrrp)),
    Item::Value(global::NO_EMAIL_FAULTS, |g| flag(&g.no_email_faults)),
    Item::Value(global::RELOAD_CHECK_CONFIG, |g| {
        g.reload_check_config
            .as_ref()
            .map(|r| trailing(format!(" {}", r.value.as_deref().unwrap_or(""))))
    }),
    Item::Value(global::UMASK, |g| value(&g.umask, |v| format!("0{v:o}"))),
    Item::Value(global::RANDOM_SEED, |g| value(&g.random_seed, s)),
    Item::Value(global::VRRP_NETLINK_CMD_RCV_BUFS, |g| {
        value(&g.netlink_cmd_rcv_bufs, s)
    }),
    Item::Value(global::VRRP_NETLINK_CMD_RCV_BUFS_FORCE, |g| {
        flag(&g.netlink_cmd_rcv_bufs_force)
    }),
    Item::Value(global::VRRP_NETLINK_MONITOR_RCV_BUFS, |g| {
        value(&g.netlink_monitor_rcv_bufs, s)
    }),
    Item::Value(global::VRRP_NETLINK_MONITOR_RCV_BUFS_FORCE, |g| {
        flag(&g.netlink_monitor_rcv_bufs_force)
    }),
    Item::Value(global::NFTABLES, |g| {
        g.nftables
            .as_ref()
            .map(|n| trailing(format!(" {}", n.value.as_deref().unwrap_or(""))))
    }),
    Item::Value(global::NFTABLES_PRIORITY, |g| {
        value(&g.nftables_priority, s)
    }),
    Item::Custom(|o, g| {
        for r in &g.accepted {
            let args: Vec<String> = r.args.iter().map(|a| q(&a.value)).collect();
            o.line(
                1,
                format!("{} {}", r.keyword.value, args.join(" ")).trim_end(),
                Some(&Origin::Derived("accepted, no effect in vrrpd".into())),
            );
        }
    }),
];

// ===== vrrp_script, vrrp_track_process, track_file =====

/// A value written in the block, else its default.
fn or_default(v: &Option<Sp<u32>>, default: u32) -> Derived<u32> {
    match v {
        Some(x) => Derived::written(x.value, x.span),
        None => Derived::default_value(default),
    }
}

static SCRIPT: &[Item<VrrpScript>] = &[
    Item::Value(script::SCRIPT, |sc| value(&sc.script, |c| q(c))),
    Item::Value(script::INTERVAL, |sc| {
        derived(&or_default(&sc.interval, 1), s)
    }),
    Item::Value(script::TIMEOUT, |sc| {
        Some(match &sc.timeout {
            Some(t) => Shown::words(format!(" {}", t.value)),
            None => Shown {
                after: format!(" {}", sc.timeout_secs()),
                origin: Some(Origin::Derived(
                    "= interval (docs/keepalived-compat.md#vrrp_script-keywords)".into(),
                )),
            },
        })
    }),
    Item::Value(script::WEIGHT, |sc| {
        let magnitude = sc
            .weight
            .as_ref()
            .map(|w| Sp::new(w.value.unsigned_abs(), w.span));
        let sign = if sc.weight_value() < 0 { "-" } else { "" };
        derived(&or_default(&magnitude, 0), |v| {
            format!("{sign}{v}{}", reverse(sc.weight_reverse))
        })
    }),
    Item::Value(script::RISE, |sc| derived(&or_default(&sc.rise, 1), s)),
    Item::Value(script::FALL, |sc| derived(&or_default(&sc.fall, 1), s)),
    Item::Value(script::USER, |sc| run_as(sc.user.as_deref())),
    Item::Value(script::INIT_FAIL, |sc| bare(sc.init_fail.is_some())),
];

static TRACK_PROCESS: &[Item<TrackProcess>] = &[
    Item::Value(track_process::PROCESS, |p| {
        p.process.as_ref().map(|proc_| {
            let args: Vec<String> = p.args.iter().map(|a| q(&a.value)).collect();
            trailing(format!(" {} {}", q(&proc_.value), args.join(" ")))
        })
    }),
    Item::Value(track_process::PARAM_MATCH, |p| {
        value(&p.param_match, |v| v.clone())
    }),
    Item::Value(track_process::WEIGHT, |p| {
        value(&p.weight, |v| format!("{v}{}", reverse(p.weight_reverse)))
    }),
    Item::Value(track_process::QUORUM, |p| value(&p.quorum, s)),
    Item::Value(track_process::QUORUM_MAX, |p| value(&p.quorum_max, s)),
    Item::Value(track_process::DELAY, |p| value(&p.delay, secs)),
    Item::Value(track_process::TERMINATE_DELAY, |p| {
        value(&p.terminate_delay, secs)
    }),
    Item::Value(track_process::FORK_DELAY, |p| value(&p.fork_delay, secs)),
    Item::Value(track_process::FULL_COMMAND, |p| {
        bare(p.full_command.is_some())
    }),
];

static TRACK_FILE: &[Item<TrackFile>] = &[
    Item::Value(track_file::FILE, |f| value(&f.file, |v| q(v))),
    Item::Value(track_file::WEIGHT, |f| {
        Some(match &f.weight {
            Some(w) => Shown::words(format!(" {}{}", w.value, reverse(f.weight_reverse))),
            None => Shown {
                after: " 1".to_string(),
                origin: Some(Origin::Default),
            },
        })
    }),
    Item::Value(track_file::INIT_FILE, |f| {
        f.init_file.as_ref().map(|i| {
            let v = i.value.value.map(|x| format!(" {x}")).unwrap_or_default();
            let ow = if i.value.overwrite { " overwrite" } else { "" };
            Shown::words(format!("{v}{ow}"))
        })
    }),
];

// ===== vrrp_sync_group =====

static SYNC_GROUP: &[Item<SyncGroup>] = &[
    Item::Custom(|o, g| {
        o.block(1, sync_group::GROUP, g.members.iter().map(|m| q(&m.value)));
    }),
    Item::Custom(|o, g| tracking(o, &g.tracking)),
    Item::Custom(|o, g| o.items(1, &g.notify, NOTIFY)),
    Item::Value(notify::SMTP_ALERT, |g| flag(&g.smtp_alert)),
    Item::Value(notify::NOTIFY_PRIORITY_CHANGES, |g| {
        flag(&g.notify_priority_changes)
    }),
    Item::Value(sync_group::SYNC_GROUP_TRACKING_WEIGHT, |g| {
        bare(g.tracking_weight.is_some())
    }),
];

// ===== shared by instances and sync groups =====

fn tracking(o: &mut Out, t: &TrackLists) {
    for (kw, list) in [
        (track::TRACK_INTERFACE, &t.interfaces),
        (track::TRACK_SCRIPT, &t.scripts),
        (track::TRACK_FILE, &t.files),
        (track::TRACK_PROCESS, &t.processes),
        (track::TRACK_BFD, &t.bfd),
    ] {
        if !list.is_empty() {
            o.block(1, kw, list.iter().map(track_ref));
        }
    }
}

fn track_ref(r: &TrackRef) -> String {
    let mut s = q(&r.name.value);
    if let Some(w) = &r.weight {
        let _ = write!(s, " {} {}", track_ref::WEIGHT, w.value);
    }
    if let Some(rv) = &r.reverse {
        let word = if rv.value {
            track_ref::REVERSE
        } else {
            track_ref::NOREVERSE
        };
        let _ = write!(s, " {word}");
    }
    s
}

static NOTIFY: &[Item<Notify>] = &[
    Item::Value(notify::NOTIFY_MASTER, |n| command(n.master.as_deref())),
    Item::Value(notify::NOTIFY_BACKUP, |n| command(n.backup.as_deref())),
    Item::Value(notify::NOTIFY_FAULT, |n| command(n.fault.as_deref())),
    Item::Value(notify::NOTIFY_STOP, |n| command(n.stop.as_deref())),
    Item::Value(notify::NOTIFY, |n| command(n.any.as_deref())),
    Item::Value(notify::NOTIFY_MASTER_RX_LOWER_PRI, |n| {
        command(n.master_rx_lower_pri.as_deref())
    }),
    Item::Value(notify::NOTIFY_DELETED, |n| {
        n.deleted.as_ref().map(|dl| match &dl.value {
            Some(c) => Shown::words(format!(" {}", cmd(c))),
            None => Shown::words(String::new()),
        })
    }),
];

// ===== vrrp_instance =====

static INSTANCE: &[Item<Instance>] = &[
    Item::Value(instance::STATE, |i| {
        derived(&i.effective.state, |st| {
            st.map(|st| st.as_str()).unwrap_or("BACKUP").to_string()
        })
    }),
    Item::Value(instance::INTERFACE, |i| value(&i.interface, |v| v.clone())),
    Item::Value(instance::VIRTUAL_ROUTER_ID, |i| value(&i.vrid, s)),
    Item::Value(instance::PRIORITY, |i| derived(&i.effective.priority, s)),
    Item::Value(instance::ADVERT_INT, |i| {
        derived(&i.effective.advert_int_cs, |cs| {
            fmt_us(u64::from(*cs) * 10_000)
        })
    }),
    Item::Value(instance::VERSION, |i| {
        derived(&i.effective.version, |v| {
            v.map(|v| v.number()).unwrap_or(2).to_string()
        })
    }),
    Item::Custom(|o, i| {
        let e = &i.effective;
        let fam = e.family.value.map(|f| f.as_str()).unwrap_or("IPv4");
        o.line(1, &format!("# family {fam}"), Some(&e.family.origin));
    }),
    Item::Custom(|o, i| {
        if i.effective.nopreempt.value {
            o.line(1, instance::NOPREEMPT, None);
        } else if i.nopreempt.is_some() {
            o.line(
                1,
                &format!("# {} cleared", instance::NOPREEMPT),
                Some(&i.effective.nopreempt.origin),
            );
        }
    }),
    Item::Value(instance::PREEMPT_DELAY, |i| {
        let d = &i.effective.preempt_delay;
        derived(d, secs).filter(|_| !d.value.is_zero() || i.preempt_delay.is_some())
    }),
    Item::Value(instance::STRICT_MODE, |i| derived(&i.effective.strict, b)),
    Item::Custom(|o, i| {
        let accept = &i.effective.accept;
        let kw = if accept.value {
            instance::ACCEPT
        } else {
            instance::NO_ACCEPT
        };
        o.line(1, kw, Some(&accept.origin));
    }),
    Item::Custom(authentication),
    Item::Value(instance::UNICAST_SRC_IP, |i| value(&i.unicast_src_ip, s)),
    Item::Custom(unicast_peers_or_group),
    Item::Value(instance::UNICAST_TTL, |i| value(&i.unicast_ttl, s)),
    Item::Value(instance::UNICAST_FAULT_NO_PEER, |i| {
        flag(&i.unicast_fault_no_peer)
    }),
    Item::Value(instance::MCAST_SRC_IP, |i| value(&i.mcast_src_ip, s)),
    Item::Value(instance::TRACK_SRC_IP, |i| flag(&i.track_src_ip)),
    Item::Value(instance::DOWN_TIMER_ADVERTS, |i| {
        derived(&i.effective.down_timer_adverts, s)
    }),
    Item::Value(instance::LOWER_PRIO_NO_ADVERT, |i| {
        derived(&i.effective.lower_prio_no_advert, b)
    }),
    Item::Value(instance::HIGHER_PRIO_SEND_ADVERT, |i| {
        derived(&i.effective.higher_prio_send_advert, b)
    }),
    Item::Value(instance::SKIP_CHECK_ADV_ADDR, |i| {
        derived(&i.effective.skip_check_adv_addr, b)
    }),
    Item::Value(instance::CHECK_UNICAST_SRC, |i| {
        derived(&i.effective.check_unicast_src, b)
    }),
    Item::Value(notify::SMTP_ALERT, |i| derived(&i.effective.smtp_alert, b)),
    Item::Value(instance::GARP_MASTER_DELAY, |i| {
        derived(&i.effective.garp_master_delay, s)
    }),
    Item::Value(instance::GARP_MASTER_REPEAT, |i| {
        derived(&i.effective.garp_master_repeat, s)
    }),
    Item::Value(instance::GARP_MASTER_REFRESH, |i| {
        derived(&i.effective.garp_master_refresh, s)
    }),
    Item::Value(instance::GARP_MASTER_REFRESH_REPEAT, |i| {
        derived(&i.effective.garp_master_refresh_repeat, s)
    }),
    Item::Value(instance::GARP_LOWER_PRIO_DELAY, |i| {
        derived(&i.effective.garp_lower_prio_delay, s)
    }),
    Item::Value(instance::GARP_LOWER_PRIO_REPEAT, |i| {
        derived(&i.effective.garp_lower_prio_repeat, s)
    }),
    Item::Value(instance::GARP_EXTRA_IF, |i| {
        value(&i.garp.extra_if, extra_if)
    }),
    Item::Value(instance::USE_VMAC, |i| {
        i.use_vmac.as_ref().map(|v| {
            let mut after = String::new();
            if let Some(n) = &v.value.ifname {
                let _ = write!(after, " {}", n.value);
            }
            if let Some(m) = &v.value.mac {
                let [a, b2, c, d, e2, f] = m.value;
                let _ = write!(after, " {a:02x}:{b2:02x}:{c:02x}:{d:02x}:{e2:02x}:{f:02x}");
            }
            Shown::words(after)
        })
    }),
    Item::Value(instance::VMAC_XMIT_BASE, |i| flag(&i.vmac_xmit_base)),
    Item::Value(instance::USE_VMAC_ADDR, |i| flag(&i.use_vmac_addr)),
    Item::Value(instance::PROMOTE_SECONDARIES, |i| {
        flag(&i.promote_secondaries)
    }),
    Item::Value(instance::DONT_TRACK_PRIMARY, |i| {
        flag(&i.dont_track_primary)
    }),
    Item::Value(notify::NOTIFY_PRIORITY_CHANGES, |i| {
        flag(&i.notify_priority_changes)
    }),
    Item::Value(instance::KERNEL_RX_BUF_SIZE, |i| {
        value(&i.kernel_rx_buf_size, s)
    }),
    Item::Value(instance::VRF, |i| value(&i.vrf, |v| v.clone())),
    Item::Custom(|o, i| {
        for (kw, list) in [
            (instance::VIRTUAL_IPADDRESS, &i.vips),
            (instance::VIRTUAL_IPADDRESS_EXCLUDED, &i.excluded_vips),
        ] {
            if !list.is_empty() {
                o.block(1, kw, list.iter().map(ipaddr));
            }
        }
    }),
    Item::Custom(|o, i| {
        if !i.routes.is_empty() {
            o.block(1, instance::VIRTUAL_ROUTES, i.routes.iter().map(route_line));
        }
        if !i.rules.is_empty() {
            o.block(1, instance::VIRTUAL_RULES, i.rules.iter().map(rule_line));
        }
    }),
    Item::Custom(|o, i| tracking(o, &i.tracking)),
    Item::Custom(effective_trackers),
    Item::Custom(|o, i| o.items(1, &i.notify, NOTIFY)),
];

/// The authentication in use, or a note that it is ignored.
fn authentication(o: &mut Out, i: &Instance) {
    match &i.effective.auth.value {
        Some((t, pass)) => {
            o.line(1, &format!("{} {{", instance::AUTHENTICATION), None);
            o.line(2, &format!("{} {}", auth::AUTH_TYPE, t.as_str()), None);
            o.line(
                2,
                &format!("{} {}", auth::AUTH_PASS, q(&String::from_utf8_lossy(pass))),
                None,
            );
            o.line(1, "}", None);
        }
        None if i.authentication.is_some() => o.line(
            1,
            &format!("# {} ignored (see diagnostics)", instance::AUTHENTICATION),
            None,
        ),
        None => {}
    }
}

/// The unicast peers, or (multicast) the group the adverts go to.
fn unicast_peers_or_group(o: &mut Out, i: &Instance) {
    if i.unicast_peers.is_empty() {
        let g = &i.effective.mcast_group;
        let shown = g.value.map(|g| g.to_string()).unwrap_or_default();
        o.line(1, &format!("# multicast group {shown}"), Some(&g.origin));
        return;
    }
    let peers = i.unicast_peers.iter().map(|p| {
        let mut s = p.addr.value.to_string();
        if let Some(t) = &p.min_ttl {
            let _ = write!(s, " {} {}", peer::MIN_TTL, t.value);
        }
        if let Some(t) = &p.max_ttl {
            let _ = write!(s, " {} {}", peer::MAX_TTL, t.value);
        }
        s
    });
    o.block(1, instance::UNICAST_PEER, peers);
}

/// The trackers as resolved, and the sync group the instance belongs to.
fn effective_trackers(o: &mut Out, i: &Instance) {
    let e = &i.effective;
    for t in &e.trackers {
        o.line(
            1,
            &format!(
                "# effective {} {} weight {}{}",
                t.kind.keyword(),
                t.name,
                t.weight.value,
                reverse(t.reverse)
            ),
            Some(&t.weight.origin),
        );
    }
    if let Some(g) = &e.sync_group {
        o.line(
            1,
            &format!("# member of {} {g}", root::VRRP_SYNC_GROUP),
            None,
        );
    }
}

// ===== address, route and rule entries =====
fn ipaddr(a: &IpAddress) -> String {
    let mut s = a.net.value.to_string();
    if let Some(d) = &a.dev {
        let _ = write!(s, " {} {}", address::DEV, d.value);
    }
    if let Some(bc) = &a.broadcast {
        let _ = match bc.value {
            Broadcast::Addr(x) => write!(s, " {} {x}", address::BRD),
            Broadcast::Plus => write!(s, " {} +", address::BRD),
            Broadcast::Minus => write!(s, " {} -", address::BRD),
        };
    }
    if let Some(sc) = &a.scope {
        let _ = write!(s, " {} {}", address::SCOPE, sc.value);
    }
    if let Some(l) = &a.label {
        let _ = write!(s, " {} {}", address::LABEL, l.value);
    }
    if let Some(p) = &a.peer {
        let _ = write!(s, " {} {}", address::PEER, p.value);
    }
    for (on, w) in [
        (a.home, address::HOME),
        (a.nodad, address::NODAD),
        (a.mngtmpaddr, address::MNGTMPADDR),
        (a.noprefixroute, address::NOPREFIXROUTE),
        (a.autojoin, address::AUTOJOIN),
        (a.no_track, address::NO_TRACK),
    ] {
        if on {
            s.push(' ');
            s.push_str(w);
        }
    }
    if let Some(p) = &a.preferred_lft {
        let _ = match p.value {
            Lifetime::Forever => write!(s, " {} {}", address::PREFERRED_LFT, address::FOREVER),
            Lifetime::Secs(n) => write!(s, " {} {n}", address::PREFERRED_LFT),
        };
    }
    if a.use_vmac {
        s.push(' ');
        s.push_str(address::USE_VMAC);
    }
    s
}

/// `KEYWORD VALUE` when the value is there.
fn option<T: std::fmt::Display>(parts: &mut Vec<String>, keyword: &str, v: &Option<Sp<T>>) {
    if let Some(v) = v {
        parts.push(format!("{keyword} {}", v.value));
    }
}

fn route_line(r: &Route) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(k) = &r.kind {
        parts.push(k.value.clone());
    }
    option(&mut parts, route::SRC, &r.src);
    if let Some(d) = &r.dest {
        parts.push(d.value.to_string());
    }
    option(&mut parts, route::VIA, &r.via);
    option(&mut parts, route::OR, &r.or_via);
    option(&mut parts, route::DEV, &r.dev);
    option(&mut parts, route::SCOPE, &r.scope);
    option(&mut parts, route::TABLE, &r.table);
    option(&mut parts, route::METRIC, &r.metric);
    parts.extend(r.options.iter().map(|o| o.value.clone()));
    if r.no_track {
        parts.push(route::NO_TRACK.into());
    }
    parts.join(" ")
}

fn rule_line(r: &Rule) -> String {
    let mut parts: Vec<String> = Vec::new();
    option(&mut parts, rule::FROM, &r.from);
    option(&mut parts, rule::TO, &r.to);
    option(&mut parts, rule::TABLE, &r.table);
    option(&mut parts, rule::PREFERENCE, &r.preference);
    parts.extend(r.options.iter().map(|o| o.value.clone()));
    if r.no_track {
        parts.push(rule::NO_TRACK.into());
    }
    parts.join(" ")
}
