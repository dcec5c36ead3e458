//! `users/current/permissions`, `users/permissions/{list,grant,revoke,get}`.

use super::{Env, MISSING_USERNAME};

const GRANT: &str = "/api/3.0/mlflow/users/permissions/grant";
const REVOKE: &str = "/api/3.0/mlflow/users/permissions/revoke";
const GET: &str = "/api/3.0/mlflow/users/permissions/get";
const WORKSPACE_REJECTED: &str = "resource_type 'workspace' is not supported by the per-user permission convenience APIs. Use set_workspace_permission / delete_workspace_permission for workspace-wide grants.";

/// alice owns experiment 1 (the creator grant MLflow writes after `CreateExperiment`).
async fn env_with_owner() -> Env {
    let env = Env::new().await;
    env.core
        .store
        .grant_user_permission("alice", "default", "experiment", "1", "MANAGE")
        .await
        .unwrap();
    env
}

fn grant_body(user: &str, rtype: &str, id: &str, permission: &str) -> String {
    format!(
        r#"{{"username":"{user}","resource_type":"{rtype}","resource_id":"{id}","permission":"{permission}"}}"#
    )
}

#[tokio::test]
async fn owner_with_manage_grants_and_revokes() {
    let env = env_with_owner().await;
    env.post(
        "alice",
        GRANT,
        &grant_body("bob", "experiment", "1", "EDIT"),
    )
    .await
    .assert_ok("{}");
    env.post(
        "alice",
        GRANT,
        &grant_body("bob", "experiment", "1", "EDIT"),
    )
    .await
    .assert_error(
        400,
        "RESOURCE_ALREADY_EXISTS",
        "Permission for user=bob on resource_type=experiment, resource_id=1 already exists.",
    );
    env.get(
        "bob",
        GET,
        "username=bob&resource_type=experiment&resource_id=1",
    )
    .await
    .assert_ok(r#"{"allowed":true,"permission":"EDIT"}"#);
    // bob has EDIT, not MANAGE: he may not re-share; carol owns nothing.
    env.post(
        "bob",
        GRANT,
        &grant_body("carol", "experiment", "1", "READ"),
    )
    .await
    .assert_denied();
    env.post(
        "carol",
        GRANT,
        &grant_body("carol", "experiment", "1", "MANAGE"),
    )
    .await
    .assert_denied();
    env.post(
        "alice",
        GRANT,
        &grant_body("bob", "experiment", "0", "EDIT"),
    )
    .await
    .assert_denied();
    env.post(
        "alice",
        GRANT,
        &grant_body("nobody", "experiment", "1", "EDIT"),
    )
    .await
    .assert_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        "User with username=nobody not found",
    );
    let revoke = r#"{"username":"bob","resource_type":"experiment","resource_id":"1"}"#;
    env.post("alice", REVOKE, revoke).await.assert_ok("{}");
    env.post("alice", REVOKE, revoke).await.assert_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        "Permission for user=bob on resource_type=experiment, resource_id=1 not found.",
    );
    env.post("carol", REVOKE, revoke).await.assert_denied();
    env.get(
        "bob",
        GET,
        "username=bob&resource_type=experiment&resource_id=1",
    )
    .await
    .assert_ok(r#"{"allowed":false,"permission":"READ"}"#);
}

#[tokio::test]
async fn wildcards_need_a_workspace_admin() {
    let env = env_with_owner().await;
    env.post(
        "alice",
        GRANT,
        &grant_body("bob", "experiment", "*", "EDIT"),
    )
    .await
    .assert_denied();
    env.make_workspace_admin("carol", "default").await;
    env.post(
        "carol",
        GRANT,
        &grant_body("bob", "experiment", "*", "EDIT"),
    )
    .await
    .assert_ok("{}");
    env.post("carol", GRANT, &grant_body("bob", "run", "*", "DENY"))
        .await
        .assert_ok("{}");
    // A workspace admin may manage any resource.
    env.post(
        "carol",
        GRANT,
        &grant_body("bob", "registered_model", "m1", "READ"),
    )
    .await
    .assert_ok("{}");
    env.get(
        "bob",
        GET,
        "username=bob&resource_type=experiment&resource_id=*",
    )
    .await
    .assert_ok(r#"{"allowed":true,"permission":"EDIT"}"#);
    env.get(
        "bob",
        GET,
        "username=bob&resource_type=experiment&resource_id=77",
    )
    .await
    .assert_ok(r#"{"allowed":true,"permission":"EDIT"}"#);
    env.get("bob", GET, "username=bob&resource_type=run&resource_id=*")
        .await
        .assert_ok(r#"{"allowed":false,"permission":"DENY"}"#);
}

#[tokio::test]
async fn grant_validation_messages() {
    let env = env_with_owner().await;
    let cases = [
        ("alice", grant_body("bob", "workspace", "*", "USE"), WORKSPACE_REJECTED.to_string()),
        ("alice", grant_body("bob", "workspace", "1", "USE"), WORKSPACE_REJECTED.to_string()),
        ("admin", grant_body("bob", "workspace", "r1", "SUPER"), WORKSPACE_REJECTED.to_string()),
        ("alice", grant_body("bob", "prompt", "p1", "USE"), "resource_type 'prompt' is not supported by the per-user permission convenience APIs.".into()),
        ("alice", grant_body("bob", "run", "r1", "USE"), "resource_type 'run' is not supported by the per-user permission convenience APIs.".into()),
        ("alice", grant_body("bob", "scorer", "1", "USE"), "Invalid scorer resource_id. Expected '<experiment_id>/<scorer_name>'.".into()),
        ("admin", grant_body("bob", "run", "r1", "SUPER"), "Invalid resource_pattern 'r1' for resource_type='run'. This resource type supports only wildcard ('*') grants.".into()),
        ("admin", grant_body("bob", "experiment", "1", "NO_PERMISSIONS"), "Invalid permission 'NO_PERMISSIONS' for resource_type='experiment'. Resource-level grants accept only: ('DENY', 'EDIT', 'MANAGE', 'READ', 'USE').".into()),
        ("admin", grant_body("bob", "experiment", "1", "SUPER"), "Invalid permission 'SUPER'. Valid permissions are: ('READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS', 'DENY')".into()),
    ];
    for (who, body, message) in cases {
        env.post(who, GRANT, &body)
            .await
            .assert_error(400, "INVALID_PARAMETER_VALUE", &message);
    }
    let a = env
        .post("alice", GRANT, &grant_body("bob", "bogus", "1", "USE"))
        .await;
    assert!(a.json()["message"].as_str().unwrap().starts_with(
        "Invalid resource type 'bogus'. Valid resource types are: ('assessment', 'experiment',"
    ));
    // The user is looked up before the grant is validated (admin path).
    env.post(
        "admin",
        GRANT,
        &grant_body("nobody", "bogus", "r1", "SUPER"),
    )
    .await
    .assert_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        "User with username=nobody not found",
    );
    env.post("admin", GRANT, r#"{"username":"bob"}"#).await.assert_error(
        400,
        "INVALID_PARAMETER_VALUE",
        "Missing value for required parameter 'resource_type'. See the API docs for more information about request parameters.",
    );
}

#[tokio::test]
async fn experiment_ids_are_canonical_and_scorer_grants_work() {
    let env = env_with_owner().await;
    env.post(
        "alice",
        GRANT,
        &grant_body("bob", "experiment", "01", "READ"),
    )
    .await
    .assert_ok("{}");
    env.post(
        "alice",
        GRANT,
        &grant_body("bob", "experiment", "1", "READ"),
    )
    .await
    .assert_error(
        400,
        "RESOURCE_ALREADY_EXISTS",
        "Permission for user=bob on resource_type=experiment, resource_id=1 already exists.",
    );
    env.post(
        "alice",
        REVOKE,
        r#"{"username":"bob","resource_type":"experiment","resource_id":"001"}"#,
    )
    .await
    .assert_ok("{}");
    env.post(
        "admin",
        GRANT,
        &grant_body("carol", "scorer", "1/my scorer", "USE"),
    )
    .await
    .assert_ok("{}");
    env.get(
        "admin",
        GET,
        "username=carol&resource_type=scorer&resource_id=1/my%20scorer",
    )
    .await
    .assert_ok(r#"{"allowed":true,"permission":"USE"}"#);
    // alice's MANAGE on the experiment is not MANAGE on its scorers.
    env.post(
        "alice",
        GRANT,
        &grant_body("carol", "scorer", "1/other", "USE"),
    )
    .await
    .assert_denied();
}

#[tokio::test]
async fn get_permission_who_and_errors() {
    let env = env_with_owner().await;
    env.get(
        "bob",
        GET,
        "username=alice&resource_type=experiment&resource_id=1",
    )
    .await
    .assert_denied();
    env.get(
        "bob",
        GET,
        "username=nobody&resource_type=experiment&resource_id=1",
    )
    .await
    .assert_denied();
    env.get(
        "bob",
        GET,
        "username=bob&resource_type=experiment&resource_id=999",
    )
    .await
    .assert_ok(r#"{"allowed":false,"permission":"READ"}"#);
    env.get(
        "bob",
        GET,
        "username=bob&resource_type=workspace&resource_id=x",
    )
    .await
    .assert_error(400, "INVALID_PARAMETER_VALUE", WORKSPACE_REJECTED);
    env.get("bob", GET, "username=bob&resource_type=run&resource_id=x")
        .await
        .assert_error(
            400,
            "INVALID_PARAMETER_VALUE",
            "resource_type 'run' is not supported by the per-user permission convenience APIs.",
        );
    env.get("bob", GET, "resource_type=experiment&resource_id=1")
        .await
        .assert_error(400, "INVALID_PARAMETER_VALUE", MISSING_USERNAME);
    env.get(
        "admin",
        GET,
        "username=nobody&resource_type=experiment&resource_id=1",
    )
    .await
    .assert_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        "User with username=nobody not found",
    );
    env.get(
        "admin",
        GET,
        "username=alice&resource_type=experiment&resource_id=1",
    )
    .await
    .assert_ok(r#"{"allowed":true,"permission":"MANAGE"}"#);
    // A workspace admin of `default` may look at anyone.
    env.make_workspace_admin("carol", "default").await;
    env.get(
        "carol",
        GET,
        "username=alice&resource_type=experiment&resource_id=1",
    )
    .await
    .assert_ok(r#"{"allowed":true,"permission":"MANAGE"}"#);
    env.get(
        "carol",
        GET,
        "username=alice&resource_type=scorer&resource_id=1",
    )
    .await
    .assert_denied();
}

#[tokio::test]
async fn permission_listings() {
    let env = env_with_owner().await;
    let row = r#"{"permission":"MANAGE","resource_pattern":"1","resource_type":"experiment","role_id":1,"role_name":"__user_2__","workspace":"default"}"#;
    env.get("alice", "/api/3.0/mlflow/users/current/permissions", "")
        .await
        .assert_ok(&format!(r#"{{"is_admin":false,"permissions":[{row}]}}"#));
    env.get(
        "admin",
        "/ajax-api/3.0/mlflow/users/current/permissions",
        "",
    )
    .await
    .assert_ok(r#"{"is_admin":true,"permissions":[]}"#);
    let list = "/api/3.0/mlflow/users/permissions/list";
    env.get("alice", list, "username=alice")
        .await
        .assert_ok(&format!(r#"{{"is_admin":false,"permissions":[{row}]}}"#));
    env.get("bob", list, "username=alice").await.assert_denied();
    env.get("bob", list, "username=nobody")
        .await
        .assert_denied();
    env.get("bob", list, "")
        .await
        .assert_error(400, "INVALID_PARAMETER_VALUE", MISSING_USERNAME);
    env.get("admin", list, "username=nobody")
        .await
        .assert_error(
            404,
            "RESOURCE_DOES_NOT_EXIST",
            "User with username=nobody not found",
        );
    // bob administers `other`, where alice also has a role: he sees only rows in `other`.
    env.make_workspace_admin("bob", "other").await;
    let role = env
        .core
        .store
        .create_role("other-readers", "other", None)
        .await
        .unwrap();
    env.core
        .store
        .add_role_permission(role.id, "experiment", "*", "READ")
        .await
        .unwrap();
    env.core.store.assign_role(2, role.id).await.unwrap();
    let a = env.get("bob", list, "username=alice").await;
    a.assert_ok(&format!(
        r#"{{"is_admin":false,"permissions":[{{"permission":"READ","resource_pattern":"*","resource_type":"experiment","role_id":{},"role_name":"other-readers","workspace":"other"}}]}}"#,
        role.id
    ));
}
