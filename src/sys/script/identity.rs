//! Who a script runs as: the user and group lookup (done before `fork`, because
//! `initgroups` is not async-signal-safe), the default script user and the global script
//! settings (docs/keepalived-compat.md#global_defs-keywords).

use std::ffi::CString;

use super::prepare::{prepare, PrepareError, Prepared};

/// The default script user when `script_user` is not set (docs/keepalived-compat.md#global_defs-keywords).
pub const DEFAULT_SCRIPT_USER: &str = "keepalived_script";

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
    /// The daemon's own identity (normally root), looked up once per process: its name
    /// comes from NSS, which the loop must not wait for on every reload.
    pub fn current() -> Identity {
        static CURRENT: std::sync::OnceLock<Identity> = std::sync::OnceLock::new();
        CURRENT.get_or_init(Identity::now).clone()
    }

    fn now() -> Identity {
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
    /// Answered from the loader's prefetched lookups when the plan named this user
    /// (`directory.rs`: NSS may block), else resolved now.
    pub fn lookup(user: &str, group: Option<&str>) -> Result<Identity, PrepareError> {
        if let Some(answer) = super::directory::cached(user, group) {
            return answer;
        }
        lookup_now(user, group)
    }
}

/// [`Identity::lookup`] through NSS, now (may block).
pub(super) fn lookup_now(user: &str, group: Option<&str>) -> Result<Identity, PrepareError> {
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

#[cfg(test)]
mod tests {
    use super::*;
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
