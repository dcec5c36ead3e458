//! Search scoping and point checks under the three shapes of a caller's experiment scope:
//! `DENY` on one experiment under a `READ` default (hidden from search, its runs blocked),
//! a `NO_PERMISSIONS` default (only what was granted or created, `IN (...)`), a wildcard
//! grant with one denial (`NOT IN (...)`), and nothing at all (the empty contradiction).

use super::rules_support::{assert_lines, start, Env};
use serde_json::{json, Value};

const DENIED_EXPERIMENT: &str = r#"
hidden, shown = os.environ["HIDDEN"], os.environ["SHOWN"]
hidden_run, shown_run = os.environ["HIDDEN_RUN"], os.environ["SHOWN_RUN"]
for user in ["bob", "carol"]:
    as_user(user)
    names = sorted(e.name for e in client.search_experiments(max_results=100))
    print(user, "search", ",".join(names))
    filtered = client.search_experiments(filter_string="name = 'hidden'")
    print(user, "filtered", len(filtered))
    runs = client.search_runs([hidden, shown])
    print(user, "runs", ",".join(sorted(r.info.run_id for r in runs)))
    attempt(f"{user} get_experiment", lambda: client.get_experiment(hidden))
    attempt(f"{user} get_by_name", lambda: client.get_experiment_by_name("hidden"))
    attempt(f"{user} get_run", lambda: client.get_run(hidden_run))
    attempt(f"{user} list_artifacts", lambda: client.list_artifacts(hidden_run))
    attempt(f"{user} create_run", lambda: client.create_run(hidden))
    attempt(f"{user} shown_run", lambda: client.get_run(shown_run))
"#;

#[tokio::test(flavor = "multi_thread")]
async fn deny_on_one_experiment_hides_it_and_blocks_its_runs() {
    let env = start("READ").await;
    let hidden = env.experiment("alice", "hidden").await;
    let shown = env.experiment("alice", "shown").await;
    let hidden_run = env.run("alice", &hidden).await;
    let shown_run = env.run("alice", &shown).await;
    env.grant("bob", "experiment", &hidden, "DENY").await;
    let vars = [
        ("HIDDEN", hidden.as_str()),
        ("SHOWN", shown.as_str()),
        ("HIDDEN_RUN", hidden_run.as_str()),
        ("SHOWN_RUN", shown_run.as_str()),
    ];
    let out = env.python("bob", DENIED_EXPERIMENT, &vars).await;
    let denied = "PERMISSION_DENIED";
    assert_lines(
        &out,
        &[
            "bob search Default,shown",
            "carol search Default,hidden,shown",
            "bob filtered 0",
            "carol filtered 1",
            &format!("bob runs {shown_run}"),
            &format!("carol runs {}", sorted_pair(&hidden_run, &shown_run)),
            &format!("bob get_experiment {denied}"),
            &format!("bob get_by_name {denied}"),
            &format!("bob get_run {denied}"),
            &format!("bob list_artifacts {denied}"),
            &format!("bob create_run {denied}"),
            "bob shown_run ok",
            "carol get_experiment ok",
            "carol get_by_name ok",
            "carol get_run ok",
            "carol list_artifacts ok",
            &format!("carol create_run {denied}"),
            "carol shown_run ok",
        ],
    );
    // The /ajax-api twin (the UI's) is scoped the same way.
    let ui = env
        .ok(
            "bob",
            "POST",
            "/ajax-api/2.0/mlflow/experiments/search",
            Some(json!({"max_results": 50})),
        )
        .await;
    assert_eq!(names(&ui["experiments"]), ["Default", "shown"]);
}

fn sorted_pair(a: &str, b: &str) -> String {
    let mut v = [a, b];
    v.sort();
    v.join(",")
}

fn names(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

async fn run_ids(env: &Env, user: &str, experiment_ids: &[&str]) -> Vec<String> {
    let body = json!({"experiment_ids": experiment_ids});
    let json = env
        .ok(user, "POST", "/api/2.0/mlflow/runs/search", Some(body))
        .await;
    let mut ids: Vec<String> = json["runs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r["info"]["run_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn no_permissions_default_sees_only_what_was_granted() {
    let env = start("NO_PERMISSIONS").await;
    let a1 = env.experiment("alice", "a1").await;
    let a2 = env.experiment("alice", "a2").await;
    let b1 = env.experiment("bob", "b1").await;
    let a1_run = env.run("alice", &a1).await;
    let a2_run = env.run("alice", &a2).await;
    env.run("bob", &b1).await;
    // carol: granted READ on a1 only (`IN (...)`).
    env.grant("carol", "experiment", &a1, "READ").await;
    for get in [true, false] {
        assert_eq!(env.experiment_names("carol", get).await, ["a1"]);
        assert_eq!(env.experiment_names("alice", get).await, ["a1", "a2"]);
        assert_eq!(env.experiment_names("bob", get).await, ["b1"]);
    }
    let get = |id: &str| format!("/api/2.0/mlflow/experiments/get?experiment_id={id}");
    env.ok("carol", "GET", &get(&a1), None).await;
    assert_eq!(env.status("carol", "GET", &get(&a2), None).await, 403);
    assert_eq!(env.status("carol", "GET", &get("0"), None).await, 403);
    let run_get = |id: &str| format!("/api/2.0/mlflow/runs/get?run_id={id}");
    env.ok("carol", "GET", &run_get(&a1_run), None).await;
    assert_eq!(
        env.status("carol", "GET", &run_get(&a2_run), None).await,
        403
    );
    let metric = json!({"run_id": a1_run, "key": "m", "value": 1.0, "timestamp": 1, "step": 0});
    let log = "/api/2.0/mlflow/runs/log-metric";
    assert_eq!(env.status("carol", "POST", log, Some(metric)).await, 403);
    assert_eq!(
        run_ids(&env, "carol", &[&a1, &a2, &b1]).await,
        std::slice::from_ref(&a1_run)
    );
    // What carol creates she manages, and it joins her scope.
    let own = env.experiment("carol", "c1").await;
    env.run("carol", &own).await;
    assert_eq!(env.experiment_names("carol", true).await, ["a1", "c1"]);
    // bob: READ on every experiment but DENY on a2 (`NOT IN (...)`).
    env.grant("bob", "experiment", "*", "READ").await;
    env.grant("bob", "experiment", &a2, "DENY").await;
    for get in [true, false] {
        let seen = env.experiment_names("bob", get).await;
        assert_eq!(seen, ["Default", "a1", "b1", "c1"], "GET={get}");
    }
    assert_eq!(env.status("bob", "GET", &get(&a2), None).await, 403);
    assert_eq!(env.status("bob", "GET", &run_get(&a2_run), None).await, 403);
    let bobs = run_ids(&env, "bob", &[&a1, &a2]).await;
    assert_eq!(bobs, std::slice::from_ref(&a1_run));
    // A filter naming the denied experiment finds nothing; one naming a readable one works.
    let search = "/api/2.0/mlflow/experiments/search";
    let hidden = env
        .ok(
            "bob",
            "POST",
            search,
            Some(json!({"filter": "name = 'a2'", "max_results": 100})),
        )
        .await;
    assert!(hidden.get("experiments").is_none(), "{hidden}");
    let shown = env
        .ok(
            "bob",
            "POST",
            search,
            Some(json!({"filter": "name = 'a1'", "max_results": 100})),
        )
        .await;
    assert_eq!(names(&shown["experiments"]), ["a1"]);
    // A user with no grant at all sees nothing (the contradiction), not everything.
    env.ok(
        "admin",
        "POST",
        "/api/2.0/mlflow/users/create",
        Some(json!({"username": "dave", "password": super::rules_support::PASSWORD})),
    )
    .await;
    assert!(env.experiment_names("dave", true).await.is_empty());
    assert!(run_ids(&env, "dave", &[&a1, &b1]).await.is_empty());
}
