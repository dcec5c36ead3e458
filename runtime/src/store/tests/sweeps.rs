//! Clean-up on SQLite and PostgreSQL: the rename/delete sweeps of a resource's grants and
//! the cascade of a user's deletion.

use super::{assert_msg, both_backends, exec_raw, open, TestDb};
use crate::store::StoreError;

both_backends!(sweeps_touch_only_synthetic_roles, delete_user_cascades);

async fn sweeps_touch_only_synthetic_roles(db: TestDb) -> TestDb {
    let store = open(&db).await;
    let bob = store.create_user("bob", "h", false).await.unwrap();
    store.create_user("amy", "h", false).await.unwrap();
    store
        .grant_user_permission("bob", "default", "registered_model", "m1", "MANAGE")
        .await
        .unwrap();
    store
        .grant_user_permission("amy", "default", "registered_model", "m1", "READ")
        .await
        .unwrap();
    store
        .grant_user_permission("amy", "team", "registered_model", "m1", "READ")
        .await
        .unwrap();
    let named = store
        .create_role("curators", "default", None)
        .await
        .unwrap();
    store
        .add_role_permission(named.id, "registered_model", "m1", "EDIT")
        .await
        .unwrap();

    let pg = store
        .grants_on_pattern("default", &["registered_model", "prompt"], "m1")
        .await
        .unwrap();
    assert_eq!((pg.per_user, pg.named_roles), (2, 1));
    assert_eq!(
        store
            .rename_grants_for_resource("registered_model", "m1", "m2", Some("default"))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .get_user_grant(bob.id, "default", "registered_model", "m2")
            .await
            .unwrap()
            .map(|g| g.permission),
        Some("MANAGE".into())
    );
    assert_eq!(
        store.list_role_permissions(named.id).await.unwrap()[0].resource_pattern,
        "m1",
        "named roles untouched"
    );
    assert_eq!(
        store
            .grants_on_pattern("team", &["registered_model"], "m1")
            .await
            .unwrap()
            .per_user,
        1
    );
    // rename onto an existing per-user grant conflicts
    store
        .grant_user_permission("bob", "default", "registered_model", "m3", "READ")
        .await
        .unwrap();
    assert!(matches!(
        store
            .rename_grants_for_resource("registered_model", "m2", "m3", Some("default"))
            .await,
        Err(StoreError::AlreadyExists(_))
    ));
    assert_eq!(
        store
            .delete_grants_for_resource("registered_model", "m2", Some("default"))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .delete_grants_for_resource("prompt", "m2", Some("default"))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .delete_grants_for_resource("registered_model", "m1", None)
            .await
            .unwrap(),
        1,
        "team grant, unscoped"
    );
    assert_eq!(
        store.list_role_permissions(named.id).await.unwrap().len(),
        1
    );
    store.close().await;
    db
}

async fn delete_user_cascades(db: TestDb) -> TestDb {
    let store = open(&db).await;
    let bob = store.create_user("bob", "h", false).await.unwrap();
    let amy = store.create_user("amy", "h", false).await.unwrap();
    store
        .grant_user_permission("bob", "default", "experiment", "1", "MANAGE")
        .await
        .unwrap();
    store
        .grant_user_permission("bob", "team", "experiment", "2", "READ")
        .await
        .unwrap();
    store
        .grant_user_permission("amy", "default", "experiment", "1", "READ")
        .await
        .unwrap();
    let shared = store.create_role("shared", "default", None).await.unwrap();
    store
        .add_role_permission(shared.id, "experiment", "*", "READ")
        .await
        .unwrap();
    store.assign_role(bob.id, shared.id).await.unwrap();
    store.assign_role(amy.id, shared.id).await.unwrap();
    let raw = db.raw().await;
    let (b, a) = (bob.id, amy.id);
    exec_raw(&raw, &[
        &format!("INSERT INTO experiment_permissions (experiment_id, user_id, permission) VALUES ('1', {b}, 'READ')"),
        &format!("INSERT INTO registered_model_permissions (name, user_id, permission) VALUES ('m', {b}, 'READ')"),
        &format!("INSERT INTO scorer_permissions (experiment_id, scorer_name, user_id, permission) VALUES ('1', 's', {b}, 'READ')"),
        &format!("INSERT INTO gateway_secret_permissions (secret_id, user_id, permission) VALUES ('s', {b}, 'USE')"),
        &format!("INSERT INTO gateway_endpoint_permissions (endpoint_id, user_id, permission) VALUES ('e', {b}, 'USE')"),
        &format!("INSERT INTO gateway_model_definition_permissions (model_definition_id, user_id, permission) VALUES ('d', {b}, 'USE')"),
        &format!("INSERT INTO workspace_permissions (workspace, user_id, permission) VALUES ('default', {b}, 'USE')"),
        &format!("INSERT INTO experiment_permissions (experiment_id, user_id, permission) VALUES ('1', {a}, 'READ')"),
    ]).await;

    store.delete_user("bob").await.unwrap();
    assert_msg(
        store.get_user("bob").await,
        "NotFound",
        "User with username=bob not found",
    );
    let roles: Vec<_> = store
        .list_roles(None)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(roles, vec![format!("__user_{a}__"), "shared".to_string()]);
    assert_eq!(store.list_role_users(shared.id).await.unwrap().len(), 1);
    assert_eq!(
        store
            .grants_for_user(amy.id, "default", &["experiment"])
            .await
            .unwrap()
            .len(),
        2
    );
    let mut s = raw.read().await.unwrap();
    for table in crate::store::users::RETAINED_LEGACY_PERMISSION_TABLES {
        let n = s
            .fetch_one(
                &format!("SELECT COUNT(*) FROM {table} WHERE user_id = {b}"),
                &[],
            )
            .await
            .unwrap()
            .i64(0)
            .unwrap();
        assert_eq!(n, 0, "{table} scrubbed");
    }
    let n = s
        .fetch_one("SELECT COUNT(*) FROM role_permissions", &[])
        .await
        .unwrap()
        .i64(0)
        .unwrap();
    assert_eq!(n, 2, "bob's grants gone, amy's + shared kept");
    let n = s
        .fetch_one(
            &format!("SELECT COUNT(*) FROM experiment_permissions WHERE user_id = {a}"),
            &[],
        )
        .await
        .unwrap()
        .i64(0)
        .unwrap();
    assert_eq!(n, 1, "other users' legacy rows kept");
    drop(s);
    raw.close().await;
    store.close().await;
    db
}
