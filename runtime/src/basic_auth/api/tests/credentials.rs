//! The password check behind Basic logins, with its credential cache.

use super::Env;

#[tokio::test]
async fn a_user_promoted_behind_the_caches_back_meets_the_legacy_password_refusal() {
    let env = Env::new().await;
    let hash = crate::basic_auth::password::generate_password_hash("password1234");
    env.core
        .store
        .create_user("dave", &hash, false)
        .await
        .unwrap();
    // A non-admin may have MLflow's old default password; the login is cached.
    let login = || env.core.verify_password("dave", "password1234");
    assert!(login().await.unwrap().is_some());
    assert!(login().await.unwrap().is_some(), "a cache hit");
    // MLflow's own tooling (or plain SQL) promotes dave without telling mlauth's caches.
    let url = format!("sqlite://{}/auth.db", env._dir.path().display());
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    sqlx::query("UPDATE users SET is_admin = 1 WHERE username = 'dave'")
        .execute(&mut conn)
        .await
        .unwrap();
    assert!(
        login().await.unwrap().is_none(),
        "an admin with the legacy default password is refused, cached or not"
    );
}
