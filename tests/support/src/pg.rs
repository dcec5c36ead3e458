//! A private PostgreSQL database per test on the local server (`MLAUTH_TEST_PG_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`), dropped when its guard goes away, also when
//! the test panics.

use sqlx::Connection;

/// The admin connection URL.
pub fn admin_url() -> String {
    std::env::var("MLAUTH_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database that exists until dropped.
pub struct PgDatabase {
    /// Its name (`mlauth_<tag>_<random>`).
    pub name: String,
    /// `postgres://…/<name>`, as sqlx spells it.
    pub url: String,
}

impl PgDatabase {
    /// Creates a fresh, empty database; panics with the fix when the server is unreachable.
    pub async fn create(tag: &str) -> Self {
        let nonce: u64 = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_nanos() as u64
            ^ (u64::from(std::process::id()) << 32);
        let name = format!("mlauth_{tag}_{nonce:x}");
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
        let url = format!("{base}/{name}");
        Self { name, url }
    }

    /// The SQLAlchemy URL (`postgresql://…`, or `postgresql+<driver>://…`), as
    /// `basic_auth.ini` spells it.
    pub fn sqlalchemy_url(&self, driver: Option<&str>) -> String {
        let scheme = match driver {
            Some(driver) => format!("postgresql+{driver}://"),
            None => "postgresql://".into(),
        };
        self.url.replacen("postgres://", &scheme, 1)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_database_exists_until_dropped() {
        let exists = |name: String| async move {
            let mut conn = sqlx::PgConnection::connect(&admin_url()).await.unwrap();
            sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
                .bind(name)
                .fetch_optional(&mut conn)
                .await
                .unwrap()
                .is_some()
        };
        let db = PgDatabase::create("support").await;
        let name = db.name.clone();
        assert!(exists(name.clone()).await, "{name} was not created");
        assert!(db
            .sqlalchemy_url(Some("psycopg2"))
            .starts_with("postgresql+psycopg2://"));
        drop(db);
        assert!(!exists(name.clone()).await, "{name} outlived its guard");
    }
}
