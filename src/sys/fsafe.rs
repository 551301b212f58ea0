//! Opening files as root in places other users can write to ("Local users and
//! files"; keepalived's CVE-2018-19044/19045/19046).
//!
//! Every file the daemon writes is opened so that a planted symlink or FIFO cannot redirect
//! it: new files with `O_CREAT|O_EXCL|O_NOFOLLOW` under a random name, then `rename`d over
//! the final name (a rename replaces a symlink, it never writes through it); existing files
//! with `O_NOFOLLOW|O_NONBLOCK` and their type checked with `fstat` on the descriptor, never
//! on the path (no window between check and use).

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// How many random names are tried before giving up (a clash is already unlikely).
const NAME_TRIES: usize = 16;

/// A random 64-bit value from the kernel: `getrandom` (Linux 3.17, through `syscall` as glibc
/// 2.17 has no wrapper), else `/dev/urandom`, else the clock and pid. The names only need to
/// be hard to guess ahead; `O_EXCL` keeps a guessed one harmless (src/sys/kernel_floor.rs).
fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    if crate::sys::kernel_floor::facilities().getrandom {
        // SAFETY: getrandom writes at most `b.len()` bytes into `b`.
        let n = unsafe {
            libc::syscall(
                libc::SYS_getrandom,
                b.as_mut_ptr(),
                b.len(),
                libc::GRND_NONBLOCK,
            )
        };
        if n == b.len() as libc::c_long {
            return u64::from_ne_bytes(b);
        }
    }
    let urandom = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b));
    if urandom.is_ok() {
        return u64::from_ne_bytes(b);
    }
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    t ^ u64::from(std::process::id()).rotate_left(32)
}

/// Creates a new file at `path` with `mode` (then filtered by the umask): fails if anything,
/// a dangling symlink included, is already there.
pub fn create_new(path: &Path, mode: u32) -> io::Result<File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// Creates a file under a fresh random name next to `path` (`.NAME.XXXXXXXXXXXXXXXX`);
/// returns it and its name.
fn create_temp_beside(path: &Path, mode: u32) -> io::Result<(File, PathBuf)> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut last = io::Error::from(io::ErrorKind::AlreadyExists);
    for _ in 0..NAME_TRIES {
        let tmp = dir.join(format!(".{name}.{:016x}", random_u64()));
        match create_new(&tmp, mode) {
            Ok(f) => return Ok((f, tmp)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// Writes `bytes` to `path` through a temporary file created next to it and renamed over
/// it. The file ends with exactly `mode` (set on the descriptor, whatever the umask). A
/// symlink at `path` is replaced, not followed (keepalived's `fopen_safe` does the same).
pub fn replace(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let (mut f, tmp) = create_temp_beside(path, 0o600)?;
    let written = f
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .and_then(|()| f.write_all(bytes))
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Opens an existing regular file for reading. The path is first opened with `O_PATH`,
/// which opens nothing (no FIFO or device `open` runs, nothing blocks), the type is checked
/// on that descriptor, and only a regular file is then opened for real through
/// `/proc/self/fd` (the same inode: nothing can be swapped in between). `follow`: whether a
/// symlink as the last component is followed.
pub fn open_regular(path: &Path, follow: bool) -> io::Result<File> {
    reopen_regular(&open_path(path, follow)?, libc::O_RDONLY)
}

/// `open(path, O_PATH)`: a handle on the inode, without opening the file itself.
fn open_path(path: &Path, follow: bool) -> io::Result<File> {
    let mut flags = libc::O_PATH | libc::O_CLOEXEC;
    if !follow {
        flags |= libc::O_NOFOLLOW;
    }
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
}

/// Opens the regular file behind an `O_PATH` handle with `access` (`O_RDONLY`/`O_WRONLY`),
/// non-blocking; anything else is refused without being opened.
fn reopen_regular(handle: &File, access: libc::c_int) -> io::Result<File> {
    let t = handle.metadata()?.file_type();
    if t.is_symlink() {
        return Err(io::Error::other("it is a symbolic link (not followed)"));
    }
    if !t.is_file() {
        return Err(io::Error::other("it is not a regular file"));
    }
    let f = std::fs::OpenOptions::new()
        .read(access == libc::O_RDONLY)
        .write(access == libc::O_WRONLY)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(format!("/proc/self/fd/{}", handle.as_raw_fd()))?;
    require_regular(&f)?;
    Ok(f)
}

/// `ELOOP` from an `O_NOFOLLOW` open means "the last component is a symlink": say so.
pub fn symlink_error(e: io::Error) -> io::Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        io::Error::other("it is a symbolic link (not followed)")
    } else {
        e
    }
}

/// `Err` unless `f` is a regular file.
pub fn require_regular(f: &File) -> io::Result<()> {
    let m = f.metadata()?;
    if m.file_type().is_file() {
        Ok(())
    } else {
        Err(io::Error::other("it is not a regular file"))
    }
}

/// At most `max` bytes from the start of `f` (a few reads; stops at end of file).
pub fn read_prefix(f: &mut File, max: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(max);
    f.take(max as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Overwrites the content of an existing regular file in place (owner and mode kept). The
/// last component must not be a symlink and the file must have a single link, so neither a
/// planted symlink nor a hard link to another file can make root write elsewhere; what is
/// not a regular file is never opened (see [`open_regular`]).
pub fn overwrite_existing(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let handle = open_path(path, false)?;
    if handle.metadata()?.nlink() != 1 {
        return Err(io::Error::other("it has more than one hard link"));
    }
    let mut f = reopen_regular(&handle, libc::O_WRONLY)?;
    f.set_len(0)?;
    f.write_all(bytes)
}

/// `fchown` on a descriptor (never follows a path).
pub fn fchown(f: &File, uid: u32, gid: u32) -> io::Result<()> {
    // SAFETY: plain syscall on a descriptor we own.
    if unsafe { libc::fchown(f.as_raw_fd(), uid, gid) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_names_differ() {
        assert_ne!(random_u64(), random_u64());
    }
}
