//! Experiments (reference §5.2) and the experiment-scoped odds and ends (search-datasets,
//! online scoring configuration).

use serde_json::{Map, Value};

use crate::basic_auth::permissions::{Action, Requirement, ResourceType};

use super::{hook_ctx, Allowed, Eval, Rewrite};
use crate::basic_auth::params::string_field;
use crate::basic_auth::rules::check::Check;
use crate::basic_auth::rules::error::{RuleError, RuleResult};
use crate::basic_auth::rules::hooks::grant_experiment_creator;
use crate::basic_auth::rules::scope::{experiment_scope, scoped_filter};

/// Every experiment-scoped tier a delete (or restore) of the experiment reaches.
const EXPERIMENT_CASCADE_TIERS: [ResourceType; 7] = [
    ResourceType::Run,
    ResourceType::Trace,
    ResourceType::LoggedModel,
    ResourceType::Assessment,
    ResourceType::ReviewQueue,
    ResourceType::Scorer,
    ResourceType::ScorerVersion,
];

pub(super) async fn evaluate(check: Check, ev: &Eval<'_>) -> RuleResult<Allowed> {
    match check {
        Check::CreateExperiment => {
            // Workspaces are disabled, so creating is always possible; the type may be vetoed.
            ev.ensure(ev.grants.tier_not_denied(ResourceType::Experiment))?;
            Ok(Allowed::with_hook(grant_experiment_creator(hook_ctx(ev))))
        }
        Check::ReadExperiment => point_on_param(ev, Action::Read),
        Check::UpdateExperiment => point_on_param(ev, Action::Update),
        Check::ReadExperimentByName => {
            let name = ev.params.require("experiment_name")?;
            let Some(id) = ev.resolver().experiment_id_by_name(&name).await? else {
                return Err(RuleError::NotFound(format!(
                    "Could not find experiment with name {name}"
                )));
            };
            ev.ensure_point(ResourceType::Experiment, &id, Action::Read)?;
            Ok(Allowed::plain())
        }
        Check::DeleteExperiment => {
            let id = ev.params.require("experiment_id")?;
            let mut requirements = vec![Requirement::new(
                ResourceType::Experiment,
                id.as_str(),
                Action::Delete,
            )];
            requirements.extend(EXPERIMENT_CASCADE_TIERS.iter().map(|tier| {
                Requirement::new(*tier, "*", Action::Delete)
                    .or_fallback(ResourceType::Experiment, id.as_str())
            }));
            ev.ensure_all(&requirements)?;
            Ok(Allowed::plain())
        }
        Check::SearchExperiments => search_experiments(ev),
        Check::UpdateOnlineScoringConfig => {
            // MLflow reads the raw body; no experiment id denies rather than erroring.
            let id = ev
                .params
                .body()
                .map(|b| string_field(b, "experiment_id"))
                .transpose()?
                .flatten();
            let id = id.filter(|s| !s.is_empty()).ok_or(RuleError::Denied)?;
            ev.ensure_point(ResourceType::Experiment, &id, Action::Update)?;
            Ok(Allowed::plain())
        }
        Check::SearchDatasets => {
            let ids = ev.params.list("experiment_ids")?;
            if ids.is_empty() {
                return Err(RuleError::InvalidParameter(
                    "SearchDatasets request must specify at least one experiment_id.".into(),
                ));
            }
            for id in &ids {
                ev.ensure_point(ResourceType::Experiment, id, Action::Read)?;
            }
            Ok(Allowed::plain())
        }
        _ => Err(RuleError::Internal(format!(
            "{check:?} routed to the experiment checks"
        ))),
    }
}

fn point_on_param(ev: &Eval<'_>, action: Action) -> RuleResult<Allowed> {
    let id = ev.params.require("experiment_id")?;
    ev.ensure_point(ResourceType::Experiment, &id, action)?;
    Ok(Allowed::plain())
}

/// The `SearchExperiments` fields a `GET` query carries (all but `order_by` are scalars).
const SEARCH_EXPERIMENT_SCALARS: [&str; 4] = ["max_results", "page_token", "filter", "view_type"];

/// Any caller may search; the filter is narrowed to what they may read.
fn search_experiments(ev: &Eval<'_>) -> RuleResult<Allowed> {
    let scope = experiment_scope(ev.grants);
    let original = ev.params.get("filter")?.unwrap_or_default();
    let Some(filter) = scoped_filter(&original, &scope)? else {
        return Ok(Allowed::plain());
    };
    let reads_query = ev.method == "GET" && !ev.params.get_reads_body();
    let rewrite = if reads_query {
        // The GET handler reads the query; its POST twin reads only the body, so the rewritten
        // search is forwarded as that POST (the forwarder sends the query unchanged).
        let mut body = Map::new();
        for name in SEARCH_EXPERIMENT_SCALARS {
            if let Some(value) = ev.params.query_one(name)? {
                body.insert(name.to_string(), Value::String(value));
            }
        }
        let order_by = ev.params.query_all("order_by");
        if !order_by.is_empty() {
            body.insert(
                "order_by".into(),
                Value::Array(order_by.into_iter().map(Value::String).collect()),
            );
        }
        body.insert("filter".into(), Value::String(filter));
        Rewrite::GetAsPost(Value::Object(body))
    } else {
        let mut body = ev.params.body().cloned().unwrap_or_default();
        body.insert("filter".into(), Value::String(filter));
        Rewrite::Body(Value::Object(body))
    };
    Ok(Allowed {
        rewrite: Some(rewrite),
        hook: None,
    })
}
