//! Workspace helpers on SQLite and PostgreSQL.

use super::{both_backends, open, TestDb};

both_backends!(workspace_helpers);

async fn workspace_helpers(db: TestDb) -> TestDb {
    let store = open(&db).await;
    let bob = store.create_user("bob", "h", false).await.unwrap();
    let amy = store.create_user("amy", "h", false).await.unwrap();
    let admins = store.create_role("admin", "team", None).await.unwrap();
    store
        .add_role_permission(admins.id, "workspace", "*", "MANAGE")
        .await
        .unwrap();
    store.assign_role(bob.id, admins.id).await.unwrap();
    let members = store.create_role("user", "lab", None).await.unwrap();
    store.assign_role(amy.id, members.id).await.unwrap();
    store
        .grant_user_permission("amy", "team", "experiment", "1", "READ")
        .await
        .unwrap();
    store
        .grant_user_permission("bob", "hidden", "experiment", "1", "READ")
        .await
        .unwrap();
    // a synthetic workspace grant that can read makes the workspace accessible
    let amy_role = store.ensure_user_role(amy.id, "shown").await.unwrap();
    store
        .add_role_permission(amy_role.id, "workspace", "*", "USE")
        .await
        .unwrap();

    assert_eq!(
        store
            .list_workspace_admin_workspaces(bob.id)
            .await
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        ["team"]
    );
    assert!(store.is_workspace_admin(bob.id, "team").await.unwrap());
    assert!(!store.is_workspace_admin(amy.id, "team").await.unwrap());
    assert_eq!(
        store
            .list_user_present_workspaces(amy.id)
            .await
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        ["lab", "shown", "team"]
    );
    assert!(store
        .user_has_any_role_in_workspace(amy.id, "lab")
        .await
        .unwrap());
    assert!(!store
        .user_has_any_role_in_workspace(amy.id, "default")
        .await
        .unwrap());
    assert!(store
        .is_workspace_admin_of_any_of_users_workspaces(bob.id, amy.id)
        .await
        .unwrap());
    assert!(!store
        .is_workspace_admin_of_any_of_users_workspaces(amy.id, bob.id)
        .await
        .unwrap());
    assert_eq!(
        store
            .list_accessible_workspace_names(amy.id)
            .await
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        ["lab", "shown"]
    );
    assert_eq!(
        store
            .list_accessible_workspace_names(bob.id)
            .await
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        ["team"]
    );
    assert_eq!(
        store
            .delete_workspace_permissions_for_workspace("shown")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .list_accessible_workspace_names(amy.id)
            .await
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        ["lab"]
    );
    store.close().await;
    db
}
