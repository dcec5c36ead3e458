//! Role creation and who may manage roles (workspace admins).

use super::Env;

const CREATE: &str = "/api/3.0/mlflow/roles/create";
const ADD: &str = "/api/3.0/mlflow/roles/permissions/add";
const INVALID: &str = "INVALID_PARAMETER_VALUE";

#[tokio::test]
async fn create_role_shapes_and_errors() {
    let env = Env::new().await;
    env.post("admin", CREATE, r#"{"workspace":"default","name":"readers","description":"R"}"#)
        .await
        .assert_ok(r#"{"role":{"description":"R","id":1,"name":"readers","permissions":[],"workspace":"default"}}"#);
    env.post(
        "admin",
        "/ajax-api/3.0/mlflow/roles/create",
        r#"{"workspace":"default","name":"readers"}"#,
    )
    .await
    .assert_error(
        400,
        "RESOURCE_ALREADY_EXISTS",
        "Role (name=readers, workspace=default) already exists.",
    );
    env.post("admin", CREATE, r#"{"workspace":"default","name":"__user_9__"}"#).await.assert_error(
        400,
        INVALID,
        "Role name '__user_9__' uses the reserved '__user_' prefix, which is held for the per-user permission representation. Choose a different name.",
    );
    env.post("admin", CREATE, r#"{"workspace":"default","name":"  "}"#)
        .await
        .assert_error(400, INVALID, "Role name cannot be empty.");
    env.post("admin", CREATE, r#"{"workspace":"","name":"x"}"#)
        .await
        .assert_error(400, INVALID, "Workspace cannot be empty.");
    env.post(
        "admin",
        CREATE,
        r#"{"workspace":"default","name":"x","description":5}"#,
    )
    .await
    .assert_error(400, INVALID, "Role description must be a string or null.");
    env.post("admin", CREATE, r#"{"workspace":"other","name":"ws-admins"}"#)
        .await
        .assert_ok(r#"{"role":{"description":null,"id":2,"name":"ws-admins","permissions":[],"workspace":"other"}}"#);
}

#[tokio::test]
async fn role_management_needs_the_workspace_admin() {
    let env = Env::new().await;
    env.post("bob", CREATE, r#"{"workspace":"default","name":"y"}"#)
        .await
        .assert_denied();
    env.post("bob", CREATE, r#"{"name":"y"}"#)
        .await
        .assert_error(
            400,
            INVALID,
            "Request must include one of: role_id, role_permission_id, workspace.",
        );
    env.post("bob", CREATE, r#"{"name":"y","workspace":" "}"#)
        .await
        .assert_error(
            400,
            INVALID,
            "Parameter 'workspace' must be a non-empty string.",
        );
    let admins = env.make_workspace_admin("bob", "other").await;
    let a = env
        .post(
            "bob",
            CREATE,
            r#"{"workspace":"other","name":"other-readers"}"#,
        )
        .await;
    let role = a.json()["role"]["id"].as_i64().unwrap();
    env.post("bob", CREATE, r#"{"workspace":"default","name":"z"}"#)
        .await
        .assert_denied();
    let default_role = env
        .core
        .store
        .create_role("default-readers", "default", None)
        .await
        .unwrap()
        .id;
    env.post(
        "bob",
        "/api/3.0/mlflow/roles/assign",
        &format!(r#"{{"username":"alice","role_id":{role}}}"#),
    )
    .await
    .assert_ok(&format!(
        r#"{{"assignment":{{"id":2,"role_id":{role},"user_id":2}}}}"#
    ));
    env.post(
        "bob",
        "/api/3.0/mlflow/roles/assign",
        &format!(r#"{{"username":"alice","role_id":{default_role}}}"#),
    )
    .await
    .assert_denied();
    env.patch("bob", "/api/3.0/mlflow/roles/update", &format!(r#"{{"role_id":{role},"description":"d"}}"#))
        .await
        .assert_ok(&format!(r#"{{"role":{{"description":"d","id":{role},"name":"other-readers","permissions":[],"workspace":"other"}}}}"#));
    env.patch(
        "bob",
        "/api/3.0/mlflow/roles/update",
        &format!(r#"{{"role_id":{default_role},"description":"d"}}"#),
    )
    .await
    .assert_denied();
    // 3.18: identifiers naming different workspaces are refused.
    env.patch(
        "bob",
        "/api/3.0/mlflow/roles/update",
        &format!(r#"{{"role_id":{role},"workspace":"default","description":"d"}}"#),
    )
    .await
    .assert_denied();
    // The handlers also read camelCase (`roleId`): the check reads it the same way, so a
    // workspace admin of `other` cannot act on a `default` role by naming `other` beside it.
    env.post(
        "bob",
        "/api/3.0/mlflow/roles/assign",
        &format!(r#"{{"username":"alice","workspace":"other","roleId":{default_role}}}"#),
    )
    .await
    .assert_denied();
    env.post(
        "bob",
        "/api/3.0/mlflow/roles/assign",
        &format!(r#"{{"username":"alice","role_id":{role},"roleId":{default_role}}}"#),
    )
    .await
    .assert_error(
        400,
        INVALID,
        "Parameter 'role_id' is given twice, as 'role_id' and as 'roleId'.",
    );
    // Unknown roles are refused, not revealed.
    env.get("bob", "/api/3.0/mlflow/roles/get", "role_id=999")
        .await
        .assert_denied();
    env.get("bob", "/api/3.0/mlflow/roles/get", "role_id=abc")
        .await
        .assert_error(
            400,
            INVALID,
            "Parameter 'role_id' must be an integer. Got: 'abc'",
        );
    let a = env.post("bob", ADD, &format!(r#"{{"role_id":{role},"resource_type":"experiment","resource_pattern":"*","permission":"READ"}}"#)).await;
    let rp = a.json()["role_permission"]["id"].as_i64().unwrap();
    a.assert_ok(&format!(r#"{{"role_permission":{{"id":{rp},"permission":"READ","resource_pattern":"*","resource_type":"experiment","role_id":{role}}}}}"#));
    env.patch("bob", "/api/3.0/mlflow/roles/permissions/update", &format!(r#"{{"role_permission_id":{rp},"permission":"EDIT"}}"#))
        .await
        .assert_ok(&format!(r#"{{"role_permission":{{"id":{rp},"permission":"EDIT","resource_pattern":"*","resource_type":"experiment","role_id":{role}}}}}"#));
    env.patch(
        "bob",
        "/api/3.0/mlflow/roles/permissions/update",
        r#"{"role_permission_id":999,"permission":"EDIT"}"#,
    )
    .await
    .assert_denied();
    env.get(
        "bob",
        "/api/3.0/mlflow/roles/users/list",
        &format!("role_id={role}"),
    )
    .await
    .assert_ok(&format!(
        r#"{{"assignments":[{{"id":2,"role_id":{role},"user_id":2}}]}}"#
    ));
    env.delete(
        "bob",
        "/api/3.0/mlflow/roles/permissions/remove",
        &format!(r#"{{"role_permission_id":{rp}}}"#),
    )
    .await
    .assert_ok("{}");
    let unassign = format!(r#"{{"username":"alice","role_id":{role}}}"#);
    env.delete("bob", "/api/3.0/mlflow/roles/unassign", &unassign)
        .await
        .assert_ok("{}");
    env.delete("bob", "/api/3.0/mlflow/roles/unassign", &unassign)
        .await
        .assert_error(
            404,
            "RESOURCE_DOES_NOT_EXIST",
            &format!("User role assignment (user_id=2, role_id={role}) not found"),
        );
    env.delete(
        "bob",
        "/api/3.0/mlflow/roles/unassign",
        &format!(r#"{{"username":"nobody","role_id":{role}}}"#),
    )
    .await
    .assert_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        "User with username=nobody not found",
    );
    env.delete(
        "bob",
        "/api/3.0/mlflow/roles/delete",
        &format!(r#"{{"role_id":{role}}}"#),
    )
    .await
    .assert_ok("{}");
    env.delete(
        "alice",
        "/api/3.0/mlflow/roles/delete",
        &format!(r#"{{"role_id":{admins}}}"#),
    )
    .await
    .assert_denied();
}
