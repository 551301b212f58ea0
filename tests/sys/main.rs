//! OS-layer tests (`src/sys`) that can share one process: packet and VRRP sockets, netlink,
//! frames, pid files, hardening against planted files, and the raw sockets against a real
//! keepalived. Most need root and the `netns-tests` feature (`sysns` namespaces).
//!
//! Separate binaries on purpose: `sys_process` (harness = false, needs a fresh
//! single-threaded process), `sys_script_env` (changes its own environment), `sys_systemd`
//! (sets `NOTIFY_SOCKET`), `sys_signals` (process-wide signal handlers), and `sys_scripts`,
//! `sys_hooks`, `sys_track_sources` (the script reaper owns `waitpid(-1)` and some tests count
//! the process's children).

#[path = "../common/mod.rs"]
mod common;

mod frames;
mod hardening;
mod keepalived_interop;
mod netlink;
mod pidfile;
mod vrrp_socket;
