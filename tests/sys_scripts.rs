//! The supervised script runner (`sys::script`) against real processes: a hanging script
//! is killed with its children and counts as failure, no overlapping runs, 1,000 runs leave no
//! zombie and no stray process, run-as-user, script security. Needs root (user switching,
//! subreaper); fails loudly without it.
//!
//! This binary must not wait for children any other way: the runner's reaper owns
//! `waitpid(-1)` (see the `sys::script` module doc). The tests run one at a time, because
//! several of them count this process's children.

// Each #[tokio::test] has its own runtime on its own thread; the std guard only serialises
// them, so holding it across awaits cannot deadlock.
#![allow(clippy::await_holding_lock)]

use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use vrrpd::sys::script::{self, Identity, PrepareError, Prepared};
use vrrpd::track::{ScriptOutcome, ScriptParams, ScriptTracker};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn require_root() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "these tests need root (user switching, process groups of other users)"
    );
}

fn me() -> Identity {
    Identity::current()
}

fn prep(cmd: &str) -> Prepared {
    script::prepare(cmd, &me(), false).unwrap_or_else(|e| panic!("prepare {cmd}: {e}"))
}

/// One /proc/PID/stat: (pid, state, ppid, pgrp).
fn stat(pid: u32) -> Option<(u32, char, u32, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The comm field may contain blanks; the rest follows the last ')'.
    let rest = text.get(text.rfind(')')? + 2..)?;
    let mut f = rest.split_whitespace();
    let state = f.next()?.chars().next()?;
    let ppid = f.next()?.parse().ok()?;
    let pgrp = f.next()?.parse().ok()?;
    Some((pid, state, ppid, pgrp))
}

fn all_procs() -> Vec<(u32, char, u32, u32)> {
    std::fs::read_dir("/proc")
        .expect("/proc is mounted")
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(stat)
        .collect()
}

fn group_members(pgid: i32) -> Vec<(u32, char, u32, u32)> {
    all_procs()
        .into_iter()
        .filter(|p| p.3 as i32 == pgid)
        .collect()
}

fn my_children() -> Vec<(u32, char, u32, u32)> {
    let me = std::process::id();
    all_procs().into_iter().filter(|p| p.2 == me).collect()
}

/// Polls `cond` for up to `secs`.
async fn eventually(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cond()
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[tokio::test]
async fn a_hanging_script_is_killed_with_its_children_and_counts_as_failure() {
    let _g = serial();
    require_root();
    let p = prep("/bin/sh -c 'sleep 100 & sleep 100'");
    let started = Instant::now();
    let running = script::spawn(&p).expect("spawn");
    let pgid = running.pid();
    assert!(
        eventually(5, || group_members(pgid).len() >= 3).await,
        "sh and both sleeps run in the script's own process group: {:?}",
        group_members(pgid)
    );
    let outcome = running
        .wait(Duration::from_millis(400), Duration::from_millis(300))
        .await;
    assert_eq!(outcome, ScriptOutcome::TimedOut);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "took {took:?}");
    // The orphaned sleeps were re-parented to us (subreaper) and reaped: nothing of the
    // group is left, not even a zombie.
    assert!(
        eventually(5, || group_members(pgid).is_empty()).await,
        "survivors of process group {pgid}: {:?}",
        group_members(pgid)
    );
    assert!(
        script::orphans_reaped() >= 1,
        "grandchildren reaped by vrrpd"
    );

    // Through the tracker: a timeout is a failure with keepalived's line.
    let mut t = ScriptTracker::new(
        ScriptParams::new("chk_hang", Duration::from_secs(1)),
        Instant::now(),
    );
    let mut log = Vec::new();
    assert_eq!(t.on_result(&outcome, &mut log), Some(false));
    assert_eq!(log[0].1, "VRRP_Script(chk_hang) timed_out");
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[tokio::test]
async fn sigterm_is_followed_by_sigkill_after_the_grace_period() {
    let _g = serial();
    require_root();
    // The shell and its sleep ignore SIGTERM (SIG_IGN is inherited).
    let p = prep("/bin/sh -c 'trap \"\" TERM; sleep 100; sleep 100'");
    let running = script::spawn(&p).expect("spawn");
    let pgid = running.pid();
    let started = Instant::now();
    let outcome = running
        .wait(Duration::from_millis(300), Duration::from_millis(700))
        .await;
    let took = started.elapsed();
    assert_eq!(outcome, ScriptOutcome::TimedOut);
    assert!(
        took >= Duration::from_millis(1000) && took < Duration::from_secs(4),
        "timeout + grace, took {took:?}"
    );
    assert!(
        eventually(5, || group_members(pgid).is_empty()).await,
        "survivors: {:?}",
        group_members(pgid)
    );
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[tokio::test]
async fn exit_status_and_signals_are_typed() {
    let _g = serial();
    require_root();
    let long = Duration::from_secs(10);
    let g = script::KILL_GRACE;
    assert_eq!(
        script::run(&prep("true"), long, g).await,
        ScriptOutcome::Exited(0)
    );
    assert_eq!(
        script::run(&prep("false"), long, g).await,
        ScriptOutcome::Exited(1)
    );
    assert_eq!(
        script::run(&prep("/bin/sh -c 'exit 7'"), long, g).await,
        ScriptOutcome::Exited(7)
    );
    assert_eq!(
        script::run(&prep("/bin/sh -c 'kill -9 $$'"), long, g).await,
        ScriptOutcome::Signaled(9)
    );
    // No shell: the `|` is an argument of echo, so this succeeds (docs/keepalived-compat.md#running-scripts).
    assert_eq!(
        script::run(&prep("/bin/echo hello | /bin/false"), long, g).await,
        ScriptOutcome::Exited(0)
    );
    // SIGPIPE is back to its default in the child (Rust ignores it in the parent).
    assert_eq!(
        script::run(&prep("/bin/sh -c 'yes | head -1'"), long, g).await,
        ScriptOutcome::Exited(0)
    );
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[tokio::test]
async fn the_child_gets_its_own_group_and_dev_null() {
    let _g = serial();
    require_root();
    let running = script::spawn(&prep("sleep 5")).expect("spawn");
    let pid = running.pid();
    let s = stat(pid as u32).expect("running");
    assert_eq!(s.3 as i32, pid, "own process group");
    assert_eq!(s.2, std::process::id(), "our child");
    for fd in 0..3 {
        let target = std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).expect("fd");
        assert_eq!(target, std::path::Path::new("/dev/null"), "fd {fd}");
    }
    let open: Vec<_> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("fds")
        .flatten()
        .collect();
    assert_eq!(open.len(), 3, "only stdio is inherited");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let sigign = status
        .lines()
        .find(|l| l.starts_with("SigIgn:"))
        .expect("SigIgn");
    // Signals 1..=31 (SIGPIPE above all) are back to their defaults; glibc keeps its
    // reserved 32/33 as inherited.
    let mask = u64::from_str_radix(sigign.trim_start_matches("SigIgn:").trim(), 16).expect("hex");
    assert_eq!(mask & 0x7fff_ffff, 0, "{sigign}");
    let outcome = running
        .wait(Duration::from_millis(100), Duration::from_millis(500))
        .await;
    assert_eq!(outcome, ScriptOutcome::TimedOut);
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[tokio::test]
async fn a_script_never_overlaps_itself() {
    let _g = serial();
    require_root();
    // Each run takes 350 ms; ticks every 100 ms. An overlapping run would find the lock
    // directory and exit 99.
    let dir = std::env::temp_dir().join(format!("vrrpd-overlap-{}", std::process::id()));
    let _ = std::fs::remove_dir(&dir);
    let cmd = format!(
        "/bin/sh -c 'mkdir {0} || exit 99; sleep 0.35; rmdir {0}'",
        dir.display()
    );
    let p = prep(&cmd);
    let t0 = Instant::now();
    let mut t = ScriptTracker::new(
        ScriptParams::new("chk_slow", Duration::from_millis(100)),
        t0,
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut log = Vec::new();
    let mut outcomes = Vec::new();
    let end = t0 + Duration::from_millis(1500);
    while Instant::now() < end {
        let next = t.poll_timeout().min(end);
        tokio::select! {
            _ = tokio::time::sleep_until(next.into()) => {
                if t.on_tick(Instant::now(), &mut log) {
                    let (p, tx) = (p.clone(), tx.clone());
                    tokio::spawn(async move {
                        let o = script::run(&p, Duration::from_secs(5), script::KILL_GRACE).await;
                        let _ = tx.send(o);
                    });
                }
            }
            Some(o) = rx.recv() => {
                t.on_result(&o, &mut log);
                outcomes.push(o);
            }
        }
    }
    while t.is_running() {
        let o = rx.recv().await.expect("last run");
        t.on_result(&o, &mut log);
        outcomes.push(o);
    }
    assert!(outcomes.len() >= 3, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| *o == ScriptOutcome::Exited(0)),
        "no run overlapped: {outcomes:?}"
    );
    assert!(t.skipped >= 3, "ticks skipped: {}", t.skipped);
    assert!(log
        .iter()
        .any(|l| l.1 == "Track script chk_slow is already running, expect idle - skipping run"));
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[tokio::test]
async fn a_thousand_runs_leave_no_zombie_and_no_stray_process() {
    let _g = serial();
    require_root();
    let t = prep("/bin/true");
    let f = prep("/bin/false");
    let mut pids = HashSet::new();
    let mut ok = 0;
    let mut failed = 0;
    for batch in 0..20 {
        let mut waits = Vec::new();
        for i in 0..50 {
            let p = if (batch * 50 + i) % 2 == 0 { &t } else { &f };
            let r = script::spawn(p).expect("spawn");
            pids.insert(r.pid());
            waits.push(r.wait(Duration::from_secs(10), script::KILL_GRACE));
        }
        for o in futures::future::join_all(waits).await {
            match o {
                ScriptOutcome::Exited(0) => ok += 1,
                ScriptOutcome::Exited(1) => failed += 1,
                other => panic!("unexpected outcome {other:?}"),
            }
        }
    }
    assert_eq!((ok, failed, pids.len()), (500, 500, 1000));
    // Every child was reaped: no zombie (or anything else) is our child, and no process is
    // in the group of one of those runs.
    assert!(
        eventually(5, || my_children().is_empty()).await,
        "children left: {:?}",
        my_children()
    );
    let strays: Vec<_> = all_procs()
        .into_iter()
        .filter(|p| pids.contains(&(p.3 as i32)))
        .collect();
    assert!(strays.is_empty(), "stray processes: {strays:?}");
    let zombies: Vec<_> = all_procs()
        .into_iter()
        .filter(|p| p.1 == 'Z' && p.2 == std::process::id())
        .collect();
    assert!(zombies.is_empty(), "zombies: {zombies:?}");
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[tokio::test]
async fn scripts_run_as_the_configured_user() {
    let _g = serial();
    require_root();
    let nobody = Identity::lookup("nobody", None)
        .expect("user `nobody` must exist for this test (it does on Debian/Ubuntu)");
    let cmd = format!(
        "/bin/sh -c 'test \"$(id -u)\" = {} && test \"$(id -g)\" = {} && test \"$(id -G)\" = \"{}\"'",
        nobody.uid,
        nobody.gid,
        nobody
            .groups
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let p = script::prepare(&cmd, &nobody, false).expect("prepare");
    assert_eq!(
        script::run(&p, Duration::from_secs(10), script::KILL_GRACE).await,
        ScriptOutcome::Exited(0),
        "uid, gid and groups of nobody"
    );
    let root =
        script::prepare("/bin/sh -c 'test \"$(id -u)\" = 0'", &me(), false).expect("prepare");
    assert_eq!(
        script::run(&root, Duration::from_secs(10), script::KILL_GRACE).await,
        ScriptOutcome::Exited(0)
    );
    // keepalived's default user: keepalived_script if it exists, else root with a log line.
    let (id, line) = script::default_identity(None);
    match Identity::lookup(script::DEFAULT_SCRIPT_USER, None) {
        Ok(k) => assert_eq!((id, line), (k, None)),
        Err(_) => {
            assert_eq!(id.uid, 0);
            assert_eq!(
                line.as_deref(),
                Some("Script user 'keepalived_script' does not exist")
            );
        }
    }
    let (id, line) = script::default_identity(Some(("nobody", None)));
    assert_eq!((id, line), (nobody, None));
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[tokio::test]
async fn script_security_refuses_writable_scripts() {
    let _g = serial();
    require_root();
    let dir = std::env::temp_dir().join(format!("vrrpd-sec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("chk.sh");
    std::fs::write(&file, "#!/bin/sh\nexit 0\n").expect("write script");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let cmd = file.display().to_string();
    match script::prepare(&cmd, &me(), true) {
        Err(e @ PrepareError::Insecure { .. }) => {
            let text = e.to_string();
            assert!(
                text.starts_with(&format!("Unsafe permissions found for script '{cmd}'")),
                "{text}"
            );
            assert!(text.contains("world-writable"), "{text}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Without enable_script_security it runs, flagged for the SECURITY VIOLATION line.
    let p = script::prepare(&cmd, &me(), false).expect("prepare");
    assert!(p.insecure);
    assert_eq!(
        script::run(&p, Duration::from_secs(10), script::KILL_GRACE).await,
        ScriptOutcome::Exited(0)
    );
    // A root-owned system binary passes.
    let ok = script::prepare("/bin/true", &me(), true).expect("secure");
    assert!(!ok.insecure);
    // Not executable: refused before any fork.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    assert!(matches!(
        script::prepare(&cmd, &me(), false),
        Err(PrepareError::NotFound { .. })
    ));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[tokio::test]
async fn exec_failures_are_reported_and_reaped() {
    let _g = serial();
    require_root();
    let dir = std::env::temp_dir().join(format!("vrrpd-exec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("gone.sh");
    std::fs::write(&file, "#!/bin/sh\nexit 0\n").expect("write");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let p = prep(&file.display().to_string());
    std::fs::remove_file(&file).expect("remove");
    match script::run(&p, Duration::from_secs(5), script::KILL_GRACE).await {
        ScriptOutcome::SpawnFailed(why) => assert!(why.contains("No such file"), "{why}"),
        other => panic!("expected SpawnFailed, got {other:?}"),
    }
    assert!(
        eventually(5, || my_children().is_empty()).await,
        "the failed child was reaped: {:?}",
        my_children()
    );
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// The whole chain the daemon will run: config → Trackers → ScriptSet → Router.
#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[tokio::test]
async fn trackers_scripts_and_the_core_together() {
    use vrrpd::proto::{Action, InstanceSettings, Router, RouterSettings};
    use vrrpd::sys::script::ScriptDefaults;
    use vrrpd::sys::script_set::ScriptSet;
    use vrrpd::track::{Output, Trackers};

    let _g = serial();
    require_root();
    let conf = "vrrp_script chk_ok {\n script /bin/true\n weight 10\n}\nvrrp_script chk_hang {\n script \"/bin/sh -c 'sleep 100'\"\n interval 1\n weight -30\n}\nvrrp_script chk_gone {\n script /nonexistent/check\n}\nvrrp_instance VI_1 {\n interface lo\n virtual_router_id 51\n priority 150\n virtual_ipaddress { 10.0.0.100 }\n track_script {\n chk_ok\n chk_hang\n chk_gone\n }\n}\n";
    let l = vrrpd::config::load_str(conf);
    let Some(config) = l.config.clone() else {
        panic!("{}", l.render())
    };
    let defaults = ScriptDefaults {
        identity: me(),
        missing_user: None,
        security: false,
    };
    let t0 = Instant::now();
    let plan = vrrpd::plan::Runtime::without_host(&config);
    let mut trackers = Trackers::new(&plan.trackers, t0);
    let (mut scripts, problems) =
        ScriptSet::prepare(&plan.scripts, trackers.script_names(), &defaults);
    scripts.grace = Duration::from_millis(200);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].0, "chk_gone");
    trackers.disable_script("chk_gone");
    let mut router = Router::new(
        RouterSettings::new(vec![InstanceSettings::backup("VI_1", 51)
            .interface("lo", 1)
            .priority(150)
            .vip("10.0.0.100")]),
        t0,
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut lines = Vec::new();
    let end = t0 + Duration::from_millis(2600);
    loop {
        while let Some(o) = trackers.poll_output() {
            match o {
                Output::Input(i) => router.handle(Instant::now(), i),
                Output::RunScript { name } => scripts.start(&name, tx.clone()),
                Output::Log { message, .. } => lines.push(message),
            }
        }
        while let Some(a) = router.poll_action() {
            if let Action::Log { message, .. } = a {
                lines.push(message);
            }
        }
        let now = Instant::now();
        if now >= end {
            break;
        }
        let next = trackers.poll_timeout().unwrap_or(end).min(end);
        tokio::select! {
            _ = tokio::time::sleep_until(next.into()) => trackers.handle_timeout(Instant::now()),
            Some((name, outcome)) = rx.recv() => trackers.script_done(&name, &outcome),
        }
    }
    let has = |l: &str| lines.iter().any(|x| x == l);
    assert!(
        has("Disabling track script chk_gone since not found/accessible"),
        "{lines:#?}"
    );
    assert!(has("VRRP_Script(chk_ok) succeeded"), "{lines:#?}");
    assert!(
        has("(VI_1) Changing effective priority from 150 to 160"),
        "{lines:#?}"
    );
    // chk_hang: timeout = interval = 1 s, killed, a failure: −30.
    assert!(has("VRRP_Script(chk_hang) timed_out"), "{lines:#?}");
    assert!(
        has("(VI_1) Changing effective priority from 160 to 130"),
        "{lines:#?}"
    );
    // The hung run outlived the next tick: that tick was skipped, not overlapped.
    assert!(
        has("Track script chk_hang is already running, expect idle - skipping run"),
        "{lines:#?}"
    );
    // Wait for the last runs, then nothing of ours is left.
    while let Ok(Some(_)) = tokio::time::timeout(Duration::from_secs(3), rx.recv()).await {}
    assert!(
        eventually(5, || my_children().is_empty()).await,
        "children left: {:?}",
        my_children()
    );
}

#[test]
fn security_without_a_default_user_refuses_scripts_without_their_own() {
    use vrrpd::sys::script::ScriptDefaults;
    let d = ScriptDefaults {
        identity: me(),
        missing_user: Some("Script user 'keepalived_script' does not exist".into()),
        security: true,
    };
    match d.prepare("/bin/true", None) {
        Err(e @ PrepareError::NoDefaultUser { .. }) => assert_eq!(
            e.to_string(),
            "Unable to set default user keepalived_script for script /bin/true"
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(d.prepare("/bin/true", Some(("root", None))).is_ok());
    let off = ScriptDefaults {
        security: false,
        ..d
    };
    assert!(off.prepare("/bin/true", None).is_ok());
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root, namespaces or keepalived: ./tests/run.sh"
)]
#[tokio::test]
async fn grandchildren_outliving_their_script_are_reparented_to_us_and_reaped() {
    let _g = serial();
    require_root();
    let before = script::orphans_reaped();
    let r = script::spawn(&prep("/bin/sh -c 'sleep 0.4 & exit 0'")).expect("spawn");
    let pgid = r.pid();
    let outcome = r.wait(Duration::from_secs(5), script::KILL_GRACE).await;
    assert_eq!(outcome, ScriptOutcome::Exited(0));
    // The background sleep is left alone (as keepalived does) but, with vrrpd as child
    // subreaper, it is now our child rather than init's...
    assert!(
        eventually(2, || group_members(pgid)
            .iter()
            .any(|p| p.2 == std::process::id()))
        .await,
        "group members: {:?}",
        group_members(pgid)
    );
    // ...so when it ends, we reap it: no zombie anywhere.
    assert!(
        eventually(5, || group_members(pgid).is_empty()).await,
        "left: {:?}",
        group_members(pgid)
    );
    assert!(script::orphans_reaped() > before);
}
