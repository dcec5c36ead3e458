//! Redaction of cross-resource references (Appendix A.2 `redact_*`).

use serde_json::json;

use crate::basic_auth::permissions::{Grant, Permission, ResourceType};
use crate::basic_auth::rules::engine::Grants;
use crate::basic_auth::rules::redact::{apply, shape_of, Shape};

fn vetoed(tiers: &[ResourceType]) -> Grants {
    Grants::new(
        tiers
            .iter()
            .map(|t| Grant::new(*t, "*", Permission::Deny))
            .collect(),
        Permission::Read,
    )
}

#[test]
fn routes_map_to_shapes_per_version() {
    assert_eq!(
        shape_of("POST", "/mlflow/traces#2"),
        Some(Shape::TraceV2("/trace_info"))
    );
    assert_eq!(
        shape_of("POST", "/mlflow/traces#3"),
        Some(Shape::TraceV3("/trace/trace_info"))
    );
    assert_eq!(
        shape_of("GET", "/mlflow/runs/get"),
        Some(Shape::Runs("/run"))
    );
    assert_eq!(shape_of("GET", "/mlflow/experiments/get"), None);
}

#[test]
fn run_model_links_are_withheld_under_a_logged_model_veto() {
    let mut json = json!({"run": {"info": {"run_id": "r"}, "data": {"metrics": [{"key": "k", "model_id": "m-1"}]},
        "inputs": {"model_inputs": [{"model_id": "m-1"}], "dataset_inputs": []}, "outputs": {"model_outputs": [{"model_id": "m-2"}]}}});
    apply(
        &vetoed(&[ResourceType::LoggedModel]),
        Shape::Runs("/run"),
        &mut json,
    );
    assert_eq!(
        json,
        json!({"run": {"info": {"run_id": "r"}, "data": {"metrics": [{"key": "k"}]},
        "inputs": {"dataset_inputs": []}, "outputs": {}}})
    );
}

#[test]
fn logged_model_source_runs_are_withheld_under_a_run_veto() {
    let mut json = json!({"models": [{"info": {"model_id": "m", "source_run_id": "r"}, "data": {"metrics": [{"run_id": "r", "key": "k"}]}}]});
    apply(
        &vetoed(&[ResourceType::Run]),
        Shape::LoggedModels("/models"),
        &mut json,
    );
    assert_eq!(
        json,
        json!({"models": [{"info": {"model_id": "m"}, "data": {"metrics": [{"key": "k"}]}}]})
    );
}

#[test]
fn trace_assessments_and_metadata_are_withheld() {
    let mut v3 = json!({"traces": [{"trace_id": "t", "assessments": [{"assessment_id": "a"}],
        "trace_metadata": {"mlflow.sourceRun": "r", "mlflow.modelId": "m", "other": "x"}}]});
    apply(
        &vetoed(&[ResourceType::Assessment, ResourceType::Run]),
        Shape::TraceV3("/traces"),
        &mut v3,
    );
    assert_eq!(
        v3,
        json!({"traces": [{"trace_id": "t", "trace_metadata": {"mlflow.modelId": "m", "other": "x"}}]})
    );
    let mut batch =
        json!({"traces": [{"trace_info": {"trace_metadata": {"mlflow.modelId": "m"}}}]});
    apply(
        &vetoed(&[ResourceType::LoggedModel]),
        Shape::TraceV3("/traces/*/trace_info"),
        &mut batch,
    );
    assert_eq!(
        batch,
        json!({"traces": [{"trace_info": {"trace_metadata": {}}}]})
    );
    let mut v2 = json!({"trace_info": {"request_metadata": [{"key": "mlflow.sourceRun", "value": "r"}, {"key": "k", "value": "v"}]}});
    apply(
        &vetoed(&[ResourceType::Run]),
        Shape::TraceV2("/trace_info"),
        &mut v2,
    );
    assert_eq!(
        v2,
        json!({"trace_info": {"request_metadata": [{"key": "k", "value": "v"}]}})
    );
}

#[test]
fn registered_model_latest_versions_follow_the_version_tier() {
    let mut json = json!({"registered_model": {"name": "m", "latest_versions": [{"version": "1", "run_id": "r"}]}});
    apply(
        &vetoed(&[ResourceType::RegisteredModelVersion]),
        Shape::RegisteredModel,
        &mut json,
    );
    assert_eq!(json, json!({"registered_model": {"name": "m"}}));
    let mut json = json!({"registered_model": {"name": "m", "latest_versions": [{"version": "1", "run_id": "r", "run_link": "l"}]}});
    apply(
        &vetoed(&[ResourceType::Run]),
        Shape::RegisteredModel,
        &mut json,
    );
    assert_eq!(
        json,
        json!({"registered_model": {"name": "m", "latest_versions": [{"version": "1"}]}})
    );
}
