//! Connection pools: [`Pool`] opens a SQLite or PostgreSQL pool from a sqlx URL and hands
//! out read sessions and write transactions.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use super::{redact_url, DbKind, Result, Session, StoreError, StoreOptions};

/// A connection pool on one of the supported engines.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Pool {
    /// Opens a pool for a sqlx URL (`sqlite:…` or `postgres://…`).
    pub(crate) async fn connect(url: &str, opts: &StoreOptions) -> Result<Pool> {
        match url_kind(url)? {
            DbKind::Sqlite => connect_sqlite(url, opts).await.map(Pool::Sqlite),
            DbKind::Postgres => connect_pg(url, opts).await.map(Pool::Postgres),
        }
    }

    /// A plain pooled connection (autocommit), for reads.
    pub(crate) async fn read(&self) -> Result<Session> {
        Ok(match self {
            Pool::Sqlite(p) => Session::SqliteConn(p.acquire().await?),
            Pool::Postgres(p) => Session::PgConn(p.acquire().await?),
        })
    }

    /// A write transaction. SQLite uses `BEGIN IMMEDIATE` so the write lock is taken up
    /// front (waiting `busy_timeout`) instead of failing on a read→write upgrade.
    pub(crate) async fn write(&self) -> Result<Session> {
        Ok(match self {
            Pool::Sqlite(p) => Session::SqliteTx(p.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(p) => Session::PgTx(p.begin().await?),
        })
    }

    /// The engine.
    pub(crate) fn kind(&self) -> DbKind {
        match self {
            Pool::Sqlite(_) => DbKind::Sqlite,
            Pool::Postgres(_) => DbKind::Postgres,
        }
    }

    /// Closes every connection.
    pub(crate) async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

fn url_kind(url: &str) -> Result<DbKind> {
    if url.starts_with("sqlite:") {
        Ok(DbKind::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(DbKind::Postgres)
    } else {
        Err(StoreError::InvalidParameter(format!(
            "Unsupported auth database URL scheme in '{}': expected sqlite: or postgres://",
            redact_url(url)
        )))
    }
}

fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

async fn connect_sqlite(url: &str, opts: &StoreOptions) -> Result<SqlitePool> {
    let memory = is_in_memory(url);
    let mut options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .foreign_keys(true)
        .busy_timeout(opts.sqlite_busy_timeout);
    if !memory {
        options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal);
    }
    // No ping before each use: a SQLite connection is a local file handle that does not go
    // stale like a network connection, and the ping is one more round trip to the
    // connection's worker thread on every request.
    let mut pool = SqlitePoolOptions::new()
        .max_connections(opts.max_connections.max(1))
        .min_connections(opts.min_connections)
        .acquire_timeout(opts.acquire_timeout)
        .test_before_acquire(false);
    if memory {
        // An in-memory database disappears with its last connection: keep one open forever.
        pool = pool
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None);
    }
    Ok(pool.connect_with(options).await?)
}

async fn connect_pg(url: &str, opts: &StoreOptions) -> Result<PgPool> {
    let options = PgConnectOptions::from_str(url)?;
    Ok(PgPoolOptions::new()
        .max_connections(opts.max_connections.max(1))
        .min_connections(opts.min_connections)
        .acquire_timeout(opts.acquire_timeout)
        .connect_with(options)
        .await?)
}
