//! Role permissions, updates, deletions, assignments and listings.

use http::Method;

use super::{request, Env, MISSING_USERNAME};

const ADD: &str = "/api/3.0/mlflow/roles/permissions/add";
const INVALID: &str = "INVALID_PARAMETER_VALUE";

#[tokio::test]
async fn role_permission_validation() {
    let env = Env::new().await;
    env.core
        .store
        .create_role("r", "default", None)
        .await
        .unwrap();
    let add = |rtype: &str, pattern: &str, perm: &str| {
        format!(
            r#"{{"role_id":1,"resource_type":"{rtype}","resource_pattern":"{pattern}","permission":"{perm}"}}"#
        )
    };
    env.post("admin", ADD, &add("workspace", "*", "MANAGE")).await.assert_ok(r#"{"role_permission":{"id":1,"permission":"MANAGE","resource_pattern":"*","resource_type":"workspace","role_id":1}}"#);
    env.post("admin", ADD, &add("workspace", "*", "MANAGE")).await.assert_error(
        400,
        "RESOURCE_ALREADY_EXISTS",
        "Role permission (role_id=1, resource_type=workspace, resource_pattern=*) already exists.",
    );
    let cases = [
        (add("workspace", "*", "READ"), "Invalid permission 'READ' for resource_type='workspace'. Workspace-wide grants accept only: ('MANAGE', 'USE')."),
        (add("run", "abc", "READ"), "Invalid resource_pattern 'abc' for resource_type='run'. This resource type supports only wildcard ('*') grants."),
        (add("experiment", "1", "SUPER"), "Invalid permission 'SUPER'. Valid permissions are: ('READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS', 'DENY')"),
        (add("experiment", "1", "NO_PERMISSIONS"), "Invalid permission 'NO_PERMISSIONS' for resource_type='experiment'. Resource-level grants accept only: ('DENY', 'EDIT', 'MANAGE', 'READ', 'USE')."),
    ];
    for (body, message) in cases {
        env.post("admin", ADD, &body)
            .await
            .assert_error(400, INVALID, message);
    }
    env.post(
        "admin",
        ADD,
        &add("experiment", "1", "READ").replace(r#""role_id":1"#, r#""role_id":999"#),
    )
    .await
    .assert_error(404, "RESOURCE_DOES_NOT_EXIST", "Role with id=999 not found");
    env.post("admin", ADD, &add("experiment", "01", "READ").replace(r#""role_id":1"#, r#""role_id":"1""#))
        .await
        .assert_ok(r#"{"role_permission":{"id":2,"permission":"READ","resource_pattern":"01","resource_type":"experiment","role_id":1}}"#);
    env.patch(
        "admin",
        "/api/3.0/mlflow/roles/permissions/update",
        r#"{"role_permission_id":999,"permission":"BOGUS"}"#,
    )
    .await
    .assert_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        "Role permission with id=999 not found",
    );
    env.patch("admin", "/api/3.0/mlflow/roles/permissions/update", r#"{"role_permission_id":1,"permission":"EDIT"}"#)
        .await
        .assert_error(400, INVALID, "Invalid permission 'EDIT' for resource_type='workspace'. Workspace-wide grants accept only: ('MANAGE', 'USE').");
    env.get("admin", "/api/3.0/mlflow/roles/permissions/list", "role_id=1").await.assert_ok(
        r#"{"role_permissions":[{"id":1,"permission":"MANAGE","resource_pattern":"*","resource_type":"workspace","role_id":1},{"id":2,"permission":"READ","resource_pattern":"01","resource_type":"experiment","role_id":1}]}"#,
    );
    env.delete(
        "admin",
        "/api/3.0/mlflow/roles/permissions/remove",
        r#"{"role_permission_id":999}"#,
    )
    .await
    .assert_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        "Role permission with id=999 not found",
    );
}

#[tokio::test]
async fn update_get_delete_and_assign_errors() {
    let env = Env::new().await;
    env.core
        .store
        .create_role("readers", "default", Some("R"))
        .await
        .unwrap();
    env.core
        .store
        .create_role("ws-admins", "other", None)
        .await
        .unwrap();
    let update = "/api/3.0/mlflow/roles/update";
    env.patch("admin", update, r#"{"role_id":1}"#)
        .await
        .assert_error(
            400,
            INVALID,
            "At least one of 'name' or 'description' must be provided to update a role.",
        );
    env.patch("admin", update, r#"{"role_id":1,"name":" "}"#)
        .await
        .assert_error(400, INVALID, "Role name cannot be empty.");
    env.patch("admin", update, r#"{"role_id":1,"description":5}"#)
        .await
        .assert_error(400, INVALID, "Role description must be a string.");
    env.patch("admin", update, r#"{"role_id":1,"name":"__user_x"}"#).await.assert_error(
        400,
        INVALID,
        "Role name '__user_x' uses the reserved '__user_' prefix, which is held for the per-user permission representation. Choose a different name.",
    );
    env.patch("admin", update, r#"{"role_id":2,"name":"ws-admins"}"#).await.assert_ok(r#"{"role":{"description":null,"id":2,"name":"ws-admins","permissions":[],"workspace":"other"}}"#);
    env.patch("admin", update, r#"{"role_id":999,"name":"z"}"#)
        .await
        .assert_error(404, "RESOURCE_DOES_NOT_EXIST", "Role with id=999 not found");
    env.core
        .store
        .create_role("taken", "default", None)
        .await
        .unwrap();
    env.patch("admin", update, r#"{"role_id":1,"name":"taken"}"#)
        .await
        .assert_error(
            400,
            "RESOURCE_ALREADY_EXISTS",
            "Role with name=taken already exists in workspace=default",
        );
    env.patch("admin", update, r#"{"role_id":1,"name":"readers2","description":"new"}"#)
        .await
        .assert_ok(r#"{"role":{"description":"new","id":1,"name":"readers2","permissions":[],"workspace":"default"}}"#);
    env.get("admin", "/api/3.0/mlflow/roles/get", "role_id=999")
        .await
        .assert_error(404, "RESOURCE_DOES_NOT_EXIST", "Role with id=999 not found");
    let assign = "/api/3.0/mlflow/roles/assign";
    env.post("admin", assign, r#"{"username":"bob","role_id":2}"#)
        .await
        .assert_ok(r#"{"assignment":{"id":1,"role_id":2,"user_id":3}}"#);
    env.post("admin", assign, r#"{"username":"bob","role_id":2}"#)
        .await
        .assert_error(
            400,
            "RESOURCE_ALREADY_EXISTS",
            "User role assignment (user_id=3, role_id=2) already exists",
        );
    env.post("admin", assign, r#"{"username":"nobody","role_id":2}"#)
        .await
        .assert_error(
            404,
            "RESOURCE_DOES_NOT_EXIST",
            "User with username=nobody not found",
        );
    env.post("admin", assign, r#"{"username":"bob","role_id":999}"#)
        .await
        .assert_error(404, "RESOURCE_DOES_NOT_EXIST", "Role with id=999 not found");
    let by_query = request(
        Method::DELETE,
        "/api/3.0/mlflow/roles/delete",
        "role_id=1",
        None,
        "",
    );
    env.send_req("admin", by_query).await.assert_ok("{}");
    env.delete("admin", "/api/3.0/mlflow/roles/delete", r#"{"role_id":1}"#)
        .await
        .assert_error(404, "RESOURCE_DOES_NOT_EXIST", "Role with id=1 not found");
}

#[tokio::test]
async fn role_listings_and_visibility() {
    let env = Env::new().await;
    env.core
        .store
        .create_role("readers", "default", Some("R"))
        .await
        .unwrap();
    let list = "/api/3.0/mlflow/roles/list";
    let a = env.get("admin", list, "").await;
    assert_eq!(a.json()["roles"].as_array().unwrap().len(), 1);
    env.get("admin", list, "workspace=").await.assert_error(
        400,
        INVALID,
        "Parameter 'workspace' must be a non-empty string when provided.",
    );
    env.get("admin", list, "workspace=nowhere")
        .await
        .assert_ok(r#"{"roles":[]}"#);
    env.get("bob", list, "").await.assert_denied();
    env.get("bob", list, "workspace=default")
        .await
        .assert_denied();
    env.make_workspace_admin("bob", "other").await;
    env.get("bob", list, "workspace=other").await.assert_ok(
        r#"{"roles":[{"description":null,"id":2,"name":"other-admins-bob","permissions":[{"id":1,"permission":"MANAGE","resource_pattern":"*","resource_type":"workspace","role_id":2}],"workspace":"other"}]}"#,
    );
    env.get("bob", list, "workspace=other&workspace=default")
        .await
        .assert_denied();
    env.get("bob", "/api/3.0/mlflow/roles/get", "role_id=1")
        .await
        .assert_denied();
    env.get("bob", "/api/3.0/mlflow/roles/get", "role_id=2").await.assert_ok(
        r#"{"role":{"description":null,"id":2,"name":"other-admins-bob","permissions":[{"id":1,"permission":"MANAGE","resource_pattern":"*","resource_type":"workspace","role_id":2}],"workspace":"other"}}"#,
    );
    env.get("bob", "/api/3.0/mlflow/roles/permissions/list", "role_id=2").await.assert_ok(
        r#"{"role_permissions":[{"id":1,"permission":"MANAGE","resource_pattern":"*","resource_type":"workspace","role_id":2}]}"#,
    );
    env.get("bob", "/api/3.0/mlflow/roles/permissions/list", "role_id=1")
        .await
        .assert_denied();
    // users/roles/list: self sees all, a workspace admin of a shared workspace sees its part.
    let other_reader = env
        .core
        .store
        .create_role("other-readers", "other", None)
        .await
        .unwrap();
    env.core
        .store
        .assign_role(2, other_reader.id)
        .await
        .unwrap();
    env.core.store.assign_role(2, 1).await.unwrap();
    let user_roles = "/api/3.0/mlflow/users/roles/list";
    let a = env.get("bob", user_roles, "username=alice").await;
    a.assert_ok(&format!(r#"{{"roles":[{{"description":null,"id":{},"name":"other-readers","permissions":[],"workspace":"other"}}]}}"#, other_reader.id));
    let a = env.get("alice", user_roles, "username=alice").await;
    assert_eq!(a.json()["roles"].as_array().unwrap().len(), 2);
    env.get("bob", user_roles, "username=admin")
        .await
        .assert_denied();
    env.get("carol", user_roles, "username=alice")
        .await
        .assert_denied();
    env.get("carol", user_roles, "")
        .await
        .assert_error(400, INVALID, MISSING_USERNAME);
    env.get("admin", user_roles, "username=nobody")
        .await
        .assert_error(
            404,
            "RESOURCE_DOES_NOT_EXIST",
            "User with username=nobody not found",
        );
    env.get("admin", "/api/3.0/mlflow/roles/users/list", "role_id=999")
        .await
        .assert_error(404, "RESOURCE_DOES_NOT_EXIST", "Role with id=999 not found");
}
