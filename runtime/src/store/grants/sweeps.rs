//! Sweeps over the grants on one resource pattern: delete and rename the per-user grants
//! when a resource goes away or is renamed (§4.2, §5.5), and count who holds grants on it.

use super::is_synthetic_role_name;
use crate::store::db::{is_unique_violation, placeholders};
use crate::store::{Arg, Result, Session, Store, StoreError};

/// Where grants on one pattern live, for the rename rules of §5.5.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PatternGrants {
    /// Grants on synthetic `__user_<id>__` roles.
    pub per_user: usize,
    /// Grants on admin-created (named) roles.
    pub named_roles: usize,
}

/// Synthetic-role grants on `(resource_type, pattern)`, optionally in one workspace.
async fn synthetic_grant_ids(
    s: &mut Session,
    resource_type: &str,
    pattern: &str,
    workspace: Option<&str>,
) -> Result<Vec<i64>> {
    let mut sql =
        "SELECT rp.id, r.name FROM role_permissions rp JOIN roles r ON r.id = rp.role_id \
                   WHERE rp.resource_type = $1 AND rp.resource_pattern = $2"
            .to_string();
    let mut args = vec![Arg::Text(resource_type), Arg::Text(pattern)];
    if let Some(ws) = workspace {
        sql.push_str(" AND r.workspace = $3");
        args.push(Arg::Text(ws));
    }
    let mut ids = Vec::new();
    for row in s.fetch_all(&sql, &args).await? {
        if is_synthetic_role_name(&row.text(1)?) {
            ids.push(row.i64(0)?);
        }
    }
    Ok(ids)
}

impl Store {
    /// Deletes every synthetic-role grant on `(resource_type, pattern)` (in `workspace` if
    /// given); admin-created roles are untouched. Returns the number of grants deleted.
    pub async fn delete_grants_for_resource(
        &self,
        resource_type: &str,
        pattern: &str,
        workspace: Option<&str>,
    ) -> Result<u64> {
        let mut s = self.write().await?;
        let ids = synthetic_grant_ids(&mut s, resource_type, pattern, workspace).await?;
        for id in &ids {
            s.execute(
                "DELETE FROM role_permissions WHERE id = $1",
                &[Arg::Int(*id)],
            )
            .await?;
        }
        self.commit(s).await?;
        Ok(ids.len() as u64)
    }

    /// Rewrites synthetic-role grants on `(resource_type, old)` to `new` (in `workspace` if
    /// given). A user already holding a grant on `new` gives `AlreadyExists`.
    pub async fn rename_grants_for_resource(
        &self,
        resource_type: &str,
        old_pattern: &str,
        new_pattern: &str,
        workspace: Option<&str>,
    ) -> Result<u64> {
        let mut s = self.write().await?;
        let ids = synthetic_grant_ids(&mut s, resource_type, old_pattern, workspace).await?;
        for id in &ids {
            let res = s
                .execute(
                    "UPDATE role_permissions SET resource_pattern = $1 WHERE id = $2",
                    &[Arg::Text(new_pattern), Arg::Int(*id)],
                )
                .await;
            match res {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => {
                    return Err(StoreError::AlreadyExists(format!(
                        "Permission on resource_type={resource_type}, resource_id={new_pattern} already exists."
                    )))
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.commit(s).await?;
        Ok(ids.len() as u64)
    }

    /// Counts grants on `pattern` for any of `resource_types` in `workspace`, split by
    /// synthetic vs admin-created roles.
    pub async fn grants_on_pattern<S: AsRef<str>>(
        &self,
        workspace: &str,
        resource_types: &[S],
        pattern: &str,
    ) -> Result<PatternGrants> {
        if resource_types.is_empty() {
            return Ok(PatternGrants::default());
        }
        let sql = format!(
            "SELECT r.name FROM role_permissions rp JOIN roles r ON r.id = rp.role_id \
             WHERE r.workspace = $1 AND rp.resource_pattern = $2 AND rp.resource_type IN ({})",
            placeholders(3, resource_types.len())
        );
        let mut args = vec![Arg::Text(workspace), Arg::Text(pattern)];
        args.extend(resource_types.iter().map(|t| Arg::Text(t.as_ref())));
        let mut s = self.read().await?;
        let mut out = PatternGrants::default();
        for row in s.fetch_all(&sql, &args).await? {
            if is_synthetic_role_name(&row.text(0)?) {
                out.per_user += 1;
            } else {
                out.named_roles += 1;
            }
        }
        Ok(out)
    }
}
