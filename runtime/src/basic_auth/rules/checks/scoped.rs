//! Evaluation datasets, issues and label schemas (reference §5.6): experiment-scoped
//! resources whose experiments are read through the upstream (`.../datasets/<id>/experiment-ids`,
//! `.../issues/<id>`, `.../label-schemas/get`).

use crate::basic_auth::permissions::{Action, ResourceType};

use super::{Allowed, Eval};
use crate::basic_auth::params::string_field;
use crate::basic_auth::rules::check::Check;
use crate::basic_auth::rules::error::{RuleError, RuleResult};

/// `experiment_ids` of a create/search/add request; at least one is required (MLflow denies
/// an unscoped request rather than listing every dataset).
fn requested_experiments(ev: &Eval<'_>) -> RuleResult<Vec<String>> {
    let ids = ev.params.list("experiment_ids")?;
    if ids.is_empty() {
        return Err(RuleError::Denied);
    }
    Ok(ids)
}

/// The point permission on every experiment meets `action`.
fn ensure_each(ev: &Eval<'_>, ids: &[String], action: Action) -> RuleResult<()> {
    for id in ids {
        ev.ensure_point(ResourceType::Experiment, id, action)?;
    }
    Ok(())
}

/// `_dataset_experiment_permissions` + `all(...)`: a dataset linked to no experiment (or
/// missing) is refused.
async fn ensure_dataset(ev: &Eval<'_>, action: Action) -> RuleResult<()> {
    let id = ev.params.require("dataset_id")?;
    let experiments = ev.resolver().dataset_experiments(&id).await?;
    ev.ensure(!experiments.is_empty())?;
    ensure_each(ev, &experiments, action)
}

pub(super) async fn evaluate(check: Check, ev: &Eval<'_>) -> RuleResult<Allowed> {
    match check {
        Check::Dataset(action) => ensure_dataset(ev, action).await?,
        Check::AddDatasetToExperiments => {
            ensure_dataset(ev, Action::Update).await?;
            ensure_each(ev, &requested_experiments(ev)?, Action::Update)?;
        }
        Check::CreateDataset => ensure_each(ev, &requested_experiments(ev)?, Action::Update)?,
        Check::SearchEvaluationDatasets => {
            ensure_each(ev, &requested_experiments(ev)?, Action::Read)?
        }
        Check::Issue(action) => {
            let id = ev.params.require("issue_id")?;
            let experiment = ev
                .resolver()
                .issue_experiment(&id)
                .await?
                .ok_or(RuleError::Denied)?;
            ev.ensure_point(ResourceType::Experiment, &experiment, action)?;
        }
        Check::CreateIssue => {
            let id = ev
                .params
                .body()
                .map(|b| string_field(b, "experiment_id"))
                .transpose()?
                .flatten();
            let id = id.filter(|s| !s.is_empty()).ok_or(RuleError::Denied)?;
            ev.ensure_point(ResourceType::Experiment, &id, Action::Update)?;
        }
        Check::SearchIssues => {
            let id = ev
                .params
                .get("experiment_id")?
                .filter(|s| !s.is_empty())
                .ok_or(RuleError::Denied)?;
            ev.ensure_point(ResourceType::Experiment, &id, Action::Read)?;
            let filter = ev.params.get("filter_string")?.unwrap_or_default();
            if crate::basic_auth::rules::scope::mentions(&filter, &["run"]) {
                ev.ensure(ev.grants.tier_not_denied(ResourceType::Run))?;
            }
        }
        Check::CreateLabelSchema => {
            let id = ev.params.require("experiment_id")?;
            ev.ensure_point(ResourceType::Experiment, &id, Action::Manage)?;
        }
        Check::LabelSchema(action) => {
            // A schema that does not exist is refused (MLflow raises 404: an existence oracle).
            let id = ev.params.require("schema_id")?;
            let experiment = ev
                .resolver()
                .label_schema_experiment(&id)
                .await?
                .ok_or(RuleError::Denied)?;
            ev.ensure_point(ResourceType::Experiment, &experiment, action)?;
        }
        _ => {
            return Err(RuleError::Internal(format!(
                "{check:?} routed to the dataset/issue checks"
            )))
        }
    }
    Ok(Allowed::plain())
}
