//! Database URLs: converting MLflow's SQLAlchemy `database_uri` into a sqlx URL, and hiding
//! passwords in URLs shown to people.

use super::{Result, StoreError};

/// Hides the password of a URL (`scheme://user:secret@host` → `scheme://user:***@host`).
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let Some(at) = rest.find('@') else {
        return url.to_string();
    };
    let userinfo = &rest[..at];
    match userinfo.find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &userinfo[..colon],
            &rest[at..]
        ),
        None => url.to_string(),
    }
}

/// Converts an MLflow (SQLAlchemy) `database_uri` into a sqlx URL.
///
/// * `sqlite:///relative.db` → `sqlite:relative.db` (relative to the working directory, as
///   in SQLAlchemy); `sqlite:////abs/path.db` → `sqlite:///abs/path.db`;
///   `sqlite://` and `sqlite:///:memory:` → `sqlite::memory:`;
/// * `postgresql[+driver]://…` and `postgres://…` → `postgres://…`;
/// * anything else (MySQL, MSSQL, …) → [`StoreError::InvalidParameter`].
///
/// URLs that are already sqlx URLs (`sqlite:path`, `postgres://`) pass through.
pub fn sqlx_url_from_sqlalchemy(uri: &str) -> Result<String> {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err(unsupported_uri(uri));
    };
    let dialect = scheme.split('+').next().unwrap_or(scheme);
    match dialect {
        "sqlite" => Ok(sqlite_url_from_sqlalchemy(rest)),
        "postgresql" | "postgres" => match rest.strip_prefix("//") {
            Some(tail) => Ok(format!("postgres://{tail}")),
            None => Err(unsupported_uri(uri)),
        },
        _ => Err(unsupported_uri(uri)),
    }
}

fn sqlite_url_from_sqlalchemy(rest: &str) -> String {
    // `rest` is what follows `sqlite:`.
    let Some(after) = rest.strip_prefix("//") else {
        return format!("sqlite:{rest}"); // already a sqlx-style `sqlite:path`
    };
    let path = after.strip_prefix('/').unwrap_or(after);
    if path.is_empty() || path == ":memory:" || path.starts_with(":memory:?") {
        return "sqlite::memory:".to_string();
    }
    if path.starts_with('/') {
        format!("sqlite://{path}")
    } else {
        format!("sqlite:{path}")
    }
}

fn unsupported_uri(uri: &str) -> StoreError {
    StoreError::InvalidParameter(format!(
        "Unsupported auth database_uri '{}': mlauth supports sqlite and postgresql",
        redact_url(uri)
    ))
}
