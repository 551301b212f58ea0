//! Notify hooks (`sys::hooks`) with real scripts and FIFOs: order under rapid flapping,
//! group arguments, keepalived's FIFO lines, a FIFO without reader, hung hooks. Needs root
//! only for what `sys::script` needs (subreaper); the reaper owns `waitpid(-1)` in this
//! binary, so nothing here waits for children another way.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use vrrpd::proto::{NotifyEvent, NotifyTarget};
use vrrpd::sys::hooks::{FifoSpec, HookConfig, Hooks, NotifyScripts};
use vrrpd::sys::script::{self, Identity, Prepared};

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vrrpd-hooks-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn prep(cmd: &str) -> Prepared {
    script::prepare(cmd, &Identity::current(), false).unwrap_or_else(|e| panic!("{cmd}: {e}"))
}

/// A script that appends its label and arguments to `file`, sleeping 0–4 ms first.
fn appender(file: &Path, label: &str) -> Prepared {
    prep(&format!(
        "/bin/sh -c 'sleep 0.00$(( $$ % 5 )); echo {label} \"$@\" >> {}' sh",
        file.display()
    ))
}

fn vi() -> NotifyTarget {
    NotifyTarget::Instance("VI_1".into())
}

async fn wait_idle(h: &Hooks, secs: u64) {
    let end = Instant::now() + Duration::from_secs(secs);
    while h.pending() > 0 {
        assert!(Instant::now() < end, "hooks still pending: {}", h.pending());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn hooks_of_one_instance_run_in_transition_order_under_flapping() {
    let d = tmpdir("order");
    let out = d.join("transitions");
    let mut cfg = HookConfig::default();
    cfg.instances.insert(
        "VI_1".into(),
        NotifyScripts {
            master: Some(appender(&out, "master-script")),
            backup: Some(appender(&out, "backup-script")),
            any: Some(appender(&out, "notify")),
            ..NotifyScripts::default()
        },
    );
    let mut h = Hooks::start(cfg);
    let started = Instant::now();
    let mut expected = Vec::new();
    for i in 0..200u32 {
        let (event, word) = if i % 2 == 0 {
            (NotifyEvent::Master, "MASTER")
        } else {
            (NotifyEvent::Backup, "BACKUP")
        };
        let prio = 100 + (i % 50) as u8;
        h.notify(&vi(), event, prio);
        expected.push(format!("{}-script", word.to_lowercase()));
        expected.push(format!("notify INSTANCE VI_1 {word} {prio}"));
    }
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "enqueueing never waits for scripts"
    );
    wait_idle(&h, 120).await;
    let text = std::fs::read_to_string(&out).expect("the scripts wrote");
    let got: Vec<&str> = text.lines().collect();
    assert_eq!(got.len(), expected.len(), "every transition ran both hooks");
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g, e, "line {i}");
    }
    assert_eq!(h.shutdown(Duration::from_secs(5)).await, 0);
    std::fs::remove_dir_all(&d).expect("cleanup");
}

#[tokio::test]
async fn group_notify_gets_group_arguments_and_rx_lower_pri_only_its_script() {
    let d = tmpdir("group");
    let out = d.join("log");
    let mut cfg = HookConfig::default();
    cfg.groups.insert(
        "G1".into(),
        NotifyScripts {
            fault: Some(appender(&out, "group-fault")),
            any: Some(appender(&out, "group-notify")),
            ..NotifyScripts::default()
        },
    );
    cfg.instances.insert(
        "VI_1".into(),
        NotifyScripts {
            any: Some(appender(&out, "notify")),
            master_rx_lower_pri: Some(appender(&out, "rx-lower")),
            ..NotifyScripts::default()
        },
    );
    let mut h = Hooks::start(cfg);
    h.notify(&NotifyTarget::Group("G1".into()), NotifyEvent::Fault, 150);
    wait_idle(&h, 20).await;
    h.notify(&vi(), NotifyEvent::MasterRxLowerPri, 150);
    wait_idle(&h, 20).await;
    let text = std::fs::read_to_string(&out).expect("written");
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "group-fault",
            "group-notify GROUP G1 FAULT 0",
            // MASTER_RX_LOWER_PRI: its own script only, not the generic notify.
            "rx-lower",
        ]
    );
    h.shutdown(Duration::from_secs(5)).await;
    std::fs::remove_dir_all(&d).expect("cleanup");
}

#[tokio::test]
async fn fifo_lines_use_keepalived_format() {
    let d = tmpdir("fifo");
    let fifo = d.join("notify.fifo");
    let cfg = HookConfig {
        fifos: vec![FifoSpec {
            path: fifo.clone(),
            owner: None,
        }],
        ..HookConfig::default()
    };
    let mut h = Hooks::start(cfg);
    let meta = std::fs::metadata(&fifo).expect("created");
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type()));
    let path = fifo.clone();
    let reader = std::thread::spawn(move || {
        let f = std::fs::File::open(path).expect("open for reading");
        BufReader::new(f)
            .lines()
            .take(4)
            .map(|l| l.expect("line"))
            .collect::<Vec<_>>()
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    h.notify(&vi(), NotifyEvent::Backup, 140);
    h.notify(&vi(), NotifyEvent::Master, 150);
    h.notify(&NotifyTarget::Group("G1".into()), NotifyEvent::Master, 150);
    h.notify(&vi(), NotifyEvent::MasterRxLowerPri, 150);
    let lines = tokio::task::spawn_blocking(move || reader.join().expect("reader"))
        .await
        .expect("join");
    assert_eq!(
        lines,
        [
            "INSTANCE \"VI_1\" BACKUP 140",
            "INSTANCE \"VI_1\" MASTER 150",
            "GROUP \"G1\" MASTER 0",
            "INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 150",
        ]
    );
    h.shutdown(Duration::from_secs(1)).await;
    std::fs::remove_dir_all(&d).expect("cleanup");
}

#[tokio::test]
async fn a_fifo_without_reader_never_blocks() {
    let d = tmpdir("noreader");
    let fifo = d.join("notify.fifo");
    let cfg = HookConfig {
        fifos: vec![FifoSpec {
            path: fifo.clone(),
            owner: None,
        }],
        ..HookConfig::default()
    };
    let mut h = Hooks::start(cfg);
    let started = Instant::now();
    // Far more than the 64 KiB pipe buffer.
    for i in 0..5000u32 {
        h.notify(&vi(), NotifyEvent::Master, (i % 200) as u8);
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    assert!(h.dropped_fifo_lines() > 0, "the full FIFO drops lines");
    // A reader that comes later gets the buffered lines, starting with the first one.
    let f = std::fs::File::open(&fifo).expect("open");
    let mut first = String::new();
    BufReader::new(f).read_line(&mut first).expect("line");
    assert_eq!(first, "INSTANCE \"VI_1\" MASTER 0\n");
    h.shutdown(Duration::from_secs(1)).await;
    std::fs::remove_dir_all(&d).expect("cleanup");
}

#[tokio::test]
async fn a_hung_hook_is_killed_and_the_next_transition_still_runs() {
    let d = tmpdir("hung");
    let out = d.join("log");
    let mut cfg = HookConfig {
        timeout: Duration::from_millis(300),
        grace: Duration::from_millis(200),
        ..HookConfig::default()
    };
    cfg.instances.insert(
        "VI_1".into(),
        NotifyScripts {
            master: Some(prep(&format!(
                "/bin/sh -c 'echo hang >> {}; sleep 100 & sleep 100'",
                out.display()
            ))),
            any: Some(appender(&out, "notify")),
            ..NotifyScripts::default()
        },
    );
    let mut h = Hooks::start(cfg);
    let started = Instant::now();
    h.notify(&vi(), NotifyEvent::Master, 100);
    h.notify(&vi(), NotifyEvent::Backup, 90);
    wait_idle(&h, 10).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    let text = std::fs::read_to_string(&out).expect("written");
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "hang",
            "notify INSTANCE VI_1 MASTER 100",
            "notify INSTANCE VI_1 BACKUP 90"
        ]
    );
    assert_eq!(h.shutdown(Duration::from_secs(1)).await, 0);
    std::fs::remove_dir_all(&d).expect("cleanup");
}

#[tokio::test]
async fn shutdown_runs_queued_stop_hooks_then_gives_up_at_the_deadline() {
    let d = tmpdir("stop");
    let out = d.join("log");
    let mut cfg = HookConfig::default();
    cfg.instances.insert(
        "VI_1".into(),
        NotifyScripts {
            stop: Some(appender(&out, "stop")),
            ..NotifyScripts::default()
        },
    );
    cfg.instances.insert(
        "VI_2".into(),
        NotifyScripts {
            stop: Some(prep("sleep 100")),
            ..NotifyScripts::default()
        },
    );
    let mut h = Hooks::start(cfg);
    h.notify(&vi(), NotifyEvent::Stop, 100);
    h.notify(
        &NotifyTarget::Instance("VI_2".into()),
        NotifyEvent::Stop,
        100,
    );
    let started = Instant::now();
    let unfinished = h.shutdown(Duration::from_millis(800)).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(unfinished, 1, "VI_2's hung notify_stop did not finish");
    assert_eq!(
        std::fs::read_to_string(&out).expect("VI_1 stop ran").trim(),
        "stop"
    );
    std::fs::remove_dir_all(&d).expect("cleanup");
}

/// A MASTER hearing a flood of lower-priority adverts queues `notify_master_rx_lower_pri`
/// runs; they must neither pile up (at most one pending per instance, newer ones join it) nor
/// hold back the hooks of a state transition queued after them.
#[tokio::test]
async fn rx_lower_pri_runs_coalesce_and_never_delay_a_transition() {
    let d = tmpdir("rxlower");
    let out = d.join("log");
    let mut cfg = HookConfig::default();
    cfg.instances.insert(
        "VI_1".into(),
        NotifyScripts {
            // Slow: the events below are queued while it runs.
            master: Some(prep(&format!(
                "/bin/sh -c 'sleep 1; echo master >> {}'",
                out.display()
            ))),
            backup: Some(appender(&out, "backup")),
            master_rx_lower_pri: Some(appender(&out, "rx-lower")),
            ..NotifyScripts::default()
        },
    );
    let mut h = Hooks::start(cfg);
    h.notify(&vi(), NotifyEvent::Master, 100);
    for _ in 0..100 {
        h.notify(&vi(), NotifyEvent::MasterRxLowerPri, 100);
    }
    h.notify(&vi(), NotifyEvent::Backup, 90);
    // The master run (running or about to), the backup run, one coalesced rx-lower run.
    assert_eq!(h.pending(), 3, "rx_lower_pri runs are coalesced");
    wait_idle(&h, 30).await;
    let text = std::fs::read_to_string(&out).expect("written");
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        ["master", "backup", "rx-lower"],
        "the BACKUP hooks run right after the running script; one rx-lower run remains"
    );
    assert_eq!(h.shutdown(Duration::from_secs(1)).await, 0);
    std::fs::remove_dir_all(&d).expect("cleanup");
}
