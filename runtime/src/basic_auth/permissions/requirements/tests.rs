//! Ports of the assertions in MLflow's `tests/server/auth/test_requirement_model.py`, plus
//! the point check, workspace policy and the worked example of reference §3.6.

use super::super::{Grant, Permission, Policy, ResourceType, DEFAULT_WORKSPACE};
use super::*;
use Permission::*;
use ResourceType as T;

const EXP: &str = "5";
const SCORER: &str = "5/my_scorer";

fn grant(resource_type: ResourceType, pattern: &str, permission: Permission) -> Grant {
    Grant::new(resource_type, pattern, permission)
}

/// `decide` of MLflow's test module: default READ, absent READ.
fn decide(requirements: &[Requirement], grants: &[Grant]) -> bool {
    authorize(grants, requirements, Read)
}

fn run_update_inheriting_experiment() -> Requirement {
    Requirement::new(T::Run, "*", Action::Update).or_fallback(T::Experiment, EXP)
}

// ---- the fold within a key ------------------------------------------------------------------

#[test]
fn within_a_key_the_highest_grant_wins_and_deny_beats_it() {
    let rows = [
        grant(T::Experiment, EXP, Read),
        grant(T::Experiment, "*", Edit),
    ];
    assert_eq!(
        fold_grants_for_key(&rows, &GrantKey::new(T::Experiment, EXP)),
        Some(Edit)
    );
    let rows = [
        grant(T::Experiment, EXP, Manage),
        grant(T::Experiment, "*", Deny),
    ];
    assert_eq!(
        fold_grants_for_key(&rows, &GrantKey::new(T::Experiment, EXP)),
        Some(Deny)
    );
}

#[test]
fn unrelated_grants_stay_silent() {
    let key = GrantKey::new(T::Experiment, EXP);
    assert_eq!(
        fold_grants_for_key(&[grant(T::Experiment, "7", Manage)], &key),
        None
    );
    assert_eq!(
        fold_grants_for_key(&[grant(T::RegisteredModel, EXP, Manage)], &key),
        None
    );
    assert_eq!(
        fold_grants_for_key(&[grant(T::Workspace, "*", Use)], &key),
        None
    );
    assert_eq!(fold_grants_for_key(&[], &key), None);
}

#[test]
fn a_per_id_grant_never_matches_a_wildcard_only_type() {
    let rows = [grant(T::Run, "some-run-id", Manage)];
    assert_eq!(
        fold_grants_for_key(&rows, &GrantKey::new(T::Run, "*")),
        None
    );
    assert_eq!(
        fold_grants_for_key(&rows, &GrantKey::new(T::Run, "some-run-id")),
        None
    );
}

// ---- the fold across keys -------------------------------------------------------------------

#[test]
fn tier_override_across_keys() {
    let cases: [(&str, Vec<Grant>, bool); 6] = [
        (
            "absent child inherits the parent",
            vec![grant(T::Experiment, EXP, Edit)],
            true,
        ),
        (
            "parent below the action denies",
            vec![grant(T::Experiment, EXP, Read)],
            false,
        ),
        (
            "positive child grant escalates",
            vec![grant(T::Run, "*", Edit)],
            true,
        ),
        (
            "lower child overrides downward",
            vec![grant(T::Run, "*", Read), grant(T::Experiment, EXP, Edit)],
            false,
        ),
        (
            "child DENY never rescued",
            vec![grant(T::Run, "*", Deny), grant(T::Experiment, EXP, Manage)],
            false,
        ),
        ("nothing anywhere: default READ", vec![], false),
    ];
    for (label, rows, expected) in cases {
        assert_eq!(
            decide(&[run_update_inheriting_experiment()], &rows),
            expected,
            "{label}"
        );
    }
}

#[test]
fn a_parent_deny_does_not_override_a_present_child_grant() {
    let requirement = Requirement::new(T::ScorerVersion, "*", Action::Update)
        .or_fallback(T::Scorer, SCORER)
        .or_fallback(T::Experiment, EXP);
    let base = vec![
        grant(T::Scorer, SCORER, Deny),
        grant(T::Experiment, EXP, Edit),
    ];
    assert!(!decide(std::slice::from_ref(&requirement), &base));
    let mut with_child = base;
    with_child.push(grant(T::ScorerVersion, "*", Edit));
    assert!(decide(&[requirement], &with_child));
}

#[test]
fn rungs_inherit_or_carry_their_own_action() {
    let requirement = Requirement::new(T::Assessment, "*", Action::Delete).or_fallback_requiring(
        T::Experiment,
        EXP,
        Action::Update,
    );
    let actions: Vec<Action> = requirement.rung_actions().map(|(_, a)| a).collect();
    assert_eq!(actions, vec![Action::Delete, Action::Update]);
    let none = Policy::workspaces_disabled(NoPermissions);
    let check = |assessment: Option<Permission>, experiment: Option<Permission>| {
        let resolve = |key: &GrantKey| {
            if key.resource_type == T::Assessment {
                assessment
            } else {
                experiment
            }
        };
        requirement_satisfied(&requirement, resolve, &none)
    };
    assert!(
        !check(Some(Edit), Some(Manage)),
        "tier grant governs: delete needed"
    );
    assert!(check(Some(Manage), None));
    assert!(
        check(None, Some(Edit)),
        "experiment governs: update suffices"
    );
    assert!(!check(None, Some(Read)));
}

#[test]
fn with_no_grant_on_any_rung_the_last_rungs_action_applies() {
    let requirement = Requirement::new(T::Assessment, "*", Action::Delete).or_fallback_requiring(
        T::Experiment,
        EXP,
        Action::Update,
    );
    assert!(authorize(&[], std::slice::from_ref(&requirement), Edit));
    assert!(!authorize(&[], &[requirement], Read));
}

// ---- vetoes, create, admin, floor, default ----------------------------------------------------

#[test]
fn a_veto_reads_only_deny() {
    for level in [Read, Use, Edit, Manage] {
        let reqs = [
            Requirement::new(T::Experiment, EXP, Action::Update),
            Requirement::new(T::Scorer, SCORER, Action::NotDenied),
        ];
        assert!(
            decide(
                &reqs,
                &[
                    grant(T::Experiment, EXP, Edit),
                    grant(T::Scorer, SCORER, level)
                ]
            ),
            "{level}"
        );
    }
    let reqs = [
        Requirement::new(T::Experiment, EXP, Action::Update),
        Requirement::new(T::Scorer, SCORER, Action::NotDenied),
    ];
    assert!(!decide(
        &reqs,
        &[
            grant(T::Experiment, EXP, Edit),
            grant(T::Scorer, SCORER, Deny)
        ]
    ));
    assert!(authorize(
        &[],
        &[Requirement::new(T::Run, "*", Action::NotDenied)],
        NoPermissions
    ));
}

#[test]
fn create_gates_on_the_workspace_grant_and_a_type_deny_vetoes_it() {
    let create =
        || Requirement::new(T::Experiment, "*", Action::Create).or_fallback(T::Workspace, "*");
    assert!(decide(&[create()], &[grant(T::Workspace, "*", Use)]));
    assert!(!decide(&[create()], &[]));
    assert!(!decide(&[create()], &[grant(T::Experiment, EXP, Manage)]));
    assert!(!decide(
        &[create()],
        &[
            grant(T::Workspace, "*", Use),
            grant(T::Experiment, "*", Deny)
        ]
    ));
}

#[test]
fn workspace_admin_beats_deny_but_workspace_use_confers_nothing() {
    let reqs = [
        Requirement::new(T::Experiment, EXP, Action::Manage),
        Requirement::new(T::Run, "*", Action::NotDenied),
    ];
    let admin = [
        grant(T::Workspace, "*", Manage),
        grant(T::Run, "*", Deny),
        grant(T::Experiment, EXP, Deny),
    ];
    assert!(decide(&reqs, &admin));
    assert_eq!(
        point_permission(&admin, T::Experiment, EXP, NoPermissions),
        Manage
    );
    assert_eq!(
        resolve_key_permissions(&admin, &[GrantKey::new(T::Skill, "x")]),
        vec![Some(Manage)]
    );
    let member = [grant(T::Workspace, "*", Use)];
    assert!(!holds_workspace_admin(&member));
    assert_eq!(
        point_permission(&member, T::Experiment, EXP, NoPermissions),
        NoPermissions
    );
}

#[test]
fn positive_grants_are_floored_at_default_but_deny_is_not() {
    let update = [Requirement::new(T::Experiment, EXP, Action::Update)];
    assert!(authorize(&[grant(T::Experiment, EXP, Read)], &update, Edit));
    assert!(!authorize(
        &[grant(T::Experiment, EXP, Deny)],
        &update,
        Manage
    ));
    assert_eq!(
        point_permission(&[grant(T::Experiment, EXP, Read)], T::Experiment, EXP, Edit),
        Edit
    );
    assert_eq!(
        point_permission(
            &[grant(T::Experiment, EXP, Deny)],
            T::Experiment,
            EXP,
            Manage
        ),
        Deny
    );
}

#[test]
fn absent_grants_take_the_default_including_no_permissions() {
    assert_eq!(point_permission(&[], T::Experiment, EXP, Read), Read);
    assert_eq!(
        point_permission(&[], T::Experiment, EXP, NoPermissions),
        NoPermissions
    );
    let read = [Requirement::new(T::Experiment, EXP, Action::Read)];
    assert!(authorize(&[], &read, Read));
    assert!(!authorize(&[], &read, NoPermissions));
    assert!(authorize(
        &[grant(T::Experiment, EXP, Read)],
        &read,
        NoPermissions
    ));
}

#[test]
fn worked_example_deny_on_one_experiment_with_default_read() {
    let bob = [grant(T::Experiment, "1", Deny)];
    let read = |id: &str| [Requirement::new(T::Experiment, id, Action::Read)];
    assert!(!authorize(&bob, &read("1"), Read));
    assert!(authorize(&bob, &read("2"), Read));
    assert_eq!(point_permission(&bob, T::Experiment, "2", Read), Read);
}

#[test]
fn workspace_policy_decides_what_absent_means() {
    let off = Policy::for_workspace(Read, "team-a", true);
    assert_eq!(off.absent_permission, NoPermissions);
    let inherits = Policy::for_workspace(Read, DEFAULT_WORKSPACE, true);
    assert_eq!(inherits.absent_permission, Read);
    assert_eq!(
        Policy::for_workspace(Read, DEFAULT_WORKSPACE, false).absent_permission,
        NoPermissions
    );
    assert_eq!(
        point_permission_with_policy(&[], T::Experiment, EXP, &off),
        NoPermissions
    );
    assert!(can_create_in_workspace(
        &[],
        &Policy::workspaces_disabled(NoPermissions)
    ));
    assert!(!can_create_in_workspace(&[], &off));
    assert!(can_create_in_workspace(
        &[grant(T::Workspace, "*", Use)],
        &off
    ));
    assert!(
        !can_create_in_workspace(&[], &inherits),
        "inherited READ has no can_use"
    );
    assert!(can_create_in_workspace(
        &[],
        &Policy::for_workspace(Use, DEFAULT_WORKSPACE, true)
    ));
}

#[test]
fn empty_requirement_list_is_vacuously_authorized() {
    assert!(authorize(&[], &[], NoPermissions));
}
