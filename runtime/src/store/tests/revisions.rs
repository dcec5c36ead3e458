//! Schema revisions on SQLite and PostgreSQL: a fresh database is stamped at head,
//! unsupported revisions are refused, and `mlauth db upgrade` migrates the initial one.

use super::{both_backends, exec_raw, grant, open, TestDb};
use crate::store::schema::{self, HEAD_REVISION};
use crate::store::{migrate, Store, StoreError};

both_backends!(
    fresh_db_is_stamped_and_reopens,
    unsupported_revisions_are_refused,
    upgrade_from_initial_revision,
);

async fn fresh_db_is_stamped_and_reopens(db: TestDb) -> TestDb {
    let store = open(&db).await;
    assert_eq!(store.revision(), HEAD_REVISION);
    store.create_user("bob", "h", false).await.unwrap();
    store.close().await;
    let again = open(&db).await;
    assert_eq!(again.revision(), HEAD_REVISION);
    assert_eq!(again.get_user("bob").await.unwrap().username, "bob");
    again.close().await;
    // e5f6a7b8c9d0 has the same tables and is accepted unchanged
    let raw = db.raw().await;
    exec_raw(
        &raw,
        &["UPDATE alembic_version_auth SET version_num = 'e5f6a7b8c9d0'"],
    )
    .await;
    let third = open(&db).await;
    assert_eq!(third.revision(), "e5f6a7b8c9d0");
    third.close().await;
    let outcome = migrate::upgrade(&db.url).await.unwrap();
    assert_eq!(outcome.applied, vec!["f1a2b3c4d5e6"]);
    let fourth = open(&db).await;
    assert_eq!(fourth.revision(), HEAD_REVISION);
    fourth.close().await;
    raw.close().await;
    db
}

async fn unsupported_revisions_are_refused(db: TestDb) -> TestDb {
    let raw = db.raw().await;
    // pre-alembic: a bare users table
    exec_raw(&raw, &[&schema::ddl_users(db.kind)]).await;
    let err = Store::connect(&db.url).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Schema(m) if m.contains("mlauth db upgrade") && m.contains("MLflow < 3.6")),
        "{err}"
    );
    // older revision
    exec_raw(
        &raw,
        &[
            &schema::ddl_version_table(),
            "INSERT INTO alembic_version_auth VALUES ('c3d4e5f6a7b8')",
        ],
    )
    .await;
    let err = Store::connect(&db.url).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Schema(m) if m.contains("mlauth db upgrade") && m.contains("c3d4e5f6a7b8")),
        "{err}"
    );
    // unknown (newer) revision
    exec_raw(
        &raw,
        &["UPDATE alembic_version_auth SET version_num = 'f6a7b8c9d0e1'"],
    )
    .await;
    let err = Store::connect(&db.url).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Schema(m) if m.contains("unknown alembic revision 'f6a7b8c9d0e1'")),
        "{err}"
    );
    assert!(matches!(
        migrate::upgrade(&db.url).await,
        Err(StoreError::Schema(_))
    ));
    raw.close().await;
    db
}

/// Builds MLflow's `8606fa83a998` schema by hand, adds legacy rows, upgrades, checks the backfill.
async fn upgrade_from_initial_revision(db: TestDb) -> TestDb {
    let raw = db.raw().await;
    let id = match db.kind {
        crate::store::DbKind::Sqlite => "id INTEGER NOT NULL",
        crate::store::DbKind::Postgres => "id SERIAL NOT NULL",
    };
    exec_raw(&raw, &[
        &schema::ddl_version_table(),
        "INSERT INTO alembic_version_auth VALUES ('8606fa83a998')",
        &schema::ddl_users(db.kind),
        &schema::ddl_experiment_permissions(db.kind),
        &format!("CREATE TABLE registered_model_permissions ({id}, name VARCHAR(255) NOT NULL, \
                  user_id INTEGER NOT NULL, permission VARCHAR(255), PRIMARY KEY (id), \
                  CONSTRAINT fk_user_id FOREIGN KEY(user_id) REFERENCES users (id), \
                  CONSTRAINT unique_name_user UNIQUE (name, user_id))"),
        "INSERT INTO users (username, password_hash, is_admin) VALUES ('alice', 'h', FALSE)",
        "INSERT INTO experiment_permissions (experiment_id, user_id, permission) VALUES ('1', 1, 'EDIT')",
        "INSERT INTO experiment_permissions (experiment_id, user_id, permission) VALUES ('2', 1, 'NO_PERMISSIONS')",
        "INSERT INTO registered_model_permissions (name, user_id, permission) VALUES ('m', 1, 'READ')",
    ]).await;
    let err = Store::connect(&db.url).await.unwrap_err();
    assert!(err.to_string().contains("mlauth db upgrade"), "{err}");
    let outcome = migrate::upgrade(&db.url).await.unwrap();
    assert_eq!(outcome.applied.len(), 6);
    let store = open(&db).await;
    assert_eq!(store.revision(), HEAD_REVISION);
    let alice = store.get_user("alice").await.unwrap();
    let rows = store
        .grants_for_user(alice.id, "default", &["experiment", "registered_model"])
        .await
        .unwrap();
    assert_eq!(
        rows,
        vec![
            grant("experiment", "1", "EDIT"),
            grant("registered_model", "m", "READ")
        ]
    );
    // the new unique key allows the same name in another workspace
    exec_raw(&raw, &["INSERT INTO registered_model_permissions (name, user_id, permission, workspace) VALUES ('m', 1, 'READ', 'team')"]).await;
    // running it again is a no-op
    assert!(migrate::upgrade(&db.url).await.unwrap().applied.is_empty());
    store.close().await;
    raw.close().await;
    db
}
