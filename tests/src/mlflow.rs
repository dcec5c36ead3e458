//! A real `mlflow server` (from the project's `.venv`, see `scripts/setup-python.sh`) on a
//! free loopback port with its own temporary stores, killed when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The Python interpreter with MLflow: `$MLAUTH_TEST_PYTHON`, else `<repo>/.venv/bin/python`.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("MLAUTH_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    repo_root().join(".venv/bin/python")
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Panics with the fix when the venv is missing (tests that need MLflow must not pass silently).
pub fn require_python() -> PathBuf {
    let python = python();
    assert!(
        python.exists(),
        "{} not found: run ./scripts/setup-python.sh (creates .venv with mlflow[auth]==3.17.2) or set MLAUTH_TEST_PYTHON",
        python.display()
    );
    python
}

/// A free loopback port (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running MLflow tracking server.
pub struct MlflowServer {
    /// Base URL.
    pub url: String,
    /// Its temporary directory (stores, artifacts, logs).
    pub dir: tempfile::TempDir,
    child: Child,
}

impl MlflowServer {
    /// Starts `mlflow server --workers 1` with SQLite stores in a temp dir; waits for `/health`.
    pub fn start() -> Self {
        Self::start_with(&[], &[])
    }

    /// Same, with extra CLI arguments and environment variables.
    pub fn start_with(extra_args: &[&str], env: &[(&str, &str)]) -> Self {
        let python = require_python();
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("mlflow.log")).unwrap();
        let db = dir.path().join("mlflow.db");
        if let Some(template) = migrated_tracking_db() {
            // A private copy: the server finds its schema at head and skips the migrations.
            // A failed copy leaves no file, so the server makes and migrates its own.
            if std::fs::copy(template, &db).is_err() {
                let _ = std::fs::remove_file(&db);
            }
        }
        let mut cmd = Command::new(python);
        cmd.env("MLFLOW_DISABLE_TELEMETRY", "true")
            .env("DO_NOT_TRACK", "true");
        cmd.args([
            "-m",
            "mlflow",
            "server",
            "--workers",
            "1",
            "--host",
            "127.0.0.1",
            "--port",
        ])
        .arg(port.to_string())
        .arg("--backend-store-uri")
        .arg(format!("sqlite:///{}", db.display()))
        .arg("--artifacts-destination")
        .arg(dir.path().join("artifacts"))
        .args(extra_args)
        .current_dir(dir.path())
        .env("MLFLOW_FLASK_SERVER_SECRET_KEY", "test-secret-key")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
        for (k, v) in env {
            cmd.env(k, v);
        }
        // Own process group: `mlflow server` starts uvicorn as a child; both are killed on drop.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd.spawn().expect("spawn mlflow server");
        let server = Self {
            url: format!("http://127.0.0.1:{port}"),
            dir,
            child,
        };
        server.wait_healthy(Duration::from_secs(120));
        server
    }

    /// MLflow's own basic-auth app (`--app-name basic-auth`) with `basic_auth.ini` = `ini`,
    /// written into `dir`, and the admin's bootstrap password.
    pub fn start_basic_auth(dir: &std::path::Path, ini: &str, admin_password: &str) -> Self {
        let path = dir.join("basic_auth.ini");
        std::fs::write(&path, ini).unwrap();
        let env = [
            ("MLFLOW_AUTH_CONFIG_PATH", path.to_str().unwrap()),
            ("MLFLOW_AUTH_ADMIN_PASSWORD", admin_password),
        ];
        Self::start_with(&["--app-name", "basic-auth"], &env)
    }

    fn wait_healthy(&self, timeout: Duration) {
        let start = Instant::now();
        let client = reqwest::blocking::Client::new();
        while start.elapsed() < timeout {
            if client
                .get(format!("{}/health", self.url))
                .send()
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        let log = std::fs::read_to_string(self.dir.path().join("mlflow.log")).unwrap_or_default();
        panic!("mlflow server did not become healthy in {timeout:?}; log:\n{log}");
    }
}

impl Drop for MlflowServer {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a Python snippet with the venv interpreter; returns stdout, panics with stderr on failure.
pub fn run_python(script: &str, env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(require_python());
    cmd.arg("-c").arg(script);
    // MLflow's telemetry thread edits os.environ while requests iterates it (KeyError).
    cmd.env("MLFLOW_DISABLE_TELEMETRY", "true")
        .env("DO_NOT_TRACK", "true");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run python");
    assert!(
        out.status.success(),
        "python failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An empty MLflow tracking database at the schema head, made once per MLflow version
/// (cached in `target/mlflow-template/<mlflow dist-info>/`). Every server starts on its own
/// copy instead of running MLflow's schema migrations: about 3 CPU-seconds and 2.5 s less
/// per server on 2 cores, and the tests start a few dozen. `None` (each server migrates
/// its own database, as before) when the venv's MLflow version cannot be told or the
/// template cannot be made.
fn migrated_tracking_db() -> Option<&'static Path> {
    static TEMPLATE: OnceLock<Option<PathBuf>> = OnceLock::new();
    TEMPLATE.get_or_init(make_tracking_db_template).as_deref()
}

fn make_tracking_db_template() -> Option<PathBuf> {
    let version = mlflow_dist_info(&python())?;
    let dir = repo_root().join("target/mlflow-template").join(version);
    let template = dir.join("mlflow.db");
    if template.exists() {
        return Some(template);
    }
    std::fs::create_dir_all(&dir).ok()?;
    let partial = dir.join(format!("partial-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&partial);
    // What `mlflow server` does to a new database, including the Default experiment and
    // its artifact location (`mlflow-artifacts:/0`, as with `--artifacts-destination`).
    let script = "import sys\n\
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore\n\
        SqlAlchemyStore('sqlite:///' + sys.argv[1], 'mlflow-artifacts:/')";
    let made = Command::new(python())
        .args(["-c", script])
        .arg(&partial)
        .env("MLFLOW_DISABLE_TELEMETRY", "true")
        .env("DO_NOT_TRACK", "true")
        .stdin(Stdio::null())
        .output();
    match made {
        Ok(out) if out.status.success() => {
            std::fs::rename(&partial, &template).ok()?;
            Some(template)
        }
        other => {
            eprintln!("no MLflow database template (each server migrates its own): {other:?}");
            let _ = std::fs::remove_file(&partial);
            None
        }
    }
}

/// The name of MLflow's `*.dist-info` directory in the venv `python` belongs to, e.g.
/// `mlflow-3.17.2.dist-info`.
fn mlflow_dist_info(python: &Path) -> Option<String> {
    let lib = python.parent()?.parent()?.join("lib");
    std::fs::read_dir(lib)
        .ok()?
        .flatten()
        .find_map(|python_dir| {
            std::fs::read_dir(python_dir.path().join("site-packages"))
                .ok()?
                .flatten()
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .find(|name| name.starts_with("mlflow-") && name.ends_with(".dist-info"))
        })
}
