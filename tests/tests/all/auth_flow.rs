//! Allow, deny, identity headers, public paths and plugin routes through the real gateway.

use mlauth_tests::gateway::TestGateway;
use mlauth_tests::upstream::MockUpstream;
use mlauth_tests::wasm;

const TOKEN_CONFIG: &str =
    "[plugins.test-app.config]\ntoken = \"s3cret-token\"\nusername = \"alice\"\n";

async fn static_token() -> (MockUpstream, TestGateway) {
    let upstream = MockUpstream::start().await;
    let gw = TestGateway::start(wasm::STATIC_TOKEN, &upstream.url, TOKEN_CONFIG)
        .await
        .unwrap();
    (upstream, gw)
}

#[tokio::test(flavor = "multi_thread")]
async fn allowed_request_is_forwarded_as_the_plugins_user() {
    let (upstream, gw) = static_token().await;
    let resp = reqwest::Client::new()
        .get(gw.at("/api/2.0/mlflow/experiments/search?max_results=5"))
        .bearer_auth("s3cret-token")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("x-request-id"));
    let seen = upstream.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].uri.to_string(),
        "/api/2.0/mlflow/experiments/search?max_results=5"
    );
    assert_eq!(seen[0].headers["x-mlauth-user"], "alice");
    assert!(
        seen[0].headers.get("authorization").is_none(),
        "credentials must not reach the upstream"
    );
    assert_eq!(seen[0].headers["x-forwarded-for"], "127.0.0.1");
    assert_eq!(seen[0].headers["x-forwarded-proto"], "http");
    assert_eq!(
        seen[0].headers["x-request-id"],
        resp.headers()["x-request-id"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn denied_request_gets_the_plugins_response_and_never_reaches_upstream() {
    let (upstream, gw) = static_token().await;
    let client = reqwest::Client::new();
    for bad in [
        None,
        Some("Bearer wrong"),
        Some("Basic YWxpY2U6eA=="),
        Some("Bearer s3cret-tokenX"),
    ] {
        let mut req = client.get(gw.at("/api/2.0/mlflow/experiments/search"));
        if let Some(value) = bad {
            req = req.header("authorization", value);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 401, "{bad:?}");
        assert!(
            resp.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer"),
            "{bad:?}"
        );
    }
    assert!(upstream.seen().is_empty(), "{:?}", upstream.paths());
}

#[tokio::test(flavor = "multi_thread")]
async fn client_sent_identity_headers_are_stripped_in_every_spelling() {
    let (upstream, gw) = static_token().await;
    let client = reqwest::Client::new();
    let resp = client
        .get(gw.at("/api/2.0/mlflow/experiments/search"))
        .bearer_auth("s3cret-token")
        .header("X-MLAUTH-USER", "admin")
        .header("x_mlauth_user", "admin")
        .header("X-Forwarded-For", "10.0.0.1")
        .header("X-Request-Id", "client-chosen")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // A public path: the client's copy is removed and none is added.
    let resp = client
        .get(gw.at("/health"))
        .header("x-mlauth-user", "admin")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let seen = upstream.seen();
    assert_eq!(seen.len(), 2);
    let users: Vec<_> = seen[0].headers.get_all("x-mlauth-user").iter().collect();
    assert_eq!(users, ["alice"]);
    assert!(seen[0].headers.get("x_mlauth_user").is_none());
    assert_eq!(seen[0].headers["x-forwarded-for"], "127.0.0.1");
    assert_ne!(seen[0].headers["x-request-id"], "client-chosen");
    assert!(seen[1].headers.get("x-mlauth-user").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn public_paths_skip_the_plugin_and_lookalikes_do_not() {
    let upstream = MockUpstream::start().await;
    let extra = format!("public_prefixes = [\"/public\"]\n{TOKEN_CONFIG}");
    let gw = TestGateway::start(wasm::STATIC_TOKEN, &upstream.url, &extra)
        .await
        .unwrap();
    let client = reqwest::Client::new();
    for open in [
        "/health",
        "/favicon.ico",
        "/static-files/app.js",
        "/api/3.0/mlflow/server-info",
        "/public",
        "/public/a/b",
    ] {
        assert_eq!(
            client.get(gw.at(open)).send().await.unwrap().status(),
            200,
            "{open}"
        );
    }
    for closed in [
        "/healthz",
        "/publicity",
        "/static-filesX/a",
        "/api/2.0/mlflow/server-info",
        "/",
        "/version",
        "/PUBLIC/a",
    ] {
        assert_eq!(
            client.get(gw.at(closed)).send().await.unwrap().status(),
            401,
            "{closed}"
        );
    }
    assert_eq!(upstream.seen().len(), 6);
}
