//! `database_uri` / `read_database_uri`: the SQLAlchemy URLs mlauth can open, and their sqlx form.

use std::fmt;
use std::path::{Path, PathBuf};

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};

use super::IniError;

#[cfg(test)]
mod tests;

/// What the error message lists as supported.
const SUPPORTED: &str =
    "sqlite:///relative/path.db, sqlite:////absolute/path.db, sqlite:// (in memory), \
    postgresql://user:password@host:port/database (optionally postgresql+<driver>://)";

/// Characters sqlx would otherwise read as a query start or a percent escape.
const SQLX_PATH_ESCAPES: &AsciiSet = &CONTROLS.add(b'%').add(b'?').add(b'#');

/// An auth database location parsed from an SQLAlchemy URL.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUri {
    /// A SQLite file; a relative path is relative to the process's working directory, as in MLflow.
    SqliteFile(PathBuf),
    /// `sqlite://`, `sqlite:///` or `sqlite:///:memory:`.
    SqliteMemory,
    /// A PostgreSQL URL with any `+driver` removed (`postgresql://…`).
    Postgres(String),
}

impl DatabaseUri {
    /// Parses an SQLAlchemy URL as found under `database_uri`.
    pub fn parse(uri: &str) -> Result<Self, IniError> {
        parse_for_key("database_uri", uri)
    }

    /// The URL to hand to `sqlx` (`AnyPool`/`SqlitePool`/`PgPool`). SQLite files are opened
    /// with `mode=rwc`, creating the file when missing, as SQLAlchemy's SQLite driver does.
    pub fn to_sqlx_url(&self) -> String {
        match self {
            DatabaseUri::SqliteFile(path) => {
                let path = path.to_string_lossy();
                format!(
                    "sqlite://{}?mode=rwc",
                    utf8_percent_encode(&path, SQLX_PATH_ESCAPES)
                )
            }
            DatabaseUri::SqliteMemory => "sqlite::memory:".to_owned(),
            DatabaseUri::Postgres(url) => url.clone(),
        }
    }

    /// The file of a SQLite database, if it is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            DatabaseUri::SqliteFile(path) => Some(path),
            _ => None,
        }
    }

    /// The URL with any password replaced by `***`, safe to log.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUri::SqliteFile(path) => format!("sqlite:///{}", path.display()),
            DatabaseUri::SqliteMemory => "sqlite://".to_owned(),
            DatabaseUri::Postgres(url) => crate::store::redact_url(url),
        }
    }
}

impl fmt::Debug for DatabaseUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUri({})", self.redacted())
    }
}

impl fmt::Display for DatabaseUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Parses `uri` and names `key` in any error; the URL itself is never echoed (it may hold a password).
pub(super) fn parse_for_key(key: &'static str, uri: &str) -> Result<DatabaseUri, IniError> {
    let invalid = |reason: &str| IniError::InvalidDatabaseUri {
        key,
        reason: format!("{reason}; supported: {SUPPORTED}"),
    };
    let (scheme, rest) = uri
        .trim()
        .split_once("://")
        .ok_or_else(|| invalid("not a URL of the form scheme://..."))?;
    let dialect = match scheme.split_once('+') {
        Some((dialect, driver)) if is_identifier(driver) => dialect,
        Some(_) => return Err(invalid("malformed +driver suffix in the scheme")),
        None => scheme,
    };
    match dialect {
        "sqlite" => parse_sqlite(rest).map_err(|reason| invalid(&reason)),
        "postgresql" if !rest.is_empty() => {
            Ok(DatabaseUri::Postgres(format!("postgresql://{rest}")))
        }
        "postgresql" => Err(invalid("the PostgreSQL URL names no host or database")),
        _ => Err(IniError::UnsupportedDatabaseScheme {
            key,
            scheme: scheme.to_owned(),
            supported: SUPPORTED,
        }),
    }
}

/// The part after `sqlite://`: empty (memory) or `/<database>[?query]`; the query is ignored.
fn parse_sqlite(rest: &str) -> Result<DatabaseUri, String> {
    let without_query = rest.split_once('?').map_or(rest, |(path, _)| path);
    if without_query.is_empty() {
        return Ok(DatabaseUri::SqliteMemory);
    }
    let Some(database) = without_query.strip_prefix('/') else {
        return Err(
            "a SQLite URL has no host part (write sqlite:///file.db, with three slashes)"
                .to_owned(),
        );
    };
    let database = percent_decode_str(database)
        .decode_utf8()
        .map_err(|_| "the SQLite path is not valid UTF-8 after percent-decoding".to_owned())?;
    match database.as_ref() {
        "" | ":memory:" => Ok(DatabaseUri::SqliteMemory),
        path => Ok(DatabaseUri::SqliteFile(PathBuf::from(path))),
    }
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}
