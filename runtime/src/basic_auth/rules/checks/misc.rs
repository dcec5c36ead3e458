//! Scorers (reference §5.6), the workspace listing and the gateway secrets config (§5.7).

use serde_json::Value;

use crate::basic_auth::permissions::{Action, Requirement, ResourceType, DEFAULT_WORKSPACE};
use crate::store::scorer_pattern;

use super::{hook_ctx, Allowed, Eval};
use crate::basic_auth::rules::check::Check;
use crate::basic_auth::rules::engine::Grants;
use crate::basic_auth::rules::error::{RuleError, RuleResult};
use crate::basic_auth::rules::hooks::{
    grant_scorer_creator, on_success, retain_array, sweep_scorer_grants,
};

pub(super) async fn evaluate(check: Check, ev: &Eval<'_>) -> RuleResult<Allowed> {
    match check {
        Check::RegisterScorer => {
            let (experiment, name) = scorer_params(ev)?;
            ev.ensure_all(&[
                Requirement::new(
                    ResourceType::Experiment,
                    experiment.as_str(),
                    Action::Update,
                ),
                Requirement::new(
                    ResourceType::Scorer,
                    scorer_pattern(&experiment, &name),
                    Action::NotDenied,
                ),
                Requirement::new(ResourceType::ScorerVersion, "*", Action::NotDenied),
            ])?;
            Ok(Allowed::with_hook(grant_scorer_creator(hook_ctx(ev))))
        }
        Check::ReadScorer => {
            let (experiment, name) = scorer_params(ev)?;
            let key = scorer_pattern(&experiment, &name);
            ev.ensure_point(ResourceType::Scorer, &key, Action::Read)?;
            ev.ensure_all(&[versions_of(&key, Action::NotDenied)])?;
            Ok(Allowed::plain())
        }
        Check::DeleteScorer => {
            let (experiment, name) = scorer_params(ev)?;
            let key = scorer_pattern(&experiment, &name);
            // One version: the scorer is only addressed (read); the whole scorer: delete.
            let addressed = if ev.params.has("version")? {
                Action::Read
            } else {
                Action::Delete
            };
            ev.ensure_point(ResourceType::Scorer, &key, addressed)?;
            ev.ensure_all(&[versions_of(&key, Action::Delete)])?;
            Ok(Allowed::with_hook(sweep_scorer_grants(
                hook_ctx(ev),
                experiment,
                name,
            )))
        }
        Check::ListScorers => {
            let named = match ev.method {
                "GET" if !ev.params.get_reads_body() => {
                    ev.params.query_all("experiment_id").into_iter().next()
                }
                _ => ev.params.get("experiment_id")?,
            };
            if named.is_some_and(|id| !id.is_empty()) {
                let id = ev.params.require("experiment_id")?;
                ev.ensure_point(ResourceType::Experiment, &id, Action::Read)?;
                return Ok(Allowed::plain());
            }
            Ok(Allowed::with_hook(list_scorers_filter(ev)))
        }
        Check::ListWorkspaces => {
            let user_id = ev.caller.id;
            let hook = on_success(hook_ctx(ev), move |hc, mut json: Value| async move {
                let mut allowed = hc
                    .core
                    .store
                    .list_accessible_workspace_names(user_id)
                    .await?;
                if hc.core.config.grant_default_workspace_access {
                    allowed.insert(DEFAULT_WORKSPACE.to_string());
                }
                let visible = |w: &Value| {
                    w.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| allowed.contains(n))
                };
                Ok(retain_array(&mut json, "workspaces", visible).then_some(json))
            });
            Ok(Allowed::with_hook(hook))
        }
        Check::SecretsConfig => {
            // `redact_secrets_config_for_non_admins`: the default-passphrase flag is admin-only.
            let hook = on_success(hook_ctx(ev), |_hc, mut json: Value| async move {
                let removed = json
                    .as_object_mut()
                    .and_then(|o| o.remove("using_default_passphrase"));
                Ok(removed.map(|_| json))
            });
            Ok(Allowed::with_hook(hook))
        }
        _ => Err(RuleError::Internal(format!(
            "{check:?} routed to the scorer checks"
        ))),
    }
}

/// `experiment_id` and `name` of a scorer route.
fn scorer_params(ev: &Eval<'_>) -> RuleResult<(String, String)> {
    Ok((
        ev.params.require("experiment_id")?,
        ev.params.require("name")?,
    ))
}

/// `(scorer_version, *, action)` falling back to the scorer itself.
fn versions_of(key: &str, action: Action) -> Requirement {
    Requirement::new(ResourceType::ScorerVersion, "*", action)
        .or_fallback(ResourceType::Scorer, key)
}

/// Whether a `ListScorers` row stays (`filter_list_scorers`).
pub fn scorer_row_visible(grants: &Grants, row: &Value) -> bool {
    let experiment = match row.get("experiment_id") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => return false,
    };
    let Some(name) = row.get("scorer_name").and_then(Value::as_str) else {
        return false;
    };
    grants.tier_not_denied(ResourceType::ScorerVersion)
        && grants.lists(ResourceType::Experiment, &experiment)
        && grants.lists(ResourceType::Scorer, &scorer_pattern(&experiment, name))
}

/// The cross-experiment listing keeps the scorers the caller may read.
fn list_scorers_filter(ev: &Eval<'_>) -> crate::host_app::ResponseHook {
    let grants = ev.grants.clone();
    on_success(hook_ctx(ev), move |_hc, mut json: Value| async move {
        Ok(
            retain_array(&mut json, "scorers", |row| scorer_row_visible(&grants, row))
                .then_some(json),
        )
    })
}
