//! Interoperability with the real MLflow auth store (Python).
//!
//! Python is taken from `MLAUTH_TEST_PYTHON`, else the repository's `.venv` (made by
//! `scripts/setup-python.sh`); it must import `mlflow.server.auth`. Without one these tests
//! fail naming the fix. PostgreSQL variants also need `psycopg2` or `psycopg` in it.

use std::path::PathBuf;
use std::sync::OnceLock;

use super::{exec_raw, with_db, TestDb};
use crate::store::schema::HEAD_REVISION;
use crate::store::{migrate, DbKind, Pool, Store, StoreError};

struct Python {
    exe: PathBuf,
    pg_driver: Option<&'static str>,
}

fn python_ok(exe: &PathBuf, code: &str) -> bool {
    std::process::Command::new(exe)
        .args(["-c", code])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Every candidate interpreter that imports MLflow's auth store, in preference order.
fn pythons() -> &'static [Python] {
    static PY: OnceLock<Vec<Python>> = OnceLock::new();
    PY.get_or_init(|| {
        let repo_venv = concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/python");
        let candidates = std::env::var("MLAUTH_TEST_PYTHON")
            .ok()
            .into_iter()
            .chain([repo_venv.to_string()]);
        candidates
            .map(PathBuf::from)
            .filter(|p| p.exists() && python_ok(p, "import mlflow.server.auth.sqlalchemy_store"))
            .map(|exe| {
                let pg_driver = ["psycopg2", "psycopg"]
                    .into_iter()
                    .find(|d| python_ok(&exe, &format!("import {d}")));
                Python { exe, pg_driver }
            })
            .collect()
    })
}

/// The interpreter (for PostgreSQL: the first with a driver) and the SQLAlchemy URL of
/// `db`; panics naming the fix when no interpreter qualifies.
fn py_for(db: &TestDb, test: &str) -> Option<(&'static Python, String)> {
    let all = pythons();
    assert!(
        !all.is_empty(),
        "{test}: no Python with mlflow: run ./scripts/setup-python.sh (creates .venv) or set MLAUTH_TEST_PYTHON"
    );
    let py = match db.kind {
        DbKind::Sqlite => &all[0],
        DbKind::Postgres => match all.iter().find(|p| p.pg_driver.is_some()) {
            Some(py) => py,
            None => {
                panic!("{test}: the Python with mlflow has neither psycopg2 nor psycopg (pip install psycopg2-binary)");
            }
        },
    };
    Some((py, db.sqlalchemy_url(py.pg_driver.unwrap_or("psycopg2"))))
}

async fn run_py(py: &Python, args: &[&str]) -> String {
    let out = tokio::process::Command::new(&py.exe)
        .args(args)
        .env("PYTHONWARNINGS", "ignore")
        .env("MLFLOW_DISABLE_TELEMETRY", "true")
        .env("DO_NOT_TRACK", "true")
        .output()
        .await
        .expect("spawn python");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python {args:?} failed:\n{stderr}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

async fn mlflow_db_upgrade(py: &Python, url: &str, revision: &str) {
    run_py(
        py,
        &[
            "-m",
            "mlflow.server.auth",
            "db",
            "upgrade",
            "--url",
            url,
            "--revision",
            revision,
        ],
    )
    .await;
}

const CREATE_USER_PY: &str = r#"
import json, sys
from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore
s = SqlAlchemyStore(); s.init_db(sys.argv[1])
u = s.create_user(sys.argv[2], sys.argv[3])
print(json.dumps({"id": u.id, "hash": u.password_hash}))
"#;

const HASH_PY: &str = r#"
import sys
from werkzeug.security import generate_password_hash
print(generate_password_hash(sys.argv[1]))
"#;

const READ_OURS_PY: &str = r#"
import json, sys
from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore
s = SqlAlchemyStore(); s.init_db(sys.argv[1])
name, password = sys.argv[2], sys.argv[3]
u = s.get_user(name)
out = {
    "id": u.id, "is_admin": bool(u.is_admin),
    "auth_ok": s.authenticate_user(name, password),
    "auth_bad": s.authenticate_user(name, "wrong-password-123"),
    "roles": sorted([r.name, r.workspace, sorted([p.resource_type, p.resource_pattern, p.permission] for p in r.permissions)] for r in s.list_user_roles(u.id)),
    "grants": sorted(list(g) for g in s.list_grants(u.id, "default", ["experiment"])),
}
s.grant_user_permission(name, "experiment", "77", "READ")
s.create_user("pymade", "pymadepassword123")
print(json.dumps(out))
"#;

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
async fn describe_schema(db: &TestDb) -> Vec<String> {
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
async fn describe_data(db: &TestDb) -> Vec<String> {
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

async fn schema_matches_mlflow(db: TestDb) -> TestDb {
    let Some((py, _)) = py_for(&db, "schema_matches_mlflow") else {
        return db;
    };
    let Some(theirs) = TestDb::new(db.kind).await else {
        return db;
    };
    let their_url = theirs.sqlalchemy_url(py.pg_driver.unwrap_or("psycopg2"));
    mlflow_db_upgrade(py, &their_url, "head").await;
    let store = Store::connect(&db.url).await.expect("create schema");
    store.close().await;
    let (ours_desc, theirs_desc) = (describe_schema(&db).await, describe_schema(&theirs).await);
    theirs.cleanup().await;
    assert!(
        ours_desc.len() > 40,
        "schema description too small: {ours_desc:#?}"
    );
    assert_eq!(ours_desc, theirs_desc);
    assert_eq!(
        describe_data(&db).await,
        vec![format!("ver|{HEAD_REVISION}")]
    );
    db
}

async fn store_opens_mlflow_db(db: TestDb) -> TestDb {
    let Some((py, url)) = py_for(&db, "store_opens_mlflow_db") else {
        return db;
    };
    let out = run_py(
        py,
        &["-c", CREATE_USER_PY, &url, "alice", "alicepassword123"],
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let schema_before = describe_schema(&db).await;
    let store = Store::connect(&db.url).await.expect("open MLflow DB");
    assert_eq!(store.revision(), HEAD_REVISION);
    let alice = store.get_user("alice").await.unwrap();
    assert_eq!(alice.id, v["id"].as_i64().unwrap());
    assert_eq!(alice.password_hash, v["hash"].as_str().unwrap());
    assert!(alice.password_hash.starts_with("scrypt:") && !alice.is_admin);
    // our writes work on it too
    store
        .grant_user_permission("alice", "default", "experiment", "1", "MANAGE")
        .await
        .unwrap();
    store.close().await;
    assert_eq!(
        describe_schema(&db).await,
        schema_before,
        "opening must not change the schema"
    );
    db
}

async fn mlflow_opens_store_db(db: TestDb) -> TestDb {
    let Some((py, url)) = py_for(&db, "mlflow_opens_store_db") else {
        return db;
    };
    let password = "bobpassword1234";
    let hash = run_py(py, &["-c", HASH_PY, password]).await;
    let store = Store::connect(&db.url).await.unwrap();
    let bob = store.create_user("bob", &hash, true).await.unwrap();
    let g = store
        .grant_user_permission("bob", "default", "experiment", "5", "EDIT")
        .await
        .unwrap();
    let role = store
        .create_role("readers", "default", Some("d"))
        .await
        .unwrap();
    store
        .add_role_permission(role.id, "experiment", "*", "READ")
        .await
        .unwrap();
    store.assign_role(bob.id, role.id).await.unwrap();
    store.close().await;

    let out = run_py(py, &["-c", READ_OURS_PY, &url, "bob", password]).await;
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["id"].as_i64(), Some(bob.id));
    assert_eq!(v["is_admin"], serde_json::json!(true));
    assert_eq!(
        v["auth_ok"],
        serde_json::json!(true),
        "MLflow verifies the stored hash"
    );
    assert_eq!(v["auth_bad"], serde_json::json!(false));
    let synthetic = format!("__user_{}__", bob.id);
    assert_eq!(
        v["roles"],
        serde_json::json!([
            [synthetic, "default", [["experiment", "5", "EDIT"]]],
            ["readers", "default", [["experiment", "*", "READ"]]]
        ])
    );
    assert_eq!(
        v["grants"],
        serde_json::json!([["experiment", "*", "READ"], ["experiment", "5", "EDIT"]])
    );

    let store = Store::connect(&db.url).await.expect("reopen after MLflow");
    assert_eq!(
        store.revision(),
        HEAD_REVISION,
        "MLflow must not have migrated our DB"
    );
    assert!(store
        .get_user("pymade")
        .await
        .unwrap()
        .password_hash
        .starts_with("scrypt:"));
    let mlflow_grant = store
        .get_user_grant(bob.id, "default", "experiment", "77")
        .await
        .unwrap()
        .expect("grant by MLflow");
    assert_eq!(
        mlflow_grant.role_id, g.role_id,
        "MLflow reused our synthetic role"
    );
    store.close().await;
    db
}

/// Where a legacy database starts.
#[derive(Clone, Copy)]
enum Start {
    Revision(&'static str),
    PreAlembic,
}

/// Legacy rows for the tables that exist at `rev`.
fn legacy_rows(rev: &str) -> Vec<&'static str> {
    let mut v = vec![
        "INSERT INTO users (id, username, password_hash, is_admin) VALUES (1, 'admin', 'h', TRUE)",
        "INSERT INTO users (id, username, password_hash, is_admin) VALUES (2, 'alice', 'h', FALSE)",
        "INSERT INTO users (id, username, password_hash, is_admin) VALUES (3, 'bob', 'h', NULL)",
        "INSERT INTO users (id, username, password_hash, is_admin) VALUES (4, 'carol', 'h', FALSE)",
        "INSERT INTO experiment_permissions (id, experiment_id, user_id, permission) VALUES (1, '1', 2, 'MANAGE')",
        "INSERT INTO experiment_permissions (id, experiment_id, user_id, permission) VALUES (2, '2', 2, 'NO_PERMISSIONS')",
        "INSERT INTO experiment_permissions (id, experiment_id, user_id, permission) VALUES (3, '2', 3, 'READ')",
        "INSERT INTO experiment_permissions (id, experiment_id, user_id, permission) VALUES (4, '3', 3, NULL)",
        "INSERT INTO registered_model_permissions (id, name, user_id, permission) VALUES (1, 'model-a', 2, 'EDIT')",
        "INSERT INTO registered_model_permissions (id, name, user_id, permission) VALUES (2, 'prompt-x', 3, 'MANAGE')",
        "CREATE TABLE registered_model_tags (key VARCHAR(250) NOT NULL, value VARCHAR(5000), \
         name VARCHAR(256) NOT NULL, workspace VARCHAR(63) DEFAULT 'default' NOT NULL)",
        "INSERT INTO registered_model_tags (key, value, name, workspace) VALUES ('mlflow.prompt.is_prompt', 'True', 'prompt-x', 'default')",
    ];
    if rev == "2ed73881770d" {
        v.extend([
            "INSERT INTO registered_model_permissions (id, name, user_id, permission, workspace) VALUES (3, 'prompt-x', 3, 'READ', 'team')",
            "INSERT INTO scorer_permissions (id, experiment_id, scorer_name, user_id, permission) VALUES (1, '1', 'my/scorer name', 2, 'EDIT')",
            "INSERT INTO scorer_permissions (id, experiment_id, scorer_name, user_id, permission) VALUES (2, '1', 's2', 4, 'NO_PERMISSIONS')",
            "INSERT INTO gateway_secret_permissions (id, secret_id, user_id, permission) VALUES (1, 'sec1', 2, 'USE')",
            "INSERT INTO gateway_endpoint_permissions (id, endpoint_id, user_id, permission) VALUES (1, 'ep1', 3, 'MANAGE')",
            "INSERT INTO gateway_model_definition_permissions (id, model_definition_id, user_id, permission) VALUES (1, 'md1', 4, 'READ')",
            "INSERT INTO workspace_permissions (workspace, user_id, permission) VALUES ('default', 4, 'EDIT')",
            "INSERT INTO workspace_permissions (workspace, user_id, permission) VALUES ('team', 2, 'READ')",
            "INSERT INTO workspace_permissions (workspace, user_id, permission) VALUES ('team', 3, 'NO_PERMISSIONS')",
            "INSERT INTO workspace_permissions (workspace, user_id, permission) VALUES ('other', 2, 'MANAGE')",
        ]);
    }
    v
}

/// Builds a legacy database at `start` with MLflow's own migrations plus legacy rows.
async fn build_legacy(py: &Python, db: &TestDb, start: Start) {
    let url = db.sqlalchemy_url(py.pg_driver.unwrap_or("psycopg2"));
    let rev = match start {
        Start::Revision(r) => r,
        Start::PreAlembic => "8606fa83a998",
    };
    mlflow_db_upgrade(py, &url, rev).await;
    let pool = db.raw().await;
    exec_raw(&pool, &legacy_rows(rev)).await;
    if matches!(start, Start::PreAlembic) {
        exec_raw(&pool, &["DROP TABLE alembic_version_auth"]).await;
    }
    pool.close().await;
}

/// Upgrades one copy with MLflow and one with mlauth; both must end up identical.
async fn upgrade_like_mlflow(db: TestDb, start: Start, test: &str) -> TestDb {
    let Some((py, _)) = py_for(&db, test) else {
        return db;
    };
    let Some(theirs) = TestDb::new(db.kind).await else {
        return db;
    };
    build_legacy(py, &db, start).await;
    build_legacy(py, &theirs, start).await;

    let err = Store::connect(&db.url)
        .await
        .expect_err("old DB must be refused");
    assert!(
        matches!(&err, StoreError::Schema(m) if m.contains("mlauth db upgrade")),
        "{err}"
    );
    let outcome = migrate::upgrade(&db.url).await.expect("mlauth upgrade");
    assert_eq!(outcome.to, HEAD_REVISION);
    mlflow_db_upgrade(
        py,
        &theirs.sqlalchemy_url(py.pg_driver.unwrap_or("psycopg2")),
        "head",
    )
    .await;

    let (ours_schema, their_schema) = (describe_schema(&db).await, describe_schema(&theirs).await);
    let (ours_data, their_data) = (describe_data(&db).await, describe_data(&theirs).await);
    theirs.cleanup().await;
    assert_eq!(ours_schema, their_schema);
    assert_eq!(ours_data, their_data);
    assert!(
        ours_data
            .iter()
            .any(|l| l.ends_with("|prompt|prompt-x|MANAGE")),
        "prompt promotion ran: {ours_data:#?}"
    );
    let store = Store::connect(&db.url).await.expect("open upgraded DB");
    let alice = store.get_user("alice").await.unwrap();
    let grants = store
        .grants_for_user(alice.id, "default", &["experiment"])
        .await
        .unwrap();
    assert_eq!(
        grants.len(),
        1,
        "NO_PERMISSIONS rows are dropped: {grants:?}"
    );
    store.close().await;
    db
}

async fn upgrade_from_rbac_predecessor_like_mlflow(db: TestDb) -> TestDb {
    upgrade_like_mlflow(
        db,
        Start::Revision("2ed73881770d"),
        "upgrade_from_2ed73881770d",
    )
    .await
}

async fn upgrade_from_initial_like_mlflow(db: TestDb) -> TestDb {
    upgrade_like_mlflow(
        db,
        Start::Revision("8606fa83a998"),
        "upgrade_from_8606fa83a998",
    )
    .await
}

async fn upgrade_pre_alembic_like_mlflow(db: TestDb) -> TestDb {
    upgrade_like_mlflow(db, Start::PreAlembic, "upgrade_pre_alembic").await
}

macro_rules! interop_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { with_db(DbKind::Sqlite, super::$name).await; }
            )*
            use super::*;
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { with_db(DbKind::Postgres, super::$name).await; }
            )*
            use super::*;
        }
    };
}

interop_tests!(
    schema_matches_mlflow,
    store_opens_mlflow_db,
    mlflow_opens_store_db,
    upgrade_from_rbac_predecessor_like_mlflow,
    upgrade_from_initial_like_mlflow,
    upgrade_pre_alembic_like_mlflow,
);
