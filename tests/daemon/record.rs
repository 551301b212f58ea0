//! `vrrpd --record-events FILE` in the lab, replayed as a test: what the daemon decided in the
//! field (state changes, priority changes from a tracked script, a reload, the stop) comes out
//! the same when its recorded inputs are fed to a [`vrrpd::node::Node`] built from the same
//! keepalived.conf. Needs root (`sudo ./tests/run.sh`).

use crate::common;

use std::time::Duration;

use common::lab::{config, tag, Daemon, Instance, Lab};
use common::track::{script_block, with_prelude, write_script};

const VIP: &str = "10.0.0.100";

/// The lines of a log or a replay that say what the node decided.
fn decisions<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<String> {
    lines
        .filter_map(|l| l.find("(VI_1) ").map(|at| &l[at..]))
        .filter(|m| m.contains("Entering") || m.contains("Changing effective priority"))
        .map(str::to_string)
        .collect()
}

/// The log messages of a replay's output lines.
fn messages(out: &[String]) -> Vec<String> {
    out.iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["action"]["Log"]["message"].as_str().map(str::to_string))
        .collect()
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[test]
fn a_recording_replays_to_the_same_decisions() {
    let mut lab = Lab::new(&tag("record", "r"), 2);
    let fail = lab.dir.join("fail");
    let chk = write_script(&lab, "chk.sh", &format!("test ! -e {}", fail.display()));
    let block = script_block("chk", &chk.display().to_string(), 1, 1, 1, -60);
    let inst = |prio| Instance::v3("VI_1", 51, prio, "0.1").vip(&format!("{VIP}/24"));
    // Only r0 tracks the script.
    let tracked = inst(150).extra("track_script {\n        chk\n    }");
    let c0 = with_prelude(&config("r0", &[tracked]), &block);
    let c1 = config("r1", &[inst(100)]);
    lab.start_ready(1, Daemon::Vrrpd, &c1);
    let rec = lab.dir.join("r0.events.jsonl");
    let rec_arg = rec.display().to_string();
    lab.start_with(0, Daemon::Vrrpd, &c0, &["--record-events", &rec_arg]);
    lab.wait_ready(0, Duration::from_secs(10));
    lab.wait_holders(VIP, &[0], Duration::from_secs(10));
    // The script fails: 90 < 100, the peer takes over; it recovers: r0 preempts again.
    std::fs::write(&fail, "").expect("fail file");
    lab.wait_holders(VIP, &[1], Duration::from_secs(5));
    std::fs::remove_file(&fail).expect("remove fail file");
    lab.wait_holders(VIP, &[0], Duration::from_secs(5));
    // A reload of the same file, then the stop.
    lab.signal(0, nix::sys::signal::Signal::SIGHUP);
    lab.wait_log(0, "Reload complete", Duration::from_secs(5));
    let log_path = lab.proc(0).log.clone();
    lab.stop(0);
    lab.wait_holders(VIP, &[1], Duration::from_secs(5));

    let recorded = std::fs::read_to_string(&rec).expect("the recording");
    assert!(recorded
        .lines()
        .next()
        .is_some_and(|l| l.contains("\"host\"")));
    assert!(recorded.contains("\"script_done\""), "{recorded}");
    assert!(recorded.contains("\"reload\""), "{recorded}");
    assert!(recorded.contains("\"Stop\""), "{recorded}");

    // The replay: a case directory holding r0's configuration, the recording as its input.
    let case = lab.dir.join("case");
    std::fs::create_dir_all(&case).expect("case dir");
    std::fs::write(case.join("keepalived.conf"), &c0).expect("case config");
    let (out, _state) = common::replay::run_lines(&case, &rec).expect("the recording replays");
    let replayed = decisions(messages(&out).iter().map(String::as_str));
    let log = std::fs::read_to_string(&log_path).expect("r0's log");
    let lived = decisions(log.lines());
    assert!(
        lived.iter().any(|l| l.contains("from 150 to 90")),
        "the script's failure is in the log:\n{log}"
    );
    assert_eq!(
        replayed,
        lived,
        "replayed decisions differ from the daemon's\nreplay:\n{}\nlog:\n{log}",
        out.join("\n")
    );
}
