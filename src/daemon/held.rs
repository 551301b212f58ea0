//! The VIPs this process has added and not removed, for the panic hook: a panic ends the
//! process (exit 70) without the stop sequence, and a VIP left behind on a node that is gone
//! would answer for it until the peer's own address takes over. The hook deletes them
//! through a fresh, blocking netlink socket (`sys::netlink_release`), touching nothing of the
//! runtime that panicked.
//!
//! A process-wide registry because the panic hook has no other way to reach the loop's
//! state. The lock is only held for a push or a retain, which cannot panic; the hook uses
//! `try_lock`, so it can never wait on it.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Mutex, TryLockError};

use crate::sys::netlink::Vip;

static HELD: Mutex<Vec<Vip>> = Mutex::new(Vec::new());
/// The process that added them: a forked child that panicked before exec must not take the
/// daemon's addresses away.
static OWNER: AtomicU32 = AtomicU32::new(0);
/// `-V/--dont-release-vrrp`: VIPs stay after a panic too, as after a stop.
static KEEP: AtomicBool = AtomicBool::new(false);

/// `-V`: leave the VIPs in place on a panic as on a stop.
pub fn keep_on_panic(keep: bool) {
    KEEP.store(keep, Ordering::Relaxed);
}

/// `vip` was added.
pub fn added(vip: &Vip) {
    OWNER.store(std::process::id(), Ordering::Relaxed);
    let mut held = HELD.lock().unwrap_or_else(|p| p.into_inner());
    if !held.iter().any(|h| same(h, vip)) {
        held.push(vip.clone());
    }
}

/// `vip` was removed (or was not there).
pub fn removed(vip: &Vip) {
    let mut held = HELD.lock().unwrap_or_else(|p| p.into_inner());
    held.retain(|h| !same(h, vip));
}

fn same(a: &Vip, b: &Vip) -> bool {
    a.ifindex == b.ifindex && a.addr == b.addr && a.prefix == b.prefix
}

/// From the panic hook: deletes every VIP still held, best-effort and synchronously; returns
/// how many the kernel confirmed. Nothing with `-V`, in another process, or when the registry
/// is busy.
pub fn release_all() -> usize {
    if KEEP.load(Ordering::Relaxed) || OWNER.load(Ordering::Relaxed) != std::process::id() {
        return 0;
    }
    let vips = match HELD.try_lock() {
        Ok(held) => held.clone(),
        Err(TryLockError::Poisoned(p)) => p.into_inner().clone(),
        Err(TryLockError::WouldBlock) => return 0,
    };
    crate::sys::netlink_release::delete_now(&vips)
}
