//! The typed lookups of the [`Resolver`]: run / logged model / trace → experiment (cached),
//! registered model → prompt or not, experiment name → id, dataset → experiments, issue →
//! experiment. A resource that does not exist is `Ok(None)` (or empty).

use percent_encoding::utf8_percent_encode;
use serde_json::Value;

use super::error::{RuleError, RuleResult};
use super::resolve::{plain_id, Kind, Resolver, COMPONENT};

/// A registered model as far as authorization cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredModelInfo {
    /// The stored name (its exact spelling).
    pub name: String,
    /// Whether it is tagged `mlflow.prompt.is_prompt=true` (case-insensitive value).
    pub is_prompt: bool,
}

impl Resolver {
    /// The experiment of a run (`GET /api/2.0/mlflow/runs/get`).
    pub async fn run_experiment(&self, run_id: &str) -> RuleResult<Option<String>> {
        let query = [("run_id", run_id)];
        self.experiment_of(
            Kind::Run,
            run_id,
            "/api/2.0/mlflow/runs/get",
            &query,
            "/run/info/experiment_id",
        )
        .await
    }

    /// The experiment of a logged model (`GET /api/2.0/mlflow/logged-models/<id>`).
    pub async fn logged_model_experiment(&self, model_id: &str) -> RuleResult<Option<String>> {
        let path = format!(
            "/api/2.0/mlflow/logged-models/{}",
            utf8_percent_encode(model_id, COMPONENT)
        );
        self.experiment_of(
            Kind::LoggedModel,
            model_id,
            &path,
            &[],
            "/model/info/experiment_id",
        )
        .await
    }

    /// The experiment of a trace (`GET /api/3.0/mlflow/traces/<id>`); a trace stored outside
    /// an MLflow experiment resolves to nothing (and is refused).
    pub async fn trace_experiment(&self, trace_id: &str) -> RuleResult<Option<String>> {
        let path = format!(
            "/api/3.0/mlflow/traces/{}",
            utf8_percent_encode(trace_id, COMPONENT)
        );
        let pointer = "/trace/trace_info/trace_location/mlflow_experiment/experiment_id";
        self.experiment_of(Kind::Trace, trace_id, &path, &[], pointer)
            .await
    }

    /// A registered model (or prompt) by name (`GET /api/2.0/mlflow/registered-models/get`).
    pub async fn registered_model(&self, name: &str) -> RuleResult<Option<RegisteredModelInfo>> {
        if name.is_empty() {
            return Ok(None);
        }
        let path = "/api/2.0/mlflow/registered-models/get";
        let Some(json) = self.read(path, &[("name", name)]).await? else {
            return Ok(None);
        };
        let model = json
            .get("registered_model")
            .ok_or_else(|| RuleError::Upstream(format!("GET {path}: no registered_model")))?;
        let stored = model
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(name)
            .to_string();
        Ok(Some(RegisteredModelInfo {
            name: stored,
            is_prompt: prompt_marker(model.get("tags")) == Some(true),
        }))
    }

    /// An experiment's id by name (`GET /api/2.0/mlflow/experiments/get-by-name`).
    pub async fn experiment_id_by_name(&self, name: &str) -> RuleResult<Option<String>> {
        let path = "/api/2.0/mlflow/experiments/get-by-name";
        let Some(json) = self.read(path, &[("experiment_name", name)]).await? else {
            return Ok(None);
        };
        let id = json
            .pointer("/experiment/experiment_id")
            .and_then(Value::as_str);
        id.map(|s| Some(s.to_string()))
            .ok_or_else(|| RuleError::Upstream(format!("GET {path}: no experiment_id")))
    }

    /// The experiments an evaluation dataset is linked to (`GET /api/3.0/mlflow/datasets/<id>/experiment-ids`);
    /// empty when the dataset does not exist.
    pub async fn dataset_experiments(&self, dataset_id: &str) -> RuleResult<Vec<String>> {
        if !plain_id(dataset_id) {
            return Ok(Vec::new());
        }
        let path = format!(
            "/api/3.0/mlflow/datasets/{}/experiment-ids",
            utf8_percent_encode(dataset_id, COMPONENT)
        );
        let Some(json) = self.read(&path, &[]).await? else {
            return Ok(Vec::new());
        };
        let ids = json
            .get("experiment_ids")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        ids.iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| RuleError::Upstream(format!("GET {path}: bad experiment id")))
            })
            .collect()
    }

    /// The experiment of an issue (`GET /api/3.0/mlflow/issues/<id>`).
    pub async fn issue_experiment(&self, issue_id: &str) -> RuleResult<Option<String>> {
        if !plain_id(issue_id) {
            return Ok(None);
        }
        let path = format!(
            "/api/3.0/mlflow/issues/{}",
            utf8_percent_encode(issue_id, COMPONENT)
        );
        let Some(json) = self.read(&path, &[]).await? else {
            return Ok(None);
        };
        let id = json
            .pointer("/issue/experiment_id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        id.map(|s| Some(s.to_string()))
            .ok_or_else(|| RuleError::Upstream(format!("GET {path}: no experiment_id")))
    }

    /// The experiment of a label schema (`GET /api/3.0/mlflow/label-schemas/get`).
    pub async fn label_schema_experiment(&self, schema_id: &str) -> RuleResult<Option<String>> {
        if !plain_id(schema_id) {
            return Ok(None);
        }
        let path = "/api/3.0/mlflow/label-schemas/get";
        let Some(json) = self.read(path, &[("schema_id", schema_id)]).await? else {
            return Ok(None);
        };
        let id = json
            .pointer("/label_schema/experiment_id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        id.map(|s| Some(s.to_string()))
            .ok_or_else(|| RuleError::Upstream(format!("GET {path}: no experiment_id")))
    }
}

/// The tag that marks a registered model (or version) as a prompt.
pub const IS_PROMPT_TAG: &str = "mlflow.prompt.is_prompt";

/// `_prompt_marker_in_tags`: the last `mlflow.prompt.is_prompt` tag's value, lowercased, is
/// `"true"`; `None` when no such tag. Accepts MLflow's `[{key, value}]` tag lists.
pub fn prompt_marker(tags: Option<&Value>) -> Option<bool> {
    let mut marker = None;
    for tag in tags.and_then(Value::as_array).into_iter().flatten() {
        if tag.get("key").and_then(Value::as_str) == Some(IS_PROMPT_TAG) {
            let value = tag.get("value").and_then(Value::as_str).unwrap_or("");
            marker = Some(value.to_lowercase() == "true");
        }
    }
    marker
}
