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

/// One malloc arena for the whole process, set before any thread starts. vrrpd's threads
/// other than the loop (the reload loader, the reaper, blocking lookups) allocate little and
/// rarely, so they gain nothing from arenas of their own, while each such arena kept a reload's
/// working set resident after it was freed (measured with 1,000 instances: 16.3 MB after 20
/// reloads with per-thread arenas, 12.6 MB with one).
pub fn single_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt takes two integers and only changes the allocator's tunables; called
    // from main before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
