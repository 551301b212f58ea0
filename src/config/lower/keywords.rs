//! Keyword tables shared by the sections: keywords of keepalived's other subsystems (skipped
//! with one warning), process-level keywords accepted without effect, and the
//! nearest-keyword suggestion for typos.

/// Root-level blocks of keepalived's LVS / checker / BFD subsystems. keepalived's VRRP process
/// registers them as inactive and skips them whole (keepalived-behaviour §1.9); vrrpd does the
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
    "vrrp_netlink_cmd_rcv_bufs",
    "vrrp_netlink_cmd_rcv_bufs_force",
    "vrrp_netlink_monitor_rcv_bufs",
    "vrrp_netlink_monitor_rcv_bufs_force",
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
