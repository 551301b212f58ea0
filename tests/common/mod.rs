//! Helpers shared by integration tests.
//!
//! * [`rng`]: the one seeded pseudo-random generator (xorshift64*).
//! * [`frames`]: Ethernet/IPv4/IPv6 frames and VRRP datagrams built by hand for tests (with
//!   the production codec where it can).
//! * [`rig`]: the protocol-core rig (fixed `t0`, routers driven on explicit times, adverts
//!   built with the real codec).
//! * [`sysns`]: namespaces entered with `setns` on a thread, for OS-layer tests.
//! * [`netns`]: namespaces driven with `ip netns exec`, for tests that run whole programs.
//! * [`lab`]: routers and a client on a bridge running vrrpd or keepalived, for daemon tests.
//! * [`sandbox`]: a whole host (process, mount and network namespaces, copy-on-write system
//!   directories) for tests that install, start and stop daemons as an administrator does.
#![allow(dead_code, unused_imports, unused_macros)]

/// `both!(a, b)` generates, per scenario `fn a(daemon: lab::Daemon, tag: &str)` of the calling
/// file, a module `a` with two tests, `a::vrrpd` and `a::keepalived`, each running the
/// scenario with that daemon in its own lab (namespace tag from [`lab::tag`]). The file must
/// declare `#[macro_use] mod common;`.
macro_rules! both {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[cfg_attr(not(feature = "netns-tests"), ignore = "needs root, namespaces or keepalived: ./tests/run.sh")]
            #[test]
            fn vrrpd() {
                super::$scenario(
                    $crate::common::lab::Daemon::Vrrpd,
                    &$crate::common::lab::tag(stringify!($scenario), "v"),
                );
            }
            #[cfg_attr(not(feature = "netns-tests"), ignore = "needs root, namespaces or keepalived: ./tests/run.sh")]
            #[test]
            fn keepalived() {
                super::$scenario(
                    $crate::common::lab::Daemon::Keepalived,
                    &$crate::common::lab::tag(stringify!($scenario), "k"),
                );
            }
        }
    )*};
}

pub mod frames;
pub mod lab;
pub mod netns;
pub mod replay;
pub mod rig;
pub mod rng;
pub mod sandbox;
pub mod sysns;
pub mod track;

pub use frames::garp_frame;
pub use rig::*;
pub use sysns::*;
