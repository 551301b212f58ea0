//! `vrrp_rt_priority`, `vrrp_priority`, `vrrp_rlimit_rttime`, `vrrp_no_swap` and
//! `vrrp_cpu_affinity` (docs/keywords.md): what keepalived 2.2.7 does to its VRRP process
//! (lib/process.c), done to the thread that runs the protocol loop.
//!
//! * a real-time priority makes the thread SCHED_RR with SCHED_RESET_ON_FORK, and sets
//!   RLIMIT_RTTIME to half the limit (soft, SIGXCPU) and the limit (hard, SIGKILL), so a loop
//!   that spins at real-time priority cannot freeze the machine. SIGXCPU is ignored: keepalived
//!   only logs it;
//! * otherwise `vrrp_priority` is the nice value;
//! * `vrrp_no_swap` locks the process in memory (mlockall current and future pages);
//! * `vrrp_cpu_affinity` pins the thread to the listed CPUs.
//!
//! Threads started later inherit these settings from the loop thread, as everything in
//! keepalived's single-threaded VRRP process has them. Scripts must not: [`reset_in_child`]
//! puts a forked child back to normal scheduling, the original nice value, the original CPU
//! set and the original RLIMIT_RTTIME before it execs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// keepalived's default `vrrp_rlimit_rttime` in microseconds (RT_RLIMIT_DEFAULT).
pub const DEFAULT_RLIMIT_RTTIME_US: u32 = 10_000;

/// The real-time keywords of `global_defs`, as planned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RealtimeSpec {
    /// `vrrp_rt_priority` 1..99.
    pub rt_priority: Option<u32>,
    /// `vrrp_priority` -20..19 (used only without a real-time priority, as keepalived does).
    pub nice: Option<i32>,
    /// `vrrp_rlimit_rttime` in microseconds; [`DEFAULT_RLIMIT_RTTIME_US`] when not written.
    pub rlimit_rttime_us: u32,
    /// `vrrp_no_swap`.
    pub no_swap: bool,
    /// `vrrp_cpu_affinity`: CPU numbers; empty = unchanged.
    pub cpus: Vec<u32>,
}

impl RealtimeSpec {
    /// Nothing to do.
    pub fn is_default(&self) -> bool {
        self.rt_priority.is_none() && self.nice.is_none() && !self.no_swap && self.cpus.is_empty()
    }
}

/// What the process had before [`apply`], for the children.
struct Saved {
    nice: libc::c_int,
    affinity: Option<libc::cpu_set_t>,
    rttime: Option<libc::rlimit>,
}

static SAVED: OnceLock<Saved> = OnceLock::new();
/// The loop thread runs SCHED_RR.
static REALTIME: AtomicBool = AtomicBool::new(false);
/// Its nice value was changed.
static NICE_SET: AtomicBool = AtomicBool::new(false);

/// Applies `spec` to the calling thread (the protocol loop) and the process; returns one
/// line per step that failed, in keepalived's words. Call once, at start.
pub fn apply(spec: &RealtimeSpec) -> Vec<String> {
    let mut failed = Vec::new();
    if spec.is_default() {
        return failed;
    }
    // SAFETY (whole function): plain syscalls on this thread with valid pointers to locals.
    unsafe {
        let mut saved = Saved {
            nice: 0,
            affinity: None,
            rttime: None,
        };
        *libc::__errno_location() = 0;
        saved.nice = libc::getpriority(libc::PRIO_PROCESS, 0);
        if let Some(prio) = spec.rt_priority {
            let mut old: libc::rlimit = std::mem::zeroed();
            if libc::getrlimit(libc::RLIMIT_RTTIME, &mut old) == 0 {
                saved.rttime = Some(old);
            }
            let param = libc::sched_param {
                sched_priority: i32::try_from(prio).unwrap_or(1),
            };
            if libc::sched_setscheduler(0, libc::SCHED_RR | libc::SCHED_RESET_ON_FORK, &param) != 0
            {
                failed.push(format!(
                    "child process: cannot raise priority ({})",
                    std::io::Error::last_os_error()
                ));
            } else {
                REALTIME.store(true, Ordering::Relaxed);
                if spec.rlimit_rttime_us > 0 {
                    libc::signal(libc::SIGXCPU, libc::SIG_IGN);
                    let lim = libc::rlimit {
                        rlim_cur: libc::rlim_t::from(spec.rlimit_rttime_us / 2),
                        rlim_max: libc::rlim_t::from(spec.rlimit_rttime_us),
                    };
                    if libc::setrlimit(libc::RLIMIT_RTTIME, &lim) != 0 {
                        failed.push("child process cannot set realtime rlimit".to_string());
                    }
                }
            }
        } else if let Some(nice) = spec.nice {
            if libc::setpriority(libc::PRIO_PROCESS, 0, nice) != 0 {
                failed.push(format!(
                    "Unable to set process priority to {nice} - {}",
                    std::io::Error::last_os_error()
                ));
            } else {
                NICE_SET.store(true, Ordering::Relaxed);
            }
        }
        if spec.no_swap
            && libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE | libc::MCL_ONFAULT) != 0
        {
            failed.push(format!(
                "Unable to lock process in memory - {}",
                std::io::Error::last_os_error()
            ));
        }
        if !spec.cpus.is_empty() {
            let mut old: libc::cpu_set_t = std::mem::zeroed();
            let size = std::mem::size_of::<libc::cpu_set_t>();
            if libc::sched_getaffinity(0, size, &mut old) == 0 {
                saved.affinity = Some(old);
            }
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            for &cpu in &spec.cpus {
                if let Ok(cpu) = usize::try_from(cpu) {
                    if cpu < libc::CPU_SETSIZE as usize {
                        libc::CPU_SET(cpu, &mut set);
                    }
                }
            }
            if libc::sched_setaffinity(0, size, &set) != 0 {
                failed.push(format!(
                    "unable to set cpu affinity to vrrp process ({})",
                    std::io::Error::last_os_error()
                ));
                saved.affinity = None;
            }
        }
        let _ = SAVED.set(saved);
    }
    failed
}

/// In a forked child before exec: normal scheduling, the original nice value, CPU set and
/// RLIMIT_RTTIME. Only async-signal-safe calls on data saved before the fork; failures are
/// ignored (the script still runs).
///
/// # Safety
/// Call only in the child of a `fork` of this process, before `exec`.
pub unsafe fn reset_in_child() {
    let Some(saved) = SAVED.get() else { return };
    // SAFETY: syscalls with pointers to static data that is never written after `apply`.
    unsafe {
        if REALTIME.load(Ordering::Relaxed) {
            let param = libc::sched_param { sched_priority: 0 };
            libc::sched_setscheduler(0, libc::SCHED_OTHER, &param);
            if let Some(r) = &saved.rttime {
                libc::setrlimit(libc::RLIMIT_RTTIME, r);
            }
        }
        if NICE_SET.load(Ordering::Relaxed) || REALTIME.load(Ordering::Relaxed) {
            libc::setpriority(libc::PRIO_PROCESS, 0, saved.nice);
        }
        if let Some(set) = &saved.affinity {
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set);
        }
    }
}
