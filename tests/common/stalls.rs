//! Stalls of the machine itself, told apart from a daemon's own lateness (benches/reload.rs).
//!
//! On a virtual machine a CPU can stop running for tens of milliseconds while the guest thinks
//! it idles: the host has not woken it, or has given its core to another guest. Measured on a
//! two-vCPU test VM with nothing else running, a thread sleeping 1 ms at a time woke up to
//! 28 ms late, several times in 15 s, and an advert's wire gap shows the same stall for either
//! daemon whether it reloads or not. A [`Probe`] has one thread pinned to each CPU doing short
//! sleeps and recording every wake-up later than [`STALL`]: the windows in which that CPU did
//! not run. The probe threads are SCHED_FIFO at the highest priority, so no thread of the
//! guest (a daemon's loop or loader included) can make them late: only the machine can. An
//! advert whose delay overlaps such a window is delayed by the machine, whatever the daemon
//! did; [`longest_unexplained`] gives the longest delay that no stall explains (with no
//! stalls, the longest interval between two sends less the period).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long each probe thread sleeps.
const TICK: Duration = Duration::from_millis(1);

/// A wake-up this much later than asked is a stall.
pub const STALL: Duration = Duration::from_millis(2);

/// A window in which one CPU did not run its probe, in seconds since the epoch (the clock of
/// pcap timestamps).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stall {
    pub from: f64,
    pub to: f64,
}

impl Stall {
    pub fn len(&self) -> Duration {
        Duration::from_secs_f64((self.to - self.from).max(0.0))
    }
}

/// One sleeping thread per CPU, until [`Probe::stop`].
pub struct Probe {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<Vec<Stall>>>,
}

fn epoch_secs(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl Probe {
    pub fn start() -> Probe {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..cpus)
            .map(|cpu| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut set = nix::sched::CpuSet::new();
                    let pinned = set.set(cpu).is_ok()
                        && nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), &set)
                            .is_ok();
                    assert!(pinned, "cannot pin the stall probe to CPU {cpu}");
                    let top = libc::sched_param { sched_priority: 99 };
                    // SAFETY: a plain syscall on the calling thread with a valid param.
                    let rt = unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &top) };
                    assert_eq!(rt, 0, "the stall probe needs SCHED_FIFO (root)");
                    let mut stalls = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let (wall, t0) = (SystemTime::now(), Instant::now());
                        std::thread::sleep(TICK);
                        let late = t0.elapsed().saturating_sub(TICK);
                        if late > STALL {
                            // The CPU was due back at wall + TICK and ran again `late` after.
                            let from = epoch_secs(wall + TICK);
                            stalls.push(Stall {
                                from,
                                to: from + late.as_secs_f64(),
                            });
                        }
                    }
                    stalls
                })
            })
            .collect();
        Probe { stop, threads }
    }

    /// Every stall seen on any CPU, in time order.
    pub fn stop(self) -> Vec<Stall> {
        self.stop.store(true, Ordering::Relaxed);
        let mut all: Vec<Stall> = self
            .threads
            .into_iter()
            .flat_map(|t| t.join().expect("a stall probe thread"))
            .collect();
        all.sort_by(|a, b| a.from.total_cmp(&b.from));
        all
    }
}

/// The longest delay among the intervals between consecutive `sends` (seconds since the
/// epoch, in order) less `period`, counting only delays that no stall overlaps: the advert was
/// due at `previous + period` and went out at `next`; a stall in between explains it.
pub fn longest_unexplained(sends: &[f64], period: f64, stalls: &[Stall]) -> Duration {
    let longest = sends
        .windows(2)
        .filter_map(|w| match *w {
            [a, b] => Some((a + period, b)),
            _ => None,
        })
        .filter(|&(due, sent)| !stalls.iter().any(|s| s.from < sent && s.to > due))
        .map(|(due, sent)| sent - due)
        .fold(0.0f64, f64::max);
    Duration::from_secs_f64(longest.max(0.0))
}

/// The longest of `stalls`.
pub fn longest(stalls: &[Stall]) -> Duration {
    stalls.iter().map(Stall::len).max().unwrap_or_default()
}
