//! `users/*` (reference §7.1): create, get, current, list, update-password, update-admin,
//! delete. Every password change, admin change and deletion drops the user's cached
//! credentials.

use serde_json::{json, Value};

use super::responses::{empty_ok, json_ok, ApiError, Outcome};
use super::Call;
use crate::basic_auth::app::BasicAuthCore;
use crate::basic_auth::ini::{meets_password_policy, PASSWORD_POLICY_MESSAGE};
use crate::basic_auth::params::is_json;
use crate::basic_auth::params::python::{is_falsy, py_repr_value, py_str};
use crate::basic_auth::password::generate_password_hash;
use crate::store::{Role, User};

/// `User.to_json()`.
pub(super) fn user_json(user: &User) -> Value {
    json!({"id": user.id, "is_admin": user.is_admin, "username": user.username})
}

/// `Role.to_json()` (with its permissions).
pub(super) fn role_json(role: &Role) -> Value {
    serde_json::to_value(role).unwrap_or(Value::Null)
}

/// `_validate_password`: at least 12 characters (a non-string never passes).
fn checked_password(password: &Value) -> Result<String, ApiError> {
    match password {
        Value::String(p) if meets_password_policy(p) => Ok(p.clone()),
        _ => Err(ApiError::invalid(PASSWORD_POLICY_MESSAGE)),
    }
}

/// Werkzeug's scrypt hash, off the async runtime (it costs tens of milliseconds).
async fn hash(password: String) -> Result<String, ApiError> {
    crate::basic_auth::password::off_executor(move || generate_password_hash(&password))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing aborted");
            ApiError::Mlflow {
                status: http::StatusCode::INTERNAL_SERVER_ERROR,
                code: "INTERNAL_ERROR",
                message: "Password hashing failed.".into(),
            }
        })
}

/// `store.create_user(username, password)`: password policy, hash, insert (duplicate → 400).
pub(super) async fn create_user(
    core: &BasicAuthCore,
    username: &str,
    password: &Value,
) -> Result<User, ApiError> {
    let password = checked_password(password)?;
    let hash = hash(password).await?;
    Ok(core.store.create_user(username, &hash, false).await?)
}

/// `POST users/create`.
pub(super) async fn create(call: &Call<'_>) -> Outcome {
    if !is_json(&call.req.headers) {
        return Err(ApiError::text_400(
            "Invalid content type. Must be application/json",
        ));
    }
    let username = call.params.value("username")?;
    let password = call.params.value("password")?;
    if is_falsy(&username) || is_falsy(&password) {
        return Err(ApiError::text_400("Username and password cannot be empty."));
    }
    let user = create_user(call.core, &py_str(&username), &password).await?;
    Ok(json_ok(&json!({"user": user_json(&user)})))
}

/// `GET users/get`.
pub(super) async fn get(call: &Call<'_>) -> Outcome {
    let user = call
        .core
        .store
        .get_user(&call.params.text("username")?)
        .await?;
    Ok(json_ok(&json!({"user": user_json(&user)})))
}

/// `GET users/current`.
pub(super) fn current(call: &Call<'_>) -> Outcome {
    Ok(json_ok(
        &json!({"is_basic_auth": call.core.is_basic_auth, "user": user_json(call.caller)}),
    ))
}

/// `GET users/list`: everyone, with roles visible to the caller (all for an admin or for the
/// caller's own entry; otherwise only roles in workspaces the caller administers).
pub(super) async fn list(call: &Call<'_>) -> Outcome {
    let store = &call.core.store;
    let users = store.list_users_with_roles().await?;
    let admin_workspaces = match call.caller.is_admin {
        true => None,
        false => Some(
            store
                .list_workspace_admin_workspaces(call.caller.id)
                .await?,
        ),
    };
    let entries: Vec<Value> = users
        .iter()
        .map(|(user, roles)| {
            let visible: Vec<Value> = roles
                .iter()
                .filter(|role| match &admin_workspaces {
                    Some(ws) if user.username != call.caller.username => ws.contains(&role.workspace),
                    _ => true,
                })
                .map(role_json)
                .collect();
            json!({"id": user.id, "is_admin": user.is_admin, "roles": visible, "username": user.username})
        })
        .collect();
    Ok(json_ok(&json!({"users": entries})))
}

/// `PATCH users/update-password`: changing one's own password needs a matching, different
/// `current_password`; an admin changing someone else's does not.
pub(super) async fn update_password(call: &Call<'_>) -> Outcome {
    let username = call.params.text("username")?;
    let password = call.params.value("password")?;
    if username == call.caller.username {
        let current = call
            .params
            .body_field("current_password")
            .filter(|v| !is_falsy(v));
        let Some(current) = current else {
            return Err(ApiError::invalid(
                "Current password is required when changing your own password.",
            ));
        };
        let verified = call
            .core
            .verify_password(&username, &py_str(&current))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "current-password check failed");
                ApiError::unavailable()
            })?;
        if verified.is_none() {
            return Err(ApiError::WrongCurrentPassword);
        }
        if password == current {
            return Err(ApiError::invalid(
                "New password must differ from the current password.",
            ));
        }
    }
    let user = call.core.store.get_user(&username).await?;
    let hash = hash(checked_password(&password)?).await?;
    call.core
        .store
        .update_password_hash(&user.username, &hash)
        .await?;
    call.core.cache.invalidate_user(&username);
    Ok(empty_ok())
}

/// `PATCH users/update-admin` (admin only).
pub(super) async fn update_admin(call: &Call<'_>) -> Outcome {
    let username = call.params.text("username")?;
    let raw = call.params.value("is_admin")?;
    call.core.store.get_user(&username).await?;
    let is_admin = match &raw {
        Value::Null => None,
        Value::Bool(b) => Some(*b),
        Value::Number(n) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => {
            Some(n.as_i64() == Some(1))
        }
        Value::Number(n) => {
            return Err(ApiError::bad_request(format!(
                "Value {n} is not None, True, or False"
            )))
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "Not a boolean value: {}",
                py_repr_value(other)
            )))
        }
    };
    if let Some(is_admin) = is_admin {
        call.core.store.update_admin(&username, is_admin).await?;
    }
    call.core.cache.invalidate_user(&username);
    Ok(empty_ok())
}

/// `DELETE users/delete` (admin only; never oneself).
pub(super) async fn delete(call: &Call<'_>) -> Outcome {
    let username = call.params.text("username")?;
    if username == call.caller.username {
        return Err(ApiError::bad_request(
            "Users cannot delete their own account. Ask another admin to delete this user instead.",
        ));
    }
    call.core.store.delete_user(&username).await?;
    call.core.cache.invalidate_user(&username);
    Ok(empty_ok())
}
