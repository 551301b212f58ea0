//! Creating the control socket safely.
//!
//! * The directory: created `0700` when missing. An existing one must be a real directory
//!   (not a symlink), owned by root or the daemon's user, and writable by nobody else unless
//!   it is sticky (like `/tmp`, where nobody can remove or replace our entries).
//! * Something already at the socket path is removed only when it is a socket we own that
//!   nobody answers on (a crashed daemon's leftover). A live socket means another daemon
//!   uses this path; anything else (a file, a symlink) is left alone. Either way this daemon
//!   runs on without a control socket and says why.
//! * The socket is made `0600` right after `bind` (the directory keeps others out meanwhile);
//!   the server also checks each client's credentials (root or the daemon's own user).

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Why the control socket could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    #[error("control socket {path}: {what}")]
    Refused { path: PathBuf, what: String },
    #[error("control socket {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn refused(path: &Path, what: impl Into<String>) -> PlaceError {
    PlaceError::Refused {
        path: path.to_path_buf(),
        what: what.into(),
    }
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> PlaceError + '_ {
    move |source| PlaceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The daemon's effective user id.
fn euid() -> u32 {
    nix::unistd::geteuid().as_raw()
}

/// Makes sure the socket's directory exists and is safe (see the module docs).
pub fn prepare_dir(socket: &Path) -> Result<(), PlaceError> {
    let dir = match socket.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io_err(dir)),
        Err(e) => Err(io_err(dir)(e)),
        Ok(m) => check_dir(dir, &m),
    }
}

fn check_dir(dir: &Path, m: &fs::Metadata) -> Result<(), PlaceError> {
    if m.file_type().is_symlink() {
        return Err(refused(dir, "the directory is a symlink; not following it"));
    }
    if !m.is_dir() {
        return Err(refused(dir, "not a directory"));
    }
    if m.uid() != 0 && m.uid() != euid() {
        return Err(refused(dir, format!("directory owned by uid {}", m.uid())));
    }
    let mode = m.permissions().mode();
    if mode & 0o022 != 0 && mode & 0o1000 == 0 {
        return Err(refused(
            dir,
            format!(
                "directory writable by others (mode {:o}) and not sticky",
                mode & 0o7777
            ),
        ));
    }
    Ok(())
}

/// What is at the socket path before we bind.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    Nothing,
    /// A socket of ours that nobody answers on: safe to remove.
    Stale,
    /// Another daemon answers there.
    Live,
    /// Not ours to touch (a file, a symlink, someone else's socket).
    Foreign(String),
}

/// Looks at the socket path without following a symlink.
pub fn inspect(path: &Path) -> Result<Found, PlaceError> {
    let m = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(e) => return Err(io_err(path)(e)),
        Ok(m) => m,
    };
    let ft = m.file_type();
    if ft.is_symlink() {
        return Ok(Found::Foreign("a symlink".into()));
    }
    if !ft.is_socket() {
        return Ok(Found::Foreign("not a socket".into()));
    }
    if m.uid() != euid() {
        return Ok(Found::Foreign(format!("a socket owned by uid {}", m.uid())));
    }
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Ok(Found::Live),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => Ok(Found::Stale),
        Err(e) => Ok(Found::Foreign(format!(
            "cannot tell whether it is in use ({e})"
        ))),
    }
}

/// Binds the control socket at `path` (see the module docs); the listener must be created
/// inside a tokio runtime.
pub fn bind(path: &Path) -> Result<(tokio::net::UnixListener, Placed), PlaceError> {
    prepare_dir(path)?;
    match inspect(path)? {
        Found::Nothing => {}
        Found::Stale => fs::remove_file(path).map_err(io_err(path))?,
        Found::Live => {
            return Err(refused(
                path,
                "in use by another running daemon (give each daemon its own --control-socket)",
            ))
        }
        Found::Foreign(what) => {
            return Err(refused(
                path,
                format!("{what} is in the way; not touching it"),
            ))
        }
    }
    let listener = tokio::net::UnixListener::bind(path).map_err(io_err(path))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(io_err(path))?;
    let ino = fs::symlink_metadata(path).map(|m| m.ino()).unwrap_or(0);
    Ok((
        listener,
        Placed {
            path: path.to_path_buf(),
            ino,
        },
    ))
}

/// The socket file we created; removed when dropped, if it is still ours (same inode), so a
/// second daemon's socket at the same path is never removed by the first one's exit.
#[derive(Debug)]
pub struct Placed {
    path: PathBuf,
    ino: u64,
}

impl Drop for Placed {
    fn drop(&mut self) {
        if let Ok(m) = fs::symlink_metadata(&self.path) {
            if m.file_type().is_socket() && m.ino() == self.ino {
                let _ = fs::remove_file(&self.path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("vrrpd-place-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn a_missing_directory_is_created_private() {
        let d = tmp("mk");
        let sock = d.join("sub/control.sock");
        prepare_dir(&sock).expect("prepare");
        let m = fs::metadata(d.join("sub")).expect("dir");
        assert_eq!(m.permissions().mode() & 0o777, 0o700);
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_symlinked_directory_and_things_in_the_way_are_refused() {
        let d = tmp("link");
        fs::create_dir_all(d.join("real")).expect("mkdir");
        std::os::unix::fs::symlink(d.join("real"), d.join("link")).expect("symlink");
        assert!(prepare_dir(&d.join("link/control.sock")).is_err());
        // A file and a symlink at the socket path are left alone.
        fs::write(d.join("real/f.sock"), "x").expect("file");
        assert!(matches!(
            inspect(&d.join("real/f.sock")),
            Ok(Found::Foreign(_))
        ));
        std::os::unix::fs::symlink("/etc/passwd", d.join("real/l.sock")).expect("symlink");
        assert!(matches!(
            inspect(&d.join("real/l.sock")),
            Ok(Found::Foreign(_))
        ));
        assert_eq!(
            inspect(&d.join("real/none.sock")).ok(),
            Some(Found::Nothing)
        );
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_stale_socket_is_replaced_a_live_one_is_not() {
        let d = tmp("stale");
        fs::create_dir_all(&d).expect("mkdir");
        fs::set_permissions(&d, fs::Permissions::from_mode(0o700)).expect("chmod");
        let path = d.join("c.sock");
        // Bound, then closed without unlinking: stale.
        drop(std::os::unix::net::UnixListener::bind(&path).expect("bind"));
        assert_eq!(inspect(&path).ok(), Some(Found::Stale));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let (_l, placed) = bind(&path).expect("bind over a stale socket");
            let m = fs::metadata(&path).expect("socket");
            assert_eq!(m.permissions().mode() & 0o777, 0o600);
            assert_eq!(inspect(&path).ok(), Some(Found::Live));
            assert!(bind(&path).is_err(), "a live socket is not taken over");
            drop(placed);
            assert!(!path.exists());
        });
        let _ = fs::remove_dir_all(&d);
    }
}
