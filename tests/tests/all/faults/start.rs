//! An unusable auth database location at start: a read-only directory, a write failure
//! (disk full / file-size limit), an unreachable PostgreSQL. Each stops the start with the
//! path and the fix; nothing listens.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mlauth_tests::upstream::MockUpstream;

use super::database::basic_auth;

/// Whether this process can create a file in `dir` (root ignores permission bits).
fn can_write(dir: &Path) -> bool {
    let probe = dir.join("probe");
    let ok = std::fs::write(&probe, b"x").is_ok();
    let _ = std::fs::remove_file(&probe);
    ok
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_database_directory_stops_the_start_with_the_path_and_the_fix() {
    let upstream = MockUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let read_only = dir.path().join("read-only");
    std::fs::create_dir(&read_only).unwrap();
    std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o555)).unwrap();
    let target: PathBuf = if can_write(&read_only) {
        if !Path::new("/sys/kernel").is_dir() {
            eprintln!("skipped: chmod does not stop this user (root) and /sys is absent");
            return;
        }
        eprintln!(
            "note: chmod does not stop this user (root); using /sys, read-only even for root"
        );
        PathBuf::from("/sys")
    } else {
        read_only.clone()
    };
    let uri = format!("sqlite:///{}", target.join("basic_auth.db").display());
    let result = basic_auth(&upstream.url, &uri, dir.path()).await;
    std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = result.err().expect("started on a read-only directory");
    assert!(err.contains(&target.display().to_string()), "{err}");
    assert!(err.contains("not writable"), "{err}");
    assert!(err.contains("database_uri"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_postgresql_at_start_is_a_clear_error() {
    let upstream = MockUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = mlauth_tests::mlflow::free_port();
    let uri = format!("postgresql://postgres:s3cret@127.0.0.1:{port}/mlauth");
    let err = super::bounded("start", basic_auth(&upstream.url, &uri, dir.path()))
        .await
        .err()
        .expect("started without its database");
    assert!(
        err.contains(&format!("postgres:***@127.0.0.1:{port}/mlauth")),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "password leaked: {err}");
}

/// Runs `mlauth run --app-name basic-auth` with a file-size limit of 0 (every write to the
/// database fails as on a full disk) and returns (exit success, stderr).
fn run_with_no_disk_space(ini: &Path) -> (bool, String) {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 0 && exec \"$0\" run --app-name basic-auth --port 0 --upstream http://127.0.0.1:9")
        .arg(crate::cli::mlauth_bin())
        .env("MLFLOW_AUTH_CONFIG_PATH", ini)
        .env("MLFLOW_AUTH_ADMIN_PASSWORD", "admin-password-123")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("mlauth started although it cannot write its database");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_database_write_failure_at_start_names_the_file_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("basic_auth.db");
    let ini = dir.path().join("basic_auth.ini");
    std::fs::write(
        &ini,
        format!(
            "[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///{}\nadmin_username = admin\n",
            db.display()
        ),
    )
    .unwrap();
    let (ok, stderr) = run_with_no_disk_space(&ini);
    assert!(!ok, "{stderr}");
    assert!(stderr.contains(&db.display().to_string()), "{stderr}");
    assert!(
        stderr.contains("disk") && stderr.contains("database_uri"),
        "{stderr}"
    );
}
