//! The supervised process runner for `vrrp_script` and notify scripts
//! (docs/keepalived-compat.md#running-scripts, docs/keepalived-compat.md#vrrp_script-keywords; field-notes.md items 4 and 5).
//!
//! # What a run looks like
//!
//! * The command string is split with keepalived's rules ([`crate::config::command::split_command`]);
//!   a program without `/` is looked up in `PATH`, then `realpath()`ed, and that path is
//!   also `argv[0]` (keepalived shows `/bin/true` as `/usr/bin/true`). It is exec'd directly:
//!   no shell (`/bin/echo a | /bin/false` passes `|` as an argument).
//! * The child gets its own process group (`setpgid(0, 0)`), the parent-death signal
//!   SIGTERM, default signal dispositions and an empty signal mask, stdin/stdout/stderr on
//!   `/dev/null`, no other inherited descriptor, the daemon's environment without loader,
//!   shell start-up and systemd variables ([`DROPPED_ENV`]), and the run-as identity (`setgroups`, `setgid`, `setuid`; the group list is
//!   computed before `fork`, because `initgroups` is not async-signal-safe).
//! * On timeout the whole process group gets SIGTERM; if the script is still there after the
//!   grace period (keepalived: 2 s, a parameter here) the group gets SIGKILL. Once the
//!   script itself has ended, the group gets a final SIGKILL so nothing that ignored
//!   SIGTERM survives a timed-out run. A script that ends on its own is not touched
//!   further: what it deliberately left running in the background stays (keepalived does
//!   the same; notify scripts start services).
//!
//! # Reaping: no zombies
//!
//! One process-wide reaper thread owns `waitpid(-1)`. It is started by the first spawn,
//! which also makes vrrpd a child subreaper (`PR_SET_CHILD_SUBREAPER`): the grandchildren a
//! script leaves behind (the `sleep` of `sh -c 'sleep 100 & sleep 100'`) are re-parented
//! to vrrpd instead of init when their parent dies, and the reaper collects them too. This
//! matters in containers, where pid 1 often reaps nothing. The exit status of our own
//! children goes to their waiter; anything else is reaped and counted
//! ([`orphans_reaped`]).
//!
//! **Consequence:** nothing else in a process that uses this module may wait for children
//! (`std::process::Command::status/output`, `tokio::process`): the reaper would take their
//! exit status. vrrpd starts every process through this module.
//!
//! Spawning happens on the calling thread, and the parent-death signal is tied to that
//! thread: call [`spawn`] from a long-lived thread (the daemon's runtime thread), not from
//! a `spawn_blocking` worker that may exit.

use std::collections::HashMap;
use std::ffi::{CString, OsStr};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::config::command::split_command;
use crate::track::ScriptOutcome;

/// keepalived's delay between SIGTERM and SIGKILL for a timed-out script (docs/keepalived-compat.md#vrrp_script-keywords).
pub const KILL_GRACE: Duration = Duration::from_secs(2);

/// The default script user when `script_user` is not set (docs/keepalived-compat.md#global_defs-keywords).
pub const DEFAULT_SCRIPT_USER: &str = "keepalived_script";

/// keepalived's line when scripts run without `enable_script_security` and one of them is
/// unsafe (docs/keepalived-compat.md#log-lines line 30).
pub const SECURITY_VIOLATION: &str =
    "SECURITY VIOLATION - scripts are being executed but script_security not enabled.";

/// Variables a script never inherits from the daemon. keepalived removes `IFS`,
/// `LD_PRELOAD` and `LD_LIBRARY_PATH` before exec; vrrpd also drops every other dynamic
/// loader variable (`LD_*`), the shell start-up and path variables that run or find code
/// (`BASH_ENV`, `ENV`, `CDPATH`), glibc's module path (`GCONV_PATH`), and systemd's
/// per-process protocol variables, which name the daemon's own notify socket, sockets and
/// watchdog and must not be used by a script in its name.
const DROPPED_ENV: &[&str] = &[
    "IFS",
    "BASH_ENV",
    "ENV",
    "CDPATH",
    "GCONV_PATH",
    "NOTIFY_SOCKET",
    "LISTEN_PID",
    "LISTEN_FDS",
    "LISTEN_FDNAMES",
    "WATCHDOG_PID",
    "WATCHDOG_USEC",
];

/// Whether variable `name` is kept in a script's environment.
fn keeps_env(name: &[u8]) -> bool {
    !name.starts_with(b"LD_") && !DROPPED_ENV.iter().any(|d| d.as_bytes() == name)
}

/// The environment scripts get: the daemon's, without [`DROPPED_ENV`] and `LD_*`.
fn script_env() -> Vec<CString> {
    std::env::vars_os()
        .filter(|(k, _)| keeps_env(k.as_bytes()))
        .filter_map(|(k, v)| {
            let mut kv = k.into_vec();
            kv.push(b'=');
            kv.extend_from_slice(v.as_bytes());
            CString::new(kv).ok()
        })
        .collect()
}

/// The `PATH` used when the environment has none (glibc's default for `execvp`).
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Why a command cannot be run at all. Each `Display` is one log line.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error("cannot split command `{cmd}`: {why}")]
    Split {
        cmd: String,
        why: crate::config::command::SplitError,
    },
    /// Not found in `PATH` / not a file / not executable (keepalived then disables the
    /// script: `Disabling track script X since not found/accessible`).
    #[error("script `{cmd}` not found or not executable")]
    NotFound { cmd: String },
    /// `enable_script_security` and the file or a directory above it is writable by someone
    /// other than root (or the run-as user).
    #[error("Unsafe permissions found for script '{path}' - disabling ({why}).")]
    Insecure { path: String, why: String },
    #[error("Script user '{user}' does not exist")]
    NoUser { user: String },
    #[error("Script group '{group}' does not exist")]
    NoGroup { group: String },
    /// `enable_script_security` without a usable default user (docs/keepalived-compat.md#global_defs-keywords).
    #[error("Unable to set default user {DEFAULT_SCRIPT_USER} for script {cmd}")]
    NoDefaultUser { cmd: String },
    #[error("a command word contains a NUL byte")]
    Nul,
}

/// Who a script runs as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub user: String,
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups (the user's group list, computed before fork).
    pub groups: Vec<u32>,
}

impl Identity {
    /// The daemon's own identity (normally root).
    pub fn current() -> Identity {
        let uid = nix::unistd::geteuid().as_raw();
        Identity {
            user: nix::unistd::User::from_uid(uid.into())
                .ok()
                .flatten()
                .map(|u| u.name)
                .unwrap_or_else(|| uid.to_string()),
            uid,
            gid: nix::unistd::getegid().as_raw(),
            groups: nix::unistd::getgroups()
                .map(|g| g.into_iter().map(|g| g.as_raw()).collect())
                .unwrap_or_default(),
        }
    }

    /// `USER [GROUP]`: the user's primary group unless GROUP is given, plus its group list.
    pub fn lookup(user: &str, group: Option<&str>) -> Result<Identity, PrepareError> {
        let u = nix::unistd::User::from_name(user)
            .ok()
            .flatten()
            .ok_or_else(|| PrepareError::NoUser { user: user.into() })?;
        let gid = match group {
            Some(g) => {
                nix::unistd::Group::from_name(g)
                    .ok()
                    .flatten()
                    .ok_or_else(|| PrepareError::NoGroup { group: g.into() })?
                    .gid
            }
            None => u.gid,
        };
        let cname = CString::new(user).map_err(|_| PrepareError::Nul)?;
        let groups = nix::unistd::getgrouplist(&cname, gid)
            .map(|g| g.into_iter().map(|g| g.as_raw()).collect())
            .unwrap_or_else(|_| vec![gid.as_raw()]);
        Ok(Identity {
            user: user.into(),
            uid: u.uid.as_raw(),
            gid: gid.as_raw(),
            groups,
        })
    }
}

/// The default identity of scripts without their own `user` (docs/keepalived-compat.md#global_defs-keywords):
/// `script_user USER [GROUP]` if set, else `keepalived_script` if that user exists, else the
/// daemon's own identity. The second value is the line to log, if any
/// (`Script user 'keepalived_script' does not exist`).
pub fn default_identity(script_user: Option<(&str, Option<&str>)>) -> (Identity, Option<String>) {
    match script_user {
        Some((user, group)) => match Identity::lookup(user, group) {
            Ok(id) => (id, None),
            Err(e) => (Identity::current(), Some(e.to_string())),
        },
        None => match Identity::lookup(DEFAULT_SCRIPT_USER, None) {
            Ok(id) => (id, None),
            Err(e) => (Identity::current(), Some(e.to_string())),
        },
    }
}

/// The global script settings (docs/keepalived-compat.md#global_defs-keywords): `script_user`,
/// `enable_script_security`, and what became of the default user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptDefaults {
    /// Who scripts without their own `user` run as.
    pub identity: Identity,
    /// The default user could not be found (`Script user 'keepalived_script' does not
    /// exist`): log this line once when any script is configured.
    pub missing_user: Option<String>,
    /// `enable_script_security`.
    pub security: bool,
}

/// `USER [GROUP]`: whom a command runs as (`script_user`, a `vrrp_script`'s `user`, the
/// words after a notify command).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunAs {
    pub user: String,
    pub group: Option<String>,
}

impl RunAs {
    fn pair(&self) -> (&str, Option<&str>) {
        (self.user.as_str(), self.group.as_deref())
    }
}

/// A command as configured: the command line (split by keepalived's rules when prepared)
/// and whom it runs as, when not the default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandSpec {
    pub cmd: String,
    pub user: Option<RunAs>,
}

/// The global script settings as configured (docs/keepalived-compat.md#global_defs-keywords);
/// [`ScriptDefaults::resolve`] looks the user up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DefaultsSpec {
    /// `script_user USER [GROUP]`.
    pub script_user: Option<RunAs>,
    /// `enable_script_security`.
    pub security: bool,
}

impl ScriptDefaults {
    /// Looks up the default identity of `spec` (the configured `script_user`, else
    /// `keepalived_script`, else the current user with a line to log).
    pub fn resolve(spec: &DefaultsSpec) -> ScriptDefaults {
        let (identity, missing_user) = default_identity(spec.script_user.as_ref().map(RunAs::pair));
        ScriptDefaults {
            identity,
            missing_user,
            security: spec.security,
        }
    }

    /// [`ScriptDefaults::prepare`] for a configured command.
    pub fn prepare_command(&self, c: &CommandSpec) -> Result<Prepared, PrepareError> {
        self.prepare(&c.cmd, c.user.as_ref().map(RunAs::pair))
    }

    /// Prepares `cmd` to run as `user [group]`, else as the default identity. With script
    /// security on and no default user, a script without its own user is refused
    /// (keepalived: `Unable to set default user keepalived_script for script`).
    pub fn prepare(
        &self,
        cmd: &str,
        user: Option<(&str, Option<&str>)>,
    ) -> Result<Prepared, PrepareError> {
        let identity = match user {
            Some((u, g)) => Identity::lookup(u, g)?,
            None if self.security && self.missing_user.is_some() => {
                return Err(PrepareError::NoDefaultUser { cmd: cmd.into() })
            }
            None => self.identity.clone(),
        };
        prepare(cmd, &identity, self.security)
    }
}

/// A command ready to run: split, resolved, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prepared {
    /// The resolved program (`realpath`), also `argv[0]`.
    pub path: PathBuf,
    pub argv: Vec<String>,
    pub identity: Identity,
    /// The file or a directory above it is writable by someone other than root or the
    /// run-as user. With `enable_script_security` such a command is refused; without it the
    /// daemon logs [`SECURITY_VIOLATION`] once.
    pub insecure: bool,
}

impl Prepared {
    /// The same command with `extra` arguments appended (generic `notify`:
    /// `INSTANCE NAME STATE PRIO`, docs/keepalived-compat.md#notifications).
    pub fn with_args<I, S>(&self, extra: I) -> Prepared
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut p = self.clone();
        p.argv.extend(extra.into_iter().map(Into::into));
        p
    }
}

/// Splits, resolves and checks `cmd` for running as `identity` (docs/keepalived-compat.md#running-scripts). With `security`
/// (`enable_script_security`) an unsafe script is refused.
pub fn prepare(cmd: &str, identity: &Identity, security: bool) -> Result<Prepared, PrepareError> {
    let mut argv = split_command(cmd).map_err(|why| PrepareError::Split {
        cmd: cmd.into(),
        why,
    })?;
    let first = argv.first().cloned().unwrap_or_default();
    let path = resolve(&first).ok_or_else(|| PrepareError::NotFound { cmd: first.clone() })?;
    if let Some(a0) = argv.first_mut() {
        *a0 = path.to_string_lossy().into_owned();
    }
    let insecure = insecure_reason(&path, identity.uid);
    if let (true, Some(why)) = (security, &insecure) {
        return Err(PrepareError::Insecure {
            path: path.display().to_string(),
            why: why.clone(),
        });
    }
    Ok(Prepared {
        path,
        argv,
        identity: identity.clone(),
        insecure: insecure.is_some(),
    })
}

/// `PATH` lookup for a name without `/`, then `realpath`; `None` unless the result is an
/// executable regular file.
pub fn resolve(program: &str) -> Option<PathBuf> {
    let candidate = if program.contains('/') {
        PathBuf::from(program)
    } else {
        let path = std::env::var_os("PATH").unwrap_or_else(|| DEFAULT_PATH.into());
        std::env::split_paths(&path)
            .map(|d| d.join(program))
            .find(|p| is_executable(p))?
    };
    let real = std::fs::canonicalize(candidate).ok()?;
    is_executable(&real).then_some(real)
}

fn is_executable(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// keepalived's script security check (docs/keepalived-compat.md#global_defs-keywords `enable_script_security`): the file and every
/// directory above it must be owned by root (or the run-as user), not group-writable unless
/// the group is root, and not world-writable. Returns what is wrong.
pub fn insecure_reason(path: &Path, run_uid: u32) -> Option<String> {
    for p in path.ancestors() {
        if p.as_os_str().is_empty() {
            continue;
        }
        let Ok(m) = std::fs::metadata(p) else {
            return Some(format!("cannot stat {}", p.display()));
        };
        let mode = m.mode();
        if m.uid() != 0 && m.uid() != run_uid {
            return Some(format!("{} is owned by uid {}", p.display(), m.uid()));
        }
        if mode & 0o002 != 0 {
            return Some(format!("{} is world-writable", p.display()));
        }
        if mode & 0o020 != 0 && m.gid() != 0 {
            return Some(format!("{} is writable by group {}", p.display(), m.gid()));
        }
    }
    None
}

// ===== the reaper =====

struct Reaper {
    state: Mutex<ReaperState>,
    wake: Condvar,
}

#[derive(Default)]
struct ReaperState {
    /// Our direct children and who waits for their raw wait status.
    waiting: HashMap<i32, oneshot::Sender<i32>>,
    /// Bumped by every spawn, so a reaper that saw ECHILD knows there is work again.
    generation: u64,
    orphans: u64,
}

static REAPER: OnceLock<Result<Reaper, String>> = OnceLock::new();

fn reaper() -> io::Result<&'static Reaper> {
    let r = REAPER.get_or_init(|| {
        // Orphaned grandchildren come to us, not to init (see the module doc).
        if let Err(e) = nix::sys::prctl::set_child_subreaper(true) {
            tracing::warn!("cannot become a child subreaper: {e}");
        }
        std::thread::Builder::new()
            .name("vrrpd-reaper".into())
            .spawn(reap_forever)
            .map_err(|e| e.to_string())?;
        Ok(Reaper {
            state: Mutex::new(ReaperState::default()),
            wake: Condvar::new(),
        })
    });
    r.as_ref().map_err(|e| io::Error::other(e.clone()))
}

fn reap_forever() {
    // The OnceLock is being initialised by our creator; wait until it is.
    let r = loop {
        match REAPER.get() {
            Some(Ok(r)) => break r,
            Some(Err(_)) => return,
            None => std::thread::sleep(Duration::from_millis(1)),
        }
    };
    loop {
        let seen = match r.state.lock() {
            Ok(s) => s.generation,
            Err(_) => return,
        };
        let mut status: libc::c_int = 0;
        // SAFETY: plain syscall with a valid out-pointer.
        let pid = unsafe { libc::waitpid(-1, &mut status, 0) };
        if pid > 0 {
            let Ok(mut s) = r.state.lock() else { return };
            match s.waiting.remove(&pid) {
                Some(tx) => {
                    let _ = tx.send(status);
                }
                None => s.orphans += 1,
            }
            continue;
        }
        match io::Error::last_os_error().raw_os_error() {
            Some(libc::EINTR) => {}
            Some(libc::ECHILD) => {
                let Ok(mut s) = r.state.lock() else { return };
                while s.generation == seen {
                    s = match r.wake.wait(s) {
                        Ok(s) => s,
                        Err(_) => return,
                    };
                }
            }
            _ => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Number of processes reaped that were not our direct children (re-parented orphans).
pub fn orphans_reaped() -> u64 {
    reaper()
        .ok()
        .and_then(|r| r.state.lock().ok().map(|s| s.orphans))
        .unwrap_or(0)
}

// ===== spawning =====

/// A started script.
#[derive(Debug)]
pub struct Running {
    pid: i32,
    status: oneshot::Receiver<i32>,
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
    };
    let (tx, rx) = oneshot::channel();
    let pid = {
        let mut s = r
            .state
            .lock()
            .map_err(|_| io::Error::other("script reaper poisoned"))?;
        // SAFETY: the child only runs `child_exec`, which makes async-signal-safe calls on
        // memory prepared above, and never returns.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            child_exec(&plan);
        }
        if pid < 0 {
            return Err(io::Error::last_os_error());
        }
        s.waiting.insert(pid, tx);
        s.generation += 1;
        r.wake.notify_all();
        pid
    };
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
        close_from(3, plan.err_fd);
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

/// Closes every descriptor >= `first` except `keep` (close_range, async-signal-safe).
unsafe fn close_from(first: libc::c_int, keep: libc::c_int) {
    let close_range = |lo: libc::c_int, hi: libc::c_uint| {
        if lo as libc::c_uint > hi {
            return;
        }
        if libc::syscall(
            libc::SYS_close_range,
            lo as libc::c_uint,
            hi,
            0 as libc::c_uint,
        ) != 0
        {
            // Kernels before 5.9: close one by one up to a sane bound.
            let mut fd = lo;
            while fd as libc::c_uint <= hi.min(65535) {
                libc::close(fd);
                fd += 1;
            }
        }
    };
    if keep >= first {
        close_range(first, (keep - 1) as libc::c_uint);
        close_range(keep + 1, libc::c_uint::MAX);
    } else {
        close_range(first, libc::c_uint::MAX);
    }
}

/// Sends `sig` to process group `pgid`; a vanished group is fine.
fn kill_group(pgid: i32, sig: libc::c_int) {
    // SAFETY: plain syscall.
    unsafe {
        libc::kill(-pgid, sig);
    }
}

fn outcome_of(status: i32) -> ScriptOutcome {
    if libc::WIFEXITED(status) {
        ScriptOutcome::Exited(libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        ScriptOutcome::Signaled(libc::WTERMSIG(status))
    } else {
        ScriptOutcome::Exited(status)
    }
}

impl Running {
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Waits for the script. After `timeout` its process group gets SIGTERM, after `grace`
    /// more SIGKILL; the result is then [`ScriptOutcome::TimedOut`]. Returns only once the
    /// script itself has been reaped.
    pub async fn wait(mut self, timeout: Duration, grace: Duration) -> ScriptOutcome {
        match tokio::time::timeout(timeout, &mut self.status).await {
            Ok(Ok(status)) => return outcome_of(status),
            Ok(Err(_)) => return ScriptOutcome::SpawnFailed("the reaper is gone".into()),
            Err(_) => {}
        }
        kill_group(self.pid, libc::SIGTERM);
        if tokio::time::timeout(grace, &mut self.status).await.is_err() {
            kill_group(self.pid, libc::SIGKILL);
            let _ = (&mut self.status).await;
        }
        // Group members that ignored SIGTERM do not outlive a timed-out run.
        kill_group(self.pid, libc::SIGKILL);
        ScriptOutcome::TimedOut
    }
}

/// Starts `p` and waits for it (see [`Running::wait`]); spawn errors become
/// [`ScriptOutcome::SpawnFailed`].
pub async fn run(p: &Prepared, timeout: Duration, grace: Duration) -> ScriptOutcome {
    match spawn(p) {
        Ok(r) => r.wait(timeout, grace).await,
        Err(e) => ScriptOutcome::SpawnFailed(format!("{}: {e}", p.path.display())),
    }
}

/// Logs the end of a run: keepalived's wording where it has one.
pub fn log_outcome(what: &str, outcome: &ScriptOutcome) {
    match outcome {
        ScriptOutcome::Exited(0) => tracing::debug!("{what} exited with status 0"),
        ScriptOutcome::Exited(n) => tracing::info!("{what} exited with status {n}"),
        ScriptOutcome::Signaled(s) => tracing::info!("{what} exited due to signal {s}"),
        ScriptOutcome::TimedOut => tracing::warn!("{what} timed out; its process group was killed"),
        ScriptOutcome::SpawnFailed(why) => tracing::error!("{what} could not be run: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_through_path_and_realpath() {
        let p = resolve("true").expect("true in PATH");
        assert!(p.is_absolute());
        assert_eq!(p, std::fs::canonicalize("/bin/true").unwrap());
        assert!(resolve("/nonexistent/x").is_none());
        assert!(resolve("/etc/passwd").is_none(), "not executable");
        assert!(resolve("/etc").is_none(), "a directory");
    }

    #[test]
    fn prepare_splits_and_rewrites_argv0() {
        let me = Identity::current();
        let p = prepare("/bin/echo 'x y' \"q\" z", &me, false).unwrap();
        assert_eq!(p.argv[1..], ["x y", "q", "z"]);
        assert_eq!(
            PathBuf::from(&p.argv[0]),
            std::fs::canonicalize("/bin/echo").unwrap()
        );
        let g = p.with_args(["INSTANCE", "VI_1", "MASTER", "100"]);
        assert_eq!(g.argv.len(), 8);
        assert!(matches!(
            prepare("nosuchprogram-xyz", &me, false),
            Err(PrepareError::NotFound { .. })
        ));
        assert!(matches!(
            prepare("'x", &me, false),
            Err(PrepareError::Split { .. })
        ));
    }

    #[test]
    fn system_binaries_are_secure() {
        assert_eq!(insecure_reason(&resolve("true").unwrap(), 0), None);
    }

    #[test]
    fn unknown_users_are_reported_in_keepalived_words() {
        let e = Identity::lookup("no-such-user-vrrpd", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Script user 'no-such-user-vrrpd' does not exist"
        );
        let root = Identity::lookup("root", None).unwrap();
        assert_eq!((root.uid, root.gid), (0, 0));
        let (_, line) = default_identity(Some(("no-such-user-vrrpd", None)));
        assert!(line.is_some());
    }
}
