//! Lowering of every section into the typed model (docs/keepalived-compat.md#global_defs-keywords, docs/keepalived-compat.md#vrrp_instance-keywords, docs/keepalived-compat.md#virtual-address-entries, docs/keepalived-compat.md#tracking-and-priority, docs/keepalived-compat.md#sync-groups):
//! each value lands in its field with the right type.

use std::net::IpAddr;
use std::time::Duration;

use vrrpd::config::model::{Broadcast, Config, Lifetime, Scope, Version};
use vrrpd::config::{self};

fn load_ok(text: &str) -> Config {
    let mut l = config::load_str(text);
    assert!(!l.has_errors(), "unexpected errors:\n{}", l.render());
    l.config.take().expect("config")
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

#[test]
fn global_defs_fields() {
    let c = load_ok(
        r#"global_defs {
    router_id "edge 1"
    vrrp_version 3
    vrrp_mcast_group4 224.0.0.100
    vrrp_mcast_group6 ff02::107
    vrrp_garp_master_delay 3
    vrrp_garp_master_repeat 2
    vrrp_garp_master_refresh 60
    vrrp_garp_master_refresh_repeat 2
    vrrp_garp_lower_prio_delay 1
    vrrp_garp_lower_prio_repeat 0
    vrrp_garp_interval 0.001
    vrrp_gna_interval 0.5
    vrrp_min_garp true
    vrrp_garp_extra_if all 30
    vrrp_down_timer_adverts 4
    vrrp_lower_prio_no_advert
    vrrp_higher_prio_send_advert off
    vrrp_skip_check_adv_addr
    vrrp_check_unicast_src
    enable_script_security
    script_user keepalived_script nogroup
    max_auto_priority
    vrrp_priority -10
    vrrp_rt_priority 50
    vrrp_no_swap
    vrrp_cpu_affinity 0 1
    dynamic_interfaces allow_if_changes
    default_interface eth1
    vrrp_startup_delay 2.5
    log_unknown_vrids
    vrrp_notify_fifo /run/vrrp.fifo root root
    vrrp_notify_fifo_script "/usr/local/bin/fifo.sh"
    vrrp_notify_priority_changes
    notification_email {
        ops@example.com
        noc@example.com
    }
    notification_email_from vrrp@example.com
    smtp_server mail.example.com 587
    smtp_connect_timeout 10
    smtp_alert_vrrp
    startup_script "/bin/echo up" root
    startup_script_timeout 20
    reload_check_config /var/log/reload.log
    umask 0077
    random_seed 42
    nftables keepalived
    enable_snmp_vrrp
    lvs_flush
}
"#,
    );
    let g = &c.global;
    assert_eq!(
        g.router_id.as_ref().map(|x| x.value.as_str()),
        Some("edge 1")
    );
    assert_eq!(g.vrrp_version.as_ref().map(|x| x.value), Some(Version::V3));
    assert_eq!(
        g.mcast_group4.as_ref().map(|x| x.value.to_string()),
        Some("224.0.0.100".into())
    );
    assert_eq!(
        g.mcast_group6.as_ref().map(|x| x.value.to_string()),
        Some("ff02::107".into())
    );
    assert_eq!(g.garp.master_delay.as_ref().map(|x| x.value), Some(3));
    assert_eq!(g.garp.master_repeat.as_ref().map(|x| x.value), Some(2));
    assert_eq!(g.garp.master_refresh.as_ref().map(|x| x.value), Some(60));
    assert_eq!(g.garp.lower_prio_repeat.as_ref().map(|x| x.value), Some(0));
    assert_eq!(
        g.garp_interval.as_ref().map(|x| x.value),
        Some(Duration::from_millis(1))
    );
    assert_eq!(
        g.gna_interval.as_ref().map(|x| x.value),
        Some(Duration::from_millis(500))
    );
    assert_eq!(g.min_garp.as_ref().map(|x| x.value), Some(true));
    assert_eq!(
        g.garp
            .extra_if
            .as_ref()
            .map(|x| (x.value.all, x.value.secs)),
        Some((true, 30))
    );
    assert_eq!(g.down_timer_adverts.as_ref().map(|x| x.value), Some(4));
    assert_eq!(g.lower_prio_no_advert.as_ref().map(|x| x.value), Some(true));
    assert_eq!(
        g.higher_prio_send_advert.as_ref().map(|x| x.value),
        Some(false)
    );
    assert_eq!(
        g.enable_script_security.as_ref().map(|x| x.value),
        Some(true)
    );
    let su = g.script_user.as_ref().expect("script_user");
    assert_eq!(
        (
            su.user.value.as_str(),
            su.group.as_ref().map(|x| x.value.as_str())
        ),
        ("keepalived_script", Some("nogroup"))
    );
    assert_eq!(g.max_auto_priority.as_ref().map(|x| x.value), Some(99));
    assert_eq!(g.vrrp_priority.as_ref().map(|x| x.value), Some(-10));
    assert_eq!(g.vrrp_rt_priority.as_ref().map(|x| x.value), Some(50));
    assert_eq!(
        g.vrrp_cpu_affinity
            .iter()
            .map(|x| x.value)
            .collect::<Vec<_>>(),
        vec![0, 1]
    );
    assert!(g.dynamic_interfaces_allow_if_changes);
    assert_eq!(
        g.default_interface.as_ref().map(|x| x.value.as_str()),
        Some("eth1")
    );
    assert_eq!(
        g.startup_delay.as_ref().map(|x| x.value),
        Some(Duration::from_millis(2500))
    );
    let f = g.vrrp_notify_fifo.as_ref().expect("fifo");
    assert_eq!(f.path.value, "/run/vrrp.fifo");
    assert_eq!(f.user.as_ref().map(|x| x.value.as_str()), Some("root"));
    assert_eq!(g.notification_email.len(), 2);
    let smtp = g.smtp_server.as_ref().expect("smtp");
    assert_eq!(
        (
            smtp.host.value.as_str(),
            smtp.port.as_ref().map(|p| p.value)
        ),
        ("mail.example.com", Some(587))
    );
    assert_eq!(g.smtp_alert_vrrp.as_ref().map(|x| x.value), Some(true));
    let st = g.startup_script.as_ref().expect("startup");
    assert_eq!(st.cmd.value, "/bin/echo up");
    assert_eq!(st.user.as_ref().map(|x| x.value.as_str()), Some("root"));
    assert_eq!(
        g.reload_check_config.as_ref().map(|x| x.value.clone()),
        Some(Some("/var/log/reload.log".into()))
    );
    assert_eq!(g.umask.as_ref().map(|x| x.value), Some(0o077));
    assert_eq!(g.random_seed.as_ref().map(|x| x.value), Some(42));
    assert_eq!(
        g.nftables.as_ref().map(|x| x.value.clone()),
        Some(Some("keepalived".into()))
    );
    assert!(g
        .accepted
        .iter()
        .any(|r| r.keyword.value == "enable_snmp_vrrp"));
    assert!(c.ignored.iter().any(|r| r.value == "lvs_flush"));
}

#[test]
fn vip_entry_options() {
    let c = load_ok(
        "vrrp_instance \"V 1\" {
    interface eth0
    virtual_router_id 9
    virtual_ipaddress {
        10.1.1.1/24 dev eth1 brd + scope link label eth1:vip home no_track
        10.1.1.2 broadcast 10.1.1.255 peer 10.1.1.9/32 noprefixroute autojoin
        10.1.1.3/24 brd - scope 200 preferred_lft forever
    }
    virtual_ipaddress_excluded {
        2001:db8::5/64 -nodad mngtmpaddr preferred_lft 0 use_vmac
        10.2.2.2
    }
}
",
    );
    let i = c.instance("V 1").expect("quoted instance name");
    let a = &i.vips[0];
    assert_eq!((a.net.value.addr, a.net.value.prefix), (ip("10.1.1.1"), 24));
    assert_eq!(a.dev.as_ref().map(|x| x.value.as_str()), Some("eth1"));
    assert_eq!(a.broadcast.as_ref().map(|x| x.value), Some(Broadcast::Plus));
    assert_eq!(a.scope.as_ref().map(|x| x.value), Some(Scope::Link));
    assert_eq!(a.label.as_ref().map(|x| x.value.as_str()), Some("eth1:vip"));
    assert!(a.home && a.no_track && !a.autojoin);
    let b = &i.vips[1];
    assert_eq!(
        b.broadcast.as_ref().map(|x| x.value),
        Some(Broadcast::Addr("10.1.1.255".parse().expect("ip")))
    );
    assert_eq!(
        b.peer.as_ref().map(|x| (x.value.addr, x.value.prefix)),
        Some((ip("10.1.1.9"), 32))
    );
    assert!(b.noprefixroute && b.autojoin);
    let c3 = &i.vips[2];
    assert_eq!(
        c3.broadcast.as_ref().map(|x| x.value),
        Some(Broadcast::Minus)
    );
    assert_eq!(c3.scope.as_ref().map(|x| x.value), Some(Scope::Number(200)));
    assert_eq!(
        c3.preferred_lft.as_ref().map(|x| x.value),
        Some(Lifetime::Forever)
    );
    // Excluded addresses may mix families.
    let e = &i.excluded_vips[0];
    assert!(e.nodad && e.mngtmpaddr && e.use_vmac);
    assert_eq!(
        e.preferred_lft.as_ref().map(|x| x.value),
        Some(Lifetime::Secs(0))
    );
    assert_eq!(i.excluded_vips[1].net.value.addr, ip("10.2.2.2"));
}

#[test]
fn instance_fields() {
    let c = load_ok(
        r#"global_defs {
    enable_script_security
}
vrrp_track_process nginx {
    process /usr/sbin/nginx -g "daemon off;"
    param_match initial
    weight 10 reverse
    quorum 2
    quorum_max 4
    delay 1.5
    full_command
}
track_file ready {
    file /run/ready
    weight -5 reverse
    init_file 3 overwrite
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 10
    priority 90
    advert_int 0.5
    version 3
    preempt_delay 2
    unicast_src_ip 10.0.0.1
    unicast_peer {
        10.0.0.2 min_ttl 250 max_ttl 255
        10.0.0.3
    }
    unicast_ttl 64
    unicast_fault_no_peer
    mcast_src_ip 10.0.0.1
    track_src_ip
    use_vmac vrrp.10 00:00:5e:00:01:0a
    vmac_xmit_base
    no_accept
    garp_master_delay 1
    garp_extra_if 10
    down_timer_adverts 5
    strict_mode off
    dont_track_primary
    kernel_rx_buf_size 65536
    debug 3
    old_unicast_checksum never
    notify_master "/bin/echo master" root
    notify "/usr/local/bin/notify.sh"
    notify_deleted
    notify_master_rx_lower_pri /bin/true
    smtp_alert no
    track_process {
        nginx
    }
    track_file {
        ready weight 2 noreverse
    }
    virtual_ipaddress {
        10.0.0.100/24
    }
    virtual_routes {
        src 10.0.0.100 to 192.168.0.0/16 via 10.0.0.254 dev eth0 metric 5 table 10 no_track
        default via 10.0.0.254
    }
    virtual_rules {
        from 10.0.0.100/32 table 10 preference 100
        to 192.168.0.0/16 lookup main no_track
    }
}
"#,
    );
    let i = c.instance("VI_1").expect("VI_1");
    assert_eq!(
        i.advert_int.as_ref().map(|x| x.value),
        Some(Duration::from_millis(500))
    );
    assert_eq!(i.effective.advert_int_cs.value, 50);
    assert_eq!(i.version.as_ref().map(|x| x.value), Some(Version::V3));
    assert_eq!(
        i.preempt_delay.as_ref().map(|x| x.value),
        Some(Duration::from_secs(2))
    );
    assert_eq!(i.unicast_peers.len(), 2);
    assert_eq!(
        i.unicast_peers[0].min_ttl.as_ref().map(|x| x.value),
        Some(250)
    );
    assert_eq!(
        i.unicast_peers[0].max_ttl.as_ref().map(|x| x.value),
        Some(255)
    );
    assert!(i.effective.check_unicast_src.value);
    assert_eq!(i.unicast_ttl.as_ref().map(|x| x.value), Some(64));
    let vmac = i.use_vmac.as_ref().expect("use_vmac");
    assert_eq!(
        vmac.value.ifname.as_ref().map(|x| x.value.as_str()),
        Some("vrrp.10")
    );
    assert_eq!(
        vmac.value.mac.as_ref().map(|x| x.value),
        Some([0, 0, 0x5e, 0, 1, 0x0a])
    );
    assert!(!i.effective.accept.value);
    assert_eq!(i.debug.as_ref().map(|x| x.value), Some(3));
    assert_eq!(
        i.notify
            .master
            .as_ref()
            .and_then(|c| c.user.as_ref())
            .map(|u| u.value.as_str()),
        Some("root")
    );
    assert_eq!(
        i.notify.any.as_ref().map(|c| c.cmd.value.as_str()),
        Some("/usr/local/bin/notify.sh")
    );
    assert!(i.notify.deleted.as_ref().is_some_and(|d| d.value.is_none()));
    assert!(i.notify.master_rx_lower_pri.is_some());
    assert!(!i.effective.smtp_alert.value);
    assert_eq!(i.routes.len(), 2);
    let r = &i.routes[0];
    assert_eq!(r.src.as_ref().map(|x| x.value), Some(ip("10.0.0.100")));
    assert_eq!(r.dest.as_ref().map(|x| x.value.prefix), Some(16));
    assert_eq!(r.via.as_ref().map(|x| x.value), Some(ip("10.0.0.254")));
    assert_eq!(r.metric.as_ref().map(|x| x.value), Some(5));
    assert!(r.no_track);
    assert_eq!(i.routes[1].dest.as_ref().map(|x| x.value.prefix), Some(0));
    assert_eq!(i.rules.len(), 2);
    assert_eq!(i.rules[0].preference.as_ref().map(|x| x.value), Some(100));
    assert_eq!(
        i.rules[1].table.as_ref().map(|x| x.value.as_str()),
        Some("main")
    );
    let p = &c.track_processes[0];
    assert_eq!(
        p.process.as_ref().map(|x| x.value.as_str()),
        Some("/usr/sbin/nginx")
    );
    assert_eq!(
        p.args.iter().map(|a| a.value.as_str()).collect::<Vec<_>>(),
        vec!["-g", "daemon off;"]
    );
    assert_eq!(
        (
            p.quorum.as_ref().map(|x| x.value),
            p.quorum_max.as_ref().map(|x| x.value)
        ),
        (Some(2), Some(4))
    );
    assert!(p.weight_reverse && p.full_command.is_some());
    let f = &c.track_files[0];
    assert_eq!(f.weight.as_ref().map(|x| x.value), Some(-5));
    assert_eq!(
        f.init_file
            .as_ref()
            .map(|x| (x.value.value, x.value.overwrite)),
        Some((Some(3), true))
    );
    let t: Vec<(&str, i32, bool)> = i
        .effective
        .trackers
        .iter()
        .map(|t| (t.name.as_str(), t.weight.value, t.reverse))
        .collect();
    assert_eq!(t, vec![("ready", 2, false), ("nginx", 10, true)]);
}
