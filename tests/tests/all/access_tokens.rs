//! Personal access tokens end to end (`docs/access-tokens.md`): a user mints a token through
//! the REST API, MLflow's Python client uses it as the Basic password and as a Bearer token
//! through mlauth to a real MLflow server; an expired or revoked token gets MLflow's 401.

use mlauth_tests::gateway::TestGateway;
use mlauth_tests::mlflow::{run_python, MlflowServer};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Connection;

const ADMIN_PASSWORD: &str = "admin-password-123";
const BOB_PASSWORD: &str = "bob-password-123";

async fn call(
    gw: &TestGateway,
    method: Method,
    path: &str,
    auth: (&str, &str),
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (status, text) = gw.basic_call(method, path, auth, body).await;
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, json)
}

async fn bearer(gw: &TestGateway, token: &str) -> StatusCode {
    Client::new()
        .get(gw.at("/api/2.0/mlflow/experiments/search?max_results=1"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
        .status()
}

async fn mint(gw: &TestGateway, auth: (&str, &str), name: &str) -> (String, i64) {
    let (status, body) = call(
        gw,
        Method::POST,
        "/api/2.0/mlflow/users/access-tokens/create",
        auth,
        Some(json!({"name": name, "expires_in_days": 7})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"]
        .as_str()
        .expect("token shown once")
        .to_string();
    assert!(
        token.starts_with("mlat_")
            && token.contains(body["access_token"]["prefix"].as_str().unwrap()),
        "{body}"
    );
    (token, body["access_token"]["id"].as_i64().unwrap())
}

const CLIENT: &str = r#"
import os, mlflow
from mlflow.exceptions import MlflowException
mlflow.set_tracking_uri(os.environ["GATEWAY"])
client = mlflow.MlflowClient()
exp = client.create_experiment(os.environ["EXP_NAME"])
with mlflow.start_run(experiment_id=exp):
    mlflow.log_param("p", 1)
print("experiments", len(client.search_experiments()))
"#;

async fn python(gw: &TestGateway, env: Vec<(&'static str, String)>) -> String {
    let mut env = env;
    env.push(("GATEWAY", gw.url.clone()));
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run_python(CLIENT, &env)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_work_as_basic_password_and_bearer_until_expired_or_revoked() {
    let mlflow = tokio::task::spawn_blocking(MlflowServer::start)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("basic_auth.db");
    let ini = format!(
        "[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///{}\nadmin_username = admin\n",
        db_path.display()
    );
    let gw = TestGateway::start_basic_auth(&mlflow.url, &ini, dir.path(), ADMIN_PASSWORD, "")
        .await
        .unwrap();
    let admin = ("admin", ADMIN_PASSWORD);
    let bob = ("bob", BOB_PASSWORD);
    for user in ["bob", "carol"] {
        let (status, body) = call(
            &gw,
            Method::POST,
            "/api/2.0/mlflow/users/create",
            admin,
            Some(json!({"username": user, "password": BOB_PASSWORD})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (token, id) = mint(&gw, bob, "laptop").await;

    // MLflow's client: the token as the Basic password, then as a Bearer token.
    let out = python(
        &gw,
        vec![
            ("MLFLOW_TRACKING_USERNAME", "bob".into()),
            ("MLFLOW_TRACKING_PASSWORD", token.clone()),
            ("EXP_NAME", "via-basic".into()),
        ],
    )
    .await;
    assert!(out.contains("experiments"), "{out}");
    let out = python(
        &gw,
        vec![
            ("MLFLOW_TRACKING_TOKEN", token.clone()),
            ("EXP_NAME", "via-bearer".into()),
        ],
    )
    .await;
    assert!(out.contains("experiments"), "{out}");
    // The experiment made with the Bearer token is bob's (its creator got MANAGE).
    let (status, body) = call(
        &gw,
        Method::GET,
        "/api/2.0/mlflow/experiments/get-by-name?experiment_name=via-bearer",
        bob,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let exp_id = body["experiment"]["experiment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/3.0/mlflow/users/permissions/get?username=bob&resource_type=experiment&resource_id={exp_id}");
    let (status, body) = call(&gw, Method::GET, &path, admin, None).await;
    assert_eq!(
        (status, body["permission"].as_str()),
        (StatusCode::OK, Some("MANAGE")),
        "{body}"
    );

    // Listing shows no secret; the token under another username, or for carol, is refused.
    let (status, body) = call(
        &gw,
        Method::GET,
        "/api/2.0/mlflow/users/access-tokens/list",
        bob,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let listed = body.to_string();
    assert!(
        listed.contains("laptop") && !listed.contains(&token[14..]),
        "{listed}"
    );
    let (status, _) = call(
        &gw,
        Method::GET,
        "/api/2.0/mlflow/experiments/search?max_results=1",
        ("carol", token.as_str()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = call(
        &gw,
        Method::GET,
        "/api/2.0/mlflow/users/access-tokens/list?username=bob",
        ("carol", BOB_PASSWORD),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only admins see others' tokens"
    );
    // A token does not stand in for the password where the current password is required.
    let change =
        json!({"username": "bob", "password": "bob-other-password-1", "current_password": token});
    let (status, body) = call(
        &gw,
        Method::PATCH,
        "/api/2.0/mlflow/users/update-password",
        bob,
        Some(change),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    // Expiry: a second token whose expiry has passed is refused (both ways).
    let (expiring, _) = mint(&gw, bob, "short-lived").await;
    assert_eq!(bearer(&gw, &expiring).await, StatusCode::OK);
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db_path.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE mlauth_access_tokens SET expires_at = 1 WHERE name = 'short-lived'")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    assert_eq!(bearer(&gw, &expiring).await, StatusCode::UNAUTHORIZED);
    let (status, _) = call(
        &gw,
        Method::GET,
        "/api/2.0/mlflow/experiments/search",
        ("bob", expiring.as_str()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Revocation.
    assert_eq!(bearer(&gw, &token).await, StatusCode::OK);
    let (status, body) = call(
        &gw,
        Method::DELETE,
        "/api/2.0/mlflow/users/access-tokens/delete",
        bob,
        Some(json!({"id": id})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(bearer(&gw, &token).await, StatusCode::UNAUTHORIZED);
    let (status, _) = call(
        &gw,
        Method::GET,
        "/api/2.0/mlflow/experiments/search",
        ("bob", token.as_str()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let resp = Client::new()
        .get(gw.at("/api/2.0/mlflow/experiments/search"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["www-authenticate"], "Basic realm=\"mlflow\"");

    // Sharing this MLflow server: the legacy workspace-permission paths.
    legacy_workspace_permission_paths_answer_like_mlflow(&gw, admin, bob).await;
}

/// The ≤3.12 workspace-permission endpoints (reference §8) do not exist in MLflow 3.17.2: with
/// workspaces off, `mlflow server --app-name basic-auth` answers an admin with Flask's 404 and
/// anyone else with `403 Permission denied` (observed on 3.17.2). mlauth must answer the same.
async fn legacy_workspace_permission_paths_answer_like_mlflow(
    gw: &TestGateway,
    admin: (&str, &str),
    user: (&str, &str),
) {
    for (method, path) in [
        (
            Method::GET,
            "/api/3.0/mlflow/workspaces/default/permissions",
        ),
        (
            Method::POST,
            "/api/3.0/mlflow/workspaces/default/permissions",
        ),
        (
            Method::DELETE,
            "/ajax-api/3.0/mlflow/workspaces/default/permissions",
        ),
        (
            Method::GET,
            "/api/3.0/mlflow/workspace-permissions?username=bob",
        ),
    ] {
        let body = Some(json!({"username": "bob", "permission": "READ"}));
        let (status, _) = call(gw, method.clone(), path, admin, body.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "admin {method} {path}");
        let (status, text) = call(gw, method.clone(), path, user, body).await;
        assert_eq!(
            (status, text),
            (
                StatusCode::FORBIDDEN,
                Value::String("Permission denied".into())
            ),
            "user {method} {path}"
        );
    }
}
