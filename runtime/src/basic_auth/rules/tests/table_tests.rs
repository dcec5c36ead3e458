//! The route table and its matcher.

use crate::basic_auth::permissions::Action;
use crate::basic_auth::rules::check::{Check, TraceId};
use crate::basic_auth::rules::matcher::{find, split_api_prefix, Surface};
use crate::basic_auth::rules::table::{V2, V3};

fn check(method: &str, path: &str) -> Option<Check> {
    find(method, path).map(|m| m.check)
}

#[test]
fn prefixes_and_versions() {
    assert_eq!(
        split_api_prefix("/api/2.0/mlflow/runs/get"),
        Some((Surface::Api, V2, "/mlflow/runs/get"))
    );
    assert_eq!(
        split_api_prefix("/ajax-api/3.0/mlflow/x"),
        Some((Surface::Ajax, V3, "/mlflow/x"))
    );
    assert_eq!(split_api_prefix("/api/4.0/mlflow/x"), None);
    assert_eq!(split_api_prefix("/api/2.0"), None);
    assert_eq!(split_api_prefix("/get-artifact"), None);
}

#[test]
fn routes_resolve_per_method_and_version() {
    assert_eq!(
        check("GET", "/api/2.0/mlflow/experiments/get"),
        Some(Check::ReadExperiment)
    );
    assert_eq!(
        check("POST", "/api/2.0/mlflow/experiments/get"),
        None,
        "method matters"
    );
    assert_eq!(check("HEAD", "/api/2.0/mlflow/experiments/get"), None);
    assert_eq!(
        check("GET", "/api/3.0/mlflow/experiments/get"),
        None,
        "no 3.0 route"
    );
    assert_eq!(
        check("POST", "/api/2.0/mlflow/traces"),
        Some(Check::StartTrace)
    );
    assert_eq!(
        check("POST", "/ajax-api/3.0/mlflow/traces"),
        Some(Check::StartTraceV3)
    );
    assert_eq!(
        check("POST", "/ajax-api/2.0/mlflow/upload-artifact"),
        Some(Check::RunArtifactUpload)
    );
    assert_eq!(
        check("POST", "/api/2.0/mlflow/upload-artifact"),
        None,
        "ajax only"
    );
    assert_eq!(check("GET", "/get-artifact"), Some(Check::RunArtifactRead));
    assert_eq!(check("GET", "/"), Some(Check::Authenticated));
    assert_eq!(check("POST", "/graphql"), Some(Check::Deny));
}

#[test]
fn unknown_and_near_miss_paths_are_unmapped() {
    for (method, path) in [
        ("GET", "/api/2.0/mlflow/experiments/get/"),
        ("GET", "/api/2.0/mlflow/experiments/get/x"),
        ("GET", "/api/2.0/mlflow/experiments"),
        ("GET", "/api/2.0/mlflow/unknown"),
        ("GET", "/api/2.0//mlflow/experiments/get"),
        ("GET", "/prefix/api/2.0/mlflow/experiments/get"),
        ("PUT", "/api/2.0/mlflow-artifacts/artifacts/"),
        ("GET", "/api/2.0/mlflow-artifacts/mpu/create/1/x"),
        ("GET", "/api/3.0/mlflow/datasets/d-1/unknown"),
        ("POST", "/api/3.0/mlflow/issues/invoke"),
    ] {
        assert_eq!(check(method, path), None, "{method} {path}");
    }
}

#[test]
fn literal_rows_win_over_parameter_rows() {
    assert_eq!(
        check("GET", "/api/3.0/mlflow/traces/get"),
        Some(Check::Trace(TraceId::ParamTraceId, Action::Read))
    );
    assert_eq!(
        check("GET", "/api/3.0/mlflow/traces/tr-1"),
        Some(Check::Trace(TraceId::PathTraceId, Action::Read))
    );
    assert_eq!(
        check("POST", "/api/2.0/mlflow/logged-models/search"),
        Some(Check::SearchLoggedModels)
    );
    assert_eq!(
        check("GET", "/api/2.0/mlflow/logged-models/search"),
        Some(Check::LoggedModel(Action::Read)),
        "a model named 'search'"
    );
}

#[test]
fn path_parameters_are_captured() {
    let m = find("DELETE", "/api/2.0/mlflow/logged-models/m-1/tags/k").unwrap();
    assert_eq!(m.check, Check::LoggedModel(Action::Delete));
    assert_eq!(m.capture("model_id"), Some("m-1"));
    assert_eq!(m.capture("tag_key"), Some("k"));
    let a = find(
        "PUT",
        "/ajax-api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/x y.txt",
    )
    .unwrap();
    assert_eq!(a.capture("artifact_path"), Some("1/abc/artifacts/x y.txt"));
    assert_eq!(a.surface, Surface::Ajax);
    let t = find("DELETE", "/api/3.0/mlflow/traces/tr-9/assessments/a-1").unwrap();
    assert_eq!(
        (t.capture("trace_id"), t.capture("assessment_id")),
        (Some("tr-9"), Some("a-1"))
    );
}

#[test]
fn webhooks_and_workspace_writes_are_admin_only() {
    for (method, path) in [
        ("GET", "/api/2.0/mlflow/webhooks"),
        ("POST", "/api/2.0/mlflow/webhooks/w1/test"),
        ("PATCH", "/ajax-api/2.0/mlflow/webhooks/w1"),
        ("POST", "/api/3.0/mlflow/workspaces"),
        ("POST", "/api/3.0/mlflow/gateway/budgets/create"),
    ] {
        assert_eq!(
            check(method, path),
            Some(Check::AdminOnly),
            "{method} {path}"
        );
    }
}

#[test]
fn bodies_are_buffered_only_for_json_checks() {
    assert!(Check::SearchRuns.reads_body());
    assert!(Check::LogToRun(crate::basic_auth::rules::check::ModelRefs::Batch).reads_body());
    assert!(!Check::ArtifactProxy(Action::Update).reads_body());
    assert!(!Check::RunArtifactUpload.reads_body());
    assert!(!Check::Deny.is_rule() && !Check::AuthApi.is_rule() && Check::AdminOnly.is_rule());
}

#[test]
fn routes_with_path_ids_read_the_body_so_a_second_id_is_refused() {
    for (method, path) in [
        ("DELETE", "/api/3.0/mlflow/datasets/d-1"),
        ("POST", "/api/3.0/mlflow/datasets/d-1/records"),
        ("PATCH", "/api/3.0/mlflow/issues/i-1"),
        ("PATCH", "/api/2.0/mlflow/logged-models/m-1"),
    ] {
        let check = check(method, path).unwrap_or_else(|| panic!("{method} {path}"));
        assert!(check.reads_body(), "{method} {path}: {check:?}");
    }
    let upload = check("PUT", "/api/2.0/mlflow-artifacts/artifacts/1/x").unwrap();
    assert!(!upload.reads_body(), "artifact uploads stream");
}
