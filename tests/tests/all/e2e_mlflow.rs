//! End to end: MLflow's own Python client → mlauth (static-token plugin) → a real
//! `mlflow server` on loopback.

use mlauth_tests::gateway::TestGateway;
use mlauth_tests::mlflow::{run_python, MlflowServer};
use mlauth_tests::wasm;

const CLIENT_SCRIPT: &str = r#"
import os, mlflow
from mlflow.exceptions import MlflowException
mlflow.set_tracking_uri(os.environ["GATEWAY"])
client = mlflow.MlflowClient()
if os.environ.get("EXPECT_DENIED"):
    try:
        client.search_experiments()
    except MlflowException as e:
        print("denied", e.error_code)
    else:
        print("allowed")
else:
    exp = client.create_experiment("e2e-experiment")
    run = client.create_run(exp)
    client.log_metric(run.info.run_id, "accuracy", 0.93)
    got = client.get_run(run.info.run_id)
    print("metric", got.data.metrics["accuracy"])
    print("experiments", sorted(e.name for e in client.search_experiments()))
"#;

#[tokio::test(flavor = "multi_thread")]
async fn mlflow_python_client_works_through_mlauth() {
    let mlflow = tokio::task::spawn_blocking(MlflowServer::start)
        .await
        .unwrap();
    let config = "[plugins.test-app.config]\ntoken = \"e2e-token\"\nusername = \"e2e\"\n";
    let gw = TestGateway::start(wasm::STATIC_TOKEN, &mlflow.url, config)
        .await
        .unwrap();
    let url = gw.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        run_python(
            CLIENT_SCRIPT,
            &[("GATEWAY", &url), ("MLFLOW_TRACKING_TOKEN", "e2e-token")],
        )
    })
    .await
    .unwrap();
    assert!(out.contains("metric 0.93"), "{out}");
    assert!(out.contains("'e2e-experiment'"), "{out}");
    let url = gw.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        run_python(
            CLIENT_SCRIPT,
            &[
                ("GATEWAY", &url),
                ("MLFLOW_TRACKING_TOKEN", "wrong"),
                ("EXPECT_DENIED", "1"),
            ],
        )
    })
    .await
    .unwrap();
    assert!(out.contains("denied UNAUTHENTICATED"), "{out}");
}
