//! The client side of the lab's outage measurements, shared by the benchmarks and the tests
//! that report a client's gap: a UDP echo service on the routers, a UDP or HTTP prober in the
//! client namespace, and the longest silence between two answers.
#![allow(dead_code)]

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::lab::Lab;

/// The UDP port of the echo service.
pub const PORT: u16 = 7000;
/// How often the UDP client asks.
pub const PROBE_EVERY: Duration = Duration::from_millis(2);

/// A UDP echo responder inside a router namespace; `up` false = a dead service (no answers).
pub struct Echo {
    pub up: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Echo {
    pub fn start(lab: &Lab, ns: &str) -> Echo {
        let up = Arc::new(AtomicBool::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let (u, s) = (up.clone(), stop.clone());
        let thread = lab.spawn_in(ns, move || {
            let sock = UdpSocket::bind(("0.0.0.0", PORT)).expect("bind the echo port");
            sock.set_read_timeout(Some(Duration::from_millis(50)))
                .expect("SO_RCVTIMEO");
            let mut buf = [0u8; 64];
            while !s.load(Ordering::Relaxed) {
                if let Ok((n, from)) = sock.recv_from(&mut buf) {
                    if u.load(Ordering::Relaxed) {
                        let _ = sock.send_to(buf.get(..n).unwrap_or_default(), from);
                    }
                }
            }
        });
        Echo {
            up,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The client: a datagram to `vip` every [`PROBE_EVERY`]; returns when the answers arrived.
pub fn probe(lab: &Lab, vip: &'static str, stop: Arc<AtomicBool>) -> JoinHandle<Vec<Instant>> {
    lab.spawn_in(&lab.client, move || {
        let sock = UdpSocket::bind("0.0.0.0:0").expect("client socket");
        sock.set_nonblocking(true).expect("O_NONBLOCK");
        let mut answers = Vec::new();
        let mut next = Instant::now();
        let mut seq: u64 = 0;
        let mut buf = [0u8; 64];
        while !stop.load(Ordering::Relaxed) {
            if Instant::now() >= next {
                seq += 1;
                let _ = sock.send_to(&seq.to_be_bytes(), (vip, PORT));
                next += PROBE_EVERY;
            }
            while sock.recv_from(&mut buf).is_ok() {
                answers.push(Instant::now());
            }
            // poll(2) sleeps on a high-resolution timer (SO_RCVTIMEO would round to a jiffy).
            let mut pfd = libc::pollfd {
                fd: std::os::fd::AsRawFd::as_raw_fd(&sock),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd for the duration of the call.
            unsafe { libc::poll(&mut pfd, 1, 1) };
        }
        answers
    })
}

/// Sets its flag when dropped.
pub struct StopOnDrop(pub Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The longest interval between two answers (`Duration::MAX` with fewer than two).
pub fn longest_gap(answers: &[Instant]) -> Duration {
    answers
        .windows(2)
        .map(|w| w[1].duration_since(w[0]))
        .max()
        .unwrap_or(Duration::MAX)
}

/// An HTTP client: a GET to `vip` every 5 ms (each with a 100 ms
/// budget); returns the times of the answered ones.
pub fn http_probe(lab: &Lab, vip: &'static str, stop: Arc<AtomicBool>) -> JoinHandle<Vec<Instant>> {
    use std::io::{Read, Write};
    lab.spawn_in(&lab.client, move || {
        let addr: std::net::SocketAddr = format!("{vip}:80").parse().expect("VIP");
        let budget = Duration::from_millis(100);
        let mut answers = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let t = Instant::now();
            let ok = (|| -> std::io::Result<bool> {
                let mut s = std::net::TcpStream::connect_timeout(&addr, budget)?;
                s.set_read_timeout(Some(budget))?;
                s.write_all(b"GET / HTTP/1.0\r\n\r\n")?;
                let mut buf = Vec::new();
                s.read_to_end(&mut buf)?;
                Ok(buf.starts_with(b"HTTP/1.1 200"))
            })()
            .unwrap_or(false);
            if ok {
                answers.push(Instant::now());
            }
            std::thread::sleep(Duration::from_millis(5).saturating_sub(t.elapsed()));
        }
        answers
    })
}
