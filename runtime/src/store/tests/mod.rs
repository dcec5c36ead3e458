//! Store tests against real databases: a temp SQLite file and a private PostgreSQL
//! database per test (`MLAUTH_TEST_PG_URL`, default `postgres://postgres@127.0.0.1:5432/test`;
//! set `MLAUTH_TEST_SKIP_POSTGRES=1` to skip the PostgreSQL variants).

mod grants;
mod interop;
mod kv;
mod revisions;
mod roles;
mod shared;
mod sweeps;
mod users;
mod workspaces;
mod writes;

use mlauth_test_support::pg::PgDatabase;
use std::future::Future;

use super::{DbKind, GrantRow, Pool, Session, Store, StoreError, StoreOptions};

/// A throw-away database.
pub(super) struct TestDb {
    pub url: String,
    pub kind: DbKind,
    _dir: Option<tempfile::TempDir>,
    /// The private PostgreSQL database; dropping it drops the database, also on panic.
    _pg: Option<PgDatabase>,
}

fn skip_postgres() -> bool {
    std::env::var("MLAUTH_TEST_SKIP_POSTGRES").is_ok_and(|v| v == "1")
}

impl TestDb {
    /// A new empty database, or `None` when PostgreSQL tests are skipped.
    pub async fn new(kind: DbKind) -> Option<TestDb> {
        match kind {
            DbKind::Sqlite => {
                let dir = tempfile::tempdir().expect("tempdir");
                let url = format!("sqlite://{}", dir.path().join("auth.db").display());
                Some(TestDb {
                    url,
                    kind,
                    _dir: Some(dir),
                    _pg: None,
                })
            }
            DbKind::Postgres => {
                if skip_postgres() {
                    eprintln!("SKIP: MLAUTH_TEST_SKIP_POSTGRES=1, PostgreSQL variant not run");
                    return None;
                }
                let pg = PgDatabase::create("test").await;
                Some(TestDb {
                    url: pg.url.clone(),
                    kind,
                    _dir: None,
                    _pg: Some(pg),
                })
            }
        }
    }

    /// Drops the database now (same as dropping `self`).
    pub async fn cleanup(self) {
        drop(self);
    }

    /// SQLAlchemy URL of this database for the Python side.
    pub fn sqlalchemy_url(&self, pg_driver: &str) -> String {
        match self.kind {
            DbKind::Sqlite => format!("sqlite:///{}", self.url.trim_start_matches("sqlite://")),
            DbKind::Postgres => {
                self.url
                    .replacen("postgres://", &format!("postgresql+{pg_driver}://"), 1)
            }
        }
    }

    /// A raw pool on this database, bypassing the schema check.
    pub async fn raw(&self) -> Pool {
        Pool::connect(&self.url, &StoreOptions::default())
            .await
            .expect("raw pool")
    }
}

/// Runs `body` on a fresh database of `kind` and drops it afterwards, even on panic.
pub(super) async fn with_db<F, Fut>(kind: DbKind, body: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = TestDb>,
{
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    body(db).await.cleanup().await;
}

/// Executes raw statements on `pool` in one transaction.
pub(super) async fn exec_raw(pool: &Pool, statements: &[&str]) {
    let mut s: Session = pool.write().await.expect("tx");
    for stmt in statements {
        s.execute(stmt, &[])
            .await
            .unwrap_or_else(|e| panic!("{stmt}: {e}"));
    }
    s.commit().await.expect("commit");
}

/// Opens a [`Store`] on `db` (creating the schema when empty).
pub(super) async fn open(db: &TestDb) -> Store {
    Store::connect(&db.url).await.expect("connect")
}

/// Asserts `res` failed with the [`StoreError`] variant named `variant` and message `msg`.
pub(super) fn assert_msg<T: std::fmt::Debug>(res: Result<T, StoreError>, variant: &str, msg: &str) {
    let err = res.expect_err("expected an error");
    let got = match &err {
        StoreError::NotFound(_) => "NotFound",
        StoreError::AlreadyExists(_) => "AlreadyExists",
        StoreError::InvalidParameter(_) => "InvalidParameter",
        StoreError::Unavailable(_) => "Unavailable",
        StoreError::Schema(_) => "Schema",
    };
    assert_eq!((got, err.to_string().as_str()), (variant, msg));
}

/// A [`GrantRow`] literal.
pub(super) fn grant(rt: &str, pattern: &str, perm: &str) -> GrantRow {
    GrantRow {
        resource_type: rt.into(),
        resource_pattern: pattern.into(),
        permission: perm.into(),
    }
}

/// Defines a `#[tokio::test]` per backend for an `async fn(TestDb) -> TestDb` body.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::super::with_db($crate::store::DbKind::Sqlite, super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::super::with_db($crate::store::DbKind::Postgres, super::$name).await;
                }
            )*
        }
    };
}
pub(super) use both_backends;

// ---- unit tests without a database ----

use super::grants::{is_synthetic_role_name, scorer_pattern};
use super::roles::py_repr;
use super::sqlx_url_from_sqlalchemy;

#[test]
fn sqlalchemy_urls_convert_to_sqlx() {
    let conv = |u: &str| sqlx_url_from_sqlalchemy(u).expect(u);
    assert_eq!(conv("sqlite:///basic_auth.db"), "sqlite:basic_auth.db");
    assert_eq!(
        conv("sqlite:////var/lib/auth.db"),
        "sqlite:///var/lib/auth.db"
    );
    assert_eq!(conv("sqlite://"), "sqlite::memory:");
    assert_eq!(conv("sqlite:///:memory:"), "sqlite::memory:");
    assert_eq!(
        conv("postgresql://u:p@h:5432/db"),
        "postgres://u:p@h:5432/db"
    );
    assert_eq!(
        conv("postgresql+psycopg2://u@h/db?sslmode=require"),
        "postgres://u@h/db?sslmode=require"
    );
    assert_eq!(conv("postgres://u@h/db"), "postgres://u@h/db");
    let err = sqlx_url_from_sqlalchemy("mysql+pymysql://u:secret@h/db")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Unsupported") && !err.contains("secret"),
        "{err}"
    );
}

#[test]
fn scorer_keys_quote_like_python() {
    assert_eq!(
        scorer_pattern("1", "my/scorer name"),
        "1/my%2Fscorer%20name"
    );
    assert_eq!(scorer_pattern("7", "a-b_c.d~e"), "7/a-b_c.d~e");
    assert_eq!(scorer_pattern("7", "é"), "7/%C3%A9");
}

#[test]
fn synthetic_role_names() {
    assert!(is_synthetic_role_name("__user_12__"));
    assert!(!is_synthetic_role_name("__user___"));
    assert!(!is_synthetic_role_name("__user_admin__"));
    assert!(!is_synthetic_role_name("__user_1__x"));
    assert!(!is_synthetic_role_name("admin"));
}

#[test]
fn python_repr_quotes() {
    assert_eq!(py_repr("abc"), "'abc'");
    assert_eq!(py_repr("it's"), "\"it's\"");
    assert_eq!(py_repr("a'\"b"), "'a\\'\"b'");
    assert_eq!(py_repr("a\nb"), "'a\\nb'");
}
