//! MLflow's authorization rules applied from the outside, as a proxy (reference §4–§6,
//! Appendix A.1–A.3), for the basic-auth app.
//!
//! Per authenticated request:
//! 1. the route is found in the data-driven [`table`] (`method`, path suffix after
//!    `/api/<v>` or `/ajax-api/<v>`, versions → [`check::Check`]);
//! 2. admins pass, with the side effects MLflow runs for them too ([`admin`]);
//! 3. for everyone else an unmapped route is refused (fail closed); otherwise the JSON body is
//!    buffered (bounded), the parameters are extracted the way MLflow's handlers read them
//!    ([`crate::basic_auth::params`], ambiguity refused), the resources are resolved
//!    through the upstream's read API ([`resolve`], [`lookups`]), the caller's grants are
//!    loaded once ([`engine`]) and the check runs ([`checks`]);
//! 4. an allowed request is forwarded, possibly rewritten (search scoping, [`scope`]), with a
//!    response hook (creator grants, grant renames/sweeps, listing filters, registry page
//!    refill, redaction of references into vetoed tiers: [`hooks`], [`refill`], [`redact`]).
//!
//! Every error on the way refuses the request ([`error::RuleError::into_http`]).
//!
//! Decisions that differ from MLflow 3.18 on purpose (all stricter):
//! * `/graphql` is refused for non-admins: MLflow authorizes it per field inside its GraphQL
//!   middleware, which a proxy cannot reproduce from the outside.
//! * routes whose validator or response filter mlauth does not reproduce (review queues,
//!   gateway secrets/endpoints/model definitions/bindings/guardrails on endpoints, jobs,
//!   prompt-optimization job creation, online scoring reads, scorer / GenAI evaluation /
//!   issue-detection invocation, FastAPI-native gateway/assistant/MCP/jobs routes) are refused
//!   for non-admins.
//! * a path parameter repeated in the body or query with another value is a 400 (MLflow's
//!   `FinalizeLoggedModel` authorizes the path's `model_id` but acts on the body's).
//! * a parameter that MLflow's validator and handler could read differently (`run_id` vs
//!   `run_uuid`, snake vs camelCase, query vs body on `DELETE`, a repeated query key) is a 400.
//! * artifact proxy paths naming no experiment are refused instead of falling back to
//!   `default_permission`; `models:/` sources and artifact paths that Python could parse
//!   differently are refused; `CreateRegisteredModel`/rename to `*` is refused (3.18).
//! * search filters of `SearchRegisteredModels`/`SearchModelVersions`/`SearchLoggedModels`/trace
//!   searches are judged on their text, conservatively (a filter mentioning "run" needs the run
//!   tier), since MLflow's filter parsers are not reproduced.

pub mod admin;
pub mod body;
pub mod check;
pub mod checks;
pub mod engine;
pub mod error;
pub mod hooks;
pub mod lookups;
pub mod matcher;
pub mod models_uri;
pub mod redact;
pub mod refill;
pub mod resolve;
pub mod scope;
pub mod table;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use axum::extract::Request;
use axum::response::Response;

use super::app::BasicAuthCore;
use crate::host_app::HostDecision;
use crate::proxy::prepare::RequestContext;
use crate::store::User;

use crate::basic_auth::params::Params;
use body::{buffer_request, json_request, rebuild_request, MAX_JSON_BODY};
use check::Check;
use checks::{Eval, Rewrite};
use engine::Grants;
use error::{RuleError, RuleResult};
use matcher::Matched;

pub use resolve::Resolver;

/// Decides a tracking request: admins pass (with MLflow's side effects); everyone else is
/// checked against the route table, and anything unmapped is refused (fail closed).
pub async fn authorize(
    core: &Arc<BasicAuthCore>,
    caller: &User,
    ctx: &RequestContext,
    req: Request,
) -> Result<HostDecision, Response> {
    let matched = matcher::find(req.method().as_str(), &ctx.path);
    let decision = if caller.is_admin {
        admin::decide(core, caller, ctx, matched, req).await
    } else {
        match matched {
            Some(matched) => check_non_admin(core, caller, ctx, &matched, req).await,
            None => Err(RuleError::Denied),
        }
    };
    decision.map_err(|err| {
        if matches!(err, RuleError::Denied) {
            tracing::info!(request_id = %ctx.request_id, user = %caller.username, path = %ctx.path, "permission denied");
        }
        err.into_http(ctx)
    })
}

async fn check_non_admin(
    core: &Arc<BasicAuthCore>,
    caller: &User,
    ctx: &RequestContext,
    matched: &Matched,
    req: Request,
) -> RuleResult<HostDecision> {
    match matched.check {
        Check::Authenticated => return Ok(HostDecision::Forward(req, None)),
        Check::AdminOnly | Check::Deny | Check::AuthApi => return Err(RuleError::Denied),
        _ => {}
    }
    let method = req.method().as_str().to_string();
    let headers = req.headers().clone();
    let (req, buffered) = if matched.check.reads_body() {
        let (parts, bytes) = buffer_request(req, MAX_JSON_BODY).await?;
        (None, Some((parts, bytes)))
    } else {
        (Some(req), None)
    };
    let params = Params::new(
        &method,
        &ctx.query,
        buffered.as_ref().map(|(_, b)| b.as_ref()),
        matched.captures.clone(),
    )?;
    let grants = Grants::load(&core.store, caller, core.config.default_permission).await?;
    let ev = Eval {
        core,
        caller,
        method: &method,
        headers: &headers,
        ctx,
        matched,
        params: &params,
        grants: &grants,
    };
    let allowed = checks::evaluate(matched.check, &ev).await?;
    let redaction = redact::hook(
        checks::hook_ctx(&ev),
        &method,
        &matched.route_key(),
        &grants,
    );
    let hook = hooks::chain(allowed.hook, redaction);
    let forwarded = match (req, buffered, allowed.rewrite) {
        (Some(req), None, None) => req,
        (None, Some((parts, bytes)), None) => rebuild_request(parts, bytes),
        (None, Some((parts, _)), Some(Rewrite::Body(json))) => json_request(parts, &json),
        (None, Some((mut parts, _)), Some(Rewrite::GetAsPost(json))) => {
            parts.method = http::Method::POST;
            json_request(parts, &json)
        }
        _ => {
            return Err(RuleError::Internal(
                "a rewrite was asked of an unbuffered request".into(),
            ))
        }
    };
    Ok(HostDecision::Forward(forwarded, hook))
}
