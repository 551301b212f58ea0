//! The client subcommands (`vrrpd status|drain|undrain|events|reload`): plain blocking code
//! on a std Unix socket, one request line out, answer lines in.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::protocol::Request;
use super::render;
use crate::cli::Command;

/// How long a status or drain answer may take.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// A reload reads and checks the whole configuration first.
const RELOAD_TIMEOUT: Duration = Duration::from_secs(600);
/// `drain --wait`: how often the state is asked, and the margin beyond master-down.
const WAIT_POLL: Duration = Duration::from_millis(100);
const WAIT_MARGIN: Duration = Duration::from_secs(2);

/// Runs one subcommand against the daemon at `socket`; returns the exit status.
pub fn run(cmd: &Command, socket: &Path) -> u8 {
    let c = Client {
        socket: socket.to_path_buf(),
    };
    let result = match cmd {
        Command::Status { json } => c.status(*json),
        Command::Drain {
            instances,
            all: _,
            wait,
        } => c.drain(instances, true, *wait),
        Command::Undrain { instances, all: _ } => c.drain(instances, false, false),
        Command::Events { json } => c.events(*json),
        Command::Reload => c.reload(),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vrrpd: {e}");
            1
        }
    }
}

struct Client {
    socket: PathBuf,
}

type Conn = BufReader<UnixStream>;

impl Client {
    /// Connects and sends `req`.
    fn send(&self, req: &Request, timeout: Option<Duration>) -> Result<Conn, String> {
        let mut s = UnixStream::connect(&self.socket).map_err(|e| {
            format!(
                "cannot reach the daemon at {}: {e} (is vrrpd running? give its --control-socket)",
                self.socket.display()
            )
        })?;
        let _ = s.set_write_timeout(Some(ANSWER_TIMEOUT));
        let _ = s.set_read_timeout(timeout);
        let mut line = serde_json::to_string(req).map_err(|e| e.to_string())?;
        line.push('\n');
        s.write_all(line.as_bytes())
            .map_err(|e| format!("control socket {}: {e}", self.socket.display()))?;
        Ok(BufReader::new(s))
    }

    /// One answer line; `Ok(None)` when the daemon closed the connection.
    fn line(conn: &mut Conn) -> Result<Option<Value>, String> {
        let mut text = String::new();
        match conn.read_line(&mut text) {
            Ok(0) => Ok(None),
            Ok(_) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| format!("unreadable answer from the daemon: {e}")),
            Err(e) => Err(format!("no answer from the daemon: {e}")),
        }
    }

    /// One request, one answer; an error answer is an error.
    fn ask(&self, req: &Request, timeout: Duration) -> Result<Value, String> {
        let mut conn = self.send(req, Some(timeout))?;
        let v =
            Self::line(&mut conn)?.ok_or("the daemon closed the connection without an answer")?;
        if v["answer"] == "error" {
            return Err(v["message"].as_str().unwrap_or("error").to_string());
        }
        Ok(v)
    }

    fn status(&self, json: bool) -> Result<u8, String> {
        let v = self.ask(&Request::Status, ANSWER_TIMEOUT)?;
        if json {
            println!("{v}");
        } else {
            print!("{}", render::status_table(&v));
        }
        Ok(0)
    }

    fn drain(&self, instances: &[String], drain: bool, wait: bool) -> Result<u8, String> {
        let before = if wait {
            Some(self.ask(&Request::Status, ANSWER_TIMEOUT)?)
        } else {
            None
        };
        let req = Request::Drain {
            instances: instances.to_vec(),
            drain,
        };
        let v = self.ask(&req, ANSWER_TIMEOUT)?;
        for w in v["warnings"].as_array().into_iter().flatten() {
            eprintln!("vrrpd: warning: {}", w.as_str().unwrap_or_default());
        }
        let which = if instances.is_empty() {
            "every instance".to_string()
        } else {
            instances.join(", ")
        };
        println!("{which} {}", if drain { "drained" } else { "undrained" });
        match before {
            Some(before) => self.wait_handover(&before, instances),
            None => Ok(0),
        }
    }

    /// `drain --wait`: until every drained instance is BACKUP and hears a master that is not
    /// us, or master-down (plus a margin) has passed.
    fn wait_handover(&self, before: &Value, names: &[String]) -> Result<u8, String> {
        let watched: Vec<(String, Option<String>)> = instances(before)
            .filter(|i| names.is_empty() || names.iter().any(|n| i["name"] == n.as_str()))
            .map(|i| {
                let name = i["name"].as_str().unwrap_or_default().to_string();
                // A MASTER's master address is its own.
                let own = (i["state"] == "Master")
                    .then(|| i["master_addr"].as_str().map(str::to_string))
                    .flatten();
                (name, own)
            })
            .collect();
        let limit = instances(before)
            .map(|i| master_down(i["master_adver_int"].as_u64().unwrap_or(100)))
            .max()
            .unwrap_or(Duration::from_secs(4))
            + WAIT_MARGIN;
        let t0 = Instant::now();
        loop {
            let now = self.ask(&Request::Status, ANSWER_TIMEOUT)?;
            let pending: Vec<String> = watched
                .iter()
                .filter_map(|(name, own)| {
                    let i = instances(&now).find(|i| i["name"] == name.as_str())?;
                    let master = i["master_addr"].as_str();
                    let taken =
                        i["state"] == "Backup" && master.is_some() && master != own.as_deref();
                    (!taken).then(|| {
                        format!(
                            "{name} (state {}, master {})",
                            render::state_word(&i["state"]),
                            master.unwrap_or("none heard")
                        )
                    })
                })
                .collect();
            if pending.is_empty() {
                for (name, _) in &watched {
                    if let Some(i) = instances(&now).find(|i| i["name"] == name.as_str()) {
                        println!(
                            "{name}: {} took over (priority {}) after {:.2} s",
                            i["master_addr"].as_str().unwrap_or("?"),
                            i["master_priority"],
                            t0.elapsed().as_secs_f64()
                        );
                    }
                }
                return Ok(0);
            }
            if t0.elapsed() > limit {
                eprintln!(
                    "vrrpd: drain --wait: no peer took over within {:.1} s: {}; the instance stays drained (check that a peer runs and hears us)",
                    limit.as_secs_f64(),
                    pending.join(", ")
                );
                return Ok(1);
            }
            std::thread::sleep(WAIT_POLL);
        }
    }

    fn events(&self, json: bool) -> Result<u8, String> {
        let mut conn = self.send(&Request::Events, None)?;
        let ack = Self::line(&mut conn)?.ok_or("the daemon closed the connection")?;
        if ack["answer"] == "error" {
            return Err(ack["message"].as_str().unwrap_or("error").to_string());
        }
        let out = std::io::stdout();
        while let Some(v) = Self::line(&mut conn)? {
            let mut out = out.lock();
            let written = if json {
                writeln!(out, "{v}")
            } else {
                writeln!(out, "{}", render::event_line(&v))
            };
            // A closed pipe (`| head`): stop quietly.
            if written.and_then(|()| out.flush()).is_err() {
                return Ok(0);
            }
        }
        eprintln!("vrrpd: events: the daemon closed the connection");
        Ok(1)
    }

    fn reload(&self) -> Result<u8, String> {
        let v = self.ask(&Request::Reload, RELOAD_TIMEOUT)?;
        let ok = v["ok"] == true;
        println!(
            "reload {}",
            if ok {
                "ok"
            } else {
                "failed; the running configuration is kept"
            }
        );
        for l in v["lines"].as_array().into_iter().flatten() {
            println!("{}", l.as_str().unwrap_or_default());
        }
        Ok(if ok { 0 } else { 1 })
    }
}

fn instances(v: &Value) -> impl Iterator<Item = &Value> {
    v["instances"].as_array().into_iter().flatten()
}

/// RFC 5798 §6.1 Master_Down_Interval with the largest skew (1 s) for an advert interval in
/// centiseconds.
fn master_down(adver_int_cs: u64) -> Duration {
    Duration::from_millis(adver_int_cs * 30) + Duration::from_secs(1)
}
