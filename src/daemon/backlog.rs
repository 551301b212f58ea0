//! Due adverts ahead of a long drain (README "Reload at any size").
//!
//! One drain can hold thousands of actions: 999 instances whose master-down timers started
//! together all become MASTER in the same instant (measured: 11,988 actions, 127 ms of netlink
//! requests, GARP frames, adverts and log lines), and 999 one-second adverts fall due together
//! every second (7–11 ms). Performed in one go, they hold up every other instance: a pair at
//! `advert_int 0.03` on the same node sent its advert 130 ms late and its backup took over.
//!
//! So while a drain is under way the loop keeps watching the core's timers. When one falls due
//! it is handled at once, and of what it produces the adverts go to the front of the backlog;
//! everything else joins the back, so every instance's addresses, routes, GARPs,
//! notifications and log lines keep their order. An advert put in front supersedes a
//! still-queued advert of the same instance to the same destination: sending both, new first,
//! would show peers a stale priority last (and an AH sequence number going backwards, which
//! they drop as a replay, docs/keepalived-compat.md#ipsec-ah). RFC 5798 §6.4.2 sends the advert
//! first on becoming MASTER anyway, before the gratuitous ARPs.

use std::collections::VecDeque;

use crate::node::NodeAction;
use crate::proto::Action;

/// Puts the actions a due timer produced into `backlog`: adverts in front (in their order),
/// the rest at the back; a queued advert the front one supersedes is dropped. Returns how many
/// were dropped.
pub fn hurry(
    backlog: &mut VecDeque<NodeAction>,
    fresh: impl IntoIterator<Item = NodeAction>,
) -> usize {
    let mut urgent: Vec<NodeAction> = Vec::new();
    for a in fresh {
        if advert_key(&a).is_some() {
            urgent.push(a);
        } else {
            backlog.push_back(a);
        }
    }
    let mut dropped = 0;
    for a in &urgent {
        if let Some(key) = advert_key(a) {
            let before = backlog.len();
            backlog.retain(|q| advert_key(q) != Some(key));
            dropped += before - backlog.len();
        }
    }
    for a in urgent.into_iter().rev() {
        backlog.push_front(a);
    }
    dropped
}

/// An advert's instance and destination (one advert per unicast peer).
fn advert_key(a: &NodeAction) -> Option<(&str, std::net::IpAddr)> {
    match a {
        NodeAction::Core(Action::SendAdvert { instance, dst, .. }) => Some((instance, *dst)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::LogLevel;
    use std::net::{IpAddr, Ipv4Addr};

    fn advert(instance: &str, dst: u8, prio: u8) -> NodeAction {
        NodeAction::Core(Action::SendAdvert {
            instance: instance.into(),
            ifindex: 2,
            ifname: "eth0".into(),
            src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            dst: IpAddr::V4(Ipv4Addr::new(224, 0, 0, dst)),
            ttl: 255,
            bytes: vec![prio],
            ah: None,
        })
    }

    fn log(m: &str) -> NodeAction {
        NodeAction::Log {
            level: LogLevel::Info,
            message: m.into(),
        }
    }

    fn names(q: &VecDeque<NodeAction>) -> Vec<String> {
        q.iter()
            .map(|a| match a {
                NodeAction::Core(Action::SendAdvert {
                    instance, bytes, ..
                }) => format!("{instance}:{}", bytes.first().copied().unwrap_or(0)),
                NodeAction::Log { message, .. } => message.clone(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn due_adverts_go_first_and_the_rest_keeps_its_order() {
        let mut q: VecDeque<NodeAction> = [log("a1"), advert("X", 18, 100), log("a2")]
            .into_iter()
            .collect();
        let dropped = hurry(
            &mut q,
            [
                log("b1"),
                advert("VI_1", 18, 150),
                advert("VI_2", 18, 150),
                log("b2"),
            ],
        );
        assert_eq!(dropped, 0);
        assert_eq!(
            names(&q),
            ["VI_1:150", "VI_2:150", "a1", "X:100", "a2", "b1", "b2"]
        );
    }

    #[test]
    fn a_newer_advert_supersedes_the_queued_one_of_the_same_instance_and_peer() {
        let mut q: VecDeque<NodeAction> =
            [advert("VI_1", 18, 150), advert("VI_1", 19, 150), log("a1")]
                .into_iter()
                .collect();
        let dropped = hurry(&mut q, [advert("VI_1", 18, 0)]);
        assert_eq!(dropped, 1);
        // The copy to the other peer stays: it was not re-sent.
        assert_eq!(names(&q), ["VI_1:0", "VI_1:150", "a1"]);
    }
}
