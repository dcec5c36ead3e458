//! Database URLs: converting MLflow's SQLAlchemy `database_uri` into a sqlx URL, and hiding
//! passwords in URLs shown to people.

use super::{Result, StoreError};

/// Hides the passwords of a URL shown to people: the userinfo's
/// (`scheme://user:secret@host` → `scheme://user:***@host`, up to the last `@`, so a raw `/`,
/// `?` or `@` in the password cannot end it early) and any query parameter whose name
/// contains `pass` (`?password=…`, `&sslpassword=…`, which libpq and sqlx also read). When
/// in doubt it hides too much, never too little.
pub fn redact_url(url: &str) -> String {
    let url = redact_query_passwords(url);
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url;
    };
    let (prefix, rest) = url.split_at(scheme_end);
    match rest.rfind('@') {
        Some(at) => match rest[..at].split_once(':') {
            Some((user, _secret)) => format!("{prefix}{user}:***{}", &rest[at..]),
            None => url.clone(),
        },
        None => url.clone(),
    }
}

/// `key=value` pairs after any `?` or `&` whose key contains `pass` get `***` as value.
fn redact_query_passwords(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut pieces = url.split_inclusive(['?', '&']).peekable();
    let mut after_separator = false;
    while let Some(piece) = pieces.next() {
        let (body, separator) = match piece.char_indices().last() {
            Some((i, c)) if c == '?' || c == '&' => (&piece[..i], &piece[i..]),
            _ => (piece, ""),
        };
        match body.split_once('=') {
            Some((key, _)) if after_separator && key.to_ascii_lowercase().contains("pass") => {
                out.push_str(key);
                out.push_str("=***");
            }
            _ => out.push_str(body),
        }
        out.push_str(separator);
        after_separator = !separator.is_empty();
    }
    out
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
