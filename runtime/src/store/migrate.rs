//! `mlauth db upgrade`: brings an MLflow auth database to [`HEAD_REVISION`], following
//! MLflow's alembic chain step by step on SQLite and PostgreSQL.
//!
//! Supported starting points: an empty database, a pre-alembic (MLflow < 3.6) database with
//! a `users` table (stamped `8606fa83a998` first, as MLflow's `migrate_if_needed` does), and
//! every revision of [`ALEMBIC_CHAIN`]. The whole upgrade runs in one transaction (as
//! alembic does), serialized against concurrent upgrades.
//!
//! Differences from alembic, all deliberate:
//! * `f1a2b3c4d5e6` (prompt promotion) needs the tracking store's `registered_model_tags`
//!   in the same database, as in MLflow. If that table has no `workspace` column (a
//!   tracking schema from before workspaces), its rows are matched against workspace
//!   `default` instead of failing.

mod backfill;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::schema::{
    self, begin_schema_tx, chain_index, ddl_gateway_tables, ddl_rbac_tables,
    ddl_registered_model_permissions, ddl_scorer_permissions, ddl_workspace_permissions,
    SchemaState, ALEMBIC_CHAIN, HEAD_REVISION,
};
use super::{Arg, DbKind, Pool, Result, Session, StoreError, StoreOptions};
use backfill::backfill_legacy_grants;

/// What [`upgrade`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeOutcome {
    /// State before the upgrade.
    pub from: SchemaState,
    /// Revision after the upgrade (always [`HEAD_REVISION`]).
    pub to: String,
    /// Revisions applied, oldest first (empty when already at head; for an empty database
    /// the head schema is created directly and this lists nothing).
    pub applied: Vec<&'static str>,
}

/// Upgrades the database at a sqlx URL to [`HEAD_REVISION`].
pub async fn upgrade(url: &str) -> Result<UpgradeOutcome> {
    let opts = StoreOptions {
        max_connections: 1,
        ..StoreOptions::default()
    };
    let pool = Pool::connect(url, &opts).await?;
    let outcome = upgrade_pool(&pool).await;
    pool.close().await;
    outcome
}

pub(crate) async fn upgrade_pool(pool: &Pool) -> Result<UpgradeOutcome> {
    let mut s = begin_schema_tx(pool).await?;
    let from = schema::detect(&mut s).await?;
    let start = match &from {
        SchemaState::Empty => {
            schema::create_head_schema(&mut s).await?;
            s.commit().await?;
            return Ok(UpgradeOutcome {
                from,
                to: HEAD_REVISION.to_string(),
                applied: vec![],
            });
        }
        SchemaState::PreAlembic => {
            stamp_initial(&mut s).await?;
            1
        }
        SchemaState::Revision(rev) => match chain_index(rev) {
            Some(i) => i + 1,
            None => {
                return Err(StoreError::Schema(
                    schema::unusable_reason(&from).unwrap_or_default(),
                ))
            }
        },
    };
    let mut applied = Vec::new();
    for (rev, _) in &ALEMBIC_CHAIN[start..] {
        apply(&mut s, rev).await?;
        s.execute(
            "UPDATE alembic_version_auth SET version_num = $1",
            &[Arg::Text(rev)],
        )
        .await?;
        applied.push(*rev);
    }
    s.commit().await?;
    Ok(UpgradeOutcome {
        from,
        to: HEAD_REVISION.to_string(),
        applied,
    })
}

async fn stamp_initial(s: &mut Session) -> Result<()> {
    s.execute(&schema::ddl_version_table(), &[]).await?;
    s.execute(
        "INSERT INTO alembic_version_auth (version_num) VALUES ($1)",
        &[Arg::Text(ALEMBIC_CHAIN[0].0)],
    )
    .await?;
    Ok(())
}

async fn apply(s: &mut Session, revision: &str) -> Result<()> {
    let kind = s.kind();
    match revision {
        "0965eb92f5f0" => s.execute_batch(&[ddl_scorer_permissions(kind)]).await?,
        "a1b2c3d4e5f6" => s.execute_batch(&ddl_gateway_tables(kind)).await?,
        "2ed73881770d" => workspace_permissions_step(s).await?,
        "c3d4e5f6a7b8" => s.execute_batch(&ddl_rbac_tables(kind)).await?,
        "e5f6a7b8c9d0" => backfill_legacy_grants(s).await?,
        "f1a2b3c4d5e6" => promote_prompts(s).await?,
        other => {
            return Err(StoreError::Schema(format!(
                "mlauth has no upgrade step for revision {other}"
            )))
        }
    }
    Ok(())
}

/// `2ed73881770d`: `workspace_permissions`, and `registered_model_permissions` gains
/// `workspace` with the unique key `(workspace, name, user_id)`.
async fn workspace_permissions_step(s: &mut Session) -> Result<()> {
    s.execute_batch(&ddl_workspace_permissions()).await?;
    s.execute(
        "ALTER TABLE registered_model_permissions \
         ADD COLUMN workspace VARCHAR(63) DEFAULT 'default' NOT NULL",
        &[],
    )
    .await?;
    match s.kind() {
        DbKind::Postgres => {
            s.execute_batch(&[
                "ALTER TABLE registered_model_permissions DROP CONSTRAINT IF EXISTS unique_name_user"
                    .to_string(),
                "ALTER TABLE registered_model_permissions ADD CONSTRAINT unique_workspace_name_user \
                 UNIQUE (workspace, name, user_id)"
                    .to_string(),
            ])
            .await?
        }
        DbKind::Sqlite => {
            // SQLite cannot alter constraints: copy into a new table, as alembic's batch mode does.
            let tmp = "_alembic_tmp_registered_model_permissions";
            s.execute_batch(&[
                ddl_registered_model_permissions(DbKind::Sqlite, tmp),
                format!(
                    "INSERT INTO {tmp} (id, name, user_id, permission, workspace) \
                     SELECT id, name, user_id, permission, workspace FROM registered_model_permissions"
                ),
                "DROP TABLE registered_model_permissions".to_string(),
                format!("ALTER TABLE {tmp} RENAME TO registered_model_permissions"),
            ])
            .await?
        }
    }
    Ok(())
}

/// Characters Python's `urllib.parse.quote(s, safe='')` leaves alone: `A-Za-z0-9_.-~`.
const PY_QUOTE_SAFE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~');

/// `urllib.parse.quote(s, safe='')`.
pub(crate) fn py_quote(s: &str) -> String {
    utf8_percent_encode(s, PY_QUOTE_SAFE).to_string()
}

/// `f1a2b3c4d5e6`: per-name `registered_model` grants on prompts become `prompt` grants.
async fn promote_prompts(s: &mut Session) -> Result<()> {
    if !schema::table_exists(s, "registered_model_tags").await? {
        return Ok(()); // split deployment: nothing to classify against (as in MLflow)
    }
    let tag_workspace = if schema::column_exists(s, "registered_model_tags", "workspace").await? {
        "rmt.workspace"
    } else {
        "'default'"
    };
    let sql = format!(
        "UPDATE role_permissions SET resource_type = 'prompt' \
         WHERE resource_type = 'registered_model' AND resource_pattern <> '*' \
         AND EXISTS (SELECT 1 FROM roles r, registered_model_tags rmt \
         WHERE r.id = role_permissions.role_id AND {tag_workspace} = r.workspace \
         AND rmt.name = role_permissions.resource_pattern \
         AND rmt.key = $1 AND LOWER(rmt.value) = 'true')"
    );
    s.execute(&sql, &[Arg::Text("mlflow.prompt.is_prompt")])
        .await?;
    Ok(())
}
