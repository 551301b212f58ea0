//! The portable binary (packaging/build-portable.sh): no dynamic symbol needs a glibc newer
//! than 2.17, the support floor (README "Support floor").

use std::path::Path;
use std::process::Command;

/// The glibc version every symbol may need at most.
const FLOOR: (u32, u32) = (2, 17);

/// Every `GLIBC_x.y[.z]` version `objdump -T` shows for `bin`, with the symbol's line.
pub fn glibc_versions(bin: &Path) -> Vec<((u32, u32), String)> {
    let out = Command::new("objdump")
        .arg("-T")
        .arg(bin)
        .output()
        .expect("objdump runs (binutils)");
    assert!(
        out.status.success(),
        "objdump -T {}: {out:?}",
        bin.display()
    );
    let mut v = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        for word in line.split(|c: char| c.is_whitespace() || c == '(' || c == ')') {
            let Some(ver) = word.strip_prefix("GLIBC_") else {
                continue;
            };
            let mut parts = ver.split('.').map(|p| p.parse::<u32>());
            if let (Some(Ok(major)), Some(Ok(minor))) = (parts.next(), parts.next()) {
                v.push(((major, minor), line.trim().to_string()));
            }
        }
    }
    v
}

/// Panics naming every symbol of `bin` that needs a glibc above [`FLOOR`].
pub fn assert_glibc_floor(bin: &Path) {
    let versions = glibc_versions(bin);
    assert!(
        !versions.is_empty(),
        "{}: no GLIBC_ versions (not dynamically linked against glibc?)",
        bin.display()
    );
    let above: Vec<&String> = versions
        .iter()
        .filter(|(v, _)| *v > FLOOR)
        .map(|(_, l)| l)
        .collect();
    assert!(
        above.is_empty(),
        "{} needs glibc above {}.{}:\n{}",
        bin.display(),
        FLOOR.0,
        FLOOR.1,
        above
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "builds the portable release binary (netns-tests)"
)]
#[test]
fn portable_binary_needs_no_glibc_symbol_above_2_17() {
    super::netns::require_tool("objdump");
    let bin = super::portable_binary();
    assert_glibc_floor(bin);
    // The interpreter every x86_64 glibc system has, not a newer loader path.
    let out = Command::new("readelf")
        .args(["-l"])
        .arg(bin)
        .output()
        .expect("readelf runs");
    let headers = String::from_utf8_lossy(&out.stdout);
    assert!(headers.contains("/lib64/ld-linux-x86-64.so.2"), "{headers}");
}

#[test]
fn the_check_reads_objdump_versions() {
    // This test binary itself, linked against the build host's glibc: the parser finds
    // versions in objdump's output at all.
    let me = std::env::current_exe().expect("current exe");
    let v = glibc_versions(&me);
    assert!(v.iter().any(|(ver, _)| *ver >= (2, 2)), "{v:?}");
}
