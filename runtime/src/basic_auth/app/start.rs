//! Starting the basic-auth app: read `basic_auth.ini`, open (never silently migrate) the
//! auth database, bootstrap the admin as MLflow does, and build the shared core.

use std::path::PathBuf;
use std::sync::Arc;

use super::{preflight, BasicAuthCore};
use futures::future::BoxFuture;

use crate::basic_auth::ini::{
    load_auth_config, validate_bootstrap_admin_username, validate_new_admin_password, AuthConfig,
    AuthFunction, EnvSource, IniError, LEGACY_DEFAULT_ADMIN_PASSWORD,
};
use crate::basic_auth::password;
use crate::store::{Store, StoreError, StoreOptions};

/// Why the basic-auth app could not start.
#[derive(Debug, thiserror::Error)]
pub enum BasicAuthStartError {
    /// `basic_auth.ini` or the admin bootstrap settings are invalid.
    #[error(transparent)]
    Ini(#[from] IniError),
    /// The auth database could not be opened, or its schema is unusable.
    #[error("auth database {url}: {source}")]
    Store {
        /// Redacted URL.
        url: String,
        /// Cause (names `mlauth db upgrade` for old schemas).
        source: StoreError,
    },
    /// The SQLite database's location cannot be used (missing or read-only directory,
    /// read-only file, full disk); the message names the path and the fix.
    #[error("auth database {path}: {problem}")]
    Location {
        /// The database file.
        path: PathBuf,
        /// What is wrong and how to fix it.
        problem: String,
    },
}

/// A started basic-auth app.
pub struct BasicAuthStart {
    /// Shared state.
    pub core: Arc<BasicAuthCore>,
    /// A `.wasm` named by `authorization_function`, replacing the built-in plugin.
    pub plugin: Option<PathBuf>,
}

/// Reads the config from `env` (`MLFLOW_AUTH_CONFIG_PATH`, admin overrides), opens the
/// store and bootstraps the admin.
pub fn start(
    env: &impl EnvSource,
    upstream: &str,
) -> BoxFuture<'static, Result<BasicAuthStart, BasicAuthStartError>> {
    start_with(env, upstream, &StoreOptions::default())
}

/// [`start`] with explicit connection-pool settings (timeouts for a locked or unreachable
/// database). The config is read from `env` now; the returned future opens the store. It
/// is boxed so the opening code is compiled once, here (see `runner`'s module docs).
pub fn start_with(
    env: &impl EnvSource,
    upstream: &str,
    options: &StoreOptions,
) -> BoxFuture<'static, Result<BasicAuthStart, BasicAuthStartError>> {
    open(load_auth_config(env), upstream.to_owned(), options.clone())
}

#[inline(never)]
fn open(
    config: Result<AuthConfig, IniError>,
    upstream: String,
    options: StoreOptions,
) -> BoxFuture<'static, Result<BasicAuthStart, BasicAuthStartError>> {
    Box::pin(open_and_bootstrap(config, upstream, options))
}

async fn open_and_bootstrap(
    config: Result<AuthConfig, IniError>,
    upstream: String,
    options: StoreOptions,
) -> Result<BasicAuthStart, BasicAuthStartError> {
    let config = config?;
    let url = config.database_uri.redacted();
    let sqlite = config.database_uri.sqlite_path().map(preflight::absolute);
    let location = |problem: String| BasicAuthStartError::Location {
        path: sqlite.clone().unwrap_or_default(),
        problem,
    };
    let store_error = |source: StoreError| match sqlite
        .as_deref()
        .and_then(|p| preflight::explain_sqlite_error(p, &source))
    {
        Some(problem) => location(problem),
        None => BasicAuthStartError::Store {
            url: url.clone(),
            source,
        },
    };
    if let Some(path) = &sqlite {
        preflight::check_sqlite_location(path).map_err(location)?;
    }
    let store = Store::connect_with(&config.database_uri.to_sqlx_url(), &options)
        .await
        .map_err(store_error)?;
    bootstrap_admin(
        &store,
        config.admin_username.as_deref(),
        config.admin_password.as_deref(),
    )
    .await
    .map_err(|e| match e {
        BootstrapError::Ini(e) => BasicAuthStartError::Ini(e),
        BootstrapError::Store(source) => store_error(source),
    })?;
    let plugin = match &config.authorization_function {
        AuthFunction::Plugin(path) => Some(path.clone()),
        AuthFunction::BuiltinBasicAuth => None,
    };
    tracing::info!(database = %url, revision = store.revision(), "basic-auth store opened");
    Ok(BasicAuthStart {
        core: BasicAuthCore::new(store, config, &upstream),
        plugin,
    })
}

enum BootstrapError {
    Ini(IniError),
    Store(StoreError),
}

/// MLflow's `create_admin_user`: create the admin when missing (password required, ≥ 12
/// characters, never `password1234`); rotate an existing admin away from `password1234`
/// when a new password is configured.
async fn bootstrap_admin(
    store: &Store,
    username: Option<&str>,
    password: Option<&str>,
) -> Result<(), BootstrapError> {
    let username = validate_bootstrap_admin_username(username).map_err(BootstrapError::Ini)?;
    let existing = store
        .find_user(username)
        .await
        .map_err(BootstrapError::Store)?;
    match (existing, password) {
        (None, password) => {
            let password = password.unwrap_or_default();
            validate_new_admin_password(username, password).map_err(BootstrapError::Ini)?;
            let hash = hash(password).await;
            store
                .create_user(username, &hash, true)
                .await
                .map_err(BootstrapError::Store)?;
            tracing::info!("Created admin user '{username}'.");
        }
        (Some(user), Some(password)) if password != LEGACY_DEFAULT_ADMIN_PASSWORD => {
            let stored = user.password_hash.clone();
            let legacy = tokio::task::spawn_blocking(move || {
                password::verify_password(&stored, LEGACY_DEFAULT_ADMIN_PASSWORD)
            })
            .await
            .unwrap_or(false);
            if legacy {
                validate_new_admin_password(username, password).map_err(BootstrapError::Ini)?;
                let hash = hash(password).await;
                store
                    .update_password_hash(username, &hash)
                    .await
                    .map_err(BootstrapError::Store)?;
                tracing::warn!("Rotated the legacy default password of admin user '{username}'.");
            }
        }
        (Some(_), _) => {}
    }
    Ok(())
}

async fn hash(password: &str) -> String {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || password::generate_password_hash(&password))
        .await
        .expect("hashing task")
}
