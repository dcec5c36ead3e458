//! Every store operation on SQLite and PostgreSQL.

use super::{both_backends, exec_raw, TestDb};
use crate::store::schema::{self, HEAD_REVISION};
use crate::store::{migrate, GrantRow, Store, StoreError, DEFAULT_WORKSPACE};

both_backends!(
    users_crud,
    user_errors_use_mlflow_messages,
    roles_crud_and_errors,
    role_permissions_crud,
    assignments,
    per_user_grants,
    grants_for_user_query,
    user_permission_listing,
    sweeps_touch_only_synthetic_roles,
    delete_user_cascades,
    workspace_helpers,
    generation_counts_writes,
    concurrent_grants_are_safe,
    fresh_db_is_stamped_and_reopens,
    unsupported_revisions_are_refused,
    upgrade_from_initial_revision,
);

async fn open(db: &TestDb) -> Store {
    Store::connect(&db.url).await.expect("connect")
}

fn assert_msg<T: std::fmt::Debug>(res: Result<T, StoreError>, variant: &str, msg: &str) {
    let err = res.expect_err("expected an error");
    let got = match &err {
        StoreError::NotFound(_) => "NotFound",
        StoreError::AlreadyExists(_) => "AlreadyExists",
        StoreError::InvalidParameter(_) => "InvalidParameter",
        StoreError::Unavailable(_) => "Unavailable",
        StoreError::Schema(_) => "Schema",
    };
    assert_eq!((got, err.to_string().as_str()), (variant, msg));
}

async fn users_crud(db: TestDb) -> TestDb {
    let store = open(&db).await;
    let hash = "scrypt:32768:8:1$salt$abcdef";
    let alice = store.create_user("alice", hash, false).await.unwrap();
    let admin = store
        .create_user("admin", "pbkdf2:sha256:1$s$h", true)
        .await
        .unwrap();
    assert_eq!(
        (
            alice.username.as_str(),
            alice.password_hash.as_str(),
            alice.is_admin
        ),
        ("alice", hash, false)
    );
    assert!(admin.is_admin && admin.id > alice.id);
    assert_eq!(store.get_user("alice").await.unwrap(), alice);
    assert_eq!(store.get_user_by_id(admin.id).await.unwrap(), admin);
    assert!(store.has_user("alice").await.unwrap());
    assert!(
        !store.has_user("Alice").await.unwrap(),
        "usernames are case-sensitive"
    );
    assert_eq!(store.find_user("nobody").await.unwrap(), None);
    let names: Vec<_> = store
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["alice", "admin"]);
    store
        .update_password_hash("alice", "scrypt:new")
        .await
        .unwrap();
    store.update_admin("alice", true).await.unwrap();
    let alice2 = store.get_user("alice").await.unwrap();
    assert_eq!(
        (alice2.password_hash.as_str(), alice2.is_admin),
        ("scrypt:new", true)
    );
    store.update_admin("alice", false).await.unwrap();
    assert!(!store.get_user("alice").await.unwrap().is_admin);
    assert!(
        !format!("{alice2:?}").contains("scrypt"),
        "Debug must redact the hash"
    );
    store.delete_user("admin").await.unwrap();
    assert_eq!(store.list_users().await.unwrap().len(), 1);
    store.close().await;
    db
}

async fn user_errors_use_mlflow_messages(db: TestDb) -> TestDb {
    let store = open(&db).await;
    store.create_user("alice", "h", false).await.unwrap();
    assert_msg(
        store.create_user("alice", "h", false).await,
        "AlreadyExists",
        "User (username=alice) already exists.",
    );
    assert_msg(
        store.create_user("", "h", false).await,
        "InvalidParameter",
        "Username cannot be empty.",
    );
    assert_msg(
        store.get_user("nobody").await,
        "NotFound",
        "User with username=nobody not found",
    );
    assert_msg(
        store.get_user_by_id(999).await,
        "NotFound",
        "User with id=999 not found",
    );
    assert_msg(
        store.update_password_hash("nobody", "h").await,
        "NotFound",
        "User with username=nobody not found",
    );
    assert_msg(
        store.update_admin("nobody", true).await,
        "NotFound",
        "User with username=nobody not found",
    );
    assert_msg(
        store.delete_user("nobody").await,
        "NotFound",
        "User with username=nobody not found",
    );
    store.close().await;
    db
}

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

fn grant(rt: &str, pattern: &str, perm: &str) -> GrantRow {
    GrantRow {
        resource_type: rt.into(),
        resource_pattern: pattern.into(),
        permission: perm.into(),
    }
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

async fn generation_counts_writes(db: TestDb) -> TestDb {
    let store = open(&db).await;
    let g0 = store.generation();
    store.create_user("bob", "h", false).await.unwrap();
    assert_eq!(store.generation(), g0 + 1);
    store.get_user("bob").await.unwrap();
    let _ = store.create_user("bob", "h", false).await;
    assert_eq!(
        store.generation(),
        g0 + 1,
        "reads and failed writes do not count"
    );
    store
        .grant_user_permission("bob", DEFAULT_WORKSPACE, "experiment", "1", "READ")
        .await
        .unwrap();
    let clone = store.clone();
    clone.update_admin("bob", true).await.unwrap();
    assert_eq!(store.generation(), g0 + 3, "clones share the counter");
    store.close().await;
    db
}

async fn concurrent_grants_are_safe(db: TestDb) -> TestDb {
    let store = open(&db).await;
    let bob = store.create_user("bob", "h", false).await.unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .grant_user_permission(
                        "bob",
                        "default",
                        "experiment",
                        &(i % 4).to_string(),
                        "READ",
                    )
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("join").expect("grant");
    }
    let roles = store.list_user_roles(bob.id).await.unwrap();
    assert_eq!(roles.len(), 1, "exactly one synthetic role");
    assert_eq!(roles[0].permissions.len(), 4);
    store.close().await;
    db
}

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
