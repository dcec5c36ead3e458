//! MLflow's authorization rules end to end: REST calls → mlauth (basic-auth app) → a real
//! MLflow server. Creator grants, point checks through resolution, search scoping, registry
//! filtering with page refill, grant renames/sweeps, artifacts and refusals.

use mlauth_tests::gateway::TestGateway;
use mlauth_tests::mlflow::MlflowServer;
use serde_json::{json, Value};

const ADMIN_PASSWORD: &str = "admin-password-123";
const PASSWORD: &str = "user-password-123";

struct Env {
    gw: TestGateway,
    http: reqwest::Client,
    _mlflow: MlflowServer,
    _dir: tempfile::TempDir,
}

async fn start(default_permission: &str) -> Env {
    let mlflow = tokio::task::spawn_blocking(MlflowServer::start)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ini = format!(
        "[mlflow]\ndefault_permission = {default_permission}\ndatabase_uri = sqlite:///{}\nadmin_username = admin\n\
         authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n",
        dir.path().join("basic_auth.db").display()
    );
    let gw = TestGateway::start_basic_auth(&mlflow.url, &ini, dir.path(), ADMIN_PASSWORD, "")
        .await
        .unwrap();
    let env = Env {
        gw,
        http: reqwest::Client::new(),
        _mlflow: mlflow,
        _dir: dir,
    };
    for user in ["alice", "bob"] {
        let (status, body) = env
            .call(
                "admin",
                "POST",
                "/api/2.0/mlflow/users/create",
                Some(json!({"username": user, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    env
}

impl Env {
    async fn call(
        &self,
        user: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let password = if user == "admin" {
            ADMIN_PASSWORD
        } else {
            PASSWORD
        };
        let mut req = self
            .http
            .request(method.parse().unwrap(), self.gw.at(path))
            .basic_auth(user, Some(password));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn ok(&self, user: &str, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, json) = self.call(user, method, path, body).await;
        assert_eq!(status, 200, "{user} {method} {path}: {json}");
        json
    }

    async fn status(&self, user: &str, method: &str, path: &str, body: Option<Value>) -> u16 {
        self.call(user, method, path, body).await.0
    }

    async fn experiment(&self, user: &str, name: &str) -> String {
        let json = self
            .ok(
                user,
                "POST",
                "/api/2.0/mlflow/experiments/create",
                Some(json!({"name": name})),
            )
            .await;
        json["experiment_id"].as_str().unwrap().to_string()
    }

    async fn run(&self, user: &str, experiment_id: &str) -> String {
        let json = self
            .ok(
                user,
                "POST",
                "/api/2.0/mlflow/runs/create",
                Some(json!({"experiment_id": experiment_id})),
            )
            .await;
        json["run"]["info"]["run_id"].as_str().unwrap().to_string()
    }

    async fn model(&self, user: &str, name: &str, prompt: bool) {
        let tags = if prompt {
            json!([{"key": "mlflow.prompt.is_prompt", "value": "true"}])
        } else {
            json!([])
        };
        self.ok(
            user,
            "POST",
            "/api/2.0/mlflow/registered-models/create",
            Some(json!({"name": name, "tags": tags})),
        )
        .await;
    }

    async fn search_experiment_names(&self, user: &str, get: bool) -> Vec<String> {
        let json = if get {
            self.ok(
                user,
                "GET",
                "/api/2.0/mlflow/experiments/search?max_results=100",
                None,
            )
            .await
        } else {
            self.ok(
                user,
                "POST",
                "/api/2.0/mlflow/experiments/search",
                Some(json!({"max_results": 100})),
            )
            .await
        };
        let mut names: Vec<String> = json["experiments"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn creators_manage_what_they_create_and_others_only_read() {
    let env = start("READ").await;
    let exp = env.experiment("alice", "alice-exp").await;
    let run = env.run("alice", &exp).await;
    // bob reads (default READ) but may not write.
    env.ok(
        "bob",
        "GET",
        &format!("/api/2.0/mlflow/experiments/get?experiment_id={exp}"),
        None,
    )
    .await;
    env.ok(
        "bob",
        "GET",
        &format!("/api/2.0/mlflow/runs/get?run_id={run}"),
        None,
    )
    .await;
    let metric = json!({"run_id": run, "key": "m", "value": 1.0, "timestamp": 1, "step": 0});
    assert_eq!(
        env.status(
            "bob",
            "POST",
            "/api/2.0/mlflow/runs/log-metric",
            Some(metric.clone())
        )
        .await,
        403
    );
    assert_eq!(
        env.status(
            "bob",
            "POST",
            "/api/2.0/mlflow/runs/create",
            Some(json!({"experiment_id": exp}))
        )
        .await,
        403
    );
    assert_eq!(
        env.status(
            "bob",
            "POST",
            "/api/2.0/mlflow/experiments/update",
            Some(json!({"experiment_id": exp, "new_name": "x"}))
        )
        .await,
        403
    );
    // alice manages her experiment (creator grant) even though the default is READ.
    env.ok(
        "alice",
        "POST",
        "/api/2.0/mlflow/runs/log-metric",
        Some(metric),
    )
    .await;
    env.ok(
        "alice",
        "POST",
        "/api/2.0/mlflow/experiments/update",
        Some(json!({"experiment_id": exp, "new_name": "renamed"})),
    )
    .await;
    // camelCase is resolved to the same experiment.
    assert_eq!(
        env.status(
            "bob",
            "POST",
            "/api/2.0/mlflow/runs/create",
            Some(json!({"experimentId": exp}))
        )
        .await,
        403
    );
    env.ok(
        "alice",
        "POST",
        "/api/2.0/mlflow/experiments/delete",
        Some(json!({"experiment_id": exp})),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_runs_are_403_for_users_and_404_for_admins() {
    let env = start("READ").await;
    let missing = "/api/2.0/mlflow/runs/get?run_id=0123456789abcdef0123456789abcdef";
    assert_eq!(env.status("bob", "GET", missing, None).await, 403);
    assert_eq!(env.status("admin", "GET", missing, None).await, 404);
    // Unmapped routes fail closed for users, not for admins.
    assert_eq!(
        env.status("bob", "GET", "/api/2.0/mlflow/no-such-route", None)
            .await,
        403
    );
    assert_eq!(
        env.status("admin", "GET", "/api/2.0/mlflow/no-such-route", None)
            .await,
        404
    );
    // Ambiguous parameters are refused, never guessed.
    let exp = env.experiment("alice", "e").await;
    let run = env.run("alice", &exp).await;
    let both =
        format!("/api/2.0/mlflow/runs/get?run_id={run}&run_uuid=0123456789abcdef0123456789abcdef");
    assert_eq!(env.status("bob", "GET", &both, None).await, 400);
    let both = json!({"experiment_id": exp, "experimentId": exp});
    assert_eq!(
        env.status("alice", "POST", "/api/2.0/mlflow/runs/create", Some(both))
            .await,
        400
    );
    // Webhooks are admin only.
    assert_eq!(
        env.status("bob", "GET", "/api/2.0/mlflow/webhooks", None)
            .await,
        403
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn experiment_search_is_scoped_to_readable_experiments() {
    let env = start("NO_PERMISSIONS").await;
    env.experiment("alice", "a1").await;
    env.experiment("alice", "a2").await;
    env.experiment("bob", "b1").await;
    for get in [true, false] {
        assert_eq!(
            env.search_experiment_names("alice", get).await,
            vec!["a1", "a2"],
            "GET={get}"
        );
        assert_eq!(
            env.search_experiment_names("bob", get).await,
            vec!["b1"],
            "GET={get}"
        );
    }
    let filtered = env
        .ok(
            "alice",
            "GET",
            "/api/2.0/mlflow/experiments/search?max_results=10&filter=name%20%3D%20%27a2%27",
            None,
        )
        .await;
    assert_eq!(filtered["experiments"].as_array().unwrap().len(), 1);
    let admin = env.search_experiment_names("admin", true).await;
    assert!(admin.len() >= 4, "{admin:?}");
    // A filter that could swallow the scope is refused.
    assert_eq!(
        env.status(
            "alice",
            "GET",
            "/api/2.0/mlflow/experiments/search?max_results=10&filter=name%20%3D%20%27x",
            None
        )
        .await,
        400
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn search_runs_drops_unreadable_experiments() {
    let env = start("NO_PERMISSIONS").await;
    let mine = env.experiment("alice", "mine").await;
    let theirs = env.experiment("bob", "theirs").await;
    env.run("alice", &mine).await;
    env.run("bob", &theirs).await;
    let json = env
        .ok(
            "alice",
            "POST",
            "/api/2.0/mlflow/runs/search",
            Some(json!({"experiment_ids": [mine, theirs]})),
        )
        .await;
    let runs = json["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["info"]["experiment_id"], json!(mine));
}

#[tokio::test(flavor = "multi_thread")]
async fn registry_search_is_filtered_and_pages_are_refilled() {
    let env = start("NO_PERMISSIONS").await;
    for i in 0..5 {
        env.model("admin", &format!("admin-model-{i}"), false).await;
    }
    env.model("alice", "alice-model-a", false).await;
    env.model("alice", "alice-model-b", false).await;
    env.model("alice", "alice-prompt", true).await;
    let mut seen = Vec::new();
    let mut token = String::new();
    for _ in 0..10 {
        let mut path = "/api/2.0/mlflow/registered-models/search?max_results=1".to_string();
        if !token.is_empty() {
            path.push_str(&format!("&page_token={token}"));
        }
        let json = env.ok("alice", "GET", &path, None).await;
        for rm in json["registered_models"].as_array().into_iter().flatten() {
            seen.push(rm["name"].as_str().unwrap().to_string());
        }
        token = json["next_page_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if token.is_empty() {
            break;
        }
    }
    // Names sort after every admin model: the first pages are refilled past them. Prompts are
    // not listed by this search (MLflow excludes them).
    assert_eq!(seen, vec!["alice-model-a", "alice-model-b"]);
    let bob = env
        .ok(
            "bob",
            "GET",
            "/api/2.0/mlflow/registered-models/search",
            None,
        )
        .await;
    assert!(bob.get("registered_models").is_none(), "{bob}");
    // Point reads follow the persisted family.
    env.ok(
        "alice",
        "GET",
        "/api/2.0/mlflow/registered-models/get?name=alice-prompt",
        None,
    )
    .await;
    assert_eq!(
        env.status(
            "bob",
            "GET",
            "/api/2.0/mlflow/registered-models/get?name=alice-prompt",
            None
        )
        .await,
        403
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn renames_move_grants_and_deletes_sweep_them() {
    let env = start("NO_PERMISSIONS").await;
    env.model("alice", "old-name", false).await;
    env.ok(
        "alice",
        "POST",
        "/api/2.0/mlflow/registered-models/rename",
        Some(json!({"name": "old-name", "new_name": "new-name"})),
    )
    .await;
    env.ok(
        "alice",
        "GET",
        "/api/2.0/mlflow/registered-models/get?name=new-name",
        None,
    )
    .await;
    env.ok(
        "alice",
        "DELETE",
        "/api/2.0/mlflow/registered-models/delete",
        Some(json!({"name": "new-name"})),
    )
    .await;
    // Re-created by someone else, the name carries no stale grant for alice.
    env.model("bob", "new-name", false).await;
    assert_eq!(
        env.status(
            "alice",
            "GET",
            "/api/2.0/mlflow/registered-models/get?name=new-name",
            None
        )
        .await,
        403
    );
    // `*` can never become a model name (its creator grant would be a wildcard).
    assert_eq!(
        env.status(
            "alice",
            "POST",
            "/api/2.0/mlflow/registered-models/create",
            Some(json!({"name": "*"}))
        )
        .await,
        400
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn proxied_artifacts_are_judged_on_the_experiment_in_the_path() {
    let env = start("NO_PERMISSIONS").await;
    let exp = env.experiment("alice", "art").await;
    let run = env.run("alice", &exp).await;
    let path = format!("/api/2.0/mlflow-artifacts/artifacts/{exp}/{run}/artifacts/hello.txt");
    let resp = env
        .http
        .put(env.gw.at(&path))
        .basic_auth("alice", Some(PASSWORD))
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{:?}", resp.text().await);
    let read = |user: &'static str| {
        env.http
            .get(env.gw.at(&path))
            .basic_auth(user, Some(PASSWORD))
            .send()
    };
    assert_eq!(read("alice").await.unwrap().text().await.unwrap(), "hello");
    assert_eq!(read("bob").await.unwrap().status(), 403);
    let listing = format!("/api/2.0/mlflow-artifacts/artifacts?path={exp}/{run}/artifacts");
    assert_eq!(env.status("bob", "GET", &listing, None).await, 403);
    env.ok("alice", "GET", &listing, None).await;
    assert_eq!(
        env.status("alice", "GET", "/api/2.0/mlflow-artifacts/artifacts", None)
            .await,
        403,
        "root listing names no experiment"
    );
}

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
    let Env {
        gw,
        http,
        _mlflow,
        _dir,
    } = env;
    drop(_mlflow);
    let resp = http
        .get(gw.at(&format!("/api/2.0/mlflow/runs/get?run_id={run}")))
        .basic_auth("bob", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 502);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error_code"], "TEMPORARILY_UNAVAILABLE");
}
