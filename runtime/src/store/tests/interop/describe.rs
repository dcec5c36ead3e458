//! Comparable descriptions of a database: its schema (tables, columns, keys, indexes) and
//! its auth rows, as sorted text lines, so that MLflow's result and ours can be compared.

use crate::store::tests::TestDb;
use crate::store::{DbKind, Pool};

/// Normalizes SQLite DDL text so SQLAlchemy's layout and ours compare equal.
fn normalize_sql(sql: &str) -> String {
    let collapsed = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed
        .replace("IF NOT EXISTS ", "")
        .replace('"', "")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(" ,", ",")
}

async fn rows(pool: &Pool, sql: &str) -> Vec<String> {
    let mut s = pool.read().await.expect("read");
    let rows = s
        .fetch_all(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.iter().map(|r| r.text(0).expect("text")).collect()
}

/// A sorted, normalized description of MLflow's part of the schema (tables, columns, keys,
/// indexes); mlauth's own `mlauth_*` tables are left out.
pub(super) async fn describe_schema(db: &TestDb) -> Vec<String> {
    describe_all_schema(db)
        .await
        .into_iter()
        .filter(|line| !line.contains("mlauth_"))
        .collect()
}

async fn describe_all_schema(db: &TestDb) -> Vec<String> {
    let pool = db.raw().await;
    let mut out = Vec::new();
    match db.kind {
        DbKind::Sqlite => {
            let master = "SELECT type || '|' || name || '|' || tbl_name || '|' || COALESCE(sql, '') \
                          FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'";
            for line in rows(&pool, master).await {
                let (head, sql) = line.rsplit_once('|').expect("row");
                out.push(format!("master|{head}|{}", normalize_sql(sql)));
            }
            let tables = rows(&pool, "SELECT name FROM sqlite_master WHERE type = 'table'").await;
            for t in tables {
                let q = |sql: String| sql.replace("$T", &t);
                out.extend(rows(&pool, &q("SELECT 'col|$T|' || cid || '|' || name || '|' || type || '|' || \
                    \"notnull\" || '|' || COALESCE(dflt_value, '') || '|' || pk FROM pragma_table_info('$T')".into())).await);
                out.extend(rows(&pool, &q("SELECT 'fk|$T|' || \"from\" || '|' || \"table\" || '|' || \"to\" \
                    FROM pragma_foreign_key_list('$T')".into())).await);
                out.extend(rows(&pool, &q("SELECT 'idx|$T|' || CASE WHEN il.name LIKE 'sqlite_autoindex%' THEN 'auto' \
                    ELSE il.name END || '|' || il.\"unique\" || '|' || il.origin || '|' || \
                    (SELECT group_concat(ii.name, ',') FROM pragma_index_info(il.name) ii) \
                    FROM pragma_index_list('$T') il".into())).await);
            }
        }
        DbKind::Postgres => {
            for sql in [
                "SELECT 'col|' || table_name || '|' || column_name || '|' || data_type || '|' || \
                 COALESCE(character_maximum_length::text, '') || '|' || is_nullable || '|' || \
                 COALESCE(column_default, '') FROM information_schema.columns WHERE table_schema = 'public'",
                "SELECT 'con|' || conrelid::regclass::text || '|' || conname || '|' || contype::text || '|' || \
                 pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace",
                "SELECT 'idx|' || tablename || '|' || indexname || '|' || indexdef FROM pg_indexes \
                 WHERE schemaname = 'public'",
                "SELECT 'seq|' || sequence_name || '|' || data_type FROM information_schema.sequences \
                 WHERE sequence_schema = 'public'",
            ] {
                out.extend(rows(&pool, sql).await);
            }
        }
    }
    pool.close().await;
    out.sort();
    out
}

/// Every auth row relevant to grants, as sorted text lines.
pub(super) async fn describe_data(db: &TestDb) -> Vec<String> {
    let pool = db.raw().await;
    let mut out = Vec::new();
    for sql in [
        "SELECT 'ver|' || version_num FROM alembic_version_auth",
        "SELECT 'role|' || CAST(id AS TEXT) || '|' || name || '|' || workspace || '|' || \
         COALESCE(description, '<null>') FROM roles",
        "SELECT 'rp|' || CAST(id AS TEXT) || '|' || CAST(role_id AS TEXT) || '|' || resource_type || '|' || \
         resource_pattern || '|' || permission FROM role_permissions",
        "SELECT 'ura|' || CAST(id AS TEXT) || '|' || CAST(user_id AS TEXT) || '|' || CAST(role_id AS TEXT) \
         FROM user_role_assignments",
        "SELECT 'user|' || CAST(id AS TEXT) || '|' || username FROM users",
        "SELECT 'rmp|' || name || '|' || workspace || '|' || CAST(user_id AS TEXT) FROM registered_model_permissions",
    ] {
        out.extend(rows(&pool, sql).await);
    }
    pool.close().await;
    out.sort();
    out
}
