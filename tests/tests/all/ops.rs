//! Operations: metrics, audit log, health endpoints, graceful shutdown (in-process), and on
//! the `mlauth` binary: `config check` exit codes, SIGHUP, `mlauth reload`, SIGTERM and the
//! compile cache across a restart.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::cli::mlauth_bin;

use mlauth::config::MlauthConfig;
use mlauth_tests::gateway::TestGateway;
use mlauth_tests::upstream::MockUpstream;
use mlauth_tests::wasm;

async fn gateway(app: &str, plugin: &str, upstream: &str, extra: &str) -> TestGateway {
    let toml = format!("[server]\nupstream = \"{upstream}\"\nport = 0\n{extra}");
    let config = MlauthConfig::parse(&toml).unwrap();
    TestGateway::start_with(config, app, plugin).await.unwrap()
}

/// The value of the sample `name{labels}` (labels as rendered), or 0.
fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_and_audit_record_every_decision_without_secrets() {
    let upstream = MockUpstream::start().await;
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let extra = format!("[audit]\noutput = \"file\"\npath = {audit:?}\n");
    let gw = gateway("ops-app", wasm::ECHO, &upstream.url, &extra).await;
    let failing = gateway("ops-panic", wasm::PANIC, &upstream.url, "").await;
    let admin = gw.serve_admin().await;
    let client = reqwest::Client::new();
    let path = "/api/2.0/mlflow/experiments/search";
    let ok = client
        .get(gw.at(&format!("{path}?token=sekrit-query")))
        .header("x-test-user", "alice")
        .header("authorization", "Bearer sekrit-header")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let request_id = ok.headers()["x-request-id"].to_str().unwrap().to_string();
    let denied = client.get(gw.at(path)).send().await.unwrap();
    assert_eq!(denied.status(), 401);
    assert!(denied.headers().contains_key("x-request-id"));
    assert_eq!(
        client.get(gw.at("/health")).send().await.unwrap().status(),
        200
    );
    assert_eq!(
        client
            .get(gw.at("/api/a%2fb"))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        client.get(failing.at(path)).send().await.unwrap().status(),
        500
    );

    let metrics = client.get(format!("{admin}/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    let metrics = metrics.text().await.unwrap();
    for series in [
        "mlauth_requests_total{outcome=\"allowed\",status=\"200\"}",
        "mlauth_requests_total{outcome=\"denied\",status=\"401\"}",
        "mlauth_requests_total{outcome=\"public\",status=\"200\"}",
        "mlauth_requests_total{outcome=\"rejected\",status=\"400\"}",
        "mlauth_requests_total{outcome=\"plugin_error\",status=\"500\"}",
        "mlauth_plugin_failures_total{plugin=\"ops-panic\",kind=\"trap\"}",
        "mlauth_auth_step_duration_seconds_count{plugin=\"ops-app\"}",
    ] {
        assert!(
            sample(&metrics, series) >= 1.0,
            "{series} missing in:\n{metrics}"
        );
    }
    assert!(metrics.contains("mlauth_auth_step_duration_seconds_bucket{plugin=\"ops-app\",le="));

    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&audit).unwrap().permissions());
    assert_eq!(mode & 0o077, 0, "the audit log is private: {mode:o}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    let sha = gw.gateway.state.plugin.load().info.sha256.clone();
    let first = &lines[0];
    assert_eq!(first["request_id"], request_id.as_str());
    assert_eq!(first["user"], "alice");
    assert_eq!(first["method"], "GET");
    assert_eq!(first["path"], path);
    assert_eq!(first["decision"], "allowed");
    assert_eq!(first["status"], 200);
    assert_eq!(first["plugin"], "ops-app");
    assert_eq!(first["sha256"], sha.as_str());
    assert!(first["time"].as_str().unwrap().ends_with('Z'));
    // The echo plugin's attribute (its view of the request id) is audited as an object.
    assert_eq!(
        first["attributes"]["request-id"],
        request_id.as_str(),
        "{first}"
    );
    assert!(lines[1].get("attributes").is_none(), "none for a denial");
    let decisions: Vec<&str> = lines
        .iter()
        .map(|l| l["decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["allowed", "denied", "public", "rejected"]);
    assert_eq!(lines[1]["user"], serde_json::Value::Null);
    let text = std::fs::read_to_string(&audit).unwrap();
    assert!(
        !text.contains("sekrit"),
        "a secret reached the audit log: {text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn health_endpoints_report_upstream_and_plugin_without_internals() {
    let upstream = MockUpstream::start().await;
    let gw = gateway("ready-app", wasm::ECHO, &upstream.url, "").await;
    let admin = gw.serve_admin().await;
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(format!("{admin}/livez"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let ready = client.get(format!("{admin}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["checks"]["upstream"], "ok");
    assert_eq!(body["checks"]["plugin"], "ok");

    // An upstream nobody listens on: not ready, and the body says only which check failed.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let gw = gateway("unready-app", wasm::ECHO, &dead, "").await;
    let admin = gw.serve_admin().await;
    let ready = client.get(format!("{admin}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let text = ready.text().await.unwrap();
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["ready"], false);
    assert_eq!(body["checks"]["upstream"], "fail");
    assert!(
        !text.contains("127.0.0.1") && !text.contains("refused"),
        "{text}"
    );
    // Reload needs the admin header (no cross-site POST).
    let refused = client.post(format!("{admin}/reload")).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let unchanged = client
        .post(format!("{admin}/reload"))
        .header("x-mlauth-admin", "reload")
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), 200);
    assert!(unchanged.text().await.unwrap().contains("unchanged"));
    // A page that rebinds its DNS name to loopback is refused by name (DNS rebinding).
    let port = admin.rsplit(':').next().unwrap();
    let rebound = client
        .post(format!("{admin}/reload"))
        .header("host", format!("attacker.example:{port}"))
        .header("x-mlauth-admin", "reload")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 421);
}

/// An upstream whose every answer takes `delay`.
async fn slow_upstream(delay: Duration) -> String {
    let app = axum::Router::new().fallback(move || async move {
        tokio::time::sleep(delay).await;
        "slow"
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_stops_accepting_and_drains_in_flight_requests() {
    let upstream = slow_upstream(Duration::from_millis(600)).await;
    let mut gw = gateway("drain-app", wasm::ECHO, &upstream, "").await;
    let url = gw.at("/api/2.0/mlflow/experiments/search");
    let in_flight = tokio::spawn(async move {
        reqwest::Client::new()
            .get(url)
            .header("x-test-user", "alice")
            .send()
            .await
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    gw.shutdown();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let addr = gw.url.trim_start_matches("http://").to_string();
    assert!(
        tokio::net::TcpStream::connect(&addr).await.is_err(),
        "new connections must be refused while draining"
    );
    let resp = in_flight
        .await
        .unwrap()
        .expect("the in-flight request completes");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "slow");
}

// ---- the binary ----

fn config_check(config: &Path) -> (bool, String) {
    let config = config.to_str().expect("utf-8 temp path");
    super::cli::mlauth(
        &["config", "check", "--config", config],
        Path::new(config).parent().unwrap(),
    )
}

#[test]
fn config_check_exit_codes_name_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mlauth.toml");
    let good = format!(
        "[plugins.tok]\npath = {:?}\nconfig = {{ token = \"t\" }}\n[plugins.app]\npath = {:?}\ngrants = [\"users\", \"kv\", \"crypto\"]\n",
        wasm::STATIC_TOKEN,
        wasm::CUSTOM_AUTH_APP
    );
    std::fs::write(&config, &good).unwrap();
    let (ok, out) = config_check(&config);
    assert!(
        ok && out.contains("ok    tok") && out.contains("ok    app"),
        "{out}"
    );

    let bad = format!(
        "{good}[plugins.wrong]\npath = {:?}\n[plugins.ungranted]\npath = {:?}\n[plugins.clash]\npath = {:?}\ngrants = [\"users\", \"kv\", \"crypto\"]\nconfig = {{ extra_route = \"/health\" }}\n",
        wasm::WRONG_WORLD,
        wasm::BASIC_AUTH,
        wasm::CUSTOM_AUTH_APP
    );
    std::fs::write(&config, bad).unwrap();
    let (ok, out) = config_check(&config);
    assert!(!ok, "{out}");
    assert!(
        out.contains("error wrong") && out.contains("does not implement an mlauth world"),
        "{out}"
    );
    assert!(
        out.contains("error ungranted") && out.contains("grants = [\"users\"]"),
        "{out}"
    );
    assert!(
        out.contains("error clash") && out.contains("clashes with host route"),
        "{out}"
    );
    assert!(out.contains("3 problem(s)"), "{out}");

    std::fs::write(&config, "[admin]\nhost = \"0.0.0.0\"\n").unwrap();
    let (ok, out) = config_check(&config);
    assert!(
        !ok && out.contains("admin.host") && out.contains("loopback"),
        "{out}"
    );
    std::fs::write(&config, "[audit]\noutput = \"file\"\n").unwrap();
    let (ok, out) = config_check(&config);
    assert!(!ok && out.contains("audit.path"), "{out}");
}

/// A spawned `mlauth run`; killed when dropped.
struct Spawned {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Spawned {
    fn start(config: &Path, cache: &Path) -> Self {
        let mut child = Command::new(mlauth_bin())
            .args(["run", "--app-name", "bin-app", "--port", "0", "--config"])
            .arg(config)
            .arg("--cache-dir")
            .arg(cache)
            .env("MLAUTH_LOG", "info")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(line);
            }
        });
        Self { child, lines }
    }

    /// Waits until mlauth printed both addresses: `(gateway URL, admin URL)`.
    fn urls(&self) -> (String, String) {
        let main = concat!("mlauth ", env!("CARGO_PKG_VERSION"), " listening on ");
        let (mut url, mut admin) = (None, None);
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let (Some(url), Some(admin)) = (&url, &admin) {
                return (String::clone(url), String::clone(admin));
            }
            let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) else {
                continue;
            };
            let after = |marker: &str| {
                let rest = line.split(marker).nth(1)?;
                rest.split_whitespace().next().map(str::to_string)
            };
            url = url.or_else(|| after(main));
            admin = admin.or_else(|| after("mlauth admin listening on "));
        }
        panic!("mlauth did not print its addresses");
    }

    fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn get(url: &str) -> (u16, String) {
    let resp = reqwest::blocking::get(url).unwrap();
    (resp.status().as_u16(), resp.text().unwrap())
}

fn wait_for_version(url: &str, version: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, body) = get(url);
        if body.contains(&format!("\"handle\": \"{version}\"")) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "version {version} never served: {body}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn binary_reloads_on_sighup_and_mlauth_reload_and_drains_on_sigterm() {
    let upstream = tokio::runtime::Runtime::new().unwrap();
    let mock = upstream.block_on(MockUpstream::start());
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let config = dir.path().join("mlauth.toml");
    let write = |version: &str| {
        let text = format!(
            "[server]\nupstream = \"{}\"\n[admin]\nport = 0\n[reload]\nwatch = false\n\
             [plugins.bin-app]\npath = {:?}\nconfig = {{ version = \"{version}\" }}\n",
            mock.url,
            wasm::VERSIONED
        );
        std::fs::write(&config, text).unwrap();
    };
    write("1");
    let run = Spawned::start(&config, &cache);
    let (url, admin) = run.urls();
    let version = format!("{url}/version");
    wait_for_version(&version, "1");

    write("2");
    run.signal("-HUP");
    wait_for_version(&version, "2");

    write("3");
    let out = Command::new(mlauth_bin())
        .args(["reload", "--admin", admin.trim_start_matches("http://")])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("reloaded"), "{text}");
    wait_for_version(&version, "3");
    let (_, metrics) = get(&format!("{admin}/metrics"));
    assert!(
        sample(
            &metrics,
            "mlauth_reloads_total{plugin=\"bin-app\",result=\"ok\"}"
        ) >= 2.0,
        "{metrics}"
    );

    run.signal("-TERM");
    let mut run = run;
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = run.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "mlauth did not exit on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");

    // A restart with the unchanged plugin loads it from the compile cache.
    let again = Spawned::start(&config, &cache);
    let (_, admin) = again.urls();
    let (_, metrics) = get(&format!("{admin}/metrics"));
    assert!(
        sample(&metrics, "mlauth_compile_cache_total{result=\"hit\"}") >= 1.0,
        "{metrics}"
    );
}
