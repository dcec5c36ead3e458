//! mlauth's own tables, next to MLflow's auth schema: `mlauth_changes` (the change counter
//! that keeps several instances' caches in step, see [`super::changes`]) and
//! `mlauth_access_tokens` (personal access tokens, see [`super::access_tokens`]).
//!
//! Every name starts with `mlauth_`, so MLflow (whose alembic migrations only touch their own
//! tables) ignores them and schema comparisons with MLflow can leave them out. They are
//! created idempotently (`IF NOT EXISTS`) each time a store opens a database at a supported
//! revision, under the same lock as MLflow's schema creation.

use super::schema::begin_schema_tx;
use super::{Arg, DbKind, Pool, Result};

/// Prefix of every table mlauth adds to an MLflow auth database.
pub const MLAUTH_TABLE_PREFIX: &str = "mlauth_";

fn id_column(kind: DbKind) -> &'static str {
    match kind {
        DbKind::Sqlite => "id INTEGER NOT NULL",
        DbKind::Postgres => "id SERIAL NOT NULL",
    }
}

/// DDL of mlauth's tables (every statement idempotent).
pub(crate) fn ddl(kind: DbKind) -> Vec<String> {
    vec![
        "CREATE TABLE IF NOT EXISTS mlauth_changes (id INTEGER NOT NULL, version BIGINT NOT NULL, \
         CONSTRAINT mlauth_changes_pk PRIMARY KEY (id))"
            .to_string(),
        format!(
            "CREATE TABLE IF NOT EXISTS mlauth_access_tokens ({id}, user_id INTEGER NOT NULL, \
             username VARCHAR(255) NOT NULL, name VARCHAR(255) NOT NULL, \
             prefix VARCHAR(16) NOT NULL, token_hash VARCHAR(64) NOT NULL, \
             created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, \
             CONSTRAINT mlauth_access_tokens_pk PRIMARY KEY (id), \
             CONSTRAINT mlauth_access_tokens_user_fk FOREIGN KEY (user_id) \
             REFERENCES users (id) ON DELETE CASCADE, \
             CONSTRAINT mlauth_access_tokens_name_uq UNIQUE (user_id, name))",
            id = id_column(kind)
        ),
        "CREATE INDEX IF NOT EXISTS mlauth_access_tokens_prefix_idx \
         ON mlauth_access_tokens (prefix)"
            .to_string(),
    ]
}

/// Creates mlauth's tables when missing and seeds the change counter row.
pub(crate) async fn ensure(pool: &Pool) -> Result<()> {
    let mut s = begin_schema_tx(pool).await?;
    s.execute_batch(&ddl(pool.kind())).await?;
    s.execute(
        "INSERT INTO mlauth_changes (id, version) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
        &[Arg::Int(1), Arg::Int(0)],
    )
    .await?;
    s.commit().await?;
    Ok(())
}
