//! `[plugins.<app>] request_headers`: a plugin is shown only the named request headers,
//! through the real gateway with the echo fixture (whose 401 body lists the headers it saw).
//! What is forwarded upstream does not change.

use mlauth_tests::gateway::TestGateway;
use mlauth_tests::upstream::MockUpstream;
use mlauth_tests::wasm;
use serde_json::Value;

async fn echo_gateway(upstream: &MockUpstream, plugin_section: &str) -> TestGateway {
    TestGateway::start(wasm::ECHO, &upstream.url, plugin_section)
        .await
        .unwrap()
}

/// Sends a request with a session cookie, an API key, `x-keep` and, when given, the echo's
/// `x-test-user`; returns the status and the response body.
async fn call(gw: &TestGateway, user: Option<&str>) -> (u16, String) {
    let mut req = reqwest::Client::new()
        .get(gw.at("/api/2.0/mlflow/experiments/search"))
        .header("cookie", "session=secret-session")
        .header("x-api-key", "secret-key")
        .header("x-keep", "1");
    if let Some(user) = user {
        req = req.header("x-test-user", user);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// The header names the echo plugin saw, from its 401 body.
fn seen_by_plugin(body: &str) -> Vec<String> {
    let json: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    json["headers"]
        .as_array()
        .expect("headers list")
        .iter()
        .map(|pair| pair[0].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn by_default_the_plugin_sees_every_kept_header() {
    let upstream = MockUpstream::start().await;
    let gw = echo_gateway(&upstream, "").await;
    let (status, body) = call(&gw, None).await;
    assert_eq!(status, 401);
    let seen = seen_by_plugin(&body);
    for name in ["cookie", "x-api-key", "x-keep"] {
        assert!(seen.iter().any(|s| s == name), "{name} missing in {seen:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_list_the_plugin_sees_only_those_headers_and_forwarding_is_unchanged() {
    let upstream = MockUpstream::start().await;
    let section = "[plugins.test-app]\nrequest_headers = [\"X-Keep\", \"x-test-user\"]\n";
    let gw = echo_gateway(&upstream, section).await;

    let (status, body) = call(&gw, None).await;
    assert_eq!(status, 401);
    assert_eq!(seen_by_plugin(&body), ["x-keep"]);
    assert!(
        !body.contains("secret"),
        "a hidden value reached the plugin: {body}"
    );
    assert!(
        upstream.seen().is_empty(),
        "a refused request was forwarded"
    );

    let (status, _) = call(&gw, Some("alice")).await;
    assert_eq!(status, 200);
    let seen = upstream.seen();
    assert_eq!(seen.len(), 1);
    let forwarded = &seen[0].headers;
    assert_eq!(forwarded["x-mlauth-user"], "alice");
    assert_eq!(forwarded["cookie"], "session=secret-session");
    assert_eq!(forwarded["x-api-key"], "secret-key");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_header_left_off_the_list_cannot_authenticate() {
    let upstream = MockUpstream::start().await;
    let gw = echo_gateway(
        &upstream,
        "[plugins.test-app]\nrequest_headers = [\"x-keep\"]\n",
    )
    .await;
    // The echo plugin lets `x-test-user` through, but it never sees that header here.
    let (status, body) = call(&gw, Some("alice")).await;
    assert_eq!(status, 401);
    assert_eq!(seen_by_plugin(&body), ["x-keep"]);
    assert!(upstream.seen().is_empty());
    let none = echo_gateway(&upstream, "[plugins.test-app]\nrequest_headers = []\n").await;
    let (status, body) = call(&none, Some("alice")).await;
    assert_eq!(status, 401);
    assert!(seen_by_plugin(&body).is_empty(), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_header_name_is_refused_before_anything_listens() {
    let upstream = MockUpstream::start().await;
    let section = "[plugins.test-app]\nrequest_headers = [\"x keep\"]\n";
    let err = TestGateway::start(wasm::ECHO, &upstream.url, section)
        .await
        .err()
        .expect("an invalid header name must not start a gateway")
        .to_string();
    assert!(err.contains("\"x keep\" is not a header name"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_conformance_kit_judges_the_plugin_with_the_listed_headers_only() {
    use mlauth::conformance::{self, KitOptions};
    use mlauth::plugin::RequestHeaders;
    const KEY: &str = "k3y-for-the-header-list";
    let kit = |shown: &[&str]| {
        let mut options = KitOptions::new(wasm::API_KEY)
            .setting("api_key", KEY)
            .good_header(&format!("X-API-Key: {KEY}"))
            .unwrap();
        options.request_headers = RequestHeaders::only(shown).unwrap();
        options
    };
    let report = conformance::run(&kit(&["x-api-key"])).await.unwrap();
    assert!(report.passed(), "{}", report.table());
    // Listing only `authorization` hides the key: good credentials are then refused.
    let report = conformance::run(&kit(&["authorization"])).await.unwrap();
    let good = report.check("good-credentials").unwrap();
    assert!(!good.passed(), "{}", report.table());
    assert!(report.check("no-credentials").unwrap().passed());
}
