//! The error type of the `ini` module.

use std::path::PathBuf;

use super::{admin, DEFAULT_AUTHORIZATION_FUNCTION, KNOWN_KEYS};

/// Why `basic_auth.ini` cannot be used. Messages never contain a password.
#[derive(Debug, thiserror::Error)]
pub enum IniError {
    /// The file named by `MLFLOW_AUTH_CONFIG_PATH` could not be read.
    #[error("cannot read the auth config file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not parsable as an ini file.
    #[error("the auth config file is not a valid ini file: {message}")]
    Syntax {
        /// The parser's description, with line and column.
        message: String,
    },
    /// No `[mlflow]` section.
    #[error("the auth config file has no [mlflow] section")]
    MissingSection,
    /// A section appears twice (Python's `DuplicateSectionError`).
    #[error("section [{section}] appears more than once in the auth config file")]
    DuplicateSection {
        /// The section name.
        section: String,
    },
    /// A key appears twice in one section (Python's `DuplicateOptionError`).
    #[error("key `{key}` appears more than once in section [{section}]")]
    DuplicateKey {
        /// The section name.
        section: String,
        /// The key, lower-cased.
        key: String,
    },
    /// A required key is absent.
    #[error("[mlflow] is missing the required key `{key}`")]
    MissingKey {
        /// The key.
        key: &'static str,
    },
    /// A key `read_auth_config` does not know.
    #[error("unknown key `{key}` in [mlflow]; allowed keys: {}", KNOWN_KEYS.join(", "))]
    UnknownKey {
        /// The key, lower-cased.
        key: String,
    },
    /// A value of the wrong form.
    #[error("invalid value '{value}' for `{key}` in [mlflow]: {allowed}")]
    InvalidValue {
        /// The key.
        key: &'static str,
        /// The value as written.
        value: String,
        /// What is allowed.
        allowed: String,
    },
    /// `%` interpolation failed (Python's `InterpolationError`s).
    #[error("cannot interpolate `{key}` = '{value}' in [mlflow]: {reason}")]
    Interpolation {
        /// The key being read.
        key: String,
        /// The raw value, or `<redacted>` for secrets.
        value: String,
        /// What went wrong.
        reason: String,
    },
    /// A Python `module:function` (or another non-plugin value) as `authorization_function`.
    #[error(
        "authorization_function = '{value}' is not supported: mlauth cannot run Python functions. \
         Use `{DEFAULT_AUTHORIZATION_FUNCTION}` for built-in HTTP basic auth, or compile the function \
         to a WebAssembly component and set authorization_function to the path of its .wasm file \
         (relative paths are resolved against the directory of basic_auth.ini)."
    )]
    UnsupportedAuthorizationFunction {
        /// The configured value.
        value: String,
    },
    /// A database URL mlauth cannot open.
    #[error("`{key}` uses the unsupported scheme '{scheme}'; supported: {supported}")]
    UnsupportedDatabaseScheme {
        /// `database_uri` or `read_database_uri`.
        key: &'static str,
        /// The scheme as written.
        scheme: String,
        /// The supported forms.
        supported: &'static str,
    },
    /// A database URL that is malformed.
    #[error("`{key}` is not a usable database URL: {reason}")]
    InvalidDatabaseUri {
        /// `database_uri` or `read_database_uri`.
        key: &'static str,
        /// What is wrong (the URL itself is not repeated).
        reason: String,
    },
    /// No admin username configured.
    #[error("{}", admin::username_missing_message())]
    AdminUsernameMissing,
    /// No password for a new admin.
    #[error("{}", admin::password_missing_message(username))]
    AdminPasswordMissing {
        /// The admin username.
        username: String,
    },
    /// The legacy `password1234` for a new admin.
    #[error("{}", admin::password_legacy_message(username))]
    AdminPasswordIsLegacyDefault {
        /// The admin username.
        username: String,
    },
    /// A new admin password shorter than 12 characters.
    #[error("{}", admin::password_too_short_message(username))]
    AdminPasswordTooShort {
        /// The admin username.
        username: String,
    },
}

impl IniError {
    pub(super) fn invalid(key: &'static str, value: &str, allowed: &str) -> Self {
        IniError::InvalidValue {
            key,
            value: value.to_owned(),
            allowed: allowed.to_owned(),
        }
    }
}
