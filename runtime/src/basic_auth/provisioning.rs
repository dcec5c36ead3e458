//! Provisioning (`[provisioning]`, basic-auth app only): users that a function plugin
//! authenticated by other means (an OIDC token, say) are created on their first request, and
//! the roles the operator lets the plugin manage follow the groups in its authorization.
//!
//! The plugin itself never writes to the store: it only reports `username` and `groups`;
//! the operator decides what that may change. A group becomes a role membership only if it
//! names one of `managed_roles` (roles of the default workspace); memberships of any other
//! role — assigned by an admin through the REST API — are never touched. A user the plugin
//! stops reporting a managed role for loses it on the next request.
//!
//! Hot path: when the last sync of a user with the same groups happened at the store's
//! current generation (no write anywhere since), nothing is read or written.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use serde::Deserialize;

use crate::basic_auth::password::generate_password_hash;
use crate::plugin::Identity;
use crate::store::{Store, StoreError, User, DEFAULT_WORKSPACE};

/// `[provisioning]` in the mlauth config. Off by default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProvisioningConfig {
    /// Create a user (not an admin, with an unguessable password) the first time the plugin
    /// authenticates a username the store does not know. Without it such a request gets
    /// MLflow's `404 User with username=… not found`.
    pub create_users: bool,
    /// Roles of the default workspace whose membership follows the authorization's groups.
    pub managed_roles: Vec<String>,
}

impl ProvisioningConfig {
    /// Whether anything is provisioned.
    pub fn is_enabled(&self) -> bool {
        self.create_users || !self.managed_roles.is_empty()
    }

    /// Checks the role names; the message names the bad entry.
    pub fn validate(&self) -> Result<(), String> {
        let mut seen = BTreeSet::new();
        for name in &self.managed_roles {
            if name.trim().is_empty() {
                return Err("provisioning.managed_roles contains an empty role name".into());
            }
            if name.starts_with("__user_") {
                return Err(format!(
                    "provisioning.managed_roles: `{name}` is a per-user role MLflow manages itself; name a shared role"
                ));
            }
            if !seen.insert(name) {
                return Err(format!("provisioning.managed_roles names `{name}` twice"));
            }
        }
        Ok(())
    }
}

/// Applies [`ProvisioningConfig`] to authenticated identities.
#[derive(Debug)]
pub struct Provisioner {
    config: ProvisioningConfig,
    /// `(username, wanted roles)` → store generation right after the last sync.
    synced: Mutex<HashMap<(String, Vec<String>), u64>>,
}

/// Entries of the sync memo before it is cleared (bounded memory).
const MAX_SYNCED: usize = 10_000;

impl Provisioner {
    /// A provisioner for a validated config.
    pub fn new(config: ProvisioningConfig) -> Self {
        Self {
            config,
            synced: Mutex::new(HashMap::new()),
        }
    }

    /// The caller's user row: `existing` (the row the store holds for `identity.username`),
    /// or (with `create_users`) a new one; its managed roles brought in line with
    /// `identity.groups`. `None`: unknown and not created.
    pub async fn caller(
        &self,
        store: &Store,
        identity: &Identity,
        existing: Option<User>,
    ) -> Result<Option<User>, StoreError> {
        let user = match existing {
            Some(user) => user,
            None => match self.create(store, &identity.username).await? {
                Some(user) => user,
                None => return Ok(None),
            },
        };
        if !self.config.managed_roles.is_empty() {
            self.sync_roles(store, &user, self.wanted(identity)).await?;
        }
        Ok(Some(user))
    }

    fn wanted(&self, identity: &Identity) -> Vec<String> {
        let groups: BTreeSet<&String> = identity.groups.iter().collect();
        let mut wanted: Vec<String> = self
            .config
            .managed_roles
            .iter()
            .filter(|role| groups.contains(role))
            .cloned()
            .collect();
        wanted.sort();
        wanted
    }

    async fn create(&self, store: &Store, username: &str) -> Result<Option<User>, StoreError> {
        if !self.config.create_users {
            return Ok(None);
        }
        let hash = unguessable_password_hash().await?;
        match store.create_user(username, &hash, false).await {
            Ok(user) => {
                tracing::info!(username, "provisioned a new user on first login");
                Ok(Some(user))
            }
            // Another request (or instance) created it first.
            Err(StoreError::AlreadyExists(_)) => store.find_user(username).await,
            Err(err) => Err(err),
        }
    }

    async fn sync_roles(
        &self,
        store: &Store,
        user: &User,
        wanted: Vec<String>,
    ) -> Result<(), StoreError> {
        let key = (user.username.clone(), wanted);
        if self.lock().get(&key) == Some(&store.generation()) {
            return Ok(());
        }
        let held = store
            .list_user_roles_for_workspace(user.id, DEFAULT_WORKSPACE)
            .await?;
        for role in held.iter().filter(|r| self.is_managed(&r.name)) {
            if !key.1.contains(&role.name) {
                match store.unassign_role(user.id, role.id).await {
                    // A concurrent request of the same user removed it first.
                    Ok(()) | Err(StoreError::NotFound(_)) => {
                        tracing::info!(username = %user.username, role = %role.name, "managed role removed");
                    }
                    Err(err) => return Err(err),
                }
            }
        }
        for name in &key.1 {
            if held.iter().any(|r| &r.name == name) {
                continue;
            }
            match store.get_role_by_name(DEFAULT_WORKSPACE, name).await {
                Ok(role) => match store.assign_role(user.id, role.id).await {
                    Ok(_) | Err(StoreError::AlreadyExists(_)) => {
                        tracing::info!(username = %user.username, role = %name, "managed role assigned");
                    }
                    Err(err) => return Err(err),
                },
                // Fail closed: a role that does not exist grants nothing.
                Err(StoreError::NotFound(_)) => {
                    tracing::warn!(role = %name, "provisioning.managed_roles names a role that does not exist in the default workspace; create it (roles/create)");
                }
                Err(err) => return Err(err),
            }
        }
        let mut synced = self.lock();
        if synced.len() >= MAX_SYNCED {
            synced.clear();
        }
        synced.insert(key, store.generation());
        Ok(())
    }

    fn is_managed(&self, role: &str) -> bool {
        self.config.managed_roles.iter().any(|m| m == role)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, Vec<String>), u64>> {
        self.synced.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A werkzeug scrypt hash of 32 random bytes nobody is told: the user can only get in
/// through the plugin (or after an admin sets a password), and MLflow itself reads the row
/// like any other.
async fn unguessable_password_hash() -> Result<String, StoreError> {
    use rand::RngCore;
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let secret = hex::encode(secret);
    crate::basic_auth::password::off_executor(move || generate_password_hash(&secret))
        .await
        .map_err(|e| {
            let cause = std::io::Error::other(format!("password hashing aborted: {e}"));
            StoreError::Unavailable(sqlx::Error::Io(cause))
        })
}

#[cfg(test)]
mod tests;
