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

/// Bytes the one-shot check reserves at the top of its heap; the 260,000-line benchmark file
/// peaks at about 45 MB, so most checks never grow the heap past this.
const SHORT_RUN_HEAP: usize = 96 << 20;

/// For a one-shot run that builds a large model and exits (`--check-config`): the heap grows
/// once by [`SHORT_RUN_HEAP`] and that range is advised to the kernel as transparent-huge-page
/// memory, so it is supplied 2 MB at a time instead of 4 KB at a time. Why: on the 10,000-
/// instance benchmark file, a third of the check's wall time was spent in some 10,000 page
/// faults (README "Benchmarks"). Big buffers (the file text) are kept on that heap too.
///
/// Not for the daemon: it keeps its heap small (README "Memory"), and huge pages would round
/// its resident size up. Harmless where THP is off ("never"): the advice is then ignored.
pub fn huge_page_heap_for_a_short_run() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt takes integers and only changes the allocator's tunables; sbrk(0) only
    // reads the current break; the block is malloc'd and freed by us alone; madvise only
    // changes the kernel's paging advice for a range of our own heap (or fails harmlessly),
    // never the contents. Called from main's thread before the check allocates its model.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        libc::mallopt(libc::M_TOP_PAD, SHORT_RUN_HEAP as i32);
        let before = libc::sbrk(0) as usize;
        // black_box: the compiler would otherwise drop an allocation nobody reads.
        let block = std::hint::black_box(libc::malloc(1 << 20));
        libc::free(block);
        let after = libc::sbrk(0) as usize;
        let page = 4096;
        let start = before.saturating_add(page - 1) & !(page - 1);
        if block.is_null() || before == usize::MAX || after <= start {
            return;
        }
        libc::madvise(
            start as *mut libc::c_void,
            after - start,
            libc::MADV_HUGEPAGE,
        );
    }
}
