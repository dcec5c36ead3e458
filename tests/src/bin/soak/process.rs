//! The mlauth process under test: found or built, started with a basic-auth config in a
//! temporary directory, probed for reload support, and its resident set size read.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mlauth_tests::mlflow::{free_port, repo_root};

use super::ADMIN_PASSWORD;

/// The gateway process; killed on drop.
pub(crate) struct Mlauth {
    pub(crate) child: Child,
    pub(crate) url: String,
    pub(crate) log: PathBuf,
}

impl Drop for Mlauth {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn mlauth_bin(arg: Option<PathBuf>) -> PathBuf {
    if let Some(path) = arg {
        return path;
    }
    let bin = repo_root().join("target/release/mlauth");
    if !bin.exists() {
        let status = Command::new("cargo")
            .args(["build", "--release", "--workspace", "--bin", "mlauth"])
            .status()
            .expect("run cargo");
        assert!(status.success(), "building mlauth failed");
    }
    bin
}

pub(crate) fn start_mlauth(bin: &Path, upstream: &str, dir: &Path) -> Mlauth {
    let ini = dir.join("basic_auth.ini");
    std::fs::write(
        &ini,
        format!(
            "[mlflow]\ndefault_permission = NO_PERMISSIONS\ndatabase_uri = sqlite:///{}\nadmin_username = admin\n",
            dir.join("basic_auth.db").display()
        ),
    )
    .unwrap();
    let port = free_port();
    let log = dir.join("mlauth.log");
    let file = std::fs::File::create(&log).unwrap();
    let child = Command::new(bin)
        .args(["run", "--app-name", "basic-auth", "--host", "127.0.0.1"])
        .args(["--port", &port.to_string(), "--upstream", upstream])
        .env("MLFLOW_AUTH_CONFIG_PATH", &ini)
        .env("MLFLOW_AUTH_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .expect("spawn mlauth");
    let mlauth = Mlauth {
        child,
        url: format!("http://127.0.0.1:{port}"),
        log,
    };
    let client = reqwest::blocking::Client::new();
    for _ in 0..240 {
        if client
            .get(format!("{}/health", mlauth.url))
            .send()
            .is_ok_and(|r| r.status().is_success())
        {
            return mlauth;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!(
        "mlauth did not start; log:\n{}",
        std::fs::read_to_string(&mlauth.log).unwrap_or_default()
    );
}

/// Whether this mlauth build has plugin reload (a `reload` subcommand or a reload option).
pub(crate) fn reload_available(bin: &Path) -> bool {
    let help = |args: &[&str]| {
        Command::new(bin)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).to_lowercase())
            .unwrap_or_default()
    };
    help(&["--help"]).contains("reload") || help(&["run", "--help"]).contains("reload")
}

pub(crate) fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
