//! Throughput of the receive path: whole keepalived-captured IPv4 packets through
//! `check_ipv4` (all of keepalived's checks, checksum included, and the decode to an
//! `Advert`), plus `Advert::parse` and `emit_ipv4_advert` alone, and for `auth_type AH` the
//! receive checks with the ICV and the sealing of an advert (tests/fixtures/keepalived-ah).
//! Prints figures, asserts nothing. Run with `cargo bench --bench wire`.

#[path = "../tests/common/fixtures.rs"]
mod fixtures;

use std::hint::black_box;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use vrrpd::wire::GROUP_V4 as DEFAULT_GROUP_V4;
use vrrpd::wire::{
    check_ipv4, check_ipv4_ah, emit_ipv4_advert, ipv4_advert_len, Advert, AhCheck, Auth, Checksum,
    Expect, Family, Ipv4Repr, SeqCounter, UnicastChecksum, Version,
};

fn rate(what: &str, mut f: impl FnMut()) {
    // Warm up, then run batches for about half a second.
    for _ in 0..1000 {
        f();
    }
    let start = Instant::now();
    let mut n: u64 = 0;
    while start.elapsed() < Duration::from_millis(500) {
        for _ in 0..1000 {
            f();
        }
        n += 1000;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{what:<48} {:>12.0} /s  {:>8.1} ns each",
        n as f64 / secs,
        secs * 1e9 / n as f64
    );
}

fn main() {
    let cases = [
        (
            "v2-mcast-pass-secret12",
            Version::V2,
            Auth::pass_from_str("secret12"),
            1,
            3,
        ),
        ("v2-mcast-noauth", Version::V2, Auth::None, 1, 1),
        ("v3-ipv4-mcast-0.5s", Version::V3, Auth::None, 50, 2),
        ("v3-ipv4-unicast", Version::V3, Auth::None, 100, 1),
    ];
    for (name, version, auth, interval, vips) in cases {
        let frame = fixtures::frame(name);
        let packet = frame[14..].to_vec();
        let multicast = !name.contains("unicast");
        let expect = Expect {
            version,
            auth,
            interval,
            vip_count: Some(vips),
            multicast,
            group_v4: DEFAULT_GROUP_V4,
            unicast_checksum: UnicastChecksum::Detect,
        };
        assert!(check_ipv4(&packet, &expect).is_ok(), "{name}");
        rate(&format!("decode+validate {name}"), || {
            let _ = black_box(check_ipv4(black_box(&packet), &expect));
        });
        let dst = Ipv4Addr::new(packet[16], packet[17], packet[18], packet[19]);
        let src = Ipv4Addr::new(packet[12], packet[13], packet[14], packet[15]);
        let csum = Checksum::ipv4(version, src, dst);
        rate(&format!("parse only {name}"), || {
            let _ = black_box(Advert::parse(black_box(&packet[20..]), Family::V4, csum));
        });
        let advert = Advert::parse(&packet[20..], Family::V4, csum).unwrap();
        let mut buf = vec![0u8; ipv4_advert_len(&advert)];
        let ip = Ipv4Repr::vrrp(src, dst, 255, 1, 0);
        rate(&format!("emit IPv4 packet {name}"), || {
            let _ = black_box(emit_ipv4_advert(black_box(&advert), &ip, csum, &mut buf));
        });
    }
    ah();
}

/// keepalived's multicast AH advert (two VIPs, key "secret12"): all receive checks with the
/// HMAC-MD5 ICV, and sealing the same advert.
fn ah() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keepalived-ah/v2-mcast-ah.hex");
    let packet = fixtures::parse_hex(&std::fs::read_to_string(path).expect("AH fixture"));
    let expect = Expect {
        version: Version::V2,
        auth: Auth::Ah,
        interval: 1,
        vip_count: Some(2),
        multicast: true,
        group_v4: DEFAULT_GROUP_V4,
        unicast_checksum: UnicastChecksum::Detect,
    };
    let fresh = AhCheck {
        key: *b"secret12",
        counter: SeqCounter::default(),
    };
    let mut first = fresh;
    assert!(check_ipv4_ah(&packet, &expect, Some(&mut first)).is_ok());
    rate("decode+validate+ICV v2-mcast-ah", || {
        let mut ah = fresh;
        let _ = black_box(check_ipv4_ah(black_box(&packet), &expect, Some(&mut ah)));
    });
    let ip = Ipv4Repr {
        protocol: vrrpd::wire::PROTO_AH,
        ..Ipv4Repr::vrrp(Ipv4Addr::new(10, 99, 0, 1), DEFAULT_GROUP_V4, 255, 1, 0)
    };
    let message = packet[44..].to_vec();
    rate("seal (AH header + ICV) v2-mcast-ah", || {
        let _ = black_box(vrrpd::wire::ah::seal(
            &ip,
            b"secret12",
            black_box(7),
            false,
            black_box(&message),
        ));
    });
}
