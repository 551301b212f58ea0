//! sd_notify against a test unix datagram socket standing in for systemd
//! (docs/keepalived-compat.md#processes-and-systemd).

use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

use vrrpd::sys::systemd::{monotonic_usec, Notifier};

fn recv(sock: &UnixDatagram) -> String {
    let mut buf = [0u8; 512];
    let n = sock
        .recv(&mut buf)
        .expect("a notification within the timeout");
    String::from_utf8(buf[..n].to_vec()).expect("UTF-8")
}

fn listener_at_path(tag: &str) -> (UnixDatagram, String) {
    let path = std::env::temp_dir().join(format!("vs{}{tag}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let sock = UnixDatagram::bind(&path).expect("bind the fake NOTIFY_SOCKET");
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    (sock, path.to_string_lossy().into_owned())
}

#[test]
fn ready_reloading_stopping_status_watchdog_reach_the_socket() {
    let (sock, path) = listener_at_path("notify");
    let n = Notifier::to_socket(&path).unwrap();
    assert!(n.is_enabled());

    n.ready().unwrap();
    assert_eq!(recv(&sock), "READY=1\n");

    let before = monotonic_usec().unwrap();
    n.reloading().unwrap();
    let after = monotonic_usec().unwrap();
    let msg = recv(&sock);
    let lines: Vec<&str> = msg.lines().collect();
    assert_eq!(lines[0], "RELOADING=1");
    let usec: u64 = lines[1]
        .strip_prefix("MONOTONIC_USEC=")
        .unwrap_or_else(|| panic!("systemd >= 253 needs MONOTONIC_USEC: {msg:?}"))
        .parse()
        .unwrap();
    assert!(
        (before..=after).contains(&usec),
        "{before} <= {usec} <= {after}"
    );

    n.stopping().unwrap();
    assert_eq!(recv(&sock), "STOPPING=1\n");
    n.status("2 instances\nall MASTER").unwrap();
    assert_eq!(recv(&sock), "STATUS=2 instances all MASTER\n");
    n.watchdog().unwrap();
    assert_eq!(recv(&sock), "WATCHDOG=1\n");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn abstract_socket_names_start_with_at() {
    let name = format!("vs{}notify-abstract", std::process::id());
    let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let sock = UnixDatagram::bind_addr(&addr).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    Notifier::to_socket(&format!("@{name}"))
        .unwrap()
        .ready()
        .unwrap();
    assert_eq!(recv(&sock), "READY=1\n");
}

#[test]
fn notify_socket_comes_from_the_environment_and_is_optional() {
    // The only test in this binary that touches the environment.
    let (sock, path) = listener_at_path("env");
    std::env::remove_var("NOTIFY_SOCKET");
    let off = Notifier::from_env().unwrap();
    assert!(!off.is_enabled());
    off.ready().unwrap(); // a no-op, not an error

    std::env::set_var("NOTIFY_SOCKET", &path);
    let on = Notifier::from_env().unwrap();
    std::env::remove_var("NOTIFY_SOCKET");
    on.ready().unwrap();
    assert_eq!(recv(&sock), "READY=1\n");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_manager_that_does_not_read_never_blocks_the_sender() {
    // The daemon's loop sends these; a full queue (systemd's or this test's, which never
    // reads) must make a send fail, not wait: a blocked send would stop the adverts.
    let (_sock, path) = listener_at_path("full");
    let n = Notifier::to_socket(&path).unwrap();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let failed = (0..1000).filter(|_| n.watchdog().is_err()).count();
        let _ = done_tx.send(failed);
    });
    let failed = done_rx
        .recv_timeout(Duration::from_secs(5))
        .expect("1000 sends to a full queue return at once");
    assert!(failed > 0, "the queue never filled?");
    let _ = std::fs::remove_file(&path);
}
