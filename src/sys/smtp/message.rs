//! The text of one alert mail, as keepalived 2.2.7 writes it (docs/keepalived-compat.md#smtp-alerts):
//! which transitions mail, the subject and body of each, and the header block. Pure: the date
//! is an argument.

use crate::proto::{NotifyEvent, NotifyTarget};

/// keepalived's subject buffer is 256 bytes: at most 255 of text.
const MAX_SUBJECT: usize = 255;
/// keepalived's `To:` buffer is 1024 bytes; addresses that no longer fit are left out of the
/// header (they still get the mail: the envelope lists every recipient).
const MAX_TO: usize = 1023;

/// The subject tail and the one-line body of `event` for `target`; `None` when keepalived
/// sends no mail for it (a group has no DELETED mail; `MASTER_RX_LOWER_PRI` is not a state).
pub fn wording(target: &NotifyTarget, event: NotifyEvent) -> Option<(&'static str, &'static str)> {
    let group = matches!(target, NotifyTarget::Group(_));
    Some(match (event, group) {
        (NotifyEvent::Master, false) => (
            "Entering MASTER state",
            "=> VRRP Instance is now owning VRRP VIPs <=",
        ),
        (NotifyEvent::Backup, false) => (
            "Entering BACKUP state",
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        ),
        (NotifyEvent::Fault, false) => (
            "Entering FAULT state",
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        ),
        (NotifyEvent::Stop, false) => ("Stopping", "=> VRRP Instance stopping <="),
        (NotifyEvent::Deleted, false) => ("Deleted", "=> VRRP Deleted at reload <="),
        (NotifyEvent::Master, true) => (
            "Entering MASTER state",
            "=> All VRRP group instances are now in MASTER state <=",
        ),
        (NotifyEvent::Backup, true) => (
            "Entering BACKUP state",
            "=> All VRRP group instances are now in BACKUP state <=",
        ),
        (NotifyEvent::Fault, true) => (
            "Entering FAULT state",
            "=> All VRRP group instances are now in FAULT state <=",
        ),
        (NotifyEvent::Stop, true) => (
            "Stopping",
            "=> All VRRP group instances are now stopping <=",
        ),
        (NotifyEvent::Deleted, true) | (NotifyEvent::MasterRxLowerPri, _) => return None,
    })
}

/// `[ROUTER_ID] VRRP Instance NAME - WHAT` or `[ROUTER_ID] VRRP Group NAME - WHAT`, cut to
/// keepalived's 255 bytes.
pub fn subject(router_id: &str, target: &NotifyTarget, what: &str) -> String {
    let s = match target {
        NotifyTarget::Instance(n) => format!("[{router_id}] VRRP Instance {n} - {what}"),
        NotifyTarget::Group(n) => format!("[{router_id}] VRRP Group {n} - {what}"),
    };
    cut(s, MAX_SUBJECT)
}

/// The `To:` header: the recipients joined with `, ` in configuration order, stopping at the
/// first one that does not fit keepalived's buffer.
pub fn to_header(recipients: &[String]) -> String {
    let mut out = String::new();
    for r in recipients {
        let sep = if out.is_empty() { 0 } else { 2 };
        if out.len() + sep > MAX_TO {
            break;
        }
        if out.len() + sep + r.len() > MAX_TO {
            // keepalived writes the separator, then finds the address too long.
            if sep > 0 {
                out.push_str(", ");
            }
            break;
        }
        if sep > 0 {
            out.push_str(", ");
        }
        out.push_str(r);
    }
    out
}

/// The message as sent after `DATA` (without the final `.` line): keepalived's five headers,
/// an empty line, the body line, and the empty line keepalived puts before the terminating dot.
pub fn compose(date: &str, from: &str, subject: &str, to: &str, body: &str) -> String {
    format!(
        "Date: {date}\r\nFrom: {from}\r\nSubject: {subject}\r\nX-Mailer: Keepalived\r\nTo: {to}\r\n\r\n{body}\r\n\r\n"
    )
}

fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(n: &str) -> NotifyTarget {
        NotifyTarget::Instance(n.into())
    }

    #[test]
    fn instance_master_mail_reads_like_keepalived() {
        let (what, body) = wording(&inst("VI_1"), NotifyEvent::Master).unwrap();
        let s = subject("lb1", &inst("VI_1"), what);
        assert_eq!(s, "[lb1] VRRP Instance VI_1 - Entering MASTER state");
        let to = to_header(&["a@x.test".into(), "b@x.test".into()]);
        assert_eq!(to, "a@x.test, b@x.test");
        assert_eq!(
            compose("Wed, 02 Dec 2026 01:30:00 +0000", "root@lb1", &s, &to, body),
            "Date: Wed, 02 Dec 2026 01:30:00 +0000\r\nFrom: root@lb1\r\n\
             Subject: [lb1] VRRP Instance VI_1 - Entering MASTER state\r\n\
             X-Mailer: Keepalived\r\nTo: a@x.test, b@x.test\r\n\r\n\
             => VRRP Instance is now owning VRRP VIPs <=\r\n\r\n"
        );
    }

    #[test]
    fn every_state_has_keepalived_words() {
        let g = NotifyTarget::Group("G1".into());
        let cases = [
            (
                inst("V"),
                NotifyEvent::Backup,
                "Entering BACKUP state",
                "=> VRRP Instance is no longer owning VRRP VIPs <=",
            ),
            (
                inst("V"),
                NotifyEvent::Fault,
                "Entering FAULT state",
                "=> VRRP Instance is no longer owning VRRP VIPs <=",
            ),
            (
                inst("V"),
                NotifyEvent::Stop,
                "Stopping",
                "=> VRRP Instance stopping <=",
            ),
            (
                inst("V"),
                NotifyEvent::Deleted,
                "Deleted",
                "=> VRRP Deleted at reload <=",
            ),
            (
                g.clone(),
                NotifyEvent::Master,
                "Entering MASTER state",
                "=> All VRRP group instances are now in MASTER state <=",
            ),
            (
                g.clone(),
                NotifyEvent::Backup,
                "Entering BACKUP state",
                "=> All VRRP group instances are now in BACKUP state <=",
            ),
            (
                g.clone(),
                NotifyEvent::Fault,
                "Entering FAULT state",
                "=> All VRRP group instances are now in FAULT state <=",
            ),
            (
                g.clone(),
                NotifyEvent::Stop,
                "Stopping",
                "=> All VRRP group instances are now stopping <=",
            ),
        ];
        for (t, e, what, body) in cases {
            assert_eq!(wording(&t, e), Some((what, body)), "{t:?} {e:?}");
        }
        assert_eq!(subject("r", &g, "Stopping"), "[r] VRRP Group G1 - Stopping");
        assert_eq!(wording(&g, NotifyEvent::Deleted), None);
        assert_eq!(wording(&inst("V"), NotifyEvent::MasterRxLowerPri), None);
    }

    #[test]
    fn long_subject_and_recipients_are_cut_like_keepalived() {
        let name = "é".repeat(200);
        let s = subject("r", &inst(&name), "Stopping");
        assert!(s.len() <= 255 && s.len() >= 254, "{}", s.len());
        let many: Vec<String> = (0..200)
            .map(|i| format!("user{i:03}@example.test"))
            .collect();
        let to = to_header(&many);
        assert!(to.len() <= 1023);
        assert!(to.starts_with("user000@example.test, user001@example.test"));
        // 20 bytes per address + 2 per separator: 46 fit in 1023, then a dangling separator.
        assert_eq!(to.matches('@').count(), 46);
    }
}
