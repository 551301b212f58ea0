//! The SMTP alert settings (docs/keepalived-compat.md#smtp-alerts): who gets mail, through
//! which server, and which instances and sync groups send it.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::config::model::{Config, Sp};
use crate::sys::smtp::{MailSpec, DEFAULT_CONNECT_TIMEOUT, DEFAULT_PORT};

/// The instances whose effective `smtp_alert` is on (config::check derives it: the instance's
/// own keyword, else `smtp_alert_vrrp`, else `smtp_alert`), mail server or not: the dumps
/// show it.
pub fn alerting_instances(cfg: &Config) -> BTreeSet<String> {
    cfg.instances
        .iter()
        .filter(|i| i.effective.smtp_alert.value)
        .map(|i| i.name.value.clone())
        .collect()
}

/// The alert settings of `cfg`; `None` when keepalived sends no mail at all (no
/// `notification_email` address or no `smtp_server`), whatever `smtp_alert` says.
pub fn mail_spec(cfg: &Config) -> Option<MailSpec> {
    let g = &cfg.global;
    let server = g.smtp_server.as_ref()?;
    if g.notification_email.is_empty() {
        return None;
    }
    let text = |v: &Option<Sp<String>>| v.as_ref().map(|s| s.value.clone());
    // A sync group's own `smtp_alert`, else `smtp_alert_vrrp`, else `smtp_alert`, else off:
    // the same order as an instance's (config::check derives the instances').
    let group_default = g
        .smtp_alert_vrrp
        .as_ref()
        .or(g.smtp_alert.as_ref())
        .is_some_and(|b| b.value);
    Some(MailSpec {
        server: server.host.value.clone(),
        port: server.port.as_ref().map_or(DEFAULT_PORT, |p| p.value),
        recipients: g
            .notification_email
            .iter()
            .map(|e| e.value.clone())
            .collect(),
        from: text(&g.notification_email_from),
        helo: text(&g.smtp_helo_name),
        router_id: text(&g.router_id),
        connect_timeout: g
            .smtp_connect_timeout
            .as_ref()
            .map_or(DEFAULT_CONNECT_TIMEOUT, |t| {
                Duration::from_secs(u64::from(t.value.max(1)))
            }),
        no_email_faults: g.no_email_faults.as_ref().is_some_and(|b| b.value),
        instances: alerting_instances(cfg),
        groups: cfg
            .sync_groups
            .iter()
            .filter(|s| s.smtp_alert.as_ref().map_or(group_default, |b| b.value))
            .map(|s| s.name.value.clone())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> Option<MailSpec> {
        let loaded = crate::config::load_str(text);
        let rendered = loaded.render();
        let cfg = loaded.config.unwrap_or_else(|| panic!("{rendered}"));
        mail_spec(&cfg)
    }

    const BODY: &str = "vrrp_instance A {\n interface lo\n virtual_router_id 5\n priority 100\n virtual_ipaddress { 10.0.0.1 }\n}\n\
        vrrp_instance B {\n interface lo\n virtual_router_id 6\n priority 100\n virtual_ipaddress { 10.0.0.2 }\n smtp_alert false\n}\n\
        vrrp_instance C {\n interface lo\n virtual_router_id 7\n priority 100\n virtual_ipaddress { 10.0.0.3 }\n}\n\
        vrrp_sync_group G {\n group {\n A\n B\n }\n}\n\
        vrrp_sync_group H {\n group {\n C\n }\n smtp_alert\n}\n";

    #[test]
    fn no_mail_without_recipients_or_server() {
        let only_server = format!("global_defs {{\n smtp_server 10.0.0.9\n smtp_alert\n}}\n{BODY}");
        assert_eq!(spec(&only_server), None);
        let only_rcpt = format!(
            "global_defs {{\n notification_email {{\n a@x.test\n }}\n smtp_alert\n}}\n{BODY}"
        );
        assert_eq!(spec(&only_rcpt), None);
    }

    #[test]
    fn vrrp_keyword_wins_over_global_and_local_wins_over_both() {
        let cfg = format!(
            "global_defs {{\n notification_email {{\n a@x.test\n b@x.test\n }}\n smtp_server 10.0.0.9 2525\n \
             smtp_alert false\n smtp_alert_vrrp\n router_id lb1\n}}\n{BODY}"
        );
        let s = spec(&cfg).unwrap();
        assert_eq!(s.server, "10.0.0.9");
        assert_eq!(s.port, 2525);
        assert_eq!(s.recipients, ["a@x.test", "b@x.test"]);
        assert_eq!(s.router_id.as_deref(), Some("lb1"));
        assert_eq!(s.from, None);
        assert_eq!(s.connect_timeout, DEFAULT_CONNECT_TIMEOUT);
        let names = |v: &std::collections::BTreeSet<String>| v.iter().cloned().collect::<Vec<_>>();
        assert_eq!(names(&s.instances), ["A", "C"]);
        assert_eq!(names(&s.groups), ["G", "H"]);
        // Only the global smtp_alert: off unless it is on; H's own keyword still counts.
        let off = cfg.replace(" smtp_alert_vrrp\n", "");
        let s = spec(&off).unwrap();
        assert_eq!(names(&s.instances), Vec::<String>::new());
        assert_eq!(names(&s.groups), ["H"]);
    }
}
