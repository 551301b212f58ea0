//! Everything that enters the core. A serde enum, so a daemon can record its inputs as JSONL
//! and the same file replays as a test (`--record-events`, tests/proto/replay.rs).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::routes::{RouteSpec, RuleSpec};

/// One event for [`super::Router::handle`].
///
/// Serialized by serde's derive (through `remote = "Self"`, so that deserializing can also
/// accept the older bare word `"Stop"`, read as `Stop { release: true }`; see the
/// `Deserialize` impl below).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub enum Input {
    /// A datagram from a raw IPv4 socket, IP header included, exactly as the kernel delivered
    /// it. The core finds the instance by VRID and runs every receive check on it
    /// (docs/keepalived-compat.md#receive-checks, 1–12 through `wire::check_ipv4`, so the IP header,
    /// AH presence and total length are counted like every other receive error).
    Ipv4 {
        ifindex: u32,
        #[serde(with = "hex_bytes")]
        datagram: Vec<u8>,
    },
    /// A received VRRP message with the IP-header fields the core checks: TTL / hop limit and
    /// the destination (multicast vs unicast). This is what a raw IPv6 socket delivers (the
    /// fields come from ancillary data; checked through `wire::check_ipv6`, checksum
    /// included); with IPv4 addresses it is a bare message as replays and simulations feed
    /// it, checked from check 3 on (no IP header, so no checks 2 and 10). The core decodes
    /// and validates it, so every error is counted in one place.
    Packet {
        ifindex: u32,
        src: IpAddr,
        dst: IpAddr,
        ttl: u8,
        #[serde(with = "hex_bytes")]
        bytes: Vec<u8>,
    },
    /// Link state of an interface (IFF_UP and IFF_RUNNING).
    Link { ifname: String, up: bool },
    /// An address appeared on or disappeared from an interface (netlink RTM_NEWADDR/DELADDR).
    Addr {
        ifname: String,
        addr: IpAddr,
        prefix: u8,
        added: bool,
    },
    /// A route appeared or disappeared (netlink RTM_NEWROUTE/DELROUTE). The shell reports
    /// the [`RouteSpec`] it installed for an `AddRoute` (it keeps that set to recognise
    /// its routes); only deletions matter (docs/keepalived-compat.md#addresses-deleted-while-master).
    Route { spec: RouteSpec, added: bool },
    /// A rule appeared or disappeared (RTM_NEWRULE/DELRULE), reported like [`Input::Route`].
    Rule { spec: RuleSpec, added: bool },
    /// A tracker's current contribution (script, tracked interface, file, process), already
    /// reduced by the shell to its effect (docs/keepalived-compat.md#weights-and-effective-priority).
    Tracker {
        target: TrackTarget,
        /// Tracker identity, e.g. `script:chk_nginx` or `interface:eth1`.
        id: String,
        state: TrackerState,
    },
    /// Interface `ifname` has a new index: it was deleted and created again under the same
    /// name (VLANs, bonds, bridges, veth). The instances on it send, and hear, on the new
    /// index from now on.
    Ifindex { ifname: String, ifindex: u32 },
    /// Whether the VRRP sockets of `instance` are open. Without them it would run deaf (and
    /// become MASTER beside the real one), so `open: false` holds it in FAULT until a later
    /// `open: true`, as a down interface does (docs/keepalived-compat.md#sockets).
    Sockets { instance: String, open: bool },
    /// Graceful shutdown (SIGTERM): STOP notifies for every instance and group. With
    /// `release` masters also send priority 0 and remove their VIPs, routes and rules once a
    /// successor is heard or the wait is over (make-before-break, docs/keepalived-compat.md#planned-hand-over;
    /// `Router::is_stopped` says when; a second `Stop` ends the wait at once); without
    /// it (`-V/--dont-release-vrrp`) they keep them and send nothing
    /// (docs/keepalived-compat.md#shutdown, docs/keepalived-compat.md#removing-addresses).
    Stop { release: bool },
    /// An operator drains (`drain: true`) or undrains the named instances (all of them when
    /// `instances` is empty; names the router does not know are ignored): a drained MASTER
    /// sends priority 0, removes its addresses once a successor is heard (or master-down has
    /// passed) and goes BACKUP; a drained instance never becomes MASTER until undrained.
    Drain { instances: Vec<String>, drain: bool },
}

impl Serialize for Input {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Input::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for Input {
    /// The derived form, or the bare word `"Stop"` of recordings made before `Stop` had
    /// its `release` field (tests/replay cases use it): a releasing stop.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Input, D::Error> {
        #[derive(Deserialize)]
        enum Word {
            Stop,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Word(Word),
            Full(#[serde(with = "Input")] Input),
        }
        Ok(match Form::deserialize(d)? {
            Form::Word(Word::Stop) => Input::Stop { release: true },
            Form::Full(i) => i,
        })
    }
}

/// Whom a tracker applies to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrackTarget {
    Instance(String),
    /// A sync-group tracker applies to every member.
    Group(String),
}

/// The effect of one tracker on its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrackerState {
    /// Unweighted and healthy (or weighted with no current contribution).
    Up,
    /// Unweighted and failing: the target goes FAULT.
    Down,
    /// Weighted: this much is added to the base priority (negative = subtracted).
    Weight(i32),
}

/// Serialises byte vectors as one lowercase hex string (readable JSONL).
pub mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn encode(bytes: &[u8]) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(bytes.len() * 2);
        for b in bytes {
            s.push(char::from(DIGITS[usize::from(b >> 4)]));
            s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
        }
        s
    }

    pub fn decode(text: &str) -> Option<Vec<u8>> {
        let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if text.len() % 2 != 0 {
            return None;
        }
        (0..text.len())
            .step_by(2)
            .map(|i| {
                text.get(i..i + 2)
                    .and_then(|p| u8::from_str_radix(p, 16).ok())
            })
            .collect()
    }

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        decode(&text).ok_or_else(|| serde::de::Error::custom("invalid hex string"))
    }
}

#[cfg(test)]
mod tests {
    use super::hex_bytes::{decode, encode};
    use super::Input;

    #[test]
    fn stop_reads_the_bare_word_as_a_releasing_stop_and_round_trips() {
        let old: Input = serde_json::from_str("\"Stop\"").unwrap();
        assert_eq!(old, Input::Stop { release: true });
        for i in [
            Input::Stop { release: false },
            Input::Link {
                ifname: "eth0".into(),
                up: true,
            },
        ] {
            let text = serde_json::to_string(&i).unwrap();
            assert_eq!(serde_json::from_str::<Input>(&text).unwrap(), i);
        }
        assert!(serde_json::from_str::<Input>("\"Start\"").is_err());
    }

    #[test]
    fn hex_round_trips_and_rejects_garbage() {
        assert_eq!(encode(&[0x21, 0x33, 0x00, 0xff]), "213300ff");
        assert_eq!(decode("21 33 00 FF"), Some(vec![0x21, 0x33, 0x00, 0xff]));
        assert_eq!(decode("123"), None);
        assert_eq!(decode("zz"), None);
        assert_eq!(decode("é1"), None);
    }
}
