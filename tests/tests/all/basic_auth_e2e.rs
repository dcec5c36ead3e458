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

const AUTH_CLIENT_EVERY_METHOD: &str = r#"
import os
from mlflow.server import get_app_client
from mlflow.exceptions import MlflowException
uri = os.environ["GATEWAY"]
c = get_app_client("basic-auth", tracking_uri=uri)
u = c.create_user("dora", "dora-password-1")
assert c.get_user("dora").id == u.id
c.update_user_password("dora", "dora-password-2")
c.update_user_admin("dora", True)
assert c.get_user("dora").is_admin
c.update_user_admin("dora", False)
role = c.create_role("default", "readers", "people who read")
assert c.get_role(role.id).name == "readers"
assert any(r.id == role.id for r in c.list_roles("default"))
assert any(r.id == role.id for r in c.list_all_roles())
role = c.update_role(role.id, description="readers of everything")
assert role.description == "readers of everything"
rp = c.add_role_permission(role.id, "experiment", "*", "READ")
assert [p.id for p in c.list_role_permissions(role.id)] == [rp.id]
rp = c.update_role_permission(rp.id, "EDIT")
assert rp.permission == "EDIT"
a = c.assign_role("dora", role.id)
assert [r.id for r in c.list_user_roles("dora")] == [role.id]
assert [x.user_id for x in c.list_role_users(role.id)] == [u.id]
c.unassign_role("dora", role.id)
c.remove_role_permission(rp.id)
c.delete_role(role.id)
c.grant_user_permission("dora", "experiment", "0", "MANAGE")
r = c.get_user_permission("dora", "experiment", "0")
assert (r.permission, r.allowed) == ("MANAGE", True), r
c.revoke_user_permission("dora", "experiment", "0")
try:
    c.revoke_user_permission("dora", "experiment", "0")
except MlflowException as e:
    print("revoke-missing", e.error_code)
try:
    c.get_role(999999)
except MlflowException as e:
    print("role-missing", e.error_code)
c.delete_user("dora")
try:
    c.get_user("dora")
except MlflowException as e:
    print("user-gone", e.error_code)
print("all methods ok")
"#;

#[tokio::test(flavor = "multi_thread")]
async fn every_auth_service_client_method_works_through_mlauth() {
    let (_mlflow, gw, _dir) = start("READ").await;
    let out = python(AUTH_CLIENT_EVERY_METHOD, &gw, "admin", ADMIN_PASSWORD).await;
    assert!(out.contains("all methods ok"), "{out}");
    assert!(
        out.contains("revoke-missing RESOURCE_DOES_NOT_EXIST"),
        "{out}"
    );
    assert!(
        out.contains("role-missing RESOURCE_DOES_NOT_EXIST"),
        "{out}"
    );
    assert!(out.contains("user-gone RESOURCE_DOES_NOT_EXIST"), "{out}");
}

const SELF_SERVICE: &str = r#"
import os
from mlflow.server import get_app_client
from mlflow.exceptions import MlflowException
c = get_app_client("basic-auth", tracking_uri=os.environ["GATEWAY"])
try:
    c.update_user_password("erin", "erin-password-2")
except MlflowException as e:
    print("needs-current", e.error_code)
c.update_user_password("erin", "erin-password-2", current_password="erin-password-1")
print("changed")
os.environ["MLFLOW_TRACKING_PASSWORD"] = "erin-password-2"
try:
    c.create_user("mallory", "mallory-password")
except MlflowException as e:
    print("create-denied", e.error_code)
"#;

#[tokio::test(flavor = "multi_thread")]
async fn users_change_their_own_password_and_cannot_administer() {
    let (_mlflow, gw, _dir) = start("READ").await;
    let client = reqwest::Client::new();
    let created = client
        .post(gw.at("/api/2.0/mlflow/users/create"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .json(&serde_json::json!({"username": "erin", "password": "erin-password-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let out = python(SELF_SERVICE, &gw, "erin", "erin-password-1").await;
    assert!(
        out.contains("needs-current INVALID_PARAMETER_VALUE")
            || out.contains("needs-current BAD_REQUEST"),
        "{out}"
    );
    assert!(out.contains("changed"), "{out}");
    assert!(out.contains("create-denied PERMISSION_DENIED"), "{out}");
    // The old password stops working at once (the credential cache is invalidated).
    let old = client
        .get(gw.at("/api/2.0/mlflow/users/current"))
        .basic_auth("erin", Some("erin-password-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401);
    let new = client
        .get(gw.at("/api/2.0/mlflow/users/current"))
        .basic_auth("erin", Some("erin-password-2"))
        .send()
        .await
        .unwrap();
    assert_eq!(new.status(), 200);
    let body: serde_json::Value = new.json().await.unwrap();
    assert_eq!(body["user"]["username"], "erin");
    assert_eq!(body["is_basic_auth"], true);
}
