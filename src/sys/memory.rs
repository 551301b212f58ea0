//! Handing freed heap back to the kernel after the short, large allocations of start-up and
//! reload (README "Memory").
//!
//! A reload parses and plans the new file on a blocking-pool thread, whose allocations come
//! from a glibc arena of its own; once the new plan is applied they are free but stay resident
//! (glibc trims only the main arena's top, and only past its threshold). With 1,000 instances
//! that high-water mark was 10 MB held for the daemon's life. `malloc_trim(0)` returns the free
//! pages of every arena; it costs a walk of the free lists, done once per reload.

/// Returns freed heap pages to the kernel (glibc only; a no-op elsewhere).
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes a plain integer and only walks the allocator's own lists; it
    // is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Two malloc arenas, set before any thread starts. glibc keeps the main thread (the protocol
/// loop) on the main arena and gives the first other thread (the reload loader, the reaper,
/// blocking lookups and frees) the second; a helper that exits hands the second arena on to
/// the next one. Only a helper that starts while another still holds the second arena can be
/// given the main one (glibc then takes whichever arena is unlocked), which is no worse than
/// the single arena this replaced. Why two:
///
/// * one arena for every thread made the loader's allocations and the trim after a reload
///   contend with the loop: a 40,000-script reload mallocs hundreds of thousands of times
///   beside the loop, and `malloc_trim` held the arena's lock for 6-14 ms, each time the
///   loop's next allocation waited (due adverts 5-7 ms late, README "Reload at any size");
/// * glibc's default (eight arenas per core, one per thread as threads appear) kept a reload's
///   working set resident in several arenas after it was freed (measured with 1,000
///   instances: 16.3 MB after 20 reloads, against 12.6 MB with one arena). Two arenas keep it
///   in one place, which [`trim`] gives back after each reload.
///
/// The thresholds are fixed at glibc's starting values. By default glibc raises them each
/// time a large block is freed (a reload frees the file's text, megabytes): the trim
/// threshold then reached several megabytes, and the second arena's top, which `malloc_trim`
/// does not shrink (it shrinks only the main arena's), kept a reload's high-water mark
/// resident (1,000 instances after 100 reloads: 18.9 MB against 13.7 MB with one arena).
pub fn arenas_for_the_loop_and_the_rest() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt takes two integers and only changes the allocator's tunables; called
    // from main before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, GLIBC_START_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, GLIBC_START_THRESHOLD);
    }
}

/// glibc's initial `M_MMAP_THRESHOLD` and `M_TRIM_THRESHOLD` (128 KiB).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const GLIBC_START_THRESHOLD: libc::c_int = 128 * 1024;

/// Bytes the one-shot check reserves at the top of its heap; the 260,000-line benchmark file
/// peaks at about 45 MB, so most checks never grow the heap past this.
const SHORT_RUN_HEAP: usize = 96 << 20;

/// For a one-shot run that builds a large model and exits (`--check-config`): the heap grows
/// by [`SHORT_RUN_HEAP`] at a time and is never trimmed, so the check makes a few `brk` calls
/// instead of one per 128 KB, and big buffers (the file text) stay on the heap instead of in
/// mappings of their own.
///
/// The heap used to be advised as transparent huge pages as well (fewer page faults: 0.035-
/// 0.04 s instead of 0.05 s for the 10,000-instance benchmark file when huge pages were at
/// hand). On the test VM, a check started just after another large program (the benchmark
/// runs `keepalived -t` before each) spent 0.03-0.10 s of system time faulting them in, in
/// about half the runs (0.07-0.14 s in all), with no compaction counted in /proc/vmstat: the
/// large free blocks they come from are, on a VM, likely the ones handed back to the host,
/// which must supply them again. Without the advice every run takes about 0.055 s (README
/// "Benchmarks").
///
/// Not for the daemon: it keeps its heap small (README "Memory").
pub fn one_heap_for_a_short_run() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt takes integers and only changes the allocator's tunables. Called from
    // main's thread before the check allocates its model.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        libc::mallopt(libc::M_TOP_PAD, SHORT_RUN_HEAP as i32);
    }
}
