//! Per-user grants on the hidden `__user_<id>__` roles, the grant query of the
//! effective-permission algorithm (§3.6 step 2), and the rename/delete sweeps (§4.2, §5.5).
//!
//! This file holds the synthetic-role naming and get-or-create helpers; the operations are
//! split by topic: `per_user` (grant, revoke, look up one grant), `queries` (a user's
//! grants through every role) and `sweeps` (rename/delete of grants on a resource).

mod per_user;
mod queries;
mod sweeps;

use super::roles::py_repr;
use super::{Arg, Result, Session, StoreError};

pub use sweeps::PatternGrants;

/// Name of a user's synthetic role: `__user_<id>__`.
pub fn synthetic_role_name(user_id: i64) -> String {
    format!("__user_{user_id}__")
}

/// True for names of the form `^__user_\d+__$` (MLflow's `_SYNTHETIC_ROLE_NAME_RE`).
pub fn is_synthetic_role_name(name: &str) -> bool {
    name.strip_prefix("__user_")
        .and_then(|rest| rest.strip_suffix("__"))
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Canonical scorer key `<experiment_id>/<urllib.parse.quote(scorer_name, safe='')>`.
pub fn scorer_pattern(experiment_id: &str, scorer_name: &str) -> String {
    format!("{experiment_id}/{}", super::migrate::py_quote(scorer_name))
}

async fn find_role_id(s: &mut Session, workspace: &str, name: &str) -> Result<Option<i64>> {
    let row = s
        .fetch_optional(
            "SELECT id FROM roles WHERE workspace = $1 AND name = $2",
            &[Arg::Text(workspace), Arg::Text(name)],
        )
        .await?;
    Ok(row.map(|r| r.i64(0)).transpose()?)
}

async fn other_assignee(s: &mut Session, role_id: i64, user_id: i64) -> Result<Option<i64>> {
    let row = s
        .fetch_optional(
            "SELECT user_id FROM user_role_assignments WHERE role_id = $1 AND user_id <> $2",
            &[Arg::Int(role_id), Arg::Int(user_id)],
        )
        .await?;
    Ok(row.map(|r| r.i64(0)).transpose()?)
}

/// Assigns the role unless already assigned. Looks first, so that (as in MLflow) no
/// PostgreSQL sequence value is consumed when the row exists; `ON CONFLICT` covers races.
async fn assign_if_missing(s: &mut Session, user_id: i64, role_id: i64) -> Result<()> {
    let existing = s
        .fetch_optional(
            "SELECT id FROM user_role_assignments WHERE user_id = $1 AND role_id = $2",
            &[Arg::Int(user_id), Arg::Int(role_id)],
        )
        .await?;
    if existing.is_some() {
        return Ok(());
    }
    s.execute(
        "INSERT INTO user_role_assignments (user_id, role_id) VALUES ($1, $2) \
         ON CONFLICT (user_id, role_id) DO NOTHING",
        &[Arg::Int(user_id), Arg::Int(role_id)],
    )
    .await?;
    Ok(())
}

/// `_get_or_create_synthetic_user_role`: returns the role id, creating and assigning it.
pub(crate) async fn get_or_create_user_role(
    s: &mut Session,
    user_id: i64,
    workspace: &str,
) -> Result<i64> {
    let name = synthetic_role_name(user_id);
    let role_id = match find_role_id(s, workspace, &name).await? {
        Some(id) => {
            if let Some(other) = other_assignee(s, id, user_id).await? {
                return Err(StoreError::InvalidParameter(format!(
                    "Role {} in workspace {} collides with the reserved '__user_<id>__' synthetic \
                     namespace but is already assigned to user_id={other}. Rename or delete the \
                     conflicting role before granting per-user permissions.",
                    py_repr(&name),
                    py_repr(workspace)
                )));
            }
            id
        }
        None => {
            s.execute(
                "INSERT INTO roles (name, workspace, description) VALUES ($1, $2, NULL) \
                 ON CONFLICT (workspace, name) DO NOTHING",
                &[Arg::Text(&name), Arg::Text(workspace)],
            )
            .await?;
            find_role_id(s, workspace, &name)
                .await?
                .ok_or(sqlx::Error::RowNotFound)?
        }
    };
    assign_if_missing(s, user_id, role_id).await?;
    Ok(role_id)
}

/// The `e5f6a7b8c9d0` migration's variant of [`get_or_create_user_role`] (its own message).
pub(crate) async fn synthetic_role_for_migration(
    s: &mut Session,
    user_id: i64,
    workspace: &str,
) -> Result<i64> {
    let name = synthetic_role_name(user_id);
    let role_id = match find_role_id(s, workspace, &name).await? {
        Some(id) => {
            if let Some(other) = other_assignee(s, id, user_id).await? {
                return Err(StoreError::InvalidParameter(format!(
                    "Role {} in workspace {} collides with the reserved synthetic namespace \
                     '__user_<id>__' but is assigned to other users (e.g. user_id={other}). Rename \
                     the conflicting role before running this migration.",
                    py_repr(&name),
                    py_repr(workspace)
                )));
            }
            id
        }
        None => s
            .fetch_one(
                "INSERT INTO roles (name, workspace, description) VALUES ($1, $2, NULL) RETURNING id",
                &[Arg::Text(&name), Arg::Text(workspace)],
            )
            .await?
            .i64(0)?,
    };
    assign_if_missing(s, user_id, role_id).await?;
    Ok(role_id)
}
