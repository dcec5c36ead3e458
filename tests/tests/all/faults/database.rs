//! The auth database fails under a running gateway: SQLite write-locked by another process,
//! PostgreSQL cut off. Requests that need the database get a 503 MLflow JSON error (never a
//! 401 and never a pass), and the gateway recovers without a restart.

use std::path::Path;
use std::time::{Duration, Instant};

use mlauth::store::StoreOptions;
use mlauth_test_support::pg::PgDatabase;
use mlauth_tests::faults::TcpRelay;
use mlauth_tests::gateway::TestGateway;
use mlauth_tests::upstream::MockUpstream;
use sqlx::Connection;

use super::{assert_mlflow_error, bounded};

const ADMIN_PASSWORD: &str = "admin-password-123";
const BOB_PASSWORD: &str = "bob-password-123";

/// Short database timeouts so an outage is reported quickly.
pub(super) fn options() -> StoreOptions {
    StoreOptions {
        acquire_timeout: Duration::from_secs(2),
        sqlite_busy_timeout: Duration::from_secs(1),
        ..StoreOptions::default()
    }
}

pub(super) async fn basic_auth(
    upstream: &str,
    database_uri: &str,
    dir: &Path,
) -> Result<TestGateway, String> {
    let ini = format!(
        "[mlflow]\ndefault_permission = READ\ndatabase_uri = {database_uri}\nadmin_username = admin\n"
    );
    TestGateway::start_basic_auth_with(upstream, &ini, dir, ADMIN_PASSWORD, "", &options()).await
}

async fn search(gw: &TestGateway, user: &str, password: &str) -> (u16, String) {
    let resp = bounded(
        "search",
        reqwest::Client::new()
            .get(gw.at("/api/2.0/mlflow/experiments/search"))
            .basic_auth(user, Some(password))
            .send(),
    )
    .await
    .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn create_user(gw: &TestGateway, name: &str) -> (u16, String) {
    let resp = bounded(
        "create user",
        reqwest::Client::new()
            .post(gw.at("/api/2.0/mlflow/users/create"))
            .basic_auth("admin", Some(ADMIN_PASSWORD))
            .json(&serde_json::json!({"username": name, "password": BOB_PASSWORD}))
            .send(),
    )
    .await
    .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_locked_sqlite_database_gives_503_on_writes_and_recovers() {
    let upstream = MockUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("basic_auth.db");
    let uri = format!("sqlite:///{}", db.display());
    let gw = basic_auth(&upstream.url, &uri, dir.path()).await.unwrap();
    assert_eq!(create_user(&gw, "bob").await.0, 200);

    // Another process holds SQLite's write lock (e.g. a long migration or a backup tool).
    let mut locker = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    sqlx::raw_sql("BEGIN EXCLUSIVE")
        .execute(&mut locker)
        .await
        .unwrap();
    let (status, body) = create_user(&gw, "carol").await;
    assert_eq!(status, 503, "{body}");
    assert_mlflow_error(&body, "TEMPORARILY_UNAVAILABLE");
    // WAL mode: logins only read, so they keep working while the writer lock is held.
    assert_eq!(search(&gw, "bob", BOB_PASSWORD).await.0, 200);
    assert_eq!(search(&gw, "bob", "wrong-password-1").await.0, 401);

    sqlx::raw_sql("ROLLBACK")
        .execute(&mut locker)
        .await
        .unwrap();
    drop(locker);
    let (status, body) = create_user(&gw, "carol").await;
    assert_eq!(
        status, 200,
        "no recovery after the lock was released: {body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_postgresql_fails_closed_with_503_and_recovers_by_itself() {
    let pg = PgDatabase::create("faults").await;
    let relay = TcpRelay::start("127.0.0.1:5432".parse().unwrap()).await;
    let upstream = MockUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let uri = format!("postgresql://postgres@127.0.0.1:{}/{}", relay.port, pg.name);
    let gw = basic_auth(&upstream.url, &uri, dir.path()).await.unwrap();
    assert_eq!(create_user(&gw, "bob").await.0, 200);
    assert_eq!(search(&gw, "admin", ADMIN_PASSWORD).await.0, 200);
    assert_eq!(search(&gw, "bob", BOB_PASSWORD).await.0, 200);
    let forwarded = upstream.seen().len();

    relay.cut();
    // Cached credentials (admin, bob), a wrong password, an unknown user, an API call:
    // every one needs the database, so every one is a 503 — never a 401, never a pass.
    for (user, password) in [
        ("admin", ADMIN_PASSWORD),
        ("bob", BOB_PASSWORD),
        ("bob", "wrong-password-1"),
        ("ghost", "ghost-password-1"),
    ] {
        let (status, body) = search(&gw, user, password).await;
        assert_eq!(status, 503, "{user}/{password}: {body}");
        assert_mlflow_error(&body, "TEMPORARILY_UNAVAILABLE");
    }
    let (status, body) = create_user(&gw, "carol").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        upstream.seen().len(),
        forwarded,
        "a request passed during the outage"
    );

    relay.restore();
    let started = Instant::now();
    loop {
        let (status, body) = search(&gw, "admin", ADMIN_PASSWORD).await;
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "{body}");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no recovery after PostgreSQL came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(search(&gw, "bob", BOB_PASSWORD).await.0, 200);
    assert_eq!(search(&gw, "bob", "wrong-password-1").await.0, 401);
    drop(gw);
    drop(pg);
}
