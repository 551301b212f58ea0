//! `track_file`, `vrrp_track_process` and reload of tracked scripts under the daemon (issue
//! #5, docs/keepalived-compat.md#weights-and-effective-priority, docs/keepalived-compat.md#reload). Needs root.

use crate::common;

use std::process::Command;
use std::time::Duration;

use common::lab::{config, tag, Daemon, Instance, Lab};
use common::track::{script_block, with_prelude};
use nix::sys::signal::Signal;

fn instance(extra: &str) -> Instance {
    Instance::v2("VI_1", 51, 150)
        .vip("10.0.0.100/24")
        .extra(extra)
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn track_file_and_track_process_change_the_priority() {
    let mut lab = Lab::new(&tag("sources", "t"), 1);
    let file = lab.dir.join("weight");
    let marker = format!("7{}", std::process::id());
    let prelude = format!(
        "track_file tf {{\n    file {}\n    weight -10\n    init_file 0 overwrite\n}}\n\n\
         vrrp_track_process tp {{\n    process sleep {marker}\n    weight 20\n    quorum 1\n}}\n\n",
        file.display()
    );
    let inst = instance("track_file {\n        tf\n    }\n    track_process {\n        tp\n    }");
    lab.start_ready(
        0,
        Daemon::Vrrpd,
        &with_prelude(&config("r0", &[inst]), &prelude),
    );
    lab.wait_holders("10.0.0.100", &[0], Duration::from_secs(10));
    // init_file 0: no contribution; no `sleep MARKER` yet: weight 20 not added.
    std::fs::write(&file, "5\n").unwrap();
    lab.wait_log(
        0,
        "Changing effective priority from 150 to 100",
        Duration::from_secs(3),
    );
    let mut child = Command::new("sleep").arg(&marker).spawn().unwrap();
    lab.wait_log(
        0,
        "Changing effective priority from 100 to 120",
        Duration::from_secs(4),
    );
    child.kill().unwrap();
    child.wait().unwrap();
    lab.wait_log(
        0,
        "Changing effective priority from 120 to 100",
        Duration::from_secs(4),
    );
    std::fs::write(&file, "0\n").unwrap();
    lab.wait_log(
        0,
        "Changing effective priority from 100 to 150",
        Duration::from_secs(3),
    );
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn reload_keeps_script_results() {
    let mut lab = Lab::new(&tag("reloadscr", "t"), 1);
    let ok = lab.dir.join("ok");
    let block = script_block(
        "chk",
        &format!("/usr/bin/test -e {}", ok.display()),
        1,
        1,
        1,
        -50,
    );
    let text = with_prelude(
        &config("r0", &[instance("track_script {\n        chk\n    }")]),
        &block,
    );
    lab.start_ready(0, Daemon::Vrrpd, &text);
    lab.wait_log(0, "VRRP_Script(chk) failed", Duration::from_secs(3));
    lab.wait_log(
        0,
        "Changing effective priority from 150 to 100",
        Duration::from_secs(2),
    );
    lab.signal(0, Signal::SIGHUP);
    lab.wait_log(
        0,
        "VRRP_Script(chk) considered unsuccessful on reload",
        Duration::from_secs(3),
    );
    std::fs::write(&ok, "").unwrap();
    lab.wait_log(
        0,
        "Changing effective priority from 100 to 150",
        Duration::from_secs(3),
    );
    lab.signal(0, Signal::SIGHUP);
    lab.wait_log(
        0,
        "VRRP_Script(chk) considered successful on reload",
        Duration::from_secs(3),
    );
    std::thread::sleep(Duration::from_millis(1500));
    // The result carried over: no dip to 100 and back after either reload.
    let log = lab.log(0);
    assert_eq!(
        log.matches("Changing effective priority from 150 to 100")
            .count(),
        1,
        "{log}"
    );
    assert!(lab.stop(0).is_some_and(|s| s.success()));
}

/// Issue #9: a FIFO planted as the track file must not freeze the daemon (a blocking read on
/// the only runtime thread stopped adverts, dumps and SIGTERM).
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn a_fifo_as_track_file_does_not_stop_adverts_or_sigterm() {
    let mut lab = Lab::new(&tag("tfifo", "t"), 1);
    let fifo = lab.dir.join("weight.fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let prelude = format!(
        "track_file tf {{\n    file {}\n    weight -10\n}}\n\n",
        fifo.display()
    );
    let inst = instance("track_file {\n        tf\n    }");
    lab.start_ready(
        0,
        Daemon::Vrrpd,
        &with_prelude(&config("r0", &[inst]), &prelude),
    );
    lab.wait_holders("10.0.0.100", &[0], Duration::from_secs(10));
    let sent = |text: &str| -> u64 {
        text.lines()
            .find_map(|l| l.trim().strip_prefix("Sent: "))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let first = sent(&lab.dump(0, libc::SIGUSR2, "keepalived.stats"));
    std::thread::sleep(Duration::from_millis(2500));
    let second = sent(&lab.dump(0, libc::SIGUSR2, "keepalived.stats"));
    assert!(second > first, "adverts go on: {first} then {second}");
    assert!(lab.stop(0).is_some_and(|s| s.success()), "{}", lab.log(0));
}

fn mode_of(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .mode()
        & 0o777
}

/// docs/keepalived-compat.md#global_defs-keywords `umask`: files the daemon creates get keepalived's default
/// mask 0177 unless `global_defs` sets one, and `-u` on the command line wins; pid files stay
/// 0644 and dump files 0600 whatever the mask.
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn created_files_follow_the_umask() {
    let mut lab = Lab::new(&tag("umask", "t"), 1);
    let file = lab.dir.join("weight");
    let prelude = format!(
        "track_file tf {{\n    file {}\n    weight -10\n    init_file 0\n}}\n\n",
        file.display()
    );
    let inst = instance("track_file {\n        tf\n    }");
    let text = with_prelude(&config("r0", &[inst]), &prelude);
    let with_mask = text.replacen("router_id r0\n", "router_id r0\n    umask 0022\n", 1);

    lab.start_ready(0, Daemon::Vrrpd, &text);
    assert_eq!(mode_of(&file), 0o600, "default umask 0177");
    assert_eq!(mode_of(&lab.dir.join("r0.1.pid")), 0o644);
    lab.dump(0, libc::SIGUSR2, "keepalived.stats");
    assert_eq!(mode_of(&lab.tmpdir(0).join("keepalived.stats")), 0o600);
    assert!(lab.stop(0).is_some_and(|s| s.success()));

    std::fs::remove_file(&file).unwrap();
    lab.start_ready(0, Daemon::Vrrpd, &with_mask);
    assert_eq!(mode_of(&file), 0o644, "global_defs umask 0022");
    assert!(lab.stop(0).is_some_and(|s| s.success()));

    std::fs::remove_file(&file).unwrap();
    lab.start_with(0, Daemon::Vrrpd, &with_mask, &["-u", "0002"]);
    lab.wait_ready(0, Duration::from_secs(10));
    assert_eq!(mode_of(&file), 0o664, "-u wins over global_defs");
    assert_eq!(mode_of(&lab.dir.join("r0.3.pid")), 0o644);
    assert!(lab.stop(0).is_some_and(|s| s.success()));
}
