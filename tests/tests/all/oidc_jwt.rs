//! The oidc-jwt example through the gateway, against a provider made by the test: RSA and
//! EC keys generated here, their JWKS served on loopback and fetched by the host; plus one
//! end-to-end run of MLflow's Python client (JWT, then a custom-auth-app session token)
//! against a real `mlflow server`.

use mlauth_tests::gateway::TestGateway;
use mlauth_tests::mlflow::{run_python, MlflowServer};
use mlauth_tests::oidc::{claims, now, JwksServer, SigningKey, ISSUER};
use mlauth_tests::upstream::MockUpstream;
use mlauth_tests::wasm;
use serde_json::json;

fn config(jwks_url: &str) -> String {
    format!(
        "[jwt.oidc]\njwks_url = \"{jwks_url}\"\nissuers = [\"{ISSUER}\"]\nmin_refetch_secs = 0\n\
         [plugins.test-app]\ngrants = [\"jwt\"]\njwt = [\"oidc\"]\n\
         config = {{ issuer = \"{ISSUER}\", audience = \"mlflow\", role_map = \"ml-team=editor\", leeway_seconds = 5 }}\n"
    )
}

async fn status(gw: &TestGateway, token: Option<&str>) -> u16 {
    let mut req = reqwest::Client::new().get(gw.at("/api/2.0/mlflow/experiments/search"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn provider_tokens_are_verified_by_the_host() {
    let (rsa, ec) = (SigningKey::rsa("rsa-1"), SigningKey::ec("ec-1"));
    let idp = JwksServer::start(&[&rsa, &ec]).await;
    let upstream = MockUpstream::start().await;
    let gw = TestGateway::start(wasm::OIDC_JWT, &upstream.url, &config(&idp.url))
        .await
        .unwrap();
    assert_eq!(idp.hits(), 0, "fetched lazily, not at start");

    assert_eq!(
        status(&gw, Some(&rsa.sign(&claims("alice", json!({}))))).await,
        200
    );
    assert_eq!(
        status(
            &gw,
            Some(&ec.sign(&claims("bob", json!({"groups": ["ml-team"]}))))
        )
        .await,
        200
    );
    let users: Vec<_> = upstream
        .seen()
        .iter()
        .map(|s| s.headers["x-mlauth-user"].clone())
        .collect();
    assert_eq!(users, ["alice", "bob"]);
    assert_eq!(idp.hits(), 1, "the JWKS is cached");

    let stranger = SigningKey::ec("ec-1");
    let refused = [
        ec.sign(&claims("c", json!({"exp": now() - 60}))),
        ec.sign(&claims("c", json!({"nbf": now() + 60}))),
        ec.sign(&claims("c", json!({"aud": "another-app"}))),
        ec.sign(&claims("c", json!({"iss": "https://evil.test/"}))),
        stranger.sign(&claims("c", json!({}))),
        "not.a.jwt".to_string(),
    ];
    for token in &refused {
        assert_eq!(status(&gw, Some(token)).await, 401, "{token}");
    }
    assert_eq!(status(&gw, None).await, 401);
    assert_eq!(
        upstream.seen().len(),
        2,
        "nothing refused reached the upstream"
    );

    // Rotation: a token from a newly published key makes the host fetch the JWKS again.
    let rotated = SigningKey::ec("ec-2");
    idp.add(&rotated);
    let before = idp.hits();
    assert_eq!(
        status(&gw, Some(&rotated.sign(&claims("carol", json!({}))))).await,
        200
    );
    assert_eq!(idp.hits(), before + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn key_set_config_errors_stop_the_start() {
    let upstream = "http://127.0.0.1:9";
    let bad_url = config("http://idp.example.com/jwks");
    let err = TestGateway::start(wasm::OIDC_JWT, upstream, &bad_url)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("must be https://"), "{err}");
    let no_issuers = config("http://127.0.0.1:1/jwks")
        .replace(&format!("issuers = [\"{ISSUER}\"]"), "issuers = []");
    let err = TestGateway::start(wasm::OIDC_JWT, upstream, &no_issuers)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("jwt.oidc.issuers"), "{err}");
}

const CLIENT: &str = r#"
import os, mlflow
mlflow.set_tracking_uri(os.environ["GATEWAY"])
client = mlflow.MlflowClient()
exp = client.create_experiment(os.environ["EXPERIMENT"])
print("experiments", sorted(e.name for e in client.search_experiments()))
"#;

#[tokio::test(flavor = "multi_thread")]
async fn mlflow_client_with_a_jwt_and_with_a_session_token() {
    let mlflow = tokio::task::spawn_blocking(MlflowServer::start)
        .await
        .unwrap();
    let key = SigningKey::ec("ec-1");
    let idp = JwksServer::start(&[&key]).await;
    let oidc = TestGateway::start(wasm::OIDC_JWT, &mlflow.url, &config(&idp.url))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let toml = crate::custom_auth_app::store_with_users(dir.path()).await;
    let app = TestGateway::start(wasm::CUSTOM_AUTH_APP, &mlflow.url, &toml)
        .await
        .unwrap();
    let login = crate::custom_auth_app::login(&app, "bob", "bob-password-123").await;
    let session: serde_json::Value = login.json().await.unwrap();
    let runs = [
        (
            oidc.url.clone(),
            key.sign(&claims("alice", json!({}))),
            "via-jwt",
        ),
        (
            app.url.clone(),
            session["token"].as_str().unwrap().to_owned(),
            "via-session",
        ),
    ];
    for (url, token, experiment) in runs {
        let out = tokio::task::spawn_blocking(move || {
            run_python(
                CLIENT,
                &[
                    ("GATEWAY", &url),
                    ("MLFLOW_TRACKING_TOKEN", &token),
                    ("EXPERIMENT", experiment),
                ],
            )
        })
        .await
        .unwrap();
        assert!(out.contains(&format!("'{experiment}'")), "{out}");
    }
}

/// basic-auth with oidc-jwt as its `authorization_function` and `[provisioning]` on.
async fn basic_auth_with_oidc(
    jwks_url: &str,
    upstream: &str,
    dir: &std::path::Path,
    provisioning: &str,
) -> Result<TestGateway, String> {
    let ini = format!(
        "[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///{}\nadmin_username = admin\n\
         authorization_function = {}\n",
        dir.join("basic_auth.db").display(),
        wasm::OIDC_JWT
    );
    let toml = format!(
        "[jwt.oidc]\njwks_url = \"{jwks_url}\"\nissuers = [\"{ISSUER}\"]\n\
         [plugins.basic-auth]\ngrants = [\"jwt\"]\njwt = [\"oidc\"]\n\
         config = {{ issuer = \"{ISSUER}\", audience = \"mlflow\", role_map = \"ml-team=editor, ml-viewers=viewer\" }}\n\
         {provisioning}"
    );
    TestGateway::start_basic_auth(upstream, &ini, dir, "admin-password-123", &toml).await
}

/// Role names of `username` as the admin sees them in `users/list`.
async fn roles_of(gw: &TestGateway, admin: &str, username: &str) -> Vec<String> {
    let list: serde_json::Value = reqwest::Client::new()
        .get(gw.at("/api/2.0/mlflow/users/list"))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap_or_else(|| panic!("{username} not in {list}"));
    let mut names: Vec<String> = user["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// A POST to the auth API as `admin` that must succeed; its JSON answer.
async fn admin_call(
    gw: &TestGateway,
    admin: &str,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let answer = reqwest::Client::new()
        .post(gw.at(path))
        .bearer_auth(admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{path}");
    answer.json().await.unwrap()
}

async fn current_user(gw: &TestGateway, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(gw.at("/api/2.0/mlflow/users/current"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn first_login_provisions_the_user_and_groups_drive_managed_roles() {
    let key = SigningKey::rsa("rsa-1");
    let idp = JwksServer::start(&[&key]).await;
    let upstream = MockUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let provisioning =
        "[provisioning]\ncreate_users = true\nmanaged_roles = [\"editor\", \"viewer\"]\n";
    let gw = basic_auth_with_oidc(&idp.url, &upstream.url, dir.path(), provisioning)
        .await
        .unwrap();
    let admin = key.sign(&claims("admin", json!({})));
    let mut role_ids = Vec::new();
    for role in ["editor", "viewer", "auditors"] {
        let body = json!({"workspace": "default", "name": role});
        let created = admin_call(&gw, &admin, "/api/3.0/mlflow/roles/create", body).await;
        role_ids.push(created["role"]["id"].as_i64().expect("role id"));
    }
    // First request of a user the store has never seen: created, with the mapped role.
    let alice_team = key.sign(&claims("alice", json!({"groups": ["ml-team"]})));
    let me = current_user(&gw, &alice_team).await;
    assert_eq!(me.status(), 200);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["user"]["username"], "alice", "{me}");
    assert_eq!(me["user"]["is_admin"], false, "{me}");
    assert_eq!(roles_of(&gw, &admin, "alice").await, ["editor"]);

    // The provider moves alice to another group: the managed roles follow; a role an admin
    // assigned by hand (not managed) stays.
    let assign = json!({"username": "alice", "role_id": role_ids[2]});
    admin_call(&gw, &admin, "/api/3.0/mlflow/roles/assign", assign).await;
    let alice_viewer = key.sign(&claims("alice", json!({"groups": ["ml-viewers"]})));
    assert_eq!(current_user(&gw, &alice_viewer).await.status(), 200);
    assert_eq!(roles_of(&gw, &admin, "alice").await, ["auditors", "viewer"]);

    let alice_none = key.sign(&claims("alice", json!({})));
    assert_eq!(current_user(&gw, &alice_none).await.status(), 200);
    assert_eq!(roles_of(&gw, &admin, "alice").await, ["auditors"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_provisioning_an_unknown_user_is_mlflows_404_and_a_builtin_login_cannot_provision()
{
    let key = SigningKey::rsa("rsa-1");
    let idp = JwksServer::start(&[&key]).await;
    let upstream = MockUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let gw = basic_auth_with_oidc(&idp.url, &upstream.url, dir.path(), "")
        .await
        .unwrap();
    let bob = key.sign(&claims("bob", json!({"groups": ["ml-team"]})));
    let answer = current_user(&gw, &bob).await;
    assert_eq!(answer.status(), 404);
    assert!(answer
        .text()
        .await
        .unwrap()
        .contains("User with username=bob not found"));
    assert!(upstream.seen().is_empty());

    // The built-in password plugin reports no groups and admits only existing users.
    let other = tempfile::tempdir().unwrap();
    let ini = format!(
        "[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///{}\nadmin_username = admin\n",
        other.path().join("basic_auth.db").display()
    );
    let err = TestGateway::start_basic_auth(
        &upstream.url,
        &ini,
        other.path(),
        "admin-password-123",
        "[provisioning]\ncreate_users = true\n",
    )
    .await
    .err()
    .expect("provisioning with the built-in plugin must not start");
    assert!(err.contains("[provisioning] needs a plugin"), "{err}");
}
