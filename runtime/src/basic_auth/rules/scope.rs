//! Search scoping by request rewriting (reference §5.9, Appendix A.3).
//!
//! * `SearchExperiments`: the `filter` gets `AND experiment_id IN (...)` (the readable named
//!   experiments), `AND experiment_id NOT IN (...)` (when the wildcard is readable: the denied
//!   named ones), or the contradiction `experiment_id = '0' AND experiment_id != '0'`. The
//!   caller's filter is checked lexically first (balanced quotes and parentheses, no comment
//!   or statement separators, no backslash), so it cannot swallow the appended clause.
//! * `SearchRuns`, `SearchLoggedModels`: `experiment_ids` narrowed to the readable ones.
//! * Search filters that may select on a sub-resource tier (a run id, a logged model id, an
//!   assessment) are recognised on their text, conservatively ([`selected_tiers`]).

use serde_json::{Map, Value};

use crate::basic_auth::permissions::{canonical_experiment_id, ResourceType};

use super::engine::Grants;
use super::error::{RuleError, RuleResult};
use crate::basic_auth::params::field;

/// How a `SearchExperiments` filter must be narrowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExperimentScope {
    /// Every experiment is readable: no change.
    Unrestricted,
    /// Every experiment but these (named denials under a readable wildcard).
    NotIn(Vec<String>),
    /// Only these (possibly none).
    In(Vec<String>),
}

/// The scope of a caller's experiment listing, from their grants.
pub fn experiment_scope(grants: &Grants) -> ExperimentScope {
    if grants.is_workspace_admin() {
        return ExperimentScope::Unrestricted;
    }
    let mut named: Vec<String> = grants
        .grants
        .iter()
        .filter(|g| g.resource_type == ResourceType::Experiment && g.pattern != "*")
        .map(|g| canonical_experiment_id(&g.pattern).into_owned())
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    named.sort_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
    named.dedup();
    // A key of "*" folds only wildcard grants: the decision for every unnamed experiment.
    if grants.lists(ResourceType::Experiment, "*") {
        let denied: Vec<String> = named
            .into_iter()
            .filter(|id| !grants.lists(ResourceType::Experiment, id))
            .collect();
        if denied.is_empty() {
            ExperimentScope::Unrestricted
        } else {
            ExperimentScope::NotIn(denied)
        }
    } else {
        ExperimentScope::In(
            named
                .into_iter()
                .filter(|id| grants.lists(ResourceType::Experiment, id))
                .collect(),
        )
    }
}

fn quoted_list(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The clause a scope appends (`None` when unrestricted).
pub fn scope_clause(scope: &ExperimentScope) -> Option<String> {
    match scope {
        ExperimentScope::Unrestricted => None,
        ExperimentScope::NotIn(ids) => Some(format!("experiment_id NOT IN ({})", quoted_list(ids))),
        ExperimentScope::In(ids) if ids.is_empty() => {
            Some("experiment_id = '0' AND experiment_id != '0'".into())
        }
        ExperimentScope::In(ids) => Some(format!("experiment_id IN ({})", quoted_list(ids))),
    }
}

/// The caller's filter with the scope ANDed in; `None` when nothing changes.
pub fn scoped_filter(original: &str, scope: &ExperimentScope) -> RuleResult<Option<String>> {
    let Some(clause) = scope_clause(scope) else {
        return Ok(None);
    };
    if original.trim().is_empty() {
        return Ok(Some(clause));
    }
    check_filter_lexically(original)?;
    Ok(Some(format!("{original} AND {clause}")))
}

/// Refuses a filter whose literals or parentheses are unbalanced, or that carries a comment,
/// a statement separator or a backslash (an escape whose meaning differs between parsers).
pub fn check_filter_lexically(filter: &str) -> RuleResult<()> {
    let bad = |why: &str| {
        RuleError::InvalidParameter(format!("Invalid filter string '{filter}': {why}."))
    };
    let chars: Vec<char> = filter.chars().collect();
    let (mut quote, mut depth, mut i) = (None::<char>, 0i64, 0usize);
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\\' || c.is_control() {
            return Err(bad("backslashes and control characters are not allowed"));
        }
        match quote {
            Some(q) if c == q && next == Some(q) => i += 1,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                '(' => depth += 1,
                ')' if depth == 0 => return Err(bad("unbalanced parentheses")),
                ')' => depth -= 1,
                ';' | '#' => return Err(bad("statement separators and comments are not allowed")),
                '-' if next == Some('-') => return Err(bad("comments are not allowed")),
                '/' if next == Some('*') => return Err(bad("comments are not allowed")),
                '*' if next == Some('/') => return Err(bad("comments are not allowed")),
                _ => {}
            },
        }
        i += 1;
    }
    match (quote, depth) {
        (Some(_), _) => Err(bad("unterminated literal")),
        (_, d) if d != 0 => Err(bad("unbalanced parentheses")),
        _ => Ok(()),
    }
}

/// Narrows the `experiment_ids` (or `experimentIds`) array of a JSON body to the ids `keep`
/// accepts. Returns whether anything was removed.
pub fn narrow_experiment_ids(
    body: &mut Map<String, Value>,
    keep: impl Fn(&str) -> bool,
) -> RuleResult<bool> {
    let key = match field(body, "experiment_ids")? {
        None => return Ok(false),
        Some(_) if body.contains_key("experiment_ids") => "experiment_ids",
        Some(_) => "experimentIds",
    };
    let Some(Value::Array(items)) = body.get(key) else {
        return Err(RuleError::InvalidParameter(
            "Parameter 'experiment_ids' must be a list of strings.".into(),
        ));
    };
    let mut kept = Vec::with_capacity(items.len());
    for item in items {
        let id = item.as_str().ok_or_else(|| {
            RuleError::InvalidParameter(
                "Parameter 'experiment_ids' must be a list of strings.".into(),
            )
        })?;
        if keep(id) {
            kept.push(Value::String(id.to_string()));
        }
    }
    let changed = kept.len() != items.len();
    body.insert(key.to_string(), Value::Array(kept));
    Ok(changed)
}

/// `filter_experiment_ids` (SearchRuns) and the logged-model scoper: the experiment is listed
/// to the caller and the child tier is not vetoed.
pub fn experiment_readable_with(grants: &Grants, tier: ResourceType) -> impl Fn(&str) -> bool + '_ {
    let tier_open = grants.tier_not_denied(tier);
    move |id: &str| tier_open && grants.lists(ResourceType::Experiment, id)
}

/// Whether `text` (lowercased) contains any of `words`.
pub fn mentions(text: &str, words: &[&str]) -> bool {
    let lower = text.to_lowercase();
    words.iter().any(|w| lower.contains(w))
}

/// The sub-resource tiers a trace search's filters and sort keys may select on.
pub fn selected_tiers(filters: &[String], order_by: &[String]) -> Vec<ResourceType> {
    let mut tiers = Vec::new();
    let mut add = |tier| {
        if !tiers.contains(&tier) {
            tiers.push(tier);
        }
    };
    for text in filters.iter().chain(order_by) {
        if filters.contains(text) && mentions(text, &["feedback", "expectation", "assessment"]) {
            add(ResourceType::Assessment);
        }
        if mentions(text, &["run"]) {
            add(ResourceType::Run);
        }
        if mentions(text, &["model"]) {
            add(ResourceType::LoggedModel);
        }
    }
    tiers
}
