//! Parameter-level bypass attempts (reference §5.1, §13): camelCase aliases, `run_uuid` for
//! `run_id`, a parameter given twice (query keys, snake and camel, query and body, path and
//! body), double-encoded and non-JSON bodies, missing ids and existence oracles. Each must be
//! judged on the resource MLflow would act on, or refused with 400 — never guessed.

use super::rules_support::{start, Env, MISSING_RUN};
use serde_json::{json, Value};

/// `bob`'s view: READ on `alice`'s experiment `e` (run `r`), DENY on her experiment `s`
/// (run `rs`), MANAGE on his own `own` (run `mine`).
struct Ids {
    e: String,
    r: String,
    s: String,
    rs: String,
    own: String,
    mine: String,
}

async fn setup(env: &Env) -> Ids {
    let e = env.experiment("alice", "e").await;
    let s = env.experiment("alice", "secret").await;
    let own = env.experiment("bob", "own").await;
    let ids = Ids {
        r: env.run("alice", &e).await,
        rs: env.run("alice", &s).await,
        mine: env.run("bob", &own).await,
        e,
        s,
        own,
    };
    env.grant("bob", "experiment", &ids.s, "DENY").await;
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn parameter_aliases_duplicates_and_missing_ids_never_bypass() {
    let env = start("READ").await;
    let Ids {
        e,
        r,
        s,
        rs,
        own,
        mine,
    } = setup(&env).await;
    let metric = |run_key: &str, run: &str| json!({run_key: run, "key": "m", "value": 1.0, "timestamp": 1, "step": 0});
    let log = "/api/2.0/mlflow/runs/log-metric";
    // Sanity: bob writes his own run, not alice's.
    env.expect("bob", "POST", log, metric("run_id", &mine), 200)
        .await;
    env.expect("bob", "POST", log, metric("run_id", &r), 403)
        .await;
    // camelCase aliases resolve to the same resource.
    env.expect("bob", "POST", log, metric("runId", &r), 403)
        .await;
    let create = "/api/2.0/mlflow/runs/create";
    env.expect("bob", "POST", create, json!({"experimentId": e}), 403)
        .await;
    let update = "/api/2.0/mlflow/experiments/update";
    env.expect(
        "bob",
        "POST",
        update,
        json!({"experimentId": e, "newName": "x"}),
        403,
    )
    .await;
    let batch = "/api/2.0/mlflow/runs/log-batch";
    env.expect(
        "bob",
        "POST",
        batch,
        json!({"runId": r, "params": [{"key": "k", "value": "v"}]}),
        403,
    )
    .await;
    // ... and both spellings at once are refused, whichever is the permitted one.
    let both = json!({"experiment_id": own, "experimentId": e});
    env.expect("bob", "POST", create, both, 400).await;
    let both = json!({"experimentId": own, "experiment_id": e});
    env.expect("bob", "POST", create, both, 400).await;
    // run_uuid stands for run_id; both with different values are refused.
    env.expect("bob", "POST", log, metric("run_uuid", &r), 403)
        .await;
    let get = |q: &str| format!("/api/2.0/mlflow/runs/get?{q}");
    env.expect(
        "bob",
        "GET",
        &get(&format!("run_uuid={rs}")),
        Value::Null,
        403,
    )
    .await;
    env.expect(
        "bob",
        "GET",
        &get(&format!("run_id={mine}&run_uuid={rs}")),
        Value::Null,
        400,
    )
    .await;
    env.expect(
        "bob",
        "GET",
        &get(&format!("run_uuid={mine}&run_id={rs}")),
        Value::Null,
        400,
    )
    .await;
    let tag = json!({"run_id": mine, "run_uuid": r, "key": "t", "value": "v"});
    env.expect("bob", "POST", "/api/2.0/mlflow/runs/set-tag", tag, 400)
        .await;
    let artifact = format!("/get-artifact?path=x&run_id={mine}&run_uuid={rs}");
    env.expect("bob", "GET", &artifact, Value::Null, 400).await;
    // A query key repeated with another value is refused; repeated with the same value is fine.
    let exp_get = |q: &str| format!("/api/2.0/mlflow/experiments/get?{q}");
    env.expect(
        "bob",
        "GET",
        &exp_get(&format!("experiment_id={e}&experiment_id={s}")),
        Value::Null,
        400,
    )
    .await;
    env.expect(
        "bob",
        "GET",
        &exp_get(&format!("experiment_id={s}&experiment_id={e}")),
        Value::Null,
        400,
    )
    .await;
    env.expect(
        "bob",
        "GET",
        &exp_get(&format!("experiment_id={e}&experiment_id={e}")),
        Value::Null,
        200,
    )
    .await;
    env.expect(
        "bob",
        "GET",
        &get(&format!("run_id={r}&run_id={rs}")),
        Value::Null,
        400,
    )
    .await;
    // Leading zeros name the same experiment (grants are keyed on the canonical id).
    env.expect(
        "bob",
        "GET",
        &exp_get(&format!("experiment_id=0{s}")),
        Value::Null,
        403,
    )
    .await;
    // DELETE reads the body and the query: they must agree.
    env.model("bob", "bobs-model", false).await;
    env.model("alice", "alices-model", false).await;
    let (status, _) = env
        .raw(
            "bob",
            "DELETE",
            "/api/2.0/mlflow/registered-models/delete?name=bobs-model",
            "application/json",
            json!({"name": "alices-model"}).to_string(),
        )
        .await;
    assert_eq!(status, 400);
    let delete_q = "/api/2.0/mlflow/registered-models/delete?name=alices-model";
    env.expect("bob", "DELETE", delete_q, Value::Null, 403)
        .await;
    // Double-encoded and non-JSON bodies are read as MLflow's handlers read them.
    let double = serde_json::to_string(&json!({"experiment_id": e}).to_string()).unwrap();
    let (status, _) = env
        .raw("bob", "POST", create, "application/json", double)
        .await;
    assert_eq!(status, 403);
    let plain = metric("run_id", &r).to_string();
    let (status, _) = env.raw("bob", "POST", log, "text/plain", plain).await;
    assert_eq!(status, 403);
    let (status, _) = env
        .raw(
            "bob",
            "POST",
            create,
            "application/json",
            "{not json".into(),
        )
        .await;
    assert_eq!(status, 400);
    // A path parameter repeated in the body must agree with it.
    let lm = "/api/2.0/mlflow/logged-models";
    let bobs = env
        .ok(
            "bob",
            "POST",
            lm,
            Some(json!({"experiment_id": own, "name": "b"})),
        )
        .await;
    let alices = env
        .ok(
            "alice",
            "POST",
            lm,
            Some(json!({"experiment_id": e, "name": "a"})),
        )
        .await;
    let (bobs, alices) = (
        bobs["model"]["info"]["model_id"]
            .as_str()
            .unwrap()
            .to_string(),
        alices["model"]["info"]["model_id"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    let finalize = format!("{lm}/{bobs}");
    let body = json!({"model_id": alices, "status": "LOGGED_MODEL_READY"});
    env.expect("bob", "PATCH", &finalize, body, 400).await;
    env.expect(
        "bob",
        "PATCH",
        &format!("{lm}/{alices}"),
        json!({"status": "LOGGED_MODEL_READY"}),
        403,
    )
    .await;
    // Missing ids: 400 when absent, 403 when naming nothing (no existence oracle for
    // non-admins; the admin sees MLflow's 404).
    env.expect("bob", "GET", "/api/2.0/mlflow/runs/get", Value::Null, 400)
        .await;
    env.expect("bob", "POST", create, json!({}), 400).await;
    env.expect(
        "bob",
        "POST",
        log,
        json!({"key": "m", "value": 1.0, "timestamp": 1}),
        400,
    )
    .await;
    env.expect("bob", "GET", &get("run_id="), Value::Null, 403)
        .await;
    env.expect(
        "bob",
        "GET",
        &get(&format!("run_id={MISSING_RUN}")),
        Value::Null,
        403,
    )
    .await;
    env.expect(
        "admin",
        "GET",
        &get(&format!("run_id={MISSING_RUN}")),
        Value::Null,
        404,
    )
    .await;
    env.expect("bob", "POST", log, metric("run_id", MISSING_RUN), 403)
        .await;
    env.expect(
        "bob",
        "GET",
        &format!("{lm}/m-0123456789abcdef0123456789abcdef"),
        Value::Null,
        403,
    )
    .await;
    let missing_exp = json!({"experiment_id": "987654", "new_name": "x"});
    env.expect("bob", "POST", update, missing_exp, 403).await;
    // A metric aimed at a logged model bob may not update is refused even on his own run.
    let mut aimed = metric("run_id", &mine);
    aimed["model_id"] = json!(alices);
    env.expect("bob", "POST", log, aimed, 403).await;
    // SearchRuns keeps only readable experiments, whichever spelling carries them.
    let search = "/api/2.0/mlflow/runs/search";
    for key in ["experiment_ids", "experimentIds"] {
        let found = env
            .ok("bob", "POST", search, Some(json!({key: [e, s]})))
            .await;
        let runs: Vec<&str> = found["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|run| run["info"]["run_id"].as_str().unwrap())
            .collect();
        assert_eq!(runs, [r.as_str()], "{key}");
    }
}
