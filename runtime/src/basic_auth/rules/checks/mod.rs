//! Evaluation of each [`Check`] for a non-admin caller: parameters → resolution → requirements
//! → allow (possibly with a request rewrite and a response hook) or refuse.

mod artifacts;
mod misc;
mod registry;
mod runs;
mod scoped;
mod traces;
mod tracking;

use std::sync::Arc;

use crate::basic_auth::app::BasicAuthCore;
use crate::basic_auth::permissions::{Action, Permission, Requirement};
use crate::host_app::ResponseHook;
use crate::proxy::prepare::RequestContext;
use crate::store::User;

use super::check::Check;
use super::engine::Grants;
use super::error::{RuleError, RuleResult};
use super::hooks::HookCtx;
use super::matcher::Matched;
use super::resolve::Resolver;
use crate::basic_auth::params::Params;

pub use artifacts::{canonical_artifact_path, proxy_subject, subject_allowed, ProxySubject};
pub use misc::scorer_row_visible;
pub use registry::{check_rename_rules, reject_reserved_name};

/// Everything a check may consult.
pub struct Eval<'a> {
    /// Shared app state (store, config, resolver).
    pub core: &'a Arc<BasicAuthCore>,
    /// The authenticated, non-admin caller.
    pub caller: &'a User,
    /// The request method.
    pub method: &'a str,
    /// The request headers.
    pub headers: &'a http::HeaderMap,
    /// Request facts (normalised path, raw query, request id).
    pub ctx: &'a RequestContext,
    /// The matched route and its path parameters.
    pub matched: &'a Matched,
    /// The request parameters.
    pub params: &'a Params,
    /// The caller's grants.
    pub grants: &'a Grants,
}

/// How an allowed request is changed before it is forwarded.
#[derive(Debug, Clone, PartialEq)]
pub enum Rewrite {
    /// Forward this JSON document as the body instead of the client's.
    Body(serde_json::Value),
    /// Forward as `POST` with this JSON body (a `GET` whose query had to be rewritten; the
    /// handler of the `POST` twin reads only the body).
    GetAsPost(serde_json::Value),
}

/// An allowed request.
#[derive(Default)]
pub struct Allowed {
    /// The request rewrite, if any.
    pub rewrite: Option<Rewrite>,
    /// What runs on the upstream's response, if anything.
    pub hook: Option<ResponseHook>,
}

impl Allowed {
    /// Allowed as is.
    pub fn plain() -> Self {
        Allowed::default()
    }

    /// Allowed, with a response hook.
    pub fn with_hook(hook: ResponseHook) -> Self {
        Allowed {
            rewrite: None,
            hook: Some(hook),
        }
    }
}

impl Eval<'_> {
    /// The resolver.
    pub fn resolver(&self) -> &Resolver {
        &self.core.resolver
    }

    /// Refuses unless `ok`.
    pub fn ensure(&self, ok: bool) -> RuleResult<()> {
        if ok {
            Ok(())
        } else {
            Err(RuleError::Denied)
        }
    }

    /// Refuses unless every requirement is met.
    pub fn ensure_all(&self, requirements: &[Requirement]) -> RuleResult<()> {
        self.ensure(self.grants.allows(requirements))
    }

    /// Refuses unless the point permission on one resource meets `action`.
    pub fn ensure_point(
        &self,
        resource_type: crate::basic_auth::permissions::ResourceType,
        id: &str,
        action: Action,
    ) -> RuleResult<()> {
        let permission: Permission = self.grants.point(resource_type, id);
        self.ensure(action.is_met_by(permission))
    }
}

/// The hook context of this request.
pub fn hook_ctx(ev: &Eval<'_>) -> HookCtx {
    HookCtx {
        core: ev.core.clone(),
        ctx: ev.ctx.clone(),
        username: ev.caller.username.clone(),
    }
}

/// Evaluates `check` for a non-admin caller.
pub async fn evaluate(check: Check, ev: &Eval<'_>) -> RuleResult<Allowed> {
    use Check::*;
    match check {
        Authenticated => Ok(Allowed::plain()),
        AdminOnly | Deny | AuthApi => Err(RuleError::Denied),
        CreateExperiment
        | ReadExperiment
        | ReadExperimentByName
        | UpdateExperiment
        | DeleteExperiment
        | SearchExperiments
        | UpdateOnlineScoringConfig
        | SearchDatasets => tracking::evaluate(check, ev).await,
        CreateRun { .. }
        | Run(_)
        | LogToRun(_)
        | PresignedUpload
        | SearchRuns
        | RunArtifactRead
        | RunArtifactUpload
        | MetricHistoryBulk { .. }
        | CreateLoggedModel
        | LoggedModel(_)
        | SearchLoggedModels => runs::evaluate(check, ev).await,
        ArtifactProxyList | ArtifactProxy(_) => artifacts::evaluate(check, ev).await,
        CreateRegisteredModel
        | RegisteredModel(_)
        | RenameRegisteredModel
        | DeleteRegisteredModel
        | ReadModelVersion
        | ModelVersion(_)
        | Alias(_)
        | CreateModelVersion
        | SearchRegisteredModels
        | SearchModelVersions
        | ModelVersionArtifact => registry::evaluate(check, ev).await,
        StartTrace
        | StartTraceV3
        | OtlpTraces
        | Trace(..)
        | TraceArtifact
        | SearchTraces
        | SearchTracesV3
        | BatchGetTraces
        | DeleteTraces
        | LinkTracesToRun
        | TraceFilterCorrelation
        | QueryTraceMetrics
        | CreateAssessment
        | Assessment(_) => traces::evaluate(check, ev).await,
        RegisterScorer | ReadScorer | DeleteScorer | ListScorers | ListWorkspaces
        | SecretsConfig => misc::evaluate(check, ev).await,
        Dataset(_)
        | AddDatasetToExperiments
        | CreateDataset
        | SearchEvaluationDatasets
        | Issue(_)
        | CreateIssue
        | SearchIssues
        | CreateLabelSchema
        | LabelSchema(_) => scoped::evaluate(check, ev).await,
    }
}
