//! Upgrades of legacy databases: one copy upgraded by MLflow's alembic, one by
//! `mlauth db upgrade`; both must end up identical.

use super::describe::{describe_data, describe_schema};
use super::python::{mlflow_db_upgrade, py_for, Python};
use crate::store::schema::HEAD_REVISION;
use crate::store::tests::{exec_raw, TestDb};
use crate::store::{migrate, Store, StoreError};

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

/// From `2ed73881770d`, the last revision before the RBAC tables.
pub(super) async fn upgrade_from_rbac_predecessor_like_mlflow(db: TestDb) -> TestDb {
    upgrade_like_mlflow(
        db,
        Start::Revision("2ed73881770d"),
        "upgrade_from_2ed73881770d",
    )
    .await
}

/// From `8606fa83a998`, the first alembic revision.
pub(super) async fn upgrade_from_initial_like_mlflow(db: TestDb) -> TestDb {
    upgrade_like_mlflow(
        db,
        Start::Revision("8606fa83a998"),
        "upgrade_from_8606fa83a998",
    )
    .await
}

/// From a database of MLflow < 3.6 without a version table.
pub(super) async fn upgrade_pre_alembic_like_mlflow(db: TestDb) -> TestDb {
    upgrade_like_mlflow(db, Start::PreAlembic, "upgrade_pre_alembic").await
}
