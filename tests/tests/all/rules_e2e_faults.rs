//! Fail-closed paths of the rules that a healthy MLflow never takes, injected with a fake
//! upstream: every resolution failure (non-JSON, 5xx, a 404 that is not MLflow's, an answer
//! without the experiment) refuses without forwarding; MLflow's own 4xx is passed on; a
//! listing the hook cannot parse is an error, never the unfiltered body; a registry name the
//! database matched under another spelling (a case-insensitive collation) is refused.

use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::Router;
use mlauth_tests::gateway::TestGateway;
use serde_json::json;

const ADMIN_PASSWORD: &str = "admin-password-123";
const PASSWORD: &str = "user-password-123";

type Forwarded = Arc<Mutex<Vec<String>>>;

/// A fake MLflow: run lookups fail in the way the run id names; every registered model name
/// is stored as `Secret` (a case-insensitive lookup); searches answer non-JSON.
async fn fake(
    State(forwarded): State<Forwarded>,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> axum::response::Response {
    // Forwarded requests carry mlauth's X-Forwarded-For; the resolver's own calls do not.
    if headers.contains_key("x-forwarded-for") {
        forwarded.lock().unwrap().push(uri.to_string());
    }
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let json_error = |status: StatusCode, code: &str| {
        (
            status,
            json!({"error_code": code, "message": "x"}).to_string(),
        )
            .into_response()
    };
    match uri.path() {
        "/api/2.0/mlflow/runs/get" => match param("run_id").as_str() {
            "notjson" => (StatusCode::OK, "<html>").into_response(),
            "error500" => json_error(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR"),
            "plain404" => (StatusCode::NOT_FOUND, "no such page").into_response(),
            "noexperiment" => {
                (StatusCode::OK, json!({"run": {"info": {}}}).to_string()).into_response()
            }
            "rejected" => json_error(StatusCode::BAD_REQUEST, "INVALID_PARAMETER_VALUE"),
            _ => json_error(StatusCode::NOT_FOUND, "RESOURCE_DOES_NOT_EXIST"),
        },
        "/api/2.0/mlflow/registered-models/get" => {
            let model = json!({"registered_model": {"name": "Secret", "tags": []}});
            (StatusCode::OK, model.to_string()).into_response()
        }
        "/api/2.0/mlflow/registered-models/search" => (StatusCode::OK, "not json").into_response(),
        _ => (StatusCode::OK, "{}").into_response(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn resolution_and_hook_failures_refuse_without_forwarding() {
    let forwarded: Forwarded = Arc::default();
    let app = Router::new().fallback(fake).with_state(forwarded.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    let dir = tempfile::tempdir().unwrap();
    let ini = format!(
        "[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///{}\nadmin_username = admin\n",
        dir.path().join("basic_auth.db").display()
    );
    let gw = TestGateway::start_basic_auth(&upstream, &ini, dir.path(), ADMIN_PASSWORD, "")
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let send = |user: &'static str, method: &str, path: &str, body: Option<serde_json::Value>| {
        let password = if user == "admin" {
            ADMIN_PASSWORD
        } else {
            PASSWORD
        };
        let mut req = http
            .request(method.parse().unwrap(), gw.at(path))
            .basic_auth(user, Some(password));
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send()
    };
    let body = json!({"username": "bob", "password": PASSWORD});
    let resp = send("admin", "POST", "/api/2.0/mlflow/users/create", Some(body))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let grant = json!({"username": "bob", "resource_type": "registered_model",
                       "resource_id": "Secret", "permission": "DENY"});
    let resp = send(
        "admin",
        "POST",
        "/api/3.0/mlflow/users/permissions/grant",
        Some(grant),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
    for (run_id, status) in [
        ("notjson", 502),
        ("error500", 502),
        ("plain404", 502),
        ("noexperiment", 502),
        ("rejected", 400),
        ("0123456789abcdef0123456789abcdef", 403),
    ] {
        let path = format!("/api/2.0/mlflow/runs/get?run_id={run_id}");
        let resp = send("bob", "GET", &path, None).await.unwrap();
        assert_eq!(resp.status(), status, "{run_id}");
        let metric = json!({"run_id": run_id, "key": "m", "value": 1.0, "timestamp": 1});
        let resp = send(
            "bob",
            "POST",
            "/api/2.0/mlflow/runs/log-metric",
            Some(metric),
        )
        .await
        .unwrap();
        assert_eq!(resp.status(), status, "log-metric {run_id}");
    }
    // Case variants stored as `Secret` are judged as `Secret`, i.e. refused to bob.
    for name in ["SECRET", "secret", "Secret%20"] {
        let path = format!("/api/2.0/mlflow/registered-models/get?name={name}");
        assert_eq!(
            send("bob", "GET", &path, None).await.unwrap().status(),
            403,
            "{name}"
        );
        let update = json!({"name": name.replace("%20", " "), "description": "x"});
        let resp = send(
            "bob",
            "PATCH",
            "/api/2.0/mlflow/registered-models/update",
            Some(update),
        )
        .await
        .unwrap();
        assert_eq!(resp.status(), 403, "update {name}");
    }
    // A listing the filter cannot parse is an error, not the unfiltered body.
    let resp = send(
        "bob",
        "GET",
        "/api/2.0/mlflow/registered-models/search",
        None,
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 502);
    assert!(!resp.text().await.unwrap().contains("not json"));
    assert!(
        forwarded
            .lock()
            .unwrap()
            .iter()
            .all(|p| p.contains("registered-models/search")),
        "forwarded: {:?}",
        forwarded.lock().unwrap()
    );
    // The admin bypasses the rules (and their lookups) entirely.
    let resp = send(
        "admin",
        "GET",
        "/api/2.0/mlflow/runs/get?run_id=notjson",
        None,
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
}
