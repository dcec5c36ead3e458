//! Roles on SQLite and PostgreSQL: role CRUD, role permissions and user-role assignments,
//! with MLflow's error messages.

use super::{assert_msg, both_backends, open, TestDb};

both_backends!(roles_crud_and_errors, role_permissions_crud, assignments);

async fn roles_crud_and_errors(db: TestDb) -> TestDb {
    let store = open(&db).await;
    let r = store
        .create_role("viewers", "default", Some("read only"))
        .await
        .unwrap();
    assert_eq!(
        (
            r.name.as_str(),
            r.workspace.as_str(),
            r.description.as_deref()
        ),
        ("viewers", "default", Some("read only"))
    );
    let other = store.create_role("viewers", "team", None).await.unwrap();
    assert_msg(
        store.create_role("viewers", "default", None).await,
        "AlreadyExists",
        "Role (name=viewers, workspace=default) already exists.",
    );
    assert_msg(
        store.create_role("__user_admin__", "default", None).await,
        "InvalidParameter",
        "Role name '__user_admin__' uses the reserved '__user_' prefix, which is held for the per-user \
         permission representation. Choose a different name.",
    );
    assert_eq!(store.get_role(r.id).await.unwrap(), r);
    assert_eq!(
        store.get_role_by_name("team", "viewers").await.unwrap().id,
        other.id
    );
    assert_msg(
        store.get_role(999).await,
        "NotFound",
        "Role with id=999 not found",
    );
    assert_msg(
        store.get_role_by_name("team", "x").await,
        "NotFound",
        "Role with name=x in workspace=team not found",
    );
    assert_eq!(store.list_roles(None).await.unwrap().len(), 2);
    assert_eq!(
        store.list_roles(Some(&["team".to_string()])).await.unwrap(),
        vec![other.clone()]
    );
    assert!(store.list_roles(Some(&[])).await.unwrap().is_empty());

    let editors = store.create_role("editors", "default", None).await.unwrap();
    assert_msg(
        store.update_role(editors.id, Some("viewers"), None).await,
        "AlreadyExists",
        "Role with name=viewers already exists in workspace=default",
    );
    assert_msg(store.update_role(editors.id, Some("__user_1__"), None).await, "InvalidParameter",
        "Role name '__user_1__' uses the reserved '__user_' prefix, which is held for the per-user \
         permission representation. Choose a different name.");
    assert_msg(
        store.update_role(999, Some("x"), None).await,
        "NotFound",
        "Role with id=999 not found",
    );
    let upd = store
        .update_role(editors.id, Some("writers"), Some("can write"))
        .await
        .unwrap();
    assert_eq!(
        (upd.name.as_str(), upd.description.as_deref()),
        ("writers", Some("can write"))
    );
    let same_name = store
        .update_role(editors.id, Some("writers"), None)
        .await
        .unwrap();
    assert_eq!(same_name.description.as_deref(), Some("can write"));

    // delete cascades to permissions and assignments
    let u = store.create_user("u", "h", false).await.unwrap();
    store
        .add_role_permission(editors.id, "experiment", "*", "EDIT")
        .await
        .unwrap();
    store.assign_role(u.id, editors.id).await.unwrap();
    store.delete_role(editors.id).await.unwrap();
    assert_msg(
        store.delete_role(editors.id).await,
        "NotFound",
        &format!("Role with id={} not found", editors.id),
    );
    assert!(store.list_user_roles(u.id).await.unwrap().is_empty());
    assert!(store
        .grants_for_user(u.id, "default", &["experiment"])
        .await
        .unwrap()
        .is_empty());

    store.delete_roles_for_workspace("team").await.unwrap();
    let left: Vec<_> = store
        .list_roles(None)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(left, ["viewers"]);
    store.close().await;
    db
}

async fn role_permissions_crud(db: TestDb) -> TestDb {
    let store = open(&db).await;
    let r = store.create_role("r", "default", None).await.unwrap();
    let p1 = store
        .add_role_permission(r.id, "experiment", "1", "READ")
        .await
        .unwrap();
    let p2 = store
        .add_role_permission(r.id, "registered_model", "*", "EDIT")
        .await
        .unwrap();
    assert_eq!(
        (
            p1.role_id,
            p1.resource_type.as_str(),
            p1.resource_pattern.as_str(),
            p1.permission.as_str()
        ),
        (r.id, "experiment", "1", "READ")
    );
    assert_msg(
        store.add_role_permission(r.id, "experiment", "1", "EDIT").await,
        "AlreadyExists",
        &format!("Role permission (role_id={}, resource_type=experiment, resource_pattern=1) already exists.", r.id),
    );
    assert_msg(
        store
            .add_role_permission(999, "experiment", "1", "READ")
            .await,
        "NotFound",
        "Role with id=999 not found",
    );
    assert_eq!(
        store.list_role_permissions(r.id).await.unwrap(),
        vec![p1.clone(), p2.clone()]
    );
    assert_eq!(
        store.get_role(r.id).await.unwrap().permissions,
        vec![p1.clone(), p2.clone()]
    );
    assert_eq!(store.get_role_permission(p1.id).await.unwrap(), p1);
    let up = store.update_role_permission(p1.id, "MANAGE").await.unwrap();
    assert_eq!(up.permission, "MANAGE");
    assert_eq!(
        store.get_role_permission(p1.id).await.unwrap().permission,
        "MANAGE"
    );
    assert_msg(
        store.update_role_permission(999, "READ").await,
        "NotFound",
        "Role permission with id=999 not found",
    );
    store.remove_role_permission(p1.id).await.unwrap();
    assert_msg(
        store.remove_role_permission(p1.id).await,
        "NotFound",
        &format!("Role permission with id={} not found", p1.id),
    );
    assert_msg(
        store.get_role_permission(p1.id).await,
        "NotFound",
        &format!("Role permission with id={} not found", p1.id),
    );
    assert_eq!(store.list_role_permissions(r.id).await.unwrap(), vec![p2]);
    assert_msg(
        store.list_role_permissions(999).await,
        "NotFound",
        "Role with id=999 not found",
    );
    store.close().await;
    db
}

async fn assignments(db: TestDb) -> TestDb {
    let store = open(&db).await;
    let u = store.create_user("u", "h", false).await.unwrap();
    let v = store.create_user("v", "h", false).await.unwrap();
    let r1 = store.create_role("r1", "default", None).await.unwrap();
    let r2 = store.create_role("r2", "team", None).await.unwrap();
    let a = store.assign_role(u.id, r1.id).await.unwrap();
    assert_eq!((a.user_id, a.role_id), (u.id, r1.id));
    assert_msg(
        store.assign_role(u.id, r1.id).await,
        "AlreadyExists",
        &format!(
            "User role assignment (user_id={}, role_id={}) already exists",
            u.id, r1.id
        ),
    );
    assert_msg(
        store.assign_role(999, r1.id).await,
        "NotFound",
        "User with id=999 not found",
    );
    assert_msg(
        store.assign_role(u.id, 999).await,
        "NotFound",
        "Role with id=999 not found",
    );
    let b = store.assign_role(u.id, r2.id).await.unwrap();
    let c = store.assign_role(v.id, r1.id).await.unwrap();
    let names: Vec<_> = store
        .list_user_roles(u.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["r1", "r2"]);
    assert_eq!(
        store
            .list_user_roles_for_workspace(u.id, "team")
            .await
            .unwrap(),
        vec![r2.clone()]
    );
    assert_eq!(
        store.list_role_users(r1.id).await.unwrap(),
        vec![a.clone(), c]
    );
    assert_msg(
        store.list_role_users(999).await,
        "NotFound",
        "Role with id=999 not found",
    );
    store.unassign_role(u.id, r2.id).await.unwrap();
    assert_msg(
        store.unassign_role(u.id, r2.id).await,
        "NotFound",
        &format!(
            "User role assignment (user_id={}, role_id={}) not found",
            u.id, r2.id
        ),
    );
    assert!(store
        .list_role_users(r2.id)
        .await
        .unwrap()
        .iter()
        .all(|x| x.id != b.id));
    store.close().await;
    db
}
