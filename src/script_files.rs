//! Reading the script files a configuration names, for `--check-config --check-interfaces`
//! (shell side; the analysis is [`crate::config::check::by_name`]).
//!
//! A configured path can be anything: a FIFO, a device, a huge binary. The check must not
//! block or read without bound, so a file is opened non-blocking, checked to be a regular
//! file on the open descriptor, and read up to [`MAX_SCRIPT_BYTES`].

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::config::check::{check_by_name, named_scripts};
use crate::config::diag::Diagnostic;
use crate::config::read::source::SourceMap;
use crate::config::Config;

/// The most of a script that is read; the scan covers the first 64 KiB of a larger file.
pub const MAX_SCRIPT_BYTES: u64 = 64 * 1024;

/// The text of the script at `path`, or `None` when it is missing, unreadable, not a regular
/// file, or binary (has a NUL byte).
pub fn read_script(path: &Path) -> Option<String> {
    // A cheap look first, so a device node is never even opened (opening some has effects).
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    // O_NONBLOCK: should the path have become a FIFO since, open returns at once instead of
    // waiting for a writer. O_NOCTTY: a terminal never becomes ours.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(path)
        .ok()?;
    // The check that counts is on the descriptor we read from.
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    read_bounded(file)
}

fn read_bounded(file: File) -> Option<String> {
    let mut bytes = Vec::new();
    file.take(MAX_SCRIPT_BYTES).read_to_end(&mut bytes).ok()?;
    if bytes.contains(&0) {
        return None;
    }
    // A file cut at the limit ends in a partial line (maybe a partial character): drop it.
    if bytes.len() as u64 == MAX_SCRIPT_BYTES {
        let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        bytes.truncate(keep);
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Reads each script `config` names (once, even when several keywords run it), adds it to
/// `sources` and returns the warnings about commands that control keepalived by name, in
/// the script files and in the configuration's command strings.
pub fn check_scripts(config: &Config, sources: &mut SourceMap) -> Vec<Diagnostic> {
    let named = named_scripts(config);
    let mut read = Vec::new();
    for script in &named {
        if let Some(text) = read_script(&script.path) {
            read.push((sources.add(script.path.clone(), text), script));
        }
    }
    check_by_name(config, sources, &read)
}
