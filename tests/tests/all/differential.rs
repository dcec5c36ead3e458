//! Differential test against MLflow itself: the same requests, in the same order, go to
//! MLflow's own basic-auth app (`mlflow server --app-name basic-auth`) and to mlauth's
//! basic-auth gateway in front of a plain `mlflow server`. Every answer must match: status,
//! media type, `WWW-Authenticate`, and the JSON body with volatile fields (timestamps,
//! random run ids, artifact locations) masked. HTML pages are compared by status and media
//! type only (they carry a CSRF token).
//!
//! The request table lives in `differential_cases.rs`; both sides start from empty stores
//! with the same `basic_auth.ini`, so ids assigned in sequence (users, experiments) agree.

use std::collections::HashMap;

use base64::Engine as _;
use mlauth_tests::gateway::TestGateway;
use mlauth_tests::mlflow::MlflowServer;
use serde_json::Value;

use crate::differential_cases::{Step, STEPS};

const ADMIN_PASSWORD: &str = "admin-password-123";
/// Every other user's password (MLflow requires at least 12 characters).
pub const USER_PASSWORD: &str = "user-password-123";

/// One server under test; `_keep` holds what must live as long as it does.
struct Side {
    name: &'static str,
    base: String,
    http: reqwest::Client,
    /// Values saved from earlier answers (`{run}`), substituted into later requests.
    saved: HashMap<&'static str, String>,
    _keep: Vec<Box<dyn std::any::Any + Send>>,
}

/// What is compared of one answer.
#[derive(Debug, PartialEq)]
struct Answer {
    status: u16,
    media_type: String,
    challenge: Option<String>,
    body: Value,
}

fn ini(dir: &std::path::Path) -> String {
    format!(
        "[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///{}\nadmin_username = admin\n\
         authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n",
        dir.join("basic_auth.db").display()
    )
}

/// MLflow's own basic-auth app.
fn start_mlflow_side() -> Side {
    let dir = tempfile::tempdir().unwrap();
    let server = MlflowServer::start_basic_auth(dir.path(), &ini(dir.path()), ADMIN_PASSWORD);
    Side::new(
        "mlflow",
        server.url.clone(),
        vec![Box::new(server), Box::new(dir)],
    )
}

/// mlauth's basic-auth gateway in front of a plain MLflow server.
async fn start_mlauth_side() -> Side {
    let server = tokio::task::spawn_blocking(MlflowServer::start)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let gateway = TestGateway::start_basic_auth(
        &server.url,
        &ini(dir.path()),
        dir.path(),
        ADMIN_PASSWORD,
        "",
    )
    .await
    .unwrap();
    let url = gateway.url.clone();
    Side::new(
        "mlauth",
        url,
        vec![Box::new(gateway), Box::new(server), Box::new(dir)],
    )
}

impl Side {
    fn new(name: &'static str, base: String, keep: Vec<Box<dyn std::any::Any + Send>>) -> Self {
        Self {
            name,
            base,
            http: reqwest::Client::new(),
            saved: HashMap::new(),
            _keep: keep,
        }
    }

    fn fill(&self, text: &str) -> String {
        self.saved
            .iter()
            .fold(text.to_string(), |text, (key, value)| {
                text.replace(&format!("{{{key}}}"), value)
            })
    }

    /// Remembers the ids later steps refer to: `{run}` and `{role}`.
    fn save(&mut self, body: &Value) {
        if let Some(run_id) = body.pointer("/run/info/run_id").and_then(Value::as_str) {
            self.saved.insert("run", run_id.to_string());
        }
        if let Some(role_id) = body.pointer("/role/id").and_then(Value::as_i64) {
            self.saved.insert("role", role_id.to_string());
        }
    }

    /// Sends one step and reads what is compared of the answer.
    async fn send(&mut self, step: &Step) -> Answer {
        let url = format!("{}{}", self.base, self.fill(step.path));
        let mut request = self.http.request(step.method.parse().unwrap(), url);
        if let Some(value) = authorization(step.user) {
            request = request.header("authorization", value);
        }
        if !step.body.is_empty() {
            request = request
                .header("content-type", "application/json")
                .body(self.fill(step.body));
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap_or("<not UTF-8>").to_string())
        };
        let content_type = header("content-type").unwrap_or_default();
        let media_type = content_type.split(';').next().unwrap().trim().to_string();
        let challenge = header("www-authenticate");
        let text = response.text().await.unwrap_or_default();
        let mut body = match media_type.as_str() {
            "text/html" => Value::String("<html page>".into()),
            _ => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        };
        self.save(&body);
        mask_volatile(&mut body);
        Answer {
            status,
            media_type,
            challenge,
            body,
        }
    }
}

/// The `Authorization` header for a step's user: `""` none, `"raw:…"` that value verbatim,
/// `"name!"` the name with a wrong password, otherwise HTTP Basic with the right one.
fn authorization(user: &str) -> Option<String> {
    if user.is_empty() {
        return None;
    }
    if let Some(raw) = user.strip_prefix("raw:") {
        return Some(raw.to_string());
    }
    let (name, password) = match user.strip_suffix('!') {
        Some(name) => (name, "wrong-password-123"),
        None if user == "admin" => (user, ADMIN_PASSWORD),
        None => (user, USER_PASSWORD),
    };
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{name}:{password}"));
    Some(format!("Basic {encoded}"))
}

/// MLflow's "already exists" messages end in " Error: (sqlite3.IntegrityError) …" with the
/// SQL statement and the password hash; mlauth's stop before that.
fn without_leaked_sql(mut answer: Answer) -> Answer {
    if let Some(Value::String(message)) = answer.body.get_mut("message") {
        if let Some(cut) = message.find(" Error: (") {
            message.truncate(cut);
        }
    }
    answer
}

/// What a [`Step::exact`]` = false` step compares: all but the error message.
fn loosely(answer: &Answer) -> (u16, &str, Option<&str>, Option<&Value>) {
    (
        answer.status,
        &answer.media_type,
        answer.challenge.as_deref(),
        answer.body.get("error_code"),
    )
}

/// Fields whose values differ between any two servers (clock, randomness, directories).
const VOLATILE: &[&str] = &[
    "creation_time",
    "last_update_time",
    "creation_timestamp",
    "last_updated_timestamp",
    "start_time",
    "end_time",
    "timestamp",
    "run_id",
    "run_uuid",
    "artifact_uri",
    "artifact_location",
];

fn mask_volatile(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                if VOLATILE.contains(&key.as_str()) {
                    *field = Value::String("<volatile>".into());
                } else {
                    mask_volatile(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_volatile),
        _ => {}
    }
}

/// Every step of the table answers the same on MLflow's basic-auth app and on mlauth's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_answers_as_mlflow_does() {
    let mut mlflow = tokio::task::spawn_blocking(start_mlflow_side)
        .await
        .unwrap();
    let mut mlauth = start_mlauth_side().await;
    let mut differences = Vec::new();
    for (index, step) in STEPS.iter().enumerate() {
        let expected = without_leaked_sql(mlflow.send(step).await);
        let got = mlauth.send(step).await;
        let message = got.body.get("message").and_then(Value::as_str);
        assert!(
            !message.unwrap_or_default().contains("[SQL:"),
            "step {index}: mlauth leaked SQL: {got:?}"
        );
        let same = match step.exact {
            true => expected == got,
            false => loosely(&expected) == loosely(&got),
        };
        if !same {
            differences.push(format!(
                "step {index}: {} {} {} {}\n  {}: {expected:?}\n  {}: {got:?}",
                step.user, step.method, step.path, step.body, mlflow.name, mlauth.name
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {} steps answered differently:\n{}",
        differences.len(),
        STEPS.len(),
        differences.join("\n")
    );
}

#[test]
fn volatile_fields_are_masked_at_any_depth_and_nothing_else() {
    let mut value = serde_json::json!({"run": {"info": {"run_id": "a", "status": "RUNNING"}},
                                       "runs": [{"start_time": 5, "name": "r"}]});
    mask_volatile(&mut value);
    assert_eq!(
        value,
        serde_json::json!({"run": {"info": {"run_id": "<volatile>", "status": "RUNNING"}},
                           "runs": [{"start_time": "<volatile>", "name": "r"}]})
    );
}
