//! The `users` capability: check credentials and look users up in the app's user store
//! (the basic-auth app's database). The operator must grant it (`grants = ["users"]`);
//! a plugin that calls these functions without the grant is refused at load time.
//!
//! Off-wasm (in a plugin's unit tests) the store is a per-thread map set with
//! [`set_for_test`].

use crate::prelude::*;

/// A user of the store. The password hash never leaves the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Database id.
    pub id: i64,
    /// Username (case-sensitive).
    pub username: String,
    /// MLflow admin flag.
    pub is_admin: bool,
}

/// Checks `username` and `password`; `None` for an unknown user or a wrong password
/// (indistinguishable, same cost). The host caches successful checks.
pub fn verify(username: &str, password: &str) -> Option<User> {
    imp::verify(username, password)
}

/// Checks a personal access token on its own (for example an `Authorization: Bearer`
/// token): the user it belongs to, or `None` when it is malformed, unknown, expired or
/// revoked. ([`verify`] also accepts a user's token in place of the password.)
pub fn verify_token(token: &str) -> Option<User> {
    imp::verify_token(token)
}

/// Looks a user up by name.
pub fn get(username: &str) -> Option<User> {
    imp::get(username)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::User;
    use crate::wit::users;

    fn convert(u: users::User) -> User {
        User {
            id: u.id,
            username: u.username,
            is_admin: u.is_admin,
        }
    }

    pub(super) fn verify(username: &str, password: &str) -> Option<User> {
        users::verify(username, password).map(convert)
    }

    pub(super) fn verify_token(token: &str) -> Option<User> {
        users::verify_token(token).map(convert)
    }

    pub(super) fn get(username: &str) -> Option<User> {
        users::get(username).map(convert)
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub use imp::{set_for_test, set_token_for_test};

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    use super::User;

    thread_local! {
        static USERS: RefCell<BTreeMap<String, (String, User)>> = const { RefCell::new(BTreeMap::new()) };
        static TOKENS: RefCell<BTreeMap<String, User>> = const { RefCell::new(BTreeMap::new()) };
    }

    /// Adds an access token of `user` for the current thread (accepted by `verify_token`
    /// and, with the user's name, by `verify`). Only available off-wasm.
    pub fn set_token_for_test(token: &str, user: User) {
        TOKENS.with_borrow_mut(|tokens| tokens.insert(token.to_owned(), user));
    }

    pub(super) fn verify_token(token: &str) -> Option<User> {
        TOKENS.with_borrow(|tokens| {
            tokens
                .iter()
                .find(|(t, _)| crate::ct_eq(t.as_bytes(), token.as_bytes()))
                .map(|(_, u)| u.clone())
        })
    }

    /// Adds (with its password) or replaces a user for the current thread. Only available
    /// off-wasm, for unit tests of a plugin.
    pub fn set_for_test(user: User, password: &str) {
        USERS.with_borrow_mut(|users| {
            users.insert(user.username.clone(), (password.to_owned(), user))
        });
    }

    pub(super) fn verify(username: &str, password: &str) -> Option<User> {
        let by_password = USERS.with_borrow(|users| {
            users
                .get(username)
                .filter(|(p, _)| crate::ct_eq(p.as_bytes(), password.as_bytes()))
                .map(|(_, u)| u.clone())
        });
        by_password.or_else(|| verify_token(password).filter(|u| u.username == username))
    }

    pub(super) fn get(username: &str) -> Option<User> {
        USERS.with_borrow(|users| users.get(username).map(|(_, u)| u.clone()))
    }
}
