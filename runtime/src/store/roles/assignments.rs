//! User-role assignments: assign, unassign, and list a user's roles or a role's users.

use super::{load_roles, require_role, RoleFilter};
use crate::store::db::is_unique_violation;
use crate::store::users::find_user_by_id;
use crate::store::{Arg, Result, Role, Store, StoreError, UserRoleAssignment};

impl Store {
    /// Assigns a role to a user.
    pub async fn assign_role(&self, user_id: i64, role_id: i64) -> Result<UserRoleAssignment> {
        let mut s = self.write().await?;
        if find_user_by_id(&mut s, user_id).await?.is_none() {
            return Err(StoreError::NotFound(format!(
                "User with id={user_id} not found"
            )));
        }
        require_role(&mut s, role_id).await?;
        let duplicate = || {
            StoreError::AlreadyExists(format!(
                "User role assignment (user_id={user_id}, role_id={role_id}) already exists"
            ))
        };
        let existing = s
            .fetch_optional(
                "SELECT id FROM user_role_assignments WHERE user_id = $1 AND role_id = $2",
                &[Arg::Int(user_id), Arg::Int(role_id)],
            )
            .await?;
        if existing.is_some() {
            return Err(duplicate());
        }
        let id = match s
            .fetch_one(
                "INSERT INTO user_role_assignments (user_id, role_id) VALUES ($1, $2) RETURNING id",
                &[Arg::Int(user_id), Arg::Int(role_id)],
            )
            .await
        {
            Ok(row) => row.i64(0)?,
            Err(e) if is_unique_violation(&e) => return Err(duplicate()),
            Err(e) => return Err(e.into()),
        };
        self.commit(s).await?;
        Ok(UserRoleAssignment {
            id,
            user_id,
            role_id,
        })
    }

    /// Removes a role assignment.
    pub async fn unassign_role(&self, user_id: i64, role_id: i64) -> Result<()> {
        let mut s = self.write().await?;
        let n = s
            .execute(
                "DELETE FROM user_role_assignments WHERE user_id = $1 AND role_id = $2",
                &[Arg::Int(user_id), Arg::Int(role_id)],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "User role assignment (user_id={user_id}, role_id={role_id}) not found"
            )));
        }
        self.commit(s).await
    }

    /// Every role assigned to a user (including `__user_<id>__` roles), with grants.
    pub async fn list_user_roles(&self, user_id: i64) -> Result<Vec<Role>> {
        let mut s = self.read().await?;
        load_roles(&mut s, &RoleFilter::User(user_id)).await
    }

    /// The user's roles in one workspace, with grants.
    pub async fn list_user_roles_for_workspace(
        &self,
        user_id: i64,
        workspace: &str,
    ) -> Result<Vec<Role>> {
        let mut s = self.read().await?;
        load_roles(&mut s, &RoleFilter::UserInWorkspace(user_id, workspace)).await
    }

    /// Assignments of a role, ordered by id.
    pub async fn list_role_users(&self, role_id: i64) -> Result<Vec<UserRoleAssignment>> {
        let mut s = self.read().await?;
        require_role(&mut s, role_id).await?;
        s.fetch_all(
            "SELECT id, user_id, role_id FROM user_role_assignments WHERE role_id = $1 ORDER BY id",
            &[Arg::Int(role_id)],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(UserRoleAssignment {
                id: r.i64(0)?,
                user_id: r.i64(1)?,
                role_id: r.i64(2)?,
            })
        })
        .collect()
    }
}
