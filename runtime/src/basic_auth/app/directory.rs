//! The `users` capability backed by the basic-auth store: credential checks with the
//! cache of successful checks, constant cost for unknown users, MLflow's legacy-admin rule.

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
    /// Checks credentials. Successes are cached (keyed by an HMAC of the credentials); a
    /// failure always pays one full hash check, an unknown user included.
    pub async fn verify_credentials(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<UserRecord>, DirectoryError> {
        let cached = self.cache.get(username, password);
        crate::metrics::credential_cache(cached.is_some());
        if let Some(hit) = cached {
            return Ok(Some(UserRecord {
                id: hit.user_id,
                username: username.to_string(),
                is_admin: hit.is_admin,
            }));
        }
        let generation = self.cache.generation();
        let user = self
            .store
            .find_user(username)
            .await
            .map_err(|e| DirectoryError(e.to_string()))?;
        let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
        let candidate = password.to_string();
        let matches = tokio::task::spawn_blocking(move || match stored_hash {
            Some(hash) => password::verify_password(&hash, &candidate),
            None => {
                password::dummy_verify(&candidate);
                false
            }
        })
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
        self.cache
            .insert(username, password, user.id, user.is_admin, generation);
        Ok(Some(record(user)))
    }
}
