//! Our encoder judged by Wireshark: every frame vrrpd builds is written to a pcap file and
//! dissected by `tshark`, which must see valid VRRP with a good checksum (and a good IPv4
//! header checksum, a gratuitous ARP, a neighbour advertisement with a good ICMPv6
//! checksum). Fails loudly when tshark is missing.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::process::Command;

use crate::common;

use common::frames::{self, v4};
use vrrpd::wire::{garp_frame, unsolicited_na_frame, Addrs, Advert, Auth, Checksum, Version};

const MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];
const PEER_MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x02];
const SRC: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 1);
const PEER: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 2);
const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);

/// The classic pcap format: 24-byte global header (LINKTYPE_ETHERNET), then per frame a
/// 16-byte record header and the bytes.
fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes()); // thiszone
    out.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
    out.extend_from_slice(&65535u32.to_le_bytes()); // snaplen
    out.extend_from_slice(&1u32.to_le_bytes()); // Ethernet
    for (i, f) in frames.iter().enumerate() {
        let len = u32::try_from(f.len()).unwrap();
        out.extend_from_slice(&u32::try_from(1_700_000_000 + i).unwrap().to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

/// An advert from us (`MAC`, `SRC`) to `dst` with IP ID `ident`.
fn ipv4_frame(advert: &Advert, dst: Ipv4Addr, ident: u16) -> Vec<u8> {
    frames::ipv4_frame(advert, (MAC, PEER_MAC), SRC, dst, ident)
}

fn ipv6_frame(advert: &Advert, src: Ipv6Addr, dst: Ipv6Addr) -> Vec<u8> {
    frames::ipv6_frame(advert, MAC, src, dst)
}

fn tshark() -> PathBuf {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("tshark"))
        .find(|p| p.is_file());
    found.unwrap_or_else(|| {
        panic!("tshark is not installed (apt-get install tshark): this test needs it and does not skip")
    })
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn tshark_dissects_our_frames_as_valid() {
    let tshark = tshark();
    let adv = |version, vrid, priority, interval, auth, addrs| Advert {
        version,
        vrid,
        priority,
        interval,
        auth,
        addrs,
    };
    let ll: Ipv6Addr = "fe80::5eff:fe10:1".parse().unwrap();
    let group6: Ipv6Addr = "ff02::12".parse().unwrap();
    let peer6: Ipv6Addr = "fe80::5eff:fe10:2".parse().unwrap();
    let v6addrs = Addrs::V6(vec![
        "fe80::61".parse().unwrap(),
        "2001:db8::61".parse().unwrap(),
    ]);

    // (frame, description, expected tshark fields)
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        (
            ipv4_frame(
                &adv(Version::V2, 51, 100, 1, Auth::None, v4(&["10.99.0.51"])),
                GROUP,
                1,
            ),
            "v2 multicast no auth",
            "2|1|51|100|1|1|0|1",
        ),
        (
            ipv4_frame(
                &adv(
                    Version::V2,
                    52,
                    150,
                    1,
                    Auth::pass_from_str("secret12"),
                    v4(&["10.99.0.52", "10.99.0.152"]),
                ),
                GROUP,
                7,
            ),
            "v2 multicast PASS",
            "2|1|52|150|2|1|1|1",
        ),
        (
            ipv4_frame(
                &adv(
                    Version::V2,
                    53,
                    0,
                    2,
                    Auth::pass_from_str("1234"),
                    v4(&["10.99.0.53"]),
                ),
                GROUP,
                65535,
            ),
            "v2 priority 0 short PASS",
            "2|1|53|0|1|1|1|1",
        ),
        (
            ipv4_frame(
                &adv(
                    Version::V3,
                    60,
                    100,
                    50,
                    Auth::None,
                    v4(&["10.99.0.60", "10.99.0.160"]),
                ),
                GROUP,
                2,
            ),
            "v3 IPv4 multicast 0.5 s",
            "3|1|60|100|2|1||1",
        ),
        (
            ipv4_frame(
                &adv(Version::V3, 71, 254, 100, Auth::None, v4(&["10.99.0.71"])),
                PEER,
                3,
            ),
            "v3 IPv4 unicast",
            "3|1|71|254|1|1||1",
        ),
        (
            ipv6_frame(
                &adv(Version::V3, 61, 100, 100, Auth::None, v6addrs.clone()),
                ll,
                group6,
            ),
            "v3 IPv6 multicast",
            "3|1|61|100|2|1||",
        ),
        (
            ipv6_frame(
                &adv(Version::V3, 62, 255, 4095, Auth::None, v6addrs),
                ll,
                peer6,
            ),
            "v3 IPv6 unicast, owner, max interval",
            "3|1|62|255|2|1||",
        ),
    ];
    let mut frames: Vec<Vec<u8>> = cases.iter().map(|c| c.0.clone()).collect();
    frames.push(garp_frame(MAC, "10.99.0.51".parse().unwrap()).to_vec());
    frames.push(unsolicited_na_frame(MAC, "2001:db8::61".parse().unwrap(), false).to_vec());
    frames.push(unsolicited_na_frame(MAC, "fe80::61".parse().unwrap(), true).to_vec());
    // Negative control: a v3 advert whose checksum skips the pseudo-header must be flagged
    // bad, proving tshark really verifies (v3 with the pseudo-header is its default).
    let mut bad = cases[3].0.clone();
    let no_pseudo = adv(
        Version::V3,
        60,
        100,
        50,
        Auth::None,
        v4(&["10.99.0.60", "10.99.0.160"]),
    )
    .to_vec(Checksum::V2)
    .unwrap();
    bad[34..].copy_from_slice(&no_pseudo);
    frames.push(bad);

    let dir = std::env::temp_dir().join(format!("vrrpd-wire-tshark-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ours.pcap");
    std::fs::write(&file, pcap(&frames)).unwrap();

    let fields = [
        "vrrp.version",
        "vrrp.type",
        "vrrp.virt_rtr_id",
        "vrrp.prio",
        "vrrp.addr_count",
        "vrrp.checksum.status",
        "vrrp.auth_type",
        "ip.checksum.status",
        "arp.isgratuitous",
        "arp.opcode",
        "icmpv6.type",
        "icmpv6.checksum.status",
        "icmpv6.nd.na.flag.o",
        "icmpv6.nd.na.flag.r",
        "_ws.expert",
        "_ws.malformed",
    ];
    let mut cmd = Command::new(&tshark);
    cmd.arg("-r").arg(&file);
    cmd.args([
        "-o",
        "ip.check_checksum:TRUE",
        "-T",
        "fields",
        "-E",
        "separator=|",
    ]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("run tshark");
    std::fs::remove_dir_all(&dir).ok();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), frames.len(), "tshark output:\n{stdout}");

    let mut failures = Vec::new();
    for (i, (_, what, want)) in cases.iter().enumerate() {
        let cols: Vec<&str> = lines[i].split('|').collect();
        // VRRP fields 0..=6 plus the IPv4 header checksum status (1 = good), nothing else.
        let got = cols[..8].join("|");
        let rest = cols[8..].iter().all(|c| c.is_empty());
        if got != *want || !rest {
            failures.push(format!("{what}: got {:?}, want {want:?}", lines[i]));
        }
    }
    let n = cases.len();
    let garp: Vec<&str> = lines[n].split('|').collect();
    if garp[8] != "1" || garp[9] != "1" || !garp[14].is_empty() {
        failures.push(format!("GARP: {:?}", lines[n]));
    }
    for (k, router) in [(n + 1, "0"), (n + 2, "1")] {
        let na: Vec<&str> = lines[k].split('|').collect();
        if na[10] != "136"
            || na[11] != "1"
            || na[12] != "1"
            || na[13] != router
            || !na[14].is_empty()
        {
            failures.push(format!("NA (router {router}): {:?}", lines[k]));
        }
    }
    assert!(
        failures.is_empty(),
        "tshark disagrees:\n{}\nfull output:\n{stdout}",
        failures.join("\n")
    );
}
