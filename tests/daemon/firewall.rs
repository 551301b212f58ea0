//! The `no_accept` firewall (docs/keepalived-compat.md#firewall-rules) in namespace labs:
//! strict mode installs keepalived's nftables tables, the MASTER's VIPs are in the `vips`
//! set exactly while it holds them, a client's packets to the VIP are dropped, SIGTERM
//! deletes the tables, and after SIGKILL the next start deletes the stale ones
//! (`Deleting old ip keepalived table`). The tables read the same as keepalived 2.2.7's for
//! the same configuration.

use crate::common;

use std::process::Output;
use std::time::{Duration, Instant};

use common::lab::{self, Daemon, Instance, Lab};
use nix::sys::signal::Signal;

const VIP: &str = "10.0.0.100";
const VIP6: &str = "2001:db8::100";
const LL: &str = "fe80::100";

/// `nft ARGS` in router i's namespace.
fn nft(lab: &Lab, i: usize, args: &[&str]) -> Output {
    let mut all = vec!["nft"];
    all.extend_from_slice(args);
    lab.command(lab.ns(i), &all).output().expect("run nft")
}

/// Router i's ruleset as nft's JSON objects (metainfo left out).
fn ruleset(lab: &Lab, i: usize) -> Vec<serde_json::Value> {
    let out = nft(lab, i, &["-j", "list", "ruleset"]);
    assert!(out.status.success(), "nft -j list ruleset: {out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("nft JSON");
    v["nftables"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|o| o.get("metainfo").is_none())
        .collect()
}

/// The elements of set `set` in table `family keepalived` of router i, as nft prints them;
/// `None` when the set (or its table) does not exist.
fn elements(lab: &Lab, i: usize, family: &str, set: &str) -> Option<Vec<String>> {
    let s = ruleset(lab, i).into_iter().find_map(|o| {
        let s = o.get("set")?.clone();
        (s["family"] == family && s["table"] == "keepalived" && s["name"] == set).then_some(s)
    })?;
    let mut e: Vec<String> = s
        .get("elem")
        .and_then(|e| e.as_array())
        .map(|a| a.iter().map(|x| x.to_string().replace('"', "")).collect())
        .unwrap_or_default();
    e.sort();
    Some(e)
}

/// The tables of router i (`family name`).
fn tables(lab: &Lab, i: usize) -> Vec<String> {
    ruleset(lab, i)
        .into_iter()
        .filter_map(|o| {
            let t = o.get("table")?;
            Some(format!("{} {}", t["family"].as_str()?, t["name"].as_str()?))
        })
        .collect()
}

/// Polls until `check` holds (every 20 ms), panicking with `what` and the logs after `timeout`.
fn wait_for(lab: &Lab, what: &str, timeout: Duration, check: impl Fn(&Lab) -> bool) {
    let t0 = Instant::now();
    while !check(lab) {
        assert!(
            t0.elapsed() < timeout,
            "{what} not within {timeout:?}\n{}",
            lab.all_logs()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn strict(instances: &[Instance]) -> String {
    let mut s = "global_defs {\n    vrrp_strict\n}\n\n".to_string();
    for i in instances {
        s.push_str(&i.render());
    }
    s
}

fn vi1(priority: u8) -> Instance {
    Instance::v3("VI_1", 51, priority, "0.1").vip(&format!("{VIP}/24"))
}

#[test]
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root and network namespaces (netns-tests)"
)]
fn strict_mode_drops_vip_traffic_on_the_master_only_and_stop_removes_the_tables() {
    lab::require_tool("nft");
    let mut lab = Lab::new(&lab::tag("strict_mode_drops_vip_traffic", "f"), 2);
    lab.start_ready(0, Daemon::Vrrpd, &strict(&[vi1(150)]));
    lab.start_ready(1, Daemon::Vrrpd, &strict(&[vi1(100)]));
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    let master_has_it = |l: &Lab| elements(l, 0, "ip", "vips") == Some(vec![VIP.to_string()]);
    wait_for(
        &lab,
        "the VIP in the master's set",
        Duration::from_secs(5),
        master_has_it,
    );
    // The backup never was master: keepalived builds nothing there either.
    assert_eq!(elements(&lab, 1, "ip", "vips"), None, "{}", lab.all_logs());
    // The master answers on its own address, never on the VIP (RFC 5798 section 6.4.3).
    assert!(lab.client_reaches("10.0.0.1"));
    assert!(
        !lab.client_reaches(VIP),
        "strict mode: the VIP must not answer"
    );

    // SIGTERM: the master releases the VIP, deletes its tables; the backup takes both over.
    assert!(lab.stop(0).is_some_and(|s| s.success()));
    assert_eq!(tables(&lab, 0), Vec::<String>::new(), "{}", lab.all_logs());
    lab.wait_holders(VIP, &[1], Duration::from_secs(5));
    let backup_has_it = |l: &Lab| elements(l, 1, "ip", "vips") == Some(vec![VIP.to_string()]);
    wait_for(
        &lab,
        "the VIP in the new master's set",
        Duration::from_secs(5),
        backup_has_it,
    );
    assert!(!lab.client_reaches(VIP), "the new master drops it too");

    // The old master comes back and preempts: the VIP leaves router 1's set, the table stays.
    lab.start_ready(0, Daemon::Vrrpd, &strict(&[vi1(150)]));
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    let emptied = |l: &Lab| elements(l, 1, "ip", "vips") == Some(Vec::new());
    wait_for(
        &lab,
        "router 1's set emptied",
        Duration::from_secs(5),
        emptied,
    );
    lab.signal(1, Signal::SIGTERM);
    assert!(lab
        .wait_exit(1, Duration::from_secs(5))
        .is_some_and(|s| s.success()));
    assert_eq!(tables(&lab, 1), Vec::<String>::new());
}

#[test]
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root and network namespaces (netns-tests)"
)]
fn after_sigkill_the_next_start_deletes_the_stale_tables_and_builds_them_again() {
    lab::require_tool("nft");
    let mut lab = Lab::new(&lab::tag("after_sigkill_the_next_start", "f"), 1);
    let conf = strict(&[vi1(100)]);
    lab.start_ready(0, Daemon::Vrrpd, &conf);
    lab.wait_holds(0, VIP, Duration::from_secs(10));
    let has_vip = |l: &Lab| elements(l, 0, "ip", "vips") == Some(vec![VIP.to_string()]);
    wait_for(&lab, "the VIP in the set", Duration::from_secs(5), has_vip);
    lab.kill9(0);
    lab.forget(0);
    // A crash leaves the table, VIP and all.
    assert_eq!(tables(&lab, 0), ["ip keepalived"]);
    lab.start_ready(0, Daemon::Vrrpd, &conf);
    lab.wait_log(
        0,
        "Deleting old ip keepalived table",
        Duration::from_secs(5),
    );
    lab.wait_holds(0, VIP, Duration::from_secs(10));
    wait_for(
        &lab,
        "the VIP in the rebuilt set",
        Duration::from_secs(5),
        has_vip,
    );
    // Rebuilt once: one drop rule per chain, not two.
    let rules = ruleset(&lab, 0)
        .into_iter()
        .filter(|o| o.get("rule").is_some())
        .count();
    assert_eq!(rules, 2, "{:#?}", ruleset(&lab, 0));
    assert!(!lab.client_reaches(VIP));
    assert!(lab.stop(0).is_some_and(|s| s.success()));
    assert_eq!(tables(&lab, 0), Vec::<String>::new());
}

/// `ping -c 1 -W 1 ip` from the client: whether it was answered.
fn client_pings(lab: &Lab, ip: &str) -> bool {
    lab::require_tool("ping");
    lab.command(&lab.client, &["ping", "-c", "1", "-W", "1", ip])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// SIGHUP to router i; waits for its next `Reload complete`.
fn reload(lab: &mut Lab, i: usize) {
    let n = lab.log(i).matches("Reload complete").count();
    lab.signal(i, Signal::SIGHUP);
    let t0 = Instant::now();
    while lab.log(i).matches("Reload complete").count() <= n {
        lab.assert_running(i, "reloading");
        assert!(t0.elapsed() < Duration::from_secs(5), "{}", lab.log(i));
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root and network namespaces (netns-tests)"
)]
fn a_reload_to_accept_opens_the_vip_and_back_to_no_accept_closes_it() {
    lab::require_tool("nft");
    let mut lab = Lab::new(&lab::tag("a_reload_to_accept_opens", "f"), 1);
    lab.start_ready(0, Daemon::Vrrpd, &strict(&[vi1(100)]));
    lab.wait_holds(0, VIP, Duration::from_secs(10));
    let has_vip = |l: &Lab| elements(l, 0, "ip", "vips") == Some(vec![VIP.to_string()]);
    wait_for(&lab, "the VIP in the set", Duration::from_secs(5), has_vip);
    assert!(!client_pings(&lab, VIP));
    // VRRPv3 strict mode allows `accept`: nothing blocks any more, the tables go.
    lab.write_conf(0, &strict(&[vi1(100).extra("accept")]));
    reload(&mut lab, 0);
    let gone = |l: &Lab| tables(l, 0).is_empty();
    wait_for(&lab, "the tables deleted", Duration::from_secs(5), gone);
    assert!(
        client_pings(&lab, VIP),
        "accept: the VIP answers\n{:?}\n{}\n{}",
        ruleset(&lab, 0),
        lab.ip(lab.ns(0), &["addr"]),
        lab.all_logs()
    );
    assert!(lab.client_reaches(VIP));
    // And back: the MASTER's VIP (kept across the reload) is blocked again.
    lab.write_conf(0, &strict(&[vi1(100)]));
    reload(&mut lab, 0);
    wait_for(
        &lab,
        "the VIP in the set again",
        Duration::from_secs(5),
        has_vip,
    );
    assert!(!client_pings(&lab, VIP));
    assert_eq!(lab.holders(VIP), [0], "the reload kept MASTER");
}

/// Router i's ruleset with what differs between two runs taken out: handles, and the order
/// of set elements.
fn comparable(lab: &Lab, i: usize) -> Vec<serde_json::Value> {
    let mut all = ruleset(lab, i);
    for o in &mut all {
        if let Some(obj) = o.as_object_mut().and_then(|m| m.values_mut().next()) {
            if let Some(m) = obj.as_object_mut() {
                m.remove("handle");
                // Counters count different traffic in the two runs.
                if let Some(serde_json::Value::Array(expr)) = m.get_mut("expr") {
                    for e in expr {
                        if let Some(c) = e.get_mut("counter") {
                            *c = serde_json::Value::Null;
                        }
                    }
                }
                if let Some(serde_json::Value::Array(e)) = m.get_mut("elem") {
                    e.sort_by_key(|x| x.to_string());
                }
            }
        }
    }
    all
}

#[test]
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root and network namespaces (netns-tests)"
)]
fn the_tables_are_keepalived_s_for_the_same_configuration() {
    let v6 = Instance::v3("VI_6", 52, 100, "0.1")
        .vip(LL)
        .vip(&format!("{VIP6}/64"));
    same_as_keepalived(
        "the_tables_are_keepalived_s",
        &strict(&[vi1(100), v6]),
        "keepalived",
        "vips_link_local",
    );
}

#[test]
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root and network namespaces (netns-tests)"
)]
fn named_tables_counters_priority_and_link_local_by_name_are_keepalived_s() {
    let v6 = Instance::v3("VI_6", 52, 100, "0.1")
        .vip(LL)
        .vip(&format!("{VIP6}/64"))
        .extra("dont_track_primary");
    let conf = strict(&[vi1(100), v6]).replacen(
        "vrrp_strict\n",
        "vrrp_strict\n    nftables vrrp_fw\n    nftables_priority -7\n    nftables_counters\n",
        1,
    );
    same_as_keepalived(
        "named_tables_counters",
        &conf,
        "vrrp_fw",
        "vips_link_local_name",
    );
}

/// `nft list` text with `counter packets N bytes M` cut to `counter`.
fn without_counts(text: &str) -> String {
    let mut out = Vec::new();
    let mut words = text.split(' ').peekable();
    while let Some(w) = words.next() {
        out.push(w.to_string());
        if w == "counter" && words.peek() == Some(&"packets") {
            // packets N bytes M
            for _ in 0..4 {
                words.next();
            }
        }
    }
    out.join(" ")
}

/// Runs keepalived, then vrrpd, on router 0 with `conf`; both must drop the client's TCP and
/// ping to the VIP, and leave the same tables (`table`, with the link-local set `ll_set`).
fn same_as_keepalived(name: &str, conf: &str, table: &str, ll_set: &str) {
    lab::require_tool("nft");
    Daemon::Keepalived.require();
    let mut lab = Lab::new(&lab::tag(name, "f"), 1);
    let mut seen = Vec::new();
    for daemon in [Daemon::Keepalived, Daemon::Vrrpd] {
        lab.start_ready(0, daemon, conf);
        lab.wait_holds(0, VIP, Duration::from_secs(10));
        lab.wait_holds(0, VIP6, Duration::from_secs(10));
        let full = |l: &Lab| {
            let sets = ruleset(l, 0);
            let count = |family: &str, set: &str| {
                sets.iter().find_map(|o| {
                    let s = o.get("set")?;
                    (s["family"] == family && s["table"] == table && s["name"] == set)
                        .then(|| s.get("elem").and_then(|e| e.as_array()).map_or(0, Vec::len))
                })
            };
            count("ip", "vips") == Some(1)
                && count("ip6", "vips") == Some(1)
                && count("ip6", ll_set) == Some(1)
        };
        wait_for(&lab, "every VIP in the sets", Duration::from_secs(5), full);
        assert!(
            !lab.client_reaches(VIP),
            "{} lets the VIP answer TCP",
            daemon.name()
        );
        assert!(
            !client_pings(&lab, VIP),
            "{} answers pings to the VIP",
            daemon.name()
        );
        assert!(
            client_pings(&lab, "10.0.0.1"),
            "the node's own address answers"
        );
        let text = nft(&lab, 0, &["list", "table", "ip", table]);
        seen.push((
            without_counts(&String::from_utf8_lossy(&text.stdout)),
            comparable(&lab, 0),
        ));
        assert!(lab.stop(0).is_some_and(|s| s.success()));
        assert_eq!(tables(&lab, 0), Vec::<String>::new(), "{}", daemon.name());
    }
    let (ka, ours) = (&seen[0], &seen[1]);
    assert!(ka.0.contains(VIP), "{}", ka.0);
    assert_eq!(ka.0, ours.0, "`nft list table ip {table}` differs");
    assert_eq!(
        serde_json::to_string_pretty(&ka.1).unwrap(),
        serde_json::to_string_pretty(&ours.1).unwrap(),
        "the rulesets differ"
    );
}

#[test]
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root and network namespaces (netns-tests)"
)]
fn without_nft_the_master_still_serves_and_says_what_is_missing() {
    lab::require_tool("nft");
    let mut lab = Lab::new(&lab::tag("without_nft_the_master", "f"), 1);
    // A PATH without /usr/sbin: no `nft` (the daemon itself is started by its full path).
    lab.start_env(
        0,
        Daemon::Vrrpd,
        &strict(&[vi1(100)]),
        &[],
        &[("PATH", "/usr/bin:/bin")],
    );
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_holds(0, VIP, Duration::from_secs(10));
    lab.wait_log(0, "install nftables", Duration::from_secs(5));
    lab.assert_running(0, "running without nft");
    assert_eq!(tables(&lab, 0), Vec::<String>::new());
    lab.signal(0, Signal::SIGTERM);
    let st = lab.wait_exit(0, Duration::from_secs(5));
    assert!(st.is_some_and(|s| s.success()), "{st:?}\n{}", lab.log(0));
}
