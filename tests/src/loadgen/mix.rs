//! Mixed load: any method and body per request, several targets cycled per connection, and
//! per-target outcomes (used by the soak tool).

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;

/// One request of a mixed load: any method and body, and the statuses that count as
/// expected (anything else, or a connection error, is an error).
#[derive(Debug, Clone)]
pub struct MixTarget {
    /// Label for the report.
    pub name: String,
    /// Method.
    pub method: http::Method,
    /// Path and query.
    pub path: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body (empty for none).
    pub body: Bytes,
    /// Expected statuses.
    pub expect: Vec<u16>,
}

/// Per-target outcome of [`run_mix`].
#[derive(Debug, Clone, Default)]
pub struct MixOutcome {
    /// Latency of every answered request, ns.
    pub latencies_ns: Vec<u64>,
    /// Count per answered status.
    pub statuses: std::collections::BTreeMap<u16, usize>,
    /// Unexpected statuses plus connection errors.
    pub errors: usize,
}

/// Closed-loop mixed load: `connections` keep-alive connections to `addr`, each cycling
/// through `targets` (every connection starts at a different offset) until `deadline`.
/// A failed connection is counted as an error and reopened. Returns one outcome per target.
pub async fn run_mix(
    addr: String,
    targets: Vec<MixTarget>,
    connections: usize,
    deadline: Instant,
) -> Vec<MixOutcome> {
    let targets = std::sync::Arc::new(targets);
    let tasks: Vec<_> = (0..connections)
        .map(|offset| {
            let (addr, targets) = (addr.clone(), targets.clone());
            tokio::spawn(async move { mix_loop(&addr, &targets, offset, deadline).await })
        })
        .collect();
    let mut total = vec![MixOutcome::default(); targets.len()];
    for task in tasks {
        for (sum, part) in total.iter_mut().zip(task.await.expect("load task")) {
            sum.latencies_ns.extend(part.latencies_ns);
            for (status, n) in part.statuses {
                *sum.statuses.entry(status).or_default() += n;
            }
            sum.errors += part.errors;
        }
    }
    total
}

type Sender = http1::SendRequest<http_body_util::Full<Bytes>>;

async fn connect(addr: &str) -> Option<Sender> {
    let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    stream.set_nodelay(true).ok();
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await.ok()?;
    tokio::spawn(conn);
    Some(sender)
}

async fn mix_loop(
    addr: &str,
    targets: &[MixTarget],
    offset: usize,
    deadline: Instant,
) -> Vec<MixOutcome> {
    let mut out = vec![MixOutcome::default(); targets.len()];
    let mut sender: Option<Sender> = None;
    let mut i = offset;
    while Instant::now() < deadline {
        let index = i % targets.len();
        i += 1;
        let target = &targets[index];
        if sender.as_ref().is_none_or(|s| s.is_closed()) {
            sender = connect(addr).await;
        }
        let Some(s) = sender.as_mut() else {
            out[index].errors += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let mut req = http::Request::builder()
            .method(target.method.clone())
            .uri(&target.path)
            .header("host", addr);
        for (k, v) in &target.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let req = req
            .body(http_body_util::Full::new(target.body.clone()))
            .expect("request");
        let start = Instant::now();
        let answered = match s.send_request(req).await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                resp.into_body().collect().await.ok().map(|_| status)
            }
            Err(_) => None,
        };
        let outcome = &mut out[index];
        match answered {
            Some(status) => {
                outcome.latencies_ns.push(start.elapsed().as_nanos() as u64);
                *outcome.statuses.entry(status).or_default() += 1;
                if !target.expect.contains(&status) {
                    outcome.errors += 1;
                }
            }
            None => {
                outcome.errors += 1;
                sender = None;
            }
        }
    }
    out
}
