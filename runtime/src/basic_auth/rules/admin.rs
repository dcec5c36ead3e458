//! Admins skip every validator (reference §4.1), but MLflow still runs its after-request side
//! effects for them (creator grants, grant renames and sweeps; the response filters return
//! early for admins), and 3.18 enforces its model-name rules for admins too.

use std::sync::Arc;

use axum::extract::Request;

use crate::basic_auth::app::BasicAuthCore;
use crate::host_app::{HostDecision, ResponseHook};
use crate::proxy::prepare::RequestContext;
use crate::store::User;

use super::body::{buffer_request, rebuild_request, MAX_JSON_BODY};
use super::check::Check;
use super::checks::{check_rename_rules, reject_reserved_name};
use super::error::RuleResult;
use super::hooks::{self, HookCtx};
use super::matcher::Matched;
use crate::basic_auth::params::Params;

/// The decision for an admin: forward, with the side-effect hook MLflow runs for the route.
pub async fn decide(
    core: &Arc<BasicAuthCore>,
    caller: &User,
    ctx: &RequestContext,
    matched: Option<Matched>,
    req: Request,
) -> RuleResult<HostDecision> {
    let Some(matched) = matched else {
        return Ok(HostDecision::Forward(req, None));
    };
    let hc = HookCtx {
        core: core.clone(),
        ctx: ctx.clone(),
        username: caller.username.clone(),
    };
    let hook: ResponseHook = match matched.check {
        Check::CreateExperiment => hooks::grant_experiment_creator(hc),
        Check::RegisterScorer => hooks::grant_scorer_creator(hc),
        Check::CreateRegisteredModel
        | Check::RenameRegisteredModel
        | Check::DeleteRegisteredModel
        | Check::DeleteScorer => {
            let method = req.method().as_str().to_string();
            let (parts, bytes) = buffer_request(req, MAX_JSON_BODY).await?;
            let params = Params::new(&method, &ctx.query, Some(&bytes), matched.captures.clone())?;
            let hook = body_hook(core, hc, matched.check, &params).await?;
            return Ok(HostDecision::Forward(rebuild_request(parts, bytes), hook));
        }
        _ => return Ok(HostDecision::Forward(req, None)),
    };
    Ok(HostDecision::Forward(req, Some(hook)))
}

/// The hooks that need the request's own parameters.
async fn body_hook(
    core: &Arc<BasicAuthCore>,
    hc: HookCtx,
    check: Check,
    params: &Params,
) -> RuleResult<Option<ResponseHook>> {
    Ok(match check {
        Check::CreateRegisteredModel => {
            if let Some(name) = params.get("name")? {
                reject_reserved_name(&name)?;
            }
            Some(hooks::grant_registered_model_creator(hc))
        }
        Check::RenameRegisteredModel => match (params.get("name")?, params.get("new_name")?) {
            (Some(name), Some(new_name)) => {
                check_rename_rules(core, &name, &new_name).await?;
                Some(hooks::rename_registered_model_grants(hc, name, new_name))
            }
            // The upstream refuses the rename itself; nothing to move.
            _ => None,
        },
        Check::DeleteRegisteredModel => params
            .get("name")?
            .map(|name| hooks::sweep_registered_model_grants(hc, name)),
        Check::DeleteScorer => match (params.get("experiment_id")?, params.get("name")?) {
            (Some(experiment), Some(name)) => {
                Some(hooks::sweep_scorer_grants(hc, experiment, name))
            }
            _ => None,
        },
        _ => None,
    })
}
