//! The file-creation mask (docs/keepalived-compat.md#global_defs-keywords `umask`): keepalived's default is
//! **0177** (its man page says otherwise; the code wins), `global_defs { umask N }` replaces
//! it at start and at every reload, and `-u MASK` on the command line wins over both. Files
//! that need another mode set it on their descriptor: pid files 0644, dump files 0600.

use std::sync::atomic::{AtomicBool, Ordering};

/// keepalived's default mask when neither `-u` nor `global_defs umask` is given.
pub const DEFAULT: u32 = 0o177;

/// `-u` was given: the configuration's `umask` is ignored.
static FROM_COMMAND_LINE: AtomicBool = AtomicBool::new(false);

fn set(mask: u32) {
    // SAFETY: umask only changes this process's file-creation mask.
    unsafe {
        libc::umask((mask & 0o777) as libc::mode_t);
    }
}

/// `-u MASK`: set now, and kept whatever the configuration says.
pub fn set_from_command_line(mask: u32) {
    FROM_COMMAND_LINE.store(true, Ordering::Relaxed);
    set(mask);
}

/// The configuration's `umask` (or [`DEFAULT`]), unless `-u` was given. Call at start and
/// after each successful reload.
pub fn apply_config(mask: Option<u32>) {
    if !FROM_COMMAND_LINE.load(Ordering::Relaxed) {
        set(mask.unwrap_or(DEFAULT));
    }
}
