use mlauth_guest_sdk::{config, crypto, kv, users, App, Authenticator, Request, Response, Route};

use super::*;

fn setup() {
    config::set_for_test("max_failed_logins", Some("3"));
    config::set_for_test("lockout_seconds", Some("60"));
    users::set_for_test(
        users::User {
            id: 1,
            username: "alice".into(),
            is_admin: false,
        },
        "alice-password-1",
    );
}

fn login_req(username: &str, password: &str) -> Request {
    let body = serde_json::json!({"username": username, "password": password}).to_string();
    Request::builder("POST", LOGIN).body(body).build()
}

fn token_of(resp: &Response) -> String {
    let v: serde_json::Value = serde_json::from_slice(resp.body_bytes()).unwrap();
    v["token"].as_str().unwrap().to_owned()
}

fn bearer(token: &str) -> Request {
    Request::builder("GET", "/api/2.0/mlflow/experiments/search")
        .header("authorization", format!("Bearer {token}"))
        .build()
}

#[test]
fn login_issues_a_token_that_authenticates_until_logout() {
    setup();
    let resp = CustomAuthApp::handle(login_req("alice", "alice-password-1"), None);
    assert_eq!(resp.status(), 200);
    let token = token_of(&resp);
    assert_eq!(token.len(), 64);
    assert!(kv::get(&format!(
        "session:{}",
        crypto::hex(&crypto::sha256(token.as_bytes()))
    ))
    .is_some());
    assert_eq!(
        CustomAuthApp::authenticate(bearer(&token))
            .unwrap()
            .username(),
        "alice"
    );
    let out = CustomAuthApp::handle(
        Request::builder("POST", LOGOUT)
            .header("authorization", format!("Bearer {token}"))
            .build(),
        None,
    );
    assert_eq!(out.body_bytes(), br#"{"revoked":true}"#);
    assert_eq!(
        CustomAuthApp::authenticate(bearer(&token))
            .unwrap_err()
            .status(),
        401
    );
}

#[test]
fn sessions_expire_with_their_ttl() {
    setup();
    config::set_for_test("session_ttl_seconds", Some("120"));
    let token = token_of(&CustomAuthApp::handle(
        login_req("alice", "alice-password-1"),
        None,
    ));
    kv::advance_clock_for_test(119);
    assert!(CustomAuthApp::authenticate(bearer(&token)).is_ok());
    kv::advance_clock_for_test(1);
    assert!(CustomAuthApp::authenticate(bearer(&token)).is_err());
}

#[test]
fn failed_logins_lock_the_user_out_even_with_the_right_password() {
    setup();
    for _ in 0..3 {
        assert_eq!(
            CustomAuthApp::handle(login_req("alice", "wrong"), None).status(),
            401
        );
    }
    let locked = CustomAuthApp::handle(login_req("alice", "alice-password-1"), None);
    assert_eq!(locked.status(), 429);
    kv::advance_clock_for_test(60);
    assert_eq!(
        CustomAuthApp::handle(login_req("alice", "alice-password-1"), None).status(),
        200
    );
}

#[test]
fn bad_requests_and_routes() {
    setup();
    let routes = CustomAuthApp::create_app(Vec::new()).unwrap();
    assert_eq!(routes.len(), 3);
    assert!(routes.iter().all(Route::is_public));
    let bad = CustomAuthApp::handle(Request::builder("POST", LOGIN).body("nope").build(), None);
    assert_eq!(bad.status(), 400);
    let other = CustomAuthApp::handle(Request::builder("GET", "/publicity").build(), None);
    assert_eq!(other.status(), 404);
    assert_eq!(
        CustomAuthApp::authenticate(bearer("not-a-token"))
            .unwrap_err()
            .status(),
        401
    );
    config::set_for_test("max_failed_logins", Some("0"));
    assert!(CustomAuthApp::create_app(Vec::new()).is_err());
}
