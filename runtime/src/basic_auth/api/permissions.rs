//! `users/current/permissions` and `users/permissions/{list,grant,revoke,get}` (reference
//! §7.1): per-user grants live on the user's hidden `__user_<id>__` role in `default`.

use serde_json::json;

use super::access::point;
use super::responses::{empty_ok, json_ok, ApiError, Outcome};
use super::Call;
use crate::basic_auth::permissions::{validate_user_grant, Permission, ResourceType};
use crate::store::{StoreError, UserPermissionRow, DEFAULT_WORKSPACE};

const WORKSPACE_REJECTED: &str =
    "resource_type 'workspace' is not supported by the per-user permission convenience APIs. \
     Use set_workspace_permission / delete_workspace_permission for workspace-wide grants.";

/// `_reject_workspace_resource_type`.
fn reject_workspace(resource_type: &str) -> Result<(), ApiError> {
    match resource_type {
        "workspace" => Err(ApiError::invalid(WORKSPACE_REJECTED)),
        _ => Ok(()),
    }
}

/// `_resource_dispatch_keys`: the grant key of one resource, for the types the convenience
/// APIs resolve per id (scorer ids are `<experiment_id>/<scorer_name>`).
fn dispatch_key(resource_type: ResourceType, resource_id: &str) -> Result<String, ApiError> {
    match resource_type {
        ResourceType::Scorer if !resource_id.contains('/') => Err(ApiError::invalid(
            "Invalid scorer resource_id. Expected '<experiment_id>/<scorer_name>'.",
        )),
        ResourceType::Scorer
        | ResourceType::Experiment
        | ResourceType::RegisteredModel
        | ResourceType::GatewaySecret
        | ResourceType::GatewayEndpoint
        | ResourceType::GatewayModelDefinition
        | ResourceType::McpServer => Ok(resource_id.to_string()),
        other => Err(ApiError::invalid(format!(
            "resource_type '{other}' is not supported by the per-user permission convenience APIs."
        ))),
    }
}

/// `_resolve_user_permission_for_resource`: what a real request by `user_id` would get.
async fn resolve(
    call: &Call<'_>,
    user_id: i64,
    resource_type: &str,
    resource_id: &str,
) -> Result<Permission, ApiError> {
    reject_workspace(resource_type)?;
    let rtype = ResourceType::parse(resource_type)?;
    let key = match resource_id {
        "*" => "*".to_string(),
        id => dispatch_key(rtype, id)?,
    };
    point(call, user_id, rtype, &key).await
}

/// Validator of grant/revoke (`validate_can_manage_resource`): `can_manage` on the resource;
/// a wildcard needs a workspace admin.
pub(super) async fn can_manage_resource(call: &Call<'_>) -> Result<bool, ApiError> {
    let resource_type = call.params.text("resource_type")?;
    let resource_id = call.params.text("resource_id")?;
    if resource_id == "*" {
        reject_workspace(&resource_type)?;
        ResourceType::parse(&resource_type)?;
        return Ok(call
            .core
            .store
            .is_workspace_admin(call.caller.id, DEFAULT_WORKSPACE)
            .await?);
    }
    Ok(resolve(call, call.caller.id, &resource_type, &resource_id)
        .await?
        .can_manage())
}

/// Validator of `get` (`validate_can_get_user_permission`): self, or a workspace admin of the
/// resource's workspace (always `default`; unresolvable resources are refused).
pub(super) async fn can_get_user_permission(call: &Call<'_>) -> Result<bool, ApiError> {
    let resource_type = call.params.text("resource_type")?;
    reject_workspace(&resource_type)?;
    let target = call.params.text("username")?;
    if target == call.caller.username {
        return Ok(true);
    }
    if !call.core.store.has_user(&target).await? {
        return Ok(false);
    }
    let resource_id = call.params.text("resource_id")?;
    let locatable = resource_id == "*"
        || ResourceType::parse(&resource_type).is_ok_and(|t| dispatch_key(t, &resource_id).is_ok());
    if !locatable {
        return Ok(false);
    }
    Ok(call
        .core
        .store
        .is_workspace_admin(call.caller.id, DEFAULT_WORKSPACE)
        .await?)
}

/// `POST users/permissions/grant`: a new grant (duplicate → 400); experiment ids stored canonical.
pub(super) async fn grant(call: &Call<'_>) -> Outcome {
    let username = call.params.text("username")?;
    let resource_type = call.params.text("resource_type")?;
    let resource_id = call.params.text("resource_id")?;
    let permission = call.params.text("permission")?;
    call.core.store.get_user(&username).await?;
    reject_workspace(&resource_type)?;
    let checked = validate_user_grant(&resource_type, &resource_id, &permission)?;
    let key = checked.resource_type.canonical_key(&resource_id);
    call.core
        .store
        .grant_user_resource_permission(
            &username,
            DEFAULT_WORKSPACE,
            &resource_type,
            &key,
            &permission,
        )
        .await?;
    Ok(empty_ok())
}

/// `POST users/permissions/revoke`: removes the grant (missing → 404).
pub(super) async fn revoke(call: &Call<'_>) -> Outcome {
    let username = call.params.text("username")?;
    let resource_type = call.params.text("resource_type")?;
    let resource_id = call.params.text("resource_id")?;
    call.core.store.get_user(&username).await?;
    reject_workspace(&resource_type)?;
    let rtype = ResourceType::parse(&resource_type)?;
    let store = &call.core.store;
    let first = store
        .revoke_user_resource_permission(&username, DEFAULT_WORKSPACE, &resource_type, &resource_id)
        .await;
    let canonical = rtype.canonical_key(&resource_id);
    match first {
        Err(StoreError::NotFound(message)) if canonical != resource_id => {
            match store
                .revoke_user_resource_permission(
                    &username,
                    DEFAULT_WORKSPACE,
                    &resource_type,
                    &canonical,
                )
                .await
            {
                Err(StoreError::NotFound(_)) => Err(ApiError::not_found(message)),
                other => other.map_err(ApiError::from),
            }
        }
        other => other.map_err(ApiError::from),
    }?;
    Ok(empty_ok())
}

/// `GET users/permissions/get`: `{"allowed": can_use, "permission": ...}`; unknown resources
/// resolve like any other (no 404).
pub(super) async fn get(call: &Call<'_>) -> Outcome {
    let username = call.params.text("username")?;
    let resource_type = call.params.text("resource_type")?;
    let resource_id = call.params.text("resource_id")?;
    let user = call.core.store.get_user(&username).await?;
    let permission = resolve(call, user.id, &resource_type, &resource_id).await?;
    Ok(json_ok(
        &json!({"allowed": permission.can_use(), "permission": permission.name()}),
    ))
}

/// `GET users/current/permissions`: every grant of every role the caller holds.
pub(super) async fn list_current(call: &Call<'_>) -> Outcome {
    let rows = call
        .core
        .store
        .list_user_permissions(call.caller.id)
        .await?;
    Ok(json_ok(
        &json!({"is_admin": call.caller.is_admin, "permissions": rows}),
    ))
}

/// `GET users/permissions/list`: the target's grants; a workspace admin sees only the rows in
/// workspaces it administers.
pub(super) async fn list_for_user(call: &Call<'_>) -> Outcome {
    let username = call.params.text("username")?;
    let user = call.core.store.get_user(&username).await?;
    let mut rows: Vec<UserPermissionRow> = call.core.store.list_user_permissions(user.id).await?;
    if !call.caller.is_admin && call.caller.username != username {
        let admin_workspaces = call
            .core
            .store
            .list_workspace_admin_workspaces(call.caller.id)
            .await?;
        rows.retain(|row| admin_workspaces.contains(&row.workspace));
    }
    Ok(json_ok(
        &json!({"is_admin": user.is_admin, "permissions": rows}),
    ))
}
