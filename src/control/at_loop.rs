//! What the loop does with the control socket's questions. Everything here runs between two
//! steps of the node and is small: copies for `status` (the server task turns them into
//! JSON), a set update and one small file write for `drain`, bookkeeping for `reload`.

use std::sync::Arc;

use serde_json::json;
use tokio::sync::oneshot;
use tracing::{info, warn};

use super::drains::{DrainFile, DrainSet};
use crate::daemon::observe::{Observed, ReloadRecord};
use crate::proto::Input;
use crate::track::TrackerReport;

/// The answer to [`crate::daemon::observe::Query::Status`], made into JSON by the server.
#[derive(Clone, Debug)]
pub struct StatusParts {
    pub picture: Arc<Observed>,
    pub trackers: Vec<TrackerReport>,
    pub drains: DrainSet,
}

/// The drained set and where it is kept; lives in `Exec`.
#[derive(Debug, Default)]
pub struct ControlState {
    pub drains: DrainSet,
    /// `None` without a control socket (tests of the loop): nothing is stored.
    pub file: Option<DrainFile>,
}

impl ControlState {
    /// The set stored in `file` (a broken file is logged and means nothing is drained).
    pub fn load(file: DrainFile) -> ControlState {
        let drains = match file.load() {
            Ok(d) => d,
            Err(e) => {
                warn!(target: "vrrpd", "drained state {}: {e}; starting undrained", file.path.display());
                DrainSet::default()
            }
        };
        if !drains.is_empty() {
            info!(target: "vrrpd", "Drained instances kept from before: {}", describe(&drains));
        }
        ControlState {
            drains,
            file: Some(file),
        }
    }

    /// A drain/undrain request: the answer line and, when accepted, the core's input.
    pub fn request(
        &mut self,
        instances: Vec<String>,
        drain: bool,
        known: &[String],
    ) -> (serde_json::Value, Option<Input>) {
        let mut next = self.drains.clone();
        if let Err(e) = next.change(&instances, drain, known) {
            return (json!({ "answer": "error", "message": e }), None);
        }
        let mut warnings = Vec::new();
        if let Some(f) = &self.file {
            if let Err(e) = f.store(&next) {
                let line = format!(
                    "cannot store the drained state in {}: {e} (a restart forgets it)",
                    f.path.display()
                );
                warn!(target: "vrrpd", "{line}");
                warnings.push(line);
            }
        }
        self.drains = next;
        let verb = if drain { "drained" } else { "undrained" };
        let which = if instances.is_empty() {
            "every instance".to_string()
        } else {
            instances.join(", ")
        };
        info!(target: "vrrpd", "Control: {which} {verb}");
        let answer = json!({
            "answer": "drain",
            "drain": drain,
            "instances": instances,
            "drained": self.drains,
            "warnings": warnings,
        });
        (answer, core_drain(instances, drain))
    }

    /// The input that drains again what is drained (after start-up and each reload); the
    /// core ignores names it does not have.
    pub fn reapply(&self, known: &[String]) -> Option<Input> {
        self.drains
            .for_core(known)
            .and_then(|instances| core_drain(instances, true))
    }
}

/// The core's drain input (an empty list means every instance).
fn core_drain(instances: Vec<String>, drain: bool) -> Option<Input> {
    Some(Input::Drain { instances, drain })
}

fn describe(d: &DrainSet) -> String {
    if d.all {
        "all".into()
    } else {
        d.instances.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// `vrrpd reload` requests waiting for an outcome: those waiting for the reading in
/// progress, and those that came during it (they wait for the next reading, which starts
/// when this one ends, so they see the file as it was when they asked).
#[derive(Debug, Default)]
pub struct ReloadWaiters {
    current: Vec<oneshot::Sender<serde_json::Value>>,
    next: Vec<oneshot::Sender<serde_json::Value>>,
}

impl ReloadWaiters {
    /// Adds a waiter; `busy` when a reading is already in progress.
    pub fn add(&mut self, reply: oneshot::Sender<serde_json::Value>, busy: bool) {
        if busy {
            self.next.push(reply);
        } else {
            self.current.push(reply);
        }
    }

    /// A reading ended with `record` (the last reload's outcome): answers its waiters; the
    /// next ones become current.
    pub fn done(&mut self, record: &ReloadRecord) {
        if self.current.is_empty() {
            // Nobody asked (a SIGHUP): no answer to build from maybe 40,000 lines.
            self.current = std::mem::take(&mut self.next);
            return;
        }
        let answer = json!({
            "answer": "reload",
            "ok": record.last_ok == Some(true),
            "lines": record.last_lines,
        });
        for w in self.current.drain(..) {
            let _ = w.send(answer.clone());
        }
        self.current = std::mem::take(&mut self.next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reload_waiters_get_their_own_reading() {
        let mut w = ReloadWaiters::default();
        let (a, mut ra) = oneshot::channel();
        let (b, mut rb) = oneshot::channel();
        w.add(a, false);
        w.add(b, true);
        let rec = ReloadRecord {
            failed: 1,
            last_ok: Some(false),
            last_lines: std::sync::Arc::new(vec!["bad".into()]),
            ..ReloadRecord::default()
        };
        w.done(&rec);
        let got = ra.try_recv().expect("first answered");
        assert_eq!(got["ok"], false);
        assert_eq!(got["lines"][0], "bad");
        assert!(
            rb.try_recv().is_err(),
            "the second waits for the next reading"
        );
        let ok = ReloadRecord {
            last_ok: Some(true),
            ..ReloadRecord::default()
        };
        w.done(&ok);
        assert_eq!(rb.try_recv().expect("second answered")["ok"], true);
    }

    #[test]
    fn an_unknown_name_changes_nothing() {
        let mut c = ControlState::default();
        let known = vec!["VI_1".to_string()];
        let (answer, input) = c.request(vec!["VI_9".into()], true, &known);
        assert_eq!(answer["answer"], "error");
        assert!(input.is_none());
        assert!(c.drains.is_empty());
        let (answer, input) = c.request(vec!["VI_1".into()], true, &known);
        assert_eq!(answer["answer"], "drain");
        assert!(input.is_some());
        assert!(c.reapply(&known).is_some());
    }
}
