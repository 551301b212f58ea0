//! From a configured command line to a command ready to run: keepalived's splitting, the
//! `PATH` lookup and `realpath`, and the `enable_script_security` check
//! (docs/keepalived-compat.md#running-scripts).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::identity::{Identity, DEFAULT_SCRIPT_USER};
use crate::config::command::split_command;

/// keepalived's line when scripts run without `enable_script_security` and one of them is
/// unsafe (docs/keepalived-compat.md#log-lines line 30).
pub const SECURITY_VIOLATION: &str =
    "SECURITY VIOLATION - scripts are being executed but script_security not enabled.";

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
}
