//! Interoperability with the real MLflow auth store (Python).
//!
//! Python is taken from `MLAUTH_TEST_PYTHON`, else the repository's `.venv` (made by
//! `scripts/setup-python.sh`); it must import `mlflow.server.auth`. Without one these tests
//! fail naming the fix. PostgreSQL variants also need `psycopg2` or `psycopg` in it.

mod describe;
mod python;
mod upgrade;

use super::{with_db, TestDb};
use crate::store::schema::HEAD_REVISION;
use crate::store::{DbKind, Store};
use describe::{describe_data, describe_schema};
use python::{mlflow_db_upgrade, py_for, run_py, CREATE_USER_PY, HASH_PY, READ_OURS_PY};
use upgrade::{
    upgrade_from_initial_like_mlflow, upgrade_from_rbac_predecessor_like_mlflow,
    upgrade_pre_alembic_like_mlflow,
};

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
