//! Host facts for tests that plan a configuration without a real host: one interface `eth0`
//! (index 2, up, multicast) with one IPv4 address.
#![allow(dead_code)]

use vrrpd::config::model::IpNet;
use vrrpd::config::{HostInfo, HostInterface};

/// A host whose `eth0` (index 2) has `addr`/24.
pub fn eth0_host(addr: &str) -> HostInfo {
    HostInfo {
        interfaces: vec![HostInterface {
            name: "eth0".into(),
            index: 2,
            up: true,
            is_loopback: false,
            multicast: true,
            addrs: vec![IpNet {
                addr: addr.parse().expect("an IPv4 address"),
                prefix: 24,
            }],
            ..Default::default()
        }],
    }
}
