//! Path-level bypass attempts (reference §13, gateway-hardening §9 items 7–12): static-prefix
//! tricks, encoded dot segments, case variants of paths and of resource names, `/ajax-api`
//! twins and unmapped routes. The request is decided on the normalised path MLflow will
//! serve, or refused.

use super::rules_support::start;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn static_prefixes_case_variants_and_twins_never_bypass() {
    let env = start("READ").await;
    let secret = env.experiment("alice", "Secret").await;
    let run = env.run("alice", &secret).await;
    env.grant("bob", "experiment", &secret, "DENY").await;
    env.model("alice", "Secret", false).await;
    env.grant("bob", "registered_model", "Secret", "DENY").await;
    let exp_get = format!("/api/2.0/mlflow/experiments/get?experiment_id={secret}");
    let run_get = format!("/api/2.0/mlflow/runs/get?run_id={run}");
    assert_eq!(env.raw_target("bob", "GET", &exp_get).await, 403);
    assert_eq!(env.raw_target("alice", "GET", &exp_get).await, 200);
    // Static-prefix tricks: the public prefix is decided after normalisation.
    for target in [
        format!("/static/..{exp_get}"),
        format!("/static-files/..{run_get}"),
        format!("/health/..{exp_get}"),
        format!("/static/./..{run_get}"),
        format!("/ajax-api/3.0/mlflow/server-info/../../../..{exp_get}"),
    ] {
        assert_eq!(env.raw_target("bob", "GET", &target).await, 403, "{target}");
        assert_eq!(env.raw_target("", "GET", &target).await, 401, "{target}");
        assert_eq!(
            env.raw_target("alice", "GET", &target).await,
            200,
            "{target}"
        );
    }
    // Encoded or ambiguous forms, and dot segments climbing above the root, are refused
    // outright (400, before authentication; nothing reaches the upstream).
    let rest = exp_get.trim_start_matches('/');
    for target in [
        format!("/static/../..{exp_get}"),
        format!("/static/%2e%2e/{rest}"),
        format!("/static/%2E%2E/{rest}"),
        format!("/static/..%2f{rest}"),
        format!("/static/.%2e/{rest}"),
        format!("/static%2f..%2f{rest}"),
        format!("/static/..\\{rest}"),
    ] {
        assert_eq!(env.raw_target("bob", "GET", &target).await, 400, "{target}");
    }
    // Case variants of the path: unmapped, hence refused for users (MLflow would 404).
    for target in [
        exp_get.replacen("/api/", "/API/", 1),
        exp_get.replacen("/mlflow/", "/MLflow/", 1),
        exp_get.replacen("experiments/get", "Experiments/Get", 1),
        exp_get.replacen("/api/", "/Ajax-Api/", 1),
    ] {
        assert_eq!(env.raw_target("bob", "GET", &target).await, 403, "{target}");
        assert_eq!(
            env.raw_target("alice", "GET", &target).await,
            403,
            "{target}"
        );
        assert_eq!(
            env.raw_target("admin", "GET", &target).await,
            404,
            "{target}"
        );
    }
    // Case variants of names never reach the denied resource.
    for name in ["SECRET", "secret", "Secret ", "sEcReT"] {
        let by_name = format!(
            "/api/2.0/mlflow/experiments/get-by-name?experiment_name={}",
            name.replace(' ', "%20")
        );
        let (status, body) = env.call("bob", "GET", &by_name, None).await;
        assert!(status == 403 || status == 404, "{name}: {status} {body}");
        let model = format!(
            "/api/2.0/mlflow/registered-models/get?name={}",
            name.replace(' ', "%20")
        );
        let (status, body) = env.call("bob", "GET", &model, None).await;
        assert!(status == 403 || status == 404, "{name}: {status} {body}");
    }
    let by_name = "/api/2.0/mlflow/experiments/get-by-name?experiment_name=Secret";
    assert_eq!(env.status("bob", "GET", by_name, None).await, 403);
    assert_eq!(env.status("carol", "GET", by_name, None).await, 200);
    let model = "/api/2.0/mlflow/registered-models/get?name=Secret";
    assert_eq!(env.status("bob", "GET", model, None).await, 403);
    assert_eq!(env.status("carol", "GET", model, None).await, 200);
    // Registry searches never list the denied model, whatever the filter's case.
    for filter in [
        "name%20%3D%20%27Secret%27",
        "name%20ILIKE%20%27secret%27",
        "",
    ] {
        let search = format!("/api/2.0/mlflow/registered-models/search?filter={filter}");
        let found = env.ok("bob", "GET", &search, None).await;
        assert!(
            found.get("registered_models").is_none(),
            "{filter}: {found}"
        );
    }
    // The /ajax-api twins are judged exactly like /api.
    for prefix in ["/api/2.0", "/ajax-api/2.0"] {
        let get = format!("{prefix}/mlflow/experiments/get?experiment_id={secret}");
        assert_eq!(env.status("bob", "GET", &get, None).await, 403, "{get}");
        assert_eq!(env.status("carol", "GET", &get, None).await, 200, "{get}");
        let log = format!("{prefix}/mlflow/runs/log-metric");
        let metric = json!({"run_id": run, "key": "m", "value": 1.0, "timestamp": 1, "step": 0});
        assert_eq!(
            env.status("carol", "POST", &log, Some(metric.clone()))
                .await,
            403,
            "{log}"
        );
        assert_eq!(
            env.status("alice", "POST", &log, Some(metric)).await,
            200,
            "{log}"
        );
    }
    let v3 = format!("/ajax-api/3.0/mlflow/runs/get?run_id={run}");
    assert_eq!(env.status("bob", "GET", &v3, None).await, 403);
    // Unmapped routes, GraphQL and admin-only families are refused for users; admins pass
    // to MLflow (which answers 404 for the unknown route).
    for (method, path) in [
        ("GET", "/api/2.0/mlflow/no-such-route"),
        ("GET", "/api/2.0/mlflow/webhooks"),
        ("POST", "/graphql"),
        ("GET", "/api/2.0/mlflow/experiments/get/extra"),
        ("PUT", "/api/2.0/mlflow/experiments/get"),
    ] {
        assert_eq!(
            env.status("bob", method, path, None).await,
            403,
            "{method} {path}"
        );
    }
    assert_eq!(
        env.status("admin", "GET", "/api/2.0/mlflow/no-such-route", None)
            .await,
        404
    );
    env.ok("admin", "GET", "/api/2.0/mlflow/webhooks", None)
        .await;
}

/// Workspace endpoints with workspaces off, as MLflow 3.17.2 answers them (checked against
/// `mlflow server --app-name basic-auth`): a non-admin gets `403 Permission denied` for one
/// workspace (MLflow finds no validator for the path and fails closed) but reaches the
/// server's own 503 for the list; the admin reaches the 503 for both.
#[tokio::test(flavor = "multi_thread")]
async fn workspace_endpoints_without_workspaces_answer_like_mlflow() {
    let env = start("READ").await;
    let one = "/api/3.0/mlflow/workspaces/default";
    let list = "/api/3.0/mlflow/workspaces";
    let (status, body) = env.call("bob", "GET", one, None).await;
    assert_eq!((status, body.as_str()), (403, Some("Permission denied")));
    for (user, path) in [("bob", list), ("admin", one), ("admin", list)] {
        let (status, body) = env.call(user, "GET", path, None).await;
        assert_eq!(status, 503, "{user} {path}: {body}");
        assert!(
            body.to_string().contains("without workspaces support"),
            "{body}"
        );
    }
}
