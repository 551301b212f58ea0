//! Tracking: `vrrp_script`, `track_interface`, `track_file`, `vrrp_track_process`
//! (docs/keepalived-compat.md#tracking-and-priority), as pure logic.
//!
//! Like [`crate::proto`], nothing here does I/O or reads the clock: time is an argument,
//! the shell runs the scripts (`sys::script`), reads the files and scans `/proc`
//! (`sys::track_sources`) and feeds the results in. What comes out is what the protocol
//! core expects: [`crate::proto::Input::Tracker`] values whose
//! [`crate::proto::TrackerState`] already carries the weight and `reverse` of each
//! reference (docs/keepalived-compat.md#weights-and-effective-priority), plus log lines in keepalived's wording and "run script X now" requests.
//!
//! * [`script`]: one script's result state machine and schedule (docs/keepalived-compat.md#script-results).
//! * [`process`]: process matching and quorum with delays (docs/keepalived-compat.md#weights-and-effective-priority).
//! * [`effect`]: health / file value + weight + reverse → `TrackerState` (docs/keepalived-compat.md#weights-and-effective-priority table).
//! * [`set`]: [`Trackers`], every tracker of a config and whom it applies to.
//!
//! The sync-group weight rules of docs/keepalived-compat.md#trackers-in-sync-groups are not repeated here: `config::check` already
//! resolved them, and `plan::trackers` hands them over as [`TrackerSettings`], which
//! [`Trackers::new`] takes. Nothing here reads the configuration model.

pub mod effect;
pub mod process;
pub mod script;
pub mod set;

pub use process::{ParamMatch, ProcInfo, ProcessMatcher, ProcessParams, ProcessQuorum};
pub use script::{ScriptOutcome, ScriptParams, ScriptTracker};
pub use set::{
    tracker_id, Output, TrackedFile, TrackerKind, TrackerReport, TrackerSettings, TrackerUse,
    Trackers,
};

#[cfg(test)]
mod tests;
