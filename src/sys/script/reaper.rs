//! The one process-wide reaper thread: it owns `waitpid(-1)`, hands our children's exit
//! status to their waiters and counts re-parented orphans (see the module doc of
//! [`crate::sys::script`]).

use std::collections::HashMap;
use std::io;
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::oneshot;

/// The reaper's shared state and the condition variable that wakes it after a spawn.
pub(super) struct Reaper {
    state: Mutex<ReaperState>,
    wake: Condvar,
}

#[derive(Default)]
struct ReaperState {
    /// Our direct children and who waits for their raw wait status.
    waiting: HashMap<i32, oneshot::Sender<i32>>,
    /// Bumped by every spawn, so a reaper that saw ECHILD knows there is work again.
    generation: u64,
    orphans: u64,
}

static REAPER: OnceLock<Result<Reaper, String>> = OnceLock::new();

/// The reaper, started (and vrrpd made a child subreaper) on first use.
pub(super) fn reaper() -> io::Result<&'static Reaper> {
    let r = REAPER.get_or_init(|| {
        // Orphaned grandchildren come to us, not to init (see the module doc).
        if let Err(e) = nix::sys::prctl::set_child_subreaper(true) {
            tracing::warn!("cannot become a child subreaper: {e}");
        }
        std::thread::Builder::new()
            .name("vrrpd-reaper".into())
            .spawn(reap_forever)
            .map_err(|e| e.to_string())?;
        Ok(Reaper {
            state: Mutex::new(ReaperState::default()),
            wake: Condvar::new(),
        })
    });
    r.as_ref().map_err(|e| io::Error::other(e.clone()))
}

impl Reaper {
    /// Forks with the reaper's lock held, so the child is registered before the reaper can
    /// see it exit; the child runs `child`. Returns the child's pid and the receiver of its
    /// raw wait status.
    ///
    /// # Safety
    ///
    /// `child` runs in the forked child of a multi-threaded process: it may only make
    /// async-signal-safe calls on memory prepared before the call, and should end in `exec`
    /// or `_exit` (if it returns, the child exits 127).
    pub(super) unsafe fn fork_watched(
        &self,
        child: impl FnOnce(),
    ) -> io::Result<(i32, oneshot::Receiver<i32>)> {
        let (tx, rx) = oneshot::channel();
        let mut s = self
            .state
            .lock()
            .map_err(|_| io::Error::other("script reaper poisoned"))?;
        // SAFETY: the caller's contract covers what the child does.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            child();
            // `child` should not return; if it does, the child must not run the parent's code.
            // SAFETY: _exit is async-signal-safe.
            unsafe { libc::_exit(127) }
        }
        if pid < 0 {
            return Err(io::Error::last_os_error());
        }
        s.waiting.insert(pid, tx);
        s.generation += 1;
        self.wake.notify_all();
        Ok((pid, rx))
    }
}

fn reap_forever() {
    // The OnceLock is being initialised by our creator; wait until it is.
    let r = loop {
        match REAPER.get() {
            Some(Ok(r)) => break r,
            Some(Err(_)) => return,
            None => std::thread::sleep(Duration::from_millis(1)),
        }
    };
    loop {
        let seen = match r.state.lock() {
            Ok(s) => s.generation,
            Err(_) => return,
        };
        let mut status: libc::c_int = 0;
        // SAFETY: plain syscall with a valid out-pointer.
        let pid = unsafe { libc::waitpid(-1, &mut status, 0) };
        if pid > 0 {
            let Ok(mut s) = r.state.lock() else { return };
            match s.waiting.remove(&pid) {
                Some(tx) => {
                    let _ = tx.send(status);
                }
                None => s.orphans += 1,
            }
            continue;
        }
        match io::Error::last_os_error().raw_os_error() {
            Some(libc::EINTR) => {}
            Some(libc::ECHILD) => {
                let Ok(mut s) = r.state.lock() else { return };
                while s.generation == seen {
                    s = match r.wake.wait(s) {
                        Ok(s) => s,
                        Err(_) => return,
                    };
                }
            }
            _ => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Number of processes reaped that were not our direct children (re-parented orphans).
pub fn orphans_reaped() -> u64 {
    reaper()
        .ok()
        .and_then(|r| r.state.lock().ok().map(|s| s.orphans))
        .unwrap_or(0)
}
