//! Fault injection: a broken upstream, slow or stalling clients, malformed plugin answers,
//! an auth database that is locked or unreachable, and an unusable database location at
//! start. Every case ends in a bounded time with an MLflow JSON error or a closed
//! connection, never a hang, and nothing reaches the upstream on an auth failure.

use std::time::Duration;

use mlauth_tests::faults::{Fault, FaultyUpstream};
use mlauth_tests::gateway::TestGateway;
use mlauth_tests::upstream::MockUpstream;
use mlauth_tests::wasm;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod database;
mod start;

/// Longest any single faulty exchange may take before the test calls it a hang.
const HANG: Duration = Duration::from_secs(20);

async fn bounded<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(HANG, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {HANG:?} (hang)"))
}

fn assert_mlflow_error(body: &str, code: &str) {
    let json: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    assert_eq!(json["error_code"], code, "{body}");
}

async fn echo_gateway(upstream: &str, server_toml: &str) -> TestGateway {
    TestGateway::start(wasm::ECHO, upstream, server_toml)
        .await
        .unwrap()
}

async fn get_as(gw: &TestGateway, user: &str) -> reqwest::Result<reqwest::Response> {
    reqwest::Client::new()
        .get(gw.at("/api/2.0/mlflow/experiments/search"))
        .header("x-test-user", user)
        .send()
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_slow_and_resetting_upstreams_get_bounded_502_and_504() {
    for (fault, status, code) in [
        (Fault::Silent, 504, "DEADLINE_EXCEEDED"),
        (
            Fault::Slow(Duration::from_secs(3)),
            504,
            "DEADLINE_EXCEEDED",
        ),
        (Fault::ResetBeforeResponse, 502, "TEMPORARILY_UNAVAILABLE"),
    ] {
        let upstream = FaultyUpstream::start(fault).await;
        let gw = echo_gateway(&upstream.url, "upstream_timeout_secs = 1\n").await;
        let resp = bounded(&format!("{fault:?}"), get_as(&gw, "erin"))
            .await
            .unwrap();
        assert_eq!(resp.status(), status, "{fault:?}");
        assert_mlflow_error(&resp.text().await.unwrap(), code);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upstream_failing_mid_response_cuts_the_client_off_and_service_continues() {
    for fault in [Fault::ResetMidBody, Fault::StallMidBody] {
        let upstream = FaultyUpstream::start(fault).await;
        let gw = echo_gateway(&upstream.url, "upstream_timeout_secs = 1\n").await;
        let resp = bounded("head", get_as(&gw, "erin")).await.unwrap();
        // The status was already sent; the truncated body must end in an error, not a hang
        // and not a silently short "complete" body.
        assert_eq!(resp.status(), 200, "{fault:?}");
        let body = bounded("body", resp.bytes()).await;
        assert!(body.is_err(), "{fault:?}: truncated body read as complete");
    }
    // The gateway itself is unaffected.
    let healthy = MockUpstream::start().await;
    let gw = echo_gateway(&healthy.url, "").await;
    assert_eq!(get_as(&gw, "erin").await.unwrap().status(), 200);
}

/// Sends `head` (and `body`) on a raw connection, then waits for the answer or the close.
async fn raw_exchange(gw: &TestGateway, head: &str, body: &[u8]) -> String {
    let mut stream = TcpStream::connect(gw.url.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut answer = Vec::new();
    let _ = bounded("raw exchange", stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_never_finishes_is_cut_off_with_408() {
    let upstream = MockUpstream::start().await;
    let extra = "body_read_timeout_secs = 1\nplugin_body_limit = 1024\n";
    let gw = echo_gateway(&upstream.url, extra).await;
    // Small body (buffered for the plugin) and large body (streamed upstream): both stall
    // after 10 bytes.
    for declared in [100, 100_000] {
        let head = format!(
            "POST /api/2.0/mlflow/runs/log-batch HTTP/1.1\r\nhost: x\r\nx-test-user: erin\r\n\
             content-type: application/json\r\ncontent-length: {declared}\r\n\r\n"
        );
        let answer = raw_exchange(&gw, &head, b"0123456789").await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{declared}: {answer}");
        assert!(
            answer.contains("\"error_code\": \"BAD_REQUEST\""),
            "{answer}"
        );
    }
    assert!(
        upstream.seen().is_empty(),
        "a partial body reached the upstream"
    );
    assert_eq!(get_as(&gw, "erin").await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn slowloris_headers_are_cut_off() {
    let upstream = MockUpstream::start().await;
    let gw = echo_gateway(&upstream.url, "header_read_timeout_secs = 1\n").await;
    let mut stream = TcpStream::connect(gw.url.trim_start_matches("http://"))
        .await
        .unwrap();
    stream
        .write_all(b"GET /api/2.0/mlflow/experiments/search HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let trickle = async {
        // One header line every 300 ms, never the blank line that ends the head.
        for i in 0..100 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if stream
                .write_all(format!("x-slow-{i}: y\r\n").as_bytes())
                .await
                .is_err()
            {
                return i;
            }
        }
        100
    };
    let lines = bounded("slowloris", trickle).await;
    assert!(lines < 100, "the gateway kept a trickling header open");
    assert!(upstream.seen().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_malformed_plugin_answer_is_refused_not_forwarded() {
    let upstream = MockUpstream::start().await;
    let gw = TestGateway::start(wasm::BAD_RESPONSE, &upstream.url, "")
        .await
        .unwrap();
    let client = reqwest::Client::new();
    // hostile.rs covers status 1000, bad header names/values, framing and the 50 MiB body;
    // these are the remaining modes of the fixture.
    for mode in [
        "status-low",
        "empty-username",
        "username-newline",
        "control-group",
    ] {
        let resp = client
            .get(gw.at("/api/x"))
            .header("x-mode", mode)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 500, "{mode}");
        assert!(resp.headers().get("x-injected").is_none(), "{mode}");
        assert_mlflow_error(&resp.text().await.unwrap(), "INTERNAL_ERROR");
    }
    assert!(upstream.seen().is_empty());
}
