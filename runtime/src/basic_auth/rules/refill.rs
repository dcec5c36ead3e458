//! `SearchRegisteredModels` / `SearchModelVersions`: the response is filtered to what the
//! caller may read and the page is refilled from the upstream exactly as MLflow's
//! `filter_search_registered_models` does — refetch from `next_page_token` with the same
//! `max_results`, keep at most the missing count, and answer the offset token
//! `start + len(refetched)` — then withheld fields are cleared (latest versions of a vetoed
//! version tier; run / logged-model fields when those tiers are vetoed).

use base64::Engine;
use serde_json::{json, Value};

use crate::basic_auth::permissions::ResourceType;
use crate::host_app::ResponseHook;

use super::checks::Eval;
use super::engine::{container_type, version_tier, Grants};
use super::error::{RuleError, RuleResult};
use super::hooks::on_success;
use super::lookups::prompt_marker;

/// Most upstream refetches one filtered page may cost; beyond it the page is answered short
/// (its token still continues where the refill stopped).
const MAX_REFILL_ROUNDS: usize = 50;

/// One of the two filtered searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    /// `GET /registered-models/search` (`registered_models`, default page 100).
    RegisteredModels,
    /// `GET /model-versions/search` (`model_versions`, default page 200000).
    ModelVersions,
}

impl Search {
    fn path(self) -> &'static str {
        match self {
            Search::RegisteredModels => "/api/2.0/mlflow/registered-models/search",
            Search::ModelVersions => "/api/2.0/mlflow/model-versions/search",
        }
    }
    fn items_key(self) -> &'static str {
        match self {
            Search::RegisteredModels => "registered_models",
            Search::ModelVersions => "model_versions",
        }
    }
    fn default_max_results(self) -> i64 {
        match self {
            Search::RegisteredModels => 100,
            Search::ModelVersions => 200_000,
        }
    }
}

/// The request parameters a refetch repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchRequest {
    /// `filter`.
    pub filter: String,
    /// `max_results` as sent (`None`: the proto default).
    pub max_results: Option<String>,
    /// `order_by`, repeated.
    pub order_by: Vec<String>,
}

/// `SearchUtils.create_page_token(offset)`.
pub fn create_page_token(offset: u64) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{{\"offset\": {offset}}}"))
}

/// `SearchUtils.parse_start_offset_from_page_token`.
pub fn parse_page_token(token: &str) -> RuleResult<u64> {
    let bad = || RuleError::Internal(format!("cannot continue from page token {token:?}"));
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|_| bad())?;
    let parsed: Value = serde_json::from_slice(&decoded).map_err(|_| bad())?;
    parsed.get("offset").and_then(Value::as_u64).ok_or_else(bad)
}

/// Whether a registered model row is listed to the caller (by its own prompt tag).
pub fn registered_model_visible(grants: &Grants, row: &Value) -> bool {
    let Some(name) = row.get("name").and_then(Value::as_str) else {
        return false;
    };
    grants.lists(
        container_type(prompt_marker(row.get("tags")) == Some(true)),
        name,
    )
}

/// Whether a model version row is listed (by the version's own prompt tag): the container is
/// listed and the family's version tier is not vetoed.
pub fn model_version_visible(grants: &Grants, row: &Value) -> bool {
    let Some(name) = row.get("name").and_then(Value::as_str) else {
        return false;
    };
    let container = container_type(prompt_marker(row.get("tags")) == Some(true));
    grants.tier_not_denied(version_tier(container)) && grants.lists(container, name)
}

/// Clears the fields of versions that point into vetoed run / logged-model tiers.
pub fn withhold_version_siblings(grants: &Grants, versions: &mut [Value]) {
    for version in versions.iter_mut().filter_map(Value::as_object_mut) {
        withhold_version_fields(grants, version);
    }
}

/// [`withhold_version_siblings`] on one version object.
pub fn withhold_version_fields(grants: &Grants, version: &mut serde_json::Map<String, Value>) {
    if !grants.tier_not_denied(ResourceType::Run) {
        version.remove("run_id");
        version.remove("run_link");
    }
    if !grants.tier_not_denied(ResourceType::LoggedModel) {
        for field in ["model_id", "model_params", "model_metrics"] {
            version.remove(field);
        }
    }
}

/// Post-filter cleanup of one kept row.
fn withhold(grants: &Grants, search: Search, row: &mut Value) {
    match search {
        Search::RegisteredModels => {
            let container = container_type(prompt_marker(row.get("tags")) == Some(true));
            if let Some(obj) = row.as_object_mut() {
                if !grants.tier_not_denied(version_tier(container)) {
                    obj.remove("latest_versions");
                } else if let Some(Value::Array(versions)) = obj.get_mut("latest_versions") {
                    withhold_version_siblings(grants, versions);
                }
            }
        }
        Search::ModelVersions => withhold_version_siblings(grants, std::slice::from_mut(row)),
    }
}

fn visible(grants: &Grants, search: Search, row: &Value) -> bool {
    match search {
        Search::RegisteredModels => registered_model_visible(grants, row),
        Search::ModelVersions => model_version_visible(grants, row),
    }
}

fn items(json: &Value, key: &str) -> RuleResult<Vec<Value>> {
    match json.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(_) => Err(RuleError::Upstream(format!("'{key}' is not a list"))),
    }
}

/// The response hook of a filtered search.
pub fn hook(ev: &Eval<'_>, search: Search) -> RuleResult<ResponseHook> {
    let request = SearchRequest {
        filter: ev.params.get("filter")?.unwrap_or_default(),
        max_results: ev.params.get("max_results")?,
        order_by: ev.params.list("order_by")?,
    };
    let grants = ev.grants.clone();
    Ok(on_success(
        super::checks::hook_ctx(ev),
        move |hc, json| async move {
            let max_results = match &request.max_results {
                None => search.default_max_results(),
                Some(raw) => raw
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| RuleError::Internal(format!("max_results {raw:?}")))?,
            };
            let mut kept: Vec<Value> = items(&json, search.items_key())?
                .into_iter()
                .filter(|r| visible(&grants, search, r))
                .collect();
            let mut token = json
                .get("next_page_token")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let mut rounds = 0;
            while (kept.len() as i64) < max_results
                && !token.is_empty()
                && rounds < MAX_REFILL_ROUNDS
            {
                rounds += 1;
                let mut query: Vec<(&str, &str)> = Vec::new();
                let max = max_results.to_string();
                if !request.filter.is_empty() {
                    query.push(("filter", &request.filter));
                }
                query.push(("max_results", &max));
                query.extend(request.order_by.iter().map(|o| ("order_by", o.as_str())));
                query.push(("page_token", &token));
                let page = hc
                    .core
                    .resolver
                    .read(search.path(), &query)
                    .await?
                    .ok_or_else(|| RuleError::Upstream("refill page vanished".into()))?;
                let mut fetched = items(&page, search.items_key())?;
                fetched.truncate((max_results - kept.len() as i64).max(0) as usize);
                if fetched.is_empty() {
                    token.clear();
                    break;
                }
                let next = parse_page_token(&token)? + fetched.len() as u64;
                kept.extend(fetched.into_iter().filter(|r| visible(&grants, search, r)));
                token = create_page_token(next);
            }
            for row in &mut kept {
                withhold(&grants, search, row);
            }
            let mut out = json!({});
            if !kept.is_empty() {
                out[search.items_key()] = Value::Array(kept);
            }
            if !token.is_empty() {
                out["next_page_token"] = Value::String(token);
            }
            Ok(Some(out))
        },
    ))
}

/// The `SearchRegisteredModels` hook.
pub fn registered_models_hook(ev: &Eval<'_>) -> RuleResult<ResponseHook> {
    hook(ev, Search::RegisteredModels)
}

/// The `SearchModelVersions` hook.
pub fn model_versions_hook(ev: &Eval<'_>) -> RuleResult<ResponseHook> {
    hook(ev, Search::ModelVersions)
}
