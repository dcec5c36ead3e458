//! The `users` capability for apps other than basic-auth: the user table of the `[store]`
//! database, which uses MLflow's auth schema (so an existing `basic_auth.db` can be named
//! there, and `mlauth run --app-name basic-auth` on the same database manages its users).
//! No credential cache: every check pays one password hash (unknown users included).

use futures::future::BoxFuture;
use futures::FutureExt;

use super::users::{DirectoryError, UserDirectory, UserRecord};
use crate::basic_auth::ini::LEGACY_DEFAULT_ADMIN_PASSWORD;
use crate::basic_auth::password;
use crate::store::{Store, User};

/// [`UserDirectory`] over a [`Store`].
pub struct StoreUsers(pub Store);

fn record(user: User) -> UserRecord {
    UserRecord {
        id: user.id,
        username: user.username,
        is_admin: user.is_admin,
    }
}

impl StoreUsers {
    async fn check(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<UserRecord>, DirectoryError> {
        let user = self
            .0
            .find_user(username)
            .await
            .map_err(|e| DirectoryError(e.to_string()))?;
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let matches = password::verify_off_executor(stored, password)
            .await
            .map_err(|e| DirectoryError(format!("password check aborted: {e}")))?;
        Ok(user
            .filter(|_| matches)
            .filter(|u| !(u.is_admin && password == LEGACY_DEFAULT_ADMIN_PASSWORD))
            .map(record))
    }
}

impl UserDirectory for StoreUsers {
    fn verify<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Result<Option<UserRecord>, DirectoryError>> {
        self.check(username, password).boxed()
    }

    /// Personal access tokens are minted and checked by the basic-auth app; a `[store]`
    /// directory of another app recognises none (every token is refused).
    fn verify_token<'a>(
        &'a self,
        _token: &'a str,
    ) -> BoxFuture<'a, Result<Option<UserRecord>, DirectoryError>> {
        async { Ok(None) }.boxed()
    }

    fn get<'a>(
        &'a self,
        username: &'a str,
    ) -> BoxFuture<'a, Result<Option<UserRecord>, DirectoryError>> {
        async move {
            let user = self
                .0
                .find_user(username)
                .await
                .map_err(|e| DirectoryError(e.to_string()))?;
            Ok(user.map(record))
        }
        .boxed()
    }
}
