//! Search scoping (reference §5.9): exact filter strings and `experiment_ids` narrowing.

use serde_json::json;

use crate::basic_auth::permissions::{Grant, Permission, ResourceType};
use crate::basic_auth::rules::engine::Grants;
use crate::basic_auth::rules::scope::{
    check_filter_lexically, experiment_readable_with, experiment_scope, narrow_experiment_ids,
    scoped_filter, ExperimentScope,
};

fn exp(pattern: &str, permission: Permission) -> Grant {
    Grant::new(ResourceType::Experiment, pattern, permission)
}

fn grants(list: Vec<Grant>, default: Permission) -> Grants {
    Grants::new(list, default)
}

#[test]
fn default_read_without_denials_is_unrestricted() {
    let g = grants(vec![exp("3", Permission::Manage)], Permission::Read);
    assert_eq!(experiment_scope(&g), ExperimentScope::Unrestricted);
    assert_eq!(
        scoped_filter("name = 'x'", &experiment_scope(&g)).unwrap(),
        None
    );
}

#[test]
fn readable_wildcard_with_named_denials_appends_not_in() {
    let g = grants(
        vec![
            exp("1", Permission::Deny),
            exp("03", Permission::Deny),
            exp("2", Permission::Read),
        ],
        Permission::Read,
    );
    let scope = experiment_scope(&g);
    assert_eq!(scope, ExperimentScope::NotIn(vec!["1".into(), "3".into()]));
    assert_eq!(
        scoped_filter("name = 'x'", &scope).unwrap().as_deref(),
        Some("name = 'x' AND experiment_id NOT IN ('1', '3')")
    );
    assert_eq!(
        scoped_filter("", &scope).unwrap().as_deref(),
        Some("experiment_id NOT IN ('1', '3')")
    );
}

#[test]
fn unreadable_wildcard_appends_in_with_readable_named_ones() {
    let g = grants(
        vec![
            exp("10", Permission::Read),
            exp("2", Permission::Edit),
            exp("5", Permission::Deny),
        ],
        Permission::NoPermissions,
    );
    let scope = experiment_scope(&g);
    assert_eq!(scope, ExperimentScope::In(vec!["2".into(), "10".into()]));
    assert_eq!(
        scoped_filter("tags.team = 'a'", &scope).unwrap().as_deref(),
        Some("tags.team = 'a' AND experiment_id IN ('2', '10')")
    );
}

#[test]
fn nothing_readable_appends_a_contradiction() {
    let g = grants(vec![], Permission::NoPermissions);
    let scope = experiment_scope(&g);
    assert_eq!(scope, ExperimentScope::In(vec![]));
    assert_eq!(
        scoped_filter("", &scope).unwrap().as_deref(),
        Some("experiment_id = '0' AND experiment_id != '0'")
    );
    assert_eq!(
        scoped_filter("name LIKE '%a%'", &scope).unwrap().as_deref(),
        Some("name LIKE '%a%' AND experiment_id = '0' AND experiment_id != '0'")
    );
}

#[test]
fn wildcard_deny_and_workspace_grants() {
    // (experiment, *, DENY) with a named READ: only the named one.
    let g = grants(
        vec![exp("*", Permission::Deny), exp("4", Permission::Read)],
        Permission::Read,
    );
    assert_eq!(
        experiment_scope(&g),
        ExperimentScope::In(vec![]),
        "a wildcard DENY is folded into every named key"
    );
    // A workspace admin sees everything.
    let admin = grants(
        vec![
            Grant::new(ResourceType::Workspace, "*", Permission::Manage),
            exp("1", Permission::Deny),
        ],
        Permission::NoPermissions,
    );
    assert_eq!(experiment_scope(&admin), ExperimentScope::Unrestricted);
    // A workspace USE grant lists every unnamed experiment (the predicate's workspace fallback).
    let member = grants(
        vec![
            Grant::new(ResourceType::Workspace, "*", Permission::Use),
            exp("1", Permission::Deny),
        ],
        Permission::NoPermissions,
    );
    assert_eq!(
        experiment_scope(&member),
        ExperimentScope::NotIn(vec!["1".into()])
    );
}

#[test]
fn filters_that_could_swallow_the_clause_are_refused() {
    for bad in [
        "name = 'a",
        "name = 'a' --",
        "name = 'a' /* x",
        "name = 'a\\' OR 1",
        "name = 'a'; DROP",
        "(name = 'a'",
        "name = 'a')",
        "name = \"a",
        "#x",
    ] {
        assert!(check_filter_lexically(bad).is_err(), "{bad}");
    }
    for good in [
        "name = 'it''s'",
        "name LIKE '%--%'",
        "tags.`a;b` = '1'",
        "name IN ('a', 'b')",
        "name = \"x\"",
    ] {
        assert!(check_filter_lexically(good).is_ok(), "{good}");
    }
    let scope = ExperimentScope::In(vec!["1".into()]);
    assert!(scoped_filter("name = 'a", &scope).is_err());
}

#[test]
fn search_runs_keeps_readable_experiments_whose_run_tier_is_open() {
    let g = grants(vec![exp("2", Permission::Deny)], Permission::Read);
    let mut body = json!({"experiment_ids": ["1", "2", "3"], "filter": ""})
        .as_object()
        .unwrap()
        .clone();
    assert!(
        narrow_experiment_ids(&mut body, experiment_readable_with(&g, ResourceType::Run)).unwrap()
    );
    assert_eq!(body["experiment_ids"], json!(["1", "3"]));

    let mut camel = json!({"experimentIds": ["1", "2"]})
        .as_object()
        .unwrap()
        .clone();
    assert!(
        narrow_experiment_ids(&mut camel, experiment_readable_with(&g, ResourceType::Run)).unwrap()
    );
    assert_eq!(camel["experimentIds"], json!(["1"]));

    let run_denied = grants(
        vec![Grant::new(ResourceType::Run, "*", Permission::Deny)],
        Permission::Read,
    );
    let mut all = json!({"experiment_ids": ["1"]})
        .as_object()
        .unwrap()
        .clone();
    assert!(narrow_experiment_ids(
        &mut all,
        experiment_readable_with(&run_denied, ResourceType::Run)
    )
    .unwrap());
    assert_eq!(all["experiment_ids"], json!([]));

    let mut unchanged = json!({"experiment_ids": ["1"]})
        .as_object()
        .unwrap()
        .clone();
    assert!(!narrow_experiment_ids(
        &mut unchanged,
        experiment_readable_with(&g, ResourceType::Run)
    )
    .unwrap());

    let mut both = json!({"experiment_ids": ["1"], "experimentIds": ["2"]})
        .as_object()
        .unwrap()
        .clone();
    assert!(narrow_experiment_ids(&mut both, |_| true).is_err());
    let mut numbers = json!({"experiment_ids": [1]}).as_object().unwrap().clone();
    assert!(narrow_experiment_ids(&mut numbers, |_| true).is_err());
}
