//! `vrrp_track_process` (docs/keepalived-compat.md#weights-and-effective-priority): which processes match, and the
//! quorum with its delays. Pure; the shell scans `/proc` (`sys::track_sources`) and reports
//! the matching processes ([`ProcessQuorum::observe_pids`], or a bare count with
//! [`ProcessQuorum::observe`]) and, as soon as it sees one exit (a pidfd,
//! docs/keepalived-compat.md#how-tracked-sources-are-watched), that exit
//! ([`ProcessQuorum::exited`]): the count drops at once, without waiting for the next scan.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::proto::LogLevel;

use super::script::LogLine;

/// Longest `comm` the kernel keeps (TASK_COMM_LEN − 1).
pub const COMM_LEN: usize = 15;

/// How configured parameters are compared with a process's arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamMatch {
    /// Default: the arguments equal the configured parameters (no parameters: any match).
    Exact,
    /// `param_match initial`: the arguments start with the configured parameters.
    Initial,
    /// `param_match partial`: the configured parameters occur anywhere in the arguments.
    Partial,
}

/// What one process looks like to the matcher (from `/proc/PID/comm` and `cmdline`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcInfo {
    pub pid: u32,
    /// `/proc/PID/comm` without the newline (at most 15 bytes).
    pub comm: String,
    /// The start of `/proc/PID/cmdline` split at NUL: `argv[0]`, `argv[1]`, ... Empty when
    /// the scan did not need it (no matcher uses `full_command` or parameters).
    pub argv: Vec<String>,
    /// A kernel thread, a zombie or an exiting process (no command line): never matches.
    pub no_command: bool,
}

/// The matching rule of one tracked process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessMatcher {
    /// `process NAME`: compared with `comm` (truncated to 15 bytes) or, with `full_command`,
    /// with `argv[0]`.
    pub name: String,
    /// Configured parameters (the words after the name).
    pub params: Vec<String>,
    pub param_match: ParamMatch,
    pub full_command: bool,
}

impl ProcessMatcher {
    /// Whether matching needs the command line (`full_command` or parameters); otherwise
    /// the name in `/proc/PID/stat` is enough, and nobody's command line is read.
    pub fn needs_cmdline(&self) -> bool {
        self.full_command || !self.params.is_empty()
    }

    /// Kernel threads and zombies have an empty cmdline: they never match.
    pub fn matches(&self, p: &ProcInfo) -> bool {
        if p.no_command {
            return false;
        }
        let name_ok = if self.full_command {
            p.argv.first() == Some(&self.name)
        } else {
            let mut end = self.name.len().min(COMM_LEN);
            while !self.name.is_char_boundary(end) {
                end -= 1;
            }
            p.comm == self.name.get(..end).unwrap_or("")
        };
        if !name_ok {
            return false;
        }
        if self.params.is_empty() {
            return true;
        }
        // Compared as the NUL-joined byte string, as /proc/PID/cmdline holds it.
        let want = self.params.join("\0");
        let have = p.argv.get(1..).unwrap_or(&[]).join("\0");
        match self.param_match {
            ParamMatch::Exact => have == want,
            ParamMatch::Initial => have.starts_with(&want),
            ParamMatch::Partial => have.contains(&want),
        }
    }
}

/// The settings of one `vrrp_track_process`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessParams {
    pub name: String,
    pub matcher: ProcessMatcher,
    /// Minimum number of matching processes (default 1).
    pub quorum: u32,
    /// Maximum (default: no maximum).
    pub quorum_max: u32,
    /// How long a loss must last before it is reported (`terminate_delay`, else `delay`).
    pub terminate_delay: Duration,
    /// How long a gain must last before it is reported (`fork_delay`, else `delay`).
    pub fork_delay: Duration,
}

/// The quorum state of one tracked process.
#[derive(Clone, Debug)]
pub struct ProcessQuorum {
    params: ProcessParams,
    /// Reported state: None before the first count.
    have: Option<bool>,
    /// A change seen but not reported yet: (new state, when it may be reported).
    pending: Option<(bool, Instant)>,
    /// The matching processes the shell last listed, less those it saw exit since. Empty when
    /// the shell reports bare counts.
    pids: BTreeSet<u32>,
}

impl ProcessQuorum {
    pub fn new(params: ProcessParams) -> ProcessQuorum {
        ProcessQuorum {
            params,
            have: None,
            pending: None,
            pids: BTreeSet::new(),
        }
    }

    pub fn params(&self) -> &ProcessParams {
        &self.params
    }

    /// `Some(true)` = quorum present.
    pub fn health(&self) -> Option<bool> {
        self.have
    }

    /// Takes over the reported state of the same tracker before a reload.
    pub fn inherit(&mut self, have: Option<bool>) {
        self.have = have;
        self.pending = None;
    }

    /// The end of a running delay.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.pending.map(|(_, at)| at)
    }

    /// The current number of matching processes. The first count decides at once; later a
    /// change must persist for `fork_delay` (gain) / `terminate_delay` (loss). Returns the
    /// new health when it changed (logging `Quorum gained|lost for tracked process NAME`).
    pub fn observe(&mut self, now: Instant, count: u32, log: &mut Vec<LogLine>) -> Option<bool> {
        let ok = count >= self.params.quorum && count <= self.params.quorum_max;
        match self.have {
            None => return self.report(ok, log),
            Some(h) if h == ok => self.pending = None,
            Some(_) => {
                let delay = if ok {
                    self.params.fork_delay
                } else {
                    self.params.terminate_delay
                };
                match self.pending {
                    Some((p, _)) if p == ok => {}
                    _ => self.pending = Some((ok, now.checked_add(delay).unwrap_or(now))),
                }
            }
        }
        self.handle_timeout(now, log)
    }

    /// The processes matching now (a scan, filtered by the shell to those still alive): the
    /// count is their number, as for [`Self::observe`].
    pub fn observe_pids(
        &mut self,
        now: Instant,
        pids: impl IntoIterator<Item = u32>,
        log: &mut Vec<LogLine>,
    ) -> Option<bool> {
        self.pids = pids.into_iter().collect();
        let n = u32::try_from(self.pids.len()).unwrap_or(u32::MAX);
        self.observe(now, n, log)
    }

    /// Process `pid` exited. Ignored unless it was one of the matching processes; otherwise the
    /// count drops by one now (the delays apply as to any count).
    pub fn exited(&mut self, now: Instant, pid: u32, log: &mut Vec<LogLine>) -> Option<bool> {
        if !self.pids.remove(&pid) {
            return None;
        }
        let n = u32::try_from(self.pids.len()).unwrap_or(u32::MAX);
        self.observe(now, n, log)
    }

    /// Reports a pending change whose delay has run out.
    pub fn handle_timeout(&mut self, now: Instant, log: &mut Vec<LogLine>) -> Option<bool> {
        match self.pending {
            Some((ok, at)) if at <= now => {
                self.pending = None;
                self.report(ok, log)
            }
            _ => None,
        }
    }

    fn report(&mut self, ok: bool, log: &mut Vec<LogLine>) -> Option<bool> {
        if self.have == Some(ok) {
            return None;
        }
        self.have = Some(ok);
        let word = if ok { "gained" } else { "lost" };
        log.push((
            LogLevel::Info,
            format!("Quorum {word} for tracked process {}", self.params.name),
        ));
        Some(ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proc(comm: &str, argv: &[&str]) -> ProcInfo {
        ProcInfo {
            pid: 1,
            comm: comm.into(),
            argv: argv.iter().map(|s| s.to_string()).collect(),
            no_command: argv.is_empty(),
        }
    }

    fn matcher(name: &str, params: &[&str], m: ParamMatch, full: bool) -> ProcessMatcher {
        ProcessMatcher {
            name: name.into(),
            params: params.iter().map(|s| s.to_string()).collect(),
            param_match: m,
            full_command: full,
        }
    }

    #[test]
    fn name_matches_comm_truncated_to_15() {
        let p = proc("nginx", &["nginx: master process", ""]);
        assert!(matcher("nginx", &[], ParamMatch::Exact, false).matches(&p));
        assert!(!matcher("nginx2", &[], ParamMatch::Exact, false).matches(&p));
        let long = proc("a_very_long_pro", &["/usr/sbin/a_very_long_process_name"]);
        assert!(matcher("a_very_long_process_name", &[], ParamMatch::Exact, false).matches(&long));
        // Kernel threads (empty cmdline) never match.
        assert!(!matcher("kthreadd", &[], ParamMatch::Exact, false).matches(&proc("kthreadd", &[])));
    }

    #[test]
    fn full_command_matches_argv0() {
        let p = proc("haproxy", &["/usr/sbin/haproxy", "-f", "/etc/haproxy.cfg"]);
        assert!(matcher("/usr/sbin/haproxy", &[], ParamMatch::Exact, true).matches(&p));
        assert!(!matcher("haproxy", &[], ParamMatch::Exact, true).matches(&p));
    }

    #[test]
    fn parameters() {
        let p = proc("sleep", &["sleep", "100", "extra"]);
        assert!(matcher("sleep", &["100", "extra"], ParamMatch::Exact, false).matches(&p));
        assert!(!matcher("sleep", &["100"], ParamMatch::Exact, false).matches(&p));
        assert!(matcher("sleep", &["100"], ParamMatch::Initial, false).matches(&p));
        assert!(matcher("sleep", &["10"], ParamMatch::Initial, false).matches(&p));
        assert!(!matcher("sleep", &["extra"], ParamMatch::Initial, false).matches(&p));
        assert!(matcher("sleep", &["extra"], ParamMatch::Partial, false).matches(&p));
        assert!(matcher("sleep", &["0", "ex"], ParamMatch::Partial, false).matches(&p));
        assert!(!matcher("sleep", &["200"], ParamMatch::Partial, false).matches(&p));
    }

    fn params(quorum: u32, max: u32, gain: u64, loss: u64) -> ProcessParams {
        ProcessParams {
            name: "p".into(),
            matcher: matcher("x", &[], ParamMatch::Exact, false),
            quorum,
            quorum_max: max,
            fork_delay: Duration::from_secs(gain),
            terminate_delay: Duration::from_secs(loss),
        }
    }

    #[test]
    fn quorum_window_and_first_count_decides() {
        let t0 = crate::test_epoch();
        let mut q = ProcessQuorum::new(params(2, 3, 5, 5));
        let mut log = Vec::new();
        assert_eq!(q.health(), None);
        assert_eq!(q.observe(t0, 1, &mut log), Some(false));
        assert_eq!(log.pop().unwrap().1, "Quorum lost for tracked process p");
        let mut q = ProcessQuorum::new(params(2, 3, 0, 0));
        assert_eq!(q.observe(t0, 2, &mut log), Some(true));
        assert_eq!(log.pop().unwrap().1, "Quorum gained for tracked process p");
        assert_eq!(q.observe(t0, 3, &mut log), None);
        assert_eq!(q.observe(t0, 4, &mut log), Some(false), "above quorum_max");
        assert_eq!(q.observe(t0, 0, &mut log), None);
        assert_eq!(q.observe(t0, 3, &mut log), Some(true));
    }

    #[test]
    fn an_exit_drops_the_count_at_once() {
        let t0 = crate::test_epoch();
        let ms = Duration::from_millis;
        let mut q = ProcessQuorum::new(params(2, u32::MAX, 0, 0));
        let mut log = Vec::new();
        assert_eq!(q.observe_pids(t0, [10, 11, 12], &mut log), Some(true));
        assert_eq!(q.exited(t0 + ms(1), 99, &mut log), None, "not one of ours");
        assert_eq!(q.exited(t0 + ms(2), 11, &mut log), None, "2 left: quorum 2");
        assert_eq!(
            q.exited(t0 + ms(3), 11, &mut log),
            None,
            "the same exit twice"
        );
        assert_eq!(q.exited(t0 + ms(4), 12, &mut log), Some(false));
        assert_eq!(q.observe_pids(t0 + ms(5), [10, 13], &mut log), Some(true));

        // terminate_delay still debounces an exit.
        let mut q = ProcessQuorum::new(params(1, u32::MAX, 0, 2));
        assert_eq!(q.observe_pids(t0, [7], &mut log), Some(true));
        assert_eq!(q.exited(t0 + ms(10), 7, &mut log), None);
        assert_eq!(q.poll_timeout(), Some(t0 + ms(2010)));
        assert_eq!(q.handle_timeout(t0 + ms(2010), &mut log), Some(false));
    }

    #[test]
    fn delays_debounce_changes() {
        let t0 = crate::test_epoch();
        let s = Duration::from_secs;
        let mut q = ProcessQuorum::new(params(1, u32::MAX, 2, 5));
        let mut log = Vec::new();
        assert_eq!(q.observe(t0, 1, &mut log), Some(true));
        // Lost at t0+1; terminate_delay 5 s.
        assert_eq!(q.observe(t0 + s(1), 0, &mut log), None);
        assert_eq!(q.poll_timeout(), Some(t0 + s(6)));
        assert_eq!(
            q.observe(t0 + s(3), 0, &mut log),
            None,
            "still within the delay"
        );
        // Back before the delay ran out: nothing reported, timer cancelled.
        assert_eq!(q.observe(t0 + s(4), 1, &mut log), None);
        assert_eq!(q.poll_timeout(), None);
        assert_eq!(q.observe(t0 + s(10), 0, &mut log), None);
        assert_eq!(q.handle_timeout(t0 + s(14), &mut log), None);
        assert_eq!(q.handle_timeout(t0 + s(15), &mut log), Some(false));
        // Gain: fork_delay 2 s.
        assert_eq!(q.observe(t0 + s(20), 1, &mut log), None);
        assert_eq!(q.observe(t0 + s(22), 1, &mut log), Some(true));
        assert_eq!(
            log.iter().map(|l| l.1.as_str()).collect::<Vec<_>>(),
            [
                "Quorum gained for tracked process p",
                "Quorum lost for tracked process p",
                "Quorum gained for tracked process p"
            ]
        );
    }
}
