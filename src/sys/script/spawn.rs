//! Starting a script: everything the child needs is built before `fork`; the child then
//! makes only async-signal-safe calls (process group, parent-death signal, signal
//! dispositions, descriptors, identity) and `exec`s.

use std::ffi::{CString, OsStr};
use std::io;
use std::os::unix::ffi::OsStrExt;

use tokio::sync::oneshot;

use super::close_fds::{close_bound, close_from};
use super::env::script_env;
use super::prepare::Prepared;
use super::reaper::reaper;

/// A started script.
#[derive(Debug)]
pub struct Running {
    pub(super) pid: i32,
    /// The raw wait status, from the reaper.
    pub(super) status: oneshot::Receiver<i32>,
}

/// Everything the child needs, allocated before `fork` (only async-signal-safe calls after).
struct ChildPlan {
    path: CString,
    /// Owns the strings `argv_ptrs` points into.
    _argv: Vec<CString>,
    argv_ptrs: Vec<*const libc::c_char>,
    /// Owns the strings `env_ptrs` points into.
    _env: Vec<CString>,
    env_ptrs: Vec<*const libc::c_char>,
    uid: libc::uid_t,
    gid: libc::gid_t,
    groups: Vec<libc::gid_t>,
    switch_user: bool,
    parent: libc::pid_t,
    devnull: libc::c_int,
    err_fd: libc::c_int,
    /// Whether `close_range` exists (probed once), and the last descriptor number worth
    /// closing without it (close_fds.rs).
    close_range: bool,
    close_bound: libc::c_uint,
}

fn cstring(s: &OsStr) -> io::Result<CString> {
    CString::new(s.as_bytes()).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL byte"))
}

/// Starts `p` (see the module doc for what the child gets). `Err` when fork, the identity
/// switch or exec failed; the failed child is reaped.
pub fn spawn(p: &Prepared) -> io::Result<Running> {
    let r = reaper()?;
    let path = cstring(p.path.as_os_str())?;
    let argv: Vec<CString> = p
        .argv
        .iter()
        .map(|a| cstring(OsStr::new(a)))
        .collect::<io::Result<_>>()?;
    let mut argv_ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());
    let env = script_env();
    let mut env_ptrs: Vec<*const libc::c_char> = env.iter().map(|e| e.as_ptr()).collect();
    env_ptrs.push(std::ptr::null());
    let devnull = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    let (err_read, err_write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| io::Error::from_raw_os_error(e as i32))?;
    use std::os::fd::AsRawFd;
    let my_groups: Vec<u32> = nix::unistd::getgroups()
        .map(|g| g.into_iter().map(|g| g.as_raw()).collect())
        .unwrap_or_default();
    let plan = ChildPlan {
        path,
        _argv: argv,
        argv_ptrs,
        _env: env,
        env_ptrs,
        uid: p.identity.uid,
        gid: p.identity.gid,
        groups: p.identity.groups.clone(),
        switch_user: p.identity.uid != nix::unistd::geteuid().as_raw()
            || p.identity.gid != nix::unistd::getegid().as_raw()
            || p.identity.groups != my_groups,
        // SAFETY: getpid has no preconditions.
        parent: unsafe { libc::getpid() },
        devnull: devnull.as_raw_fd(),
        err_fd: err_write.as_raw_fd(),
        close_range: crate::sys::kernel_floor::facilities().close_range,
        close_bound: close_bound(),
    };
    // SAFETY: the child only runs `child_exec`, which makes async-signal-safe calls on
    // memory prepared above, and never returns.
    let (pid, rx) = unsafe { r.fork_watched(|| child_exec(&plan))? };
    drop(err_write);
    drop(devnull);
    // exec closes the CLOEXEC write end: EOF means success; 4 bytes are the child's errno.
    let mut buf = [0u8; 4];
    let mut got = 0;
    loop {
        match nix::unistd::read(&err_read, buf.get_mut(got..).unwrap_or(&mut [])) {
            Ok(0) => break,
            Ok(n) => {
                got += n;
                if got >= buf.len() {
                    break;
                }
            }
            Err(nix::errno::Errno::EINTR) => {}
            Err(_) => break,
        }
    }
    let running = Running { pid, status: rx };
    if got == buf.len() {
        // The child exits 127 and the reaper collects it; nobody waits for the status.
        return Err(io::Error::from_raw_os_error(i32::from_ne_bytes(buf)));
    }
    Ok(running)
}

/// The child side: never returns.
fn child_exec(plan: &ChildPlan) -> ! {
    // SAFETY (whole function): only async-signal-safe libc calls on pre-built data.
    unsafe {
        let fail = |fd: libc::c_int| -> ! {
            let e = *libc::__errno_location();
            let b = e.to_ne_bytes();
            libc::write(fd, b.as_ptr().cast(), b.len());
            libc::_exit(127)
        };
        if libc::setpgid(0, 0) != 0 {
            fail(plan.err_fd);
        }
        libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGTERM as libc::c_ulong,
            0,
            0,
            0,
        );
        if libc::getppid() != plan.parent {
            libc::_exit(127);
        }
        // Default dispositions (Rust ignores SIGPIPE) and an empty mask.
        // (glibc refuses 32 and 33, its own; they stay as inherited.)
        for sig in 1..=libc::SIGRTMAX() {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::signal(sig, libc::SIG_DFL);
            }
        }
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
        for fd in 0..3 {
            if libc::dup2(plan.devnull, fd) < 0 {
                fail(plan.err_fd);
            }
        }
        // Descriptors the daemon inherited without CLOEXEC (jobserver pipes, systemd fds)
        // are not the script's business; only the error pipe stays until exec closes it.
        close_from(3, plan.err_fd, plan.close_bound, plan.close_range);
        // Scripts run at normal priority whatever `vrrp_rt_priority` & co. did to the loop.
        crate::sys::realtime::reset_in_child();
        if plan.switch_user
            && (libc::setgroups(plan.groups.len(), plan.groups.as_ptr()) != 0
                || libc::setgid(plan.gid) != 0
                || libc::setuid(plan.uid) != 0)
        {
            fail(plan.err_fd);
        }
        libc::execve(
            plan.path.as_ptr(),
            plan.argv_ptrs.as_ptr(),
            plan.env_ptrs.as_ptr(),
        );
        fail(plan.err_fd)
    }
}
