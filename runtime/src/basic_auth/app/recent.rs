//! Rows a credential check has just read, handed to the authorization step of the same
//! request, which would otherwise read the same `users` row again (one store round trip per
//! request saved on the hot path).
//!
//! A row is handed over at most once, only while the store generation is the one it was read
//! at (no write through this instance, and none seen from another, since) and only for
//! [`FRESH`]; otherwise the authorization step reads the store as before.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::store::User;

/// How long a just-read row may be reused: well within one request.
const FRESH: Duration = Duration::from_millis(100);

/// Rows kept at most (then the oldest requests simply read the store).
const MAX_ROWS: usize = 4096;

/// Just-read user rows by username.
#[derive(Debug, Default)]
pub struct RecentUsers {
    rows: Mutex<HashMap<String, (User, u64, Instant)>>,
}

impl RecentUsers {
    /// Remembers `user` as read at store generation `generation`.
    pub fn remember(&self, user: &User, generation: u64) {
        let mut rows = self.lock();
        if rows.len() >= MAX_ROWS {
            rows.retain(|_, (_, _, at)| at.elapsed() < FRESH);
            if rows.len() >= MAX_ROWS {
                return;
            }
        }
        rows.insert(
            user.username.clone(),
            (user.clone(), generation, Instant::now()),
        );
    }

    /// The row for `username` if it was read at `generation` less than [`FRESH`] ago;
    /// removes it either way.
    pub fn take(&self, username: &str, generation: u64) -> Option<User> {
        let (user, read_at, at) = self.lock().remove(username)?;
        (read_at == generation && at.elapsed() < FRESH).then_some(user)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (User, u64, Instant)>> {
        self.rows.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> User {
        User {
            id: 7,
            username: name.into(),
            password_hash: "h".into(),
            is_admin: false,
        }
    }

    #[test]
    fn a_row_is_handed_over_once_and_only_at_its_generation() {
        let recent = RecentUsers::default();
        recent.remember(&user("bob"), 3);
        assert_eq!(recent.take("bob", 3).map(|u| u.id), Some(7));
        assert!(recent.take("bob", 3).is_none(), "handed over once");
        recent.remember(&user("bob"), 3);
        assert!(recent.take("bob", 4).is_none(), "a write since the read");
        assert!(recent.take("alice", 3).is_none());
    }

    #[test]
    fn a_stale_row_is_not_reused() {
        let recent = RecentUsers::default();
        recent.remember(&user("bob"), 1);
        std::thread::sleep(FRESH + Duration::from_millis(20));
        assert!(recent.take("bob", 1).is_none());
    }
}
