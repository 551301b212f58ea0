//! Gratuitous ARP and unsolicited neighbour advertisement frames, byte for byte as keepalived
//! sends them from a packet socket when it becomes master (docs/keepalived-compat.md#gratuitous-arp-and-unsolicited-na).
//!
//! Gratuitous ARP: Ethernet II + ARP request (RFC 826), 42 bytes.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      Destination MAC ff:ff:ff:ff:ff:ff                        |
//! +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                               |      Source MAC (interface)   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      EtherType 0x0806         |   HTYPE 1 (Ethernet)          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      PTYPE 0x0800             |  HLEN 6       |  PLEN 4       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      OPER 1 (request)         |  Sender HW address (MAC) ...  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  ... Sender HW address        |  Sender IP = VIP ...          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  ... Sender IP                |  Target HW ff:ff:ff:ff:ff:ff  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Target IP = VIP                                              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Unsolicited NA: Ethernet II (dst 33:33:00:00:00:01) + IPv6 (src = the VIP, dst ff02::1,
//! hop limit 255) + ICMPv6 neighbour advertisement (RFC 4861 §4.4) with a target link-layer
//! address option (RFC 4861 §4.6.1), 86 bytes.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type 136  |     Code 0    |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |R|S|O|                     Reserved                            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! +                       Target Address = VIP                    +
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Type 2      |   Length 1    |    Link-Layer Address (MAC)   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                     ... Link-Layer Address                    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use std::net::{Ipv4Addr, Ipv6Addr};

use super::checksum;

/// An Ethernet MAC address.
pub type Mac = [u8; 6];

mod field {
    pub type Field = core::ops::Range<usize>;

    // Ethernet II.
    pub const ETH_DST: Field = 0..6;
    pub const ETH_SRC: Field = 6..12;
    pub const ETH_TYPE: Field = 12..14;

    // ARP, from the start of the frame.
    pub const ARP_HTYPE: Field = 14..16;
    pub const ARP_PTYPE: Field = 16..18;
    pub const ARP_HLEN: usize = 18;
    pub const ARP_PLEN: usize = 19;
    pub const ARP_OPER: Field = 20..22;
    pub const ARP_SHA: Field = 22..28;
    pub const ARP_SPA: Field = 28..32;
    pub const ARP_THA: Field = 32..38;
    pub const ARP_TPA: Field = 38..42;

    // IPv6, from the start of the frame.
    pub const IP6_VTC_FLOW: Field = 14..18;
    pub const IP6_PAYLOAD_LEN: Field = 18..20;
    pub const IP6_NEXT_HEADER: usize = 20;
    pub const IP6_HOP_LIMIT: usize = 21;
    pub const IP6_SRC: Field = 22..38;
    pub const IP6_DST: Field = 38..54;
    pub const IP6_PAYLOAD: usize = 54;

    // ICMPv6 neighbour advertisement, from the start of the frame.
    pub const NA_TYPE: usize = 54;
    pub const NA_CODE: usize = 55;
    pub const NA_CHECKSUM: Field = 56..58;
    pub const NA_FLAGS: usize = 58;
    pub const NA_TARGET: Field = 62..78;
    pub const OPT_TYPE: usize = 78;
    pub const OPT_LEN: usize = 79;
    pub const OPT_MAC: Field = 80..86;
}

/// Length of a gratuitous ARP frame (no padding: the NIC pads to 60 bytes).
pub const GARP_LEN: usize = 42;
/// Length of an unsolicited NA frame.
pub const NA_LEN: usize = 86;
/// Broadcast MAC, used as Ethernet destination and ARP target hardware address.
pub const BROADCAST: Mac = [0xff; 6];
/// Ethernet destination for ff02::1 (RFC 2464 §7).
pub const ALL_NODES_MAC: Mac = [0x33, 0x33, 0, 0, 0, 1];
/// ff02::1, all nodes.
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

const ETHERTYPE_ARP: u16 = 0x0806;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const PROTO_ICMPV6: u8 = 58;
const ICMPV6_NEIGHBOR_ADVERT: u8 = 136;
const NA_FLAG_ROUTER: u8 = 0x80;
const NA_FLAG_OVERRIDE: u8 = 0x20;
const OPT_TARGET_LL_ADDR: u8 = 2;
/// ICMPv6 length: 24-byte NA + 8-byte option.
const NA_ICMP_LEN: u16 = 32;

fn put(buf: &mut [u8], f: field::Field, v: &[u8]) {
    if let Some(dst) = buf.get_mut(f) {
        if dst.len() == v.len() {
            dst.copy_from_slice(v);
        }
    }
}

fn put_byte(buf: &mut [u8], i: usize, v: u8) {
    if let Some(b) = buf.get_mut(i) {
        *b = v;
    }
}

/// The gratuitous ARP keepalived sends for `vip` from an interface with MAC `mac`: Ethernet
/// broadcast, ARP request, sender = (mac, vip), target = (ff:ff:ff:ff:ff:ff, vip).
pub fn garp_frame(mac: Mac, vip: Ipv4Addr) -> [u8; GARP_LEN] {
    let mut f = [0u8; GARP_LEN];
    put(&mut f, field::ETH_DST, &BROADCAST);
    put(&mut f, field::ETH_SRC, &mac);
    put(&mut f, field::ETH_TYPE, &ETHERTYPE_ARP.to_be_bytes());
    put(&mut f, field::ARP_HTYPE, &1u16.to_be_bytes());
    put(&mut f, field::ARP_PTYPE, &0x0800u16.to_be_bytes());
    put_byte(&mut f, field::ARP_HLEN, 6);
    put_byte(&mut f, field::ARP_PLEN, 4);
    put(&mut f, field::ARP_OPER, &1u16.to_be_bytes());
    put(&mut f, field::ARP_SHA, &mac);
    put(&mut f, field::ARP_SPA, &vip.octets());
    put(&mut f, field::ARP_THA, &BROADCAST);
    put(&mut f, field::ARP_TPA, &vip.octets());
    f
}

/// The unsolicited neighbour advertisement keepalived sends for `vip` from MAC `mac`:
/// IPv6 src = the VIP, dst ff02::1, hop limit 255, traffic class and flow label 0; NA with
/// the Override flag, the Router flag when `router` (the interface forwards IPv6), and a
/// target link-layer address option; ICMPv6 checksum computed.
pub fn unsolicited_na_frame(mac: Mac, vip: Ipv6Addr, router: bool) -> [u8; NA_LEN] {
    let mut f = [0u8; NA_LEN];
    put(&mut f, field::ETH_DST, &ALL_NODES_MAC);
    put(&mut f, field::ETH_SRC, &mac);
    put(&mut f, field::ETH_TYPE, &ETHERTYPE_IPV6.to_be_bytes());
    put(&mut f, field::IP6_VTC_FLOW, &0x6000_0000u32.to_be_bytes());
    put(&mut f, field::IP6_PAYLOAD_LEN, &NA_ICMP_LEN.to_be_bytes());
    put_byte(&mut f, field::IP6_NEXT_HEADER, PROTO_ICMPV6);
    put_byte(&mut f, field::IP6_HOP_LIMIT, 255);
    put(&mut f, field::IP6_SRC, &vip.octets());
    put(&mut f, field::IP6_DST, &ALL_NODES.octets());
    put_byte(&mut f, field::NA_TYPE, ICMPV6_NEIGHBOR_ADVERT);
    put_byte(&mut f, field::NA_CODE, 0);
    let flags = NA_FLAG_OVERRIDE | if router { NA_FLAG_ROUTER } else { 0 };
    put_byte(&mut f, field::NA_FLAGS, flags);
    put(&mut f, field::NA_TARGET, &vip.octets());
    put_byte(&mut f, field::OPT_TYPE, OPT_TARGET_LL_ADDR);
    put_byte(&mut f, field::OPT_LEN, 1);
    put(&mut f, field::OPT_MAC, &mac);
    let pseudo = checksum::pseudo_header_v6(vip, ALL_NODES, PROTO_ICMPV6, u32::from(NA_ICMP_LEN));
    let value = checksum::compute(pseudo, f.get(field::IP6_PAYLOAD..).unwrap_or(&[]));
    put(&mut f, field::NA_CHECKSUM, &value.to_be_bytes());
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: Mac = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];

    #[test]
    fn garp_layout() {
        let f = garp_frame(MAC, Ipv4Addr::new(10, 99, 0, 51));
        assert_eq!(&f[0..6], &BROADCAST);
        assert_eq!(&f[6..12], &MAC);
        assert_eq!(&f[12..14], &[0x08, 0x06]);
        assert_eq!(&f[20..22], &[0, 1]);
        assert_eq!(&f[28..32], &[10, 99, 0, 51]);
        assert_eq!(&f[32..38], &BROADCAST);
        assert_eq!(&f[38..42], &[10, 99, 0, 51]);
    }

    #[test]
    fn na_checksum_verifies_and_router_flag() {
        let vip: Ipv6Addr = "2001:db8::61".parse().unwrap();
        for router in [false, true] {
            let f = unsolicited_na_frame(MAC, vip, router);
            let pseudo = checksum::pseudo_header_v6(vip, ALL_NODES, PROTO_ICMPV6, 32);
            assert!(checksum::verify(pseudo, &f[54..]));
            assert_eq!(f[58], if router { 0xa0 } else { 0x20 });
        }
    }
}
