//! Roles (reference §7.2): role CRUD, role permissions, assignments, `users/roles/list` and
//! `roles/users/list`. Roles keep their workspace even though mlauth reads grants only in
//! `default` (MLflow with workspaces off behaves the same).

use serde_json::{json, Value};

use super::responses::{empty_ok, json_ok, ApiError, Outcome};
use super::users::role_json;
use super::Call;
use crate::basic_auth::permissions::{validate_permission_for_resource_type, validate_role_grant};

fn non_blank(value: &Value) -> Option<&str> {
    value.as_str().filter(|s| !s.trim().is_empty())
}

/// `POST roles/create`.
pub(super) async fn create(call: &Call<'_>) -> Outcome {
    let name = call.params.value("name")?;
    let workspace = call.params.value("workspace")?;
    let name = non_blank(&name).ok_or_else(|| ApiError::invalid("Role name cannot be empty."))?;
    let workspace =
        non_blank(&workspace).ok_or_else(|| ApiError::invalid("Workspace cannot be empty."))?;
    let description = match call.params.body_field("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(d)) => Some(d),
        Some(_) => {
            return Err(ApiError::invalid(
                "Role description must be a string or null.",
            ))
        }
    };
    let role = call
        .core
        .store
        .create_role(name, workspace, description.as_deref())
        .await?;
    Ok(json_ok(&json!({"role": role_json(&role)})))
}

/// `GET roles/get`.
pub(super) async fn get(call: &Call<'_>) -> Outcome {
    let role = call
        .core
        .store
        .get_role(call.params.int("role_id")?)
        .await?;
    Ok(json_ok(&json!({"role": role_json(&role)})))
}

/// `GET roles/list`: repeated `?workspace=` scopes the listing; none lists every role.
pub(super) async fn list(call: &Call<'_>) -> Outcome {
    let workspaces = call.params.query_all("workspace");
    if workspaces.iter().any(|w| w.trim().is_empty()) {
        return Err(ApiError::invalid(
            "Parameter 'workspace' must be a non-empty string when provided.",
        ));
    }
    let scope = (!workspaces.is_empty()).then_some(workspaces.as_slice());
    let roles = call.core.store.list_roles(scope).await?;
    Ok(json_ok(
        &json!({"roles": roles.iter().map(role_json).collect::<Vec<_>>()}),
    ))
}

/// `PATCH roles/update`: at least one of `name` / `description`.
pub(super) async fn update(call: &Call<'_>) -> Outcome {
    let role_id = call.params.int("role_id")?;
    let name = call.params.body_field("name").filter(|v| !v.is_null());
    let description = call
        .params
        .body_field("description")
        .filter(|v| !v.is_null());
    if name.is_none() && description.is_none() {
        return Err(ApiError::invalid(
            "At least one of 'name' or 'description' must be provided to update a role.",
        ));
    }
    let name = match &name {
        Some(v) => {
            Some(non_blank(v).ok_or_else(|| ApiError::invalid("Role name cannot be empty."))?)
        }
        None => None,
    };
    let description = match &description {
        Some(Value::String(d)) => Some(d.as_str()),
        Some(_) => return Err(ApiError::invalid("Role description must be a string.")),
        None => None,
    };
    let role = call
        .core
        .store
        .update_role(role_id, name, description)
        .await?;
    Ok(json_ok(&json!({"role": role_json(&role)})))
}

/// `DELETE roles/delete` (with the role's grants and assignments).
pub(super) async fn delete(call: &Call<'_>) -> Outcome {
    call.core
        .store
        .delete_role(call.params.int("role_id")?)
        .await?;
    Ok(empty_ok())
}

/// `POST roles/permissions/add`: validated like MLflow (permission for the type, then grain).
pub(super) async fn add_permission(call: &Call<'_>) -> Outcome {
    let role_id = call.params.int("role_id")?;
    let resource_type = call.params.text("resource_type")?;
    let pattern = call.params.text("resource_pattern")?;
    let permission = call.params.text("permission")?;
    validate_role_grant(&resource_type, &pattern, &permission)?;
    let rp = call
        .core
        .store
        .add_role_permission(role_id, &resource_type, &pattern, &permission)
        .await?;
    Ok(json_ok(&json!({"role_permission": rp})))
}

/// `DELETE roles/permissions/remove`.
pub(super) async fn remove_permission(call: &Call<'_>) -> Outcome {
    call.core
        .store
        .remove_role_permission(call.params.int("role_permission_id")?)
        .await?;
    Ok(empty_ok())
}

/// `GET roles/permissions/list`.
pub(super) async fn list_permissions(call: &Call<'_>) -> Outcome {
    let perms = call
        .core
        .store
        .list_role_permissions(call.params.int("role_id")?)
        .await?;
    Ok(json_ok(&json!({"role_permissions": perms})))
}

/// `PATCH roles/permissions/update`: the new level must be grantable on the grant's type.
pub(super) async fn update_permission(call: &Call<'_>) -> Outcome {
    let id = call.params.int("role_permission_id")?;
    let permission = call.params.text("permission")?;
    let existing = call.core.store.get_role_permission(id).await?;
    validate_permission_for_resource_type(&permission, &existing.resource_type)?;
    let rp = call
        .core
        .store
        .update_role_permission(id, &permission)
        .await?;
    Ok(json_ok(&json!({"role_permission": rp})))
}

/// `POST roles/assign`.
pub(super) async fn assign(call: &Call<'_>) -> Outcome {
    let username = call.params.text("username")?;
    let role_id = call.params.int("role_id")?;
    let user = call.core.store.get_user(&username).await?;
    let assignment = call.core.store.assign_role(user.id, role_id).await?;
    Ok(json_ok(&json!({"assignment": assignment})))
}

/// `DELETE roles/unassign`.
pub(super) async fn unassign(call: &Call<'_>) -> Outcome {
    let username = call.params.text("username")?;
    let role_id = call.params.int("role_id")?;
    let user = call.core.store.get_user(&username).await?;
    call.core.store.unassign_role(user.id, role_id).await?;
    Ok(empty_ok())
}

/// `GET users/roles/list`: all roles for self or an admin, otherwise only roles in the
/// workspaces the caller administers.
pub(super) async fn list_user_roles(call: &Call<'_>) -> Outcome {
    let username = call.params.text("username")?;
    let user = call.core.store.get_user(&username).await?;
    let mut roles = call.core.store.list_user_roles(user.id).await?;
    if !call.caller.is_admin && call.caller.username != username {
        let admin_workspaces = call
            .core
            .store
            .list_workspace_admin_workspaces(call.caller.id)
            .await?;
        roles.retain(|role| admin_workspaces.contains(&role.workspace));
    }
    Ok(json_ok(
        &json!({"roles": roles.iter().map(role_json).collect::<Vec<_>>()}),
    ))
}

/// `GET roles/users/list`.
pub(super) async fn list_role_users(call: &Call<'_>) -> Outcome {
    let assignments = call
        .core
        .store
        .list_role_users(call.params.int("role_id")?)
        .await?;
    Ok(json_ok(&json!({"assignments": assignments})))
}
