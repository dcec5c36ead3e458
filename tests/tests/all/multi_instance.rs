//! Several mlauth instances sharing one auth database (`docs/multi-instance.md`): a change
//! made through instance A — password, admin flag, grant, revoke, deletion, token revocation —
//! is enforced by instance B, whose caches were warmed before the change. Latencies are
//! printed, not asserted (each wait is bounded by [`BOUND`] and must end in the new answer).

use std::time::{Duration, Instant};

use mlauth_test_support::pg::PgDatabase;
use mlauth_tests::gateway::TestGateway;
use mlauth_tests::upstream::MockUpstream;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const ADMIN_PASSWORD: &str = "admin-password-123";
const BOB_PASSWORD: &str = "bob-password-123";
/// How long B may take before the test fails (the design bound is 1 s; this only catches "never").
const BOUND: Duration = Duration::from_secs(10);

fn ini(database_uri: &str) -> String {
    format!(
        "[mlflow]\ndefault_permission = NO_PERMISSIONS\ndatabase_uri = {database_uri}\n\
         admin_username = admin\nauth_cache_ttl_seconds = 300\n"
    )
}

/// Two gateways on different ports over one database, in front of one upstream.
async fn two_instances(
    upstream: &str,
    database_uri: &str,
) -> (TestGateway, TestGateway, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut gateways = Vec::new();
    for _ in 0..2 {
        let gw = TestGateway::start_basic_auth(
            upstream,
            &ini(database_uri),
            dir.path(),
            ADMIN_PASSWORD,
            "",
        )
        .await
        .expect("gateway starts");
        gateways.push(gw);
    }
    let b = gateways.pop().unwrap();
    let a = gateways.pop().unwrap();
    assert_ne!(a.url, b.url);
    (a, b, dir)
}

async fn call(
    gw: &TestGateway,
    method: Method,
    path: &str,
    auth: (&str, &str),
    body: Option<Value>,
) -> (StatusCode, String) {
    gw.basic_call(method, path, auth, body).await
}

async fn admin(gw: &TestGateway, method: Method, path: &str, body: Value) {
    let (status, text) = call(gw, method, path, ("admin", ADMIN_PASSWORD), Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{path}: {text}");
}

/// Status of `GET experiments/get?experiment_id=<id>` through `gw` as `user`.
async fn read_experiment(gw: &TestGateway, id: &str, auth: (&str, &str)) -> StatusCode {
    let path = format!("/api/2.0/mlflow/experiments/get?experiment_id={id}");
    call(gw, Method::GET, &path, auth, None).await.0
}

/// Polls until `probe` answers `want` (or [`BOUND`] passes: the test fails); returns the wait.
async fn wait_for<F, Fut>(what: &str, want: StatusCode, mut probe: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = StatusCode>,
{
    let started = Instant::now();
    loop {
        let got = probe().await;
        if got == want {
            let waited = started.elapsed();
            println!("multi-instance: {what}: enforced by B after {waited:?}");
            return waited;
        }
        assert!(
            started.elapsed() < BOUND,
            "{what}: B still answers {got} after {BOUND:?} (want {want})"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The whole scenario over one shared database.
async fn changes_through_a_are_enforced_by_b(database_uri: &str) {
    let upstream = MockUpstream::start().await;
    let (a, b, _dir) = two_instances(&upstream.url, database_uri).await;
    let bob = ("bob", BOB_PASSWORD);
    admin(
        &a,
        Method::POST,
        "/api/2.0/mlflow/users/create",
        json!({"username": "bob", "password": BOB_PASSWORD}),
    )
    .await;

    // Grant and revoke (B's view of bob warmed first: cached credentials, 403).
    assert_eq!(read_experiment(&b, "7", bob).await, StatusCode::FORBIDDEN);
    let grant = json!({"username": "bob", "resource_type": "experiment", "resource_id": "7", "permission": "READ"});
    admin(
        &a,
        Method::POST,
        "/api/3.0/mlflow/users/permissions/grant",
        grant,
    )
    .await;
    wait_for("grant", StatusCode::OK, || read_experiment(&b, "7", bob)).await;
    let revoke = json!({"username": "bob", "resource_type": "experiment", "resource_id": "7"});
    admin(
        &a,
        Method::POST,
        "/api/3.0/mlflow/users/permissions/revoke",
        revoke,
    )
    .await;
    wait_for("revoke", StatusCode::FORBIDDEN, || {
        read_experiment(&b, "7", bob)
    })
    .await;

    // Admin flag on and off.
    admin(
        &a,
        Method::PATCH,
        "/api/2.0/mlflow/users/update-admin",
        json!({"username": "bob", "is_admin": true}),
    )
    .await;
    wait_for("admin on", StatusCode::OK, || read_experiment(&b, "8", bob)).await;
    admin(
        &a,
        Method::PATCH,
        "/api/2.0/mlflow/users/update-admin",
        json!({"username": "bob", "is_admin": false}),
    )
    .await;
    wait_for("admin off", StatusCode::FORBIDDEN, || {
        read_experiment(&b, "8", bob)
    })
    .await;

    // A token minted through A works on B until revoked through A.
    let (status, text) = call(
        &a,
        Method::POST,
        "/api/2.0/mlflow/users/access-tokens/create",
        bob,
        Some(json!({"name": "ci"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let created: Value = serde_json::from_str(&text).unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    let id = created["access_token"]["id"].as_i64().unwrap();
    assert_eq!(
        read_experiment(&b, "7", ("bob", token.as_str())).await,
        StatusCode::FORBIDDEN
    );
    let (status, text) = call(
        &a,
        Method::DELETE,
        "/api/2.0/mlflow/users/access-tokens/delete",
        bob,
        Some(json!({"id": id})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    wait_for("token revocation", StatusCode::UNAUTHORIZED, || {
        read_experiment(&b, "7", ("bob", token.as_str()))
    })
    .await;

    // Password change: B's cached success for the old password stops counting.
    assert_eq!(read_experiment(&b, "7", bob).await, StatusCode::FORBIDDEN);
    let new_password = "bob-new-password-456";
    admin(
        &a,
        Method::PATCH,
        "/api/2.0/mlflow/users/update-password",
        json!({"username": "bob", "password": new_password}),
    )
    .await;
    wait_for("password change", StatusCode::UNAUTHORIZED, || {
        read_experiment(&b, "7", bob)
    })
    .await;
    assert_eq!(
        read_experiment(&b, "7", ("bob", new_password)).await,
        StatusCode::FORBIDDEN
    );

    // Deletion.
    admin(
        &a,
        Method::DELETE,
        "/api/2.0/mlflow/users/delete",
        json!({"username": "bob"}),
    )
    .await;
    wait_for("user deletion", StatusCode::UNAUTHORIZED, || {
        read_experiment(&b, "7", ("bob", new_password))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_instances_on_postgresql_share_users_grants_and_tokens() {
    let db = PgDatabase::create("multi").await;
    changes_through_a_are_enforced_by_b(&db.sqlalchemy_url(None)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_instances_on_one_sqlite_file_share_users_grants_and_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let uri = format!("sqlite:///{}", dir.path().join("shared.db").display());
    changes_through_a_are_enforced_by_b(&uri).await;
}

/// A write made by MLflow's own tooling (its `SqlAlchemyStore`, no mlauth counter bump) is
/// enforced at once: a cached success is only used while the stored hash is unchanged.
#[tokio::test(flavor = "multi_thread")]
async fn a_password_changed_by_mlflows_own_store_is_enforced_at_once() {
    let upstream = MockUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let uri = format!("sqlite:///{}", dir.path().join("auth.db").display());
    let gw =
        TestGateway::start_basic_auth(&upstream.url, &ini(&uri), dir.path(), ADMIN_PASSWORD, "")
            .await
            .expect("gateway starts");
    let bob = ("bob", BOB_PASSWORD);
    admin(
        &gw,
        Method::POST,
        "/api/2.0/mlflow/users/create",
        json!({"username": "bob", "password": BOB_PASSWORD}),
    )
    .await;
    assert_eq!(
        read_experiment(&gw, "7", bob).await,
        StatusCode::FORBIDDEN,
        "cache warmed"
    );
    let script = r#"
import os
from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore
store = SqlAlchemyStore()
store.init_db(os.environ["DB_URL"])
store.update_user("bob", password="bob-changed-by-mlflow-1")
store.update_user("bob", is_admin=True)
print("updated")
"#;
    let env_uri = uri.clone();
    let out = tokio::task::spawn_blocking(move || {
        mlauth_tests::mlflow::run_python(script, &[("DB_URL", &env_uri)])
    })
    .await
    .unwrap();
    assert!(out.contains("updated"), "{out}");
    assert_eq!(
        read_experiment(&gw, "7", bob).await,
        StatusCode::UNAUTHORIZED,
        "old password refused at once"
    );
    let new = ("bob", "bob-changed-by-mlflow-1");
    assert_eq!(
        read_experiment(&gw, "7", new).await,
        StatusCode::OK,
        "new password and admin flag apply"
    );
}
