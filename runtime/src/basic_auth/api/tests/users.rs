//! `users/*`.

use http::Method;

use super::{request, Env, MISSING_USERNAME, PASSWORD};
use crate::basic_auth::password::verify_password;

const CREATE: &str = "/api/2.0/mlflow/users/create";
const UPDATE_PASSWORD: &str = "/api/2.0/mlflow/users/update-password";

#[tokio::test]
async fn create_user_success_and_errors() {
    let env = Env::new().await;
    let a = env
        .post(
            "admin",
            CREATE,
            r#"{"username":"dave","password":"DavePassw0rd-1"}"#,
        )
        .await;
    a.assert_ok(r#"{"user":{"id":5,"is_admin":false,"username":"dave"}}"#);
    assert!(verify_password(
        &env.user("dave").await.password_hash,
        "DavePassw0rd-1"
    ));
    let a = env
        .post(
            "admin",
            "/ajax-api/2.0/mlflow/users/create",
            r#"{"username":"dave","password":"DavePassw0rd-1"}"#,
        )
        .await;
    a.assert_error(
        400,
        "RESOURCE_ALREADY_EXISTS",
        "User (username=dave) already exists.",
    );
    assert_eq!(
        a.body,
        r#"{"error_code": "RESOURCE_ALREADY_EXISTS", "message": "User (username=dave) already exists.", "sqlstate": "KAM00", "error_class": "RESOURCE_ALREADY_EXISTS"}"#
    );
    let a = env
        .send_req(
            "admin",
            request(
                Method::POST,
                CREATE,
                "",
                Some("application/x-www-form-urlencoded"),
                "username=x&password=y",
            ),
        )
        .await;
    assert_eq!(
        (a.status.as_u16(), a.content_type.as_str()),
        (400, "text/html; charset=utf-8")
    );
    assert_eq!(a.body, "Invalid content type. Must be application/json");
    let a = env
        .post("admin", CREATE, r#"{"username":"","password":"y"}"#)
        .await;
    assert_eq!(
        (a.status.as_u16(), a.body.as_str()),
        (400, "Username and password cannot be empty.")
    );
    assert_eq!(a.content_type, "text/html; charset=utf-8");
    env.post("admin", CREATE, r#"{"username":"eve","password":"short"}"#)
        .await
        .assert_error(
            400,
            "INVALID_PARAMETER_VALUE",
            "Password must be at least 12 characters.",
        );
    env.post("admin", CREATE, r#"{"username":"eve"}"#).await.assert_error(
        400,
        "INVALID_PARAMETER_VALUE",
        "Missing value for required parameter 'password'. See the API docs for more information about request parameters.",
    );
    env.post("admin", CREATE, "null").await.assert_error(
        400,
        "INVALID_PARAMETER_VALUE",
        MISSING_USERNAME,
    );
    env.post("admin", CREATE, "garbage").await.assert_error(
        400,
        "INVALID_PARAMETER_VALUE",
        MISSING_USERNAME,
    );
}

#[tokio::test]
async fn create_user_needs_a_workspace_admin() {
    let env = Env::new().await;
    let body = r#"{"username":"dave","password":"DavePassw0rd-1"}"#;
    env.post("bob", CREATE, body).await.assert_denied();
    env.make_workspace_admin("bob", "other").await;
    env.post("bob", CREATE, body)
        .await
        .assert_ok(r#"{"user":{"id":5,"is_admin":false,"username":"dave"}}"#);
}

#[tokio::test]
async fn get_and_current_user() {
    let env = Env::new().await;
    let path = "/api/2.0/mlflow/users/get";
    env.get("bob", path, "username=bob")
        .await
        .assert_ok(r#"{"user":{"id":3,"is_admin":false,"username":"bob"}}"#);
    env.get("bob", path, "username=alice").await.assert_denied();
    env.get("bob", path, "")
        .await
        .assert_error(400, "INVALID_PARAMETER_VALUE", MISSING_USERNAME);
    env.get("admin", path, "username=alice")
        .await
        .assert_ok(r#"{"user":{"id":2,"is_admin":false,"username":"alice"}}"#);
    env.get("admin", path, "username=nobody")
        .await
        .assert_error(
            404,
            "RESOURCE_DOES_NOT_EXIST",
            "User with username=nobody not found",
        );
    let a = env
        .get("bob", "/ajax-api/2.0/mlflow/users/current", "")
        .await;
    a.assert_ok(r#"{"is_basic_auth":true,"user":{"id":3,"is_admin":false,"username":"bob"}}"#);
    env.get("admin", "/api/2.0/mlflow/users/current", "")
        .await
        .assert_ok(r#"{"is_basic_auth":true,"user":{"id":1,"is_admin":true,"username":"admin"}}"#);
}

#[tokio::test]
async fn list_users_scopes_roles() {
    let env = Env::new().await;
    let role = env.make_workspace_admin("bob", "other").await;
    let other = env
        .core
        .store
        .create_role("other-readers", "other", None)
        .await
        .unwrap();
    let hidden = env
        .core
        .store
        .create_role("default-readers", "default", None)
        .await
        .unwrap();
    env.core.store.assign_role(2, other.id).await.unwrap();
    env.core.store.assign_role(2, hidden.id).await.unwrap();
    let a = env.get("bob", "/api/2.0/mlflow/users/list", "").await;
    let users = a.json()["users"].clone();
    assert_eq!(users.as_array().unwrap().len(), 4);
    let names = |u: &serde_json::Value| {
        u["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&users[1]), ["other-readers"]); // alice: only bob's workspace
    assert_eq!(names(&users[2]), ["other-admins-bob"]); // bob sees all his own
    assert_eq!(users[2]["roles"][0]["id"], role);
    let a = env.get("admin", "/api/2.0/mlflow/users/list", "").await;
    assert_eq!(
        names(&a.json()["users"][1]),
        ["other-readers", "default-readers"]
    );
    let a = env.get("carol", "/api/2.0/mlflow/users/list", "").await;
    assert!(a.body.starts_with(r#"{"users":[{"id":1,"is_admin":true,"roles":[],"username":"admin"},{"id":2,"is_admin":false,"roles":[],"username":"alice"}"#));
}

#[tokio::test]
async fn self_service_password_change_rules() {
    let env = Env::new().await;
    let cases = [
        (
            r#"{"username":"bob","password":"BobPassw0rd-456"}"#,
            "Current password is required when changing your own password.",
        ),
        (
            r#"{"username":"bob","password":"BobPassw0rd-456","current_password":""}"#,
            "Current password is required when changing your own password.",
        ),
        (
            r#"{"username":"bob","password":"BobPassw0rd-456","current_password":"wrong"}"#,
            "Current password does not match.",
        ),
        (
            r#"{"username":"bob","password":"Passw0rd-12345","current_password":"Passw0rd-12345"}"#,
            "New password must differ from the current password.",
        ),
        (
            r#"{"username":"bob","password":"short","current_password":"Passw0rd-12345"}"#,
            "Password must be at least 12 characters.",
        ),
    ];
    for (body, message) in cases {
        env.patch("bob", UPDATE_PASSWORD, body).await.assert_error(
            400,
            "INVALID_PARAMETER_VALUE",
            message,
        );
    }
    env.patch(
        "bob",
        UPDATE_PASSWORD,
        r#"{"username":"alice","password":"AlicePassw0rd-2"}"#,
    )
    .await
    .assert_denied();
    env.patch("bob", UPDATE_PASSWORD, "null")
        .await
        .assert_error(400, "INVALID_PARAMETER_VALUE", MISSING_USERNAME);
    // Success: the new password verifies and the cached credentials are gone.
    let cached = env.core.verify_credentials("bob", PASSWORD).await.unwrap();
    assert!(cached.is_some() && env.core.cache.get("bob", PASSWORD).is_some());
    let body =
        r#"{"username":"bob","password":"BobPassw0rd-456","current_password":"Passw0rd-12345"}"#;
    env.patch("bob", "/ajax-api/2.0/mlflow/users/update-password", body)
        .await
        .assert_ok("{}");
    assert!(env.core.cache.get("bob", PASSWORD).is_none());
    assert!(verify_password(
        &env.user("bob").await.password_hash,
        "BobPassw0rd-456"
    ));
}

#[tokio::test]
async fn admin_password_change_needs_no_current_password() {
    let env = Env::new().await;
    env.core
        .verify_credentials("alice", PASSWORD)
        .await
        .unwrap();
    env.patch(
        "admin",
        UPDATE_PASSWORD,
        r#"{"username":"alice","password":"AlicePassw0rd-2"}"#,
    )
    .await
    .assert_ok("{}");
    assert!(env.core.cache.get("alice", PASSWORD).is_none());
    assert!(verify_password(
        &env.user("alice").await.password_hash,
        "AlicePassw0rd-2"
    ));
    env.patch(
        "admin",
        UPDATE_PASSWORD,
        r#"{"username":"nobody","password":"short"}"#,
    )
    .await
    .assert_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        "User with username=nobody not found",
    );
    env.patch(
        "admin",
        UPDATE_PASSWORD,
        r#"{"username":"alice","password":"short"}"#,
    )
    .await
    .assert_error(
        400,
        "INVALID_PARAMETER_VALUE",
        "Password must be at least 12 characters.",
    );
    // Not JSON: the body is ignored, as Flask's get_json(silent=True) does.
    let req = request(
        Method::PATCH,
        UPDATE_PASSWORD,
        "",
        None,
        r#"{"username":"alice","password":"AlicePassw0rd-1"}"#,
    );
    env.send_req("admin", req)
        .await
        .assert_error(400, "INVALID_PARAMETER_VALUE", MISSING_USERNAME);
}

#[tokio::test]
async fn update_admin_is_admin_only() {
    let env = Env::new().await;
    let path = "/api/2.0/mlflow/users/update-admin";
    env.patch("bob", path, r#"{"username":"bob","is_admin":true}"#)
        .await
        .assert_denied();
    env.core.verify_credentials("bob", PASSWORD).await.unwrap();
    env.patch("admin", path, r#"{"username":"bob","is_admin":true}"#)
        .await
        .assert_ok("{}");
    assert!(env.user("bob").await.is_admin);
    assert!(env.core.cache.get("bob", PASSWORD).is_none());
    env.patch("admin", path, r#"{"username":"bob","is_admin":0}"#)
        .await
        .assert_ok("{}");
    assert!(!env.user("bob").await.is_admin);
    env.patch("admin", path, r#"{"username":"nobody","is_admin":true}"#)
        .await
        .assert_error(
            404,
            "RESOURCE_DOES_NOT_EXIST",
            "User with username=nobody not found",
        );
    env.patch("admin", path, r#"{"username":"bob"}"#).await.assert_error(
        400,
        "INVALID_PARAMETER_VALUE",
        "Missing value for required parameter 'is_admin'. See the API docs for more information about request parameters.",
    );
    env.patch("admin", path, r#"{"username":"bob","is_admin":"true"}"#)
        .await
        .assert_error(400, "BAD_REQUEST", "Not a boolean value: 'true'");
}

#[tokio::test]
async fn delete_user_rules() {
    let env = Env::new().await;
    let path = "/api/2.0/mlflow/users/delete";
    env.delete("bob", path, r#"{"username":"alice"}"#)
        .await
        .assert_denied();
    env.delete("admin", path, r#"{"username":"admin"}"#)
        .await
        .assert_error(
            400,
            "BAD_REQUEST",
            "Users cannot delete their own account. Ask another admin to delete this user instead.",
        );
    env.delete("admin", path, r#"{"username":"nobody"}"#)
        .await
        .assert_error(
            404,
            "RESOURCE_DOES_NOT_EXIST",
            "User with username=nobody not found",
        );
    let by_query = request(Method::DELETE, path, "username=nobody2", None, "");
    env.send_req("admin", by_query).await.assert_error(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        "User with username=nobody2 not found",
    );
    env.send_req("admin", request(Method::DELETE, path, "", None, ""))
        .await
        .assert_error(400, "INVALID_PARAMETER_VALUE", MISSING_USERNAME);
    env.core
        .verify_credentials("alice", PASSWORD)
        .await
        .unwrap();
    env.delete(
        "admin",
        "/ajax-api/2.0/mlflow/users/delete",
        r#"{"username":"alice"}"#,
    )
    .await
    .assert_ok("{}");
    assert!(env.core.cache.get("alice", PASSWORD).is_none());
    assert!(env.core.store.find_user("alice").await.unwrap().is_none());
}

#[tokio::test]
async fn a_cached_password_stops_counting_when_another_writer_changes_the_hash() {
    let env = Env::new().await;
    assert!(env
        .core
        .verify_credentials("bob", PASSWORD)
        .await
        .unwrap()
        .is_some());
    assert!(env.core.cache.get("bob", PASSWORD).is_some(), "cached");
    // Another writer of the same database (another instance, MLflow's tooling): no local
    // invalidation, no counter bump here.
    let other_hash = crate::basic_auth::password::generate_password_hash("Other-passw0rd-1");
    let mut session = env.core.store.write().await.unwrap();
    session
        .execute(
            "UPDATE users SET password_hash = $1 WHERE username = 'bob'",
            &[crate::store::Arg::Text(&other_hash)],
        )
        .await
        .unwrap();
    session.commit().await.unwrap();
    assert!(env
        .core
        .verify_credentials("bob", PASSWORD)
        .await
        .unwrap()
        .is_none());
    assert!(env
        .core
        .verify_credentials("bob", "Other-passw0rd-1")
        .await
        .unwrap()
        .is_some());
}
