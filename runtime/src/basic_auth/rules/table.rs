//! The route table: `(method, path suffix after /api/<v> or /ajax-api/<v>, versions) → Check`,
//! one row per Flask route of MLflow (reference Appendix A.1), plus the non-API routes. A
//! request that matches no row is refused for non-admins (fail closed).
//!
//! Suffix syntax follows Flask: `<name>` is one path segment, `<path:name>` the rest of the
//! path (non-empty). A row with only literal segments wins over a row with parameters.

use super::check::{Check, ModelRefs, TraceId};
use crate::basic_auth::permissions::Action::{Delete, Manage, Read, Update};

/// API version 2.0.
pub const V2: u8 = 1;
/// API version 3.0.
pub const V3: u8 = 2;
/// Both API versions.
pub const V23: u8 = V2 | V3;
/// Not served under this prefix.
pub const NO: u8 = 0;

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// HTTP method (exact; Flask routes do not answer other methods).
    pub method: &'static str,
    /// Path after the version prefix (or the whole path for [`ROOT_ROUTES`]).
    pub suffix: &'static str,
    /// Versions served under `/api/<v>` ([`V2`], [`V3`] flags).
    pub api: u8,
    /// Versions served under `/ajax-api/<v>`.
    pub ajax: u8,
    /// The non-admin check.
    pub check: Check,
}

const fn r(method: &'static str, suffix: &'static str, api: u8, ajax: u8, check: Check) -> Route {
    Route {
        method,
        suffix,
        api,
        ajax,
        check,
    }
}

const fn root(method: &'static str, path: &'static str, check: Check) -> Route {
    Route {
        method,
        suffix: path,
        api: NO,
        ajax: NO,
        check,
    }
}

use Check::*;

/// Routes outside the API prefixes (matched on the whole path).
#[rustfmt::skip]
pub const ROOT_ROUTES: &[Route] = &[
    root("GET", "/", Authenticated),
    root("GET", "/version", Authenticated),
    root("GET", "/get-artifact", RunArtifactRead),
    root("GET", "/model-versions/get-artifact", ModelVersionArtifact),
    // GraphQL authorizes per field inside MLflow's middleware, which a proxy cannot reproduce
    // from the outside: refused for non-admins (documented in the module docs).
    root("GET", "/graphql", Deny),
    root("POST", "/graphql", Deny),
    root("GET", "/build/<path:filename>", Deny),
    root("GET", "/signup", AuthApi),
    root("GET", "/health", Authenticated),
    root("GET", "/static-files/<path:path>", Authenticated),
    // FastAPI-native (reference §4.4), not in Appendix A.1.
    root("POST", "/v1/traces", OtlpTraces),
];

/// Routes under `/api/<v>` and `/ajax-api/<v>` (suffix after the version).
#[rustfmt::skip]
pub const API_ROUTES: &[Route] = &[
    // Proxied artifacts: the experiment id comes from the path (or `?path=` for listing).
    r("GET", "/mlflow-artifacts/artifacts", V2, V2, ArtifactProxyList),
    r("GET", "/mlflow-artifacts/artifacts/<path:artifact_path>", V2, V2, ArtifactProxy(Read)),
    r("PUT", "/mlflow-artifacts/artifacts/<path:artifact_path>", V2, V2, ArtifactProxy(Update)),
    r("DELETE", "/mlflow-artifacts/artifacts/<path:artifact_path>", V2, V2, ArtifactProxy(Manage)),
    r("POST", "/mlflow-artifacts/mpu/create/<path:artifact_path>", V2, V2, ArtifactProxy(Update)),
    r("POST", "/mlflow-artifacts/mpu/complete/<path:artifact_path>", V2, V2, ArtifactProxy(Update)),
    r("POST", "/mlflow-artifacts/mpu/abort/<path:artifact_path>", V2, V2, ArtifactProxy(Update)),
    r("GET", "/mlflow-artifacts/presigned/<path:artifact_path>", V2, V2, ArtifactProxy(Read)),
    r("GET", "/mlflow/artifacts/list", V2, V2, Run(Read)),
    r("POST", "/mlflow/artifacts/presigned-download-url", V2, V2, Run(Read)),
    r("POST", "/mlflow/artifacts/presigned-upload-url", V2, V2, PresignedUpload),
    r("POST", "/mlflow/upload-artifact", NO, V2, RunArtifactUpload),
    // Experiments.
    r("POST", "/mlflow/experiments/create", V2, V2, CreateExperiment),
    r("GET", "/mlflow/experiments/get", V2, V2, ReadExperiment),
    r("GET", "/mlflow/experiments/get-by-name", V2, V2, ReadExperimentByName),
    r("POST", "/mlflow/experiments/delete", V2, V2, DeleteExperiment),
    r("POST", "/mlflow/experiments/restore", V2, V2, DeleteExperiment),
    r("POST", "/mlflow/experiments/update", V2, V2, UpdateExperiment),
    r("POST", "/mlflow/experiments/set-experiment-tag", V2, V2, UpdateExperiment),
    r("POST", "/mlflow/experiments/delete-experiment-tag", V2, V2, UpdateExperiment),
    r("GET", "/mlflow/experiments/search", V2, V2, SearchExperiments),
    r("POST", "/mlflow/experiments/search", V2, V2, SearchExperiments),
    r("POST", "/mlflow/experiments/search-datasets", NO, V2, SearchDatasets),
    // Runs, metrics, params, tags.
    r("POST", "/mlflow/runs/create", V2, V2, CreateRun { promptlab: false }),
    r("POST", "/mlflow/runs/create-promptlab-run", NO, V2, CreateRun { promptlab: true }),
    r("GET", "/mlflow/runs/get", V2, V2, Run(Read)),
    r("POST", "/mlflow/runs/update", V2, V2, Run(Update)),
    r("POST", "/mlflow/runs/delete", V2, V2, Run(Delete)),
    r("POST", "/mlflow/runs/restore", V2, V2, Run(Delete)),
    r("POST", "/mlflow/runs/set-tag", V2, V2, Run(Update)),
    r("POST", "/mlflow/runs/delete-tag", V2, V2, Run(Update)),
    r("POST", "/mlflow/runs/log-parameter", V2, V2, Run(Update)),
    r("POST", "/mlflow/runs/log-model", V2, V2, Run(Update)),
    r("POST", "/mlflow/runs/log-metric", V2, V2, LogToRun(ModelRefs::Metric)),
    r("POST", "/mlflow/runs/log-batch", V2, V2, LogToRun(ModelRefs::Batch)),
    r("POST", "/mlflow/runs/log-inputs", V2, V2, LogToRun(ModelRefs::Models)),
    r("POST", "/mlflow/runs/outputs", V2, V2, LogToRun(ModelRefs::Models)),
    r("POST", "/mlflow/runs/search", V2, V2, SearchRuns),
    r("GET", "/mlflow/metrics/get-history", V2, V2, Run(Read)),
    r("GET", "/mlflow/metrics/get-history-bulk", NO, V2, MetricHistoryBulk { interval: false }),
    r("GET", "/mlflow/metrics/get-history-bulk-interval", V2, V2, MetricHistoryBulk { interval: true }),
    // Logged models.
    r("POST", "/mlflow/logged-models", V2, V2, CreateLoggedModel),
    r("POST", "/mlflow/logged-models/search", V2, V2, SearchLoggedModels),
    r("GET", "/mlflow/logged-models/<model_id>", V2, V2, LoggedModel(Read)),
    r("PATCH", "/mlflow/logged-models/<model_id>", V2, V2, LoggedModel(Update)),
    r("DELETE", "/mlflow/logged-models/<model_id>", V2, V2, LoggedModel(Delete)),
    r("GET", "/mlflow/logged-models/<model_id>/artifacts/directories", V2, V2, LoggedModel(Read)),
    r("GET", "/mlflow/logged-models/<model_id>/artifacts/files", NO, V2, LoggedModel(Read)),
    r("POST", "/mlflow/logged-models/<model_id>/params", V2, V2, LoggedModel(Update)),
    r("PATCH", "/mlflow/logged-models/<model_id>/tags", V2, V2, LoggedModel(Update)),
    r("DELETE", "/mlflow/logged-models/<model_id>/tags/<tag_key>", V2, V2, LoggedModel(Delete)),
    // Registered models and prompts (a prompt is a registered model tagged as one).
    r("POST", "/mlflow/registered-models/create", V2, V2, CreateRegisteredModel),
    r("GET", "/mlflow/registered-models/get", V2, V2, RegisteredModel(Read)),
    r("PATCH", "/mlflow/registered-models/update", V2, V2, RegisteredModel(Update)),
    r("POST", "/mlflow/registered-models/set-tag", V2, V2, RegisteredModel(Update)),
    r("DELETE", "/mlflow/registered-models/delete-tag", V2, V2, RegisteredModel(Update)),
    r("POST", "/mlflow/registered-models/rename", V2, V2, RenameRegisteredModel),
    r("DELETE", "/mlflow/registered-models/delete", V2, V2, DeleteRegisteredModel),
    r("GET", "/mlflow/registered-models/search", V2, V2, SearchRegisteredModels),
    r("GET", "/mlflow/registered-models/get-latest-versions", V2, V2, ReadModelVersion),
    r("POST", "/mlflow/registered-models/get-latest-versions", V2, V2, ReadModelVersion),
    r("GET", "/mlflow/registered-models/alias", V2, V2, ReadModelVersion),
    r("POST", "/mlflow/registered-models/alias", V2, V2, Alias(Update)),
    r("DELETE", "/mlflow/registered-models/alias", V2, V2, Alias(Delete)),
    // Model versions.
    r("POST", "/mlflow/model-versions/create", V2, V2, CreateModelVersion),
    r("GET", "/mlflow/model-versions/get", V2, V2, ReadModelVersion),
    r("GET", "/mlflow/model-versions/get-download-uri", V2, V2, ReadModelVersion),
    r("PATCH", "/mlflow/model-versions/update", V2, V2, ModelVersion(Update)),
    r("POST", "/mlflow/model-versions/transition-stage", V2, V2, ModelVersion(Update)),
    r("POST", "/mlflow/model-versions/set-tag", V2, V2, ModelVersion(Update)),
    r("DELETE", "/mlflow/model-versions/delete-tag", V2, V2, ModelVersion(Delete)),
    r("DELETE", "/mlflow/model-versions/delete", V2, V2, ModelVersion(Delete)),
    r("GET", "/mlflow/model-versions/search", V2, V2, SearchModelVersions),
    // Scorers.
    r("POST", "/mlflow/scorers/register", V3, V3, RegisterScorer),
    r("GET", "/mlflow/scorers/get", V3, V3, ReadScorer),
    r("GET", "/mlflow/scorers/versions", V3, V3, ReadScorer),
    r("DELETE", "/mlflow/scorers/delete", V3, V3, DeleteScorer),
    r("GET", "/mlflow/scorers/list", V3, V3, ListScorers),
    r("PUT", "/mlflow/scorers/online-config", V3, V3, UpdateOnlineScoringConfig),
    // Traces and assessments.
    r("POST", "/mlflow/traces", V2, V2, StartTrace),
    r("POST", "/mlflow/traces", V3, V3, StartTraceV3),
    r("GET", "/mlflow/traces", V2, V2, SearchTraces),
    r("POST", "/mlflow/traces/search", V3, V3, SearchTracesV3),
    r("GET", "/mlflow/traces/get", V3, V3, Trace(TraceId::ParamTraceId, Read)),
    r("GET", "/mlflow/traces/batchGet", V3, V3, BatchGetTraces),
    r("POST", "/mlflow/traces/batchGetInfos", V3, V3, BatchGetTraces),
    r("POST", "/mlflow/traces/delete-traces", V23, V23, DeleteTraces),
    r("POST", "/mlflow/traces/link-prompts", V2, V2, Trace(TraceId::ParamTraceId, Update)),
    r("POST", "/mlflow/traces/link-to-run", V2, V2, LinkTracesToRun),
    r("POST", "/mlflow/traces/calculate-filter-correlation", V3, V3, TraceFilterCorrelation),
    r("POST", "/mlflow/traces/metrics", V3, V3, QueryTraceMetrics),
    r("GET", "/mlflow/get-trace-artifact", NO, V23, TraceArtifact),
    r("PATCH", "/mlflow/traces/<request_id>", V2, V2, Trace(TraceId::PathRequestId, Update)),
    r("GET", "/mlflow/traces/<request_id>/info", V2, V2, Trace(TraceId::PathRequestId, Read)),
    r("PATCH", "/mlflow/traces/<request_id>/tags", V2, V2, Trace(TraceId::PathRequestId, Update)),
    r("DELETE", "/mlflow/traces/<request_id>/tags", V2, V2, Trace(TraceId::PathRequestId, Update)),
    r("GET", "/mlflow/traces/<trace_id>", V3, V3, Trace(TraceId::PathTraceId, Read)),
    r("PATCH", "/mlflow/traces/<trace_id>/tags", V3, V3, Trace(TraceId::PathTraceId, Update)),
    r("DELETE", "/mlflow/traces/<trace_id>/tags", V3, V3, Trace(TraceId::PathTraceId, Update)),
    r("POST", "/mlflow/traces/<trace_id>/assessments", V3, V3, CreateAssessment),
    r("GET", "/mlflow/traces/<trace_id>/assessments/<assessment_id>", V3, V3, Assessment(Read)),
    r("PATCH", "/mlflow/traces/<trace_id>/assessments/<assessment_id>", V3, V3, Assessment(Update)),
    r("DELETE", "/mlflow/traces/<trace_id>/assessments/<assessment_id>", V3, V3, Assessment(Delete)),
    // Evaluation datasets and issues: the experiments they belong to decide.
    r("POST", "/mlflow/datasets/create", V3, V3, CreateDataset),
    r("GET", "/mlflow/datasets/search", V3, V3, SearchEvaluationDatasets),
    r("POST", "/mlflow/datasets/search", V3, V3, SearchEvaluationDatasets),
    r("GET", "/mlflow/datasets/<dataset_id>", V3, V3, Dataset(Read)),
    r("DELETE", "/mlflow/datasets/<dataset_id>", V3, V3, Dataset(Delete)),
    r("GET", "/mlflow/datasets/<dataset_id>/experiment-ids", V3, V3, Dataset(Read)),
    r("GET", "/mlflow/datasets/<dataset_id>/records", V3, V3, Dataset(Read)),
    r("POST", "/mlflow/datasets/<dataset_id>/records", V3, V3, Dataset(Update)),
    r("DELETE", "/mlflow/datasets/<dataset_id>/records", V3, V3, Dataset(Update)),
    r("POST", "/mlflow/datasets/<dataset_id>/add-experiments", V3, V3, AddDatasetToExperiments),
    r("POST", "/mlflow/datasets/<dataset_id>/remove-experiments", V3, V3, Dataset(Update)),
    r("PATCH", "/mlflow/datasets/<dataset_id>/tags", V3, V3, Dataset(Update)),
    r("DELETE", "/mlflow/datasets/<dataset_id>/tags/<key>", V3, V3, Dataset(Update)),
    r("POST", "/mlflow/issues", V3, V3, CreateIssue),
    r("POST", "/mlflow/issues/search", V3, V3, SearchIssues),
    r("GET", "/mlflow/issues/<issue_id>", V3, V3, Issue(Read)),
    r("PATCH", "/mlflow/issues/<issue_id>", V3, V3, Issue(Update)),
    // Label schemas, and experiment-scoped listings that only read the experiment.
    r("POST", "/mlflow/label-schemas/create", V3, V3, CreateLabelSchema),
    r("GET", "/mlflow/label-schemas/get", V3, V3, LabelSchema(Read)),
    r("PATCH", "/mlflow/label-schemas/update", V3, V3, LabelSchema(Manage)),
    r("DELETE", "/mlflow/label-schemas/delete", V3, V3, LabelSchema(Manage)),
    r("GET", "/mlflow/label-schemas/get-by-name", V3, V3, ReadExperiment),
    r("GET", "/mlflow/label-schemas/list", V3, V3, ReadExperiment),
    r("GET", "/mlflow/prompt-optimization/jobs/search", V3, V3, ReadExperiment),
    r("POST", "/mlflow/prompt-optimization/jobs/search", V3, V3, ReadExperiment),
    // Webhooks, workspaces, gateway administration: admin only.
    r("GET", "/mlflow/webhooks", V2, V2, AdminOnly),
    r("POST", "/mlflow/webhooks", V2, V2, AdminOnly),
    r("GET", "/mlflow/webhooks/<webhook_id>", V2, V2, AdminOnly),
    r("PATCH", "/mlflow/webhooks/<webhook_id>", V2, V2, AdminOnly),
    r("DELETE", "/mlflow/webhooks/<webhook_id>", V2, V2, AdminOnly),
    r("POST", "/mlflow/webhooks/<webhook_id>/test", V2, V2, AdminOnly),
    r("GET", "/mlflow/workspaces", V3, V3, ListWorkspaces),
    r("POST", "/mlflow/workspaces", V3, V3, AdminOnly),
    // `validate_can_view_workspace` allows everyone when workspaces are off, yet MLflow
    // 3.17.2 answers a non-admin `403 Permission denied` here (its workspace-path lookup
    // finds no validator and fails closed; the admin gets the upstream's 503). mlauth runs
    // without workspaces, so it answers the same.
    r("GET", "/mlflow/workspaces/<workspace_name>", V3, V3, AdminOnly),
    r("PATCH", "/mlflow/workspaces/<workspace_name>", V3, V3, AdminOnly),
    r("DELETE", "/mlflow/workspaces/<workspace_name>", V3, V3, AdminOnly),
    r("POST", "/mlflow/gateway/budgets/create", V3, V3, AdminOnly),
    r("POST", "/mlflow/gateway/budgets/update", V3, V3, AdminOnly),
    r("DELETE", "/mlflow/gateway/budgets/delete", V3, V3, AdminOnly),
    r("GET", "/mlflow/gateway/budgets/get", V3, V3, Authenticated),
    r("GET", "/mlflow/gateway/budgets/list", V3, V3, Authenticated),
    r("GET", "/mlflow/gateway/budgets/windows", V3, V3, Authenticated),
    r("POST", "/mlflow/gateway/guardrails/create", V3, V3, AdminOnly),
    r("DELETE", "/mlflow/gateway/guardrails/delete", V3, V3, AdminOnly),
    r("GET", "/mlflow/gateway/guardrails/get", V3, V3, AdminOnly),
    r("GET", "/mlflow/gateway/guardrails/list", V3, V3, AdminOnly),
    r("POST", "/mlflow/demo/delete", NO, V3, AdminOnly),
    // Open to any authenticated user (no tenant data).
    r("POST", "/mlflow/demo/generate", NO, V3, Authenticated),
    r("GET", "/mlflow/ui-telemetry", NO, V3, Authenticated),
    r("POST", "/mlflow/ui-telemetry", NO, V3, Authenticated),
    r("GET", "/mlflow/gateway/supported-providers", NO, V3, Authenticated),
    r("GET", "/mlflow/gateway/supported-models", NO, V3, Authenticated),
    r("GET", "/mlflow/gateway/provider-config", NO, V3, Authenticated),
    r("GET", "/mlflow/gateway/secrets/config", NO, V3, SecretsConfig),
    r("GET", "/mlflow/gateway-proxy", NO, V2, Authenticated),
    r("POST", "/mlflow/gateway-proxy", NO, V2, Authenticated),
    r("GET", "/mlflow/server-info", V3, V3, Authenticated),
    // The auth REST API (users, roles, grants): answered by the host before the rules run.
    r("POST", "/mlflow/roles/assign", V3, V3, AuthApi),
    r("POST", "/mlflow/roles/create", V3, V3, AuthApi),
    r("DELETE", "/mlflow/roles/delete", V3, V3, AuthApi),
    r("GET", "/mlflow/roles/get", V3, V3, AuthApi),
    r("GET", "/mlflow/roles/list", V3, V3, AuthApi),
    r("POST", "/mlflow/roles/permissions/add", V3, V3, AuthApi),
    r("GET", "/mlflow/roles/permissions/list", V3, V3, AuthApi),
    r("DELETE", "/mlflow/roles/permissions/remove", V3, V3, AuthApi),
    r("PATCH", "/mlflow/roles/permissions/update", V3, V3, AuthApi),
    r("DELETE", "/mlflow/roles/unassign", V3, V3, AuthApi),
    r("PATCH", "/mlflow/roles/update", V3, V3, AuthApi),
    r("GET", "/mlflow/roles/users/list", V3, V3, AuthApi),
    r("POST", "/mlflow/users/create", V2, V2, AuthApi),
    r("POST", "/mlflow/users/create-ui", V2, NO, AuthApi),
    r("GET", "/mlflow/users/current", V2, V2, AuthApi),
    r("GET", "/mlflow/users/current/permissions", V3, V3, AuthApi),
    r("DELETE", "/mlflow/users/delete", V2, V2, AuthApi),
    r("GET", "/mlflow/users/get", V2, V2, AuthApi),
    r("GET", "/mlflow/users/list", V2, V2, AuthApi),
    r("GET", "/mlflow/users/permissions/get", V3, V3, AuthApi),
    r("POST", "/mlflow/users/permissions/grant", V3, V3, AuthApi),
    r("GET", "/mlflow/users/permissions/list", V3, V3, AuthApi),
    r("POST", "/mlflow/users/permissions/revoke", V3, V3, AuthApi),
    r("GET", "/mlflow/users/roles/list", V3, V3, AuthApi),
    r("PATCH", "/mlflow/users/update-admin", V2, V2, AuthApi),
    r("PATCH", "/mlflow/users/update-password", V2, V2, AuthApi),
];
