//! Path tricks: none of these variants reaches the upstream unauthenticated except as a
//! genuinely public path, and the path forwarded is exactly the one that was decided on.

use mlauth_tests::gateway::TestGateway;
use mlauth_tests::upstream::MockUpstream;
use mlauth_tests::wasm;

/// (raw path, expected status without credentials)
const VARIANTS: [(&str, u16); 28] = [
    ("/public/../api/2.0/mlflow/experiments/search", 401),
    ("/public/./../api/2.0/mlflow/experiments/search", 401),
    ("//public/../api/2.0/mlflow/users/create", 401),
    ("/public//../api/2.0/mlflow/users/create", 401),
    ("/public/%2e%2e/api/2.0/mlflow/experiments/search", 400),
    ("/public/%2E%2E/api/2.0/mlflow/experiments/search", 400),
    ("/public/.%2e/api/2.0/mlflow/experiments/search", 400),
    ("/public%2F..%2Fapi/2.0/mlflow/experiments/search", 400),
    ("/public%2f..%2fapi/2.0/mlflow/experiments/search", 400),
    ("/public/..%2Fapi/2.0/mlflow/experiments/search", 400),
    ("/public/%5c..%5capi/2.0/mlflow/experiments/search", 400),
    ("/public;/../api/2.0/mlflow/experiments/search", 401),
    ("/PUBLIC/../api/2.0/mlflow/experiments/search", 401),
    ("/Public/x", 401),
    ("/health/../api/2.0/mlflow/experiments/search", 401),
    ("/static-files/../api/2.0/mlflow/experiments/search", 401),
    (
        "/static-files/%2e%2e/api/2.0/mlflow/experiments/search",
        400,
    ),
    ("/api/2.0/mlflow/experiments/search%00", 400),
    ("/api/2.0/mlflow/experiments/search%0d%0aX-Evil:%201", 400),
    ("/%2e%2e/api/2.0/mlflow/experiments/search", 400),
    ("/..", 400),
    ("/public/../../api", 400),
    ("/api/2.0/mlflow/experiments/search/.", 401),
    ("/./api/2.0/mlflow/experiments/search", 401),
    ("/api/2.0/mlflow/%65xperiments/search", 401),
    ("/healthz", 401),
    ("/public/%252e%252e/api/2.0/mlflow/experiments/search", 200),
    ("/public/..;/api/2.0/mlflow/experiments/search", 200),
];

#[tokio::test(flavor = "multi_thread")]
async fn no_path_variant_reaches_a_protected_upstream_route_unauthenticated() {
    let upstream = MockUpstream::start().await;
    let extra = "public_prefixes = [\"/public\"]\n[plugins.test-app.config]\ntoken = \"t0ken\"\n";
    let gw = TestGateway::start(wasm::STATIC_TOKEN, &upstream.url, extra)
        .await
        .unwrap();
    let client = hyper_client();
    for (raw, want) in VARIANTS {
        upstream.clear();
        let status = raw_get(&client, &gw, raw).await;
        assert_eq!(status, want, "{raw}");
        for seen in upstream.seen() {
            let path = seen.uri.path().to_string();
            assert!(
                path.starts_with("/public/"),
                "{raw} reached the upstream as {path} without credentials"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_upstream_receives_exactly_the_normalised_path() {
    let upstream = MockUpstream::start().await;
    let gw = TestGateway::start(
        wasm::STATIC_TOKEN,
        &upstream.url,
        "[plugins.test-app.config]\ntoken = \"t0ken\"\n",
    )
    .await
    .unwrap();
    let client = hyper_client();
    let cases = [
        (
            "/public/../api/2.0/mlflow/runs/get?run_id=1",
            "/api/2.0/mlflow/runs/get?run_id=1",
        ),
        ("//api//2.0/mlflow/runs/get", "/api/2.0/mlflow/runs/get"),
        (
            "/api/2.0/mlflow-artifacts/artifacts/0/a%20b.txt",
            "/api/2.0/mlflow-artifacts/artifacts/0/a%20b.txt",
        ),
        (
            "/api/2.0/mlflow/%65xperiments/get",
            "/api/2.0/mlflow/experiments/get",
        ),
    ];
    for (raw, forwarded) in cases {
        upstream.clear();
        let status = raw_get_with(&client, &gw, raw, Some("Bearer t0ken")).await;
        assert_eq!(status, 200, "{raw}");
        assert_eq!(upstream.paths(), [forwarded], "{raw}");
    }
}

type HyperClient = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    http_body_util::Empty<bytes::Bytes>,
>;

fn hyper_client() -> HyperClient {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http()
}

async fn raw_get(client: &HyperClient, gw: &TestGateway, raw: &str) -> u16 {
    raw_get_with(client, gw, raw, None).await
}

/// Sends `raw` byte-for-byte as the request target (reqwest would normalise it first).
async fn raw_get_with(
    client: &HyperClient,
    gw: &TestGateway,
    raw: &str,
    auth: Option<&str>,
) -> u16 {
    let uri: http::Uri = format!("{}{}", gw.url, raw)
        .parse()
        .unwrap_or_else(|e| panic!("{raw}: {e}"));
    let mut req = http::Request::get(uri);
    if let Some(auth) = auth {
        req = req.header("authorization", auth);
    }
    let resp = client
        .request(req.body(http_body_util::Empty::new()).unwrap())
        .await
        .unwrap();
    resp.status().as_u16()
}
