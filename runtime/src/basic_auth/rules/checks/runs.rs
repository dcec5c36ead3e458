//! Runs, metrics, run artifacts and logged models (reference §5.3, §5.4).

use serde_json::Value;

use crate::basic_auth::permissions::{Action, Requirement, ResourceType};

use super::{Allowed, Eval, Rewrite};
use crate::basic_auth::params::{field, string_field};
use crate::basic_auth::rules::check::{Check, ModelRefs};
use crate::basic_auth::rules::engine::{
    bulk_in_experiments, child_of_experiment, create_in_experiment,
};
use crate::basic_auth::rules::error::{RuleError, RuleResult};
use crate::basic_auth::rules::scope::{experiment_readable_with, narrow_experiment_ids};

/// Most run ids one bulk metric-history call may name (each is resolved upstream).
const MAX_BULK_RUNS: usize = 1000;

pub(super) async fn evaluate(check: Check, ev: &Eval<'_>) -> RuleResult<Allowed> {
    match check {
        Check::CreateRun { promptlab } => {
            let id = ev.params.get("experiment_id")?;
            let id = match id {
                Some(id) if !promptlab || !id.is_empty() => id,
                _ if promptlab => {
                    let message = "CreatePromptlabRun request must specify experiment_id.";
                    return Err(RuleError::InvalidParameter(message.into()));
                }
                _ => return Err(RuleError::missing("experiment_id")),
            };
            ev.ensure_all(&create_in_experiment(&id, ResourceType::Run))?;
        }
        Check::Run(action) => {
            let run_id = ev.params.require("run_id")?;
            ev.ensure_all(&run_requirements(ev, &run_id, action).await?)?;
        }
        Check::LogToRun(refs) => {
            let run_id = ev.params.require("run_id")?;
            let mut requirements = run_requirements(ev, &run_id, Action::Update).await?;
            for model_id in referenced_models(ev, refs)? {
                requirements
                    .extend(logged_model_requirements(ev, &model_id, Action::Update).await?);
            }
            ev.ensure_all(&requirements)?;
        }
        Check::PresignedUpload => {
            let (run_id, model_id) = (
                non_empty(ev.params.get("run_id")?),
                non_empty(ev.params.get("model_id")?),
            );
            let requirements = match (run_id, model_id) {
                (Some(run_id), None) => run_requirements(ev, &run_id, Action::Update).await?,
                (None, Some(model_id)) => {
                    logged_model_requirements(ev, &model_id, Action::Update).await?
                }
                _ => {
                    let message = "Exactly one of run_id and model_id must be provided.";
                    return Err(RuleError::InvalidParameter(message.into()));
                }
            };
            ev.ensure_all(&requirements)?;
        }
        Check::SearchRuns => return narrow_body_experiments(ev, ResourceType::Run),
        Check::RunArtifactRead | Check::RunArtifactUpload => {
            // `GET /get-artifact` reads `run_id or run_uuid`; the upload handler reads only
            // `run_uuid`: both spellings must agree, or the request is refused.
            let ids: Vec<String> = ["run_id", "run_uuid"]
                .iter()
                .map(|name| ev.params.query_one(name))
                .collect::<RuleResult<Vec<_>>>()?
                .into_iter()
                .flatten()
                .filter(|id| !id.is_empty())
                .collect();
            if ids.windows(2).any(|pair| pair[0] != pair[1]) {
                return Err(RuleError::conflicting("run_id"));
            }
            let Some(run_id) = ids.into_iter().next() else {
                let message = "Request must specify run_id or run_uuid parameter";
                return Err(RuleError::InvalidParameter(message.into()));
            };
            let action = if check == Check::RunArtifactRead {
                Action::Read
            } else {
                Action::Update
            };
            ev.ensure_all(&run_requirements(ev, &run_id, action).await?)?;
        }
        Check::MetricHistoryBulk { interval } => {
            let (param, name) = if interval {
                ("run_ids", "GetMetricHistoryBulkInterval")
            } else {
                ("run_id", "GetMetricHistoryBulk")
            };
            let run_ids = ev.params.query_all(param);
            if run_ids.is_empty() {
                return Err(RuleError::InvalidParameter(format!(
                    "{name} request must specify at least one run_id."
                )));
            }
            if run_ids.len() > MAX_BULK_RUNS {
                return Err(RuleError::InvalidParameter(format!(
                    "{name} accepts at most {MAX_BULK_RUNS} run ids."
                )));
            }
            let mut experiments = Vec::with_capacity(run_ids.len());
            for run_id in &run_ids {
                // Here a missing run is a 404, as in MLflow (the validator calls get_run).
                match ev.resolver().run_experiment(run_id).await? {
                    Some(experiment) => experiments.push(experiment),
                    None => {
                        return Err(RuleError::NotFound(format!(
                            "Run with id={run_id} not found"
                        )))
                    }
                }
            }
            let requirements = bulk_in_experiments(&experiments, ResourceType::Run, Action::Read)
                .ok_or(RuleError::Denied)?;
            ev.ensure_all(&requirements)?;
        }
        Check::CreateLoggedModel => {
            let id = ev.params.require("experiment_id")?;
            let mut requirements = create_in_experiment(&id, ResourceType::LoggedModel);
            if let Some(source_run_id) = non_empty(ev.params.get("source_run_id")?) {
                requirements.extend(run_requirements(ev, &source_run_id, Action::Read).await?);
            }
            ev.ensure_all(&requirements)?;
        }
        Check::LoggedModel(action) => {
            let model_id = ev.params.require("model_id")?;
            ev.ensure_all(&logged_model_requirements(ev, &model_id, action).await?)?;
        }
        Check::SearchLoggedModels => {
            let filter = ev.params.get("filter")?.unwrap_or_default();
            if crate::basic_auth::rules::scope::mentions(&filter, &["run"]) {
                ev.ensure(ev.grants.tier_not_denied(ResourceType::Run))?;
            }
            return narrow_body_experiments(ev, ResourceType::LoggedModel);
        }
        _ => {
            return Err(RuleError::Internal(format!(
                "{check:?} routed to the run checks"
            )))
        }
    }
    Ok(Allowed::plain())
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|s| !s.is_empty())
}

/// `_run_requirement`: experiment read plus `(run, action)` falling back to it; a run that
/// does not exist is refused (no existence oracle).
pub(super) async fn run_requirements(
    ev: &Eval<'_>,
    run_id: &str,
    action: Action,
) -> RuleResult<Vec<Requirement>> {
    let experiment = ev
        .resolver()
        .run_experiment(run_id)
        .await?
        .ok_or(RuleError::Denied)?;
    Ok(child_of_experiment(ResourceType::Run, &experiment, action))
}

/// `_authorize_logged_model_id`: the model's own experiment read plus `(logged_model, action)`.
pub(super) async fn logged_model_requirements(
    ev: &Eval<'_>,
    model_id: &str,
    action: Action,
) -> RuleResult<Vec<Requirement>> {
    let experiment = ev
        .resolver()
        .logged_model_experiment(model_id)
        .await?
        .ok_or(RuleError::Denied)?;
    Ok(child_of_experiment(
        ResourceType::LoggedModel,
        &experiment,
        action,
    ))
}

/// The distinct, non-empty logged-model ids a metric-writing body references.
fn referenced_models(ev: &Eval<'_>, refs: ModelRefs) -> RuleResult<Vec<String>> {
    let Some(body) = ev.params.body() else {
        return Ok(Vec::new());
    };
    let mut ids = Vec::new();
    match refs {
        ModelRefs::Metric => ids.extend(string_field(body, "model_id")?),
        ModelRefs::Batch | ModelRefs::Models => {
            let list = if refs == ModelRefs::Batch {
                "metrics"
            } else {
                "models"
            };
            match field(body, list)? {
                None => {}
                Some(Value::Array(items)) => {
                    for item in items {
                        let Value::Object(entry) = item else {
                            return Err(RuleError::InvalidParameter(format!(
                                "Entries of '{list}' must be objects."
                            )));
                        };
                        ids.extend(string_field(entry, "model_id")?);
                    }
                }
                Some(_) => {
                    return Err(RuleError::InvalidParameter(format!(
                        "Parameter '{list}' must be a list."
                    )))
                }
            }
        }
    }
    ids.retain(|id| !id.is_empty());
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Any caller may search; the body's `experiment_ids` keep only readable experiments whose
/// `tier` is not vetoed (MLflow filters them inside the handler or before it).
fn narrow_body_experiments(ev: &Eval<'_>, tier: ResourceType) -> RuleResult<Allowed> {
    let Some(body) = ev.params.body() else {
        return Ok(Allowed::plain());
    };
    let mut body = body.clone();
    if !narrow_experiment_ids(&mut body, experiment_readable_with(ev.grants, tier))? {
        return Ok(Allowed::plain());
    }
    Ok(Allowed {
        rewrite: Some(Rewrite::Body(Value::Object(body))),
        hook: None,
    })
}
