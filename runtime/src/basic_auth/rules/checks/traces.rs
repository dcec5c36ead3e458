//! Traces and assessments (reference §5.6): a trace resolves to its experiment through the
//! upstream; searches need read on every named experiment, plus read on each sub-resource
//! tier their filter or sort may select on (judged on the text, conservatively: a filter that
//! mentions "run", "model", "feedback" or "expectation" is taken to select on that tier).

use serde_json::{Map, Value};

use crate::basic_auth::permissions::{Action, Requirement, ResourceType};

use super::runs::run_requirements;
use super::{Allowed, Eval};
use crate::basic_auth::params::{field, string_field, string_list_field};
use crate::basic_auth::rules::check::{Check, TraceId};
use crate::basic_auth::rules::engine::{
    bulk_in_experiments, child_of_experiment, create_in_experiment,
};
use crate::basic_auth::rules::error::{RuleError, RuleResult};
use crate::basic_auth::rules::scope::selected_tiers;

/// Most trace ids one batch call may name (each is resolved upstream).
const MAX_BATCH_TRACES: usize = 1000;
/// `MetricViewType.ASSESSMENTS`.
const ASSESSMENTS_VIEW: i64 = 3;

/// `_authorize_trace_search`: read on each experiment's traces plus each selected tier.
fn trace_search_requirements(
    experiment_ids: &[String],
    tiers: &[ResourceType],
) -> RuleResult<Vec<Requirement>> {
    let mut requirements = bulk_in_experiments(experiment_ids, ResourceType::Trace, Action::Read)
        .ok_or(RuleError::Denied)?;
    for id in experiment_ids {
        for tier in tiers {
            requirements.push(
                Requirement::new(*tier, "*", Action::Read)
                    .or_fallback(ResourceType::Experiment, id.as_str()),
            );
        }
    }
    Ok(requirements)
}

/// A nested object by its proto name or JSON name (absent or null → `None`).
fn object<'a>(
    obj: &'a Map<String, Value>,
    name: &str,
) -> RuleResult<Option<&'a Map<String, Value>>> {
    match field(obj, name)? {
        None => Ok(None),
        Some(Value::Object(inner)) => Ok(Some(inner)),
        Some(_) => Err(RuleError::InvalidParameter(format!(
            "Parameter '{name}' must be an object."
        ))),
    }
}

/// `trace.trace_info.trace_location.mlflow_experiment.experiment_id` of a `StartTraceV3` body.
fn v3_experiment_and_assessments(body: &Map<String, Value>) -> RuleResult<(Option<String>, bool)> {
    let Some(info) = object(body, "trace")?
        .map(|t| object(t, "trace_info"))
        .transpose()?
        .flatten()
    else {
        return Ok((None, false));
    };
    let has_assessments =
        matches!(field(info, "assessments")?, Some(Value::Array(items)) if !items.is_empty());
    let location = object(info, "trace_location")?;
    let experiment = location
        .map(|l| object(l, "mlflow_experiment"))
        .transpose()?
        .flatten();
    let id = experiment
        .map(|e| string_field(e, "experiment_id"))
        .transpose()?
        .flatten();
    Ok((id.filter(|s| !s.is_empty()), has_assessments))
}

async fn experiment_of_trace(ev: &Eval<'_>, trace_id: &str) -> RuleResult<String> {
    ev.resolver()
        .trace_experiment(trace_id)
        .await?
        .ok_or(RuleError::Denied)
}

async fn experiments_of_traces(ev: &Eval<'_>, trace_ids: &[String]) -> RuleResult<Vec<String>> {
    if trace_ids.len() > MAX_BATCH_TRACES {
        return Err(RuleError::InvalidParameter(format!(
            "At most {MAX_BATCH_TRACES} trace ids may be requested at once."
        )));
    }
    let mut experiments = Vec::with_capacity(trace_ids.len());
    for id in trace_ids {
        experiments.push(experiment_of_trace(ev, id).await?);
    }
    Ok(experiments)
}

fn body(ev: &Eval<'_>) -> Map<String, Value> {
    ev.params.body().cloned().unwrap_or_default()
}

pub(super) async fn evaluate(check: Check, ev: &Eval<'_>) -> RuleResult<Allowed> {
    let requirements = match check {
        Check::StartTrace => {
            create_in_experiment(&ev.params.require("experiment_id")?, ResourceType::Trace)
        }
        Check::OtlpTraces => {
            let values: Vec<&str> = ev
                .headers
                .get_all("x-mlflow-experiment-id")
                .iter()
                .map(|v| {
                    v.to_str()
                        .map_err(|_| RuleError::conflicting("X-Mlflow-Experiment-Id"))
                })
                .collect::<RuleResult<_>>()?;
            let Some(first) = values.first().filter(|v| !v.is_empty()) else {
                return Err(RuleError::InvalidParameter(
                    "Missing required header: X-Mlflow-Experiment-Id".into(),
                ));
            };
            if values.iter().any(|v| v != first) {
                return Err(RuleError::conflicting("X-Mlflow-Experiment-Id"));
            }
            create_in_experiment(first, ResourceType::Trace)
        }
        Check::StartTraceV3 => {
            let (id, has_assessments) = v3_experiment_and_assessments(&body(ev))?;
            let mut requirements =
                create_in_experiment(&id.ok_or(RuleError::Denied)?, ResourceType::Trace);
            if has_assessments {
                requirements.push(Requirement::new(
                    ResourceType::Assessment,
                    "*",
                    Action::NotDenied,
                ));
            }
            requirements
        }
        Check::Trace(source, action) => {
            let id = match source {
                TraceId::PathRequestId => ev.params.require("request_id")?,
                TraceId::PathTraceId => ev.params.require("trace_id")?,
                TraceId::ParamTraceId => ev.params.require("trace_id")?,
            };
            child_of_experiment(
                ResourceType::Trace,
                &experiment_of_trace(ev, &id).await?,
                action,
            )
        }
        Check::TraceArtifact => {
            let id = ev.params.query_one("request_id")?.filter(|s| !s.is_empty());
            let id = id.ok_or_else(|| {
                RuleError::InvalidParameter("Request must specify request_id parameter".into())
            })?;
            child_of_experiment(
                ResourceType::Trace,
                &experiment_of_trace(ev, &id).await?,
                Action::Read,
            )
        }
        Check::SearchTraces => {
            let filters: Vec<String> = ev.params.get("filter")?.into_iter().collect();
            let tiers = selected_tiers(&filters, &ev.params.list("order_by")?);
            trace_search_requirements(&ev.params.list("experiment_ids")?, &tiers)?
        }
        Check::SearchTracesV3 => {
            let body = body(ev);
            let mut experiment_ids = Vec::new();
            if let Some(Value::Array(locations)) = field(&body, "locations")? {
                for location in locations {
                    let Value::Object(location) = location else {
                        return Err(RuleError::Denied);
                    };
                    if let Some(experiment) = object(location, "mlflow_experiment")? {
                        experiment_ids.extend(
                            string_field(experiment, "experiment_id")?.filter(|s| !s.is_empty()),
                        );
                    }
                }
            }
            let filters: Vec<String> = string_field(&body, "filter")?.into_iter().collect();
            let tiers = selected_tiers(&filters, &string_list_field(&body, "order_by")?);
            trace_search_requirements(&experiment_ids, &tiers)?
        }
        Check::TraceFilterCorrelation => {
            let body = body(ev);
            let mut filters = Vec::new();
            for name in ["filter_string1", "filter_string2", "base_filter"] {
                filters.extend(string_field(&body, name)?);
            }
            let tiers = selected_tiers(&filters, &[]);
            trace_search_requirements(&string_list_field(&body, "experiment_ids")?, &tiers)?
        }
        Check::QueryTraceMetrics => {
            let body = body(ev);
            let ids = string_list_field(&body, "experiment_ids")?;
            let mut requirements = bulk_in_experiments(&ids, ResourceType::Trace, Action::Read)
                .ok_or(RuleError::Denied)?;
            let view = field(&body, "view_type")?;
            let assessments = match view {
                None => false,
                Some(Value::String(name)) => {
                    name == "ASSESSMENTS" || name.parse::<i64>().ok() == Some(ASSESSMENTS_VIEW)
                }
                Some(Value::Number(n)) => n.as_i64() == Some(ASSESSMENTS_VIEW),
                Some(_) => true,
            };
            if assessments {
                for id in &ids {
                    requirements.push(
                        Requirement::new(ResourceType::Assessment, "*", Action::Read)
                            .or_fallback(ResourceType::Experiment, id.as_str()),
                    );
                }
            }
            requirements
        }
        Check::BatchGetTraces => {
            let experiments = experiments_of_traces(ev, &ev.params.list("trace_ids")?).await?;
            bulk_in_experiments(&experiments, ResourceType::Trace, Action::Read)
                .ok_or(RuleError::Denied)?
        }
        Check::LinkTracesToRun => {
            let mut requirements =
                run_requirements(ev, &ev.params.require("run_id")?, Action::Update).await?;
            let experiments = experiments_of_traces(ev, &ev.params.list("trace_ids")?).await?;
            requirements.extend(
                bulk_in_experiments(&experiments, ResourceType::Trace, Action::Read)
                    .ok_or(RuleError::Denied)?,
            );
            requirements
        }
        Check::DeleteTraces => {
            let id = ev.params.require("experiment_id")?;
            vec![
                Requirement::new(ResourceType::Experiment, id.as_str(), Action::Read),
                Requirement::new(ResourceType::Trace, "*", Action::Delete).or_fallback_requiring(
                    ResourceType::Experiment,
                    id.as_str(),
                    Action::Delete,
                ),
                Requirement::new(ResourceType::Assessment, "*", Action::Delete)
                    .or_fallback_requiring(ResourceType::Experiment, id.as_str(), Action::Update),
            ]
        }
        Check::CreateAssessment => return create_assessment(ev).await,
        Check::Assessment(action) => {
            let trace_id = ev.params.require("trace_id")?;
            let experiment = experiment_of_trace(ev, &trace_id).await?;
            let e = experiment.as_str();
            let assessment = Requirement::new(ResourceType::Assessment, "*", action);
            let assessment = match action {
                Action::Delete => {
                    assessment.or_fallback_requiring(ResourceType::Experiment, e, Action::Update)
                }
                _ => assessment.or_fallback(ResourceType::Experiment, e),
            };
            let mut requirements = child_of_experiment(ResourceType::Trace, e, Action::Read);
            requirements.push(assessment);
            requirements
        }
        _ => {
            return Err(RuleError::Internal(format!(
                "{check:?} routed to the trace checks"
            )))
        }
    };
    ev.ensure_all(&requirements)?;
    Ok(Allowed::plain())
}

/// `validate_can_create_assessment`: the caller reads the experiment and the trace, the
/// assessment tier is not vetoed, and either the experiment or the trace tier confers update.
async fn create_assessment(ev: &Eval<'_>) -> RuleResult<Allowed> {
    let trace_id = ev.params.require("trace_id")?;
    let experiment = experiment_of_trace(ev, &trace_id).await?;
    let mut addressing = child_of_experiment(ResourceType::Trace, &experiment, Action::Read);
    addressing.push(Requirement::new(
        ResourceType::Assessment,
        "*",
        Action::NotDenied,
    ));
    ev.ensure_all(&addressing)?;
    let experiment_write = Requirement::new(
        ResourceType::Experiment,
        experiment.as_str(),
        Action::Update,
    );
    let trace_write = Requirement::new(ResourceType::Trace, "*", Action::Update);
    ev.ensure(ev.grants.satisfies(&experiment_write) || ev.grants.satisfies(&trace_write))?;
    Ok(Allowed::plain())
}
