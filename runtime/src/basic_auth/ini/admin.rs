//! Bootstrap-admin rules of `create_admin_user` and MLflow's password policy, with MLflow's wording.

use super::{IniError, ADMIN_PASSWORD_ENV, ADMIN_USERNAME_ENV, CONFIG_PATH_ENV};

/// The admin password older MLflow versions shipped (GHSA-gq3w-7jj3-x7gr): never accepted for a
/// new admin, and an admin logging in with it is refused.
pub const LEGACY_DEFAULT_ADMIN_PASSWORD: &str = "password1234";

/// The admin username older MLflow versions shipped, also checked for the legacy password.
pub const LEGACY_DEFAULT_ADMIN_USERNAME: &str = "admin";

/// Minimum password length, counted in Unicode code points like Python's `len`.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// `_validate_password`'s message (`INVALID_PARAMETER_VALUE`, HTTP 400).
pub const PASSWORD_POLICY_MESSAGE: &str = "Password must be at least 12 characters.";

/// `_validate_password`: at least [`MIN_PASSWORD_CHARS`] characters.
pub fn meets_password_policy(password: &str) -> bool {
    password.chars().count() >= MIN_PASSWORD_CHARS
}

/// `_validate_bootstrap_admin_username`: a non-empty admin username is configured.
pub fn validate_bootstrap_admin_username(username: Option<&str>) -> Result<&str, IniError> {
    match username {
        Some(name) if !name.is_empty() => Ok(name),
        _ => Err(IniError::AdminUsernameMissing),
    }
}

/// `_validate_bootstrap_admin_password` for creating (or rotating to) the admin `username`'s
/// password: non-empty, not the legacy default, and at least 12 characters.
pub fn validate_new_admin_password(username: &str, password: &str) -> Result<(), IniError> {
    if password.is_empty() {
        return Err(IniError::AdminPasswordMissing {
            username: username.to_owned(),
        });
    }
    if password == LEGACY_DEFAULT_ADMIN_PASSWORD {
        return Err(IniError::AdminPasswordIsLegacyDefault {
            username: username.to_owned(),
        });
    }
    if !meets_password_policy(password) {
        return Err(IniError::AdminPasswordTooShort {
            username: username.to_owned(),
        });
    }
    Ok(())
}

/// Message of [`IniError::AdminUsernameMissing`].
pub(super) fn username_missing_message() -> String {
    format!(
        "MLflow Authentication needs a username for the admin user, but none is configured (or it is \
         empty). Set the {ADMIN_USERNAME_ENV} environment variable, or set `admin_username` in the \
         configuration file referenced by {CONFIG_PATH_ENV}, and restart the server."
    )
}

/// Message of [`IniError::AdminPasswordMissing`].
pub(super) fn password_missing_message(username: &str) -> String {
    format!(
        "MLflow Authentication needs a password to create the admin user '{username}', but none is \
         configured (or it is empty). MLflow ships no default admin password. Set the \
         {ADMIN_PASSWORD_ENV} environment variable, or set `admin_password` in the configuration file \
         referenced by {CONFIG_PATH_ENV}, and restart the server."
    )
}

/// Message of [`IniError::AdminPasswordIsLegacyDefault`].
pub(super) fn password_legacy_message(username: &str) -> String {
    format!(
        "Refusing to use the insecure default password that older MLflow versions shipped in \
         basic_auth.ini for the admin user '{username}' \
         (https://github.com/advisories/GHSA-gq3w-7jj3-x7gr). Set {ADMIN_PASSWORD_ENV} or \
         `admin_password` in the configuration file referenced by {CONFIG_PATH_ENV} to a different \
         password."
    )
}

/// Message of [`IniError::AdminPasswordTooShort`].
pub(super) fn password_too_short_message(username: &str) -> String {
    format!(
        "The configured password for the admin user '{username}' is invalid: {PASSWORD_POLICY_MESSAGE} \
         Set {ADMIN_PASSWORD_ENV} or `admin_password` in the configuration file referenced by \
         {CONFIG_PATH_ENV} to a valid password."
    )
}
