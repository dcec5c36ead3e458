//! The MLflow auth schema, its alembic revisions and the startup check.
//!
//! Revisions (`mlflow/server/auth/db/migrations/versions`, version table
//! `alembic_version_auth`):
//!
//! | revision | state for mlauth |
//! |---|---|
//! | *(no tables)* | empty: the full schema is created and stamped [`HEAD_REVISION`] |
//! | `users` without `alembic_version_auth` | pre-alembic (MLflow < 3.6): needs `mlauth db upgrade` |
//! | `8606fa83a998` … `c3d4e5f6a7b8` | older: needs `mlauth db upgrade` (`c3d4e5f6a7b8` has the RBAC tables but not the backfill of legacy grants) |
//! | `e5f6a7b8c9d0`, `f1a2b3c4d5e6` | supported, used unchanged |
//! | anything else | unknown (probably a newer MLflow): refused |
//!
//! A fresh database is stamped `f1a2b3c4d5e6`, the head of both MLflow 3.17.2 and 3.18.0,
//! so MLflow's `migrate_if_needed` (which upgrades only when the stamp differs from its
//! head) opens it without running any migration.

mod ddl;

// The DDL builders are part of this module's crate-wide interface (`migrate`, the tests).
pub(crate) use ddl::*;

use super::{Arg, DbKind, Pool, Result, Session, StoreError};

/// Revision a freshly created database is stamped with (MLflow 3.17.2 / 3.18.0 head).
pub const HEAD_REVISION: &str = "f1a2b3c4d5e6";

/// Revisions whose schema and data mlauth uses unchanged.
pub const SUPPORTED_REVISIONS: &[&str] = &["e5f6a7b8c9d0", "f1a2b3c4d5e6"];

/// MLflow's auth alembic chain, oldest first, with a short description.
pub const ALEMBIC_CHAIN: &[(&str, &str)] = &[
    (
        "8606fa83a998",
        "initial users/experiment/registered-model permissions",
    ),
    ("0965eb92f5f0", "scorer permissions"),
    ("a1b2c3d4e5f6", "gateway permissions"),
    ("2ed73881770d", "workspace permissions"),
    (
        "c3d4e5f6a7b8",
        "RBAC tables without the legacy-grant backfill",
    ),
    ("e5f6a7b8c9d0", "legacy grants migrated to roles"),
    ("f1a2b3c4d5e6", "prompt resource type"),
];

/// Version table name used by MLflow's auth migrations.
pub const VERSION_TABLE: &str = "alembic_version_auth";

/// What was found in a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaState {
    /// Neither `users` nor a stamped version table: nothing of the auth app yet.
    Empty,
    /// `users` exists but `alembic_version_auth` does not (MLflow < 3.6).
    PreAlembic,
    /// Stamped with this revision.
    Revision(String),
}

/// Position of `revision` in [`ALEMBIC_CHAIN`].
pub fn chain_index(revision: &str) -> Option<usize> {
    ALEMBIC_CHAIN.iter().position(|(rev, _)| *rev == revision)
}

/// True if `table` exists (SQLite: main schema; PostgreSQL: `current_schema()`).
pub(crate) async fn table_exists(s: &mut Session, table: &str) -> Result<bool> {
    let sql = match s.kind() {
        DbKind::Sqlite => "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1",
        DbKind::Postgres => {
            "SELECT 1 FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = $1"
        }
    };
    Ok(s.fetch_optional(sql, &[Arg::Text(table)]).await?.is_some())
}

/// True if `table.column` exists.
pub(crate) async fn column_exists(s: &mut Session, table: &str, column: &str) -> Result<bool> {
    let sql = match s.kind() {
        DbKind::Sqlite => "SELECT 1 FROM pragma_table_info($1) WHERE name = $2",
        DbKind::Postgres => {
            "SELECT 1 FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2"
        }
    };
    Ok(
        s.fetch_optional(sql, &[Arg::Text(table), Arg::Text(column)])
            .await?
            .is_some(),
    )
}

/// Reads the schema state of the database behind `s`.
pub(crate) async fn detect(s: &mut Session) -> Result<SchemaState> {
    let has_users = table_exists(s, "users").await?;
    if !table_exists(s, VERSION_TABLE).await? {
        return Ok(if has_users {
            SchemaState::PreAlembic
        } else {
            SchemaState::Empty
        });
    }
    let rows = s
        .fetch_all("SELECT version_num FROM alembic_version_auth", &[])
        .await?;
    let revisions = rows
        .iter()
        .map(|r| r.text(0))
        .collect::<Result<Vec<_>, _>>()?;
    match revisions.as_slice() {
        [] if !has_users => Ok(SchemaState::Empty),
        [] => Err(StoreError::Schema(
            "The auth database has a `users` table but an empty `alembic_version_auth` table; \
             stamp it with the right revision or restore a backup."
                .to_string(),
        )),
        [one] => Ok(SchemaState::Revision(one.clone())),
        many => Err(StoreError::Schema(format!(
            "The auth database has several alembic revisions ({}); mlauth expects exactly one.",
            many.join(", ")
        ))),
    }
}

/// Why a database at `state` cannot be used as is (`None` when it can).
pub fn unusable_reason(state: &SchemaState) -> Option<String> {
    let supported = SUPPORTED_REVISIONS.join(", ");
    match state {
        SchemaState::Empty => None,
        SchemaState::PreAlembic => Some(
            "The auth database was created by MLflow < 3.6 (it has a `users` table but no \
             `alembic_version_auth` table). Back it up and run `mlauth db upgrade` to migrate it \
             to the current MLflow auth schema."
                .to_string(),
        ),
        SchemaState::Revision(rev) if SUPPORTED_REVISIONS.contains(&rev.as_str()) => None,
        SchemaState::Revision(rev) => Some(match chain_index(rev) {
            Some(i) => format!(
                "The auth database is at an older MLflow auth revision {rev} ({}); mlauth needs \
                 one of {supported}. Back it up and run `mlauth db upgrade` to migrate it.",
                ALEMBIC_CHAIN[i].1
            ),
            None => format!(
                "The auth database is at unknown alembic revision '{rev}' (supported: \
                 {supported}); it was probably written by a newer MLflow. Use an mlauth release \
                 that supports this revision."
            ),
        }),
    }
}

/// Creates the head schema and stamps it, inside the caller's write transaction.
pub(crate) async fn create_head_schema(s: &mut Session) -> Result<()> {
    let kind = s.kind();
    s.execute_batch(&[ddl_version_table()]).await?;
    s.execute_batch(&head_schema_ddl(kind)).await?;
    s.execute(
        "INSERT INTO alembic_version_auth (version_num) VALUES ($1)",
        &[Arg::Text(HEAD_REVISION)],
    )
    .await?;
    Ok(())
}

/// Starts a write transaction that is serialized against other schema writers
/// (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: a transaction-scoped advisory lock).
pub(crate) async fn begin_schema_tx(pool: &Pool) -> Result<Session> {
    let mut s = pool.write().await?;
    if s.kind() == DbKind::Postgres {
        // Arbitrary constant key ("mlauth" schema lock).
        s.execute("SELECT pg_advisory_xact_lock(7236617109734913)", &[])
            .await?;
    }
    Ok(s)
}

/// Startup check used by [`super::Store::connect_with`]; returns the revision in use.
pub(crate) async fn ensure_schema(pool: &Pool) -> Result<String> {
    let state = {
        let mut s = pool.read().await?;
        detect(&mut s).await?
    };
    if state != SchemaState::Empty {
        return match unusable_reason(&state) {
            Some(msg) => Err(StoreError::Schema(msg)),
            None => Ok(revision_of(&state)),
        };
    }
    // Empty: create under the schema lock, re-checking in case another instance won.
    let mut s = begin_schema_tx(pool).await?;
    let state = detect(&mut s).await?;
    if state == SchemaState::Empty {
        create_head_schema(&mut s).await?;
        s.commit().await?;
        return Ok(HEAD_REVISION.to_string());
    }
    drop(s);
    match unusable_reason(&state) {
        Some(msg) => Err(StoreError::Schema(msg)),
        None => Ok(revision_of(&state)),
    }
}

fn revision_of(state: &SchemaState) -> String {
    match state {
        SchemaState::Revision(r) => r.clone(),
        SchemaState::Empty | SchemaState::PreAlembic => String::new(),
    }
}
