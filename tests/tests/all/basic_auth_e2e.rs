//! The basic-auth app end to end: MLflow's own Python client (tracking calls and the
//! `AuthServiceClient` from `get_app_client("basic-auth")`) → mlauth → a real MLflow server.

use mlauth_tests::gateway::TestGateway;
use mlauth_tests::mlflow::{run_python, MlflowServer};

const ADMIN_PASSWORD: &str = "admin-password-123";

fn ini(dir: &std::path::Path, default_permission: &str) -> String {
    format!(
        "[mlflow]\ndefault_permission = {default_permission}\ndatabase_uri = sqlite:///{}\nadmin_username = admin\n\
         authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n",
        dir.join("basic_auth.db").display()
    )
}

async fn start(default_permission: &str) -> (MlflowServer, TestGateway, tempfile::TempDir) {
    let mlflow = tokio::task::spawn_blocking(MlflowServer::start)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let gw = TestGateway::start_basic_auth(
        &mlflow.url,
        &ini(dir.path(), default_permission),
        dir.path(),
        ADMIN_PASSWORD,
        "",
    )
    .await
    .unwrap();
    (mlflow, gw, dir)
}

async fn python(script: &'static str, gw: &TestGateway, user: &str, password: &str) -> String {
    let env = [
        ("GATEWAY".to_string(), gw.url.clone()),
        ("MLFLOW_TRACKING_USERNAME".to_string(), user.to_string()),
        ("MLFLOW_TRACKING_PASSWORD".to_string(), password.to_string()),
    ];
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run_python(script, &env)
    })
    .await
    .unwrap()
}

const ADMIN_FLOW: &str = r#"
import os, mlflow
from mlflow.server import get_app_client
from mlflow.exceptions import MlflowException
uri = os.environ["GATEWAY"]
mlflow.set_tracking_uri(uri)
auth = get_app_client("basic-auth", tracking_uri=uri)
alice = auth.create_user("alice", "alice-password-1")
print("created", alice.username, alice.is_admin)
print("got", auth.get_user("alice").username)
exp = mlflow.MlflowClient().create_experiment("admin-exp")
print("experiment", exp)
try:
    auth.create_user("alice", "alice-password-1")
except MlflowException as e:
    print("duplicate", e.error_code)
try:
    auth.create_user("bob", "short")
except MlflowException as e:
    print("short", e.error_code)
"#;

#[tokio::test(flavor = "multi_thread")]
async fn admin_creates_users_and_experiments_with_the_mlflow_client() {
    let (_mlflow, gw, _dir) = start("READ").await;
    let out = python(ADMIN_FLOW, &gw, "admin", ADMIN_PASSWORD).await;
    assert!(out.contains("created alice False"), "{out}");
    assert!(out.contains("got alice"), "{out}");
    assert!(out.contains("experiment "), "{out}");
    assert!(out.contains("duplicate RESOURCE_ALREADY_EXISTS"), "{out}");
    assert!(out.contains("short INVALID_PARAMETER_VALUE"), "{out}");
}

const WRONG_PASSWORD: &str = r#"
import os, mlflow
from mlflow.exceptions import MlflowException
mlflow.set_tracking_uri(os.environ["GATEWAY"])
try:
    mlflow.MlflowClient().search_experiments()
    print("allowed")
except MlflowException as e:
    print("denied", e.error_code, "You are not authenticated" in str(e))
"#;

#[tokio::test(flavor = "multi_thread")]
async fn wrong_and_missing_credentials_get_mlflows_401() {
    let (_mlflow, gw, _dir) = start("READ").await;
    let out = python(WRONG_PASSWORD, &gw, "admin", "not-the-password").await;
    assert!(out.contains("denied UNAUTHENTICATED True"), "{out}");
    let out = python(WRONG_PASSWORD, &gw, "nobody", "whatever-password").await;
    assert!(out.contains("denied UNAUTHENTICATED True"), "{out}");
    let resp = reqwest::get(gw.at("/api/2.0/mlflow/experiments/search"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["www-authenticate"], "Basic realm=\"mlflow\"");
    assert_eq!(resp.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(
        resp.text().await.unwrap(),
        "You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate."
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_created_by_mlflow_is_used_unchanged() {
    let mlflow = tokio::task::spawn_blocking(MlflowServer::start)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("basic_auth.db").display());
    let script = r#"
import os, subprocess, sys
url = os.environ["DB_URL"]
subprocess.run([sys.executable, "-m", "mlflow.server.auth", "db", "upgrade", "--url", url], check=True, capture_output=True)
from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore
store = SqlAlchemyStore()
store.init_db(url)
store.create_user("carol", "carol-password-1", is_admin=True)
print("ok")
"#;
    let env_url = url.clone();
    let out = tokio::task::spawn_blocking(move || run_python(script, &[("DB_URL", &env_url)]))
        .await
        .unwrap();
    assert!(out.contains("ok"), "{out}");
    let gw = TestGateway::start_basic_auth(
        &mlflow.url,
        &ini(dir.path(), "READ"),
        dir.path(),
        ADMIN_PASSWORD,
        "",
    )
    .await
    .unwrap();
    let client = reqwest::Client::new();
    let ok = client
        .get(gw.at("/api/2.0/mlflow/experiments/search?max_results=5"))
        .basic_auth("carol", Some("carol-password-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200, "{:?}", ok.text().await);
    let bad = client
        .get(gw.at("/api/2.0/mlflow/experiments/search"))
        .basic_auth("carol", Some("carol-password-2"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
}
