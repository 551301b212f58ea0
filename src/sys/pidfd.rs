//! Process file descriptors (`pidfd_open`, Linux 5.3): a descriptor on one process that
//! becomes readable the moment the process exits, whoever its parent is and in whatever
//! network namespace the watcher runs. `vrrp_track_process` holds one per matched process so
//! that an exit is seen at once (docs/keepalived-compat.md#how-tracked-sources-are-watched).
//!
//! Called through `syscall(2)`: glibc only has a `pidfd_open` wrapper since 2.36, and the
//! portable build links against 2.17. Where the kernel lacks it (`ENOSYS`) or a seccomp filter
//! forbids it (`EPERM`), [`probe`] says so and the caller polls `/proc` instead.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A pidfd on process `pid` (close-on-exec by the kernel's default). `ESRCH`: the process is
/// gone already.
pub fn open(pid: u32) -> io::Result<OwnedFd> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::Error::from_raw_os_error(libc::ESRCH))?;
    // SAFETY: pidfd_open takes a pid and a flags word and returns a new descriptor or -1; no
    // memory is passed.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0 as libc::c_uint) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd = libc::c_int::try_from(fd).map_err(|_| io::Error::from_raw_os_error(libc::EBADF))?;
    // SAFETY: the kernel just returned this descriptor to us; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Whether pidfds work here: a pidfd on this very process can be opened. The error says why
/// not (`ENOSYS`: kernel older than 5.3; `EPERM`: a seccomp filter).
pub fn probe() -> io::Result<()> {
    open(std::process::id()).map(drop)
}

/// Whether the process behind `fd` has exited already (readable now; a zombie counts as
/// exited). Does not block.
pub fn has_exited(fd: &OwnedFd) -> bool {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, timeout 0.
    let n = unsafe { libc::poll(&mut p, 1, 0) };
    n > 0 && p.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exit_makes_the_pidfd_readable() {
        if probe().is_err() {
            // Old kernel or seccomp: the fallback is tested elsewhere.
            return;
        }
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("sleep");
        let fd = open(child.id()).expect("pidfd");
        assert!(!has_exited(&fd));
        child.kill().expect("kill");
        let end = std::time::Instant::now() + std::time::Duration::from_secs(2);
        while !has_exited(&fd) && std::time::Instant::now() < end {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert!(has_exited(&fd), "readable once killed (a zombie counts)");
        child.wait().expect("reap");
        assert_eq!(
            open(child.id()).err().and_then(|e| e.raw_os_error()),
            Some(libc::ESRCH),
            "reaped: gone"
        );
    }
}
