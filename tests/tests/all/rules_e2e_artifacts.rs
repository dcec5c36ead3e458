//! Artifacts through the rules, on a server that proxies artifacts (`mlflow-artifacts:/`):
//! MLflow's Python client uploads, lists and downloads through `/api/2.0/mlflow-artifacts`;
//! `GET /get-artifact`, the UI's `upload-artifact`, deletes, multipart and presigned routes
//! are judged on the experiment in the path (or on the run they name).

use super::rules_support::{assert_lines, start, PASSWORD};

const ARTIFACTS: &str = r#"
exp, run = os.environ["EXP"], os.environ["RUN"]
src = tempfile.mkdtemp()
path = os.path.join(src, "hello.txt")
with open(path, "w") as f:
    f.write("hello from alice")
as_user("alice")
attempt("alice upload", lambda: client.log_artifact(run, path))
attempt("alice upload_dir", lambda: client.log_text(run, "nested text", "sub/note.txt"))
def download(user):
    out = tempfile.mkdtemp()
    local = client.download_artifacts(run, "hello.txt", out)
    with open(local) as f:
        print(user, "content", f.read())
for user in ["bob", "carol"]:
    as_user(user)
    attempt(f"{user} list", lambda: print(user, "listed", ",".join(sorted(a.path for a in client.list_artifacts(run)))))
    attempt(f"{user} download", lambda: download(user))
    attempt(f"{user} upload", lambda: client.log_artifact(run, path, "by-" + user))
    attempt(f"{user} load_text", lambda: print(user, "text", mlflow.artifacts.load_text(f"runs:/{run}/sub/note.txt")))
"#;

#[tokio::test(flavor = "multi_thread")]
async fn artifact_upload_download_and_delete_follow_the_experiment() {
    let env = start("READ").await;
    let exp = env.experiment("alice", "art").await;
    let run = env.run("alice", &exp).await;
    env.grant("carol", "experiment", &exp, "DENY").await;
    let out = env
        .python("alice", ARTIFACTS, &[("EXP", &exp), ("RUN", &run)])
        .await;
    assert_lines(
        &out,
        &[
            "alice upload ok",
            "alice upload_dir ok",
            "bob listed hello.txt,sub",
            "bob list ok",
            "bob content hello from alice",
            "bob download ok",
            "bob upload http403",
            "bob text nested text",
            "bob load_text ok",
            "carol list PERMISSION_DENIED",
            "carol download PERMISSION_DENIED",
            "carol upload http403",
            "carol load_text PERMISSION_DENIED",
        ],
    );
    assert!(!out.contains("carol content"), "{out}");
    // The proxy paths themselves, as raw requests.
    let proxied = format!("/api/2.0/mlflow-artifacts/artifacts/{exp}/{run}/artifacts/hello.txt");
    let get = |user: &'static str, path: String| {
        env.http
            .get(env.gw.at(&path))
            .basic_auth(user, Some(PASSWORD))
            .send()
    };
    assert_eq!(get("bob", proxied.clone()).await.unwrap().status(), 200);
    assert_eq!(get("carol", proxied.clone()).await.unwrap().status(), 403);
    let legacy = format!("/get-artifact?path=hello.txt&run_uuid={run}");
    let resp = get("bob", legacy.clone()).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "hello from alice");
    assert_eq!(get("carol", legacy).await.unwrap().status(), 403);
    let listing = format!("/api/2.0/mlflow-artifacts/artifacts?path={exp}/{run}/artifacts");
    assert_eq!(get("bob", listing.clone()).await.unwrap().status(), 200);
    assert_eq!(get("carol", listing).await.unwrap().status(), 403);
    // The UI's upload route: run update.
    let upload = |user: &'static str| {
        env.http
            .post(env.gw.at(&format!(
                "/ajax-api/2.0/mlflow/upload-artifact?run_uuid={run}&path=ui.txt"
            )))
            .basic_auth(user, Some(PASSWORD))
            .body("from the ui")
            .send()
    };
    assert_eq!(upload("bob").await.unwrap().status(), 403);
    assert_eq!(upload("alice").await.unwrap().status(), 200);
    // Multipart and presigned routes are judged before MLflow sees them (the local store
    // supports neither, so the owner's calls reach MLflow and fail there, not here).
    let mpu = format!("/api/2.0/mlflow-artifacts/mpu/create/{exp}/{run}/artifacts/big.bin");
    let body = serde_json::json!({"path": "big.bin", "num_parts": 1});
    assert_eq!(
        env.status("bob", "POST", &mpu, Some(body.clone())).await,
        403
    );
    assert_ne!(env.status("alice", "POST", &mpu, Some(body)).await, 403);
    let presigned = format!("/api/2.0/mlflow-artifacts/presigned/{exp}/{run}/artifacts/hello.txt");
    assert_eq!(env.status("carol", "GET", &presigned, None).await, 403);
    assert_ne!(env.status("bob", "GET", &presigned, None).await, 403);
    // Deleting an artifact needs MANAGE on the experiment: the reader and the denied user are
    // refused, the owner deletes.
    let delete = |user: &'static str| {
        env.http
            .delete(env.gw.at(&proxied))
            .basic_auth(user, Some(PASSWORD))
            .send()
    };
    assert_eq!(delete("bob").await.unwrap().status(), 403);
    assert_eq!(delete("carol").await.unwrap().status(), 403);
    env.grant("bob", "experiment", &exp, "EDIT").await;
    assert_eq!(
        delete("bob").await.unwrap().status(),
        403,
        "EDIT does not delete"
    );
    assert_eq!(delete("alice").await.unwrap().status(), 200);
    assert_ne!(get("alice", proxied).await.unwrap().status(), 200);
    // Paths naming no experiment are refused; a path under another experiment is judged on
    // that experiment, whatever run id follows.
    for path in [
        "/api/2.0/mlflow-artifacts/artifacts",
        "/api/2.0/mlflow-artifacts/artifacts?path=.",
        "/api/2.0/mlflow-artifacts/artifacts?path=%2e",
        "/api/2.0/mlflow-artifacts/artifacts?path=./.",
        "/api/2.0/mlflow-artifacts/artifacts?path=",
    ] {
        assert_eq!(env.status("bob", "GET", path, None).await, 403, "{path}");
    }
    let other = env.experiment("carol", "carols").await;
    let crossed = format!("/api/2.0/mlflow-artifacts/artifacts/{exp}/{run}/../../{other}/x.txt");
    assert_eq!(
        env.raw_target("bob", "PUT", &crossed).await,
        403,
        "judged on carol's experiment"
    );
    let encoded = format!("/api/2.0/mlflow-artifacts/artifacts/{exp}/%2e%2e/{other}/x.txt");
    assert_eq!(env.raw_target("alice", "PUT", &encoded).await, 400);
}
