//! The `e5f6a7b8c9d0` step: the legacy per-resource permission tables are mirrored into
//! `role_permissions` on the users' synthetic `__user_<id>__` roles, as MLflow's migration
//! does (same permission mapping, same workspace fan-out).

use super::py_quote;
use crate::store::grants::synthetic_role_for_migration;
use crate::store::{Arg, Result, Session, DEFAULT_WORKSPACE};

const RESOURCE_PERMISSIONS: &[&str] = &["READ", "USE", "EDIT", "MANAGE"];
const FAN_OUT_TYPES: &[&str] = &[
    "experiment",
    "registered_model",
    "scorer",
    "gateway_secret",
    "gateway_endpoint",
    "gateway_model_definition",
];

/// One grant produced by the backfill: `(workspace, resource_type, pattern, permission)`.
type Mirrored = (String, String, String, String);

/// `_workspace_row`: READ→USE, EDIT→USE + per-type `*` EDIT, NO_PERMISSIONS dropped.
fn workspace_row(workspace: &str, permission: &str) -> Vec<Mirrored> {
    let grant = |rt: &str, perm: &str| {
        (
            workspace.to_string(),
            rt.to_string(),
            "*".to_string(),
            perm.to_string(),
        )
    };
    match permission {
        "EDIT" => std::iter::once(grant("workspace", "USE"))
            .chain(FAN_OUT_TYPES.iter().map(|rt| grant(rt, "EDIT")))
            .collect(),
        "READ" => vec![grant("workspace", "USE")],
        "USE" | "MANAGE" => vec![grant("workspace", permission)],
        _ => vec![],
    }
}

/// `_resource_row`: only READ/USE/EDIT/MANAGE survive.
fn resource_row(
    workspace: &str,
    rt: &str,
    pattern: String,
    permission: Option<&str>,
) -> Vec<Mirrored> {
    match permission {
        Some(p) if RESOURCE_PERMISSIONS.contains(&p) => {
            vec![(
                workspace.to_string(),
                rt.to_string(),
                pattern,
                p.to_string(),
            )]
        }
        _ => vec![],
    }
}

/// `e5f6a7b8c9d0`: copies the legacy per-resource tables into `role_permissions` on the
/// synthetic `__user_<id>__` roles. The legacy tables are kept.
pub(super) async fn backfill_legacy_grants(s: &mut Session) -> Result<()> {
    let default = DEFAULT_WORKSPACE;
    let rows = s
        .fetch_all(
            "SELECT user_id, workspace, permission FROM workspace_permissions",
            &[],
        )
        .await?;
    for r in rows {
        let perm = r.text(2)?;
        mirror_all(s, r.i64(0)?, workspace_row(&r.text(1)?, &perm)).await?;
    }
    let rows = s
        .fetch_all(
            "SELECT user_id, experiment_id, permission FROM experiment_permissions",
            &[],
        )
        .await?;
    for r in rows {
        let grants = resource_row(default, "experiment", r.text(1)?, r.opt_text(2)?.as_deref());
        mirror_all(s, r.i64(0)?, grants).await?;
    }
    let rows = s
        .fetch_all(
            "SELECT user_id, workspace, name, permission FROM registered_model_permissions",
            &[],
        )
        .await?;
    for r in rows {
        let grants = resource_row(
            &r.text(1)?,
            "registered_model",
            r.text(2)?,
            r.opt_text(3)?.as_deref(),
        );
        mirror_all(s, r.i64(0)?, grants).await?;
    }
    let rows = s
        .fetch_all(
            "SELECT user_id, experiment_id, scorer_name, permission FROM scorer_permissions",
            &[],
        )
        .await?;
    for r in rows {
        let pattern = format!("{}/{}", r.text(1)?, py_quote(&r.text(2)?));
        mirror_all(
            s,
            r.i64(0)?,
            resource_row(default, "scorer", pattern, r.opt_text(3)?.as_deref()),
        )
        .await?;
    }
    for (table, key, rt) in [
        ("gateway_secret_permissions", "secret_id", "gateway_secret"),
        (
            "gateway_endpoint_permissions",
            "endpoint_id",
            "gateway_endpoint",
        ),
        (
            "gateway_model_definition_permissions",
            "model_definition_id",
            "gateway_model_definition",
        ),
    ] {
        let rows = s
            .fetch_all(
                &format!("SELECT user_id, {key}, permission FROM {table}"),
                &[],
            )
            .await?;
        for r in rows {
            mirror_all(
                s,
                r.i64(0)?,
                resource_row(default, rt, r.text(1)?, r.opt_text(2)?.as_deref()),
            )
            .await?;
        }
    }
    Ok(())
}

async fn mirror_all(s: &mut Session, user_id: i64, grants: Vec<Mirrored>) -> Result<()> {
    for (workspace, rt, pattern, perm) in grants {
        let role_id = synthetic_role_for_migration(s, user_id, &workspace).await?;
        let existing = s
            .fetch_optional(
                "SELECT id FROM role_permissions \
                 WHERE role_id = $1 AND resource_type = $2 AND resource_pattern = $3",
                &[Arg::Int(role_id), Arg::Text(&rt), Arg::Text(&pattern)],
            )
            .await?;
        if existing.is_none() {
            s.execute(
                "INSERT INTO role_permissions (role_id, resource_type, resource_pattern, permission) \
                 VALUES ($1, $2, $3, $4)",
                &[Arg::Int(role_id), Arg::Text(&rt), Arg::Text(&pattern), Arg::Text(&perm)],
            )
            .await?;
        }
    }
    Ok(())
}
