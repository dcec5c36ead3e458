//! Building one plugin's [`HostServices`] from the operator's config, before anything
//! listens: open the databases behind `kv` (and `users` for apps other than basic-auth),
//! read the granted keys and secrets, load the granted JWT key sets. Every problem is an
//! error naming the setting; no key or secret material appears in it.

use std::path::Path;
use std::sync::Arc;

use super::jwks::KeySet;
use super::settings::{read_named, MIN_KEY_BYTES};
use super::store_users::StoreUsers;
use super::HostServices;
use crate::config::{MlauthConfig, PluginConfig};
use crate::plugin::Capability;
use crate::store::{KvStore, Store};

/// Fills in the backends of `grants` that `services` does not have yet. `app_store` is the
/// app's own database (basic-auth's auth database), used for `kv` when present.
pub async fn build_services(
    config: &MlauthConfig,
    plugin: &PluginConfig,
    grants: &[Capability],
    mut services: HostServices,
    app_store: Option<&Store>,
) -> Result<HostServices, String> {
    let base = config.base_dir.as_deref();
    let wants = |c: Capability| grants.contains(&c);
    let mut own_store: Option<Store> = None;
    if wants(Capability::Users) && services.users.is_none() {
        let store = open_store(config, base).await?;
        services.users = Some(Arc::new(StoreUsers(store.clone())));
        own_store = Some(store);
    }
    if wants(Capability::Kv) && services.kv.is_none() {
        let kv = match app_store.or(own_store.as_ref()) {
            Some(store) => KvStore::open(store).await,
            None => KvStore::connect(&config.store.sqlx_url(base)?).await,
        };
        services.kv = Some(kv.map_err(|e| format!("kv store: {e}"))?);
    }
    if wants(Capability::Crypto) {
        services.keys = read_named("keys", &plugin.keys, &config.keys, base, MIN_KEY_BYTES)?;
    }
    if wants(Capability::Secrets) {
        services.secrets = read_named("secrets", &plugin.secrets, &config.secrets, base, 1)?;
    }
    if wants(Capability::Jwt) {
        for name in &plugin.jwt {
            let section = config
                .jwt
                .get(name)
                .ok_or_else(|| format!("[jwt.{name}] is not defined"))?;
            let set = KeySet::from_config(name, section, base)?;
            services.jwt.insert(name.clone(), Arc::new(set));
        }
    }
    Ok(services)
}

/// Opens the `[store]` database with MLflow's auth schema (created when empty).
async fn open_store(config: &MlauthConfig, base: Option<&Path>) -> Result<Store, String> {
    let url = config.store.sqlx_url(base)?;
    Store::connect(&url)
        .await
        .map_err(|e| format!("store {}: {e}", crate::store::redact_url(&url)))
}
