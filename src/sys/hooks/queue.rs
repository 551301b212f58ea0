//! The queue of one target's hook runs (one instance or one sync group).
//!
//! State notifies (MASTER, BACKUP, FAULT, STOP, DELETED) are kept in arrival order and none is
//! ever dropped. `MASTER_RX_LOWER_PRI` is different: a MASTER can hear a lower-priority advert
//! every advert interval for as long as a broken or hostile peer sends them, so its runs are
//! coalesced (at most one waits; a newer event joins the waiting one, taking its priority)
//! and run only when no state notify is waiting: a flood of them can neither grow the queue
//! nor delay the hooks of the transition that follows.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use crate::proto::NotifyEvent;

/// One queued event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Job {
    pub event: NotifyEvent,
    pub priority: u8,
}

#[derive(Default)]
struct Queued {
    /// State notifies, oldest first.
    transitions: VecDeque<Job>,
    /// The one waiting `MASTER_RX_LOWER_PRI` run.
    lower_pri: Option<Job>,
    /// A job has been handed out and not yet reported [`JobQueue::done`].
    running: bool,
    /// No more jobs will come: the worker ends once the queue is empty.
    closed: bool,
}

/// A target's queue, shared by [`super::Hooks`] (which pushes) and its worker task (which
/// takes jobs one at a time).
#[derive(Default)]
pub(super) struct JobQueue {
    queued: Mutex<Queued>,
    wake: Notify,
}

impl JobQueue {
    fn lock(&self) -> MutexGuard<'_, Queued> {
        // A panic while holding the lock leaves the queue consistent (every change is one
        // assignment or one push/pop), so a poisoned lock is still usable.
        self.queued.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `job`. Returns false when it joined the waiting `MASTER_RX_LOWER_PRI` run
    /// instead of adding one.
    pub fn push(&self, job: Job) -> bool {
        let added = {
            let mut q = self.lock();
            if job.event == NotifyEvent::MasterRxLowerPri {
                q.lower_pri.replace(job).is_none()
            } else {
                q.transitions.push_back(job);
                true
            }
        };
        self.wake.notify_one();
        added
    }

    /// Runs queued and not finished: waiting ones plus the one running.
    pub fn len(&self) -> usize {
        let q = self.lock();
        q.transitions.len() + usize::from(q.lower_pri.is_some()) + usize::from(q.running)
    }

    /// No more pushes: [`JobQueue::next`] returns `None` once the queue is empty.
    pub fn close(&self) {
        self.lock().closed = true;
        self.wake.notify_one();
    }

    /// The next job to run (state notifies first), waiting for one; `None` once closed and
    /// empty. The caller reports the end of the run with [`JobQueue::done`].
    pub async fn next(&self) -> Option<Job> {
        loop {
            {
                let mut q = self.lock();
                let job = match q.transitions.pop_front() {
                    Some(j) => Some(j),
                    None => q.lower_pri.take(),
                };
                if let Some(job) = job {
                    q.running = true;
                    return Some(job);
                }
                if q.closed {
                    return None;
                }
            }
            // `notify_one` keeps a permit when nobody waits, so a push between the check
            // above and this wait is not missed.
            self.wake.notified().await;
        }
    }

    /// The job from [`JobQueue::next`] has finished.
    pub fn done(&self) {
        self.lock().running = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(event: NotifyEvent, priority: u8) -> Job {
        Job { event, priority }
    }

    #[tokio::test]
    async fn state_notifies_keep_their_order_and_go_before_the_one_lower_pri_run() {
        let q = JobQueue::default();
        assert!(q.push(job(NotifyEvent::Master, 100)));
        assert!(q.push(job(NotifyEvent::MasterRxLowerPri, 100)));
        for p in 0..50 {
            assert!(!q.push(job(NotifyEvent::MasterRxLowerPri, p)));
        }
        assert!(q.push(job(NotifyEvent::Backup, 90)));
        assert!(q.push(job(NotifyEvent::Fault, 90)));
        assert_eq!(q.len(), 4);
        q.close();
        let mut order = Vec::new();
        while let Some(j) = q.next().await {
            order.push(j);
            q.done();
        }
        assert_eq!(
            order,
            [
                job(NotifyEvent::Master, 100),
                job(NotifyEvent::Backup, 90),
                job(NotifyEvent::Fault, 90),
                // The newest of the coalesced events.
                job(NotifyEvent::MasterRxLowerPri, 49),
            ]
        );
        assert_eq!(q.len(), 0);
    }
}
