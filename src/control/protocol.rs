//! The control protocol: one JSON request per line from the client; one JSON answer line
//! (`status`, `drain`, `reload`), or one line per happening until the client hangs up
//! (`events`). Every answer carries `"answer"`: the request's name, `"event"`, `"lagged"`
//! or `"error"`.
//!
//! The limits keep a broken or hostile client from costing the daemon more than one small
//! task: a request line is at most [`MAX_REQUEST`] bytes and must arrive within
//! [`READ_TIMEOUT`]; each answer line must be taken within [`WRITE_TIMEOUT`] (the socket's
//! kernel buffer is the only buffer), else the connection is dropped.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt,
};

/// The longest request line accepted (the newline included).
pub const MAX_REQUEST: usize = 4096;
/// How long a client may take to send its request line.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one answer line may wait for the client to read.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Clients served at once; one more gets an error answer and is closed.
pub const MAX_CLIENTS: usize = 16;

/// What a client asks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// The picture: instances, trackers, counters, reloads, drained instances.
    Status,
    /// Drain (`drain: true`) or undrain the named instances; an empty list means all.
    Drain {
        #[serde(default)]
        instances: Vec<String>,
        drain: bool,
    },
    /// Follow happenings until the client hangs up.
    Events,
    /// Reload the configuration and answer with the outcome.
    Reload,
}

/// Why a request line could not be read.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("request line longer than {MAX_REQUEST} bytes")]
    TooLong,
    #[error("no request within {} s", READ_TIMEOUT.as_secs())]
    Timeout,
    #[error("connection closed before a request")]
    Closed,
    #[error("bad request: {0}")]
    Bad(String),
}

/// Reads one request line (at most [`MAX_REQUEST`] bytes, within `timeout`) and parses it.
pub async fn read_request<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    timeout: Duration,
) -> Result<Request, ReadError> {
    let mut line = Vec::new();
    let limit = (MAX_REQUEST + 1) as u64;
    let read = tokio::time::timeout(
        timeout,
        (&mut *reader).take(limit).read_until(b'\n', &mut line),
    )
    .await
    .map_err(|_| ReadError::Timeout)?;
    match read {
        Ok(0) => return Err(ReadError::Closed),
        Ok(_) => {}
        Err(e) => return Err(ReadError::Bad(e.to_string())),
    }
    if line.last() != Some(&b'\n') {
        // Either the limit cut the line or the client closed mid-line.
        return Err(if line.len() > MAX_REQUEST {
            ReadError::TooLong
        } else {
            ReadError::Closed
        });
    }
    parse(&line)
}

/// Parses one request line.
pub fn parse(line: &[u8]) -> Result<Request, ReadError> {
    let text = std::str::from_utf8(line).map_err(|_| ReadError::Bad("not UTF-8".into()))?;
    serde_json::from_str(text.trim()).map_err(|e| ReadError::Bad(e.to_string()))
}

/// The error answer line.
pub fn error_line(message: &str) -> serde_json::Value {
    serde_json::json!({ "answer": "error", "message": message })
}

/// Writes one answer line within [`WRITE_TIMEOUT`]; `false` when the client did not take it
/// (gone, or not reading): the caller drops the connection.
pub async fn write_line<W: AsyncWrite + Unpin>(writer: &mut W, value: &serde_json::Value) -> bool {
    write_line_within(writer, value, WRITE_TIMEOUT).await
}

/// [`write_line`] with a given timeout (tests).
pub async fn write_line_within<W: AsyncWrite + Unpin>(
    writer: &mut W,
    value: &serde_json::Value,
    timeout: Duration,
) -> bool {
    let mut bytes = value.to_string().into_bytes();
    bytes.push(b'\n');
    let write = async {
        writer.write_all(&bytes).await?;
        writer.flush().await
    };
    matches!(tokio::time::timeout(timeout, write).await, Ok(Ok(())))
}

/// Waits until the client closes its side (or sends anything more, which is not expected):
/// a streaming answer stops then.
pub async fn hung_up<R: AsyncRead + Unpin>(reader: &mut R) {
    let mut buf = [0u8; 256];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            // Extra input during a stream is ignored.
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{duplex, BufReader};

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    #[test]
    fn requests_round_trip() {
        for r in [
            Request::Status,
            Request::Events,
            Request::Reload,
            Request::Drain {
                instances: vec!["VI_1".into()],
                drain: true,
            },
        ] {
            let line = serde_json::to_string(&r).expect("json");
            assert_eq!(parse(line.as_bytes()), Ok(r));
        }
        assert_eq!(
            parse(br#"{"request":"drain","drain":false}"#),
            Ok(Request::Drain {
                instances: vec![],
                drain: false
            })
        );
    }

    #[test]
    fn garbage_is_a_bad_request() {
        for junk in [
            &b"hello\n"[..],
            b"{\"request\":\"format_disk\"}\n",
            b"{\"request\":\"drain\",\"drain\":\"yes\"}\n",
            b"{\"request\":\"drain\",\"instances\":[1],\"drain\":true}\n",
            b"\xff\xfe\n",
            b"\n",
        ] {
            assert!(matches!(parse(junk), Err(ReadError::Bad(_))), "{junk:?}");
        }
    }

    #[test]
    fn a_huge_line_is_refused_without_reading_it_all() {
        rt().block_on(async {
            let (mut client, server) = duplex(64 * 1024);
            let writer = tokio::spawn(async move {
                // Far more than the limit, never a newline: the reader stops at the limit.
                let junk = vec![b'a'; 1024 * 1024];
                let _ = client.write_all(&junk).await;
                client
            });
            let mut reader = BufReader::new(server);
            let got = read_request(&mut reader, Duration::from_secs(5)).await;
            assert_eq!(got, Err(ReadError::TooLong));
            drop(reader);
            let _ = writer.await;
        });
    }

    #[test]
    fn a_silent_client_times_out() {
        rt().block_on(async {
            let (_client, server) = duplex(1024);
            let mut reader = BufReader::new(server);
            let t0 = std::time::Instant::now();
            let got = read_request(&mut reader, Duration::from_millis(100)).await;
            assert_eq!(got, Err(ReadError::Timeout));
            assert!(t0.elapsed() < Duration::from_secs(2));
        });
    }

    #[test]
    fn a_client_that_never_reads_is_given_up() {
        rt().block_on(async {
            // A 1 KiB pipe nobody reads: the second big line cannot be taken.
            let (_client, mut server) = duplex(1024);
            let big = serde_json::json!({ "answer": "event", "pad": "x".repeat(2000) });
            let t0 = std::time::Instant::now();
            let ok = write_line_within(&mut server, &big, Duration::from_millis(100)).await;
            assert!(!ok);
            assert!(t0.elapsed() < Duration::from_secs(2));
        });
    }

    #[test]
    fn a_line_and_an_early_close() {
        rt().block_on(async {
            let (mut client, server) = duplex(1024);
            client
                .write_all(b"{\"request\":\"status\"}\n")
                .await
                .expect("write");
            let mut reader = BufReader::new(server);
            assert_eq!(
                read_request(&mut reader, Duration::from_secs(1)).await,
                Ok(Request::Status)
            );
            let (mut client, server) = duplex(1024);
            client.write_all(b"{\"request\"").await.expect("write");
            drop(client);
            let mut reader = BufReader::new(server);
            assert_eq!(
                read_request(&mut reader, Duration::from_secs(1)).await,
                Err(ReadError::Closed)
            );
        });
    }
}
