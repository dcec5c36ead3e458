//! The Python side of the interop tests: finding an interpreter that imports MLflow's auth
//! store, running it, and the Python snippets the tests run.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::store::tests::TestDb;
use crate::store::DbKind;

/// A Python interpreter that imports MLflow's auth store.
pub(super) struct Python {
    /// The interpreter executable.
    pub(super) exe: PathBuf,
    /// The PostgreSQL driver module it imports (`psycopg2` or `psycopg`), if any.
    pub(super) pg_driver: Option<&'static str>,
}

fn python_ok(exe: &PathBuf, code: &str) -> bool {
    std::process::Command::new(exe)
        .args(["-c", code])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Every candidate interpreter that imports MLflow's auth store, in preference order.
fn pythons() -> &'static [Python] {
    static PY: OnceLock<Vec<Python>> = OnceLock::new();
    PY.get_or_init(|| {
        let repo_venv = concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/python");
        let candidates = std::env::var("MLAUTH_TEST_PYTHON")
            .ok()
            .into_iter()
            .chain([repo_venv.to_string()]);
        candidates
            .map(PathBuf::from)
            .filter(|p| p.exists() && python_ok(p, "import mlflow.server.auth.sqlalchemy_store"))
            .map(|exe| {
                let pg_driver = ["psycopg2", "psycopg"]
                    .into_iter()
                    .find(|d| python_ok(&exe, &format!("import {d}")));
                Python { exe, pg_driver }
            })
            .collect()
    })
}

/// The interpreter (for PostgreSQL: the first with a driver) and the SQLAlchemy URL of
/// `db`; panics naming the fix when no interpreter qualifies.
pub(super) fn py_for(db: &TestDb, test: &str) -> Option<(&'static Python, String)> {
    let all = pythons();
    assert!(
        !all.is_empty(),
        "{test}: no Python with mlflow: run ./scripts/setup-python.sh (creates .venv) or set MLAUTH_TEST_PYTHON"
    );
    let py = match db.kind {
        DbKind::Sqlite => &all[0],
        DbKind::Postgres => match all.iter().find(|p| p.pg_driver.is_some()) {
            Some(py) => py,
            None => {
                panic!("{test}: the Python with mlflow has neither psycopg2 nor psycopg (pip install psycopg2-binary)");
            }
        },
    };
    Some((py, db.sqlalchemy_url(py.pg_driver.unwrap_or("psycopg2"))))
}

/// Runs the interpreter with `args`; panics with its stderr on failure, returns its stdout.
pub(super) async fn run_py(py: &Python, args: &[&str]) -> String {
    let out = tokio::process::Command::new(&py.exe)
        .args(args)
        .env("PYTHONWARNINGS", "ignore")
        .env("MLFLOW_DISABLE_TELEMETRY", "true")
        .env("DO_NOT_TRACK", "true")
        .output()
        .await
        .expect("spawn python");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python {args:?} failed:\n{stderr}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `python -m mlflow.server.auth db upgrade --url <url> --revision <revision>`.
pub(super) async fn mlflow_db_upgrade(py: &Python, url: &str, revision: &str) {
    run_py(
        py,
        &[
            "-m",
            "mlflow.server.auth",
            "db",
            "upgrade",
            "--url",
            url,
            "--revision",
            revision,
        ],
    )
    .await;
}

/// Creates a user through MLflow's store; prints its id and password hash as JSON.
pub(super) const CREATE_USER_PY: &str = r#"
import json, sys
from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore
s = SqlAlchemyStore(); s.init_db(sys.argv[1])
u = s.create_user(sys.argv[2], sys.argv[3])
print(json.dumps({"id": u.id, "hash": u.password_hash}))
"#;

/// Prints werkzeug's hash of a password, as MLflow stores it.
pub(super) const HASH_PY: &str = r#"
import sys
from werkzeug.security import generate_password_hash
print(generate_password_hash(sys.argv[1]))
"#;

/// Reads a user, its roles and grants through MLflow's store, then writes a grant and a
/// user of its own; prints what it read as JSON.
pub(super) const READ_OURS_PY: &str = r#"
import json, sys
from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore
s = SqlAlchemyStore(); s.init_db(sys.argv[1])
name, password = sys.argv[2], sys.argv[3]
u = s.get_user(name)
out = {
    "id": u.id, "is_admin": bool(u.is_admin),
    "auth_ok": s.authenticate_user(name, password),
    "auth_bad": s.authenticate_user(name, "wrong-password-123"),
    "roles": sorted([r.name, r.workspace, sorted([p.resource_type, p.resource_pattern, p.permission] for p in r.permissions)] for r in s.list_user_roles(u.id)),
    "grants": sorted(list(g) for g in s.list_grants(u.id, "default", ["experiment"])),
}
s.grant_user_permission(name, "experiment", "77", "READ")
s.create_user("pymade", "pymadepassword123")
print(json.dumps(out))
"#;
