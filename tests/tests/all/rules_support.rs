//! Shared set-up of the authorization-rules end-to-end tests (`rules_e2e_*`): one real MLflow
//! server (artifacts served, SQLite stores in a temp dir) behind one basic-auth gateway per
//! test function, users `alice`, `bob` and `carol`, and helpers for REST calls, raw requests
//! and MLflow's Python client.

use mlauth_tests::gateway::TestGateway;
use mlauth_tests::mlflow::{run_python, MlflowServer};
use serde_json::{json, Value};

pub const ADMIN_PASSWORD: &str = "admin-password-123";
pub const PASSWORD: &str = "user-password-123";
/// A well-formed run id that names no run.
pub const MISSING_RUN: &str = "0123456789abcdef0123456789abcdef";

/// One MLflow server and the gateway in front of it.
pub struct Env {
    pub gw: TestGateway,
    pub http: reqwest::Client,
    pub mlflow: Option<MlflowServer>,
    _dir: tempfile::TempDir,
}

/// Starts MLflow and a basic-auth gateway whose `basic_auth.ini` has `default_permission`;
/// creates the users `alice`, `bob` and `carol`.
pub async fn start(default_permission: &str) -> Env {
    let mlflow = tokio::task::spawn_blocking(MlflowServer::start)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ini = format!(
        "[mlflow]\ndefault_permission = {default_permission}\ndatabase_uri = sqlite:///{}\nadmin_username = admin\n\
         authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n",
        dir.path().join("basic_auth.db").display()
    );
    let gw = TestGateway::start_basic_auth(&mlflow.url, &ini, dir.path(), ADMIN_PASSWORD, "")
        .await
        .unwrap();
    let env = Env {
        gw,
        http: reqwest::Client::new(),
        mlflow: Some(mlflow),
        _dir: dir,
    };
    for user in ["alice", "bob", "carol"] {
        let body = json!({"username": user, "password": PASSWORD});
        env.ok("admin", "POST", "/api/2.0/mlflow/users/create", Some(body))
            .await;
    }
    env
}

fn password(user: &str) -> &'static str {
    if user == "admin" {
        ADMIN_PASSWORD
    } else {
        PASSWORD
    }
}

impl Env {
    /// A JSON call as `user`: status and the JSON answer (or the text as a JSON string).
    pub async fn call(
        &self,
        user: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), self.gw.at(path))
            .basic_auth(user, Some(password(user)));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, json)
    }

    /// A request with a raw body and content type as `user`: status and body text.
    pub async fn raw(
        &self,
        user: &str,
        method: &str,
        path: &str,
        content_type: &str,
        body: String,
    ) -> (u16, String) {
        let resp = self
            .http
            .request(method.parse().unwrap(), self.gw.at(path))
            .basic_auth(user, Some(password(user)))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap())
    }

    /// A request whose target is sent byte for byte (no client-side normalisation of `..`,
    /// `%2e` or `//`), as `user` (no credentials when `user` is empty); the status code.
    pub async fn raw_target(&self, user: &str, method: &str, target: &str) -> u16 {
        use base64::Engine;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = self.gw.url.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
        let authorization = if user.is_empty() {
            String::new()
        } else {
            let credentials = base64::engine::general_purpose::STANDARD
                .encode(format!("{user}:{}", password(user)));
            format!("authorization: Basic {credentials}\r\n")
        };
        let request = format!(
            "{method} {target} HTTP/1.1\r\nhost: {host}\r\n{authorization}\
             content-length: 0\r\nconnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        let head = String::from_utf8_lossy(&answer);
        head.split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no status line for {target}: {head}"))
    }

    /// A call that must answer 200; its JSON.
    pub async fn ok(&self, user: &str, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, json) = self.call(user, method, path, body).await;
        assert_eq!(status, 200, "{user} {method} {path}: {json}");
        json
    }

    /// Asserts the status of a call (`body` is sent unless the method is `GET`).
    pub async fn expect(&self, user: &str, method: &str, path: &str, body: Value, status: u16) {
        let body = (method != "GET").then_some(body);
        let (got, answer) = self.call(user, method, path, body.clone()).await;
        assert_eq!(got, status, "{user} {method} {path} {body:?}: {answer}");
    }

    /// The status of a call.
    pub async fn status(&self, user: &str, method: &str, path: &str, body: Option<Value>) -> u16 {
        self.call(user, method, path, body).await.0
    }

    /// `user` creates an experiment; its id.
    pub async fn experiment(&self, user: &str, name: &str) -> String {
        let body = json!({"name": name});
        let json = self
            .ok(
                user,
                "POST",
                "/api/2.0/mlflow/experiments/create",
                Some(body),
            )
            .await;
        json["experiment_id"].as_str().unwrap().to_string()
    }

    /// `user` creates a run in `experiment_id`; its id.
    pub async fn run(&self, user: &str, experiment_id: &str) -> String {
        let body = json!({"experiment_id": experiment_id});
        let json = self
            .ok(user, "POST", "/api/2.0/mlflow/runs/create", Some(body))
            .await;
        json["run"]["info"]["run_id"].as_str().unwrap().to_string()
    }

    /// `user` creates a registered model (a prompt when `prompt`).
    pub async fn model(&self, user: &str, name: &str, prompt: bool) {
        let tags = if prompt {
            json!([{"key": "mlflow.prompt.is_prompt", "value": "true"}])
        } else {
            json!([])
        };
        let body = json!({"name": name, "tags": tags});
        self.ok(
            user,
            "POST",
            "/api/2.0/mlflow/registered-models/create",
            Some(body),
        )
        .await;
    }

    /// The admin grants `permission` on `(resource_type, resource_id)` to `username`.
    pub async fn grant(
        &self,
        username: &str,
        resource_type: &str,
        resource_id: &str,
        permission: &str,
    ) {
        let body = json!({"username": username, "resource_type": resource_type,
                          "resource_id": resource_id, "permission": permission});
        self.ok(
            "admin",
            "POST",
            "/api/3.0/mlflow/users/permissions/grant",
            Some(body),
        )
        .await;
    }

    /// Names of the experiments `user` finds with `experiments/search` (GET or POST), sorted.
    pub async fn experiment_names(&self, user: &str, get: bool) -> Vec<String> {
        let path = "/api/2.0/mlflow/experiments/search";
        let json = if get {
            self.ok(user, "GET", &format!("{path}?max_results=100"), None)
                .await
        } else {
            self.ok(user, "POST", path, Some(json!({"max_results": 100})))
                .await
        };
        let mut names: Vec<String> = json["experiments"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    }

    /// Runs `script` with MLflow's Python client as `user` (`GATEWAY` is the tracking URI,
    /// extra variables in `vars`); its stdout.
    pub async fn python(&self, user: &str, script: &str, vars: &[(&str, &str)]) -> String {
        let script = format!("{PY_PRELUDE}\n{script}");
        let mut env: Vec<(String, String)> = vec![
            ("GATEWAY".into(), self.gw.url.clone()),
            ("MLFLOW_TRACKING_URI".into(), self.gw.url.clone()),
            ("MLFLOW_TRACKING_USERNAME".into(), user.into()),
            ("MLFLOW_TRACKING_PASSWORD".into(), password(user).into()),
            ("MLFLOW_HTTP_REQUEST_MAX_RETRIES".into(), "0".into()),
            ("ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()),
            ("USER_PASSWORD".into(), PASSWORD.into()),
        ];
        env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        tokio::task::spawn_blocking(move || {
            let env: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            run_python(&script, &env)
        })
        .await
        .unwrap()
    }
}

/// Imports, `as_user(name)` (switches the client's credentials) and `attempt(label, fn)`, which prints `label ok`, `label <MLflow error code>` or
/// `label http<status>` (artifact transfers raise `requests` errors).
const PY_PRELUDE: &str = r#"
import os, tempfile, mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.server import get_app_client
client = MlflowClient()
def as_user(name):
    # The client reads the credentials on every request.
    os.environ["MLFLOW_TRACKING_USERNAME"] = name
    os.environ["MLFLOW_TRACKING_PASSWORD"] = os.environ["ADMIN_PASSWORD" if name == "admin" else "USER_PASSWORD"]
def attempt(label, fn):
    try:
        fn()
        print(label, "ok")
    except MlflowException as e:
        print(label, e.error_code)
    except Exception as e:
        status = getattr(getattr(e, "response", None), "status_code", None)
        print(label, f"http{status}" if status else type(e).__name__)
"#;

/// Asserts that every `expected` line occurs in the Python output.
pub fn assert_lines(out: &str, expected: &[&str]) {
    for line in expected {
        assert!(
            out.lines().any(|l| l.trim() == *line),
            "missing line {line:?} in output:\n{out}"
        );
    }
}
