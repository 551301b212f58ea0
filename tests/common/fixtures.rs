//! Loads the keepalived 2.2.7 captures in `tests/fixtures/keepalived/*.hex` (written by
//! `tests/fixtures/capture-keepalived.sh`) and compares bytes with a hex diff.
#![allow(dead_code)]

use std::path::PathBuf;

pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keepalived")
}

/// Decodes one fixture file: `#` lines are comments, the rest is hex.
pub fn parse_hex(text: &str) -> Vec<u8> {
    let hex: String = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect();
    assert!(hex.len() % 2 == 0, "odd number of hex digits");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// The Ethernet frame of one fixture, by file name without `.hex`.
pub fn frame(name: &str) -> Vec<u8> {
    let path = dir().join(format!("{name}.hex"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
    parse_hex(&text)
}

/// Every fixture as (name, frame), sorted by name.
pub fn all() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir())
        .expect("tests/fixtures/keepalived exists")
        .filter_map(|e| {
            let path = e.ok()?.path();
            let name = path
                .file_name()?
                .to_str()?
                .strip_suffix(".hex")?
                .to_string();
            let text = std::fs::read_to_string(&path).ok()?;
            Some((name, parse_hex(&text)))
        })
        .collect();
    out.sort();
    out
}

/// The EtherType of a frame.
pub fn ethertype(frame: &[u8]) -> u16 {
    u16::from_be_bytes([frame[12], frame[13]])
}

/// Every VRRP message among the fixtures as (name, family, payload, checksum mode).
pub fn vrrp_payloads() -> Vec<(String, vrrpd::wire::Family, Vec<u8>, vrrpd::wire::Checksum)> {
    use std::net::{Ipv4Addr, Ipv6Addr};
    use vrrpd::wire::{Checksum, Family};
    let group = Ipv4Addr::new(224, 0, 0, 18);
    let mut out = Vec::new();
    for (name, f) in all() {
        match ethertype(&f) {
            0x0800 if f[14 + 9] == 112 => {
                let ihl = usize::from(f[14] & 0x0f) * 4;
                let src = Ipv4Addr::new(f[26], f[27], f[28], f[29]);
                let mut dst = Ipv4Addr::new(f[30], f[31], f[32], f[33]);
                let msg = f[14 + ihl..].to_vec();
                if name.contains("oldcsum") {
                    dst = group;
                }
                let csum = if msg[0] >> 4 == 2 {
                    Checksum::V2
                } else {
                    Checksum::V3Ipv4 { src, dst }
                };
                out.push((name, Family::V4, msg, csum));
            }
            0x86dd if f[20] == 112 => {
                let src = Ipv6Addr::from(<[u8; 16]>::try_from(&f[22..38]).unwrap());
                let dst = Ipv6Addr::from(<[u8; 16]>::try_from(&f[38..54]).unwrap());
                out.push((
                    name,
                    Family::V6,
                    f[54..].to_vec(),
                    Checksum::V3Ipv6 { src, dst },
                ));
            }
            _ => {}
        }
    }
    out
}

/// Hex dump with one 16-byte row per line.
pub fn hex_rows(b: &[u8]) -> Vec<String> {
    b.chunks(16)
        .enumerate()
        .map(|(i, c)| {
            let h: Vec<String> = c.iter().map(|x| format!("{x:02x}")).collect();
            format!("{:04x}: {}", i * 16, h.join(" "))
        })
        .collect()
}

/// Asserts two byte strings are equal, printing a row-by-row hex diff when they are not.
#[track_caller]
pub fn assert_eq_hex(what: &str, got: &[u8], want: &[u8]) {
    if got == want {
        return;
    }
    let (g, w) = (hex_rows(got), hex_rows(want));
    let mut msg = format!(
        "{what}: bytes differ (got {} bytes, want {})\n",
        got.len(),
        want.len()
    );
    for i in 0..g.len().max(w.len()) {
        let gl = g.get(i).map(String::as_str).unwrap_or("");
        let wl = w.get(i).map(String::as_str).unwrap_or("");
        let mark = if gl == wl { ' ' } else { '!' };
        msg.push_str(&format!("{mark} got  {gl}\n{mark} want {wl}\n"));
    }
    panic!("{msg}");
}
