//! A private PostgreSQL database per test on the local server (`MLAUTH_TEST_PG_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`), dropped when the guard goes away.

use sqlx::Connection;

/// The admin connection URL.
pub fn admin_url() -> String {
    std::env::var("MLAUTH_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database that exists until dropped.
pub struct PgDatabase {
    /// Its name (`mlauth_it_<random>`).
    pub name: String,
    /// `postgresql://…/<name>`, as `basic_auth.ini` spells it.
    pub sqlalchemy_url: String,
}

impl PgDatabase {
    /// Creates a fresh empty database; panics with the fix when the server is unreachable.
    pub async fn create(tag: &str) -> Self {
        let nonce: u64 = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            ^ u64::from(std::process::id()) << 32;
        let name = format!("mlauth_it_{tag}_{nonce:x}");
        let admin = admin_url();
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL at {admin} unreachable ({e}); start it or set MLAUTH_TEST_PG_URL"
                )
            });
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .expect("create database");
        let base = admin.rsplit_once('/').expect("URL names a database").0;
        let sqlalchemy_url = format!("{base}/{name}").replacen("postgres://", "postgresql://", 1);
        Self {
            name,
            sqlalchemy_url,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let name = std::mem::take(&mut self.name);
        // Its own thread and runtime, so dropping works inside a tokio worker and on panic.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url()).await {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = sqlx::query(&sql).execute(&mut conn).await;
                }
            });
        })
        .join();
    }
}
