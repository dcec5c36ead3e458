//! What a route requires of a non-admin caller: one [`Check`] per MLflow validator (reference
//! §5, Appendix A.1), named after it. The evaluation of each lives in [`super::checks`].

use crate::basic_auth::permissions::Action;

/// Where a trace id is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceId {
    /// The `<request_id>` path segment (v2 routes).
    PathRequestId,
    /// The `<trace_id>` path segment (v3 routes).
    PathTraceId,
    /// The `trace_id` request parameter (`GET /traces/get`, `POST /traces/link-prompts`).
    ParamTraceId,
}

/// The logged models a metric-writing call may reference (`model_id` fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelRefs {
    /// `LogMetric.model_id`.
    Metric,
    /// `LogBatch.metrics[].model_id`.
    Batch,
    /// `LogInputs.models[].model_id` / `LogOutputs.models[].model_id`.
    Models,
}

/// The non-admin check of one route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Any authenticated user (`_allow_authenticated`, `validate_gateway_proxy`, `GetWorkspace`
    /// with workspaces disabled).
    Authenticated,
    /// `sender_is_admin`: non-admins are refused.
    AdminOnly,
    /// Refused for non-admins: MLflow has no validator (fail-closed), or mlauth does not
    /// reproduce the route's validator/filter and therefore refuses it.
    Deny,
    /// A route of the auth REST API, answered by the host before the rules run.
    AuthApi,
    /// `validate_can_create_experiment`; grants the creator MANAGE afterwards.
    CreateExperiment,
    /// `validate_can_read_experiment` (`experiment_id` param).
    ReadExperiment,
    /// `validate_can_read_experiment_by_name`.
    ReadExperimentByName,
    /// `validate_can_update_experiment`.
    UpdateExperiment,
    /// `validate_can_delete_experiment` (cascade over every experiment tier).
    DeleteExperiment,
    /// `SearchExperiments`: any caller, `filter` scoped.
    SearchExperiments,
    /// `validate_can_update_online_scoring_config`: update on the body's experiment.
    UpdateOnlineScoringConfig,
    /// `validate_can_search_datasets`: read on every `experiment_ids` entry.
    SearchDatasets,
    /// `validate_can_create_run` (also `CreatePromptlabRun`, which reads the body only).
    CreateRun {
        /// True for `create-promptlab-run` (its own missing-parameter message).
        promptlab: bool,
    },
    /// `_authorize_run(action)` on `run_id` / `run_uuid`.
    Run(Action),
    /// `validate_can_log_{metric,batch,inputs,outputs}`: run update plus update on each
    /// referenced logged model.
    LogToRun(ModelRefs),
    /// `validate_can_update_run_or_logged_model` (presigned upload URL).
    PresignedUpload,
    /// `SearchRuns`: any caller; `experiment_ids` narrowed to readable experiments.
    SearchRuns,
    /// `validate_can_read_run_artifact` (`GET /get-artifact`, `run_id` or `run_uuid` query).
    RunArtifactRead,
    /// `validate_can_update_run_artifact` (`POST /ajax-api/2.0/mlflow/upload-artifact`).
    RunArtifactUpload,
    /// `validate_can_read_metric_history_bulk[_interval]`: read on every listed run.
    MetricHistoryBulk {
        /// The query parameter carrying the run ids (`run_id` or `run_ids`).
        interval: bool,
    },
    /// `validate_can_create_logged_model`.
    CreateLoggedModel,
    /// `_authorize_logged_model(action)` on the `<model_id>` path segment.
    LoggedModel(Action),
    /// `validate_can_search_logged_models` plus `experiment_ids` scoping.
    SearchLoggedModels,
    /// Artifact proxy listing (`GET .../mlflow-artifacts/artifacts?path=`).
    ArtifactProxyList,
    /// Artifact proxy point operation on `<path:artifact_path>` (read, update or manage).
    ArtifactProxy(Action),
    /// `validate_can_create_registered_model`; grants the creator MANAGE afterwards.
    CreateRegisteredModel,
    /// `_validate_can_{read,update}_registered_model_or_prompt` (persisted family decides).
    RegisteredModel(Action),
    /// `RenameRegisteredModel`: update plus the name rules; moves grants afterwards.
    RenameRegisteredModel,
    /// `validate_can_delete_registered_model_or_prompt_cascade`; sweeps grants afterwards.
    DeleteRegisteredModel,
    /// `validate_can_read_model_or_prompt_version`.
    ReadModelVersion,
    /// `_authorize_version_action(action)` (update or delete).
    ModelVersion(Action),
    /// `validate_can_{set,delete}_model_or_prompt_version_alias` (update or delete).
    Alias(Action),
    /// `validate_can_create_model_version`.
    CreateModelVersion,
    /// `SearchRegisteredModels`: response filtered, page refilled.
    SearchRegisteredModels,
    /// `validate_can_search_model_versions`: response filtered, page refilled.
    SearchModelVersions,
    /// `validate_can_read_model_version_artifact` (`GET /model-versions/get-artifact`).
    ModelVersionArtifact,
    /// `validate_can_register_scorer`; grants the creator MANAGE afterwards.
    RegisterScorer,
    /// `validate_can_read_scorer` (GetScorer, ListScorerVersions).
    ReadScorer,
    /// `validate_can_delete_scorer`; sweeps grants afterwards.
    DeleteScorer,
    /// `validate_can_read_scorer_list` plus `filter_list_scorers`.
    ListScorers,
    /// `validate_can_start_trace` (v2).
    StartTrace,
    /// `validate_can_start_trace_v3`.
    StartTraceV3,
    /// OTLP ingestion (`POST /v1/traces`, FastAPI-native): a trace create in the experiment
    /// named by the `X-Mlflow-Experiment-Id` header.
    OtlpTraces,
    /// `_authorize_trace(id, action)`.
    Trace(TraceId, Action),
    /// `validate_can_read_trace_artifact` (`request_id` query).
    TraceArtifact,
    /// `validate_can_search_traces` (v2, GET).
    SearchTraces,
    /// `validate_can_search_traces_v3`.
    SearchTracesV3,
    /// `validate_can_batch_get_traces`: trace read on every listed trace.
    BatchGetTraces,
    /// `validate_can_delete_traces`.
    DeleteTraces,
    /// `validate_can_link_traces_to_run`.
    LinkTracesToRun,
    /// `validate_can_read_traces_by_experiment_ids` (filter correlation).
    TraceFilterCorrelation,
    /// `validate_can_query_trace_metrics`.
    QueryTraceMetrics,
    /// `validate_can_create_assessment`.
    CreateAssessment,
    /// `validate_can_{get,update,delete}_assessment`.
    Assessment(Action),
    /// `ListWorkspaces`: response filtered to the caller's workspaces.
    ListWorkspaces,
    /// Gateway secrets config: any caller, `using_default_passphrase` withheld from non-admins.
    SecretsConfig,
    /// `validate_can_{read,update,delete}_dataset`: the action on every experiment the
    /// evaluation dataset is linked to.
    Dataset(Action),
    /// `validate_can_add_dataset_to_experiments`: dataset update plus update on each added one.
    AddDatasetToExperiments,
    /// `validate_can_create_dataset`: update on every `experiment_ids` entry.
    CreateDataset,
    /// `validate_can_search_evaluation_datasets`: read on every `experiment_ids` entry.
    SearchEvaluationDatasets,
    /// `validate_can_{read,update}_issue`: the action on the issue's experiment.
    Issue(Action),
    /// `validate_can_create_issue`: update on the body's experiment.
    CreateIssue,
    /// `validate_can_search_issues`: read on the experiment; a run selector needs the run tier.
    SearchIssues,
    /// `validate_can_create_label_schema`: manage on the `experiment_id` param.
    CreateLabelSchema,
    /// `validate_can_{read,manage}_label_schema`: the action on the schema's experiment.
    LabelSchema(Action),
}

impl Check {
    /// Whether non-admin callers can ever pass (false for [`Check::Deny`], [`Check::AuthApi`]
    /// and [`Check::AdminOnly`]); the coverage test counts these as "resolved to a rule".
    pub fn is_rule(self) -> bool {
        !matches!(self, Check::Deny | Check::AuthApi)
    }

    /// Whether the check reads request parameters from a JSON body (so the body is buffered).
    /// Artifact transfers never are: their ids come from the path or the query. Routes with a
    /// path parameter whose handler could also read it from the body (datasets, issues) are
    /// buffered so that a body naming another resource is refused.
    pub fn reads_body(self) -> bool {
        !matches!(
            self,
            Check::Authenticated
                | Check::AdminOnly
                | Check::Deny
                | Check::AuthApi
                | Check::RunArtifactRead
                | Check::RunArtifactUpload
                | Check::MetricHistoryBulk { .. }
                | Check::ArtifactProxyList
                | Check::ArtifactProxy(_)
                | Check::ModelVersionArtifact
                | Check::TraceArtifact
                | Check::OtlpTraces
                | Check::ListWorkspaces
                | Check::SecretsConfig
        )
    }
}
