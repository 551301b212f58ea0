//! The benchmarks' own measuring helpers, checked on made-up figures (no root, no lab).

mod common;

use common::stalls::{longest, longest_unexplained, Stall};
use std::time::Duration;

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

#[test]
fn a_delay_that_a_stall_overlaps_is_the_machines() {
    // Adverts every 30 ms; the third one is 20 ms late, the fifth 4 ms late.
    let sends = [0.0, 0.030, 0.080, 0.110, 0.144, 0.174];
    assert_eq!(ms(longest_unexplained(&sends, 0.030, &[])), 20.0);
    // A stall from 0.065 to 0.079 covers the late one: only the 4 ms delay is left.
    let stall = Stall {
        from: 0.065,
        to: 0.079,
    };
    assert_eq!(ms(longest_unexplained(&sends, 0.030, &[stall])), 4.0);
    assert_eq!(ms(longest(&[stall])), 14.0);
    // A stall that ended before the advert was due explains nothing.
    let before = Stall {
        from: 0.040,
        to: 0.059,
    };
    assert_eq!(ms(longest_unexplained(&sends, 0.030, &[before])), 20.0);
}

#[test]
fn no_adverts_or_early_adverts_are_no_delay() {
    assert_eq!(longest_unexplained(&[], 0.03, &[]), Duration::ZERO);
    assert_eq!(longest_unexplained(&[1.0], 0.03, &[]), Duration::ZERO);
    assert_eq!(longest_unexplained(&[1.0, 1.02], 0.03, &[]), Duration::ZERO);
    assert_eq!(longest(&[]), Duration::ZERO);
}

#[cfg_attr(
    not(feature = "netns-tests"),
    ignore = "needs root (SCHED_FIFO): ./tests/run.sh"
)]
#[test]
fn the_probe_runs_and_stops() {
    // It pins a thread to each CPU at SCHED_FIFO (root only, else it panics saying so),
    // records the stalls in time order and stops.
    let probe = common::stalls::Probe::start();
    std::thread::sleep(Duration::from_millis(50));
    let stalls = probe.stop();
    assert!(stalls.windows(2).all(|w| w[0].from <= w[1].from));
}
