//! `mlauth:plugin/users` (capability `users`): credential checks and user lookups against
//! the app's user store. The store itself lives with the app (the basic-auth app provides
//! it); plugins only see usernames, ids and the admin flag, never a hash.

use futures::future::BoxFuture;

use super::HOST_CALL_TIMEOUT;
use crate::bindings::mlauth::plugin::users::{Host, User};
use crate::state::HostState;

/// A user as exposed to plugins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Database id.
    pub id: i64,
    /// Username.
    pub username: String,
    /// Admin flag.
    pub is_admin: bool,
}

/// The store could not answer; the plugin call traps and the request is refused with 503.
#[derive(Debug, thiserror::Error)]
#[error("user store unavailable: {0}")]
pub struct DirectoryError(pub String);

/// What the host needs from an app to offer the `users` capability.
pub trait UserDirectory: Send + Sync + 'static {
    /// Checks credentials; `None` for an unknown user or a wrong password (same cost).
    fn verify<'a>(
        &'a self,
        username: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Result<Option<UserRecord>, DirectoryError>>;
    /// Checks a personal access token on its own (an `Authorization: Bearer` token); `None`
    /// for anything that is not a live token.
    fn verify_token<'a>(
        &'a self,
        token: &'a str,
    ) -> BoxFuture<'a, Result<Option<UserRecord>, DirectoryError>>;
    /// Looks a user up.
    fn get<'a>(
        &'a self,
        username: &'a str,
    ) -> BoxFuture<'a, Result<Option<UserRecord>, DirectoryError>>;
}

impl From<UserRecord> for User {
    fn from(u: UserRecord) -> Self {
        User {
            id: u.id,
            username: u.username,
            is_admin: u.is_admin,
        }
    }
}

impl HostState {
    fn directory(&self) -> wasmtime::Result<std::sync::Arc<dyn UserDirectory>> {
        self.plugin.services.users.clone().ok_or_else(|| {
            wasmtime::Error::new(DirectoryError("this app has no user store".into()))
        })
    }
}

impl HostState {
    /// Runs one host call under [`HOST_CALL_TIMEOUT`], outside the plugin's CPU deadline.
    async fn timed<T>(
        &mut self,
        call: impl std::future::Future<Output = Result<T, DirectoryError>>,
    ) -> wasmtime::Result<T> {
        let started = std::time::Instant::now();
        let result = tokio::time::timeout(HOST_CALL_TIMEOUT, call).await;
        self.host_time += started.elapsed();
        match result {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(wasmtime::Error::new(err)),
            Err(_) => Err(wasmtime::Error::new(DirectoryError(
                "user store timed out".into(),
            ))),
        }
    }
}

impl Host for HostState {
    async fn verify(
        &mut self,
        username: String,
        password: String,
    ) -> wasmtime::Result<Option<User>> {
        let directory = self.directory()?;
        let found = self.timed(directory.verify(&username, &password)).await?;
        Ok(found.map(User::from))
    }

    async fn verify_token(&mut self, token: String) -> wasmtime::Result<Option<User>> {
        let directory = self.directory()?;
        let found = self.timed(directory.verify_token(&token)).await?;
        Ok(found.map(User::from))
    }

    async fn get(&mut self, username: String) -> wasmtime::Result<Option<User>> {
        let directory = self.directory()?;
        let found = self.timed(directory.get(&username)).await?;
        Ok(found.map(User::from))
    }
}
