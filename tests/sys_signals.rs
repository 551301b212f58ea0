//! keepalived's signals mapped to `Signal` (docs/keepalived-compat.md#reload).
//!
//! One test only: the handlers are process-wide, and a second test raising signals in
//! parallel would interleave with this one.

use std::time::Duration;

use nix::sys::signal::{kill, Signal as NixSignal};
use nix::unistd::Pid;
use vrrpd::sys::signals::{Signal, Signals};

#[tokio::test]
async fn each_signal_arrives_as_its_meaning() {
    // Installed before anything is sent, as the daemon does at start-up.
    let mut signals = Signals::install().unwrap();
    let me = Pid::this();
    let cases = [
        (libc::SIGHUP, Signal::Reload),
        (libc::SIGUSR1, Signal::Data),
        (libc::SIGUSR2, Signal::Stats),
        (63, Signal::StatsClear),
        (36, Signal::Json),
        (libc::SIGTERM, Signal::Stop),
        (libc::SIGINT, Signal::Stop),
    ];
    for (signo, meaning) in cases {
        // SIGRTMIN+2 and SIGRTMAX-1 have no nix name: send them with libc.
        match NixSignal::try_from(signo) {
            Ok(s) => kill(me, s).unwrap(),
            Err(_) => assert_eq!(unsafe { libc::kill(libc::getpid(), signo) }, 0),
        }
        let got = tokio::time::timeout(Duration::from_secs(2), signals.recv())
            .await
            .unwrap_or_else(|_| panic!("signal {signo} was not delivered"));
        assert_eq!(got, Some(meaning), "signal {signo}");
    }
}
