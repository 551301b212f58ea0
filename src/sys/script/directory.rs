//! User and group lookups answered off the runtime thread.
//!
//! `getpwnam`/`getgrnam`/`getgrouplist` go through NSS, which may ask LDAP or SSSD over the
//! network and take seconds. The daemon's loop has one thread, so it must not make them: the
//! configuration loader resolves every user and group a plan names on its blocking thread
//! ([`prefetch`]), and [`super::Identity::lookup`] answers from here when it can. A name the
//! plan did not list (or a lookup before any plan) is still resolved directly.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::identity::{lookup_now, Identity};
use super::prepare::PrepareError;

/// `USER [GROUP]` as written.
type Key = (String, Option<String>);

/// What a lookup found, kept in a form that can be handed out again.
#[derive(Clone, Debug)]
enum Answer {
    Found(Identity),
    NoUser,
    NoGroup(String),
}

/// The answers of the last [`prefetch`] (each replaces the previous set, so a user removed
/// from the system is not remembered across reloads).
static ANSWERS: Mutex<BTreeMap<Key, Answer>> = Mutex::new(BTreeMap::new());

/// Resolves every `(user, group)` in `names` now (blocking: call it off the loop) and keeps
/// the answers for [`super::Identity::lookup`].
pub fn prefetch(names: impl IntoIterator<Item = (String, Option<String>)>) {
    prefetch_with(names, lookup_now);
}

/// [`prefetch`] with the resolver given (tests answer for users that do not exist).
pub fn prefetch_with(
    names: impl IntoIterator<Item = (String, Option<String>)>,
    resolve: impl Fn(&str, Option<&str>) -> Result<Identity, PrepareError>,
) {
    let mut fresh = BTreeMap::new();
    for (user, group) in names {
        if fresh.contains_key(&(user.clone(), group.clone())) {
            continue;
        }
        let answer = match resolve(&user, group.as_deref()) {
            Ok(id) => Answer::Found(id),
            Err(PrepareError::NoGroup { group }) => Answer::NoGroup(group),
            Err(_) => Answer::NoUser,
        };
        fresh.insert((user, group), answer);
    }
    if let Ok(mut answers) = ANSWERS.lock() {
        *answers = fresh;
    }
}

/// The prefetched answer for `user [group]`, if there is one.
pub(super) fn cached(user: &str, group: Option<&str>) -> Option<Result<Identity, PrepareError>> {
    let answers = ANSWERS.lock().ok()?;
    let answer = answers.get(&(user.to_string(), group.map(str::to_string)))?;
    Some(match answer {
        Answer::Found(id) => Ok(id.clone()),
        Answer::NoUser => Err(PrepareError::NoUser { user: user.into() }),
        Answer::NoGroup(g) => Err(PrepareError::NoGroup { group: g.clone() }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_answer_from_the_prefetched_set() {
        let ghost = "vrrpd-ghost-user-prefetch";
        prefetch_with(
            [
                (ghost.to_string(), None),
                ("vrrpd-ghost-missing".to_string(), None),
                (ghost.to_string(), Some("vrrpd-ghost-group".to_string())),
            ],
            |u, g| match (u, g) {
                (u, None) if u == ghost => Ok(Identity {
                    user: u.into(),
                    uid: 4242,
                    gid: 4343,
                    groups: vec![4343],
                }),
                (_, Some(g)) => Err(PrepareError::NoGroup { group: g.into() }),
                (u, None) => Err(PrepareError::NoUser { user: u.into() }),
            },
        );
        // No NSS call: this user exists only in the prefetched answers.
        let id = Identity::lookup(ghost, None).unwrap();
        assert_eq!((id.uid, id.gid), (4242, 4343));
        assert!(matches!(
            Identity::lookup("vrrpd-ghost-missing", None),
            Err(PrepareError::NoUser { .. })
        ));
        assert!(matches!(
            Identity::lookup(ghost, Some("vrrpd-ghost-group")),
            Err(PrepareError::NoGroup { .. })
        ));
        // A name not prefetched is resolved directly.
        assert_eq!(Identity::lookup("root", None).unwrap().uid, 0);
        prefetch_with(Vec::new(), |u, _| {
            Err(PrepareError::NoUser { user: u.into() })
        });
        assert!(Identity::lookup(ghost, None).is_err());
    }
}
