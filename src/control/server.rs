//! The daemon's side of the control socket: an accept task and one small task per client.
//! None of them touches the node: questions go to the loop as `Event::Query` and wait for
//! its answer, so the socket can never hold up adverts; the limits of [`super::protocol`]
//! bound what a client can cost.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tokio::io::BufReader;
use tokio::net::unix::OwnedWriteHalf;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{broadcast, mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tracing::warn;

use super::at_loop::StatusParts;
use super::place::{self, PlaceError, Placed};
use super::protocol::{self, ReadError, Request, MAX_CLIENTS, READ_TIMEOUT};
use crate::daemon::observe::Query;
use crate::daemon::Event;
use crate::proto::TrackTarget;

/// How long a question may wait for room in the loop's channel.
const QUEUE_TIMEOUT: Duration = Duration::from_secs(5);

/// The running control socket; dropping it stops the tasks and removes the socket file.
#[derive(Debug)]
pub struct Server {
    task: JoinHandle<()>,
    _placed: Placed,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds the control socket at `path` (safely: `place`) and serves it, sending questions to
/// the loop through `tx`.
pub fn start(path: &Path, tx: mpsc::Sender<Event>) -> Result<Server, PlaceError> {
    let (listener, placed) = place::bind(path)?;
    let task = tokio::spawn(accept(listener, tx));
    Ok(Server {
        task,
        _placed: placed,
    })
}

async fn accept(listener: UnixListener, tx: mpsc::Sender<Event>) {
    let slots = Arc::new(Semaphore::new(MAX_CLIENTS));
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let permit = slots.clone().try_acquire_owned().ok();
                tokio::spawn(client(stream, tx.clone(), permit));
            }
            Err(e) => {
                // Out of file descriptors, most likely: wait rather than spin.
                warn!(target: "vrrpd", "control socket: accept: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// Root or the daemon's own user.
fn allowed(stream: &UnixStream) -> bool {
    let me = nix::unistd::geteuid().as_raw();
    stream
        .peer_cred()
        .is_ok_and(|c| c.uid() == 0 || c.uid() == me)
}

async fn client(stream: UnixStream, tx: mpsc::Sender<Event>, permit: Option<OwnedSemaphorePermit>) {
    let ok = allowed(&stream);
    let (r, mut w) = stream.into_split();
    if permit.is_none() {
        let _ = protocol::write_line(
            &mut w,
            &protocol::error_line("too many control clients; try again"),
        )
        .await;
        return;
    }
    if !ok {
        let _ = protocol::write_line(
            &mut w,
            &protocol::error_line("permission denied: root only"),
        )
        .await;
        return;
    }
    let mut r = BufReader::new(r);
    let request = match protocol::read_request(&mut r, READ_TIMEOUT).await {
        Ok(req) => req,
        Err(ReadError::Closed) => return,
        Err(e) => {
            let _ = protocol::write_line(&mut w, &protocol::error_line(&e.to_string())).await;
            return;
        }
    };
    let answer = match request {
        Request::Status => ask(&tx, Query::Status).await.map(status_json),
        Request::Drain { instances, drain } => {
            ask(&tx, |reply| Query::Drain {
                instances,
                drain,
                reply,
            })
            .await
        }
        Request::Reload => ask(&tx, Query::Reload).await,
        Request::Events => {
            match ask(&tx, Query::Listen).await {
                Ok(rx) => follow(r, w, rx).await,
                Err(e) => {
                    let _ = protocol::write_line(&mut w, &protocol::error_line(&e)).await;
                }
            }
            return;
        }
    };
    let line = answer.unwrap_or_else(|e| protocol::error_line(&e));
    let _ = protocol::write_line(&mut w, &line).await;
}

/// Sends a question to the loop and waits for its answer.
async fn ask<T>(
    tx: &mpsc::Sender<Event>,
    make: impl FnOnce(oneshot::Sender<T>) -> Query,
) -> Result<T, String> {
    let (reply, answer) = oneshot::channel();
    match tx
        .send_timeout(Event::Query(make(reply)), QUEUE_TIMEOUT)
        .await
    {
        Ok(()) => {}
        Err(mpsc::error::SendTimeoutError::Timeout(_)) => {
            return Err("daemon busy; try again".into())
        }
        Err(mpsc::error::SendTimeoutError::Closed(_)) => return Err("daemon is stopping".into()),
    }
    answer.await.map_err(|_| "daemon is stopping".to_string())
}

/// `events`: one line per happening until the client hangs up or stops reading.
async fn follow(
    mut r: BufReader<tokio::net::unix::OwnedReadHalf>,
    mut w: OwnedWriteHalf,
    mut rx: broadcast::Receiver<crate::daemon::observe::Happening>,
) {
    if !protocol::write_line(&mut w, &json!({ "answer": "events" })).await {
        return;
    }
    let hangup = protocol::hung_up(&mut r);
    tokio::pin!(hangup);
    loop {
        let line = tokio::select! {
            () = &mut hangup => return,
            h = rx.recv() => match h {
                Ok(h) => json!({ "answer": "event", "unix_ms": unix_ms(), "event": h }),
                Err(broadcast::error::RecvError::Lagged(n)) => json!({ "answer": "lagged", "lost": n }),
                Err(broadcast::error::RecvError::Closed) => return,
            },
        };
        if !protocol::write_line(&mut w, &line).await {
            return;
        }
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The `status` answer: the core's snapshot with each instance's (and sync group's)
/// trackers beside it, the reloads and the drained set.
pub fn status_json(parts: StatusParts) -> Value {
    let snap = &parts.picture.snapshot;
    let trackers_of = |target: &TrackTarget| -> Vec<Value> {
        parts
            .trackers
            .iter()
            .filter(|t| t.target == *target)
            .map(|t| serde_json::to_value(t).unwrap_or(Value::Null))
            .collect()
    };
    let instances: Vec<Value> = snap
        .instances
        .iter()
        .map(|i| {
            let mut v = serde_json::to_value(i).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert(
                    "trackers".into(),
                    Value::Array(trackers_of(&TrackTarget::Instance(i.name.clone()))),
                );
                m.insert(
                    "drain_requested".into(),
                    Value::Bool(parts.drains.contains(&i.name)),
                );
            }
            v
        })
        .collect();
    let groups: Vec<Value> = snap
        .groups
        .iter()
        .map(|g| {
            let mut v = serde_json::to_value(g).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert(
                    "trackers".into(),
                    Value::Array(trackers_of(&TrackTarget::Group(g.name.clone()))),
                );
            }
            v
        })
        .collect();
    json!({
        "answer": "status",
        "pid": std::process::id(),
        "uptime_ms": parts.picture.uptime.as_millis() as u64,
        "instances": instances,
        "groups": groups,
        "global": snap.global,
        "reloads": parts.picture.reloads,
        "drained": parts.drains,
    })
}
