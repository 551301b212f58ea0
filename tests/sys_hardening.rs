//! Issue #9, "Local users and files": what a local user can plant in `/tmp` and other
//! shared places must not make the root daemon write, block or eat memory
//! (keepalived's CVE-2018-19044/19045/19046). Runs as root for the ownership checks.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vrrpd-harden-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).expect("stat").mode() & 0o7777
}

// ===== item 1: dump files =====

#[test]
fn dump_files_do_not_follow_planted_symlinks() {
    let d = tmpdir("dump");
    let victim_tmp = d.join("victim-tmp");
    let victim_final = d.join("victim-final");
    std::fs::write(&victim_tmp, "precious 1\n").unwrap();
    std::fs::write(&victim_final, "precious 2\n").unwrap();
    // The name the dump used to be written through, and the final name.
    let old_tmp = d.join(format!(".keepalived.stats.{}", std::process::id()));
    std::os::unix::fs::symlink(&victim_tmp, &old_tmp).unwrap();
    std::os::unix::fs::symlink(&victim_final, d.join("keepalived.stats")).unwrap();

    vrrpd::daemon::dump::write_dump(&d, "keepalived.stats", "VRRP Instance: VI_1\n").unwrap();

    assert_eq!(
        std::fs::read_to_string(&victim_tmp).unwrap(),
        "precious 1\n"
    );
    assert_eq!(
        std::fs::read_to_string(&victim_final).unwrap(),
        "precious 2\n"
    );
    let dump = d.join("keepalived.stats");
    assert!(std::fs::symlink_metadata(&dump).unwrap().is_file());
    assert_eq!(
        std::fs::read_to_string(&dump).unwrap(),
        "VRRP Instance: VI_1\n"
    );
    assert_eq!(mode(&dump), 0o600);
    // No temporary left behind.
    let left: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.starts_with(".keepalived.stats.")
                && *n != old_tmp.file_name().unwrap().to_string_lossy()
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
    std::fs::remove_dir_all(&d).unwrap();
}
