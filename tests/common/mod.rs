//! Helpers shared by integration tests (and, through `#[path]`, by the benchmarks and the fuzz
//! targets, so the files they include stay self-contained: no `super::`). A test file declares
//! `mod common;` (`#[macro_use] mod common;` for [`both!`]); in a grouped binary
//! (`tests/{config,daemon,proto,sys,wire}/main.rs`) `main.rs` declares it once
//! and each module says `use crate::common;`.
//!
//! Data and packets:
//! * [`rng`]: the one seeded pseudo-random generator (xorshift64*); use it for every random
//!   input, seeded so a failure reproduces.
//! * [`frames`]: Ethernet/IPv4/IPv6 frames and VRRP datagrams built by hand for tests (with
//!   the production codec where it can), keepalived's GARP, the Internet checksum.
//! * [`fixtures`], [`roundtrip`], [`config_property`], [`replay`]: captured keepalived
//!   packets, the fuzz properties run on deterministic inputs, replay cases.
//! * [`rig`]: the protocol-core rig (fixed `t0`, routers driven on explicit times, adverts
//!   built with the real codec), for the protocol-core tests (tests/proto): no OS, no root.
//! * [`track`]: tracking scripts and notify hooks written to a temp dir for daemon tests.
//! * [`hostinfo`]: host facts (one `eth0`) for planning a configuration without a host.
//! * [`probe`]: the client side of an outage measurement (UDP echo, UDP/HTTP probes, gaps).
//! * [`stalls`]: windows in which the machine itself did not run a CPU, to tell a daemon's
//!   late advert from the virtual machine's (benches/reload.rs).
//!
//! Which harness for what (each needs root and fails loudly without it; none skips):
//! * [`sysns`]: a namespace entered with `setns` on a thread running a tokio runtime, for
//!   OS-layer tests (tests/sys, `sys_*.rs`) that call `vrrpd::sys` directly: sockets, netlink,
//!   packet capture ([`veth_pair`], [`capture`], [`next_frame`]). Names `vs<pid><tag>`.
//! * [`netns`]: a namespace driven by `ip netns exec`, for tests that run whole programs in it
//!   (keepalived, `vrrpd --check-config`, a frame sender) without a bridge or daemons of the
//!   lab. Names `vd<pid><tag>`.
//! * [`lab`]: routers and a client on a bridge running vrrpd or keepalived with generated
//!   configurations, readiness, logs, captures, link cuts, for daemon tests (tests/daemon, and the
//!   failover/flood benchmarks). [`both!`] runs one scenario against both daemons.
//! * [`sandbox`]: a whole host (process, mount and network namespaces, copy-on-write system
//!   directories) for tests that install, start and stop daemons as an administrator does
//!   (`compat_*`: `service keepalived start`, default paths).
//!
//! `sysns` and `netns` stay two modules: one runs Rust code inside the namespace (a thread that
//! `setns`es), the other runs programs in it (`ip netns exec`); their `Netns` types differ in
//! what they own, and a test uses one or the other.
//!
//! keepalived is started one way, [`keepalived`] (`lab::keepalived`): `[ip netns exec NS]
//! keepalived -f CONF -n -l -D -G -p PID -r VRRP_PID [EXTRA]` through `keepalived::command` (the
//! lab starts vrrpd with the same command line), `keepalived::Keepalived` for a test that runs
//! it outside a lab, and `keepalived::check_command` for `keepalived -t`. Only the sandbox tests
//! start it as an administrator would (installed name and default paths), which is what they
//! test.
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

pub mod config_property;
pub mod fixtures;
pub mod frames;
pub mod hostinfo;
pub mod lab;
pub mod netns;
pub mod probe;
pub mod replay;
pub mod rig;
pub mod rng;
pub mod roundtrip;
pub mod sandbox;
pub mod stalls;
pub mod sysns;
pub mod track;

pub use frames::garp_frame;
pub use lab::keepalived;
pub use rig::*;
pub use sysns::*;
