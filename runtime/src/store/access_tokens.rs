//! `mlauth_access_tokens`: personal access tokens of basic-auth users.
//!
//! A row holds the token's public prefix (for identification and lookup) and the SHA-256 of
//! the whole token, never the token. Creating the token string and comparing hashes is the
//! caller's job (`basic_auth::access_tokens`). Times are milliseconds since the Unix epoch.
//! A token dies with its user (`ON DELETE CASCADE`, and lookups also require the owner's
//! id *and* username to still match, for databases whose writers do not enforce foreign keys).

use super::users::{find_user_by_id, user_not_found};
use super::{db, Arg, DbRow, Result, Store, StoreError, User};

/// A token's metadata (what listings show).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// Row id (used to revoke it).
    pub id: i64,
    /// Owner id (`users.id`).
    pub user_id: i64,
    /// Owner's username when it was minted.
    pub username: String,
    /// The owner's name for it (unique per user).
    pub name: String,
    /// The token's public prefix (`mlat_<prefix>_…`).
    pub prefix: String,
    /// Creation time (ms).
    pub created_at: i64,
    /// Expiry time (ms); the token is refused from then on.
    pub expires_at: i64,
}

/// What a new token row needs.
#[derive(Debug, Clone, Copy)]
pub struct NewAccessToken<'a> {
    /// The owner's name for it.
    pub name: &'a str,
    /// Public prefix.
    pub prefix: &'a str,
    /// Hex SHA-256 of the whole token.
    pub token_hash: &'a str,
    /// Creation time (ms).
    pub created_at: i64,
    /// Expiry time (ms).
    pub expires_at: i64,
}

/// A lookup candidate: the token, its stored hash and its (current) owner.
#[derive(Debug, Clone)]
pub struct TokenCandidate {
    /// Metadata.
    pub token: AccessToken,
    /// Stored hex SHA-256.
    pub token_hash: String,
    /// The owner as stored now.
    pub owner: User,
}

const TOKEN_COLUMNS: &str =
    "t.id, t.user_id, t.username, t.name, t.prefix, t.created_at, t.expires_at";
const RETURNED_COLUMNS: &str = "id, user_id, username, name, prefix, created_at, expires_at";

fn token_from_row(row: &DbRow) -> Result<AccessToken> {
    Ok(AccessToken {
        id: row.i64(0)?,
        user_id: row.i64(1)?,
        username: row.text(2)?,
        name: row.text(3)?,
        prefix: row.text(4)?,
        created_at: row.i64(5)?,
        expires_at: row.i64(6)?,
    })
}

impl Store {
    /// Stores a token for `owner`, after dropping the owner's expired tokens. Errors: a live
    /// token of that name → `AlreadyExists`; `max_live` live tokens already → `InvalidParameter`.
    pub async fn create_access_token(
        &self,
        owner: &User,
        new: NewAccessToken<'_>,
        max_live: i64,
    ) -> Result<AccessToken> {
        let mut s = self.write().await?;
        find_user_by_id(&mut s, owner.id)
            .await?
            .filter(|u| u.username == owner.username)
            .ok_or_else(|| user_not_found(&owner.username))?;
        s.execute(
            "DELETE FROM mlauth_access_tokens WHERE user_id = $1 AND expires_at <= $2",
            &[Arg::Int(owner.id), Arg::Int(new.created_at)],
        )
        .await?;
        let live = s
            .fetch_one(
                "SELECT COUNT(*) FROM mlauth_access_tokens WHERE user_id = $1",
                &[Arg::Int(owner.id)],
            )
            .await?
            .i64(0)?;
        if live >= max_live {
            return Err(StoreError::InvalidParameter(format!(
                "User {} already has {live} access tokens (at most {max_live}); revoke one first.",
                owner.username
            )));
        }
        let sql = format!(
            "INSERT INTO mlauth_access_tokens (user_id, username, name, prefix, token_hash, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             RETURNING {RETURNED_COLUMNS}"
        );
        let args = [
            Arg::Int(owner.id),
            Arg::Text(&owner.username),
            Arg::Text(new.name),
            Arg::Text(new.prefix),
            Arg::Text(new.token_hash),
            Arg::Int(new.created_at),
            Arg::Int(new.expires_at),
        ];
        let token = match s.fetch_one(&sql, &args).await {
            Ok(row) => token_from_row(&row)?,
            Err(e) if db::is_unique_violation(&e) => {
                return Err(StoreError::AlreadyExists(format!(
                    "Access token with name={} already exists for user={}.",
                    new.name, owner.username
                )))
            }
            Err(e) => return Err(e.into()),
        };
        self.commit(s).await?;
        Ok(token)
    }

    /// The tokens of user `user_id` (expired ones included until they are cleaned up), by id.
    pub async fn list_access_tokens(&self, user_id: i64) -> Result<Vec<AccessToken>> {
        let mut s = self.read().await?;
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM mlauth_access_tokens t WHERE t.user_id = $1 ORDER BY t.id"
        );
        let rows = s.fetch_all(&sql, &[Arg::Int(user_id)]).await?;
        rows.iter().map(token_from_row).collect()
    }

    /// Revokes (deletes) token `id` of user `user_id`; `NotFound` when there is no such token.
    pub async fn delete_access_token(&self, user_id: i64, id: i64) -> Result<()> {
        let mut s = self.write().await?;
        let deleted = s
            .execute(
                "DELETE FROM mlauth_access_tokens WHERE id = $1 AND user_id = $2",
                &[Arg::Int(id), Arg::Int(user_id)],
            )
            .await?;
        if deleted == 0 {
            return Err(StoreError::NotFound(format!(
                "Access token with id={id} not found."
            )));
        }
        self.commit(s).await
    }

    /// Tokens with public prefix `prefix` whose owner still exists under the same id and name.
    pub async fn access_token_candidates(&self, prefix: &str) -> Result<Vec<TokenCandidate>> {
        let mut s = self.read().await?;
        let sql = format!(
            "SELECT {TOKEN_COLUMNS}, t.token_hash, u.id, u.username, u.password_hash, u.is_admin \
             FROM mlauth_access_tokens t JOIN users u ON u.id = t.user_id AND u.username = t.username \
             WHERE t.prefix = $1"
        );
        let rows = s.fetch_all(&sql, &[Arg::Text(prefix)]).await?;
        rows.iter()
            .map(|row| {
                Ok(TokenCandidate {
                    token: token_from_row(row)?,
                    token_hash: row.text(7)?,
                    owner: user_from_row_at(row, 8)?,
                })
            })
            .collect()
    }
}

fn user_from_row_at(row: &DbRow, start: usize) -> Result<User> {
    Ok(User {
        id: row.i64(start)?,
        username: row.text(start + 1)?,
        password_hash: row.opt_text(start + 2)?.unwrap_or_default(),
        is_admin: row.opt_bool(start + 3)?.unwrap_or(false),
    })
}
