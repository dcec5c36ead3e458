//! Request limits and upstream failures answer with MLflow JSON errors.

use mlauth_tests::gateway::TestGateway;
use mlauth_tests::upstream::MockUpstream;
use mlauth_tests::wasm;

#[tokio::test(flavor = "multi_thread")]
async fn oversized_body_and_headers_are_refused_before_the_plugin() {
    let upstream = MockUpstream::start().await;
    let extra = "max_body_bytes = 1024\nmax_header_bytes = 2048\n";
    let gw = TestGateway::start(wasm::ECHO, &upstream.url, extra)
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let big_body = client
        .post(gw.at("/api/x"))
        .header("x-test-user", "erin")
        .body(vec![b'a'; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(big_body.status(), 413);
    let text = big_body.text().await.unwrap();
    assert!(text.contains("\"error_code\": \"BAD_REQUEST\""), "{text}");
    let big_header = client
        .get(gw.at("/api/x"))
        .header("x-test-user", "erin")
        .header("x-filler", "b".repeat(4096))
        .send()
        .await
        .unwrap();
    assert_eq!(big_header.status(), 431);
    assert!(upstream.seen().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn conflicting_content_lengths_are_refused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let upstream = MockUpstream::start().await;
    let gw = TestGateway::start(wasm::ECHO, &upstream.url, "")
        .await
        .unwrap();
    let mut stream = tokio::net::TcpStream::connect(gw.url.trim_start_matches("http://"))
        .await
        .unwrap();
    let request = "POST /api/x HTTP/1.1\r\nhost: x\r\nx-test-user: erin\r\ncontent-length: 3\r\ncontent-length: 5\r\n\r\nabcde";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = vec![0; 1024];
    let n = stream.read(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(upstream.seen().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_upstream_is_a_502_mlflow_error() {
    let port = mlauth_tests::mlflow::free_port();
    let gw = TestGateway::start(wasm::ECHO, &format!("http://127.0.0.1:{port}"), "")
        .await
        .unwrap();
    let resp = reqwest::Client::new()
        .get(gw.at("/api/x"))
        .header("x-test-user", "erin")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 502);
    let json: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(json["error_code"], "TEMPORARILY_UNAVAILABLE");
}
