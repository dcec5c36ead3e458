//! Brute-force protection through the real gateway: failed authentications from one client
//! address, for one username, or for one username from one address are locked out with a
//! 429 MLflow JSON error and `Retry-After`, without running the plugin. Clients use distinct
//! loopback source addresses (127.0.0.x) to stand for distinct machines.

use std::net::IpAddr;
use std::time::Duration;

use base64::Engine as _;
use mlauth_tests::gateway::TestGateway;
use mlauth_tests::upstream::MockUpstream;
use mlauth_tests::wasm;

/// Small thresholds: 3 per (user, address), 6 per address, 5 per user.
const LIMITS: &str =
    "[brute_force]\nmax_failures_per_user_address = 3\nmax_failures_per_address = 6\n\
                      max_failures_per_user = 5\nwindow_secs = 60\nlockout_secs = 60\n";

fn client(from: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(from.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

fn basic(user: &str, password: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

/// A request as `user` with the echo plugin: `ok` when `succeed`, else the plugin's 401.
async fn attempt(gw: &TestGateway, from: &str, user: &str, succeed: bool) -> reqwest::Response {
    let mut req = client(from)
        .get(gw.at("/api/2.0/mlflow/experiments/search"))
        .header("authorization", basic(user, "guess"));
    if succeed {
        req = req.header("x-test-user", user);
    }
    req.send().await.unwrap()
}

async fn status(gw: &TestGateway, from: &str, user: &str, succeed: bool) -> u16 {
    attempt(gw, from, user, succeed).await.status().as_u16()
}

async fn echo_gateway(upstream: &MockUpstream, limits: &str) -> TestGateway {
    TestGateway::start(wasm::ECHO, &upstream.url, &format!("\n{limits}"))
        .await
        .unwrap()
}

const ADMIN_PASSWORD: &str = "admin-password-123";

/// The basic-auth app with the small [`LIMITS`], its admin bootstrapped with
/// [`ADMIN_PASSWORD`]; the directory holds its database.
async fn basic_auth_gateway() -> (MockUpstream, tempfile::TempDir, TestGateway) {
    let upstream = MockUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let ini = format!(
        "[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///{}\nadmin_username = admin\n",
        dir.path().join("basic_auth.db").display()
    );
    let gw = TestGateway::start_basic_auth(&upstream.url, &ini, dir.path(), ADMIN_PASSWORD, LIMITS)
        .await
        .unwrap();
    (upstream, dir, gw)
}

async fn assert_locked(resp: reqwest::Response) {
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let json: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(json["error_code"], "REQUEST_LIMIT_EXCEEDED");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_username_guessed_from_one_address_is_locked_for_that_address_only() {
    let upstream = MockUpstream::start().await;
    let gw = echo_gateway(&upstream, LIMITS).await;
    for _ in 0..3 {
        assert_eq!(status(&gw, "127.0.0.2", "alice", false).await, 401);
    }
    // Locked even with valid credentials: the plugin does not run, nothing is forwarded.
    assert_locked(attempt(&gw, "127.0.0.2", "alice", true).await).await;
    assert!(upstream.seen().is_empty());
    // Another user from that address, and alice from another address, are served.
    assert_eq!(status(&gw, "127.0.0.2", "bob", true).await, 200);
    assert_eq!(status(&gw, "127.0.0.3", "alice", true).await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn spraying_locks_the_address_and_a_valid_login_does_not_lift_it() {
    let upstream = MockUpstream::start().await;
    let gw = echo_gateway(&upstream, LIMITS).await;
    for i in 0..6 {
        assert_eq!(
            status(&gw, "127.0.0.4", &format!("user{i}"), false).await,
            401
        );
        // The sprayer's own valid account succeeds in between...
        if i < 5 {
            assert_eq!(status(&gw, "127.0.0.4", "mallory", true).await, 200);
        }
    }
    // ...but the address is locked for every username, the valid one included.
    assert_locked(attempt(&gw, "127.0.0.4", "mallory", true).await).await;
    assert_eq!(status(&gw, "127.0.0.4", "someone-else", true).await, 429);
    assert_eq!(status(&gw, "127.0.0.5", "mallory", true).await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_username_guessed_from_many_addresses_is_locked_except_for_the_operator() {
    let upstream = MockUpstream::start().await;
    let gw = echo_gateway(&upstream, LIMITS).await;
    for i in 10..15 {
        assert_eq!(
            status(&gw, &format!("127.0.0.{i}"), "admin", false).await,
            401
        );
    }
    assert_locked(attempt(&gw, "127.0.0.20", "admin", true).await).await;
    // 127.0.0.1 is in user_lockout_exempt by default: the operator on the gateway host
    // still logs in as admin.
    assert_eq!(status(&gw, "127.0.0.1", "admin", true).await, 200);
    // Runtime recovery without a restart.
    gw.gateway.state.brute_force.clear();
    assert_eq!(status(&gw, "127.0.0.20", "admin", true).await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn locks_expire_and_requests_without_credentials_never_count() {
    let upstream = MockUpstream::start().await;
    let short = LIMITS.replace("lockout_secs = 60", "lockout_secs = 1");
    let gw = echo_gateway(&upstream, &short).await;
    // Challenges to requests without credentials are not guesses.
    for _ in 0..10 {
        let resp = client("127.0.0.6")
            .get(gw.at("/api/2.0/mlflow/experiments/search"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401);
    }
    assert_eq!(status(&gw, "127.0.0.6", "alice", true).await, 200);
    for _ in 0..3 {
        assert_eq!(status(&gw, "127.0.0.6", "alice", false).await, 401);
    }
    let resp = attempt(&gw, "127.0.0.6", "alice", true).await;
    assert_eq!(resp.headers()["retry-after"], "1");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(status(&gw, "127.0.0.6", "alice", true).await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_limiter_can_be_turned_off() {
    let upstream = MockUpstream::start().await;
    let gw = echo_gateway(&upstream, "[brute_force]\nenabled = false\n").await;
    for _ in 0..30 {
        assert_eq!(status(&gw, "127.0.0.7", "alice", false).await, 401);
    }
    assert_eq!(status(&gw, "127.0.0.7", "alice", true).await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn basic_auth_locks_unknown_and_known_users_alike() {
    let (upstream, _dir, gw) = basic_auth_gateway().await;
    let password = ADMIN_PASSWORD;
    let send = |user: &'static str, pw: &'static str| {
        client("127.0.0.8")
            .get(gw.at("/api/2.0/mlflow/experiments/search"))
            .basic_auth(user, Some(pw))
            .send()
    };
    for _ in 0..3 {
        assert_eq!(send("admin", "wrong-password").await.unwrap().status(), 401);
        assert_eq!(send("ghost", "wrong-password").await.unwrap().status(), 401);
    }
    let known = send("admin", password).await.unwrap();
    let unknown = send("ghost", "wrong-password").await.unwrap();
    assert_eq!(known.status(), 429);
    assert_eq!(unknown.status(), 429);
    // Same body for both: a lockout does not tell whether the username exists.
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    assert!(upstream.seen().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_current_passwords_in_the_auth_api_count_against_the_address() {
    let (_upstream, _dir, gw) = basic_auth_gateway().await;
    let password = ADMIN_PASSWORD;
    // Authenticated (a leaked token would do too), guessing the current password.
    let guess = || {
        client("127.0.0.9")
            .patch(gw.at("/api/2.0/mlflow/users/update-password"))
            .basic_auth("admin", Some(password))
            .json(&serde_json::json!({
                "username": "admin",
                "current_password": "a-wrong-guess",
                "password": "new-admin-password-1",
            }))
            .send()
    };
    for _ in 0..6 {
        let resp = guess().await.unwrap();
        assert_eq!(resp.status(), 400);
        assert!(resp
            .text()
            .await
            .unwrap()
            .contains("Current password does not match."));
    }
    assert_locked(guess().await.unwrap()).await;
    // Another address is not affected.
    let other = client("127.0.0.10")
        .get(gw.at("/api/2.0/mlflow/experiments/search"))
        .basic_auth("admin", Some(password))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
}
