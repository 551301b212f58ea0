//! `vrrpd --record-events FILE`: the daemon's inputs written as replay lines, so that a field
//! problem becomes a test (tests/proto/replay.rs reads the same lines).
//!
//! One JSON object per line, `t` in milliseconds since the node started:
//!
//! * `{"t":0,"host":{...}}` first: the interfaces and addresses the configuration was planned
//!   against, so the replay builds the same settings;
//! * `{"t":12.5,"input":{...}}`: an input of the protocol core (a received packet with its
//!   bytes, a link or address change, a deleted route or rule, the stop);
//! * `{"t":1000,"node":{...}}`: what the shell reported about trackers (script results,
//!   track_file values, process counts, a disabled script);
//! * `{"t":5000,"reload":"/etc/keepalived/keepalived.conf"}`: a reload that was applied.
//!
//! Timers are not recorded: the replay derives them from the same times. The file is the
//! operator's choice of path, but it is still created without following a symlink, mode 0600,
//! and it stops growing at [`MAX_BYTES`] (one log line says so): a flood of packets must not
//! fill the disk.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use crate::node::NodeInput;
use crate::plan::HostInfo;
use crate::proto::Input;

/// The most a recording grows to.
pub const MAX_BYTES: u64 = 256 * 1024 * 1024;

/// One line of a recording (and of a replay case's `input.jsonl`).
#[derive(Debug, Serialize)]
struct Line<'a> {
    t: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a HostInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<&'a Input>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node: Option<&'a NodeInput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reload: Option<&'a str>,
}

/// An open recording.
#[derive(Debug)]
pub struct Recorder {
    out: BufWriter<File>,
    /// The configuration file the daemon reloads (named in `reload` lines).
    config: String,
    t0: Instant,
    written: u64,
    /// The size the recording stops at ([`MAX_BYTES`]).
    limit: u64,
    /// Set once the size limit was reached.
    full: bool,
    /// The caller was told (it logs one line).
    told_full: bool,
}

impl Recorder {
    /// Creates (or truncates) `path` and writes the host line; `config` is the configuration
    /// file the daemon runs (and reloads).
    pub fn create(
        path: &Path,
        t0: Instant,
        host: &HostInfo,
        config: &Path,
    ) -> io::Result<Recorder> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(path)?;
        let mut r = Recorder {
            out: BufWriter::new(file),
            config: config.display().to_string(),
            t0,
            written: 0,
            limit: MAX_BYTES,
            full: false,
            told_full: false,
        };
        r.write(
            t0,
            Line {
                t: 0.0,
                host: Some(host),
                input: None,
                node: None,
                reload: None,
            },
        );
        r.flush();
        Ok(r)
    }

    /// The node starts now: times are counted from here (the host line came first).
    pub fn begin(&mut self, t0: Instant) {
        self.t0 = t0;
    }

    /// Records one input given to the node at `now`.
    pub fn input(&mut self, now: Instant, input: &NodeInput) {
        let line = match input {
            NodeInput::Core(i) => Line {
                t: 0.0,
                host: None,
                input: Some(i),
                node: None,
                reload: None,
            },
            other => Line {
                t: 0.0,
                host: None,
                input: None,
                node: Some(other),
                reload: None,
            },
        };
        self.write(now, line);
    }

    /// Records a reload of the configuration file that was applied at `now`.
    pub fn reload(&mut self, now: Instant) {
        let p = self.config.clone();
        self.write(
            now,
            Line {
                t: 0.0,
                host: None,
                input: None,
                node: None,
                reload: Some(&p),
            },
        );
        self.flush();
    }

    /// Writes what is buffered (after each burst of inputs, and at stop).
    pub fn flush(&mut self) {
        let _ = self.out.flush();
    }

    /// True the first time the size limit stops the recording (for one log line).
    pub fn just_filled(&mut self) -> bool {
        if self.full && !self.told_full {
            self.told_full = true;
            return true;
        }
        false
    }

    fn write(&mut self, now: Instant, mut line: Line<'_>) {
        if self.full {
            return;
        }
        let since = now.saturating_duration_since(self.t0);
        // Whole microseconds: enough for timers, and the text stays short.
        line.t = since.as_micros() as f64 / 1000.0;
        let Ok(mut text) = serde_json::to_vec(&line) else {
            return;
        };
        text.push(b'\n');
        if self.written.saturating_add(text.len() as u64) > self.limit {
            self.full = true;
            self.flush();
            return;
        }
        if self.out.write_all(&text).is_ok() {
            self.written += text.len() as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The recording stops growing at its limit and says so once.
    #[test]
    fn a_recording_stops_at_its_limit() {
        let path = std::env::temp_dir().join(format!("vrrpd-record-{}.jsonl", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let t0 = Instant::now();
        let mut r = Recorder::create(&path, t0, &HostInfo::default(), Path::new("/k.conf"))
            .expect("create");
        r.limit = 2000;
        let link = NodeInput::Core(Input::Link {
            ifname: "eth0".into(),
            up: true,
        });
        let mut told = 0;
        for _ in 0..1000 {
            r.input(t0, &link);
            told += usize::from(r.just_filled());
        }
        r.flush();
        let size = std::fs::metadata(&path).expect("the file").len();
        let _ = std::fs::remove_file(&path);
        assert!(size <= 2000, "{size} bytes");
        assert!(size > 1000, "{size} bytes: it recorded up to the limit");
        assert_eq!(told, 1);
    }
}
