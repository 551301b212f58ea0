//! One `vrrp_script`: its result state machine and its run schedule
//! (docs/keepalived-compat.md#vrrp_script-keywords, docs/keepalived-compat.md#script-results). Pure: time is an argument, the run itself is the
//! shell's job (`sys::script`), which reports back a [`ScriptOutcome`].

use std::time::{Duration, Instant};

use crate::proto::LogLevel;

/// How one run of a script ended.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScriptOutcome {
    /// Exit status (0 = success).
    Exited(i32),
    /// Killed by this signal (not by our timeout).
    Signaled(i32),
    /// Still running at its timeout: the process group got SIGTERM, then SIGKILL.
    TimedOut,
    /// Could not be started (fork/exec/user switch failed); the text says why.
    SpawnFailed(String),
}

impl ScriptOutcome {
    /// Exit status 0 = success; any other status, a signal or a timeout is a failure (docs/keepalived-compat.md#script-results).
    pub fn is_success(&self) -> bool {
        matches!(self, ScriptOutcome::Exited(0))
    }
}

/// The settings of one script that the state machine needs (docs/keepalived-compat.md#vrrp_script-keywords).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptParams {
    pub name: String,
    /// A run starts every `interval` (default 1 s).
    pub interval: Duration,
    /// Default: the interval.
    pub timeout: Duration,
    /// Consecutive successes to become OK (≥ 1).
    pub rise: u32,
    /// Consecutive failures to become KO (≥ 1).
    pub fall: u32,
    pub init_fail: bool,
}

impl ScriptParams {
    /// For tests: `interval` seconds, timeout = interval, rise = fall = 1.
    pub fn new(name: &str, interval: Duration) -> ScriptParams {
        ScriptParams {
            name: name.into(),
            interval,
            timeout: interval,
            rise: 1,
            fall: 1,
            init_fail: false,
        }
    }
}

/// A log line in keepalived's wording.
pub type LogLine = (LogLevel, String);

/// The result state machine and schedule of one script.
#[derive(Clone, Debug)]
pub struct ScriptTracker {
    params: ScriptParams,
    /// keepalived's `result`: 0..=rise+fall−1, OK iff ≥ rise.
    result: u32,
    /// No result yet and no `init_fail`: the first completion decides.
    init: bool,
    /// Current health: None until the first result (unless `init_fail`).
    ok: Option<bool>,
    /// Last exit status, for ``Script `NAME` now returning N``.
    last_exit: Option<i32>,
    next_run: Instant,
    running: bool,
    /// Number of ticks skipped because the previous run was still active.
    pub skipped: u64,
}

impl ScriptTracker {
    /// The first run is due at `now`.
    pub fn new(params: ScriptParams, now: Instant) -> ScriptTracker {
        let (result, init, ok) = if params.init_fail {
            (0, false, Some(false))
        } else {
            (params.rise - 1, true, None)
        };
        ScriptTracker {
            params,
            result,
            init,
            ok,
            last_exit: None,
            next_run: now,
            running: false,
            skipped: 0,
        }
    }

    pub fn params(&self) -> &ScriptParams {
        &self.params
    }

    pub fn name(&self) -> &str {
        &self.params.name
    }

    /// `Some(true)` = OK, `Some(false)` = KO, `None` = no result yet.
    pub fn health(&self) -> Option<bool> {
        self.ok
    }

    /// keepalived's `result` counter (0..=rise+fall−1; OK iff ≥ rise), for the data dump.
    pub fn result(&self) -> u32 {
        self.result
    }

    pub fn is_running(&self) -> bool {
        self.running
    }

    /// Takes over the health of the same script before a reload: OK ⇒ result at the top,
    /// KO ⇒ result 0; the next results continue from there.
    pub fn inherit(&mut self, ok: bool) {
        self.ok = Some(ok);
        self.init = false;
        self.result = if ok {
            self.params.rise + self.params.fall - 1
        } else {
            0
        };
    }

    /// When [`Self::on_tick`] wants to be called next.
    pub fn poll_timeout(&self) -> Instant {
        self.next_run
    }

    /// Called at or after [`Self::poll_timeout`]: `true` = start a run now (the shell must
    /// then report it with [`Self::on_result`]). A run never overlaps the previous one: if it
    /// is still active the tick is skipped with keepalived's line (docs/keepalived-compat.md#vrrp_script-keywords; HEAD behaviour,
    /// 2.2.7 logs the line but overlaps). Missed ticks are not caught up.
    pub fn on_tick(&mut self, now: Instant, log: &mut Vec<LogLine>) -> bool {
        if now < self.next_run {
            return false;
        }
        while self.next_run <= now {
            match self
                .next_run
                .checked_add(self.params.interval.max(Duration::from_millis(1)))
            {
                Some(t) => self.next_run = t,
                None => break,
            }
        }
        if self.running {
            self.skipped += 1;
            log.push((
                LogLevel::Warning,
                format!(
                    "Track script {} is already running, expect idle - skipping run",
                    self.params.name
                ),
            ));
            return false;
        }
        self.running = true;
        true
    }

    /// A run ended. Returns the new health when it changed (docs/keepalived-compat.md#script-results):
    ///
    /// * success: `result` climbs to rise−1; the next success logs `VRRP_Script(NAME)
    ///   succeeded` (if not already OK) and sets result = rise+fall−1;
    /// * failure: `result` falls while > rise; at rise (or on the very first result) it logs
    ///   `VRRP_Script(NAME) failed (...)` and sets KO; below rise it resets to 0 silently.
    pub fn on_result(&mut self, outcome: &ScriptOutcome, log: &mut Vec<LogLine>) -> Option<bool> {
        self.running = false;
        let name = &self.params.name;
        if let ScriptOutcome::Exited(code) = outcome {
            if self.last_exit.is_some_and(|last| last != *code) {
                log.push((
                    LogLevel::Info,
                    format!("Script `{name}` now returning {code}"),
                ));
            }
            self.last_exit = Some(*code);
        }
        if let ScriptOutcome::TimedOut = outcome {
            log.push((LogLevel::Warning, format!("VRRP_Script({name}) timed_out")));
        }
        let (rise, fall) = (self.params.rise, self.params.fall);
        let top = rise + fall - 1;
        let before = self.ok;
        if outcome.is_success() {
            if self.result < rise - 1 {
                self.result += 1;
            } else if self.result != top || self.init {
                if self.result < rise {
                    log.push((LogLevel::Info, format!("VRRP_Script({name}) succeeded")));
                    self.ok = Some(true);
                }
                self.result = top;
            }
        } else if self.result > rise {
            self.result -= 1;
        } else {
            if self.result == rise || self.init {
                match outcome {
                    ScriptOutcome::Exited(code) => log.push((
                        LogLevel::Info,
                        format!("VRRP_Script({name}) failed (exited with status {code})"),
                    )),
                    ScriptOutcome::Signaled(sig) => log.push((
                        LogLevel::Info,
                        format!("VRRP_Script({name}) failed (due to signal {sig})"),
                    )),
                    // The `timed_out` line above is keepalived's only line for this case.
                    ScriptOutcome::TimedOut => {}
                    ScriptOutcome::SpawnFailed(why) => log.push((
                        LogLevel::Error,
                        format!("VRRP_Script({name}) failed (cannot run: {why})"),
                    )),
                }
                self.ok = Some(false);
            }
            self.result = 0;
        }
        self.init = false;
        (self.ok != before).then_some(self.ok).flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ScriptOutcome::*;

    fn params(rise: u32, fall: u32) -> ScriptParams {
        ScriptParams {
            rise,
            fall,
            ..ScriptParams::new("chk", Duration::from_secs(1))
        }
    }

    /// Feeds outcomes and returns (health after each, all log lines).
    fn run(p: ScriptParams, outcomes: &[ScriptOutcome]) -> (Vec<Option<bool>>, Vec<String>) {
        let mut t = ScriptTracker::new(p, crate::test_epoch());
        let mut log = Vec::new();
        let mut h = Vec::new();
        for o in outcomes {
            t.on_result(o, &mut log);
            h.push(t.health());
        }
        (h, log.into_iter().map(|(_, m)| m).collect())
    }

    #[test]
    fn first_success_decides_regardless_of_rise() {
        let (h, log) = run(params(3, 3), &[Exited(0)]);
        assert_eq!(h, [Some(true)]);
        assert_eq!(log, ["VRRP_Script(chk) succeeded"]);
    }

    #[test]
    fn first_failure_decides_regardless_of_fall() {
        let (h, log) = run(params(3, 3), &[Exited(1)]);
        assert_eq!(h, [Some(false)]);
        assert_eq!(log, ["VRRP_Script(chk) failed (exited with status 1)"]);
        let (_, log) = run(params(1, 1), &[Signaled(9)]);
        assert_eq!(log, ["VRRP_Script(chk) failed (due to signal 9)"]);
        let (h, log) = run(params(1, 1), &[TimedOut]);
        assert_eq!(h, [Some(false)]);
        assert_eq!(log, ["VRRP_Script(chk) timed_out"]);
    }

    #[test]
    fn fall_consecutive_failures_flip_ok_to_ko() {
        let (h, log) = run(
            params(2, 2),
            &[Exited(0), Exited(1), Exited(0), Exited(1), Exited(1)],
        );
        // A success in between resets the count (keepalived sets result = rise+fall−1).
        assert_eq!(
            h,
            [Some(true), Some(true), Some(true), Some(true), Some(false)]
        );
        assert_eq!(
            log,
            [
                "VRRP_Script(chk) succeeded",
                "Script `chk` now returning 1",
                "Script `chk` now returning 0",
                "Script `chk` now returning 1",
                "VRRP_Script(chk) failed (exited with status 1)",
            ]
        );
    }

    #[test]
    fn rise_consecutive_successes_flip_ko_to_ok() {
        let (h, _) = run(
            params(3, 1),
            &[
                Exited(1),
                Exited(0),
                Exited(0),
                Exited(1),
                Exited(0),
                Exited(0),
                Exited(0),
            ],
        );
        assert_eq!(
            h,
            [
                Some(false),
                Some(false),
                Some(false),
                Some(false), // partly recovered: reset to 0 silently
                Some(false),
                Some(false),
                Some(true)
            ]
        );
    }

    #[test]
    fn init_fail_starts_failed_and_needs_rise_successes() {
        let p = ScriptParams {
            init_fail: true,
            ..params(2, 1)
        };
        let t = ScriptTracker::new(p.clone(), crate::test_epoch());
        assert_eq!(t.health(), Some(false));
        let (h, log) = run(p, &[Exited(1), Exited(0), Exited(0)]);
        // Already KO: the failure is silent.
        assert_eq!(h, [Some(false), Some(false), Some(true)]);
        assert_eq!(
            log,
            ["Script `chk` now returning 0", "VRRP_Script(chk) succeeded"]
        );
    }

    #[test]
    fn repeated_results_change_nothing() {
        let (h, log) = run(params(1, 1), &[Exited(0), Exited(0), Exited(0)]);
        assert_eq!(h, [Some(true); 3]);
        assert_eq!(log.len(), 1);
        let (_, log) = run(params(1, 1), &[Exited(2), Exited(2), Exited(3)]);
        assert_eq!(
            log,
            [
                "VRRP_Script(chk) failed (exited with status 2)",
                "Script `chk` now returning 3"
            ]
        );
    }

    #[test]
    fn on_result_reports_only_changes() {
        let mut t = ScriptTracker::new(params(1, 2), crate::test_epoch());
        let mut log = Vec::new();
        assert_eq!(t.on_result(&Exited(0), &mut log), Some(true));
        assert_eq!(t.on_result(&Exited(1), &mut log), None);
        assert_eq!(t.on_result(&Exited(1), &mut log), Some(false));
        assert_eq!(t.on_result(&Exited(1), &mut log), None);
        assert_eq!(t.on_result(&SpawnFailed("x".into()), &mut log), None);
        assert_eq!(t.on_result(&Exited(0), &mut log), Some(true));
    }

    #[test]
    fn runs_every_interval_and_never_overlap() {
        let t0 = crate::test_epoch();
        let s = Duration::from_secs;
        let mut t = ScriptTracker::new(ScriptParams::new("chk", s(2)), t0);
        let mut log = Vec::new();
        assert_eq!(t.poll_timeout(), t0);
        assert!(t.on_tick(t0, &mut log));
        assert_eq!(t.poll_timeout(), t0 + s(2));
        assert!(!t.on_tick(t0 + s(1), &mut log), "not due yet");
        // Still running at the next tick: skipped with keepalived's line.
        assert!(!t.on_tick(t0 + s(2), &mut log));
        assert_eq!(
            log,
            [(
                LogLevel::Warning,
                "Track script chk is already running, expect idle - skipping run".to_string()
            )]
        );
        assert_eq!(t.skipped, 1);
        t.on_result(&TimedOut, &mut log);
        assert!(!t.is_running());
        // Late wake-up: missed ticks are not caught up, the grid is kept.
        assert!(t.on_tick(t0 + s(7), &mut log));
        assert_eq!(t.poll_timeout(), t0 + s(8));
    }
}
