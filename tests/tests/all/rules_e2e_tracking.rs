//! Experiments and runs with MLflow's Python client through the rules: with a `READ` default
//! a user reads another's experiment and runs but cannot change or delete them; the owner
//! (creator, hence `MANAGE`) shares by grant with `AuthServiceClient`, and the grant's level
//! decides what the other user may do.

use super::rules_support::{assert_lines, start};
use serde_json::json;

const READ_DEFAULT: &str = r#"
exp, run = os.environ["EXP"], os.environ["RUN"]
state = {"name": "alice-exp"}
def rename(tag):
    client.rename_experiment(exp, f"alice-exp-{tag}")
    state["name"] = f"alice-exp-{tag}"
def bob_round(tag):
    as_user("bob")
    attempt(f"{tag} get_experiment", lambda: client.get_experiment(exp))
    attempt(f"{tag} get_experiment_by_name", lambda: client.get_experiment_by_name(state["name"]))
    attempt(f"{tag} get_run", lambda: client.get_run(run))
    attempt(f"{tag} search_runs", lambda: client.search_runs([exp]))
    attempt(f"{tag} metric_history", lambda: client.get_metric_history(run, "m"))
    attempt(f"{tag} log_metric", lambda: client.log_metric(run, "m", 2.0))
    attempt(f"{tag} log_batch", lambda: client.log_batch(run, params=[mlflow.entities.Param("p2", "x")]))
    attempt(f"{tag} set_tag", lambda: client.set_tag(run, "t", "x"))
    attempt(f"{tag} create_run", lambda: client.create_run(exp))
    attempt(f"{tag} set_experiment_tag", lambda: client.set_experiment_tag(exp, "k", "v"))
    attempt(f"{tag} rename_experiment", lambda: rename(tag))
    attempt(f"{tag} delete_run", lambda: client.delete_run(run))
auth = get_app_client("basic-auth", tracking_uri=os.environ["GATEWAY"])
bob_round("read")
as_user("carol")
attempt("carol share", lambda: auth.grant_user_permission("bob", "experiment", exp, "MANAGE"))
as_user("alice")
attempt("alice share", lambda: auth.grant_user_permission("bob", "experiment", exp, "EDIT"))
as_user("bob")  # users/permissions/get: the user themself or an admin (reference §7)
print("shared", auth.get_user_permission("bob", "experiment", exp).permission)
bob_round("edit")
as_user("alice")
auth.revoke_user_permission("bob", "experiment", exp)
auth.grant_user_permission("bob", "experiment", exp, "MANAGE")
bob_round("manage")
as_user("alice")
auth.revoke_user_permission("bob", "experiment", exp)
as_user("bob")
attempt("revoked log_metric", lambda: client.log_metric(run, "m", 3.0))
attempt("revoked get_run", lambda: client.get_run(run))
"#;

#[tokio::test(flavor = "multi_thread")]
async fn read_default_reads_others_and_owners_share_by_grant() {
    let env = start("READ").await;
    let exp = env.experiment("alice", "alice-exp").await;
    let run = env.run("alice", &exp).await;
    let metric = json!({"run_id": run, "key": "m", "value": 1.0, "timestamp": 1, "step": 0});
    env.ok(
        "alice",
        "POST",
        "/api/2.0/mlflow/runs/log-metric",
        Some(metric),
    )
    .await;
    let out = env
        .python("alice", READ_DEFAULT, &[("EXP", &exp), ("RUN", &run)])
        .await;
    let denied = "PERMISSION_DENIED";
    let mut expected: Vec<String> = Vec::new();
    let mut expect =
        |tag: &str, op: &str, result: &str| expected.push(format!("{tag} {op} {result}"));
    let reads = [
        "get_experiment",
        "get_experiment_by_name",
        "get_run",
        "search_runs",
        "metric_history",
    ];
    let writes = [
        "log_metric",
        "log_batch",
        "set_tag",
        "create_run",
        "set_experiment_tag",
        "rename_experiment",
    ];
    for tag in ["read", "edit", "manage"] {
        for op in reads {
            expect(tag, op, "ok");
        }
    }
    for op in writes {
        expect("read", op, denied);
        expect("manage", op, "ok");
    }
    // EDIT updates but neither deletes nor manages the experiment.
    for op in [
        "log_metric",
        "log_batch",
        "set_tag",
        "create_run",
        "set_experiment_tag",
    ] {
        expect("edit", op, "ok");
    }
    expect("edit", "rename_experiment", "ok");
    expect("read", "delete_run", denied);
    expect("edit", "delete_run", denied);
    expect("manage", "delete_run", "ok");
    expect("carol", "share", denied);
    expect("alice", "share", "ok");
    expect("revoked", "log_metric", denied);
    // The revoked user falls back to the READ default.
    expect("revoked", "get_run", "ok");
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    assert_lines(&out, &expected);
    assert_lines(&out, &["shared EDIT"]);
}
