//! The drained instances and their file.
//!
//! `vrrpd drain` must survive a restart (systemd's `Restart=on-failure`, an upgrade) and a
//! reload, so the set is written next to the control socket (`/run/vrrpd/control.drained`
//! by default; README "Control" says why `/run`). It is written the safe way: a new file
//! created exclusively (`O_EXCL|O_NOFOLLOW`, mode 0600), synced, then renamed over the old
//! one, so a reader never sees half a file and a symlink planted at the path is replaced,
//! never written through. It is read with `O_NOFOLLOW` and only when it is a regular file.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The largest drained-state file read (far more than any real set of names).
const MAX_FILE: u64 = 256 * 1024;

/// Which instances are drained.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrainSet {
    /// `drain --all`: every instance, also ones a later reload adds.
    #[serde(default)]
    pub all: bool,
    /// Instances drained by name (kept when a reload removes them, so they come back
    /// drained).
    #[serde(default)]
    pub instances: BTreeSet<String>,
}

impl DrainSet {
    pub fn is_empty(&self) -> bool {
        !self.all && self.instances.is_empty()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.all || self.instances.contains(name)
    }

    /// Applies a drain (`drain`) or undrain of `names` (empty: all) among the instances
    /// `known`; an unknown name refuses the whole request.
    pub fn change(
        &mut self,
        names: &[String],
        drain: bool,
        known: &[String],
    ) -> Result<(), String> {
        if let Some(bad) = names.iter().find(|n| !known.contains(n)) {
            return Err(format!("no instance named {bad}"));
        }
        match (drain, names.is_empty()) {
            (true, true) => self.all = true,
            (true, false) => self.instances.extend(names.iter().cloned()),
            (false, true) => *self = DrainSet::default(),
            (false, false) => {
                if self.all {
                    // Everything was drained: now everything known but these.
                    self.all = false;
                    self.instances.extend(known.iter().cloned());
                }
                for n in names {
                    self.instances.remove(n);
                }
            }
        }
        Ok(())
    }

    /// The names to give the core as drained among `known` (an empty list means all, as in
    /// the core's `Input::Drain`); `None` when nothing is drained.
    pub fn for_core(&self, known: &[String]) -> Option<Vec<String>> {
        if self.all {
            return Some(Vec::new());
        }
        let names: Vec<String> = known
            .iter()
            .filter(|k| self.instances.contains(*k))
            .cloned()
            .collect();
        (!names.is_empty()).then_some(names)
    }
}

/// The drained-state file.
#[derive(Clone, Debug)]
pub struct DrainFile {
    pub path: PathBuf,
}

impl DrainFile {
    pub fn new(path: PathBuf) -> DrainFile {
        DrainFile { path }
    }

    /// The stored set; an absent file is an empty set. A symlink, a non-regular file or
    /// unreadable content is an error (the caller logs it and starts undrained).
    pub fn load(&self) -> io::Result<DrainSet> {
        let f = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(&self.path);
        let f = match f {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(DrainSet::default()),
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Err(io::Error::other("a symlink; not following it"))
            }
            Err(e) => return Err(e),
            Ok(f) => f,
        };
        if !f.metadata()?.is_file() {
            return Err(io::Error::other("not a regular file"));
        }
        let mut text = String::new();
        f.take(MAX_FILE).read_to_string(&mut text)?;
        serde_json::from_str(&text).map_err(io::Error::other)
    }

    /// Replaces the file with `set` (see the module docs).
    pub fn store(&self, set: &DrainSet) -> io::Result<()> {
        let tmp = temp_path(&self.path);
        // A leftover of an interrupted store (or anything planted there): unlink never
        // follows a symlink.
        let _ = fs::remove_file(&tmp);
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&tmp)?;
        let mut text = serde_json::to_string(set).map_err(io::Error::other)?;
        text.push('\n');
        let written = f.write_all(text.as_bytes()).and_then(|()| f.sync_all());
        if let Err(e) = written.and_then(|()| fs::rename(&tmp, &self.path)) {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        Ok(())
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp.{}", std::process::id()));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("vrrpd-drains-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).expect("mkdir");
        d
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn drain_undrain_and_all() {
        let known = names(&["A", "B", "C"]);
        let mut s = DrainSet::default();
        assert_eq!(s.for_core(&known), None);
        s.change(&names(&["A"]), true, &known).expect("drain A");
        assert_eq!(s.for_core(&known), Some(names(&["A"])));
        assert!(s.change(&names(&["Z"]), true, &known).is_err());
        s.change(&[], true, &known).expect("drain all");
        assert_eq!(s.for_core(&known), Some(vec![]));
        s.change(&names(&["B"]), false, &known).expect("undrain B");
        assert!(!s.all);
        assert_eq!(s.for_core(&known), Some(names(&["A", "C"])));
        s.change(&[], false, &known).expect("undrain all");
        assert!(s.is_empty());
    }

    #[test]
    fn stored_privately_and_read_back() {
        let d = dir("rw");
        let file = DrainFile::new(d.join("control.drained"));
        assert_eq!(file.load().expect("absent"), DrainSet::default());
        let mut s = DrainSet::default();
        s.instances.insert("VI_1".into());
        file.store(&s).expect("store");
        assert_eq!(file.load().expect("load"), s);
        let m = fs::metadata(&file.path).expect("meta");
        assert_eq!(m.permissions().mode() & 0o777, 0o600);
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(&d).expect("ls").count(), 1);
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_symlink_at_the_path_is_neither_read_nor_written_through() {
        let d = dir("link");
        let victim = d.join("victim");
        fs::write(&victim, "{\"all\":true}").expect("victim");
        let file = DrainFile::new(d.join("control.drained"));
        std::os::unix::fs::symlink(&victim, &file.path).expect("symlink");
        assert!(file.load().is_err(), "a symlink is not followed on reading");
        // A symlink planted at the temporary name is not followed either.
        std::os::unix::fs::symlink(&victim, temp_path(&file.path)).expect("symlink");
        file.store(&DrainSet::default())
            .expect("store replaces the link");
        assert_eq!(
            fs::read_to_string(&victim).expect("victim"),
            "{\"all\":true}",
            "the link's target is untouched"
        );
        let m = fs::symlink_metadata(&file.path).expect("meta");
        assert!(m.file_type().is_file());
        assert_eq!(file.load().expect("load"), DrainSet::default());
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_fifo_or_garbage_is_an_error_not_a_hang() {
        let d = dir("fifo");
        let file = DrainFile::new(d.join("control.drained"));
        nix::unistd::mkfifo(&file.path, nix::sys::stat::Mode::from_bits_truncate(0o600))
            .expect("mkfifo");
        assert!(file.load().is_err());
        fs::remove_file(&file.path).expect("rm");
        fs::write(&file.path, "not json").expect("write");
        assert!(file.load().is_err());
        let _ = fs::remove_dir_all(&d);
    }
}
