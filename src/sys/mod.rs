//! The operating-system layer the daemon shell drives.
//!
//! Each file wraps exactly one OS facility and knows nothing about the VRRP state machine
//! (tests/layers.rs says which other modules `sys` may use):
//!
//! * [`vrrp_socket`]: raw IP protocol 112 sockets, IPv4 and IPv6 (receive per interface and
//!   group or unicast address, send per interface), moving bytes that `wire` builds and
//!   parses, async through tokio's `AsyncFd`.
//! * [`netlink`]: link/address lookup, VIP add/delete and the link/address monitor (rtnetlink).
//! * [`netlink_release`]: blocking VIP removal for the panic hook (no runtime involved).
//! * [`frames`]: raw Ethernet frames (gratuitous ARP / unsolicited NA) through AF_PACKET.
//! * [`systemd`]: the sd_notify protocol (`READY=1`, `RELOADING=1`, `STOPPING=1`, ...).
//! * [`signals`]: keepalived's signal set mapped to [`signals::Signal`].
//! * [`pidfile`]: `/run/keepalived.pid`-style pid files and the "already running" check.
//! * [`daemonize`]: forking to the background; must run before the tokio runtime starts.
//! * [`script`]: the supervised process runner for track and notify scripts (process group,
//!   timeout kill, run-as user, script security) and the process-wide child reaper.
//! * [`script_set`]: the `vrrp_script`s of a config, started on request of `track::Trackers`.
//! * [`hooks`]: notify scripts and the notify FIFO, in transition order per instance/group.
//! * [`track_sources`]: `track_file` values and `/proc` scans for `vrrp_track_process`.
//! * [`routes`]: virtual routes and rules (rtnetlink) and their monitor.
//! * [`umask`]: the file-creation mask (`-u`, `global_defs umask`, keepalived's 0177).
//! * [`localtime`]: local time in `strftime`'s words (the dump files' dates).
//! * [`fsafe`]: opening files as root where other users can write (no symlink, FIFO or
//!   device tricks).
//! * [`kernel_floor`]: system calls newer than the support floor (Linux 3.10, glibc 2.17),
//!   probed once, and which fallback this kernel gets.
//!
//! Errors from all of them are [`SysError`], whose `Display` is one sentence naming the
//! operation and the interface.

pub mod daemonize;
mod error;
pub mod frames;
pub mod fsafe;
pub mod hooks;
pub mod kernel_floor;
pub mod localtime;
pub mod netlink;
pub mod netlink_release;
pub mod pidfile;
pub mod routes;
pub mod script;
pub mod script_set;
pub mod signals;
pub mod systemd;
pub mod track_sources;
pub mod umask;
pub mod vrrp_socket;

pub use error::{Privilege, SysError};
