//! inotify on the directories of `track_file`s (docs/keepalived-compat.md#how-tracked-sources-are-watched):
//! a file written and closed, renamed over, renamed away or removed is read again at once.
//!
//! The directory is watched, not the file: a file replaced by rename (editors, configuration
//! management) is a new inode a watch on the old one would never report. The events are the
//! ones keepalived asks for (`IN_CLOSE_WRITE`, `IN_MOVE`, `IN_DELETE`): a write is read after
//! its `close`, never between the truncation and the write. A watch reads nothing and never
//! blocks; the file itself is still opened only through `fsafe`.

use std::ffi::{CString, OsString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

/// What each directory watch reports: an entry written and closed, moved in or out, or
/// removed; the directory itself moved away (its path now names something else).
const MASK: u32 = libc::IN_CLOSE_WRITE
    | libc::IN_MOVED_FROM
    | libc::IN_MOVED_TO
    | libc::IN_DELETE
    | libc::IN_MOVE_SELF
    | libc::IN_ONLYDIR;

/// Size of `struct inotify_event` before its name.
const HEADER: usize = 16;

/// One event: the watch, what happened, and the entry's name (none for the directory itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub wd: i32,
    pub mask: u32,
    pub name: Option<OsString>,
}

impl Event {
    /// The kernel dropped events (its queue was full): everything must be read again.
    pub fn overflowed(&self) -> bool {
        self.mask & libc::IN_Q_OVERFLOW != 0
    }

    /// The watch is gone (directory removed, moved away, file system unmounted): its files
    /// fall back to polling.
    pub fn watch_ended(&self) -> bool {
        self.mask & (libc::IN_IGNORED | libc::IN_MOVE_SELF | libc::IN_UNMOUNT) != 0
    }
}

/// An inotify instance (non-blocking, close-on-exec).
#[derive(Debug)]
pub struct Inotify {
    fd: OwnedFd,
}

impl AsRawFd for Inotify {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl Inotify {
    /// A new instance. Fails with `EMFILE` when the user's `max_user_instances` is reached,
    /// `ENOSYS` where the kernel has no inotify.
    pub fn new() -> io::Result<Inotify> {
        // SAFETY: no pointers; returns a new descriptor or -1.
        let fd = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the kernel just returned this descriptor; nothing else owns it.
        Ok(Inotify {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// Watches directory `dir`; the same directory twice gives the same watch. Fails with
    /// `ENOSPC` when `max_user_watches` is reached, `ENOENT`/`ENOTDIR` when it is no directory.
    pub fn watch_dir(&self, dir: &Path) -> io::Result<i32> {
        let c = CString::new(dir.as_os_str().as_bytes())
            .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
        let wd = unsafe { libc::inotify_add_watch(self.fd.as_raw_fd(), c.as_ptr(), MASK) };
        if wd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(wd)
    }

    /// The events queued now; `WouldBlock` when there are none.
    pub fn read_events(&self) -> io::Result<Vec<Event>> {
        // Room for several events with the longest name (NAME_MAX 255).
        let mut buf = [0u8; 4096];
        // SAFETY: reads at most `buf.len()` bytes into `buf`.
        let n = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let n = usize::try_from(n).unwrap_or(0);
        Ok(parse(buf.get(..n).unwrap_or(&[])))
    }
}

/// Splits a buffer of `struct inotify_event`s (`wd`, `mask`, `cookie`, `len`, then `len`
/// bytes of NUL-padded name). A truncated tail is ignored.
pub fn parse(mut bytes: &[u8]) -> Vec<Event> {
    let word = |b: &[u8], at: usize| -> Option<u32> {
        Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
    };
    let mut out = Vec::new();
    while let (Some(wd), Some(mask), Some(len)) = (word(bytes, 0), word(bytes, 4), word(bytes, 12))
    {
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        let Some(raw) = HEADER
            .checked_add(len)
            .and_then(|end| bytes.get(HEADER..end))
        else {
            break;
        };
        let name_len = raw.iter().position(|b| *b == 0).unwrap_or(raw.len());
        let name = raw
            .get(..name_len)
            .filter(|n| !n.is_empty())
            .map(|n| OsString::from_vec(n.to_vec()));
        out.push(Event {
            wd: wd as i32,
            mask,
            name,
        });
        bytes = bytes.get(HEADER + len..).unwrap_or(&[]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(wd: i32, mask: u32, name: &[u8], len: u32) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&wd.to_ne_bytes());
        v.extend_from_slice(&mask.to_ne_bytes());
        v.extend_from_slice(&0u32.to_ne_bytes());
        v.extend_from_slice(&len.to_ne_bytes());
        let mut n = name.to_vec();
        n.resize(len as usize, 0);
        v.extend_from_slice(&n);
        v
    }

    #[test]
    fn events_are_split_and_truncation_is_ignored() {
        let mut b = raw(1, libc::IN_CLOSE_WRITE, b"weight", 16);
        b.extend(raw(2, libc::IN_IGNORED, b"", 0));
        b.extend(raw(1, libc::IN_DELETE, b"other", 16));
        let ev = parse(&b);
        assert_eq!(ev.len(), 3);
        assert_eq!(ev[0].name.as_deref(), Some(std::ffi::OsStr::new("weight")));
        assert!(ev[1].watch_ended() && ev[1].name.is_none());
        assert_eq!(ev[2].mask, libc::IN_DELETE);
        // A length pointing past the end: the event is dropped, nothing panics.
        let mut bad = raw(1, libc::IN_CLOSE_WRITE, b"x", 16);
        bad[12..16].copy_from_slice(&u32::MAX.to_ne_bytes());
        assert!(parse(&bad).is_empty());
        assert!(parse(&b[..20]).len() <= 1);
    }

    #[test]
    fn a_close_after_write_is_reported() {
        let d = std::env::temp_dir().join(format!("vrrpd-inotify-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("dir");
        let Ok(ino) = Inotify::new() else {
            return; // no inotify here: the pollers cover it
        };
        let wd = ino.watch_dir(&d).expect("watch");
        assert!(ino.read_events().is_err(), "nothing yet: WouldBlock");
        std::fs::write(d.join("weight"), "5\n").expect("write");
        let ev = ino.read_events().expect("events");
        assert!(ev.iter().any(|e| e.wd == wd
            && e.mask & libc::IN_CLOSE_WRITE != 0
            && e.name.as_deref() == Some(std::ffi::OsStr::new("weight"))));
        assert!(ino.watch_dir(&d.join("weight")).is_err(), "not a directory");
        std::fs::remove_dir_all(&d).expect("cleanup");
    }
}
