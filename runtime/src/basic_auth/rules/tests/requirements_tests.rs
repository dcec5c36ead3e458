//! Requirement shapes, listing predicates, `models:/` URIs, page tokens and registry filtering.

use serde_json::json;

use crate::basic_auth::permissions::{Action, Grant, Permission, ResourceType};
use crate::basic_auth::rules::checks::scorer_row_visible;
use crate::basic_auth::rules::engine::{
    bulk_in_experiments, child_of_experiment, create_in_experiment, Grants,
};
use crate::basic_auth::rules::models_uri::{parse_models_uri, ModelsUri};
use crate::basic_auth::rules::refill::{
    create_page_token, model_version_visible, parse_page_token, registered_model_visible,
    withhold_version_siblings,
};
use crate::basic_auth::rules::scope::{mentions, selected_tiers};

fn g(list: Vec<Grant>, default: Permission) -> Grants {
    Grants::new(list, default)
}

#[test]
fn run_operations_need_experiment_read_and_the_run_tier() {
    let reqs = child_of_experiment(ResourceType::Run, "1", Action::Update);
    assert!(g(
        vec![Grant::new(ResourceType::Experiment, "1", Permission::Edit)],
        Permission::NoPermissions
    )
    .allows(&reqs));
    assert!(!g(vec![], Permission::Read).allows(&reqs));
    // A run-tier grant confers the update over a read-only experiment (tier override) ...
    let tier = vec![Grant::new(ResourceType::Run, "*", Permission::Edit)];
    assert!(g(tier, Permission::Read).allows(&reqs));
    // ... and a narrower one withholds it from an experiment manager.
    let narrower = vec![
        Grant::new(ResourceType::Experiment, "1", Permission::Manage),
        Grant::new(ResourceType::Run, "*", Permission::Read),
    ];
    assert!(!g(narrower, Permission::Read).allows(&reqs));
}

#[test]
fn creates_need_update_and_no_veto_on_the_created_type() {
    let reqs = create_in_experiment("1", ResourceType::Run);
    assert!(g(vec![], Permission::Edit).allows(&reqs));
    assert!(!g(
        vec![Grant::new(ResourceType::Run, "*", Permission::Deny)],
        Permission::Edit
    )
    .allows(&reqs));
    assert!(!g(vec![], Permission::Use).allows(&reqs));
}

#[test]
fn bulk_requests_need_every_experiment_and_deny_when_empty() {
    assert!(bulk_in_experiments(&[], ResourceType::Trace, Action::Read).is_none());
    let reqs = bulk_in_experiments(
        &["1".into(), "2".into(), "1".into()],
        ResourceType::Trace,
        Action::Read,
    )
    .unwrap();
    assert_eq!(reqs.len(), 4, "distinct experiments");
    assert!(!g(
        vec![Grant::new(ResourceType::Experiment, "2", Permission::Deny)],
        Permission::Read
    )
    .allows(&reqs));
}

#[test]
fn trace_search_tiers_are_judged_on_the_text() {
    assert!(selected_tiers(&[], &["timestamp_ms DESC".into()]).is_empty());
    assert_eq!(
        selected_tiers(&["metadata.`mlflow.sourceRun` = 'x'".into()], &[]),
        vec![ResourceType::Run]
    );
    assert_eq!(
        selected_tiers(&["feedback.score > 0.5".into()], &[]),
        vec![ResourceType::Assessment]
    );
    assert_eq!(
        selected_tiers(&[], &["run_id DESC".into()]),
        vec![ResourceType::Run]
    );
    assert!(mentions("Source_Run_ID = 'x'", &["run"]));
}

#[test]
fn models_uris_are_parsed_strictly() {
    assert_eq!(parse_models_uri("runs:/abc/model").unwrap(), None);
    assert_eq!(parse_models_uri("s3://bucket/x").unwrap(), None);
    assert_eq!(
        parse_models_uri("models:/m-123").unwrap(),
        Some(ModelsUri::ModelId("m-123".into()))
    );
    assert_eq!(
        parse_models_uri("MODELS:/name/3").unwrap(),
        Some(ModelsUri::Name("name".into()))
    );
    assert_eq!(
        parse_models_uri("models:/name@champion").unwrap(),
        Some(ModelsUri::Name("name".into()))
    );
    assert_eq!(
        parse_models_uri("models:/name/latest").unwrap(),
        Some(ModelsUri::Name("name".into()))
    );
    for bad in [
        "models:",
        "models:/",
        "models://host/x",
        "models:/a/b/c",
        "models:/x?y",
        "models:/x#y",
        " models:/m-1",
        "mod\tels:/m-1",
        "models:/name@",
    ] {
        assert!(parse_models_uri(bad).is_err(), "{bad}");
    }
}

#[test]
fn page_tokens_are_mlflows() {
    assert_eq!(create_page_token(5), "eyJvZmZzZXQiOiA1fQ==");
    assert_eq!(parse_page_token("eyJvZmZzZXQiOiA1fQ==").unwrap(), 5);
    assert!(parse_page_token("not-a-token").is_err());
}

#[test]
fn registry_rows_are_classified_by_their_own_tags() {
    let grants = g(
        vec![
            Grant::new(ResourceType::Prompt, "p", Permission::Read),
            Grant::new(ResourceType::RegisteredModel, "*", Permission::Deny),
        ],
        Permission::NoPermissions,
    );
    let prompt =
        json!({"name": "p", "tags": [{"key": "mlflow.prompt.is_prompt", "value": "True"}]});
    let model = json!({"name": "p"});
    assert!(registered_model_visible(&grants, &prompt));
    assert!(!registered_model_visible(&grants, &model));
    let vetoed = g(
        vec![Grant::new(
            ResourceType::PromptVersion,
            "*",
            Permission::Deny,
        )],
        Permission::Read,
    );
    assert!(!model_version_visible(&vetoed, &prompt));
    assert!(model_version_visible(&vetoed, &model));
}

#[test]
fn version_siblings_in_vetoed_tiers_are_withheld() {
    let grants = g(
        vec![Grant::new(ResourceType::Run, "*", Permission::Deny)],
        Permission::Read,
    );
    let mut versions = vec![
        json!({"name": "m", "version": "1", "run_id": "r", "run_link": "l", "model_id": "m-1"}),
    ];
    withhold_version_siblings(&grants, &mut versions);
    assert_eq!(
        versions[0],
        json!({"name": "m", "version": "1", "model_id": "m-1"})
    );
}

#[test]
fn scorer_rows_need_experiment_and_scorer_read() {
    let grants = g(
        vec![Grant::new(
            ResourceType::Scorer,
            "1/my%20scorer",
            Permission::Deny,
        )],
        Permission::Read,
    );
    assert!(!scorer_row_visible(
        &grants,
        &json!({"experiment_id": 1, "scorer_name": "my scorer"})
    ));
    assert!(scorer_row_visible(
        &grants,
        &json!({"experiment_id": 1, "scorer_name": "other"})
    ));
    let no_exp = g(
        vec![Grant::new(ResourceType::Experiment, "2", Permission::Deny)],
        Permission::Read,
    );
    assert!(!scorer_row_visible(
        &no_exp,
        &json!({"experiment_id": "2", "scorer_name": "s"})
    ));
}

#[test]
fn ids_that_could_change_the_upstream_route_name_nothing() {
    use crate::basic_auth::rules::resolve::plain_id;
    assert!(plain_id("m-0123") && plain_id("tr-1.2") && plain_id("a b"));
    for bad in ["", ".", "..", "../x", "a/b", "a\\b", "a\nb"] {
        assert!(!plain_id(bad), "{bad:?}");
    }
}
