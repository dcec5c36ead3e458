//! The model registry through the rules: `SearchRegisteredModels` / `SearchModelVersions`
//! answers are filtered to what the caller may read and each page is refilled from MLflow
//! (full pages, continuing tokens, nothing lost or repeated), point reads follow the stored
//! family (model or prompt), renames move grants and deletes sweep them.

use super::rules_support::{assert_lines, start, Env};
use serde_json::json;

const PAGES: &str = r#"
token = None
while True:
    page = client.search_registered_models(max_results=3, page_token=token)
    print("page", ",".join(m.name for m in page))
    token = page.token
    if not token:
        break
"#;

/// Every page of a GET search as `user`: the names of each page.
async fn pages(env: &Env, user: &str, path: &str, key: &str, field: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut token = String::new();
    for _ in 0..20 {
        let mut target = path.to_string();
        if !token.is_empty() {
            target.push_str(&format!("&page_token={token}"));
        }
        let json = env.ok(user, "GET", &target, None).await;
        let page: Vec<String> = json[key]
            .as_array()
            .into_iter()
            .flatten()
            .map(|item| {
                let name = item["name"].as_str().unwrap();
                match item.get(field).and_then(|v| v.as_str()) {
                    Some(version) => format!("{name}/{version}"),
                    None => name.to_string(),
                }
            })
            .collect();
        pages.push(page);
        token = json["next_page_token"].as_str().unwrap_or_default().into();
        if token.is_empty() {
            return pages;
        }
    }
    panic!("more than 20 pages: {pages:?}");
}

/// Every page but the last is full; the concatenation is `expected` (order kept).
fn assert_paged(pages: &[Vec<String>], size: usize, expected: &[&str]) {
    let (last, full) = pages.split_last().expect("at least one page");
    assert!(full.iter().all(|p| p.len() == size), "{pages:?}");
    assert!(last.len() <= size, "{pages:?}");
    let all: Vec<&str> = pages.iter().flatten().map(String::as_str).collect();
    assert_eq!(all, expected, "{pages:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn registry_searches_are_filtered_and_pages_refilled() {
    let env = start("NO_PERMISSIONS").await;
    for i in 0..7 {
        env.model("admin", &format!("m{i}"), false).await;
    }
    env.model("alice", "a-x", false).await;
    env.model("alice", "a-y", false).await;
    env.model("alice", "a-prompt", true).await;
    for (name, versions) in [("m0", 2), ("m1", 1), ("m4", 2)] {
        for _ in 0..versions {
            let body = json!({"name": name, "source": "s3://bucket/model"});
            let path = "/api/2.0/mlflow/model-versions/create";
            env.ok("admin", "POST", path, Some(body)).await;
        }
    }
    env.grant("alice", "registered_model", "m1", "READ").await;
    env.grant("alice", "registered_model", "m4", "READ").await;
    env.grant("carol", "registered_model", "*", "READ").await;
    env.grant("carol", "registered_model", "m2", "DENY").await;
    env.grant("carol", "registered_model", "m5", "DENY").await;
    let search = "/api/2.0/mlflow/registered-models/search?max_results=2";
    let got = pages(&env, "alice", search, "registered_models", "").await;
    assert_paged(&got, 2, &["a-x", "a-y", "m1", "m4"]);
    let got = pages(&env, "carol", search, "registered_models", "").await;
    assert_paged(&got, 2, &["a-x", "a-y", "m0", "m1", "m3", "m4", "m6"]);
    let got = pages(&env, "bob", search, "registered_models", "").await;
    assert_paged(&got, 2, &[]);
    // MLflow's Python client pages the same way.
    let out = env.python("carol", PAGES, &[]).await;
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("page")).collect();
    assert_eq!(
        lines,
        ["page a-x,a-y,m0", "page m1,m3,m4", "page m6"],
        "{out}"
    );
    // Model versions: only those of readable models, pages refilled.
    let versions = "/api/2.0/mlflow/model-versions/search?max_results=1&order_by=name+ASC&order_by=version_number+ASC";
    let got = pages(&env, "alice", versions, "model_versions", "version").await;
    assert_paged(&got, 1, &["m1/1", "m4/1", "m4/2"]);
    let got = pages(&env, "carol", versions, "model_versions", "version").await;
    assert_paged(&got, 1, &["m0/1", "m0/2", "m1/1", "m4/1", "m4/2"]);
    // Point reads follow the stored family; a prompt is not a registered model grant.
    let get = |name: &str| format!("/api/2.0/mlflow/registered-models/get?name={name}");
    env.ok("alice", "GET", &get("a-prompt"), None).await;
    env.ok("carol", "GET", &get("m3"), None).await;
    assert_eq!(env.status("carol", "GET", &get("m2"), None).await, 403);
    assert_eq!(
        env.status("carol", "GET", &get("a-prompt"), None).await,
        403
    );
    let version = "/api/2.0/mlflow/model-versions/get?name=m0&version=1";
    assert_eq!(env.status("alice", "GET", version, None).await, 403);
    env.ok("carol", "GET", version, None).await;
    // Readers do not write.
    let tag = json!({"name": "m3", "key": "k", "value": "v"});
    let set_tag = "/api/2.0/mlflow/registered-models/set-tag";
    assert_eq!(env.status("carol", "POST", set_tag, Some(tag)).await, 403);
}

const RENAME: &str = r#"
as_user("alice")
client.create_registered_model("old-name")
client.rename_registered_model("old-name", "new-name")
attempt("alice get", lambda: client.get_registered_model("new-name"))
client.delete_registered_model("new-name")
as_user("bob")
client.create_registered_model("new-name")
as_user("alice")
attempt("alice after", lambda: client.get_registered_model("new-name"))
attempt("alice star", lambda: client.create_registered_model("*"))
"#;

#[tokio::test(flavor = "multi_thread")]
async fn renames_move_grants_and_deletes_sweep_them() {
    let env = start("NO_PERMISSIONS").await;
    let out = env.python("alice", RENAME, &[]).await;
    // Re-created by someone else, the name carries no stale grant for alice; `*` can never
    // become a model name (its creator grant would be a wildcard).
    assert_lines(
        &out,
        &[
            "alice get ok",
            "alice after PERMISSION_DENIED",
            "alice star INVALID_PARAMETER_VALUE",
        ],
    );
    let grants = env
        .ok(
            "alice",
            "GET",
            "/api/3.0/mlflow/users/current/permissions",
            None,
        )
        .await;
    let names: Vec<&str> = grants["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["resource_type"] == "registered_model")
        .map(|g| g["resource_pattern"].as_str().unwrap())
        .collect();
    assert!(names.is_empty(), "{grants}");
}
