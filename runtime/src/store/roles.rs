//! Roles, role permissions and user-role assignments (RBAC, §7.2), with MLflow's messages.
//!
//! This file holds the shared loaders and helpers; the [`Store`] operations are split by
//! topic: `crud` (roles themselves), `permissions` (grants of a role) and `assignments`
//! (which users hold a role).
//!
//! [`Store`]: super::Store

mod assignments;
mod crud;
mod permissions;

use std::collections::HashMap;

use super::db::placeholders;
use super::{Arg, DbRow, Result, Role, RolePermission, Session, StoreError};

/// Prefix reserved for the hidden per-user roles.
pub const RESERVED_ROLE_PREFIX: &str = "__user_";

/// Which roles [`load_roles`] returns.
pub(crate) enum RoleFilter<'a> {
    All,
    AllAssigned,
    Id(i64),
    Workspaces(&'a [String]),
    User(i64),
    UserInWorkspace(i64, &'a str),
}

fn filter_clause<'a>(filter: &RoleFilter<'a>) -> (String, Vec<Arg<'a>>) {
    const BY_USER: &str = " JOIN user_role_assignments a ON a.role_id = r.id WHERE a.user_id = $1";
    match filter {
        RoleFilter::All => (String::new(), vec![]),
        RoleFilter::AllAssigned => (
            " WHERE EXISTS (SELECT 1 FROM user_role_assignments a WHERE a.role_id = r.id)"
                .to_string(),
            vec![],
        ),
        RoleFilter::Id(id) => (" WHERE r.id = $1".to_string(), vec![Arg::Int(*id)]),
        RoleFilter::Workspaces(ws) => (
            format!(" WHERE r.workspace IN ({})", placeholders(1, ws.len())),
            ws.iter().map(|w| Arg::Text(w.as_str())).collect(),
        ),
        RoleFilter::User(uid) => (BY_USER.to_string(), vec![Arg::Int(*uid)]),
        RoleFilter::UserInWorkspace(uid, ws) => (
            format!("{BY_USER} AND r.workspace = $2"),
            vec![Arg::Int(*uid), Arg::Text(ws)],
        ),
    }
}

pub(crate) fn permission_from_row(row: &DbRow) -> Result<RolePermission> {
    Ok(RolePermission {
        id: row.i64(0)?,
        role_id: row.i64(1)?,
        resource_type: row.text(2)?,
        resource_pattern: row.text(3)?,
        permission: row.text(4)?,
    })
}

/// Loads roles with their permissions (two queries), ordered by id.
pub(crate) async fn load_roles(s: &mut Session, filter: &RoleFilter<'_>) -> Result<Vec<Role>> {
    if matches!(filter, RoleFilter::Workspaces(ws) if ws.is_empty()) {
        return Ok(vec![]);
    }
    let (clause, args) = filter_clause(filter);
    let sql = format!(
        "SELECT r.id, r.name, r.workspace, r.description FROM roles r{clause} ORDER BY r.id"
    );
    let role_rows = s.fetch_all(&sql, &args).await?;
    let sql = format!(
        "SELECT rp.id, rp.role_id, rp.resource_type, rp.resource_pattern, rp.permission \
         FROM role_permissions rp JOIN roles r ON r.id = rp.role_id{clause} ORDER BY rp.id"
    );
    let mut perms: HashMap<i64, Vec<RolePermission>> = HashMap::new();
    for row in s.fetch_all(&sql, &args).await? {
        let p = permission_from_row(&row)?;
        perms.entry(p.role_id).or_default().push(p);
    }
    role_rows
        .iter()
        .map(|r| {
            let id = r.i64(0)?;
            Ok(Role {
                id,
                name: r.text(1)?,
                workspace: r.text(2)?,
                description: r.opt_text(3)?,
                permissions: perms.remove(&id).unwrap_or_default(),
            })
        })
        .collect()
}

fn role_not_found(role_id: i64) -> StoreError {
    StoreError::NotFound(format!("Role with id={role_id} not found"))
}

/// Loads one role inside `s`, or MLflow's not-found error.
pub(crate) async fn require_role(s: &mut Session, role_id: i64) -> Result<Role> {
    load_roles(s, &RoleFilter::Id(role_id))
        .await?
        .pop()
        .ok_or_else(|| role_not_found(role_id))
}

/// Deletes a role with its grants and assignments (the ORM cascade); returns whether it existed.
pub(crate) async fn delete_role_rows(s: &mut Session, role_id: i64) -> Result<bool> {
    s.execute(
        "DELETE FROM role_permissions WHERE role_id = $1",
        &[Arg::Int(role_id)],
    )
    .await?;
    s.execute(
        "DELETE FROM user_role_assignments WHERE role_id = $1",
        &[Arg::Int(role_id)],
    )
    .await?;
    Ok(
        s.execute("DELETE FROM roles WHERE id = $1", &[Arg::Int(role_id)])
            .await?
            > 0,
    )
}

/// Python `repr()` of a string, as MLflow embeds names in messages with `{name!r}`.
pub(crate) fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}
