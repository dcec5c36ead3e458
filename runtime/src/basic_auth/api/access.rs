//! Who may call (MLflow's validators for the auth API) and the caller's effective permission
//! on one resource, computed with the permission engine over the caller's grants.
//!
//! Workspaces are disabled in mlauth: grants are read in `default`, an absent grant means
//! `default_permission`. Roles still carry a workspace, and "workspace admin" means holding
//! `('workspace', '*', 'MANAGE')` through a role in that workspace.

use serde_json::Value;

use super::responses::ApiError;
use super::Call;
use crate::basic_auth::params::python::coerce_int;
use crate::basic_auth::permissions::{point_permission, Grant, Permission, ResourceType};
use crate::store::{GrantRow, DEFAULT_WORKSPACE};

/// `username_is_sender`: the `username` parameter names the caller.
pub(super) fn username_is_sender(call: &Call<'_>) -> Result<bool, ApiError> {
    Ok(call.params.text("username")? == call.caller.username)
}

/// `validate_can_create_user`: the caller administers at least one workspace.
pub(super) async fn is_any_workspace_admin(call: &Call<'_>) -> Result<bool, ApiError> {
    Ok(!call
        .core
        .store
        .list_workspace_admin_workspaces(call.caller.id)
        .await?
        .is_empty())
}

/// `validate_can_view_user_roles`: self, or a workspace admin of a workspace where the target
/// holds a role (an unknown target is a refusal, not a 404).
pub(super) async fn can_view_user_roles(call: &Call<'_>) -> Result<bool, ApiError> {
    let target = call.params.text("username")?;
    if target == call.caller.username {
        return Ok(true);
    }
    let Some(target) = call.core.store.find_user(&target).await? else {
        return Ok(false);
    };
    Ok(call
        .core
        .store
        .is_workspace_admin_of_any_of_users_workspaces(call.caller.id, target.id)
        .await?)
}

/// `validate_can_manage_roles`: workspace admin of the workspace the request targets.
pub(super) async fn can_manage_roles(call: &Call<'_>) -> Result<bool, ApiError> {
    match role_workspace(call).await? {
        Some(ws) => Ok(call
            .core
            .store
            .is_workspace_admin(call.caller.id, &ws)
            .await?),
        None => Ok(false),
    }
}

/// `validate_can_view_roles`: any role in the workspace the request targets.
pub(super) async fn can_view_roles(call: &Call<'_>) -> Result<bool, ApiError> {
    match role_workspace(call).await? {
        Some(ws) => Ok(call
            .core
            .store
            .user_has_any_role_in_workspace(call.caller.id, &ws)
            .await?),
        None => Ok(false),
    }
}

/// `validate_can_list_roles`: a role in every requested workspace; listing all is admin-only.
pub(super) async fn can_list_roles(call: &Call<'_>) -> Result<bool, ApiError> {
    let requested: Vec<String> = call
        .params
        .query_all("workspace")
        .into_iter()
        .map(|w| w.trim().to_string())
        .filter(|w| !w.is_empty())
        .collect();
    if requested.is_empty() {
        return Ok(false);
    }
    let present = call
        .core
        .store
        .list_user_present_workspaces(call.caller.id)
        .await?;
    Ok(requested.iter().all(|w| present.contains(w)))
}

/// `_get_role_workspace_from_request`: the workspace named by `role_id`, `role_permission_id`
/// and/or `workspace`, each read exactly as the handler will read it (camelCase included). `None` (refuse, do not reveal existence) when a referenced role or
/// role permission does not exist or, as in 3.18, when the identifiers name different
/// workspaces.
pub(super) async fn role_workspace(call: &Call<'_>) -> Result<Option<String>, ApiError> {
    let params = &call.params;
    let store = &call.core.store;
    let mut found: Vec<String> = Vec::new();
    if let Some(raw) = params.validator_value("role_id")? {
        let id = coerce_int("role_id", &raw)?;
        match store.get_role(id).await {
            Ok(role) => found.push(role.workspace),
            Err(crate::store::StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(raw) = params.validator_value("role_permission_id")? {
        let id = coerce_int("role_permission_id", &raw)?;
        let role = match store.get_role_permission(id).await {
            Ok(rp) => store.get_role(rp.role_id).await,
            Err(e) => Err(e),
        };
        match role {
            Ok(role) => found.push(role.workspace),
            Err(crate::store::StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(raw) = params.validator_value("workspace")? {
        match raw {
            Value::String(ws) if !ws.trim().is_empty() => found.push(ws),
            _ => {
                return Err(ApiError::invalid(
                    "Parameter 'workspace' must be a non-empty string.",
                ))
            }
        }
    }
    let Some(first) = found.first().cloned() else {
        return Err(ApiError::invalid(
            "Request must include one of: role_id, role_permission_id, workspace.",
        ));
    };
    Ok(found.iter().all(|w| *w == first).then_some(first))
}

/// The user's grants in the (only) workspace on `types` and the workspace slot.
pub(super) async fn grants(
    call: &Call<'_>,
    user_id: i64,
    types: &[ResourceType],
) -> Result<Vec<Grant>, ApiError> {
    let names: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
    let rows = call
        .core
        .store
        .grants_for_user(user_id, DEFAULT_WORKSPACE, &names)
        .await?;
    Ok(rows.iter().filter_map(to_grant).collect())
}

/// A stored row as the engine sees it; names the engine does not know are ignored.
fn to_grant(row: &GrantRow) -> Option<Grant> {
    let resource_type = ResourceType::parse(&row.resource_type).ok()?;
    let permission = Permission::parse(&row.permission).ok()?;
    Some(Grant::new(
        resource_type,
        row.resource_pattern.clone(),
        permission,
    ))
}

/// `_get_role_permission_or_default(_role_permission_for(...))` for `user_id` on one key.
pub(super) async fn point(
    call: &Call<'_>,
    user_id: i64,
    resource_type: ResourceType,
    key: &str,
) -> Result<Permission, ApiError> {
    let grants = grants(call, user_id, &[resource_type]).await?;
    Ok(point_permission(
        &grants,
        resource_type,
        key,
        call.core.config.default_permission,
    ))
}
