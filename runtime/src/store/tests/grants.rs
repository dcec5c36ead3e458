//! Per-user grants on SQLite and PostgreSQL: grant/revoke on the synthetic roles, the
//! effective-permission query and the permission listing.

use super::{assert_msg, both_backends, grant, open, TestDb};

both_backends!(
    per_user_grants,
    grants_for_user_query,
    user_permission_listing
);

async fn per_user_grants(db: TestDb) -> TestDb {
    let store = open(&db).await;
    let bob = store.create_user("bob", "h", false).await.unwrap();
    let g = store
        .grant_user_resource_permission("bob", "default", "experiment", "2", "EDIT")
        .await
        .unwrap();
    assert_eq!(
        (
            g.resource_type.as_str(),
            g.resource_pattern.as_str(),
            g.permission.as_str()
        ),
        ("experiment", "2", "EDIT")
    );
    let role = store.get_role(g.role_id).await.unwrap();
    assert_eq!(
        (
            role.name.clone(),
            role.workspace.as_str(),
            role.description.as_deref()
        ),
        (format!("__user_{}__", bob.id), "default", None)
    );
    assert_eq!(store.list_role_users(role.id).await.unwrap().len(), 1);
    assert_msg(
        store
            .grant_user_resource_permission("bob", "default", "experiment", "2", "READ")
            .await,
        "AlreadyExists",
        "Permission for user=bob on resource_type=experiment, resource_id=2 already exists.",
    );
    assert_msg(
        store
            .grant_user_resource_permission("bob", "default", "workspace", "*", "USE")
            .await,
        "InvalidParameter",
        "resource_type 'workspace' is not supported by the per-user permission convenience APIs. \
         Use set_workspace_permission / delete_workspace_permission for workspace-wide grants.",
    );
    assert_msg(
        store
            .grant_user_resource_permission("nobody", "default", "experiment", "2", "READ")
            .await,
        "NotFound",
        "User with username=nobody not found",
    );
    assert_eq!(
        store
            .get_user_grant(bob.id, "default", "experiment", "2")
            .await
            .unwrap(),
        Some(g.clone())
    );
    assert_eq!(
        store
            .get_user_grant(bob.id, "team", "experiment", "2")
            .await
            .unwrap(),
        None
    );
    // upsert path: same role, permission replaced, no error
    let up = store
        .grant_user_permission("bob", "default", "experiment", "2", "MANAGE")
        .await
        .unwrap();
    assert_eq!((up.id, up.permission.as_str()), (g.id, "MANAGE"));
    let up2 = store
        .grant_user_permission("bob", "default", "experiment", "3", "MANAGE")
        .await
        .unwrap();
    assert_eq!(
        up2.role_id, g.role_id,
        "one synthetic role per (user, workspace)"
    );
    let team = store
        .grant_user_permission("bob", "team", "registered_model", "m", "READ")
        .await
        .unwrap();
    assert_ne!(team.role_id, g.role_id);
    store
        .revoke_user_resource_permission("bob", "default", "experiment", "2")
        .await
        .unwrap();
    assert_msg(
        store
            .revoke_user_resource_permission("bob", "default", "experiment", "2")
            .await,
        "NotFound",
        "Permission for user=bob on resource_type=experiment, resource_id=2 not found.",
    );
    assert_msg(
        store
            .revoke_user_resource_permission("bob", "nows", "experiment", "3")
            .await,
        "NotFound",
        "Permission for user=bob on resource_type=experiment, resource_id=3 not found.",
    );
    assert_eq!(
        store
            .get_user_grant(bob.id, "default", "experiment", "2")
            .await
            .unwrap(),
        None
    );
    let ensured = store.ensure_user_role(bob.id, "default").await.unwrap();
    assert_eq!(ensured.id, g.role_id);

    // a role named like bob's synthetic role but assigned to someone else is refused
    let eve = store.create_user("eve", "h", false).await.unwrap();
    let eve_role = store.ensure_user_role(eve.id, "ws2").await.unwrap();
    store.assign_role(bob.id, eve_role.id).await.unwrap();
    assert_msg(
        store.grant_user_permission("eve", "ws2", "experiment", "1", "READ").await,
        "InvalidParameter",
        &format!(
            "Role '__user_{}__' in workspace 'ws2' collides with the reserved '__user_<id>__' synthetic \
             namespace but is already assigned to user_id={}. Rename or delete the conflicting role \
             before granting per-user permissions.",
            eve.id, bob.id
        ),
    );
    store.close().await;
    db
}

async fn grants_for_user_query(db: TestDb) -> TestDb {
    let store = open(&db).await;
    let bob = store.create_user("bob", "h", false).await.unwrap();
    let amy = store.create_user("amy", "h", false).await.unwrap();
    store
        .grant_user_permission("bob", "default", "experiment", "1", "DENY")
        .await
        .unwrap();
    store
        .grant_user_permission("bob", "default", "run", "*", "READ")
        .await
        .unwrap();
    store
        .grant_user_permission("bob", "team", "experiment", "9", "MANAGE")
        .await
        .unwrap();
    store
        .grant_user_permission("amy", "default", "experiment", "2", "MANAGE")
        .await
        .unwrap();
    let role = store
        .create_role("ws-users", "default", None)
        .await
        .unwrap();
    store
        .add_role_permission(role.id, "workspace", "*", "USE")
        .await
        .unwrap();
    store
        .add_role_permission(role.id, "experiment", "*", "READ")
        .await
        .unwrap();
    store.assign_role(bob.id, role.id).await.unwrap();
    let unassigned = store.create_role("other", "default", None).await.unwrap();
    store
        .add_role_permission(unassigned.id, "experiment", "*", "MANAGE")
        .await
        .unwrap();

    let rows = store
        .grants_for_user(bob.id, "default", &["experiment"])
        .await
        .unwrap();
    assert_eq!(
        rows,
        vec![
            grant("experiment", "1", "DENY"),
            grant("workspace", "*", "USE"),
            grant("experiment", "*", "READ")
        ]
    );
    let rows = store
        .grants_for_user(bob.id, "default", &["experiment", "run", "experiment"])
        .await
        .unwrap();
    assert_eq!(rows.len(), 4);
    let none: [&str; 0] = [];
    assert_eq!(
        store
            .grants_for_user(bob.id, "default", &none)
            .await
            .unwrap(),
        vec![grant("workspace", "*", "USE")]
    );
    assert_eq!(
        store
            .grants_for_user(bob.id, "team", &["experiment"])
            .await
            .unwrap(),
        vec![grant("experiment", "9", "MANAGE")]
    );
    assert_eq!(
        store
            .grants_for_user(amy.id, "default", &["experiment".to_string()])
            .await
            .unwrap(),
        vec![grant("experiment", "2", "MANAGE")]
    );
    assert!(store
        .grants_for_user(bob.id, "nows", &["experiment"])
        .await
        .unwrap()
        .is_empty());
    store.close().await;
    db
}

async fn user_permission_listing(db: TestDb) -> TestDb {
    let store = open(&db).await;
    let bob = store.create_user("bob", "h", false).await.unwrap();
    let g = store
        .grant_user_permission("bob", "default", "experiment", "1", "MANAGE")
        .await
        .unwrap();
    let role = store.create_role("readers", "team", None).await.unwrap();
    store
        .add_role_permission(role.id, "experiment", "*", "READ")
        .await
        .unwrap();
    store.assign_role(bob.id, role.id).await.unwrap();
    let rows = store.list_user_permissions(bob.id).await.unwrap();
    let flat: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.role_id,
                r.role_name.as_str(),
                r.workspace.as_str(),
                r.resource_type.as_str(),
                r.resource_pattern.as_str(),
                r.permission.as_str(),
            )
        })
        .collect();
    let synthetic = format!("__user_{}__", bob.id);
    assert_eq!(
        flat,
        vec![
            (
                g.role_id,
                synthetic.as_str(),
                "default",
                "experiment",
                "1",
                "MANAGE"
            ),
            (role.id, "readers", "team", "experiment", "*", "READ"),
        ]
    );
    let with_roles = store.list_users_with_roles().await.unwrap();
    assert_eq!(with_roles.len(), 1);
    assert_eq!(
        with_roles[0]
            .1
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        vec![synthetic.as_str(), "readers"]
    );
    assert_eq!(with_roles[0].1[1].permissions.len(), 1);
    store.close().await;
    db
}
