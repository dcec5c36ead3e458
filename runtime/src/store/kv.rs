//! The backend of the `kv` capability: table `mlauth_kv` in the app's database (the
//! basic-auth auth database, or the `[store]` database of other apps), so that every mlauth
//! instance sharing the database shares the data.
//!
//! * The table is mlauth's own (prefixed `mlauth_`), created idempotently by
//!   [`KvStore::open`], never by [`Store::connect`](super::Store::connect): the MLflow auth
//!   schema stays exactly MLflow's, and MLflow ignores the extra table.
//! * TTLs are enforced on read (an expired row reads as absent) and expired rows are purged
//!   lazily, at most once a minute per process, by a later write.
//! * [`KvStore::increment`] is one `INSERT … ON CONFLICT DO UPDATE … RETURNING` statement,
//!   so concurrent instances count correctly on SQLite and PostgreSQL.
//! * Expiry times are the writing host's clock in milliseconds since the Unix epoch: keep
//!   the clocks of instances sharing a database in sync.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use super::db::is_unique_violation;
use super::{Arg, DbKind, Pool, Result, Store, StoreOptions};

/// How often (at most) a process purges expired rows, in milliseconds.
const PURGE_INTERVAL_MS: i64 = 60_000;

/// Handle to the `mlauth_kv` table. Cheap to clone.
#[derive(Clone)]
pub struct KvStore {
    pool: Pool,
    last_purge: Arc<AtomicI64>,
}

impl std::fmt::Debug for KvStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KvStore")
            .field("kind", &self.pool.kind())
            .finish()
    }
}

fn ddl(kind: DbKind) -> Vec<String> {
    let blob = match kind {
        DbKind::Sqlite => "BLOB",
        DbKind::Postgres => "BYTEA",
    };
    vec![
        format!(
            "CREATE TABLE IF NOT EXISTS mlauth_kv (\
             namespace VARCHAR(255) NOT NULL, \
             item_key VARCHAR(1024) NOT NULL, \
             value {blob}, \
             counter BIGINT, \
             expires_at BIGINT, \
             PRIMARY KEY (namespace, item_key))"
        ),
        "CREATE INDEX IF NOT EXISTS mlauth_kv_expires_at ON mlauth_kv (expires_at)".to_string(),
    ]
}

const GET: &str = "SELECT value, counter FROM mlauth_kv \
     WHERE namespace = $1 AND item_key = $2 AND (expires_at IS NULL OR expires_at > $3)";

const SET: &str = "INSERT INTO mlauth_kv (namespace, item_key, value, counter, expires_at) \
     VALUES ($1, $2, $3, NULL, $4) \
     ON CONFLICT (namespace, item_key) DO UPDATE SET \
     value = excluded.value, counter = NULL, expires_at = excluded.expires_at";

const DELETE: &str =
    "DELETE FROM mlauth_kv WHERE namespace = $1 AND item_key = $2 RETURNING expires_at";

/// An expired row, or one holding a plain value, restarts the counter (and its window).
const INCREMENT: &str = "INSERT INTO mlauth_kv (namespace, item_key, value, counter, expires_at) \
     VALUES ($1, $2, NULL, $3, $4) \
     ON CONFLICT (namespace, item_key) DO UPDATE SET \
     counter = CASE WHEN mlauth_kv.counter IS NULL \
         OR (mlauth_kv.expires_at IS NOT NULL AND mlauth_kv.expires_at <= $5) \
         THEN excluded.counter ELSE mlauth_kv.counter + excluded.counter END, \
     expires_at = CASE WHEN mlauth_kv.counter IS NULL \
         OR (mlauth_kv.expires_at IS NOT NULL AND mlauth_kv.expires_at <= $5) \
         THEN excluded.expires_at ELSE mlauth_kv.expires_at END, \
     value = NULL \
     RETURNING counter";

const PURGE: &str = "DELETE FROM mlauth_kv WHERE expires_at IS NOT NULL AND expires_at <= $1";

impl KvStore {
    /// Uses the auth database of `store` (the basic-auth app's), creating `mlauth_kv` if needed.
    pub async fn open(store: &Store) -> Result<KvStore> {
        Self::with_pool(store.inner.pool.clone()).await
    }

    /// Opens a database of its own from a sqlx URL (`sqlite:…`, `postgres://…`), creating
    /// `mlauth_kv` if needed. Nothing else is created in it.
    pub async fn connect(url: &str) -> Result<KvStore> {
        let pool = Pool::connect(url, &StoreOptions::default()).await?;
        Self::with_pool(pool).await
    }

    async fn with_pool(pool: Pool) -> Result<KvStore> {
        let statements = ddl(pool.kind());
        // Two instances starting at once may race on PostgreSQL's catalog; the loser's
        // `IF NOT EXISTS` then fails with a unique violation, and a retry sees the table.
        for attempt in 0..3 {
            let mut session = pool.read().await?;
            match session.execute_batch(&statements).await {
                Ok(()) => break,
                Err(e) if is_unique_violation(&e) && attempt < 2 => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(KvStore {
            pool,
            last_purge: Arc::new(AtomicI64::new(0)),
        })
    }

    /// The live value of `key` in `namespace` at time `now_ms`. A counter reads as its
    /// decimal text.
    pub async fn get(&self, namespace: &str, key: &str, now_ms: i64) -> Result<Option<Vec<u8>>> {
        let mut session = self.pool.read().await?;
        let row = session
            .fetch_optional(
                GET,
                &[Arg::Text(namespace), Arg::Text(key), Arg::Int(now_ms)],
            )
            .await?;
        let Some(row) = row else { return Ok(None) };
        if let Some(counter) = row.opt_i64(1)? {
            return Ok(Some(counter.to_string().into_bytes()));
        }
        Ok(Some(row.opt_bytes(0)?.unwrap_or_default()))
    }

    /// Stores `value`; `expires_at_ms` = `None` keeps it until deleted.
    pub async fn set(
        &self,
        namespace: &str,
        key: &str,
        value: &[u8],
        expires_at_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<()> {
        let mut session = self.pool.read().await?;
        session
            .execute(
                SET,
                &[
                    Arg::Text(namespace),
                    Arg::Text(key),
                    Arg::OptBytes(Some(value)),
                    Arg::OptInt(expires_at_ms),
                ],
            )
            .await?;
        drop(session);
        self.maybe_purge(now_ms).await
    }

    /// Removes `key`; whether a live entry was removed.
    pub async fn delete(&self, namespace: &str, key: &str, now_ms: i64) -> Result<bool> {
        let mut session = self.pool.read().await?;
        let row = session
            .fetch_optional(DELETE, &[Arg::Text(namespace), Arg::Text(key)])
            .await?;
        Ok(match row {
            Some(row) => row.opt_i64(0)?.is_none_or(|at| at > now_ms),
            None => false,
        })
    }

    /// Adds `delta` atomically and returns the new count. A new (or expired) counter gets
    /// `expires_at_ms`; a live one keeps its expiry.
    pub async fn increment(
        &self,
        namespace: &str,
        key: &str,
        delta: i64,
        expires_at_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<i64> {
        let mut session = self.pool.read().await?;
        let row = session
            .fetch_one(
                INCREMENT,
                &[
                    Arg::Text(namespace),
                    Arg::Text(key),
                    Arg::Int(delta),
                    Arg::OptInt(expires_at_ms),
                    Arg::Int(now_ms),
                ],
            )
            .await?;
        let count = row.opt_i64(0)?.unwrap_or_default();
        drop(session);
        self.maybe_purge(now_ms).await?;
        Ok(count)
    }

    /// Deletes expired rows if this process has not done so for a minute.
    async fn maybe_purge(&self, now_ms: i64) -> Result<()> {
        let last = self.last_purge.load(Ordering::Acquire);
        if now_ms - last < PURGE_INTERVAL_MS
            || self
                .last_purge
                .compare_exchange(last, now_ms, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return Ok(());
        }
        self.purge_expired(now_ms).await.map(|_| ())
    }

    /// Deletes every row expired at `now_ms`; returns how many.
    pub async fn purge_expired(&self, now_ms: i64) -> Result<u64> {
        let mut session = self.pool.read().await?;
        Ok(session.execute(PURGE, &[Arg::Int(now_ms)]).await?)
    }
}
