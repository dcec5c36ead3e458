//! Ports of the assertions in MLflow's `tests/server/auth/test_permissions.py`, plus the 3.18
//! additions (DENY, skill, canonical keys). The algorithm's tests are in `requirements/tests.rs`.

use super::*;
use Permission::*;
use ResourceType as T;

fn grant(resource_type: ResourceType, pattern: &str, permission: Permission) -> Grant {
    Grant::new(resource_type, pattern, permission)
}

// ---- levels -----------------------------------------------------------------------------

#[test]
fn capability_matrix_matches_mlflow() {
    let rows = [
        (NoPermissions, [false, false, false, false, false]),
        (Deny, [false, false, false, false, false]),
        (Read, [true, false, false, false, false]),
        (Use, [true, true, false, false, false]),
        (Edit, [true, true, true, false, false]),
        (Manage, [true, true, true, true, true]),
    ];
    for (p, expected) in rows {
        let got = [
            p.can_read(),
            p.can_use(),
            p.can_update(),
            p.can_delete(),
            p.can_manage(),
        ];
        assert_eq!(got, expected, "{p}");
        assert_eq!(p.is_denied(), p == Deny);
    }
}

#[test]
fn priority_is_a_strict_total_order() {
    let order = [Deny, NoPermissions, Read, Use, Edit, Manage];
    let priorities: Vec<i8> = order.iter().map(|p| p.priority()).collect();
    assert_eq!(priorities, vec![-1, 0, 1, 2, 3, 4]);
}

#[test]
fn names_round_trip_and_parse_is_case_sensitive() {
    for p in Permission::ALL {
        assert_eq!(Permission::parse(p.name()), Ok(p));
        assert_eq!(p.to_string().parse::<Permission>(), Ok(p));
    }
    for bogus in ["", "read", "ADMIN", "Manage", "NONE"] {
        assert!(Permission::parse(bogus).is_err(), "{bogus}");
    }
}

#[test]
fn invalid_permission_message_is_mlflows() {
    let err = Permission::parse("SUPER").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid permission 'SUPER'. Valid permissions are: ('READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS', 'DENY')"
    );
    assert_eq!(err.error_code(), "INVALID_PARAMETER_VALUE");
}

#[test]
fn max_permission_keeps_the_higher_and_ties_keep_the_left() {
    let cases = [
        (Read, Read, Read),
        (Read, Use, Use),
        (Use, Edit, Edit),
        (Edit, Manage, Manage),
        (Use, Read, Use),
        (Manage, Edit, Manage),
        (NoPermissions, Read, Read),
        (Read, NoPermissions, Read),
        (NoPermissions, NoPermissions, NoPermissions),
        (Deny, NoPermissions, NoPermissions),
        (Deny, Read, Read),
    ];
    for (a, b, expected) in cases {
        assert_eq!(a.max(b), expected, "max({a}, {b})");
        assert_eq!(b.max(a), expected, "max({b}, {a})");
    }
}

#[test]
fn floor_lifts_positive_levels_but_never_a_veto() {
    assert_eq!(Read.floor_positive(Edit), Edit);
    assert_eq!(Manage.floor_positive(Read), Manage);
    assert_eq!(Deny.floor_positive(Manage), Deny);
    assert_eq!(NoPermissions.floor_positive(Manage), NoPermissions);
}

#[test]
fn serde_uses_wire_names() {
    assert_eq!(
        serde_json::to_string(&NoPermissions).unwrap(),
        "\"NO_PERMISSIONS\""
    );
    assert_eq!(
        serde_json::from_str::<Permission>("\"DENY\"").unwrap(),
        Deny
    );
    assert!(serde_json::from_str::<Permission>("\"deny\"").is_err());
    assert_eq!(
        serde_json::to_string(&T::GatewayModelDefinition).unwrap(),
        "\"gateway_model_definition\""
    );
}

// ---- resource types and validators --------------------------------------------------------

#[test]
fn resource_types_round_trip_and_reject_unknown() {
    for t in ResourceType::ALL {
        assert_eq!(ResourceType::parse(t.as_str()), Ok(t));
    }
    for bogus in ["", "Experiment", "workspaces", "*", "model"] {
        let err = ResourceType::parse(bogus).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!(
                "Invalid resource type '{bogus}'. Valid resource types are: ('assessment', 'experiment', "
            )),
            "{err}"
        );
        assert!(err.ends_with("'trace', 'workspace')"), "{err}");
    }
}

#[test]
fn grain_per_type_matches_section_3_5() {
    let per_id = [
        T::Experiment,
        T::RegisteredModel,
        T::Prompt,
        T::Scorer,
        T::GatewaySecret,
        T::GatewayEndpoint,
        T::GatewayModelDefinition,
        T::McpServer,
        T::Skill,
    ];
    for t in ResourceType::ALL {
        let expected = if per_id.contains(&t) {
            PatternGrain::WildcardAndId
        } else {
            PatternGrain::WildcardOnly
        };
        assert_eq!(t.grain(), expected, "{t}");
    }
}

#[test]
fn grantable_sets_match_section_3_5() {
    assert_eq!(T::Workspace.grantable_permissions(), &[Use, Manage]);
    assert_eq!(
        T::Experiment.grantable_permissions(),
        &[Read, Use, Edit, Manage, Deny]
    );
    assert_eq!(
        T::Skill.grantable_permissions(),
        &[Read, Edit, Manage, Deny]
    );
    for t in ResourceType::ALL {
        assert!(!t.grantable_permissions().contains(&NoPermissions), "{t}");
    }
}

#[test]
fn permission_for_resource_type_messages_are_mlflows() {
    let err = validate_permission_for_resource_type("READ", "workspace").unwrap_err();
    assert_eq!(err.to_string(),
        "Invalid permission 'READ' for resource_type='workspace'. Workspace-wide grants accept only: ('MANAGE', 'USE').");
    let err = validate_permission_for_resource_type("NO_PERMISSIONS", "experiment").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid permission 'NO_PERMISSIONS' for resource_type='experiment'. \
        Resource-level grants accept only: ('DENY', 'EDIT', 'MANAGE', 'READ', 'USE')."
    );
    assert!(validate_permission_for_resource_type("USE", "skill").is_err());
    assert_eq!(
        validate_permission_for_resource_type("DENY", "run"),
        Ok((Deny, T::Run))
    );
}

#[test]
fn validators_check_permission_name_before_resource_type() {
    let err = validate_permission_for_resource_type("ADMIN", "nope").unwrap_err();
    assert!(matches!(err, PermissionError::InvalidPermission { .. }));
    let err = validate_permission_for_resource_type("USE", "*").unwrap_err();
    assert!(matches!(err, PermissionError::InvalidResourceType { .. }));
}

#[test]
fn wildcard_only_types_reject_per_id_patterns() {
    let err = validate_resource_pattern("abc", "run").unwrap_err();
    assert_eq!(err.to_string(),
        "Invalid resource_pattern 'abc' for resource_type='run'. This resource type supports only wildcard ('*') grants.");
    assert_eq!(validate_resource_pattern("*", "run"), Ok(T::Run));
    assert_eq!(
        validate_resource_pattern("7", "experiment"),
        Ok(T::Experiment)
    );
    assert!(validate_resource_pattern("7", "workspace").is_err());
}

#[test]
fn role_and_user_grant_validation_orders_differ_like_mlflow() {
    // add_role_permission: permission first; grant_user_permission: pattern (grain) first.
    let role = validate_role_grant("run", "abc", "NO_PERMISSIONS").unwrap_err();
    assert!(matches!(role, PermissionError::NotGrantable { .. }));
    let user = validate_user_grant("run", "abc", "NO_PERMISSIONS").unwrap_err();
    assert!(matches!(user, PermissionError::WildcardOnly { .. }));
    assert_eq!(
        validate_role_grant("experiment", "3", "EDIT"),
        Ok(grant(T::Experiment, "3", Edit))
    );
}

// ---- keys ---------------------------------------------------------------------------------

#[test]
fn experiment_ids_canonicalise_like_python_int() {
    for (raw, canonical) in [
        ("01", "1"),
        ("1", "1"),
        ("000", "0"),
        (" 42 ", "42"),
        ("+7", "7"),
        ("1_0", "10"),
        ("-0", "0"),
    ] {
        assert_eq!(canonical_experiment_id(raw), canonical, "{raw:?}");
    }
    for not_int in ["abc", "", "1__0", "_1", "1_", "1.0", "0x10"] {
        assert_eq!(canonical_experiment_id(not_int), not_int);
    }
}

#[test]
fn scorer_key_quotes_everything_but_unreserved() {
    assert_eq!(scorer_key("01", "my_scorer"), "1/my_scorer");
    assert_eq!(scorer_key("3", "a/b c?é~.-"), "3/a%2Fb%20c%3F%C3%A9~.-");
}

#[test]
fn experiment_and_scorer_patterns_match_across_leading_zeros() {
    let grants = [
        grant(T::Experiment, "01", Edit),
        grant(T::Scorer, "007/s", Manage),
    ];
    assert_eq!(
        fold_grants_for_key(&grants, &GrantKey::new(T::Experiment, "1")),
        Some(Edit)
    );
    assert_eq!(
        fold_grants_for_key(&grants, &GrantKey::new(T::Scorer, "7/s")),
        Some(Manage)
    );
    assert_eq!(
        fold_grants_for_key(&grants, &GrantKey::new(T::Experiment, "10")),
        None
    );
}
