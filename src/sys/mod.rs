//! The operating-system layer the daemon shell drives.
//!
//! Each file wraps exactly one OS facility and knows nothing about the VRRP state machine
//! (tests/layers.rs says which other modules `sys` may use):
//!
//! * [`vrrp_socket`]: raw IP protocol 112 sockets, IPv4 and IPv6 (receive per interface and
//!   group or unicast address, send per interface), moving bytes that `wire` builds and
//!   parses, async through tokio's `AsyncFd`.
//! * [`netlink`]: link/address lookup, VIP add/delete and the link/address monitor (rtnetlink).
//! * [`netlink_vmac`]: macvlan links for `use_vmac` (list with parent and mode, create,
//!   update, raise, delete).
//! * [`vmac_sysctl`]: the per-interface sysctls a vmac and its parent need.
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
//! * [`smtp`]: `smtp_alert` mails, queued and sent off the loop (bounded queue and timeouts).
//! * [`track_sources`]: `track_file` values and `/proc` scans for `vrrp_track_process`.
//! * [`track_watch`]: the same, event-driven: pidfds on matched processes, inotify on the
//!   track files' directories, polling only where those cannot be had.
//! * [`pidfd`]: `pidfd_open` through `syscall(2)` (readable when the process exits).
//! * [`inotify`]: directory watches for the track files.
//! * [`routes`]: virtual routes and rules (rtnetlink) and their monitor.
//! * [`umask`]: the file-creation mask (`-u`, `global_defs umask`, keepalived's 0177).
//! * [`localtime`]: local time in `strftime`'s words (the dump files' dates).
//! * [`memory`]: giving the heap of a start-up or reload back to the kernel.
//! * [`fsafe`]: opening files as root where other users can write (no symlink, FIFO or
//!   device tricks).
//! * [`kernel_floor`]: system calls newer than the support floor (Linux 3.10, glibc 2.17),
//!   probed once, and which fallback this kernel gets.
//!
//! Errors from all of them are [`SysError`], whose `Display` is one sentence naming the
//! operation and the interface.

pub mod background;
pub mod daemonize;
mod error;
pub mod frames;
pub mod fsafe;
pub mod hooks;
pub mod inotify;
pub mod kernel_floor;
pub mod local_igmp;
pub mod localtime;
pub mod memory;
pub mod netlink;
pub mod netlink_release;
pub mod netlink_vmac;
pub mod pidfd;
pub mod pidfile;
pub mod precise_timer;
pub mod promote_secondaries;
pub mod realtime;
pub mod routes;
pub mod script;
pub mod script_set;
pub mod signals;
pub mod smtp;
pub mod systemd;
pub mod track_sources;
pub mod track_watch;
pub mod umask;
pub mod vmac_sysctl;
pub mod vrrp_socket;

pub use error::{Privilege, SysError};
