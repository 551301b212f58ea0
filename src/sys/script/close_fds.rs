//! Closing every inherited descriptor in a script's child before `exec`, on any kernel from
//! the support floor up (src/sys/kernel_floor.rs).
//!
//! The child of a multi-threaded process may only make async-signal-safe calls: everything
//! here is a raw system call on stack memory (no allocation, no lock, no `opendir`). Three
//! paths, each used when the one before it is unavailable:
//!
//! 1. `close_range` (Linux 5.9): two calls around the descriptor to keep.
//! 2. `/proc/self/fd` read with `getdents64` into a stack buffer, closing each listed number;
//!    after a buffer that closed something the listing is read again from the start (closing
//!    changes the directory under the reader), until a pass closes nothing.
//! 3. Without `/proc` (a chroot, a container without it): `close` on every number up to
//!    `bound`, the descriptor limit computed before `fork`.

/// One past the highest descriptor number worth trying in path 3, computed before `fork`: the larger
/// of the soft and hard `RLIMIT_NOFILE` (a limit lowered after opening leaves higher numbers
/// open), capped at the kernel's default `fs.nr_open` (no descriptor can be numbered above
/// it unless an administrator raised it).
pub(super) fn close_bound() -> libc::c_uint {
    const NR_OPEN_DEFAULT: u64 = 1 << 20;
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into `r`.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) } == 0;
    let limit = if ok {
        r.rlim_cur.max(r.rlim_max)
    } else {
        NR_OPEN_DEFAULT
    };
    limit.min(NR_OPEN_DEFAULT) as libc::c_uint
}

/// Closes every descriptor `>= first` except `keep` (see the module doc for the paths).
/// `use_close_range` is the start-up probe's answer; a failing `close_range` falls through
/// to the next path anyway.
///
/// # Safety
///
/// Only for the child between `fork` and `exec`: it closes descriptors other code may own.
pub(super) unsafe fn close_from(
    first: libc::c_int,
    keep: libc::c_int,
    bound: libc::c_uint,
    use_close_range: bool,
) {
    // SAFETY (whole function): raw system calls on stack memory.
    unsafe {
        if use_close_range && close_with_close_range(first, keep) {
            return;
        }
        if close_listed(first, keep) {
            return;
        }
        let mut fd = first;
        while fd >= 0 && (fd as libc::c_uint) < bound {
            if fd != keep {
                libc::close(fd);
            }
            fd += 1;
        }
    }
}

/// Path 1; false when `close_range` failed (the caller takes another path).
unsafe fn close_with_close_range(first: libc::c_int, keep: libc::c_int) -> bool {
    let range = |lo: libc::c_int, hi: libc::c_uint| -> bool {
        if lo < 0 || lo as libc::c_uint > hi {
            return true;
        }
        // SAFETY: closes descriptors only; the caller is the child before exec.
        unsafe {
            libc::syscall(
                libc::SYS_close_range,
                lo as libc::c_uint,
                hi,
                0 as libc::c_uint,
            ) == 0
        }
    };
    if keep >= first {
        range(first, (keep - 1) as libc::c_uint) && range(keep + 1, libc::c_uint::MAX)
    } else {
        range(first, libc::c_uint::MAX)
    }
}

/// The decimal descriptor number of a `/proc/self/fd` entry name (NUL-terminated), or None
/// for `.`, `..` and anything else.
fn parse_fd(name: &[u8]) -> Option<libc::c_int> {
    let mut n: libc::c_int = 0;
    let mut digits = 0;
    for &c in name {
        if c == 0 {
            break;
        }
        if !c.is_ascii_digit() {
            return None;
        }
        n = n
            .checked_mul(10)?
            .checked_add(libc::c_int::from(c - b'0'))?;
        digits += 1;
    }
    (digits > 0).then_some(n)
}

/// Path 2; false when `/proc/self/fd` cannot be opened or read.
unsafe fn close_listed(first: libc::c_int, keep: libc::c_int) -> bool {
    // SAFETY (whole function): raw system calls on the stack buffer below.
    unsafe {
        let dir = libc::open(
            c"/proc/self/fd".as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        );
        if dir < 0 {
            return false;
        }
        // u64 elements: linux_dirent64 records are 8-byte aligned.
        let mut buf = [0u64; 128];
        let bytes = std::mem::size_of_val(&buf);
        loop {
            let n = libc::syscall(libc::SYS_getdents64, dir, buf.as_mut_ptr(), bytes);
            if n < 0 {
                libc::close(dir);
                return false;
            }
            if n == 0 {
                break;
            }
            let n = (n as usize).min(bytes);
            let raw = std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n);
            let mut closed = false;
            let mut at = 0usize;
            // struct linux_dirent64 { u64 d_ino; i64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
            while let Some(rec) = raw.get(at..) {
                let Some(len) = rec
                    .get(16..18)
                    .and_then(|b| <[u8; 2]>::try_from(b).ok())
                    .map(u16::from_ne_bytes)
                else {
                    break;
                };
                let len = usize::from(len);
                if len < 19 {
                    break;
                }
                let name = rec.get(19..len.min(rec.len())).unwrap_or(&[]);
                if let Some(fd) = parse_fd(name) {
                    if fd >= first && fd != keep && fd != dir {
                        libc::close(fd);
                        closed = true;
                    }
                }
                at += len;
            }
            if closed && libc::lseek(dir, 0, libc::SEEK_SET) < 0 {
                libc::close(dir);
                return false;
            }
        }
        libc::close(dir);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::parse_fd;

    #[test]
    fn entry_names_parse_as_descriptor_numbers() {
        assert_eq!(parse_fd(b"17\0"), Some(17));
        assert_eq!(parse_fd(b"0\0\0\0"), Some(0));
        assert_eq!(parse_fd(b".\0"), None);
        assert_eq!(parse_fd(b"..\0"), None);
        assert_eq!(parse_fd(b"\0"), None);
        assert_eq!(parse_fd(b"99999999999999\0"), None);
    }
}
