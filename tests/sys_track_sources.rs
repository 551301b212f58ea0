//! Track sources against the real system: `track_file` values as a file changes, and
//! `vrrp_track_process` quorum with real processes (a copy of `sleep` under a unique name).

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use vrrpd::proto::{Input, TrackTarget, TrackerState};
use vrrpd::sys::track_sources::{self, FilePoller};
use vrrpd::track::{Output, ParamMatch, ProcessMatcher, ProcessParams, ProcessQuorum, Trackers};

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vrrpd-src-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

async fn next(
    t: &mut Trackers,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<(String, i64)>,
) -> Vec<Output> {
    let (name, v) = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a change within 5 s")
        .expect("poller alive");
    t.file_value(&name, v);
    std::iter::from_fn(|| t.poll_output()).collect()
}

#[tokio::test]
async fn track_file_changes_are_seen() {
    let d = tmpdir("file");
    let file = d.join("prio");
    track_sources::init_file(&file, Some(3), false).expect("init_file");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "3\n");
    track_sources::init_file(&file, Some(9), false).expect("kept");
    assert_eq!(track_sources::read_value(&file), 3);

    // init_file from the config: written when missing, or always with `overwrite`.
    let other = d.join("other");
    let init_conf = format!(
        "track_file a {{\n file {}\n init_file 7 overwrite\n}}\ntrack_file b {{\n file {}\n init_file\n}}\n",
        other.display(),
        file.display()
    );
    let l = vrrpd::config::load_str(&init_conf);
    let Some(c) = l.config.clone() else {
        panic!("{}", l.render())
    };
    std::fs::write(&other, "1").unwrap();
    assert!(track_sources::init_files(&vrrpd::plan::scripts::init_files(&c)).is_empty());
    assert_eq!(track_sources::read_value(&other), 7, "overwritten");
    assert_eq!(track_sources::read_value(&file), 3, "exists: kept");

    let conf = format!(
        "track_file tf {{\n file {}\n weight 10\n}}\nvrrp_instance VI_1 {{\n interface lo\n virtual_router_id 5\n priority 100\n virtual_ipaddress {{ 10.0.0.1 }}\n track_file {{\n tf\n }}\n}}\n",
        file.display()
    );
    let l = vrrpd::config::load_str(&conf);
    let Some(c) = l.config.clone() else {
        panic!("{}", l.render())
    };
    let mut t = Trackers::new(&vrrpd::plan::trackers::tracker_settings(&c), Instant::now());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let poller = tokio::spawn(FilePoller::new(t.files()).run(Duration::from_millis(50), tx));
    let want = |s| {
        vec![Output::Input(Input::Tracker {
            target: TrackTarget::Instance("VI_1".into()),
            id: "file:tf".into(),
            state: s,
        })]
    };
    assert_eq!(next(&mut t, &mut rx).await, want(TrackerState::Weight(30)));
    std::fs::write(&file, "-5\n").unwrap();
    assert_eq!(next(&mut t, &mut rx).await, want(TrackerState::Weight(-50)));
    // Replaced by rename, as editors do.
    let tmp = d.join("prio.new");
    std::fs::write(&tmp, "-26").unwrap();
    std::fs::rename(&tmp, &file).unwrap();
    assert_eq!(
        next(&mut t, &mut rx).await,
        want(TrackerState::Down),
        "-260 clamps to -254: FAULT"
    );
    std::fs::remove_file(&file).unwrap();
    assert_eq!(
        next(&mut t, &mut rx).await,
        want(TrackerState::Weight(0)),
        "missing = 0"
    );
    poller.abort();
    std::fs::remove_dir_all(&d).expect("cleanup");
}

/// A copy of `sleep` with a unique name, so only our processes match.
struct Sleeper {
    path: PathBuf,
    name: String,
    children: Vec<Child>,
}

impl Sleeper {
    fn new(d: &std::path::Path) -> Sleeper {
        Sleeper::with_prefix(d, "vtp")
    }

    /// Tests running at the same time need names of their own (they would match each other's).
    fn with_prefix(d: &std::path::Path, prefix: &str) -> Sleeper {
        let name = format!("{prefix}{}", std::process::id());
        let path = d.join(&name);
        let sleep = vrrpd::sys::script::resolve("sleep").expect("sleep in PATH");
        std::fs::copy(&sleep, &path).expect("copy sleep");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        Sleeper {
            path,
            name,
            children: Vec::new(),
        }
    }

    fn start(&mut self, arg: &str) {
        let c = Command::new(&self.path)
            .arg(arg)
            .spawn()
            .expect("start sleeper");
        self.children.push(c);
    }

    fn stop_one(&mut self) {
        let mut c = self.children.pop().expect("a sleeper");
        c.kill().expect("kill");
        c.wait().expect("reap");
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn count(m: &ProcessMatcher) -> u32 {
    let procs = track_sources::scan_processes();
    track_sources::count_matches(&procs, [("p", m)])[0].1
}

/// The count once it reaches `want` (a process that has just been started may still show
/// its parent's comm for an instant: vfork wakes the parent before exec renames the child).
fn settled(m: &ProcessMatcher, want: u32) -> u32 {
    let end = Instant::now() + Duration::from_secs(2);
    while count(m) != want && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(10));
    }
    count(m)
}

#[tokio::test]
async fn process_quorum_is_gained_and_lost_with_real_processes() {
    let d = tmpdir("proc");
    let mut s = Sleeper::new(&d);
    let m = ProcessMatcher {
        name: s.name.clone(),
        params: Vec::new(),
        param_match: ParamMatch::Exact,
        full_command: false,
    };
    let mut q = ProcessQuorum::new(ProcessParams {
        name: "tp".into(),
        matcher: m.clone(),
        quorum: 2,
        quorum_max: 3,
        fork_delay: Duration::ZERO,
        terminate_delay: Duration::ZERO,
    });
    let mut log = Vec::new();
    let t0 = Instant::now();
    assert_eq!(count(&m), 0);
    assert_eq!(q.observe(t0, count(&m), &mut log), Some(false));
    s.start("100");
    s.start("200");
    assert_eq!(settled(&m, 2), 2);
    assert_eq!(q.observe(t0, settled(&m, 2), &mut log), Some(true));
    // Parameters: exact, initial, partial; full_command matches argv[0] (the full path).
    let with = |params: &[&str], pm, full| ProcessMatcher {
        name: if full {
            s.path.display().to_string()
        } else {
            s.name.clone()
        },
        params: params.iter().map(|p| p.to_string()).collect(),
        param_match: pm,
        full_command: full,
    };
    assert_eq!(count(&with(&["100"], ParamMatch::Exact, false)), 1);
    assert_eq!(count(&with(&["1"], ParamMatch::Initial, false)), 1);
    assert_eq!(count(&with(&["00"], ParamMatch::Partial, false)), 2);
    assert_eq!(count(&with(&[], ParamMatch::Exact, true)), 2);
    s.start("300");
    s.start("400");
    assert_eq!(
        q.observe(t0, settled(&m, 4), &mut log),
        Some(false),
        "above quorum_max 3"
    );
    s.stop_one();
    assert_eq!(q.observe(t0, settled(&m, 3), &mut log), Some(true));
    s.stop_one();
    s.stop_one();
    assert_eq!(q.observe(t0, settled(&m, 1), &mut log), Some(false));
    assert_eq!(
        log.iter().map(|l| l.1.as_str()).collect::<Vec<_>>(),
        [
            "Quorum lost for tracked process tp",
            "Quorum gained for tracked process tp",
            "Quorum lost for tracked process tp",
            "Quorum gained for tracked process tp",
            "Quorum lost for tracked process tp",
        ]
    );
    // The async poller delivers counts.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let poller = tokio::spawn(track_sources::run_process_poller(
        vec![("tp".into(), m.clone())],
        Duration::from_millis(50),
        tx,
    ));
    let counts = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("counts")
        .expect("alive");
    assert_eq!(counts, [("tp".to_string(), 1)]);
    poller.abort();
    drop(s);
    std::fs::remove_dir_all(&d).expect("cleanup");
}

async fn recv(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<vrrpd::sys::track_watch::ProcessEvent>,
    secs: u64,
) -> Option<vrrpd::sys::track_watch::ProcessEvent> {
    tokio::time::timeout(Duration::from_secs(secs), rx.recv())
        .await
        .ok()
        .flatten()
}

/// docs/keepalived-compat.md#how-tracked-sources-are-watched: with pidfds, an exit is reported
/// the moment it happens, though the next scan is ten seconds away; without, only scans tell.
#[tokio::test]
async fn process_exits_are_reported_at_once_through_pidfds() {
    use vrrpd::sys::track_watch::{self, ProcessEvent};
    if vrrpd::sys::pidfd::probe().is_err() {
        eprintln!("no pidfd_open on this kernel: only the fallback below runs");
    }
    let d = tmpdir("watch");
    let mut s = Sleeper::with_prefix(&d, "vtw");
    let m = ProcessMatcher {
        name: s.name.clone(),
        params: Vec::new(),
        param_match: ParamMatch::Exact,
        full_command: false,
    };
    s.start("100");
    assert_eq!(settled(&m, 1), 1);
    let pid = s.children[0].id();
    if vrrpd::sys::pidfd::probe().is_ok() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let w = tokio::spawn(track_watch::run_process_watch(
            vec![("tp".into(), m.clone())],
            Duration::from_secs(10),
            true,
            tx,
        ));
        assert_eq!(
            recv(&mut rx, 5).await,
            Some(ProcessEvent::Matching(vec![("tp".into(), vec![pid])]))
        );
        let t0 = Instant::now();
        s.stop_one();
        assert_eq!(recv(&mut rx, 2).await, Some(ProcessEvent::Exited(pid)));
        assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());
        w.abort();
        s.start("100");
        assert_eq!(settled(&m, 1), 1);
    }
    let pid = s.children[0].id();

    // The fallback: no pidfds, the exit shows as a scan without the process.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let w = tokio::spawn(track_watch::run_process_watch(
        vec![("tp".into(), m.clone())],
        Duration::from_millis(200),
        false,
        tx,
    ));
    assert_eq!(
        recv(&mut rx, 5).await,
        Some(ProcessEvent::Matching(vec![("tp".into(), vec![pid])]))
    );
    s.stop_one();
    loop {
        match recv(&mut rx, 5).await {
            Some(ProcessEvent::Matching(m)) if m == [("tp".to_string(), vec![])] => break,
            Some(ProcessEvent::Matching(_)) => continue,
            other => panic!("only scans without pidfds: {other:?}"),
        }
    }
    w.abort();
    drop(s);
    std::fs::remove_dir_all(&d).expect("cleanup");
}

/// docs/keepalived-compat.md#how-tracked-sources-are-watched: with inotify, a write, a rename
/// over and a removal are each read at once although no poll is due for ten seconds; a
/// symlinked track file (writes to its target are not seen in the link's directory) is polled.
#[tokio::test]
async fn track_files_are_read_on_inotify_events() {
    use vrrpd::sys::inotify::Inotify;
    use vrrpd::sys::track_watch;
    let d = tmpdir("inotify");
    let file = d.join("prio");
    std::fs::write(&file, "1\n").unwrap();
    let elsewhere = tmpdir("inotify-target");
    let target = elsewhere.join("real");
    std::fs::write(&target, "7\n").unwrap();
    let link = d.join("linked");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let Ok(ino) = Inotify::new() else {
        panic!("inotify unavailable here");
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let files = FilePoller::new([
        ("tf", file.to_str().unwrap()),
        ("ln", link.to_str().unwrap()),
    ]);
    let w = tokio::spawn(track_watch::run_file_watch(
        files,
        Duration::from_millis(300),
        Some(ino),
        tx,
    ));
    let mut next = async || {
        tokio::time::timeout(Duration::from_secs(3), rx.recv())
            .await
            .expect("a value within 3 s")
            .expect("watcher alive")
    };
    let mut first = vec![next().await, next().await];
    first.sort();
    assert_eq!(first, [("ln".to_string(), 7), ("tf".to_string(), 1)]);

    let t0 = Instant::now();
    std::fs::write(&file, "2\n").unwrap();
    assert_eq!(next().await, ("tf".to_string(), 2));
    let tmp = d.join("prio.new");
    std::fs::write(&tmp, "3\n").unwrap();
    std::fs::rename(&tmp, &file).unwrap();
    assert_eq!(next().await, ("tf".to_string(), 3));
    std::fs::remove_file(&file).unwrap();
    assert_eq!(next().await, ("tf".to_string(), 0));
    assert!(
        t0.elapsed() < Duration::from_millis(250),
        "three events read before the next poll: {:?}",
        t0.elapsed()
    );
    std::fs::write(&target, "8\n").unwrap();
    assert_eq!(next().await, ("ln".to_string(), 8), "the symlink is polled");
    w.abort();
    std::fs::remove_dir_all(&d).expect("cleanup");
    std::fs::remove_dir_all(&elsewhere).expect("cleanup");
}
