//! Logged models and traces resolve to their experiment through MLflow's read API; admins
//! get creator grants too; a vetoed tier withholds references; an unreachable upstream
//! refuses instead of allowing.

use super::rules_support::{start, PASSWORD};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn logged_models_and_traces_resolve_to_their_experiment() {
    let env = start("NO_PERMISSIONS").await;
    let exp = env.experiment("alice", "lm").await;
    let model = env
        .ok(
            "alice",
            "POST",
            "/api/2.0/mlflow/logged-models",
            Some(json!({"experiment_id": exp, "name": "m"})),
        )
        .await;
    let model_id = model["model"]["info"]["model_id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/2.0/mlflow/logged-models/{model_id}");
    env.ok("alice", "GET", &path, None).await;
    assert_eq!(env.status("bob", "GET", &path, None).await, 403);
    assert_eq!(
        env.status(
            "bob",
            "GET",
            "/api/2.0/mlflow/logged-models/m-missing",
            None
        )
        .await,
        403
    );
    let trace = env
        .ok(
            "alice",
            "POST",
            "/api/2.0/mlflow/traces",
            Some(json!({"experiment_id": exp, "timestamp_ms": 1})),
        )
        .await;
    let request_id = trace["trace_info"]["request_id"]
        .as_str()
        .unwrap()
        .to_string();
    let info = format!("/api/2.0/mlflow/traces/{request_id}/info");
    env.ok("alice", "GET", &info, None).await;
    assert_eq!(env.status("bob", "GET", &info, None).await, 403);
    env.ok(
        "alice",
        "GET",
        &format!("/api/3.0/mlflow/traces/{request_id}"),
        None,
    )
    .await;
    // A metric aimed at a logged model in an experiment bob cannot write is refused.
    let own = env.experiment("bob", "bobs").await;
    let run = env.run("bob", &own).await;
    let metric = json!({"run_id": run, "key": "k", "value": 1.0, "timestamp": 1, "step": 0, "model_id": model_id});
    assert_eq!(
        env.status(
            "bob",
            "POST",
            "/api/2.0/mlflow/runs/log-metric",
            Some(metric)
        )
        .await,
        403
    );
    let metric = json!({"run_id": run, "key": "k", "value": 1.0, "timestamp": 1, "step": 0});
    env.ok(
        "bob",
        "POST",
        "/api/2.0/mlflow/runs/log-metric",
        Some(metric),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn admins_get_creator_grants_and_tier_vetoes_withhold_references() {
    let env = start("READ").await;
    let exp = env.experiment("admin", "admin-exp").await;
    let current = env
        .ok(
            "admin",
            "GET",
            "/api/3.0/mlflow/users/current/permissions",
            None,
        )
        .await;
    let grants = current["permissions"].as_array().unwrap();
    assert!(
        grants.iter().any(|g| g["resource_type"] == "experiment"
            && g["resource_pattern"] == json!(exp)
            && g["permission"] == "MANAGE"),
        "{current}"
    );
    let run = env.run("admin", &exp).await;
    let model = env
        .ok(
            "admin",
            "POST",
            "/api/2.0/mlflow/logged-models",
            Some(json!({"experiment_id": exp, "name": "m", "source_run_id": run})),
        )
        .await;
    let model_id = model["model"]["info"]["model_id"]
        .as_str()
        .unwrap()
        .to_string();
    let grant = json!({"username": "bob", "resource_type": "run", "resource_id": "*", "permission": "DENY"});
    env.ok(
        "admin",
        "POST",
        "/api/3.0/mlflow/users/permissions/grant",
        Some(grant),
    )
    .await;
    // The run tier is vetoed for bob: point reads are refused, searches drop the experiment,
    // and the logged model no longer names its source run.
    assert_eq!(
        env.status(
            "bob",
            "GET",
            &format!("/api/2.0/mlflow/runs/get?run_id={run}"),
            None
        )
        .await,
        403
    );
    let runs = env
        .ok(
            "bob",
            "POST",
            "/api/2.0/mlflow/runs/search",
            Some(json!({"experiment_ids": [exp]})),
        )
        .await;
    assert!(runs.get("runs").is_none(), "{runs}");
    let seen = env
        .ok(
            "bob",
            "GET",
            &format!("/api/2.0/mlflow/logged-models/{model_id}"),
            None,
        )
        .await;
    assert!(
        seen["model"]["info"].get("source_run_id").is_none(),
        "{seen}"
    );
    let admin_view = env
        .ok(
            "admin",
            "GET",
            &format!("/api/2.0/mlflow/logged-models/{model_id}"),
            None,
        )
        .await;
    assert_eq!(admin_view["model"]["info"]["source_run_id"], json!(run));
    // alice is not vetoed.
    env.ok(
        "alice",
        "GET",
        &format!("/api/2.0/mlflow/runs/get?run_id={run}"),
        None,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_upstream_refuses_instead_of_allowing() {
    let env = start("READ").await;
    let exp = env.experiment("alice", "e").await;
    let run = env.run("alice", &exp).await;
    let mut env = env;
    drop(env.mlflow.take());
    let resp = env
        .http
        .get(env.gw.at(&format!("/api/2.0/mlflow/runs/get?run_id={run}")))
        .basic_auth("bob", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 502);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error_code"], "TEMPORARILY_UNAVAILABLE");
}
