//! `keepalived.data` (SIGUSR1): the `VRRP Topology` and `VRRP Scripts` sections with
//! keepalived 2.2.7's lines, in its order (`dump_vrrp` and `dump_vscript` in `vrrp_data.c`;
//! docs/keepalived-compat.md#dump-files). Lines about what vrrpd does not have (socket
//! descriptors, the read timer, VMACs) are left out; the counts keepalived keeps that vrrpd
//! does not (configuration faults) are written with keepalived's value on a healthy node.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::{Duration, UNIX_EPOCH};

use super::vip::vip_text;
use super::{ScriptFacts, Sources};
use crate::proto::{AuthSettings, InstanceSettings, InstanceSnapshot, State, TrackTarget};
use crate::track::{TrackerKind, TrackerUse};
use crate::wire::Version;

/// The whole file: the sections vrrpd has, keepalived's titles.
pub fn data_text(src: &Sources) -> String {
    let mut s = String::new();
    if !src.snap.instances.is_empty() {
        s.push_str("------< VRRP Topology >------\n");
        for i in &src.snap.instances {
            let cfg = src.settings.instances.iter().find(|c| c.name == i.name);
            instance(&mut s, src, i, cfg);
        }
    }
    if !src.facts.scripts.is_empty() {
        s.push_str("------< VRRP Scripts >------\n");
        for f in &src.facts.scripts {
            script(&mut s, src, f);
        }
    }
    s
}

/// keepalived's "Wantstate" (the core's `wanted_state`).
pub fn wanted(i: &InstanceSnapshot) -> State {
    i.wanted_state
}

/// When the instance last changed state, since the node started.
pub fn last_transition_at(i: &InstanceSnapshot) -> Option<Duration> {
    i.last_transition.map(|t| t.at)
}

/// `EPOCH.USEC (Www Mmm dd hh:mm:ss.USEC yyyy)`, keepalived's `Last transition` value.
fn epoch_line(src: &Sources, at: Option<Duration>) -> String {
    let t = at
        .map(|a| src.wall(a))
        .unwrap_or(UNIX_EPOCH)
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = libc::time_t::try_from(t.as_secs()).unwrap_or(0);
    let us = t.subsec_micros();
    let date = crate::sys::localtime::strftime_local("%a %b %e %H:%M:%S", secs);
    let year = crate::sys::localtime::strftime_local("%Y", secs);
    format!("{}.{us:06} ({date}.{us:06} {year})", t.as_secs())
}

fn uses<'a>(
    src: &'a Sources,
    name: &'a str,
    kind: TrackerKind,
) -> impl Iterator<Item = &'a TrackerUse> + 'a {
    src.facts
        .uses
        .iter()
        .filter(move |u| u.kind == kind && u.target == TrackTarget::Instance(name.to_string()))
}

fn reverse(r: bool) -> &'static str {
    if r {
        " reverse"
    } else {
        ""
    }
}

fn enabled(b: bool) -> &'static str {
    if b {
        "enabled"
    } else {
        "disabled"
    }
}

fn instance(s: &mut String, src: &Sources, i: &InstanceSnapshot, cfg: Option<&InstanceSettings>) {
    let _ = writeln!(s, " VRRP Instance = {}", i.name);
    let v3 = cfg.is_some_and(|c| c.version == Version::V3);
    let _ = writeln!(s, "   VRRP Version = {}", if v3 { 3 } else { 2 });
    if let Some(g) = cfg.and_then(|c| c.sync_group.as_ref()) {
        let _ = writeln!(s, "   Sync group = {g}");
    }
    if cfg.is_some_and(|c| c.src.is_ipv6()) {
        let _ = writeln!(s, "   Using Native IPv6");
    }
    let _ = writeln!(s, "   State = {}", i.state.word());
    if i.state == State::Backup {
        let master = i
            .master_addr
            .map_or_else(|| "(none)".to_string(), |a| a.to_string());
        let _ = writeln!(s, "   Master router = {master}");
        let _ = writeln!(s, "   Master priority = {}", i.master_priority);
        if v3 {
            let _ = writeln!(
                s,
                "   Master advert int = {:.2} sec",
                f64::from(i.master_adver_int.0) / 100.0
            );
        }
    }
    let unicast = cfg.is_some_and(|c| !c.unicast_peers.is_empty());
    if unicast {
        let _ = writeln!(s, "   Flags:\n     Using unicast");
    } else {
        let _ = writeln!(s, "   Flags: none");
    }
    let _ = writeln!(s, "   Wantstate = {}", wanted(i).word());
    let _ = writeln!(s, "   Number of config faults = 0");
    let script_init = uses(src, &i.name, TrackerKind::Script)
        .filter(|u| {
            src.trackers
                .script(&u.name)
                .is_some_and(|t| t.health().is_none())
        })
        .count();
    let _ = writeln!(
        s,
        "   Number of interface and track script faults = {}",
        u8::from(i.state == State::Fault)
    );
    let _ = writeln!(s, "   Number of track scripts init = {script_init}");
    let _ = writeln!(
        s,
        "   Last transition = {}",
        epoch_line(src, last_transition_at(i))
    );
    let Some(c) = cfg else { return };
    let _ = writeln!(
        s,
        "   Master down timer = {} usecs",
        master_down_usecs(i, c)
    );
    let _ = writeln!(s, "   Interface = {}", c.ifname);
    let _ = writeln!(s, "   Using src_ip = {}", c.src);
    if !unicast {
        match c.mcast_group {
            IpAddr::V4(g) => {
                let _ = writeln!(s, "   Multicast address {g}");
            }
            IpAddr::V6(g) => {
                let _ = writeln!(s, "   Multicast address {g}, ifindex {}", c.ifindex);
            }
        }
    }
    let g = &c.garp;
    let _ = writeln!(s, "   Gratuitous ARP delay = {}", g.master_delay.0 / 100);
    let _ = writeln!(s, "   Gratuitous ARP repeat = {}", g.master_repeat);
    let _ = writeln!(
        s,
        "   Gratuitous ARP refresh = {}",
        g.master_refresh.0 / 100
    );
    let _ = writeln!(s, "   Gratuitous ARP refresh repeat = {}", g.refresh_repeat);
    let _ = writeln!(
        s,
        "   Gratuitous ARP lower priority delay = {}",
        g.lower_prio_delay.0 / 100
    );
    let _ = writeln!(
        s,
        "   Gratuitous ARP lower priority repeat = {}",
        g.lower_prio_repeat
    );
    let _ = writeln!(s, "   Down timer adverts = {}", c.down_timer_adverts);
    let _ = writeln!(
        s,
        "   Send advert after receive lower priority advert = {}",
        !c.lower_prio_no_advert
    );
    let _ = writeln!(
        s,
        "   Send advert after receive higher priority advert = {}",
        c.higher_prio_send_advert
    );
    let _ = writeln!(s, "   Virtual Router ID = {}", i.vrid);
    let _ = writeln!(s, "   Priority = {}", i.base_priority);
    let _ = writeln!(s, "   Effective priority = {}", i.effective_priority);
    let _ = writeln!(s, "   Total priority = {}", i.effective_priority);
    if v3 {
        let _ = writeln!(s, "   Advert interval = {} milli-sec", c.advert_int.0 * 10);
        if i.state == State::Backup {
            let _ = writeln!(
                s,
                "   Master advert interval = {} milli-sec",
                i.master_adver_int.0 * 10
            );
        }
    } else {
        let _ = writeln!(s, "   Advert interval = {} sec", c.advert_int.0 / 100);
    }
    let _ = writeln!(s, "   Accept = {}", enabled(c.accept));
    let _ = writeln!(s, "   Preempt = {}", enabled(c.preempt));
    if c.preempt_delay.0 > 0 {
        let _ = writeln!(
            s,
            "   Preempt delay = {} secs",
            f64::from(c.preempt_delay.0) / 100.0
        );
    }
    let _ = writeln!(s, "   Promote_secondaries = disabled");
    match &c.auth {
        AuthSettings::Pass(p) => {
            let _ = writeln!(s, "   Authentication type = SIMPLE_PASSWORD");
            let _ = writeln!(s, "   Password = {}", p.chars().take(8).collect::<String>());
        }
        // keepalived never prints the AH key.
        AuthSettings::Ah(_) => {
            let _ = writeln!(s, "   Authentication type = IPSEC_AH");
        }
        AuthSettings::None if !v3 => {
            let _ = writeln!(s, "   Authentication type = none");
        }
        AuthSettings::None => {}
    }
    let held = |a: &IpAddr| i.vips.contains(a);
    if !c.vips.is_empty() {
        let _ = writeln!(s, "   Virtual IP ({}):", c.vips.len());
        for v in &c.vips {
            let _ = writeln!(s, "     {}", vip_text(v, held(&v.addr)));
        }
    }
    if !c.excluded_vips.is_empty() {
        let _ = writeln!(s, "   Virtual IP Excluded :");
        for v in &c.excluded_vips {
            let _ = writeln!(s, "     {}", vip_text(v, held(&v.addr)));
        }
    }
    if unicast {
        let _ = writeln!(
            s,
            "   Check unicast src : {}",
            if c.check_unicast_src { "yes" } else { "no" }
        );
        let _ = writeln!(s, "   Unicast Peer :");
        for p in &c.unicast_peers {
            let (lo, hi) = p.ttl_range.unwrap_or((0, 255));
            let _ = writeln!(s, "     {} min_ttl {lo} max_ttl {hi}", p.addr);
        }
    }
    if !c.routes.is_empty() {
        let _ = writeln!(s, "   Virtual Routes :");
        for r in &c.routes {
            let _ = writeln!(s, "     {r}");
        }
    }
    if !c.rules.is_empty() {
        let _ = writeln!(s, "   Virtual Rules :");
        for r in &c.rules {
            let _ = writeln!(s, "     {r}");
        }
    }
    for (kind, title) in [
        (TrackerKind::Interface, "Tracked interfaces"),
        (TrackerKind::Script, "Tracked scripts"),
        (TrackerKind::File, "Tracked files"),
        (TrackerKind::Process, "Tracked processes"),
    ] {
        let mut list = uses(src, &i.name, kind).peekable();
        if list.peek().is_some() {
            let _ = writeln!(s, "   {title} :");
        }
        for u in list {
            let _ = writeln!(
                s,
                "     {} weight {}{}",
                u.name,
                u.weight,
                reverse(u.reverse)
            );
        }
    }
    let smtp = if src.facts.smtp_alert.contains(&i.name) {
        "yes"
    } else {
        "no"
    };
    let _ = writeln!(s, "   Using smtp notification = {smtp}");
    let deleted = if c.notify_deleted { "Deleted" } else { "Fault" };
    let _ = writeln!(s, "   Notify deleted = {deleted}");
    if let Some(n) = src.hooks.and_then(|h| h.instances.get(&i.name)) {
        for (_, word, p) in super::notify_commands(n) {
            let _ = writeln!(
                s,
                "   {word} state transition script = {}, uid:gid {}:{}",
                super::quoted(&p.argv),
                p.identity.uid,
                p.identity.gid
            );
        }
    }
    let _ = writeln!(s, "   Notify priority changes = false");
}

/// keepalived's `ms_down_timer`: `down_timer_adverts` × the master's interval + skew time
/// ((256 − priority) × interval / 256), in microseconds.
fn master_down_usecs(i: &InstanceSnapshot, c: &InstanceSettings) -> u64 {
    let adv = u64::from(i.master_adver_int.0) * 10_000;
    let skew = (256 - u64::from(i.effective_priority)) * adv / 256;
    u64::from(c.down_timer_adverts) * adv + skew
}

fn script(s: &mut String, src: &Sources, f: &ScriptFacts) {
    let t = src.trackers.script(&f.name);
    let p = t.map(|t| t.params());
    let _ = writeln!(s, " VRRP Script = {}", f.name);
    let _ = writeln!(s, "   Command = {}", f.command);
    let _ = writeln!(
        s,
        "   Interval = {} sec",
        p.map_or(0, |p| p.interval.as_secs())
    );
    let _ = writeln!(
        s,
        "   Timeout = {} sec",
        p.map_or(0, |p| p.timeout.as_secs())
    );
    let _ = writeln!(s, "   Weight = {}{}", f.weight, reverse(f.weight_reverse));
    let (rise, fall) = p.map_or((1, 1), |p| (p.rise, p.fall));
    let _ = writeln!(s, "   Rise = {rise}");
    let _ = writeln!(s, "   Fall = {fall}");
    let result = t.map_or(0, |t| t.result());
    let _ = writeln!(s, "   Result = {result}");
    let _ = writeln!(s, "   Insecure = {}", if f.insecure { "yes" } else { "no" });
    let init = match (t.and_then(|t| t.health()), p.is_some_and(|p| p.init_fail)) {
        (None, _) => "INIT",
        (Some(false), true) if result == 0 => "INIT/FAILED",
        _ => "unknown",
    };
    let _ = writeln!(s, "   Init state = {init}");
    let good = if result >= rise { "GOOD" } else { "BAD" };
    let _ = writeln!(s, "   Status = {good}");
    let _ = writeln!(s, "   Script uid:gid = {}:{}", f.uid, f.gid);
    let _ = writeln!(s, "   VRRP instances :");
    let users: Vec<&TrackerUse> = src
        .facts
        .uses
        .iter()
        .filter(|u| u.kind == TrackerKind::Script && u.name == f.name)
        .collect();
    if !users.is_empty() {
        let _ = writeln!(s, "   Tracking instances :");
    }
    for u in users {
        let name = match &u.target {
            TrackTarget::Instance(n) | TrackTarget::Group(n) => n,
        };
        let _ = writeln!(s, "     {name}, weight {}{}", u.weight, reverse(u.reverse));
    }
    let running = t.is_some_and(|t| t.is_running());
    let _ = writeln!(s, "   State = {}", if running { "running" } else { "idle" });
}
