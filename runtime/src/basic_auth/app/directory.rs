//! The `users` capability backed by the basic-auth store: credential checks (passwords with
//! the cache of successful checks, personal access tokens), constant cost for unknown users,
//! MLflow's legacy-admin rule.

use std::sync::Arc;

use futures::future::BoxFuture;
use futures::FutureExt;

use super::BasicAuthCore;
use crate::basic_auth::ini::LEGACY_DEFAULT_ADMIN_PASSWORD;
use crate::basic_auth::password;
use crate::host::users::{DirectoryError, UserDirectory, UserRecord};
use crate::store::User;

/// [`UserDirectory`] over [`BasicAuthCore`].
pub struct StoreDirectory(pub Arc<BasicAuthCore>);

impl UserDirectory for StoreDirectory {
    fn verify<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Result<Option<UserRecord>, DirectoryError>> {
        self.0.verify_credentials(username, password).boxed()
    }

    fn verify_token<'a>(
        &'a self,
        token: &'a str,
    ) -> BoxFuture<'a, Result<Option<UserRecord>, DirectoryError>> {
        self.0.verify_token(token, None).boxed()
    }

    fn get<'a>(
        &'a self,
        username: &'a str,
    ) -> BoxFuture<'a, Result<Option<UserRecord>, DirectoryError>> {
        async move {
            let user = self
                .0
                .store
                .find_user(username)
                .await
                .map_err(|e| DirectoryError(e.to_string()))?;
            Ok(user.map(record))
        }
        .boxed()
    }
}

fn record(user: User) -> UserRecord {
    UserRecord {
        id: user.id,
        username: user.username,
        is_admin: user.is_admin,
    }
}

impl BasicAuthCore {
    /// Checks credentials: `password` is the user's password or one of the user's personal
    /// access tokens (see [`crate::basic_auth::access_tokens`]).
    pub async fn verify_credentials(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<UserRecord>, DirectoryError> {
        if crate::basic_auth::access_tokens::looks_like_token(password) {
            if let Some(user) = self.verify_token(password, Some(username)).await? {
                return Ok(Some(user));
            }
            // Not a valid token: it may still be a password that happens to look like one.
        }
        self.verify_password(username, password).await
    }

    /// Checks a username and password (never a token). Successes are cached (keyed by an
    /// HMAC of the credentials) and a hit is only used while the user's stored hash is still
    /// the one it was verified against (one indexed read), so a password changed by any
    /// writer of the database takes effect at once. A failure always pays one full hash
    /// check, an unknown user included.
    pub async fn verify_password(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<UserRecord>, DirectoryError> {
        self.sync_cache_with_store();
        let generation = self.cache.generation();
        let hit = self.cache.get(username, password);
        crate::metrics::credential_cache(hit.is_some());
        let read_at = self.store.generation();
        let user = self
            .store
            .find_user(username)
            .await
            .map_err(|e| DirectoryError(e.to_string()))?;
        if let (Some(hit), Some(user)) = (hit, user.as_ref()) {
            if hit.user_id == user.id && self.cache.hash_matches(&hit, &user.password_hash) {
                // The admin flag comes from the row just read: a user promoted since the
                // entry was cached meets the legacy-password refusal below, not the cache.
                if user.is_admin && password == LEGACY_DEFAULT_ADMIN_PASSWORD {
                    return Ok(None);
                }
                self.recent.remember(user, read_at);
                return Ok(Some(record(user.clone())));
            }
        }
        let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
        let matches = password::verify_off_executor(stored_hash, password)
            .await
            .map_err(|e| DirectoryError(format!("password check aborted: {e}")))?;
        let Some(user) = user.filter(|_| matches) else {
            return Ok(None);
        };
        if user.is_admin && password == LEGACY_DEFAULT_ADMIN_PASSWORD {
            tracing::warn!(
                username,
                "refused login with the legacy default admin password; rotate it"
            );
            return Ok(None);
        }
        self.recent.remember(&user, read_at);
        self.cache.insert(
            username,
            password,
            user.id,
            user.is_admin,
            &user.password_hash,
            generation,
        );
        Ok(Some(record(user)))
    }

    /// Clears the credential cache when the store's generation moved since the last look
    /// (a write through this instance, another instance's write seen by the change
    /// watcher, or a failed poll).
    fn sync_cache_with_store(&self) {
        let current = self.store.generation();
        let seen = self
            .seen_generation
            .swap(current, std::sync::atomic::Ordering::AcqRel);
        if seen != current {
            self.cache.clear();
        }
    }
}
