//! The auth database: MLflow's `basic-auth` schema (users, RBAC roles, grants) on SQLite or
//! PostgreSQL, byte-compatible with an MLflow 3.17/3.18 `basic_auth.db`.
//!
//! * [`Store::connect`] opens a database from a **sqlx** URL (convert an MLflow/SQLAlchemy
//!   `database_uri` first with [`sqlx_url_from_sqlalchemy`]), creates the MLflow schema when
//!   the database is empty and refuses databases at revisions it does not support
//!   (see [`schema`]).
//! * [`migrate::upgrade`] brings an older MLflow auth database to the supported head
//!   (`mlauth db upgrade`).
//! * Operations are split by topic: [`users`], [`roles`], [`grants`].
//!
//! Every successful write bumps an in-memory [`Store::generation`] counter that caches can
//! compare against, and the `mlauth_changes` row in the same transaction, so that other
//! instances sharing the database notice it ([`changes`]). mlauth's own tables
//! ([`mlauth_schema`], all named `mlauth_…`) are created next to MLflow's.

pub mod access_tokens;
pub mod changes;
mod db;
mod db_url;
pub mod grants;
pub mod kv;
pub mod migrate;
pub mod mlauth_schema;
mod model;
mod pool;
pub mod roles;
pub mod schema;
pub mod users;
pub mod workspaces;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

pub use access_tokens::AccessToken;
pub use changes::{ChangeWatcher, DEFAULT_POLL_INTERVAL};
pub use db::DbKind;
pub(crate) use db::{Arg, DbRow, Session};
pub use db_url::{redact_url, sqlx_url_from_sqlalchemy};
pub use grants::scorer_pattern;
pub use kv::KvStore;
pub use model::{GrantRow, Role, RolePermission, User, UserPermissionRow, UserRoleAssignment};
pub(crate) use pool::Pool;

/// The workspace every grant lives in when workspaces are disabled.
pub const DEFAULT_WORKSPACE: &str = "default";

/// Errors of the store, shaped for the HTTP layer's error mapping.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `RESOURCE_DOES_NOT_EXIST` (404); the message is MLflow's.
    #[error("{0}")]
    NotFound(String),
    /// `RESOURCE_ALREADY_EXISTS` (400); the message is MLflow's.
    #[error("{0}")]
    AlreadyExists(String),
    /// `INVALID_PARAMETER_VALUE` (400).
    #[error("{0}")]
    InvalidParameter(String),
    /// The database could not be reached or failed unexpectedly (500/503).
    #[error("auth database error: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// The database schema is missing, too old or unknown; the message says how to fix it.
    #[error("{0}")]
    Schema(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if db::is_value_too_long(&err) {
            return StoreError::InvalidParameter(
                "Value too long for the auth database column.".to_string(),
            );
        }
        crate::metrics::store_error();
        StoreError::Unavailable(err)
    }
}

/// Result alias of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Connection-pool settings.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Upper bound of pooled connections.
    pub max_connections: u32,
    /// Connections kept open while idle.
    pub min_connections: u32,
    /// How long a caller waits for a free connection.
    pub acquire_timeout: Duration,
    /// SQLite `busy_timeout`: how long a writer waits for the database lock.
    pub sqlite_busy_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(10),
            sqlite_busy_timeout: Duration::from_secs(10),
        }
    }
}

struct Inner {
    pool: Pool,
    revision: String,
    changes: tokio::sync::watch::Sender<u64>,
}

/// Handle to the auth database. Cheap to clone; all clones share one pool.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("kind", &self.kind())
            .field("revision", &self.inner.revision)
            .field("generation", &self.generation())
            .finish()
    }
}

impl Store {
    /// Opens the database at a sqlx URL with default pool settings. See [`Store::connect_with`].
    pub async fn connect(url: &str) -> Result<Store> {
        Self::connect_with(url, &StoreOptions::default()).await
    }

    /// Opens the database: an empty one gets the MLflow schema stamped at
    /// [`schema::HEAD_REVISION`]; one at a [`schema::SUPPORTED_REVISIONS`] revision is used
    /// unchanged; anything else fails with [`StoreError::Schema`].
    pub async fn connect_with(url: &str, opts: &StoreOptions) -> Result<Store> {
        let pool = Pool::connect(url, opts).await?;
        let revision = match schema::ensure_schema(&pool).await {
            Ok(rev) => rev,
            Err(err) => {
                pool.close().await;
                return Err(err);
            }
        };
        if let Err(err) = mlauth_schema::ensure(&pool).await {
            pool.close().await;
            return Err(err);
        }
        Ok(Store {
            inner: Arc::new(Inner {
                pool,
                revision,
                changes: tokio::sync::watch::Sender::new(0),
            }),
        })
    }

    /// The engine behind this store.
    pub fn kind(&self) -> DbKind {
        self.inner.pool.kind()
    }

    /// The alembic revision the database was found at (or stamped with).
    pub fn revision(&self) -> &str {
        &self.inner.revision
    }

    /// Counter bumped by every successful write through this handle and, while a
    /// [`ChangeWatcher`] runs, by writes of other instances ([`changes`]).
    pub fn generation(&self) -> u64 {
        *self.inner.changes.borrow()
    }

    /// Checks the database answers (readiness probe): takes a pooled connection.
    pub async fn ping(&self) -> Result<()> {
        self.read().await.map(drop)
    }

    /// Closes the pool; later calls fail with [`StoreError::Unavailable`].
    pub async fn close(&self) {
        self.inner.pool.close().await;
    }

    pub(crate) async fn read(&self) -> Result<Session> {
        self.inner.pool.read().await
    }

    pub(crate) async fn write(&self) -> Result<Session> {
        self.inner.pool.write().await
    }

    /// Bumps the shared change counter inside `session`, commits it and bumps the generation.
    pub(crate) async fn commit(&self, mut session: Session) -> Result<()> {
        changes::bump(&mut session).await?;
        session.commit().await?;
        self.bump_generation();
        Ok(())
    }
}
