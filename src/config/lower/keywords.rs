//! Keyword tables shared by the sections: keywords of keepalived's other subsystems (skipped
//! with one warning), process-level keywords accepted without effect, and the
//! nearest-keyword suggestion for typos.

/// Root-level blocks of keepalived's LVS / checker / BFD subsystems. keepalived's VRRP process
/// registers them as inactive and skips them whole (docs/keepalived-compat.md#keywords-of-other-subsystems); vrrpd does the
/// same but says so once.
pub(crate) const IGNORED_ROOT: &[&str] = &[
    "virtual_server",
    "virtual_server_group",
    "real_server",
    "bfd_instance",
    "SSL",
    "HTTP_GET",
    "SSL_GET",
    "TCP_CHECK",
    "SMTP_CHECK",
    "MISC_CHECK",
    "DNS_CHECK",
    "UDP_CHECK",
    "PING_CHECK",
    "FILE_CHECK",
    "BFD_CHECK",
];

/// `global_defs` keys of the LVS / checker / BFD subsystems.
pub(crate) const IGNORED_GLOBAL: &[&str] = &[
    "lvs_id",
    "lvs_sync_daemon",
    "lvs_flush",
    "lvs_flush_on_stop",
    "lvs_flush_onstop",
    "lvs_process_name",
    "lvs_timeouts",
    "lvs_netlink_cmd_rcv_bufs",
    "lvs_netlink_cmd_rcv_bufs_force",
    "lvs_netlink_monitor_rcv_bufs",
    "lvs_netlink_monitor_rcv_bufs_force",
    "checker_priority",
    "checker_rt_priority",
    "checker_no_swap",
    "checker_cpu_affinity",
    "checker_rlimit_rttime",
    "checker_rlimit_rtime",
    "checker_process_name",
    "checker_log_all_failures",
    "checker_netlink_cmd_rcv_bufs",
    "checker_netlink_cmd_rcv_bufs_force",
    "checker_netlink_monitor_rcv_bufs",
    "checker_netlink_monitor_rcv_bufs_force",
    "bfd_priority",
    "bfd_rt_priority",
    "bfd_no_swap",
    "bfd_cpu_affinity",
    "bfd_rlimit_rttime",
    "bfd_rlimit_rtime",
    "bfd_process_name",
    "lvs_notify_fifo",
    "lvs_notify_fifo_script",
    "smtp_alert_checker",
    "enable_snmp_checker",
    "snmp_checker",
    "ipvs_process_name",
    "rs_init_notifies",
    "nftables_ipvs",
    "nftables_ipvs_priority",
    "nftables_ipvs_start_fwmark",
];

/// Root-level keywords about the keepalived process (namespaces, pid files, link polling,
/// interface delays): accepted verbatim, no effect on the VRRP model.
pub(crate) const PROCESS_ROOT: &[&str] = &[
    "net_namespace",
    "net_namespace_ipvs",
    "namespace_with_ipsets",
    "use_pid_dir",
    "instance",
    "child_wait_time",
    "linkbeat_use_polling",
    "linkbeat_interfaces",
    "interface_up_down_delays",
    "track_group",
    "garp_group",
];

/// `global_defs` keys accepted verbatim: management interfaces (SNMP, DBus), netlink buffer
/// sizes, reload helpers, nftables/iptables details, process names, and similar.
pub(crate) const ACCEPTED_GLOBAL: &[&str] = &[
    "enable_snmp_vrrp",
    "enable_snmp_keepalived",
    "enable_snmp_rfc",
    "enable_snmp_rfcv2",
    "enable_snmp_rfcv3",
    "enable_traps",
    "snmp_socket",
    "enable_dbus",
    "dbus_service_name",
    "enable_dbus_v2",
    "vrrp_iptables",
    "vrrp_ipsets",
    "nftables_counters",
    "nftables_ifindex",
    "reload_time_file",
    "reload_repeat",
    "reload_file",
    "tmp_config_directory",
    "data_use_instance",
    "include_check",
    "process_names",
    "process_name",
    "vrrp_process_name",
    "net_namespace",
    "namespace_with_ipsets",
    "instance",
    "use_pid_dir",
    "linkbeat_use_polling",
    "script_security",
    "notify_fifo_startup",
    "vrrp_track_process_match_pattern",
    "disable_network_timestamp",
    "no_checker_emails",
    "smtp_alert_bfd",
    "child_wait_time",
    "config_save_dir",
    "net_namespace_ipvs",
    "process_monitor_rcv_bufs",
    "process_monitor_rcv_bufs_force",
];

// ===== keyword spellings =====

// Each section's keywords, one constant per keyword: the sections' keyword tables and the
// `--dump-conf` printers use these, so a keyword is spelled in one place.

/// Root-level blocks.
pub(crate) mod root {
    pub(crate) const GLOBAL_DEFS: &str = "global_defs";
    pub(crate) const VRRP_INSTANCE: &str = "vrrp_instance";
    pub(crate) const VRRP_SCRIPT: &str = "vrrp_script";
    pub(crate) const VRRP_SYNC_GROUP: &str = "vrrp_sync_group";
    pub(crate) const VRRP_TRACK_PROCESS: &str = "vrrp_track_process";
    pub(crate) const TRACK_FILE: &str = "track_file";
    pub(crate) const VRRP_TRACK_FILE: &str = "vrrp_track_file";
    pub(crate) const STATIC_IPADDRESS: &str = "static_ipaddress";
    pub(crate) const STATIC_ROUTES: &str = "static_routes";
    pub(crate) const STATIC_RULES: &str = "static_rules";
}

/// `global_defs` keys.
pub(crate) mod global {
    /// The section name.
    pub(crate) const GLOBAL_BLOCK: &str = super::root::GLOBAL_DEFS;
    pub(crate) const ROUTER_ID: &str = "router_id";
    pub(crate) const VRRP_VERSION: &str = "vrrp_version";
    pub(crate) const VRRP_MCAST_GROUP4: &str = "vrrp_mcast_group4";
    pub(crate) const VRRP_MCAST_GROUP6: &str = "vrrp_mcast_group6";
    pub(crate) const VRRP_GARP_MASTER_DELAY: &str = "vrrp_garp_master_delay";
    pub(crate) const VRRP_GARP_MASTER_REPEAT: &str = "vrrp_garp_master_repeat";
    pub(crate) const VRRP_GARP_MASTER_REFRESH: &str = "vrrp_garp_master_refresh";
    pub(crate) const VRRP_GARP_MASTER_REFRESH_REPEAT: &str = "vrrp_garp_master_refresh_repeat";
    pub(crate) const VRRP_GARP_LOWER_PRIO_DELAY: &str = "vrrp_garp_lower_prio_delay";
    pub(crate) const VRRP_GARP_LOWER_PRIO_REPEAT: &str = "vrrp_garp_lower_prio_repeat";
    pub(crate) const VRRP_GARP_INTERVAL: &str = "vrrp_garp_interval";
    pub(crate) const VRRP_GNA_INTERVAL: &str = "vrrp_gna_interval";
    pub(crate) const VRRP_MIN_GARP: &str = "vrrp_min_garp";
    pub(crate) const VRRP_GARP_EXTRA_IF: &str = "vrrp_garp_extra_if";
    pub(crate) const VRRP_VMAC_GARP_INTVL: &str = "vrrp_vmac_garp_intvl";
    pub(crate) const VRRP_DOWN_TIMER_ADVERTS: &str = "vrrp_down_timer_adverts";
    pub(crate) const VRRP_LOWER_PRIO_NO_ADVERT: &str = "vrrp_lower_prio_no_advert";
    pub(crate) const VRRP_HIGHER_PRIO_SEND_ADVERT: &str = "vrrp_higher_prio_send_advert";
    pub(crate) const VRRP_STRICT: &str = "vrrp_strict";
    pub(crate) const VRRP_SKIP_CHECK_ADV_ADDR: &str = "vrrp_skip_check_adv_addr";
    pub(crate) const VRRP_CHECK_UNICAST_SRC: &str = "vrrp_check_unicast_src";
    pub(crate) const ENABLE_SCRIPT_SECURITY: &str = "enable_script_security";
    pub(crate) const SCRIPT_USER: &str = "script_user";
    pub(crate) const MAX_AUTO_PRIORITY: &str = "max_auto_priority";
    pub(crate) const MIN_AUTO_PRIORITY_DELAY: &str = "min_auto_priority_delay";
    pub(crate) const VRRP_PRIORITY: &str = "vrrp_priority";
    pub(crate) const VRRP_RT_PRIORITY: &str = "vrrp_rt_priority";
    pub(crate) const VRRP_RLIMIT_RTTIME: &str = "vrrp_rlimit_rttime";
    pub(crate) const VRRP_RLIMIT_RTIME: &str = "vrrp_rlimit_rtime";
    pub(crate) const VRRP_NO_SWAP: &str = "vrrp_no_swap";
    pub(crate) const VRRP_CPU_AFFINITY: &str = "vrrp_cpu_affinity";
    pub(crate) const VRRP_RX_BUFS_POLICY: &str = "vrrp_rx_bufs_policy";
    pub(crate) const VRRP_RX_BUFS_MULTIPLIER: &str = "vrrp_rx_bufs_multiplier";
    pub(crate) const DYNAMIC_INTERFACES: &str = "dynamic_interfaces";
    pub(crate) const DEFAULT_INTERFACE: &str = "default_interface";
    pub(crate) const DISABLE_LOCAL_IGMP: &str = "disable_local_igmp";
    pub(crate) const VRRP_STARTUP_DELAY: &str = "vrrp_startup_delay";
    pub(crate) const LOG_UNKNOWN_VRIDS: &str = "log_unknown_vrids";
    pub(crate) const VMAC_PREFIX: &str = "vmac_prefix";
    pub(crate) const VMAC_ADDR_PREFIX: &str = "vmac_addr_prefix";
    pub(crate) const VRRP_NOTIFY_FIFO: &str = "vrrp_notify_fifo";
    pub(crate) const VRRP_NOTIFY_FIFO_SCRIPT: &str = "vrrp_notify_fifo_script";
    pub(crate) const NOTIFY_FIFO: &str = "notify_fifo";
    pub(crate) const NOTIFY_FIFO_SCRIPT: &str = "notify_fifo_script";
    pub(crate) const VRRP_NOTIFY_PRIORITY_CHANGES: &str = "vrrp_notify_priority_changes";
    pub(crate) const FIFO_WRITE_VRRP_STATES_ON_RELOAD: &str = "fifo_write_vrrp_states_on_reload";
    pub(crate) const NOTIFICATION_EMAIL_FROM: &str = "notification_email_from";
    pub(crate) const SMTP_SERVER: &str = "smtp_server";
    pub(crate) const SMTP_HELO_NAME: &str = "smtp_helo_name";
    pub(crate) const SMTP_CONNECT_TIMEOUT: &str = "smtp_connect_timeout";
    pub(crate) const SMTP_ALERT: &str = "smtp_alert";
    pub(crate) const SMTP_ALERT_VRRP: &str = "smtp_alert_vrrp";
    pub(crate) const NO_EMAIL_FAULTS: &str = "no_email_faults";
    pub(crate) const STARTUP_SCRIPT: &str = "startup_script";
    pub(crate) const STARTUP_SCRIPT_TIMEOUT: &str = "startup_script_timeout";
    pub(crate) const SHUTDOWN_SCRIPT: &str = "shutdown_script";
    pub(crate) const SHUTDOWN_SCRIPT_TIMEOUT: &str = "shutdown_script_timeout";
    pub(crate) const RELOAD_CHECK_CONFIG: &str = "reload_check_config";
    pub(crate) const UMASK: &str = "umask";
    pub(crate) const RANDOM_SEED: &str = "random_seed";
    pub(crate) const VRRP_NETLINK_CMD_RCV_BUFS: &str = "vrrp_netlink_cmd_rcv_bufs";
    pub(crate) const VRRP_NETLINK_CMD_RCV_BUFS_FORCE: &str = "vrrp_netlink_cmd_rcv_bufs_force";
    pub(crate) const VRRP_NETLINK_MONITOR_RCV_BUFS: &str = "vrrp_netlink_monitor_rcv_bufs";
    pub(crate) const VRRP_NETLINK_MONITOR_RCV_BUFS_FORCE: &str =
        "vrrp_netlink_monitor_rcv_bufs_force";
    pub(crate) const NFTABLES: &str = "nftables";
    pub(crate) const NFTABLES_PRIORITY: &str = "nftables_priority";
    pub(crate) const NOTIFICATION_EMAIL: &str = "notification_email";
}

/// `vrrp_instance` keys (notify and track blocks are in [`notify`] and [`track`]).
pub(crate) mod instance {
    /// The section name.
    pub(crate) const INSTANCE_BLOCK: &str = super::root::VRRP_INSTANCE;
    pub(crate) const STATE: &str = "state";
    pub(crate) const INTERFACE: &str = "interface";
    pub(crate) const VIRTUAL_ROUTER_ID: &str = "virtual_router_id";
    pub(crate) const PRIORITY: &str = "priority";
    pub(crate) const ADVERT_INT: &str = "advert_int";
    pub(crate) const NOPREEMPT: &str = "nopreempt";
    pub(crate) const PREEMPT: &str = "preempt";
    pub(crate) const PREEMPT_DELAY: &str = "preempt_delay";
    pub(crate) const AUTHENTICATION: &str = "authentication";
    pub(crate) const VIRTUAL_IPADDRESS: &str = "virtual_ipaddress";
    pub(crate) const VIRTUAL_IPADDRESS_EXCLUDED: &str = "virtual_ipaddress_excluded";
    pub(crate) const VIRTUAL_ROUTES: &str = "virtual_routes";
    pub(crate) const VIRTUAL_RULES: &str = "virtual_rules";
    pub(crate) const UNICAST_SRC_IP: &str = "unicast_src_ip";
    pub(crate) const UNICAST_PEER: &str = "unicast_peer";
    pub(crate) const UNICAST_FAULT_NO_PEER: &str = "unicast_fault_no_peer";
    pub(crate) const UNICAST_TTL: &str = "unicast_ttl";
    pub(crate) const CHECK_UNICAST_SRC: &str = "check_unicast_src";
    pub(crate) const MCAST_SRC_IP: &str = "mcast_src_ip";
    pub(crate) const MCAST_DST_IP: &str = "mcast_dst_ip";
    pub(crate) const TRACK_SRC_IP: &str = "track_src_ip";
    pub(crate) const VERSION: &str = "version";
    pub(crate) const NATIVE_IPV6: &str = "native_ipv6";
    pub(crate) const DONT_TRACK_PRIMARY: &str = "dont_track_primary";
    pub(crate) const GARP_MASTER_DELAY: &str = "garp_master_delay";
    pub(crate) const GARP_MASTER_REPEAT: &str = "garp_master_repeat";
    pub(crate) const GARP_MASTER_REFRESH: &str = "garp_master_refresh";
    pub(crate) const GARP_MASTER_REFRESH_REPEAT: &str = "garp_master_refresh_repeat";
    pub(crate) const GARP_LOWER_PRIO_DELAY: &str = "garp_lower_prio_delay";
    pub(crate) const GARP_LOWER_PRIO_REPEAT: &str = "garp_lower_prio_repeat";
    pub(crate) const GARP_EXTRA_IF: &str = "garp_extra_if";
    pub(crate) const VMAC_GARP_INTVL: &str = "vmac_garp_intvl";
    pub(crate) const DOWN_TIMER_ADVERTS: &str = "down_timer_adverts";
    pub(crate) const LOWER_PRIO_NO_ADVERT: &str = "lower_prio_no_advert";
    pub(crate) const HIGHER_PRIO_SEND_ADVERT: &str = "higher_prio_send_advert";
    pub(crate) const SKIP_CHECK_ADV_ADDR: &str = "skip_check_adv_addr";
    pub(crate) const STRICT_MODE: &str = "strict_mode";
    pub(crate) const ACCEPT: &str = "accept";
    pub(crate) const NO_ACCEPT: &str = "no_accept";
    pub(crate) const USE_VMAC: &str = "use_vmac";
    pub(crate) const VMAC_XMIT_BASE: &str = "vmac_xmit_base";
    pub(crate) const USE_VMAC_ADDR: &str = "use_vmac_addr";
    pub(crate) const USE_IPVLAN: &str = "use_ipvlan";
    pub(crate) const PROMOTE_SECONDARIES: &str = "promote_secondaries";
    pub(crate) const KERNEL_RX_BUF_SIZE: &str = "kernel_rx_buf_size";
    pub(crate) const DEBUG: &str = "debug";
    pub(crate) const OLD_UNICAST_CHECKSUM: &str = "old_unicast_checksum";
    pub(crate) const LINKBEAT_USE_POLLING: &str = "linkbeat_use_polling";
    pub(crate) const VRF: &str = "vrf";
}

/// `authentication` block keys.
pub(crate) mod auth {
    pub(crate) const AUTH_TYPE: &str = "auth_type";
    pub(crate) const AUTH_PASS: &str = "auth_pass";
}

/// `unicast_peer` entry options.
pub(crate) mod peer {
    pub(crate) const MIN_TTL: &str = "min_ttl";
    pub(crate) const MAX_TTL: &str = "max_ttl";
}

/// Notification keys of instances and sync groups.
pub(crate) mod notify {
    pub(crate) const NOTIFY_MASTER: &str = "notify_master";
    pub(crate) const NOTIFY_BACKUP: &str = "notify_backup";
    pub(crate) const NOTIFY_FAULT: &str = "notify_fault";
    pub(crate) const NOTIFY_STOP: &str = "notify_stop";
    pub(crate) const NOTIFY: &str = "notify";
    pub(crate) const NOTIFY_DELETED: &str = "notify_deleted";
    pub(crate) const NOTIFY_MASTER_RX_LOWER_PRI: &str = "notify_master_rx_lower_pri";
    pub(crate) const NOTIFY_PRIORITY_CHANGES: &str = "notify_priority_changes";
    pub(crate) const SMTP_ALERT: &str = "smtp_alert";
}

/// Tracker blocks of instances and sync groups.
pub(crate) mod track {
    pub(crate) const TRACK_INTERFACE: &str = "track_interface";
    pub(crate) const TRACK_SCRIPT: &str = "track_script";
    /// The same word as the root block it refers to.
    pub(crate) const TRACK_FILE: &str = super::root::TRACK_FILE;
    pub(crate) const TRACK_PROCESS: &str = "track_process";
    pub(crate) const TRACK_BFD: &str = "track_bfd";
}

/// `vrrp_sync_group` keys.
pub(crate) mod sync_group {
    pub(crate) const GROUP: &str = "group";
    pub(crate) const SYNC_GROUP_TRACKING_WEIGHT: &str = "sync_group_tracking_weight";
    pub(crate) const GLOBAL_TRACKING: &str = "global_tracking";
}

/// `vrrp_script` keys.
pub(crate) mod script {
    pub(crate) const SCRIPT: &str = "script";
    pub(crate) const INTERVAL: &str = "interval";
    pub(crate) const TIMEOUT: &str = "timeout";
    pub(crate) const WEIGHT: &str = "weight";
    pub(crate) const RISE: &str = "rise";
    pub(crate) const FALL: &str = "fall";
    pub(crate) const USER: &str = "user";
    pub(crate) const INIT_FAIL: &str = "init_fail";
}

/// `vrrp_track_process` keys.
pub(crate) mod track_process {
    pub(crate) const PROCESS: &str = "process";
    pub(crate) const PARAM_MATCH: &str = "param_match";
    pub(crate) const WEIGHT: &str = "weight";
    pub(crate) const QUORUM: &str = "quorum";
    pub(crate) const QUORUM_MAX: &str = "quorum_max";
    pub(crate) const DELAY: &str = "delay";
    pub(crate) const TERMINATE_DELAY: &str = "terminate_delay";
    pub(crate) const FORK_DELAY: &str = "fork_delay";
    pub(crate) const FULL_COMMAND: &str = "full_command";
}

/// `track_file` keys.
pub(crate) mod track_file {
    pub(crate) const FILE: &str = "file";
    pub(crate) const WEIGHT: &str = "weight";
    pub(crate) const INIT_FILE: &str = "init_file";
}

/// Options of `virtual_ipaddress`, `virtual_ipaddress_excluded` and `static_ipaddress` entries.
pub(crate) mod address {
    pub(crate) const DEV: &str = "dev";
    pub(crate) const BRD: &str = "brd";
    pub(crate) const BROADCAST: &str = "broadcast";
    pub(crate) const SCOPE: &str = "scope";
    pub(crate) const LABEL: &str = "label";
    pub(crate) const PEER: &str = "peer";
    pub(crate) const HOME: &str = "home";
    pub(crate) const NODAD: &str = "-nodad";
    pub(crate) const MNGTMPADDR: &str = "mngtmpaddr";
    pub(crate) const NOPREFIXROUTE: &str = "noprefixroute";
    pub(crate) const AUTOJOIN: &str = "autojoin";
    pub(crate) const NO_TRACK: &str = "no_track";
    pub(crate) const PREFERRED_LFT: &str = "preferred_lft";
    pub(crate) const FOREVER: &str = "forever";
    pub(crate) const USE_VMAC: &str = "use_vmac";
}

/// Options of `virtual_routes` and `static_routes` entries.
pub(crate) mod route {
    pub(crate) const SRC: &str = "src";
    pub(crate) const TO: &str = "to";
    pub(crate) const VIA: &str = "via";
    pub(crate) const GW: &str = "gw";
    pub(crate) const OR: &str = "or";
    pub(crate) const DEV: &str = "dev";
    pub(crate) const OIF: &str = "oif";
    pub(crate) const TABLE: &str = "table";
    pub(crate) const METRIC: &str = "metric";
    pub(crate) const PRIORITY: &str = "priority";
    pub(crate) const PREFERENCE: &str = "preference";
    pub(crate) const SCOPE: &str = "scope";
    pub(crate) const NO_TRACK: &str = "no_track";
}

/// Options of `virtual_rules` and `static_rules` entries.
pub(crate) mod rule {
    pub(crate) const FROM: &str = "from";
    pub(crate) const TO: &str = "to";
    pub(crate) const ALL: &str = "all";
    pub(crate) const TABLE: &str = "table";
    pub(crate) const LOOKUP: &str = "lookup";
    pub(crate) const PREFERENCE: &str = "preference";
    pub(crate) const PREF: &str = "pref";
    pub(crate) const PRIORITY: &str = "priority";
    pub(crate) const PRIO: &str = "prio";
    pub(crate) const NO_TRACK: &str = "no_track";
}

/// Options of a `track_*` entry.
pub(crate) mod track_ref {
    pub(crate) const WEIGHT: &str = "weight";
    pub(crate) const REVERSE: &str = "reverse";
    pub(crate) const NOREVERSE: &str = "noreverse";
}

/// Section names of the entries of [`NOT_PERFORMED`] and of `docs/keywords.md` that are not
/// block keywords: the root, and the option words of list entries.
pub(crate) mod sections {
    pub(crate) const ROOT: &str = "root";
    pub(crate) const UNICAST_PEER: &str = "unicast_peer";
    pub(crate) const ADDRESS_OPTION: &str = "address option";
    pub(crate) const ROUTE_OPTION: &str = "route option";
    pub(crate) const RULE_OPTION: &str = "rule option";
    pub(crate) const TRACK_OPTION: &str = "track option";
}

/// Keywords vrrpd reads but does not perform although, on a keepalived node, they change what
/// the node does: each use gets a warning naming what is missing, at `--check-config` and in
/// the log at start and reload (docs/keywords.md, status `refused`). `(section, keyword, what
/// the node does without it)`.
pub(crate) const NOT_PERFORMED: &[(&str, &str, &str)] = &[
    (
        sections::ROOT,
        "net_namespace",
        "vrrpd runs in the network namespace it is started in; start it with `ip netns exec NAME`",
    ),
    (
        sections::ROOT,
        "interface_up_down_delays",
        "link changes take effect at once",
    ),
    (
        sections::ROOT,
        "garp_group",
        "gratuitous ARPs and NAs are not paced per interface",
    ),
    (
        sections::ROOT,
        "use_pid_dir",
        "the pid file is where -p/-r say (default /run/vrrpd.pid)",
    ),
    (
        sections::ROOT,
        "instance",
        "pid file names and the syslog ident do not carry the instance name",
    ),
    (
        sections::ROOT,
        "track_group",
        "static addresses and routes are not tied to instance groups",
    ),
    (
        global::GLOBAL_BLOCK,
        "net_namespace",
        "vrrpd runs in the network namespace it is started in; start it with `ip netns exec NAME`",
    ),
    (
        global::GLOBAL_BLOCK,
        "use_pid_dir",
        "the pid file is where -p/-r say (default /run/vrrpd.pid)",
    ),
    (
        global::GLOBAL_BLOCK,
        "instance",
        "pid file names and the syslog ident do not carry the instance name",
    ),
    (
        global::GLOBAL_BLOCK,
        global::VRRP_GARP_INTERVAL,
        "gratuitous ARPs are sent without a minimum gap",
    ),
    (
        global::GLOBAL_BLOCK,
        global::VRRP_GNA_INTERVAL,
        "unsolicited neighbour adverts are sent without a minimum gap",
    ),
    (
        global::GLOBAL_BLOCK,
        global::MAX_AUTO_PRIORITY,
        "the daemon is never raised to real-time scheduling when its timers run late",
    ),
    (
        global::GLOBAL_BLOCK,
        global::MIN_AUTO_PRIORITY_DELAY,
        "the daemon is never raised to real-time scheduling when its timers run late",
    ),
    (
        global::GLOBAL_BLOCK,
        global::VRRP_RX_BUFS_POLICY,
        "the advert sockets keep the system's default receive buffer",
    ),
    (
        global::GLOBAL_BLOCK,
        global::VRRP_RX_BUFS_MULTIPLIER,
        "the advert sockets keep the system's default receive buffer",
    ),
    (
        global::GLOBAL_BLOCK,
        global::VRRP_NOTIFY_PRIORITY_CHANGES,
        "no MASTER_PRIORITY/BACKUP_PRIORITY lines are written to the notify FIFO",
    ),
    (
        global::GLOBAL_BLOCK,
        global::FIFO_WRITE_VRRP_STATES_ON_RELOAD,
        "the states are not written to the notify FIFO again after a reload",
    ),
    (
        global::GLOBAL_BLOCK,
        "reload_time_file",
        "no scheduled reload happens",
    ),
    (
        global::GLOBAL_BLOCK,
        "reload_repeat",
        "no scheduled reload happens",
    ),
    (
        global::GLOBAL_BLOCK,
        "reload_file",
        "reloads are not guarded by a file",
    ),
    (
        global::GLOBAL_BLOCK,
        "enable_snmp_vrrp",
        "vrrpd has no SNMP agent; use the Prometheus metrics (--metrics-listen)",
    ),
    (
        global::GLOBAL_BLOCK,
        "enable_snmp_keepalived",
        "vrrpd has no SNMP agent; use the Prometheus metrics (--metrics-listen)",
    ),
    (
        global::GLOBAL_BLOCK,
        "enable_snmp_rfc",
        "vrrpd has no SNMP agent; use the Prometheus metrics (--metrics-listen)",
    ),
    (
        global::GLOBAL_BLOCK,
        "enable_snmp_rfcv2",
        "vrrpd has no SNMP agent; use the Prometheus metrics (--metrics-listen)",
    ),
    (
        global::GLOBAL_BLOCK,
        "enable_snmp_rfcv3",
        "vrrpd has no SNMP agent; use the Prometheus metrics (--metrics-listen)",
    ),
    (
        global::GLOBAL_BLOCK,
        "enable_traps",
        "vrrpd sends no SNMP traps; use the notify scripts or FIFO",
    ),
    (
        global::GLOBAL_BLOCK,
        "enable_dbus",
        "vrrpd has no DBus interface; use `vrrpd status` and the control socket",
    ),
    (
        global::GLOBAL_BLOCK,
        "enable_dbus_v2",
        "vrrpd has no DBus interface; use `vrrpd status` and the control socket",
    ),
    (
        global::GLOBAL_BLOCK,
        "vrrp_track_process_match_pattern",
        "process names are matched exactly",
    ),
    (
        instance::INSTANCE_BLOCK,
        instance::UNICAST_FAULT_NO_PEER,
        "an instance without unicast peers falls back to multicast instead of staying in FAULT",
    ),
    (
        instance::INSTANCE_BLOCK,
        instance::TRACK_SRC_IP,
        "the instance does not go to FAULT when its source address disappears",
    ),
    (
        instance::INSTANCE_BLOCK,
        instance::VRF,
        "the instance is not bound to the VRF",
    ),
    (
        instance::INSTANCE_BLOCK,
        instance::USE_IPVLAN,
        "no ipvlan interface is created; the addresses go on the instance's interface",
    ),
    (
        instance::INSTANCE_BLOCK,
        instance::KERNEL_RX_BUF_SIZE,
        "the advert sockets keep the system's default receive buffer",
    ),
    (
        instance::INSTANCE_BLOCK,
        track::TRACK_BFD,
        "vrrpd has no BFD: the listed sessions never change the priority",
    ),
    (
        instance::INSTANCE_BLOCK,
        notify::NOTIFY_PRIORITY_CHANGES,
        "no priority-change lines are written to the notify FIFO",
    ),
    (
        root::VRRP_SYNC_GROUP,
        track::TRACK_BFD,
        "vrrpd has no BFD: the listed sessions never change the priority",
    ),
    (
        root::VRRP_SYNC_GROUP,
        notify::NOTIFY_PRIORITY_CHANGES,
        "no priority-change lines are written to the notify FIFO",
    ),
    (
        sections::ADDRESS_OPTION,
        address::PEER,
        "the address is added without its peer",
    ),
    (
        sections::ADDRESS_OPTION,
        address::HOME,
        "the address is added without IFA_F_HOMEADDRESS",
    ),
    (
        sections::ADDRESS_OPTION,
        address::NODAD,
        "duplicate address detection stays off",
    ),
    (
        sections::ADDRESS_OPTION,
        address::MNGTMPADDR,
        "the address is added without IFA_F_MANAGETEMPADDR",
    ),
    (
        sections::ADDRESS_OPTION,
        address::NOPREFIXROUTE,
        "the kernel adds the prefix route",
    ),
    (
        sections::ADDRESS_OPTION,
        address::AUTOJOIN,
        "the address is added without IFA_F_MCAUTOJOIN",
    ),
    (
        sections::ADDRESS_OPTION,
        address::PREFERRED_LFT,
        "the address gets vrrpd's default preferred lifetime",
    ),
    (
        sections::ROUTE_OPTION,
        route::OR,
        "the route is added with its first gateway only",
    ),
];

/// What is missing when `keyword` of `section` is used, if vrrpd does not perform it.
pub(crate) fn not_performed(section: &str, keyword: &str) -> Option<&'static str> {
    // Asked for every statement of every file: a scan of the list cost 4 % of
    // `--check-config` on a 260,000-line file, a map lookup with the default SipHash still
    // 4 %; FxHash (keywords are the program's own constants) makes it negligible.
    static BY_KEYWORD: std::sync::LazyLock<
        rustc_hash::FxHashMap<&'static str, Vec<(&'static str, &'static str)>>,
    > = std::sync::LazyLock::new(|| {
        let mut m: rustc_hash::FxHashMap<_, Vec<_>> = rustc_hash::FxHashMap::default();
        for (s, k, why) in NOT_PERFORMED {
            m.entry(*k).or_default().push((*s, *why));
        }
        m
    });
    BY_KEYWORD
        .get(keyword)?
        .iter()
        .find(|(s, _)| *s == section)
        .map(|(_, why)| *why)
}

/// The option words of list entries, for `docs/keywords.md` and its test (the entry parsers
/// match the same constants).
pub(crate) const OPTION_WORDS: &[(&str, &[&str])] = &[
    (sections::UNICAST_PEER, &[peer::MIN_TTL, peer::MAX_TTL]),
    (
        sections::ADDRESS_OPTION,
        &[
            address::DEV,
            address::BRD,
            address::BROADCAST,
            address::SCOPE,
            address::LABEL,
            address::PEER,
            address::HOME,
            address::NODAD,
            address::MNGTMPADDR,
            address::NOPREFIXROUTE,
            address::AUTOJOIN,
            address::NO_TRACK,
            address::PREFERRED_LFT,
            address::USE_VMAC,
        ],
    ),
    (
        sections::ROUTE_OPTION,
        &[
            route::SRC,
            route::TO,
            route::VIA,
            route::GW,
            route::OR,
            route::DEV,
            route::OIF,
            route::TABLE,
            route::METRIC,
            route::PRIORITY,
            route::PREFERENCE,
            route::SCOPE,
            route::NO_TRACK,
        ],
    ),
    (
        sections::RULE_OPTION,
        &[
            rule::FROM,
            rule::TO,
            rule::TABLE,
            rule::LOOKUP,
            rule::PREFERENCE,
            rule::PREF,
            rule::PRIORITY,
            rule::PRIO,
            rule::NO_TRACK,
        ],
    ),
    (
        sections::TRACK_OPTION,
        &[track_ref::WEIGHT, track_ref::REVERSE, track_ref::NOREVERSE],
    ),
];

/// Root-level blocks vrrpd lowers.
pub(crate) const ROOT_BLOCKS: &[&str] = &[
    root::GLOBAL_DEFS,
    root::VRRP_INSTANCE,
    root::VRRP_SCRIPT,
    root::VRRP_SYNC_GROUP,
    root::VRRP_TRACK_PROCESS,
    root::TRACK_FILE,
    root::VRRP_TRACK_FILE,
    root::STATIC_IPADDRESS,
    root::STATIC_ROUTES,
    root::STATIC_RULES,
];

/// Levenshtein distance (for "did you mean").
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        if let Some(c0) = cur.get_mut(0) {
            *c0 = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = sub.min(del).min(ins);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.get(b.len()).copied().unwrap_or(usize::MAX)
}

/// The known keyword nearest to `word`, if it is close enough to be a plausible typo
/// (distance at most 1 for short words, then a third of the length, at most 3).
pub(crate) fn suggest<'k>(
    word: &str,
    candidates: impl IntoIterator<Item = &'k str>,
) -> Option<&'k str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        // Case-only differences (keywords are case-sensitive) and truncated keywords
        // (`virtual_router` for `virtual_router_id`) rank first.
        let truncated = word.len() >= 4 && c.starts_with(word);
        let d = if c == lower || truncated {
            0
        } else {
            edit_distance(word, c)
        };
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance() {
        assert_eq!(edit_distance("prority", "priority"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", "abc"), 0);
    }

    #[test]
    fn suggestions() {
        let kws = ["priority", "state", "interface", "advert_int"];
        assert_eq!(suggest("prority", kws), Some("priority"));
        assert_eq!(suggest("advert_intt", kws), Some("advert_int"));
        assert_eq!(suggest("zzz", kws), None);
        assert_eq!(suggest("STATE", kws), Some("state"));
        let kws = ["virtual_routes", "virtual_router_id"];
        assert_eq!(suggest("virtual_router", kws), Some("virtual_router_id"));
    }
}
