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
//!   shell start-up and systemd variables (`DROPPED_ENV` in `env.rs`), and the run-as identity (`setgroups`, `setgid`, `setuid`; the group list is
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
//! thread: call [`spawn()`] from a long-lived thread (the daemon's runtime thread), not from
//! a `spawn_blocking` worker that may exit.
//!
//! # Where things are
//!
//! * `identity.rs`: who a script runs as (`script_user`, a script's own `user`, the default
//!   `keepalived_script`) and the global script settings.
//! * `prepare.rs`: from a command line to a checked [`Prepared`] command (splitting, `PATH`
//!   lookup, `enable_script_security`).
//! * `env.rs`: the environment a script gets.
//! * `reaper.rs`: the process-wide `waitpid(-1)` thread.
//! * `spawn.rs`: `fork`/`exec` and what the child sets up before `exec`.
//! * `outcome.rs`: waiting, the timeout's kill sequence, the outcome and its log line.

use std::time::Duration;

mod close_fds;
mod directory;
mod env;
mod identity;
mod outcome;
mod prepare;
mod reaper;
mod spawn;

pub use directory::{prefetch, prefetch_with};
pub use identity::{
    default_identity, CommandSpec, DefaultsSpec, Identity, RunAs, ScriptDefaults,
    DEFAULT_SCRIPT_USER,
};
pub use outcome::{log_outcome, run};
pub use prepare::{insecure_reason, prepare, resolve, PrepareError, Prepared, SECURITY_VIOLATION};
pub use reaper::orphans_reaped;
pub use spawn::{spawn, Running};

/// keepalived's delay between SIGTERM and SIGKILL for a timed-out script (docs/keepalived-compat.md#vrrp_script-keywords).
pub const KILL_GRACE: Duration = Duration::from_secs(2);
