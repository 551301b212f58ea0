//! `--dump-conf`: the effective configuration in keepalived.conf syntax, after defaults,
//! global inheritance and keepalived's derivations. Every value that was not written where it
//! is printed carries a comment saying where it came from:
//!
//! ```text
//!     priority 255                            # derived: state MASTER without priority (keepalived-behaviour §3.1)
//! ```

use std::fmt::Write as _;
use std::time::Duration;

use super::lower::values::fmt_us;
use super::model::{
    Broadcast, Command, Config, Derived, Instance, IpAddress, Lifetime, Notify, Origin, Route,
    Rule, Sp, TrackRef, Tracking,
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

    fn derived<T>(&mut self, indent: usize, kw: &str, d: &Derived<T>, show: impl Fn(&T) -> String) {
        self.line(indent, &format!("{kw} {}", show(&d.value)), Some(&d.origin));
    }

    fn opt<T>(&mut self, indent: usize, kw: &str, v: &Option<Sp<T>>, show: impl Fn(&T) -> String) {
        if let Some(v) = v {
            self.line(indent, &format!("{kw} {}", show(&v.value)), None);
        }
    }

    fn flag(&mut self, indent: usize, kw: &str, v: &Option<Sp<bool>>) {
        if let Some(v) = v {
            self.line(
                indent,
                &format!("{kw} {}", if v.value { "true" } else { "false" }),
                None,
            );
        }
    }
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

fn secs(d: &Duration) -> String {
    fmt_us(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

fn b(v: &bool) -> String {
    if *v { "true" } else { "false" }.to_string()
}

pub fn dump(config: &Config) -> String {
    let mut o = Out {
        text: String::new(),
    };
    global(&mut o, config);
    for s in &config.scripts {
        o.text.push('\n');
        o.line(0, &format!("vrrp_script {} {{", q(&s.name.value)), None);
        o.opt(1, "script", &s.script, |c| q(c));
        let iv = |v: &Option<Sp<u32>>, def: u32| match v {
            Some(x) => Derived::written(x.value, x.span),
            None => Derived::default_value(def),
        };
        o.derived(1, "interval", &iv(&s.interval, 1), |v| v.to_string());
        match &s.timeout {
            Some(t) => o.line(1, &format!("timeout {}", t.value), None),
            None => o.line(
                1,
                &format!("timeout {}", s.timeout_secs()),
                Some(&Origin::Derived(
                    "= interval (keepalived-behaviour §4.1)".into(),
                )),
            ),
        }
        let w = iv(
            &s.weight
                .as_ref()
                .map(|w| Sp::new(w.value.unsigned_abs(), w.span)),
            0,
        );
        let sign = if s.weight_value() < 0 { "-" } else { "" };
        o.derived(1, "weight", &w, |v| {
            format!(
                "{sign}{v}{}",
                if s.weight_reverse { " reverse" } else { "" }
            )
        });
        o.derived(1, "rise", &iv(&s.rise, 1), |v| v.to_string());
        o.derived(1, "fall", &iv(&s.fall, 1), |v| v.to_string());
        if let Some(u) = &s.user {
            let g = u
                .group
                .as_ref()
                .map(|g| format!(" {}", q(&g.value)))
                .unwrap_or_default();
            o.line(1, &format!("user {}{g}", q(&u.user.value)), None);
        }
        if s.init_fail.is_some() {
            o.line(1, "init_fail", None);
        }
        o.line(0, "}", None);
    }
    for p in &config.track_processes {
        o.text.push('\n');
        o.line(
            0,
            &format!("vrrp_track_process {} {{", q(&p.name.value)),
            None,
        );
        if let Some(proc_) = &p.process {
            let args: Vec<String> = p.args.iter().map(|a| q(&a.value)).collect();
            o.line(
                1,
                format!("process {} {}", q(&proc_.value), args.join(" ")).trim_end(),
                None,
            );
        }
        o.opt(1, "param_match", &p.param_match, |v| v.clone());
        o.opt(1, "weight", &p.weight, |v| {
            format!("{v}{}", if p.weight_reverse { " reverse" } else { "" })
        });
        o.opt(1, "quorum", &p.quorum, |v| v.to_string());
        o.opt(1, "quorum_max", &p.quorum_max, |v| v.to_string());
        o.opt(1, "delay", &p.delay, secs);
        o.opt(1, "terminate_delay", &p.terminate_delay, secs);
        o.opt(1, "fork_delay", &p.fork_delay, secs);
        if p.full_command.is_some() {
            o.line(1, "full_command", None);
        }
        o.line(0, "}", None);
    }
    for f in &config.track_files {
        o.text.push('\n');
        o.line(0, &format!("track_file {} {{", q(&f.name.value)), None);
        o.opt(1, "file", &f.file, |v| q(v));
        match &f.weight {
            Some(w) => o.line(
                1,
                &format!(
                    "weight {}{}",
                    w.value,
                    if f.weight_reverse { " reverse" } else { "" }
                ),
                None,
            ),
            None => o.line(1, "weight 1", Some(&Origin::Default)),
        }
        if let Some(i) = &f.init_file {
            let v = i.value.value.map(|x| format!(" {x}")).unwrap_or_default();
            let ow = if i.value.overwrite { " overwrite" } else { "" };
            o.line(1, &format!("init_file{v}{ow}"), None);
        }
        o.line(0, "}", None);
    }
    if !config.static_addresses.is_empty() {
        o.text.push('\n');
        o.line(0, "static_ipaddress {", None);
        for a in &config.static_addresses {
            o.line(1, &ipaddr(a), None);
        }
        o.line(0, "}", None);
    }
    if !config.static_routes.is_empty() {
        o.text.push('\n');
        o.line(0, "static_routes {", None);
        for r in &config.static_routes {
            o.line(1, &route(r), None);
        }
        o.line(0, "}", None);
    }
    if !config.static_rules.is_empty() {
        o.text.push('\n');
        o.line(0, "static_rules {", None);
        for r in &config.static_rules {
            o.line(1, &rule(r), None);
        }
        o.line(0, "}", None);
    }
    for g in &config.sync_groups {
        o.text.push('\n');
        o.line(0, &format!("vrrp_sync_group {} {{", q(&g.name.value)), None);
        o.line(1, "group {", None);
        for m in &g.members {
            o.line(2, &q(&m.value), None);
        }
        o.line(1, "}", None);
        tracking(&mut o, &g.tracking);
        notify(&mut o, &g.notify);
        o.flag(1, "smtp_alert", &g.smtp_alert);
        o.flag(1, "notify_priority_changes", &g.notify_priority_changes);
        if g.tracking_weight.is_some() {
            o.line(1, "sync_group_tracking_weight", None);
        }
        o.line(0, "}", None);
    }
    for i in &config.instances {
        o.text.push('\n');
        instance(&mut o, i);
    }
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
    o.text
}

fn global(o: &mut Out, c: &Config) {
    let g = &c.global;
    o.line(0, "global_defs {", None);
    match &g.router_id {
        Some(r) => o.line(1, &format!("router_id {}", q(&r.value)), None),
        None => o.line(1, "# router_id: the host name (default)", None),
    }
    o.opt(1, "vrrp_version", &g.vrrp_version, |v| {
        v.number().to_string()
    });
    o.opt(1, "vrrp_mcast_group4", &g.mcast_group4, |v| v.to_string());
    o.opt(1, "vrrp_mcast_group6", &g.mcast_group6, |v| v.to_string());
    o.opt(1, "vrrp_garp_master_delay", &g.garp.master_delay, |v| {
        v.to_string()
    });
    o.opt(1, "vrrp_garp_master_repeat", &g.garp.master_repeat, |v| {
        v.to_string()
    });
    o.opt(1, "vrrp_garp_master_refresh", &g.garp.master_refresh, |v| {
        v.to_string()
    });
    o.opt(
        1,
        "vrrp_garp_master_refresh_repeat",
        &g.garp.master_refresh_repeat,
        |v| v.to_string(),
    );
    o.opt(
        1,
        "vrrp_garp_lower_prio_delay",
        &g.garp.lower_prio_delay,
        |v| v.to_string(),
    );
    o.opt(
        1,
        "vrrp_garp_lower_prio_repeat",
        &g.garp.lower_prio_repeat,
        |v| v.to_string(),
    );
    o.opt(1, "vrrp_garp_interval", &g.garp_interval, secs);
    o.opt(1, "vrrp_gna_interval", &g.gna_interval, secs);
    o.flag(1, "vrrp_min_garp", &g.min_garp);
    o.opt(1, "vrrp_garp_extra_if", &g.garp.extra_if, |v| {
        format!("{}{}", if v.all { "all " } else { "" }, v.secs)
    });
    o.opt(1, "vrrp_down_timer_adverts", &g.down_timer_adverts, |v| {
        v.to_string()
    });
    o.flag(1, "vrrp_lower_prio_no_advert", &g.lower_prio_no_advert);
    o.flag(
        1,
        "vrrp_higher_prio_send_advert",
        &g.higher_prio_send_advert,
    );
    o.flag(1, "vrrp_strict", &g.strict);
    o.flag(1, "vrrp_skip_check_adv_addr", &g.skip_check_adv_addr);
    o.flag(1, "vrrp_check_unicast_src", &g.check_unicast_src);
    o.flag(1, "enable_script_security", &g.enable_script_security);
    if let Some(u) = &g.script_user {
        let grp = u
            .group
            .as_ref()
            .map(|g| format!(" {}", q(&g.value)))
            .unwrap_or_default();
        o.line(1, &format!("script_user {}{grp}", q(&u.user.value)), None);
    }
    o.opt(1, "max_auto_priority", &g.max_auto_priority, |v| {
        v.to_string()
    });
    o.opt(
        1,
        "min_auto_priority_delay",
        &g.min_auto_priority_delay,
        |v| v.to_string(),
    );
    o.opt(1, "vrrp_priority", &g.vrrp_priority, |v| v.to_string());
    o.opt(1, "vrrp_rt_priority", &g.vrrp_rt_priority, |v| {
        v.to_string()
    });
    o.opt(1, "vrrp_rlimit_rttime", &g.vrrp_rlimit_rttime, |v| {
        v.to_string()
    });
    o.flag(1, "vrrp_no_swap", &g.vrrp_no_swap);
    if !g.vrrp_cpu_affinity.is_empty() {
        let cpus: Vec<String> = g
            .vrrp_cpu_affinity
            .iter()
            .map(|c| c.value.to_string())
            .collect();
        o.line(1, &format!("vrrp_cpu_affinity {}", cpus.join(" ")), None);
    }
    o.opt(1, "vrrp_rx_bufs_policy", &g.rx_bufs_policy, |v| v.clone());
    o.opt(1, "vrrp_rx_bufs_multiplier", &g.rx_bufs_multiplier, |v| {
        v.to_string()
    });
    if let Some(dy) = &g.dynamic_interfaces {
        if dy.value {
            o.line(
                1,
                if g.dynamic_interfaces_allow_if_changes {
                    "dynamic_interfaces allow_if_changes"
                } else {
                    "dynamic_interfaces"
                },
                None,
            );
        }
    }
    o.opt(1, "default_interface", &g.default_interface, |v| v.clone());
    o.flag(1, "disable_local_igmp", &g.disable_local_igmp);
    o.opt(1, "vrrp_startup_delay", &g.startup_delay, secs);
    o.flag(1, "log_unknown_vrids", &g.log_unknown_vrids);
    o.opt(1, "vmac_prefix", &g.vmac_prefix, |v| v.clone());
    o.opt(1, "vmac_addr_prefix", &g.vmac_addr_prefix, |v| v.clone());
    for (kw, f) in [
        ("vrrp_notify_fifo", &g.vrrp_notify_fifo),
        ("notify_fifo", &g.notify_fifo),
    ] {
        if let Some(f) = f {
            let c = Command {
                cmd: f.path.clone(),
                user: f.user.clone(),
                group: f.group.clone(),
            };
            o.line(1, &format!("{kw} {}", cmd(&c)), None);
        }
    }
    for (kw, c) in [
        ("vrrp_notify_fifo_script", &g.vrrp_notify_fifo_script),
        ("notify_fifo_script", &g.notify_fifo_script),
        ("startup_script", &g.startup_script),
        ("shutdown_script", &g.shutdown_script),
    ] {
        if let Some(c) = c {
            o.line(1, &format!("{kw} {}", cmd(c)), None);
        }
    }
    o.opt(
        1,
        "startup_script_timeout",
        &g.startup_script_timeout,
        |v| v.to_string(),
    );
    o.opt(
        1,
        "shutdown_script_timeout",
        &g.shutdown_script_timeout,
        |v| v.to_string(),
    );
    o.flag(
        1,
        "vrrp_notify_priority_changes",
        &g.notify_priority_changes,
    );
    o.flag(
        1,
        "fifo_write_vrrp_states_on_reload",
        &g.fifo_write_vrrp_states_on_reload,
    );
    if !g.notification_email.is_empty() {
        o.line(1, "notification_email {", None);
        for e in &g.notification_email {
            o.line(2, &q(&e.value), None);
        }
        o.line(1, "}", None);
    }
    o.opt(
        1,
        "notification_email_from",
        &g.notification_email_from,
        |v| q(v),
    );
    if let Some(s) = &g.smtp_server {
        let port = s
            .port
            .as_ref()
            .map(|p| format!(" {}", p.value))
            .unwrap_or_default();
        o.line(1, &format!("smtp_server {}{port}", q(&s.host.value)), None);
    }
    o.opt(1, "smtp_helo_name", &g.smtp_helo_name, |v| q(v));
    o.opt(1, "smtp_connect_timeout", &g.smtp_connect_timeout, |v| {
        v.to_string()
    });
    o.flag(1, "smtp_alert", &g.smtp_alert);
    o.flag(1, "smtp_alert_vrrp", &g.smtp_alert_vrrp);
    o.flag(1, "no_email_faults", &g.no_email_faults);
    if let Some(r) = &g.reload_check_config {
        o.line(
            1,
            format!("reload_check_config {}", r.value.as_deref().unwrap_or("")).trim_end(),
            None,
        );
    }
    o.opt(1, "umask", &g.umask, |v| format!("0{v:o}"));
    o.opt(1, "random_seed", &g.random_seed, |v| v.to_string());
    if let Some(n) = &g.nftables {
        o.line(
            1,
            format!("nftables {}", n.value.as_deref().unwrap_or("")).trim_end(),
            None,
        );
    }
    o.opt(1, "nftables_priority", &g.nftables_priority, |v| {
        v.to_string()
    });
    for r in &g.accepted {
        let args: Vec<String> = r.args.iter().map(|a| q(&a.value)).collect();
        o.line(
            1,
            format!("{} {}", r.keyword.value, args.join(" ")).trim_end(),
            Some(&Origin::Derived("accepted, no effect in vrrpd".into())),
        );
    }
    o.line(0, "}", None);
}

fn ipaddr(a: &IpAddress) -> String {
    let mut s = a.net.value.to_string();
    if let Some(d) = &a.dev {
        let _ = write!(s, " dev {}", d.value);
    }
    if let Some(bc) = &a.broadcast {
        match bc.value {
            Broadcast::Addr(x) => {
                let _ = write!(s, " brd {x}");
            }
            Broadcast::Plus => s.push_str(" brd +"),
            Broadcast::Minus => s.push_str(" brd -"),
        }
    }
    if let Some(sc) = &a.scope {
        let _ = write!(s, " scope {}", sc.value);
    }
    if let Some(l) = &a.label {
        let _ = write!(s, " label {}", l.value);
    }
    if let Some(p) = &a.peer {
        let _ = write!(s, " peer {}", p.value);
    }
    for (on, w) in [
        (a.home, "home"),
        (a.nodad, "-nodad"),
        (a.mngtmpaddr, "mngtmpaddr"),
        (a.noprefixroute, "noprefixroute"),
        (a.autojoin, "autojoin"),
        (a.no_track, "no_track"),
    ] {
        if on {
            s.push(' ');
            s.push_str(w);
        }
    }
    if let Some(p) = &a.preferred_lft {
        match p.value {
            Lifetime::Forever => s.push_str(" preferred_lft forever"),
            Lifetime::Secs(n) => {
                let _ = write!(s, " preferred_lft {n}");
            }
        }
    }
    if a.use_vmac {
        s.push_str(" use_vmac");
    }
    s
}

fn route(r: &Route) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(k) = &r.kind {
        parts.push(k.value.clone());
    }
    if let Some(s) = &r.src {
        parts.push(format!("src {}", s.value));
    }
    if let Some(d) = &r.dest {
        parts.push(d.value.to_string());
    }
    if let Some(v) = &r.via {
        parts.push(format!("via {}", v.value));
    }
    if let Some(v) = &r.or_via {
        parts.push(format!("or {}", v.value));
    }
    if let Some(d) = &r.dev {
        parts.push(format!("dev {}", d.value));
    }
    if let Some(s) = &r.scope {
        parts.push(format!("scope {}", s.value));
    }
    if let Some(t) = &r.table {
        parts.push(format!("table {}", t.value));
    }
    if let Some(m) = &r.metric {
        parts.push(format!("metric {}", m.value));
    }
    parts.extend(r.options.iter().map(|o| o.value.clone()));
    if r.no_track {
        parts.push("no_track".into());
    }
    parts.join(" ")
}

fn rule(r: &Rule) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(f) = &r.from {
        parts.push(format!("from {}", f.value));
    }
    if let Some(t) = &r.to {
        parts.push(format!("to {}", t.value));
    }
    if let Some(t) = &r.table {
        parts.push(format!("table {}", t.value));
    }
    if let Some(p) = &r.preference {
        parts.push(format!("preference {}", p.value));
    }
    parts.extend(r.options.iter().map(|o| o.value.clone()));
    if r.no_track {
        parts.push("no_track".into());
    }
    parts.join(" ")
}

fn track_ref(r: &TrackRef) -> String {
    let mut s = q(&r.name.value);
    if let Some(w) = &r.weight {
        let _ = write!(s, " weight {}", w.value);
    }
    if let Some(rv) = &r.reverse {
        s.push_str(if rv.value { " reverse" } else { " noreverse" });
    }
    s
}

fn tracking(o: &mut Out, t: &Tracking) {
    for (kw, list) in [
        ("track_interface", &t.interfaces),
        ("track_script", &t.scripts),
        ("track_file", &t.files),
        ("track_process", &t.processes),
        ("track_bfd", &t.bfd),
    ] {
        if !list.is_empty() {
            o.line(1, &format!("{kw} {{"), None);
            for r in list {
                o.line(2, &track_ref(r), None);
            }
            o.line(1, "}", None);
        }
    }
}

fn notify(o: &mut Out, n: &Notify) {
    for (kw, c) in [
        ("notify_master", &n.master),
        ("notify_backup", &n.backup),
        ("notify_fault", &n.fault),
        ("notify_stop", &n.stop),
        ("notify", &n.any),
        ("notify_master_rx_lower_pri", &n.master_rx_lower_pri),
    ] {
        if let Some(c) = c {
            o.line(1, &format!("{kw} {}", cmd(c)), None);
        }
    }
    if let Some(dl) = &n.deleted {
        match &dl.value {
            Some(c) => o.line(1, &format!("notify_deleted {}", cmd(c)), None),
            None => o.line(1, "notify_deleted", None),
        }
    }
}

fn instance(o: &mut Out, i: &Instance) {
    let e = &i.effective;
    o.line(0, &format!("vrrp_instance {} {{", q(&i.name.value)), None);
    o.derived(1, "state", &e.state, |s| {
        s.map(|s| s.as_str()).unwrap_or("BACKUP").to_string()
    });
    o.opt(1, "interface", &i.interface, |v| v.clone());
    o.opt(1, "virtual_router_id", &i.vrid, |v| v.to_string());
    o.derived(1, "priority", &e.priority, |v| v.to_string());
    o.derived(1, "advert_int", &e.advert_int_cs, |cs| {
        fmt_us(u64::from(*cs) * 10_000)
    });
    o.derived(1, "version", &e.version, |v| {
        v.map(|v| v.number()).unwrap_or(2).to_string()
    });
    let fam = e.family.value.map(|f| f.as_str()).unwrap_or("IPv4");
    o.line(1, &format!("# family {fam}"), Some(&e.family.origin));
    if e.nopreempt.value {
        o.line(1, "nopreempt", None);
    } else if i.nopreempt.is_some() {
        o.line(1, "# nopreempt cleared", Some(&e.nopreempt.origin));
    }
    if !e.preempt_delay.value.is_zero() || i.preempt_delay.is_some() {
        o.derived(1, "preempt_delay", &e.preempt_delay, secs);
    }
    o.derived(1, "strict_mode", &e.strict, b);
    let accept = if e.accept.value {
        "accept"
    } else {
        "no_accept"
    };
    o.line(1, accept, Some(&e.accept.origin));
    match &e.auth.value {
        Some((t, pass)) => {
            o.line(1, "authentication {", None);
            o.line(2, &format!("auth_type {}", t.as_str()), None);
            o.line(
                2,
                &format!("auth_pass {}", q(&String::from_utf8_lossy(pass))),
                None,
            );
            o.line(1, "}", None);
        }
        None if i.authentication.is_some() => {
            o.line(1, "# authentication ignored (see diagnostics)", None)
        }
        None => {}
    }
    if let Some(s) = &i.unicast_src_ip {
        o.line(1, &format!("unicast_src_ip {}", s.value), None);
    }
    if !i.unicast_peers.is_empty() {
        o.line(1, "unicast_peer {", None);
        for p in &i.unicast_peers {
            let mut s = p.addr.value.to_string();
            if let Some(t) = &p.min_ttl {
                let _ = write!(s, " min_ttl {}", t.value);
            }
            if let Some(t) = &p.max_ttl {
                let _ = write!(s, " max_ttl {}", t.value);
            }
            o.line(2, &s, None);
        }
        o.line(1, "}", None);
    } else {
        o.derived(1, "# multicast group", &e.mcast_group, |g| {
            g.map(|g| g.to_string()).unwrap_or_default()
        });
    }
    o.opt(1, "unicast_ttl", &i.unicast_ttl, |v| v.to_string());
    o.flag(1, "unicast_fault_no_peer", &i.unicast_fault_no_peer);
    o.opt(1, "mcast_src_ip", &i.mcast_src_ip, |v| v.to_string());
    o.flag(1, "track_src_ip", &i.track_src_ip);
    o.derived(1, "down_timer_adverts", &e.down_timer_adverts, |v| {
        v.to_string()
    });
    o.derived(1, "lower_prio_no_advert", &e.lower_prio_no_advert, b);
    o.derived(1, "higher_prio_send_advert", &e.higher_prio_send_advert, b);
    o.derived(1, "skip_check_adv_addr", &e.skip_check_adv_addr, b);
    o.derived(1, "check_unicast_src", &e.check_unicast_src, b);
    o.derived(1, "smtp_alert", &e.smtp_alert, b);
    o.derived(1, "garp_master_delay", &e.garp_master_delay, |v| {
        v.to_string()
    });
    o.derived(1, "garp_master_repeat", &e.garp_master_repeat, |v| {
        v.to_string()
    });
    o.derived(1, "garp_master_refresh", &e.garp_master_refresh, |v| {
        v.to_string()
    });
    o.derived(
        1,
        "garp_master_refresh_repeat",
        &e.garp_master_refresh_repeat,
        |v| v.to_string(),
    );
    o.derived(1, "garp_lower_prio_delay", &e.garp_lower_prio_delay, |v| {
        v.to_string()
    });
    o.derived(
        1,
        "garp_lower_prio_repeat",
        &e.garp_lower_prio_repeat,
        |v| v.to_string(),
    );
    o.opt(1, "garp_extra_if", &i.garp.extra_if, |v| {
        format!("{}{}", if v.all { "all " } else { "" }, v.secs)
    });
    if let Some(v) = &i.use_vmac {
        let mut s = "use_vmac".to_string();
        if let Some(n) = &v.value.ifname {
            let _ = write!(s, " {}", n.value);
        }
        if let Some(m) = &v.value.mac {
            let [a, b2, c, d, e2, f] = m.value;
            let _ = write!(s, " {a:02x}:{b2:02x}:{c:02x}:{d:02x}:{e2:02x}:{f:02x}");
        }
        o.line(1, &s, None);
    }
    o.flag(1, "vmac_xmit_base", &i.vmac_xmit_base);
    o.flag(1, "use_vmac_addr", &i.use_vmac_addr);
    o.flag(1, "promote_secondaries", &i.promote_secondaries);
    o.flag(1, "dont_track_primary", &i.dont_track_primary);
    o.flag(1, "notify_priority_changes", &i.notify_priority_changes);
    o.opt(1, "kernel_rx_buf_size", &i.kernel_rx_buf_size, |v| {
        v.to_string()
    });
    o.opt(1, "vrf", &i.vrf, |v| v.clone());
    for (kw, list) in [
        ("virtual_ipaddress", &i.vips),
        ("virtual_ipaddress_excluded", &i.excluded_vips),
    ] {
        if !list.is_empty() {
            o.line(1, &format!("{kw} {{"), None);
            for a in list {
                o.line(2, &ipaddr(a), None);
            }
            o.line(1, "}", None);
        }
    }
    if !i.routes.is_empty() {
        o.line(1, "virtual_routes {", None);
        for r in &i.routes {
            o.line(2, &route(r), None);
        }
        o.line(1, "}", None);
    }
    if !i.rules.is_empty() {
        o.line(1, "virtual_rules {", None);
        for r in &i.rules {
            o.line(2, &rule(r), None);
        }
        o.line(1, "}", None);
    }
    tracking(o, &i.tracking);
    for t in &e.trackers {
        let rev = if t.reverse { " reverse" } else { "" };
        o.line(
            1,
            &format!(
                "# effective {} {} weight {}{rev}",
                t.kind.keyword(),
                t.name,
                t.weight.value
            ),
            Some(&t.weight.origin),
        );
    }
    if let Some(g) = &e.sync_group {
        o.line(1, &format!("# member of vrrp_sync_group {g}"), None);
    }
    notify(o, &i.notify);
    o.line(0, "}", None);
}
