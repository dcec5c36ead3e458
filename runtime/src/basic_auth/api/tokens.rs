//! Personal access tokens (`docs/access-tokens.md`), under the auth API prefix:
//!
//! * `POST users/access-tokens/create` `{"name", "expires_in_days"?, "username"?}` →
//!   `{"access_token": {…}, "token": "mlat_…"}` — the token is shown this once;
//! * `GET users/access-tokens/list` `?username=` → `{"access_tokens": [{…}]}` (no secrets);
//! * `DELETE users/access-tokens/delete` `{"id", "username"?}` → `{}` (revocation).
//!
//! `username` defaults to the caller; only admins may name someone else (validator).

use serde_json::{json, Value};

use super::responses::{empty_ok, json_ok, ApiError, Outcome};
use super::Call;
use crate::basic_auth::access_tokens::{
    mint, now_ms, DAY_MS, DEFAULT_EXPIRY_DAYS, MAX_EXPIRY_DAYS, MAX_TOKENS_PER_USER,
};
use crate::basic_auth::params::python::{coerce_int, py_str};
use crate::store::access_tokens::NewAccessToken;
use crate::store::{AccessToken, User};

/// Longest token name.
const MAX_NAME_CHARS: usize = 255;

/// A token's public JSON (never the secret or its hash).
fn token_json(token: &AccessToken) -> Value {
    json!({
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "username": token.username,
        "creation_timestamp": token.created_at,
        "expiration_timestamp": token.expires_at,
    })
}

/// The optional `username` parameter; absent means the caller.
fn target_username(call: &Call<'_>) -> String {
    match call.params.value("username") {
        Ok(Value::Null) | Err(_) => call.caller.username.clone(),
        Ok(v) => py_str(&v),
    }
}

/// Validator: a non-admin manages only their own tokens.
pub(super) fn is_self(call: &Call<'_>) -> bool {
    target_username(call) == call.caller.username
}

async fn target_user(call: &Call<'_>) -> Result<User, ApiError> {
    Ok(call.core.store.get_user(&target_username(call)).await?)
}

fn checked_name(call: &Call<'_>) -> Result<String, ApiError> {
    let name = match call.params.value("name")? {
        Value::String(s) => s.trim().to_string(),
        _ => return Err(ApiError::invalid("Token name must be a string.")),
    };
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::invalid(format!(
            "Token name must be 1 to {MAX_NAME_CHARS} characters."
        )));
    }
    Ok(name)
}

fn checked_days(call: &Call<'_>) -> Result<i64, ApiError> {
    let days = match call.params.value("expires_in_days") {
        Ok(Value::Null) | Err(_) => DEFAULT_EXPIRY_DAYS,
        Ok(raw) => coerce_int("expires_in_days", &raw)?,
    };
    if !(1..=MAX_EXPIRY_DAYS).contains(&days) {
        return Err(ApiError::invalid(format!(
            "expires_in_days must be between 1 and {MAX_EXPIRY_DAYS}, got {days}."
        )));
    }
    Ok(days)
}

/// `POST users/access-tokens/create`.
pub(super) async fn create(call: &Call<'_>) -> Outcome {
    let name = checked_name(call)?;
    let days = checked_days(call)?;
    let owner = target_user(call).await?;
    let minted = mint();
    let created_at = now_ms();
    let new = NewAccessToken {
        name: &name,
        prefix: &minted.prefix,
        token_hash: &minted.hash,
        created_at,
        expires_at: created_at + days * DAY_MS,
    };
    let token = call
        .core
        .store
        .create_access_token(&owner, new, MAX_TOKENS_PER_USER)
        .await?;
    tracing::info!(
        username = %owner.username,
        by = %call.caller.username,
        token_id = token.id,
        prefix = %token.prefix,
        "access token created"
    );
    Ok(json_ok(
        &json!({"access_token": token_json(&token), "token": minted.token}),
    ))
}

/// `GET users/access-tokens/list`.
pub(super) async fn list(call: &Call<'_>) -> Outcome {
    let owner = target_user(call).await?;
    let now = now_ms();
    let tokens: Vec<Value> = call
        .core
        .store
        .list_access_tokens(owner.id)
        .await?
        .iter()
        .filter(|t| t.expires_at > now)
        .map(token_json)
        .collect();
    Ok(json_ok(&json!({"access_tokens": tokens})))
}

/// `DELETE users/access-tokens/delete`.
pub(super) async fn delete(call: &Call<'_>) -> Outcome {
    let id = call.params.int("id")?;
    let owner = target_user(call).await?;
    call.core.store.delete_access_token(owner.id, id).await?;
    tracing::info!(
        username = %owner.username,
        by = %call.caller.username,
        token_id = id,
        "access token revoked"
    );
    Ok(empty_ok())
}
