//! The ≤3.12 per-resource endpoints, mapped onto `__user_<id>__` grants.

use super::Env;

const EXP: &str = "/api/2.0/mlflow/experiments/permissions";

#[tokio::test]
async fn experiment_permission_lifecycle() {
    let env = Env::new().await;
    env.core
        .store
        .grant_user_permission("alice", "default", "experiment", "1", "MANAGE")
        .await
        .unwrap();
    let create = r#"{"experiment_id":"1","username":"bob","permission":"EDIT"}"#;
    env.post("bob", &format!("{EXP}/create"), create)
        .await
        .assert_denied();
    env.post("alice", &format!("{EXP}/create"), create)
        .await
        .assert_ok(
            r#"{"experiment_permission":{"experiment_id":"1","permission":"EDIT","user_id":3}}"#,
        );
    env.post("alice", &format!("{EXP}/create"), create)
        .await
        .assert_error(
            400,
            "RESOURCE_ALREADY_EXISTS",
            "Experiment permission (experiment_id=1, username=bob) already exists.",
        );
    // The grant is a real per-user grant: the 3.18 API sees it.
    env.get(
        "bob",
        "/api/3.0/mlflow/users/permissions/get",
        "username=bob&resource_type=experiment&resource_id=1",
    )
    .await
    .assert_ok(r#"{"allowed":true,"permission":"EDIT"}"#);
    env.get(
        "alice",
        &format!("{EXP}/get"),
        "experiment_id=1&username=bob",
    )
    .await
    .assert_ok(
        r#"{"experiment_permission":{"experiment_id":"1","permission":"EDIT","user_id":3}}"#,
    );
    env.patch(
        "alice",
        &format!("{EXP}/update"),
        r#"{"experiment_id":"1","username":"bob","permission":"READ"}"#,
    )
    .await
    .assert_ok("{}");
    env.patch("alice", &format!("{EXP}/update"), r#"{"experiment_id":"1","username":"bob","permission":"SUPER"}"#).await.assert_error(
        400,
        "INVALID_PARAMETER_VALUE",
        "Invalid permission 'SUPER'. Valid permissions are: ('READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS', 'DENY')",
    );
    env.get(
        "alice",
        &format!("{EXP}/get"),
        "experiment_id=1&username=bob",
    )
    .await
    .assert_ok(
        r#"{"experiment_permission":{"experiment_id":"1","permission":"READ","user_id":3}}"#,
    );
    env.delete(
        "alice",
        &format!("{EXP}/delete"),
        r#"{"experiment_id":"1","username":"bob"}"#,
    )
    .await
    .assert_ok("{}");
    env.get(
        "alice",
        &format!("{EXP}/get"),
        "experiment_id=1&username=bob",
    )
    .await
    .assert_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        "Experiment permission with experiment_id=1 and username=bob not found",
    );
    env.delete(
        "alice",
        &format!("{EXP}/delete"),
        r#"{"experiment_id":"1","username":"bob"}"#,
    )
    .await
    .assert_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        "Experiment permission with experiment_id=1 and username=bob not found",
    );
    env.get(
        "alice",
        &format!("{EXP}/get"),
        "experiment_id=1&username=nobody",
    )
    .await
    .assert_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        "User with username=nobody not found",
    );
    env.get("alice", &format!("{EXP}/get"), "username=bob").await.assert_error(
        400,
        "INVALID_PARAMETER_VALUE",
        "Missing value for required parameter 'experiment_id'. See the API docs for more information about request parameters.",
    );
}

#[tokio::test]
async fn no_permissions_is_stored_as_deny() {
    let env = Env::new().await;
    env.post("admin", &format!("{EXP}/create"), r#"{"experiment_id":"7","username":"bob","permission":"NO_PERMISSIONS"}"#)
        .await
        .assert_ok(r#"{"experiment_permission":{"experiment_id":"7","permission":"NO_PERMISSIONS","user_id":3}}"#);
    env.get(
        "admin",
        "/api/3.0/mlflow/users/permissions/get",
        "username=bob&resource_type=experiment&resource_id=7",
    )
    .await
    .assert_ok(r#"{"allowed":false,"permission":"DENY"}"#);
    env.get("admin", &format!("{EXP}/get"), "experiment_id=07&username=bob")
        .await
        .assert_ok(r#"{"experiment_permission":{"experiment_id":"07","permission":"NO_PERMISSIONS","user_id":3}}"#);
}

#[tokio::test]
async fn registered_model_scorer_and_gateway_families() {
    let env = Env::new().await;
    env.core
        .store
        .grant_user_permission("alice", "default", "registered_model", "m1", "MANAGE")
        .await
        .unwrap();
    let rm = "/api/2.0/mlflow/registered-models/permissions";
    env.post("alice", &format!("{rm}/create"), r#"{"name":"m1","username":"bob","permission":"READ"}"#)
        .await
        .assert_ok(r#"{"registered_model_permission":{"name":"m1","permission":"READ","user_id":3,"workspace":"default"}}"#);
    env.post("alice", &format!("{rm}/create"), r#"{"name":"m1","username":"bob","permission":"READ"}"#).await.assert_error(
        400,
        "RESOURCE_ALREADY_EXISTS",
        "Registered model permission with workspace=default, name=m1 and username=bob already exists.",
    );
    env.post(
        "alice",
        &format!("{rm}/create"),
        r#"{"name":"m2","username":"bob","permission":"READ"}"#,
    )
    .await
    .assert_denied();
    env.get("admin", &format!("{rm}/get"), "name=m2&username=bob").await.assert_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        "Registered model permission with workspace=default, name=m2 and username=bob not found",
    );

    let sc = "/api/3.0/mlflow/scorers/permissions";
    env.post("admin", &format!("{sc}/create"), r#"{"experiment_id":"1","scorer_name":"my scorer","username":"carol","permission":"MANAGE"}"#)
        .await
        .assert_ok(r#"{"scorer_permission":{"experiment_id":"1","permission":"MANAGE","scorer_name":"my scorer","user_id":4}}"#);
    let rows = env.core.store.list_user_permissions(4).await.unwrap();
    assert_eq!(rows[0].resource_pattern, "1/my%20scorer");
    // carol now manages that scorer and may share it.
    env.post("carol", &format!("{sc}/create"), r#"{"experiment_id":"1","scorer_name":"my scorer","username":"bob","permission":"READ"}"#)
        .await
        .assert_ok(r#"{"scorer_permission":{"experiment_id":"1","permission":"READ","scorer_name":"my scorer","user_id":3}}"#);
    env.get(
        "carol",
        &format!("{sc}/get"),
        "experiment_id=1&scorer_name=nope&username=bob",
    )
    .await
    .assert_denied();
    env.get(
        "admin",
        &format!("{sc}/get"),
        "experiment_id=1&scorer_name=nope&username=bob",
    )
    .await
    .assert_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        "Scorer permission with experiment_id=1, scorer_name=nope, and username=bob not found",
    );

    let gw = "/api/3.0/mlflow/gateway/endpoints/permissions";
    env.post(
        "admin",
        &format!("{gw}/create"),
        r#"{"endpoint_id":"e-1","username":"bob","permission":"USE"}"#,
    )
    .await
    .assert_ok(
        r#"{"gateway_endpoint_permission":{"endpoint_id":"e-1","permission":"USE","user_id":3}}"#,
    );
    env.get(
        "admin",
        "/api/3.0/mlflow/gateway/model-definitions/permissions/get",
        "model_definition_id=d&username=bob",
    )
    .await
    .assert_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        "Gateway model definition permission with model_definition_id=d and username=bob not found",
    );
    env.post(
        "admin",
        "/api/3.0/mlflow/gateway/secrets/permissions/create",
        r#"{"secret_id":"s","username":"bob","permission":"USE"}"#,
    )
    .await
    .assert_ok(r#"{"gateway_secret_permission":{"permission":"USE","secret_id":"s","user_id":3}}"#);
    env.post(
        "admin",
        "/api/3.0/mlflow/gateway/secrets/permissions/create",
        r#"{"secret_id":"s","username":"bob","permission":"USE"}"#,
    )
    .await
    .assert_error(
        400,
        "RESOURCE_ALREADY_EXISTS",
        "Gateway secret permission (secret_id=s, username=bob) already exists.",
    );
}
