//! The HTTP side of the metrics endpoint: hyper's HTTP/1 server on the daemon's runtime.
//!
//! Bounds, so that no client can hold the daemon up: at most [`MAX_CONNECTIONS`] at a time
//! (others wait in the kernel's backlog), the request head must arrive within
//! [`HEADER_TIMEOUT`], and a connection lives at most [`CONNECTION_LIFETIME`] (a client that
//! never reads its answer is dropped). The loop is only ever asked for a picture, through
//! its event channel; a scrape that cannot get one in [`PICTURE_TIMEOUT`] answers 503.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, Semaphore};
use tracing::warn;

use crate::daemon::observe::Query;
use crate::daemon::Event;

pub const MAX_CONNECTIONS: usize = 16;
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(30);
pub const PICTURE_TIMEOUT: Duration = Duration::from_secs(5);
/// Request heads larger than this are refused by hyper.
const MAX_HEAD: usize = 8 * 1024;

/// Serves `/metrics` on `listener` until the loop's channel closes.
pub async fn serve(listener: TcpListener, events: mpsc::Sender<Event>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        // A slot first: with all of them taken, further clients wait in the backlog.
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                warn!(target: "vrrpd", "metrics: accept failed: {e}");
                // E.g. out of file descriptors: do not spin.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if events.is_closed() {
            return;
        }
        let events = events.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| answer(req, events.clone()));
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .max_buf_size(MAX_HEAD)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            // Errors are the client's (bad request, reset): nothing to log per connection.
            let _ = tokio::time::timeout(CONNECTION_LIFETIME, conn).await;
            drop(permit);
        });
    }
}

/// One request: `GET /metrics` (or `HEAD`) gets the exposition, anything else 404/405.
async fn answer(
    req: Request<Incoming>,
    events: mpsc::Sender<Event>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() != "/metrics" {
        return Ok(plain(StatusCode::NOT_FOUND, "only /metrics is served\n"));
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Ok(plain(StatusCode::METHOD_NOT_ALLOWED, "GET /metrics\n"));
    }
    let Some(picture) = picture(&events).await else {
        return Ok(plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "the daemon did not answer\n",
        ));
    };
    // The runtime is single-threaded and shared with the loop: encoding a large picture
    // (1,000 instances make ~2.5 MiB) on it would delay adverts, so it runs off the loop.
    let Ok(text) = tokio::task::spawn_blocking(move || super::encode(&picture)).await else {
        return Ok(plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "encoding failed\n",
        ));
    };
    let mut resp = Response::new(Full::new(Bytes::from(text)));
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(prometheus::TEXT_FORMAT),
    );
    Ok(resp)
}

/// One picture from the loop, or `None` when it is gone or too slow.
async fn picture(events: &mpsc::Sender<Event>) -> Option<Arc<crate::daemon::observe::Observed>> {
    let (tx, rx) = oneshot::channel();
    let ask = async {
        events.send(Event::Query(Query::Picture(tx))).await.ok()?;
        rx.await.ok()
    };
    tokio::time::timeout(PICTURE_TIMEOUT, ask)
        .await
        .ok()
        .flatten()
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = status;
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Stands in for the loop: answers every picture question.
    fn fake_loop(mut rx: mpsc::Receiver<Event>) {
        tokio::spawn(async move {
            while let Some(ev) = rx.recv().await {
                if let Event::Query(Query::Picture(reply)) = ev {
                    let _ = reply.send(crate::metrics::tests::picture());
                }
            }
        });
    }

    async fn scrape(addr: std::net::SocketAddr) -> String {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test(flavor = "current_thread")]
    async fn silent_clients_do_not_block_a_scrape() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::channel(16);
        fake_loop(rx);
        tokio::spawn(serve(listener, tx));
        // Clients that connect and never send a byte, fewer than the slots.
        let mut silent = Vec::new();
        for _ in 0..MAX_CONNECTIONS - 1 {
            silent.push(tokio::net::TcpStream::connect(addr).await.unwrap());
        }
        let answer = tokio::time::timeout(Duration::from_secs(2), scrape(addr))
            .await
            .expect("a silent client held up the scrape");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.contains("keepalived_up 1"));
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        assert!(out.starts_with("HTTP/1.1 404"), "{out}");
        drop(silent);
    }
}
