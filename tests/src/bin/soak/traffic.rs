//! The soak's traffic: the users, grants and experiments it sets up through the REST API,
//! and the mix of requests (with the status each must get) it then sends.

use base64::Engine as _;
use bytes::Bytes;
use http::Method;
use mlauth_tests::loadgen::MixTarget;
use serde_json::{json, Value};

use super::{ADMIN_PASSWORD, ALICE_PASSWORD};

fn basic(user: &str, password: &str) -> (String, String) {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    ("authorization".into(), format!("Basic {token}"))
}

fn api(url: &str, user: &str, password: &str, method: Method, path: &str, body: Value) -> Value {
    let client = reqwest::blocking::Client::new();
    let (name, value) = basic(user, password);
    let resp = client
        .request(method, format!("{url}/api/2.0/mlflow/{path}"))
        .header(name, value)
        .json(&body)
        .send()
        .unwrap();
    let status = resp.status();
    let text = resp.text().unwrap();
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Users and experiments: alice owns one experiment, admin another (alice gets 403 there).
pub(crate) fn setup(url: &str) -> Vec<MixTarget> {
    let admin = |m, p: &str, b| api(url, "admin", ADMIN_PASSWORD, m, p, b);
    admin(
        Method::POST,
        "users/create",
        json!({"username": "alice", "password": ALICE_PASSWORD}),
    );
    admin(
        Method::POST,
        "users/create",
        json!({"username": "bob", "password": "bob-password-1234"}),
    );
    let admins = admin(
        Method::POST,
        "experiments/create",
        json!({"name": "admin-exp"}),
    );
    let alices = api(
        url,
        "alice",
        ALICE_PASSWORD,
        Method::POST,
        "experiments/create",
        json!({"name": "alice-exp"}),
    );
    let (admins, alices) = (
        admins["experiment_id"].as_str().unwrap().to_string(),
        alices["experiment_id"].as_str().unwrap().to_string(),
    );
    let target = |name: &str,
                  method: Method,
                  path: String,
                  headers: Vec<(String, String)>,
                  body: Value,
                  expect: &[u16]| MixTarget {
        name: name.into(),
        method,
        path: format!("/api/2.0/mlflow/{path}"),
        headers: [
            headers,
            vec![("content-type".into(), "application/json".into())],
        ]
        .concat(),
        body: if body.is_null() {
            Bytes::new()
        } else {
            Bytes::from(body.to_string())
        },
        expect: expect.to_vec(),
    };
    let alice = || vec![basic("alice", ALICE_PASSWORD)];
    let own = format!("experiments/get?experiment_id={alices}");
    vec![
        target(
            "alice reads her experiment",
            Method::GET,
            own.clone(),
            alice(),
            Value::Null,
            &[200],
        ),
        target(
            "admin searches experiments",
            Method::GET,
            "experiments/search?max_results=10".into(),
            vec![basic("admin", ADMIN_PASSWORD)],
            Value::Null,
            &[200],
        ),
        target(
            "no credentials",
            Method::GET,
            own.clone(),
            vec![],
            Value::Null,
            &[401],
        ),
        target(
            "alice reads admin's experiment",
            Method::GET,
            format!("experiments/get?experiment_id={admins}"),
            alice(),
            Value::Null,
            &[403],
        ),
        target(
            "alice creates a run",
            Method::POST,
            "runs/create".into(),
            alice(),
            json!({"experiment_id": alices}),
            &[200],
        ),
        target(
            "alice reads her experiment",
            Method::GET,
            own.clone(),
            alice(),
            Value::Null,
            &[200],
        ),
        target(
            "bob, wrong password",
            Method::GET,
            own.clone(),
            vec![basic("bob", "wrong-password-99")],
            Value::Null,
            &[401, 429],
        ),
        target(
            "unknown user",
            Method::GET,
            own,
            vec![basic("mallory", "whatever-password")],
            Value::Null,
            &[401, 429],
        ),
    ]
}
