//! Work beside the protocol loop runs at background priority (README "Reload at any size").
//!
//! Reading, checking and planning a reloaded file of 200,000 lines keeps a core busy for a
//! few hundred milliseconds, and a generated file's 40,000 warnings take a thread 0.3 s to
//! log. On a two-core machine that thread competes with the protocol loop for a CPU, and
//! when it wins the loop's adverts wait: measured, single adverts left 3 to 15 ms late while a
//! reload was read. So the thread doing such work is made SCHED_BATCH at nice 10 for the
//! duration: the loop (and the peer daemon, nginx, anything at normal priority) always
//! preempts it, and it still gets every cycle they leave idle. A loop at `vrrp_rt_priority`
//! passes SCHED_RR to the threads it starts (sys/realtime.rs); background work must not keep
//! that either. Blocking-pool threads are reused, so the guard puts the thread back as it
//! found it.

/// The nice value of background work.
const BACKGROUND_NICE: libc::c_int = 10;

/// The calling thread's scheduling before [`enter`]; restored on drop.
#[derive(Debug)]
pub struct Background {
    saved: Option<(libc::c_int, libc::sched_param, libc::c_int)>,
}

/// Lowers the calling thread to background priority until the guard drops. Best effort: a
/// thread that cannot be lowered does its work at its own priority.
pub fn enter() -> Background {
    // SAFETY: plain syscalls on the calling thread (tid 0 = the caller); `param` is a valid,
    // initialised struct for sched_getparam to fill.
    unsafe {
        let policy = libc::sched_getscheduler(0);
        let mut param = libc::sched_param { sched_priority: 0 };
        if policy < 0 || libc::sched_getparam(0, &mut param) != 0 {
            return Background { saved: None };
        }
        // getpriority may return -1 as a value; errno tells an error apart.
        nix::errno::Errno::clear();
        let nice = libc::getpriority(libc::PRIO_PROCESS, 0);
        if nice == -1 && nix::errno::Errno::last_raw() != 0 {
            return Background { saved: None };
        }
        let batch = libc::sched_param { sched_priority: 0 };
        // Keep SCHED_RESET_ON_FORK off: this thread does not fork.
        libc::sched_setscheduler(0, libc::SCHED_BATCH, &batch);
        // On Linux the nice value is per thread: PRIO_PROCESS with 0 is the calling thread.
        libc::setpriority(libc::PRIO_PROCESS, 0, BACKGROUND_NICE);
        Background {
            saved: Some((policy, param, nice)),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let Some((policy, param, nice)) = self.saved.take() else {
            return;
        };
        // SAFETY: as in `enter`; `param` was filled by sched_getparam.
        unsafe {
            libc::setpriority(libc::PRIO_PROCESS, 0, nice);
            libc::sched_setscheduler(0, policy, &param);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_is_lowered_for_the_work_and_put_back_after() {
        std::thread::spawn(|| {
            // SAFETY: reading the calling thread's own scheduling.
            let now = || unsafe {
                (
                    libc::sched_getscheduler(0),
                    libc::getpriority(libc::PRIO_PROCESS, 0),
                )
            };
            let before = now();
            {
                let _bg = enter();
                // Lowering needs no privilege, so it works for any user.
                assert_eq!(now(), (libc::SCHED_BATCH, BACKGROUND_NICE));
            }
            // Raising the nice value back needs CAP_SYS_NICE: only root gets it back.
            if nix::unistd::geteuid().is_root() {
                assert_eq!(now(), before);
            }
        })
        .join()
        .expect("the test thread");
    }
}
