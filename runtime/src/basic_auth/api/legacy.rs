//! The ≤3.12 per-resource permission endpoints (reference §8), kept for old clients and
//! mapped onto the user's `__user_<id>__` grants in `default` (what MLflow 3.13+ does in its
//! store "tombstones"): `experiments/permissions/*`, `registered-models/permissions/*`,
//! `scorers/permissions/*` and the three `gateway/*/permissions/*` families. Who may call:
//! `can_manage` on the resource (admins always).
//!
//! `NO_PERMISSIONS`, a grantable explicit deny in ≤3.12, is no longer grantable; these
//! endpoints store it as `DENY` (the 3.18 explicit deny) and report a stored `DENY` back as
//! `NO_PERMISSIONS`, so an old client's "block this user" keeps its meaning.

mod kinds;

pub(super) use kinds::{LegacyKind, LegacyOp};

use super::access::point;
use super::responses::{empty_ok, json_ok, ApiError, Outcome};
use super::Call;
use crate::basic_auth::permissions::validate_permission_for_resource_type;
use crate::store::{RolePermission, DEFAULT_WORKSPACE};

fn ids(call: &Call<'_>, kind: LegacyKind) -> Result<Vec<String>, ApiError> {
    kind.id_params()
        .iter()
        .map(|p| call.params.text(p))
        .collect()
}

/// The level stored for a legacy permission name (`NO_PERMISSIONS` → `DENY`).
fn stored_level(permission: &str) -> &str {
    if permission == "NO_PERMISSIONS" {
        "DENY"
    } else {
        permission
    }
}

/// The legacy name of a stored level (`DENY` → `NO_PERMISSIONS`).
fn legacy_level(permission: &str) -> &str {
    if permission == "DENY" {
        "NO_PERMISSIONS"
    } else {
        permission
    }
}

/// Validator: `can_manage` on the resource (`validate_can_manage_experiment` and friends).
pub(super) async fn can_manage(call: &Call<'_>, kind: LegacyKind) -> Result<bool, ApiError> {
    let key = kind.key(&ids(call, kind)?);
    Ok(point(call, call.caller.id, kind.resource_type(), &key)
        .await?
        .can_manage())
}

/// The user's direct grant on the resource (canonical key first, then the literal id).
async fn find(
    call: &Call<'_>,
    kind: LegacyKind,
    user_id: i64,
    ids: &[String],
) -> Result<Option<RolePermission>, ApiError> {
    let store = &call.core.store;
    let rtype = kind.resource_type().as_str();
    let key = kind.key(ids);
    if let Some(found) = store
        .get_user_grant(user_id, DEFAULT_WORKSPACE, rtype, &key)
        .await?
    {
        return Ok(Some(found));
    }
    if kind == LegacyKind::Experiment && key != ids[0] {
        return Ok(store
            .get_user_grant(user_id, DEFAULT_WORKSPACE, rtype, &ids[0])
            .await?);
    }
    Ok(None)
}

/// Answers one legacy operation.
pub(super) async fn handle(call: &Call<'_>, kind: LegacyKind, op: LegacyOp) -> Outcome {
    let ids = ids(call, kind)?;
    let username = call.params.text("username")?;
    let rtype = kind.resource_type();
    let requested = match op {
        LegacyOp::Create | LegacyOp::Update => {
            let requested = call.params.text("permission")?;
            validate_permission_for_resource_type(stored_level(&requested), rtype.as_str())?;
            requested
        }
        LegacyOp::Get | LegacyOp::Delete => String::new(),
    };
    let store = &call.core.store;
    let user = store.get_user(&username).await?;
    let existing = find(call, kind, user.id, &ids).await?;
    match (op, existing) {
        (LegacyOp::Create, Some(_)) => {
            Err(ApiError::already_exists(kind.duplicate(&ids, &username)))
        }
        (LegacyOp::Create, None) => {
            store
                .grant_user_permission(
                    &username,
                    DEFAULT_WORKSPACE,
                    rtype.as_str(),
                    &kind.key(&ids),
                    stored_level(&requested),
                )
                .await?;
            Ok(json_ok(&kind.entity_json(&ids, user.id, &requested)))
        }
        (_, None) => Err(ApiError::not_found(kind.not_found(&ids, &username))),
        (LegacyOp::Get, Some(grant)) => Ok(json_ok(&kind.entity_json(
            &ids,
            user.id,
            legacy_level(&grant.permission),
        ))),
        (LegacyOp::Update, Some(grant)) => {
            let level = stored_level(&requested);
            store
                .grant_user_permission(
                    &username,
                    DEFAULT_WORKSPACE,
                    rtype.as_str(),
                    &grant.resource_pattern,
                    level,
                )
                .await?;
            Ok(empty_ok())
        }
        (LegacyOp::Delete, Some(grant)) => {
            store
                .revoke_user_resource_permission(
                    &username,
                    DEFAULT_WORKSPACE,
                    rtype.as_str(),
                    &grant.resource_pattern,
                )
                .await?;
            Ok(empty_ok())
        }
    }
}
