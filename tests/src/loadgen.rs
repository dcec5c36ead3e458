//! A small closed-loop HTTP/1.1 load generator for loopback benchmarks: `connections`
//! keep-alive connections each send requests back to back for `duration`; latencies are
//! recorded per request.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;

/// Result of one load run.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Requests completed.
    pub requests: usize,
    /// Responses whose status differed from the expected one.
    pub unexpected: usize,
    /// Requests per second.
    pub rps: f64,
    /// Median latency, µs.
    pub p50_us: f64,
    /// 99th percentile latency, µs.
    pub p99_us: f64,
}

/// One request template.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port`.
    pub addr: String,
    /// Path and query.
    pub path: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Status the server should answer.
    pub expect: u16,
}

/// Runs the load on the current tokio runtime.
pub async fn run(target: Target, connections: usize, duration: Duration) -> LoadReport {
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            connection_loop(target, deadline).await
        }));
    }
    let mut latencies = Vec::new();
    let mut unexpected = 0;
    for task in tasks {
        let (lat, bad) = task.await.expect("load task");
        latencies.extend(lat);
        unexpected += bad;
    }
    latencies.sort_unstable();
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return f64::NAN;
        }
        let idx = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies[idx] as f64 / 1000.0
    };
    LoadReport {
        requests: latencies.len(),
        unexpected,
        rps: latencies.len() as f64 / duration.as_secs_f64(),
        p50_us: pct(0.50),
        p99_us: pct(0.99),
    }
}

async fn connection_loop(target: Target, deadline: Instant) -> (Vec<u64>, usize) {
    let stream = tokio::net::TcpStream::connect(&target.addr)
        .await
        .expect("connect");
    stream.set_nodelay(true).ok();
    let (mut sender, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    let mut latencies = Vec::new();
    let mut unexpected = 0;
    while Instant::now() < deadline {
        let mut req = http::Request::get(&target.path).header("host", &target.addr);
        for (k, v) in &target.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let req = req.body(Empty::<Bytes>::new()).expect("request");
        let start = Instant::now();
        let Ok(resp) = sender.send_request(req).await else {
            unexpected += 1;
            break;
        };
        let status = resp.status().as_u16();
        let _ = resp.into_body().collect().await;
        latencies.push(start.elapsed().as_nanos() as u64);
        if status != target.expect {
            unexpected += 1;
        }
    }
    (latencies, unexpected)
}

/// Result of a [`run_checked`] load run.
#[derive(Debug, Clone, Default)]
pub struct CheckedReport {
    /// Requests completed (including failed ones).
    pub requests: usize,
    /// Requests that failed: transport error or a response the check refused.
    pub failed: usize,
    /// The first few failure descriptions.
    pub failures: Vec<String>,
    /// Distinct labels the check returned (e.g. the versions seen).
    pub labels: std::collections::BTreeSet<String>,
}

/// Sends GET `path` to `addr` on `connections` keep-alive connections until `stop` is set;
/// Judges one response: `Ok(label)` for a good one, `Err(description)` for a bad one.
pub type Check = dyn Fn(u16, &[u8]) -> Result<String, String> + Send + Sync;

/// `check(status, body)` returns a label for a good response or a description of a bad
/// one. A dropped connection is a failure and is reopened.
pub async fn run_checked(
    addr: String,
    path: String,
    connections: usize,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    check: std::sync::Arc<Check>,
) -> CheckedReport {
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (addr, path, stop, check) = (addr.clone(), path.clone(), stop.clone(), check.clone());
        tasks.push(tokio::spawn(async move {
            let mut report = CheckedReport::default();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                checked_connection(&addr, &path, &stop, &*check, &mut report).await;
            }
            report
        }));
    }
    let mut total = CheckedReport::default();
    for task in tasks {
        let r = task.await.expect("load task");
        total.requests += r.requests;
        total.failed += r.failed;
        total.failures.extend(r.failures.into_iter().take(5));
        total.labels.extend(r.labels);
    }
    total
}

async fn checked_connection(
    addr: &str,
    path: &str,
    stop: &std::sync::atomic::AtomicBool,
    check: &Check,
    report: &mut CheckedReport,
) {
    fn fail(report: &mut CheckedReport, what: String) {
        report.failed += 1;
        if report.failures.len() < 5 {
            report.failures.push(what);
        }
    }
    let stream = match tokio::net::TcpStream::connect(addr).await {
        Ok(stream) => stream,
        Err(e) => return fail(report, format!("connect: {e}")),
    };
    stream.set_nodelay(true).ok();
    let Ok((mut sender, conn)) = http1::handshake(TokioIo::new(stream)).await else {
        return fail(report, "handshake failed".into());
    };
    tokio::spawn(conn);
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let req = http::Request::get(path)
            .header("host", addr)
            .body(Empty::<Bytes>::new())
            .expect("request");
        report.requests += 1;
        let resp = match sender.send_request(req).await {
            Ok(resp) => resp,
            Err(e) => return fail(report, format!("send: {e}")),
        };
        let status = resp.status().as_u16();
        let body = match resp.into_body().collect().await {
            Ok(body) => body.to_bytes(),
            Err(e) => return fail(report, format!("body: {e}")),
        };
        match check(status, &body) {
            Ok(label) => {
                report.labels.insert(label);
            }
            Err(what) => fail(report, what),
        }
    }
}

mod mix;
pub use mix::{run_mix, MixOutcome, MixTarget};
