//! Request smuggling and header ambiguity, over raw TCP with exact bytes against a real
//! listening gateway (echo plugin: `x-test-user` authenticates) in front of a recording mock
//! upstream. Each case asserts the status(es) on the wire and what reached the upstream:
//! nothing, or the normalised request. docs/hardening.md has the table.

use std::time::Duration;

use mlauth_tests::gateway::TestGateway;
use mlauth_tests::upstream::{MockUpstream, Seen};
use mlauth_tests::wasm;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const LIMITS: &str = "max_body_bytes = 1024\nmax_header_bytes = 2048\n";

async fn start() -> (MockUpstream, TestGateway) {
    let upstream = MockUpstream::start().await;
    let gw = TestGateway::start(wasm::ECHO, &upstream.url, LIMITS)
        .await
        .unwrap();
    (upstream, gw)
}

/// Writes `request` as is and reads until the gateway closes the connection (every case
/// ends with a message after which the server closes).
async fn exchange(gw: &TestGateway, request: &[u8]) -> String {
    let addr = gw.url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    // The gateway may close before reading everything (a refused head): not an error.
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        let mut buf = [0u8; 8192];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    });
    read.await
        .expect("the gateway did not close the connection");
    String::from_utf8_lossy(&answer).into_owned()
}

/// The status of every response on the wire, in order.
fn statuses(answer: &str) -> Vec<u16> {
    let mut found = Vec::new();
    for (i, _) in answer.match_indices("HTTP/1.") {
        if i == 0 || answer[..i].ends_with('\n') {
            let code = answer.get(i + 9..i + 12).and_then(|c| c.parse().ok());
            found.push(code.unwrap_or(0));
        }
    }
    found
}

/// Sends `request`, asserts the statuses, and returns what the upstream received.
async fn case(
    (upstream, gw): &(MockUpstream, TestGateway),
    name: &str,
    request: &str,
    want: &[u16],
) -> Vec<Seen> {
    upstream.clear();
    let answer = exchange(gw, request.as_bytes()).await;
    assert_eq!(statuses(&answer), want, "{name}: {answer}");
    upstream.seen()
}

fn only_request(name: &str, seen: &[Seen], path: &str, body: &str) {
    assert_eq!(seen.len(), 1, "{name}: upstream saw {seen:?}");
    assert_eq!(seen[0].uri.path(), path, "{name}");
    assert_eq!(seen[0].body, body.as_bytes(), "{name}");
}

fn identity_values(seen: &Seen) -> Vec<(String, String)> {
    seen.headers
        .iter()
        .filter(|(n, _)| n.as_str().replace(['_', '.'], "-") == "x-mlauth-user")
        .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
        .collect()
}

/// The identity header as mlauth sets it for the echo plugin's `erin`.
fn erin_only() -> Vec<(String, String)> {
    vec![("x-mlauth-user".to_string(), "erin".to_string())]
}

const POST: &str = "POST /api/x HTTP/1.1\r\nHost: gw\r\nX-Test-User: erin\r\n";
const CHUNKED_HELLO: &str = "5\r\nhello\r\n0\r\n\r\n";

#[tokio::test(flavor = "multi_thread")]
async fn content_length_and_transfer_encoding_conflicts() {
    let env = start().await;
    // CL + TE: the chunked framing wins, the length is dropped, the connection is closed
    // after the answer, so the request after the chunked body is never read.
    let hidden = "GET /api/smuggled HTTP/1.1\r\nHost: gw\r\nX-Test-User: erin\r\n\r\n";
    for (name, framing) in [
        (
            "CL then TE",
            "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
        ),
        (
            "TE then CL",
            "Transfer-Encoding: chunked\r\nContent-Length: 40\r\n",
        ),
    ] {
        let req = format!("{POST}{framing}\r\n{CHUNKED_HELLO}{hidden}");
        let seen = case(&env, name, &req, &[200]).await;
        only_request(name, &seen, "/api/x", "hello");
        assert!(
            !seen[0].headers.contains_key("content-length")
                || seen[0].headers["content-length"] == "5"
        );
    }
    for (name, framing) in [
        (
            "two different CL",
            "Content-Length: 3\r\nContent-Length: 5\r\n",
        ),
        ("CL with junk", "Content-Length: 5x\r\n"),
        ("CL with sign", "Content-Length: +5\r\n"),
        ("CL list", "Content-Length: 5, 5\r\n"),
        ("CL negative", "Content-Length: -1\r\n"),
        (
            "TE chunked, identity",
            "Transfer-Encoding: chunked, identity\r\n",
        ),
        ("TE xchunked", "Transfer-Encoding: xchunked\r\n"),
        ("TE identity", "Transfer-Encoding: identity\r\n"),
        (
            "TE twice, last not chunked",
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
        ),
        ("TE space before colon", "Transfer-Encoding : chunked\r\n"),
        // Accepted by hyper (last coding chunked), refused by the gateway: the other coding
        // would reach the upstream undeclared once Transfer-Encoding is dropped.
        (
            "TE gzip, chunked",
            "Transfer-Encoding: gzip, chunked\r\nConnection: close\r\n",
        ),
        (
            "TE chunked, chunked",
            "Transfer-Encoding: chunked, chunked\r\nConnection: close\r\n",
        ),
        (
            "TE twice chunked",
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n",
        ),
    ] {
        let req = format!("{POST}{framing}\r\n{CHUNKED_HELLO}");
        assert!(case(&env, name, &req, &[400]).await.is_empty(), "{name}");
    }
    // Spellings that still say `chunked` are decoded as chunked and re-framed upstream.
    for (name, framing) in [
        ("TE leading space", "Transfer-Encoding:   chunked\r\n"),
        ("TE tab", "Transfer-Encoding:\tchunked\r\n"),
        ("TE upper case", "Transfer-Encoding: CHUNKED\r\n"),
    ] {
        let req = format!("{POST}{framing}Connection: close\r\n\r\n{CHUNKED_HELLO}");
        let seen = case(&env, name, &req, &[200]).await;
        only_request(name, &seen, "/api/x", "hello");
    }
    // HTTP/1.0 has no Transfer-Encoding.
    let req = format!("POST /api/x HTTP/1.0\r\nX-Test-User: erin\r\nTransfer-Encoding: chunked\r\n\r\n{CHUNKED_HELLO}");
    assert!(case(&env, "TE on HTTP/1.0", &req, &[400]).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn host_and_request_target_ambiguity() {
    let env = start().await;
    let req = "GET /api/x HTTP/1.1\r\nHost: gw\r\nHost: evil\r\nX-Test-User: erin\r\nConnection: close\r\n\r\n";
    assert!(case(&env, "duplicate Host", req, &[400]).await.is_empty());
    let req = "GET /api/x HTTP/1.1\r\nHost: gw\r\nHost: gw\r\nX-Test-User: erin\r\nConnection: close\r\n\r\n";
    assert!(case(&env, "repeated Host", req, &[400]).await.is_empty());
    let req = "GET http://evil.example/api/x HTTP/1.1\r\nHost: gw\r\nX-Test-User: erin\r\nConnection: close\r\n\r\n";
    assert!(case(&env, "absolute-form, other host", req, &[400])
        .await
        .is_empty());
    // Absolute-form naming the Host: reduced to origin-form, Host rewritten to the upstream.
    let req = "GET http://gw/api/x?q=1 HTTP/1.1\r\nHost: gw\r\nX-Test-User: erin\r\nConnection: close\r\n\r\n";
    let seen = case(&env, "absolute-form, same host", req, &[200]).await;
    only_request("absolute-form", &seen, "/api/x", "");
    assert_eq!(seen[0].uri.to_string(), "/api/x?q=1");
    let upstream_host = env.0.url.trim_start_matches("http://");
    assert_eq!(seen[0].headers["host"], upstream_host);
    assert_eq!(seen[0].headers["x-forwarded-host"], "gw");
    let req = "OPTIONS * HTTP/1.1\r\nHost: gw\r\nX-Test-User: erin\r\nConnection: close\r\n\r\n";
    assert!(case(&env, "asterisk-form", req, &[400]).await.is_empty());
    // CONNECT and TRACE are refused in every form, on public paths too (hyper's client
    // would turn `CONNECT /health` into `CONNECT <upstream>`: not the path decided on).
    for (name, req) in [
        ("authority-form", "CONNECT gw:80 HTTP/1.1\r\nHost: gw:80\r\nX-Test-User: erin\r\nConnection: close\r\n\r\n"),
        ("CONNECT, public path", "CONNECT /health HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n"),
        ("TRACE, public path", "TRACE /health HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n"),
        ("lower-case connect", "connect /health HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n"),
    ] {
        assert!(case(&env, name, req, &[405]).await.is_empty(), "{name}");
    }
    // A lower-case method is decided on and forwarded upper-cased (MLflow's werkzeug would
    // read `post` as POST, so a plugin testing for `POST` must see it as such).
    let req = "post /api/x HTTP/1.1\r\nHost: gw\r\nX-Test-User: erin\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let seen = case(&env, "lower-case method", req, &[200]).await;
    only_request("lower-case method", &seen, "/api/x", "");
    assert_eq!(seen[0].method, http::Method::POST);
}

#[tokio::test(flavor = "multi_thread")]
async fn identity_and_forwarding_headers_from_the_client_never_arrive() {
    let env = start().await;
    let spoofed = "X-Mlauth-User: admin\r\nx_mlauth_user: admin\r\nX-MLAUTH-USER: admin\r\n\
                   x.mlauth.user: admin\r\nX_Forwarded_For: 6.6.6.6\r\nx_forwarded_host: evil\r\n\
                   X-Request-Id: spoofed\r\nx_request_id: spoofed\r\n";
    let req = format!("GET /api/x HTTP/1.1\r\nHost: gw\r\nX-Test-User: erin\r\n{spoofed}Connection: close\r\n\r\n");
    let seen = case(&env, "identity spellings", &req, &[200]).await;
    only_request("identity spellings", &seen, "/api/x", "");
    let headers = &seen[0].headers;
    assert_eq!(identity_values(&seen[0]), erin_only());
    assert_eq!(headers["x-forwarded-for"], "127.0.0.1");
    assert!(!headers.contains_key("x_forwarded_for") && !headers.contains_key("x_forwarded_host"));
    assert_eq!(headers.get_all("x-request-id").iter().count(), 1);
    assert_ne!(headers["x-request-id"], "spoofed");
    assert!(!headers.contains_key("x_request_id"));
    // The plugin does not see them either (echo's 401 body lists the headers it got).
    upstream_clear_and_check_plugin_view(&env, spoofed).await;
    // Bare LF ends a header line: the "hidden" identity header is a header of its own and
    // is stripped like any other.
    let req = "GET /api/x HTTP/1.1\r\nHost: gw\r\nX-Test-User: erin\nX-Mlauth-User: admin\r\nConnection: close\r\n\r\n";
    let seen = case(&env, "bare LF", req, &[200]).await;
    assert_eq!(identity_values(&seen[0]), erin_only());
    for (name, req) in [
        (
            "obs-fold",
            "GET /api/x HTTP/1.1\r\nHost: gw\r\nX-Test-User: erin\r\n X-Mlauth-User: admin\r\n\r\n",
        ),
        (
            "obs-fold tab",
            "GET /api/x HTTP/1.1\r\nHost: gw\r\nX-Test-User: erin\r\n\tadmin\r\n\r\n",
        ),
        (
            "NUL in value",
            "GET /api/x HTTP/1.1\r\nHost: gw\r\nX-Test-User: erin\0admin\r\n\r\n",
        ),
        (
            "CR in value",
            "GET /api/x HTTP/1.1\r\nHost: gw\r\nX-Test-User: erin\rX-Mlauth-User: admin\r\n\r\n",
        ),
        (
            "space in name",
            "GET /api/x HTTP/1.1\r\nHost: gw\r\nX-Test-User: erin\r\nX-Mlauth User: admin\r\n\r\n",
        ),
    ] {
        assert!(case(&env, name, req, &[400]).await.is_empty(), "{name}");
    }
}

async fn upstream_clear_and_check_plugin_view(env: &(MockUpstream, TestGateway), spoofed: &str) {
    let req = format!("GET /api/x HTTP/1.1\r\nHost: gw\r\n{spoofed}Connection: close\r\n\r\n");
    env.0.clear();
    let answer = exchange(&env.1, req.as_bytes()).await;
    assert_eq!(statuses(&answer), [401], "{answer}");
    let body = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
    let json: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    for header in json["headers"].as_array().unwrap() {
        let name = header[0].as_str().unwrap().replace(['_', '.'], "-");
        assert!(
            ![
                "x-mlauth-user",
                "x-request-id",
                "x-forwarded-for",
                "x-forwarded-host"
            ]
            .contains(&name.as_str()),
            "the plugin saw {header}"
        );
    }
    assert!(env.0.seen().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_messages_and_pipelining() {
    let env = start().await;
    let filler = "b".repeat(4096);
    let req = format!("GET /api/x HTTP/1.1\r\nHost: gw\r\nX-Test-User: erin\r\nX-Filler: {filler}\r\nConnection: close\r\n\r\n");
    assert!(case(&env, "header over max_header_bytes", &req, &[431])
        .await
        .is_empty());
    let filler = "b".repeat(64 * 1024);
    let req = format!(
        "GET /api/x HTTP/1.1\r\nHost: gw\r\nX-Test-User: erin\r\nX-Filler: {filler}\r\n\r\n"
    );
    assert!(case(&env, "header over the read buffer", &req, &[431])
        .await
        .is_empty());
    // Declared too large: refused before the body is read (so none is sent here).
    let req = format!("{POST}Content-Length: 4096\r\nConnection: close\r\n\r\n");
    assert!(case(&env, "CL over max_body_bytes", &req, &[413])
        .await
        .is_empty());
    // Chunked, so the size is only known while streaming: cut off at the limit, and the
    // upstream never receives a complete request.
    let chunk = format!("200\r\n{}\r\n", "c".repeat(0x200));
    let req = format!(
        "{POST}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{}0\r\n\r\n",
        chunk.repeat(4)
    );
    assert!(case(&env, "chunked over max_body_bytes", &req, &[413])
        .await
        .is_empty());
    let req = format!(
        "{POST}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{}0\r\n\r\n",
        chunk.repeat(2)
    );
    let seen = case(&env, "chunked at max_body_bytes", &req, &[200]).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].body.len(), 1024);
    // HTTP/1.0 keep-alive: a request hidden in the first request's body stays body; the
    // second pipelined request is authenticated on its own (no credentials: 401).
    let hidden = "GET /api/hidden HTTP/1.0\r\nX-Mlauth-User: admin\r\n\r\n";
    let req = format!(
        "POST /api/x HTTP/1.0\r\nConnection: keep-alive\r\nX-Test-User: erin\r\nContent-Length: {}\r\n\r\n{hidden}\
         GET /api/second HTTP/1.0\r\nX-Mlauth-User: admin\r\n\r\n",
        hidden.len()
    );
    // hyper may also answer the first in HTTP/1.0 style and close: then the second request is
    // never read at all. Either way nothing hidden reaches the upstream as a request.
    env.0.clear();
    let answer = exchange(&env.1, req.as_bytes()).await;
    let wire = statuses(&answer);
    assert!(
        wire == [200] || wire == [200, 401],
        "HTTP/1.0 keep-alive pipelining: {answer}"
    );
    let seen = env.0.seen();
    only_request("HTTP/1.0 pipelining", &seen, "/api/x", hidden);
    assert_eq!(identity_values(&seen[0]), erin_only());
    // Without keep-alive the connection ends after the first answer: the rest is never read.
    let req = "POST /api/x HTTP/1.0\r\nX-Test-User: erin\r\nContent-Length: 0\r\n\r\n\
         GET /api/second HTTP/1.0\r\nX-Test-User: erin\r\n\r\n"
        .to_string();
    let seen = case(&env, "HTTP/1.0 without keep-alive", &req, &[200]).await;
    only_request("HTTP/1.0 close", &seen, "/api/x", "");
}
