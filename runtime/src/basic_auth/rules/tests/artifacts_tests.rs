//! Artifact proxy paths (reference §5.3, gateway-hardening item 12).

use crate::basic_auth::permissions::{Action, Grant, Permission, ResourceType};
use crate::basic_auth::rules::checks::{
    canonical_artifact_path, proxy_subject, subject_allowed, ProxySubject,
};
use crate::basic_auth::rules::engine::Grants;

const RUN: &str = "0123456789abcdef0123456789abcdef";

fn tiers(id: &str, t: &[ResourceType]) -> ProxySubject {
    ProxySubject::Tiers(id.into(), t.to_vec())
}

#[test]
fn paths_are_decoded_until_stable_and_ambiguity_is_refused() {
    assert_eq!(
        canonical_artifact_path("1/a%2520b.txt").as_deref(),
        Some("1/a b.txt")
    );
    assert_eq!(canonical_artifact_path("%31/x").as_deref(), Some("1/x"));
    for bad in [
        "/1/x",
        "1/../2/x",
        "1/%252e%252e/2",
        "./1/x",
        "1/./x",
        "1/x#y",
        "1/x?y",
        "1;x",
        "file:1/x",
        "1/a\\b",
        "1/%00",
        "",
    ] {
        assert_eq!(canonical_artifact_path(bad), None, "{bad}");
    }
}

#[test]
fn the_experiment_and_tier_come_from_the_path() {
    let read = |p: &str| proxy_subject(Some(p), Action::Read);
    assert_eq!(
        read(&format!("1/{RUN}/artifacts/model.pkl")),
        tiers("1", &[ResourceType::Run])
    );
    assert_eq!(read("1/abc/artifacts/x"), tiers("1", &[ResourceType::Run]));
    assert_eq!(read(&format!("1/{RUN}")), tiers("1", &[ResourceType::Run]));
    assert_eq!(
        read("1/models/m-1/artifacts/x"),
        tiers("1", &[ResourceType::LoggedModel])
    );
    assert_eq!(
        read("1/traces/tr-1/artifacts/x"),
        tiers("1", &[ResourceType::Trace])
    );
    assert_eq!(read("1/notes.txt"), ProxySubject::Experiment("1".into()));
    assert_eq!(read("1"), ProxySubject::Experiment("1".into()));
    assert_eq!(
        read("workspaces/ws/7/x/artifacts/y"),
        tiers("7", &[ResourceType::Run])
    );
    assert_eq!(
        read("%2531/notes.txt"),
        ProxySubject::Experiment("1".into()),
        "double-encoded id"
    );
}

#[test]
fn deletes_reach_every_tier_below_them() {
    let manage = |p: &str| proxy_subject(Some(p), Action::Manage);
    assert_eq!(
        manage("1"),
        tiers(
            "1",
            &[
                ResourceType::Run,
                ResourceType::Trace,
                ResourceType::LoggedModel
            ]
        )
    );
    assert_eq!(manage("1/notes.txt"), tiers("1", &[ResourceType::Run]));
    assert_eq!(manage("1/models"), tiers("1", &[ResourceType::LoggedModel]));
}

#[test]
fn paths_naming_no_experiment_are_refused() {
    for p in [
        "abc/x",
        "models/x",
        "\u{0661}/x",
        "workspaces/ws",
        ".",
        "%2e",
        "./.",
        ".//",
    ] {
        assert_eq!(
            proxy_subject(Some(p), Action::Read),
            ProxySubject::Refused,
            "{p}"
        );
    }
    assert_eq!(proxy_subject(None, Action::Read), ProxySubject::Refused);
}

#[test]
fn run_artifacts_are_judged_on_the_run_tier() {
    let subject = proxy_subject(Some(&format!("1/{RUN}/artifacts/x")), Action::Read);
    let open = Grants::new(vec![], Permission::Read);
    assert!(subject_allowed(&open, &subject, Action::Read));
    assert!(!subject_allowed(&open, &subject, Action::Update));
    let run_denied = Grants::new(
        vec![Grant::new(ResourceType::Run, "*", Permission::Deny)],
        Permission::Read,
    );
    assert!(!subject_allowed(&run_denied, &subject, Action::Read));
    // A run-tier grant decides over the experiment (tier override), with experiment read.
    let run_editor = Grants::new(
        vec![Grant::new(ResourceType::Run, "*", Permission::Edit)],
        Permission::Read,
    );
    assert!(subject_allowed(&run_editor, &subject, Action::Update));
    let exp_denied = Grants::new(
        vec![
            Grant::new(ResourceType::Experiment, "1", Permission::Deny),
            Grant::new(ResourceType::Run, "*", Permission::Manage),
        ],
        Permission::Read,
    );
    assert!(
        !subject_allowed(&exp_denied, &subject, Action::Read),
        "the experiment read baseline"
    );
    assert!(!subject_allowed(
        &open,
        &ProxySubject::Refused,
        Action::Read
    ));
}

#[test]
fn experiment_level_artifacts_use_the_experiment_permission() {
    let subject = ProxySubject::Experiment("1".into());
    let editor = Grants::new(
        vec![Grant::new(ResourceType::Experiment, "01", Permission::Edit)],
        Permission::NoPermissions,
    );
    assert!(subject_allowed(&editor, &subject, Action::Update));
    assert!(!subject_allowed(&editor, &subject, Action::Manage));
}
