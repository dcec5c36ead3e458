//! Redaction of cross-resource references in responses (Appendix A.2 `redact_*`): a field
//! that points into a sub-resource tier the caller is vetoed on (`(run, *, DENY)`,
//! `(logged_model, *, DENY)`, `(assessment, *, DENY)`, a version tier) is withheld, as MLflow's
//! after-request handlers do for non-admins. A hook is attached only when the caller holds
//! such a veto and the route returns such a field.

use serde_json::{Map, Value};

use crate::basic_auth::permissions::ResourceType;
use crate::host_app::ResponseHook;

use super::engine::Grants;
use super::hooks::{on_success, HookCtx};
use super::lookups::prompt_marker;
use super::refill::{withhold_version_fields, withhold_version_siblings};

/// The response shapes that carry cross-resource references.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `run` / `runs[]`: model inputs/outputs and metric `model_id`s (logged-model tier).
    Runs(&'static str),
    /// `metrics[]` of a metric history: `model_id` (logged-model tier).
    MetricHistory,
    /// `model` / `models[]`: `info.source_run_id` and metric `run_id`s (run tier).
    LoggedModels(&'static str),
    /// `model_version` / `model_versions[]`: run and logged-model siblings.
    Versions(&'static str),
    /// `registered_model`: latest versions (version tier) and their siblings.
    RegisteredModel,
    /// v2 trace infos at a pointer: `request_metadata[]` entries (run / logged-model tiers).
    TraceV2(&'static str),
    /// v3 trace infos at a pointer: `assessments` and `trace_metadata` keys.
    TraceV3(&'static str),
    /// `issue` / `issues[]`: `source_run_id` (run tier).
    Issues(&'static str),
}

/// `(method, suffix after the version prefix, shape)`, after Appendix A.2.
#[rustfmt::skip]
const SHAPES: &[(&str, &str, Shape)] = &[
    ("GET", "/mlflow/runs/get", Shape::Runs("/run")),
    ("POST", "/mlflow/runs/search", Shape::Runs("/runs")),
    ("GET", "/mlflow/metrics/get-history", Shape::MetricHistory),
    ("POST", "/mlflow/logged-models", Shape::LoggedModels("/model")),
    ("GET", "/mlflow/logged-models/<model_id>", Shape::LoggedModels("/model")),
    ("PATCH", "/mlflow/logged-models/<model_id>", Shape::LoggedModels("/model")),
    ("PATCH", "/mlflow/logged-models/<model_id>/tags", Shape::LoggedModels("/model")),
    ("POST", "/mlflow/logged-models/search", Shape::LoggedModels("/models")),
    ("GET", "/mlflow/model-versions/get", Shape::Versions("/model_version")),
    ("POST", "/mlflow/model-versions/create", Shape::Versions("/model_version")),
    ("PATCH", "/mlflow/model-versions/update", Shape::Versions("/model_version")),
    ("POST", "/mlflow/model-versions/transition-stage", Shape::Versions("/model_version")),
    ("GET", "/mlflow/registered-models/alias", Shape::Versions("/model_version")),
    ("GET", "/mlflow/registered-models/get-latest-versions", Shape::Versions("/model_versions")),
    ("POST", "/mlflow/registered-models/get-latest-versions", Shape::Versions("/model_versions")),
    ("GET", "/mlflow/registered-models/get", Shape::RegisteredModel),
    ("PATCH", "/mlflow/registered-models/update", Shape::RegisteredModel),
    ("POST", "/mlflow/registered-models/rename", Shape::RegisteredModel),
    ("POST", "/mlflow/traces#2", Shape::TraceV2("/trace_info")),
    ("PATCH", "/mlflow/traces/<request_id>", Shape::TraceV2("/trace_info")),
    ("GET", "/mlflow/traces/<request_id>/info", Shape::TraceV2("/trace_info")),
    ("GET", "/mlflow/traces#2", Shape::TraceV2("/traces")),
    ("POST", "/mlflow/traces#3", Shape::TraceV3("/trace/trace_info")),
    ("GET", "/mlflow/traces/<trace_id>", Shape::TraceV3("/trace/trace_info")),
    ("GET", "/mlflow/traces/get", Shape::TraceV3("/trace/trace_info")),
    ("GET", "/mlflow/traces/batchGet", Shape::TraceV3("/traces/*/trace_info")),
    ("POST", "/mlflow/traces/batchGetInfos", Shape::TraceV3("/trace_infos")),
    ("POST", "/mlflow/traces/search", Shape::TraceV3("/traces")),
    ("POST", "/mlflow/issues", Shape::Issues("/issue")),
    ("GET", "/mlflow/issues/<issue_id>", Shape::Issues("/issue")),
    ("PATCH", "/mlflow/issues/<issue_id>", Shape::Issues("/issue")),
    ("POST", "/mlflow/issues/search", Shape::Issues("/issues")),
];

/// The shape of a route's response (`route_key`: the table suffix, with `#2`/`#3` appended
/// to `/mlflow/traces`, whose v2 and v3 twins answer differently).
pub fn shape_of(method: &str, route_key: &str) -> Option<Shape> {
    SHAPES
        .iter()
        .find(|(m, s, _)| *m == method && *s == route_key)
        .map(|(_, _, shape)| *shape)
}

/// The redaction hook of a route for this caller, if any field could need withholding.
pub fn hook(hc: HookCtx, method: &str, route_key: &str, grants: &Grants) -> Option<ResponseHook> {
    let shape = shape_of(method, route_key)?;
    let denied = |tier| !grants.tier_not_denied(tier);
    let relevant = match shape {
        Shape::Runs(_) | Shape::MetricHistory => denied(ResourceType::LoggedModel),
        Shape::LoggedModels(_) | Shape::Issues(_) => denied(ResourceType::Run),
        Shape::Versions(_) | Shape::TraceV2(_) => {
            denied(ResourceType::Run) || denied(ResourceType::LoggedModel)
        }
        Shape::RegisteredModel => {
            denied(ResourceType::Run)
                || denied(ResourceType::LoggedModel)
                || denied(ResourceType::RegisteredModelVersion)
                || denied(ResourceType::PromptVersion)
        }
        Shape::TraceV3(_) => {
            denied(ResourceType::Run)
                || denied(ResourceType::LoggedModel)
                || denied(ResourceType::Assessment)
        }
    };
    if !relevant {
        return None;
    }
    let grants = grants.clone();
    Some(on_success(hc, move |_hc, mut json: Value| async move {
        apply(&grants, shape, &mut json);
        Ok(Some(json))
    }))
}

/// The objects at a pointer: one object, every element of an array, or (`/*/`) a field of
/// every element of an array.
fn targets<'a>(json: &'a mut Value, pointer: &str) -> Vec<&'a mut Map<String, Value>> {
    if let Some((list, field)) = pointer.split_once("/*/") {
        let Some(Value::Array(items)) = json.pointer_mut(list) else {
            return Vec::new();
        };
        return items
            .iter_mut()
            .filter_map(|item| item.get_mut(field))
            .filter_map(Value::as_object_mut)
            .collect();
    }
    match json.pointer_mut(pointer) {
        Some(Value::Array(items)) => items.iter_mut().filter_map(Value::as_object_mut).collect(),
        Some(Value::Object(obj)) => vec![obj],
        _ => Vec::new(),
    }
}

fn remove_from_each(list: Option<&mut Value>, field: &str) {
    for item in list.and_then(Value::as_array_mut).into_iter().flatten() {
        if let Some(obj) = item.as_object_mut() {
            obj.remove(field);
        }
    }
}

/// Withholds what the caller's vetoes cover, in place.
pub fn apply(grants: &Grants, shape: Shape, json: &mut Value) {
    let denied = |tier| !grants.tier_not_denied(tier);
    let (run_denied, model_denied) = (denied(ResourceType::Run), denied(ResourceType::LoggedModel));
    match shape {
        Shape::Runs(pointer) => {
            for run in targets(json, pointer) {
                if let Some(inputs) = run.get_mut("inputs").and_then(Value::as_object_mut) {
                    inputs.remove("model_inputs");
                }
                if let Some(outputs) = run.get_mut("outputs").and_then(Value::as_object_mut) {
                    outputs.remove("model_outputs");
                }
                remove_from_each(
                    run.get_mut("data").and_then(|d| d.get_mut("metrics")),
                    "model_id",
                );
            }
        }
        Shape::MetricHistory => remove_from_each(json.get_mut("metrics"), "model_id"),
        Shape::Issues(pointer) => {
            for issue in targets(json, pointer) {
                issue.remove("source_run_id");
            }
        }
        Shape::LoggedModels(pointer) => {
            for model in targets(json, pointer) {
                if let Some(info) = model.get_mut("info").and_then(Value::as_object_mut) {
                    info.remove("source_run_id");
                }
                remove_from_each(
                    model.get_mut("data").and_then(|d| d.get_mut("metrics")),
                    "run_id",
                );
            }
        }
        Shape::Versions(pointer) => {
            for version in targets(json, pointer) {
                withhold_version_fields(grants, version);
            }
        }
        Shape::RegisteredModel => {
            if let Some(model) = json
                .get_mut("registered_model")
                .and_then(Value::as_object_mut)
            {
                let prompt = prompt_marker(model.get("tags")) == Some(true);
                let tier = if prompt {
                    ResourceType::PromptVersion
                } else {
                    ResourceType::RegisteredModelVersion
                };
                if denied(tier) {
                    model.remove("latest_versions");
                } else if let Some(Value::Array(versions)) = model.get_mut("latest_versions") {
                    withhold_version_siblings(grants, versions);
                }
            }
        }
        Shape::TraceV2(pointer) => {
            for info in targets(json, pointer) {
                if let Some(Value::Array(entries)) = info.get_mut("request_metadata") {
                    entries.retain(|e| {
                        !withheld_key(
                            e.get("key").and_then(Value::as_str),
                            run_denied,
                            model_denied,
                        )
                    });
                }
            }
        }
        Shape::TraceV3(pointer) => {
            let assessments_denied = denied(ResourceType::Assessment);
            for info in targets(json, pointer) {
                if assessments_denied {
                    info.remove("assessments");
                }
                if let Some(Value::Object(metadata)) = info.get_mut("trace_metadata") {
                    metadata.retain(|k, _| !withheld_key(Some(k), run_denied, model_denied));
                }
            }
        }
    }
}

/// Trace metadata keys that name a run or a logged model.
fn withheld_key(key: Option<&str>, run_denied: bool, model_denied: bool) -> bool {
    match key {
        Some("mlflow.sourceRun") => run_denied,
        Some("mlflow.modelId") => model_denied,
        _ => false,
    }
}
