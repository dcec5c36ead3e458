use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn parse(text: &str) -> Result<AuthConfig, IniError> {
    parse_auth_config(text, Path::new("/etc/mlauth"), &env(&[]))
}

fn minimal(extra: &str) -> String {
    format!("[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///basic_auth.db\n{extra}")
}

#[test]
fn shipped_defaults_match_mlflow() {
    let config = load_auth_config(&env(&[])).unwrap();
    assert_eq!(config.default_permission, Permission::Read);
    assert_eq!(
        config.database_uri,
        DatabaseUri::SqliteFile("basic_auth.db".into())
    );
    assert_eq!(config.admin_username.as_deref(), Some("admin"));
    assert_eq!(config.admin_password, None);
    assert_eq!(
        config.authorization_function,
        AuthFunction::BuiltinBasicAuth
    );
    assert!(!config.grant_default_workspace_access);
    assert_eq!(config.read_database_uri, None);
    assert_eq!(
        (
            config.workspace_cache_max_size,
            config.workspace_cache_ttl_seconds
        ),
        (10_000, 3_600)
    );
    assert_eq!(
        (config.auth_cache_max_size, config.auth_cache_ttl_seconds),
        (10_000, 0)
    );
}

#[test]
fn mlflows_own_shipped_file_parses_with_comments() {
    let shipped =
        "[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///basic_auth.db\nadmin_username = admin\n\
        # MLflow ships no default admin password.\n# admin_password =\n\
        authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n\
        # When true, users inherit default_permission.\ngrant_default_workspace_access = false\n\
        # auth_cache_max_size = 10000\n#   * indented bullet in a comment\n  # indented comment\n; semicolon comment\n";
    assert_eq!(
        parse(shipped).unwrap(),
        load_auth_config(&env(&[])).unwrap()
    );
}

#[test]
fn every_key_is_read() {
    let text = minimal(
        "read_database_uri = postgresql+psycopg2://ro:pw@db:5432/auth\nadmin_username = root\n\
         admin_password = a-long-enough-pass\nauthorization_function = plugins/auth.wasm\n\
         grant_default_workspace_access = Yes\nworkspace_cache_max_size = 5\nworkspace_cache_ttl_seconds = 6\n\
         auth_cache_max_size = 1_000\nauth_cache_ttl_seconds = 60\n",
    );
    let config = parse(&text).unwrap();
    assert_eq!(
        config.read_database_uri,
        Some(DatabaseUri::Postgres(
            "postgresql://ro:pw@db:5432/auth".into()
        ))
    );
    assert_eq!(config.admin_username.as_deref(), Some("root"));
    assert_eq!(config.admin_password.as_deref(), Some("a-long-enough-pass"));
    assert_eq!(
        config.authorization_function,
        AuthFunction::Plugin(PathBuf::from("/etc/mlauth/plugins/auth.wasm"))
    );
    assert!(config.grant_default_workspace_access);
    assert_eq!(
        (
            config.workspace_cache_max_size,
            config.workspace_cache_ttl_seconds
        ),
        (5, 6)
    );
    assert_eq!(
        (config.auth_cache_max_size, config.auth_cache_ttl_seconds),
        (1_000, 60)
    );
}

#[test]
fn keys_are_case_insensitive_and_colon_separates_too() {
    let config = parse("[mlflow]\nDEFAULT_PERMISSION: EDIT\nDatabase_Uri = sqlite://\n").unwrap();
    assert_eq!(config.default_permission, Permission::Edit);
    assert_eq!(config.database_uri, DatabaseUri::SqliteMemory);
}

#[test]
fn missing_section_or_required_key_fails() {
    assert!(matches!(
        parse("[MLFLOW]\ndefault_permission = READ\n"),
        Err(IniError::MissingSection)
    ));
    assert!(matches!(parse(""), Err(IniError::MissingSection)));
    let err = parse("[mlflow]\ndatabase_uri = sqlite://\n").unwrap_err();
    assert!(
        matches!(
            err,
            IniError::MissingKey {
                key: "default_permission"
            }
        ),
        "{err}"
    );
    let err = parse("[mlflow]\ndefault_permission = READ\n").unwrap_err();
    assert!(
        matches!(
            err,
            IniError::MissingKey {
                key: "database_uri"
            }
        ),
        "{err}"
    );
}

#[test]
fn unknown_keys_in_mlflow_fail_but_other_sections_are_ignored() {
    let err = parse(&minimal("auth_cache_tll_seconds = 5\n")).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "unknown key `auth_cache_tll_seconds` in [mlflow]; allowed keys: default_permission,"
        ),
        "{err}"
    );
    assert!(parse(&minimal("[mlauth]\nanything = goes\n")).is_ok());
}

#[test]
fn duplicates_fail_like_strict_configparser() {
    assert!(matches!(
        parse(&minimal("Default_Permission = EDIT\n")),
        Err(IniError::DuplicateKey { .. })
    ));
    assert!(matches!(
        parse(&minimal("[mlflow]\nx = 1\n")),
        Err(IniError::DuplicateSection { .. })
    ));
    assert!(matches!(
        parse("orphan = 1\n[mlflow]\n"),
        Err(IniError::Syntax { .. })
    ));
}

#[test]
fn default_section_is_inherited() {
    let text = "[DEFAULT]\ndefault_permission = MANAGE\nunrelated = 1\n[mlflow]\ndatabase_uri = sqlite://\n";
    assert_eq!(parse(text).unwrap().default_permission, Permission::Manage);
}

#[test]
fn bad_values_name_the_key_value_and_what_is_allowed() {
    let err = parse("[mlflow]\ndefault_permission = read\ndatabase_uri = sqlite://\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid value 'read' for `default_permission` in [mlflow]: expected one of \
        ('READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS', 'DENY')"
    );
    let err = parse(&minimal("auth_cache_ttl_seconds = -1\n")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid value '-1' for `auth_cache_ttl_seconds` in [mlflow]: expected a non-negative integer"
    );
    let err = parse(&minimal("grant_default_workspace_access = maybe\n")).unwrap_err();
    assert!(
        err.to_string()
            .contains("'maybe' for `grant_default_workspace_access`"),
        "{err}"
    );
    assert!(parse(&minimal("workspace_cache_max_size =\n")).is_err());
}

#[test]
fn values_are_taken_literally_except_for_percent_interpolation() {
    let text = "[DEFAULT]\ndir = /var/lib/mlflow\n[mlflow]\ndefault_permission = READ\n\
        database_uri = sqlite:///%(dir)s/auth 100%%.db\nadmin_password = \"quoted\\\\x\"\n";
    let config = parse(text).unwrap();
    assert_eq!(
        config.database_uri,
        DatabaseUri::SqliteFile("/var/lib/mlflow/auth 100%.db".into())
    );
    assert_eq!(config.admin_password.as_deref(), Some("\"quoted\\\\x\""));
}

#[test]
fn broken_interpolation_fails_without_echoing_secrets() {
    let err = parse(&minimal("admin_password = 50%off-secret-value\n")).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("admin_password") && !text.contains("secret-value"),
        "{text}"
    );
    let err = parse(&minimal("admin_username = %(missing)s\n")).unwrap_err();
    assert!(err.to_string().contains("`missing`"), "{err}");
    let err = parse(&minimal("admin_username = %(admin_username)s\n")).unwrap_err();
    assert!(err.to_string().contains("too deep"), "{err}");
}

#[test]
fn set_env_overrides_win_even_when_empty() {
    let text = minimal("admin_username = admin\nadmin_password = from-the-ini-file\n");
    let dir = Path::new("");
    let overridden = env(&[
        (ADMIN_USERNAME_ENV, "boss"),
        (ADMIN_PASSWORD_ENV, "from-the-environment"),
    ]);
    let config = parse_auth_config(&text, dir, &overridden).unwrap();
    assert_eq!(config.admin_username.as_deref(), Some("boss"));
    assert_eq!(
        config.admin_password.as_deref(),
        Some("from-the-environment")
    );
    let emptied = env(&[(ADMIN_USERNAME_ENV, ""), (ADMIN_PASSWORD_ENV, "")]);
    let config = parse_auth_config(&text, dir, &emptied).unwrap();
    assert_eq!((config.admin_username, config.admin_password), (None, None));
    let config = parse_auth_config(&minimal("admin_password =\n"), dir, &env(&[])).unwrap();
    assert_eq!(config.admin_password, None);
}

#[test]
fn config_path_comes_from_the_environment() {
    assert_eq!(auth_config_path(&env(&[])), None);
    assert_eq!(auth_config_path(&env(&[(CONFIG_PATH_ENV, "")])), None);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("basic_auth.ini");
    std::fs::write(&path, minimal("authorization_function = auth.wasm\n")).unwrap();
    let config = load_auth_config(&env(&[(CONFIG_PATH_ENV, path.to_str().unwrap())])).unwrap();
    assert_eq!(
        config.authorization_function,
        AuthFunction::Plugin(dir.path().join("auth.wasm"))
    );
    let missing = load_auth_config(&env(&[(CONFIG_PATH_ENV, "/nonexistent/basic_auth.ini")]));
    assert!(matches!(missing, Err(IniError::Read { .. })));
}

#[test]
fn authorization_function_forms() {
    let dir = Path::new("/cfg");
    assert_eq!(
        AuthFunction::parse(DEFAULT_AUTHORIZATION_FUNCTION, dir).unwrap(),
        AuthFunction::BuiltinBasicAuth
    );
    assert!(AuthFunction::BuiltinBasicAuth.is_basic_auth());
    assert_eq!(
        AuthFunction::parse("/opt/jwt.wasm", dir).unwrap(),
        AuthFunction::Plugin("/opt/jwt.wasm".into())
    );
    assert_eq!(
        AuthFunction::parse("p/jwt.wasm", Path::new("")).unwrap(),
        AuthFunction::Plugin("p/jwt.wasm".into())
    );
    let err = AuthFunction::parse("jwt_auth:authenticate_request_jwt", dir)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot run Python functions") && err.contains("WebAssembly component"),
        "{err}"
    );
    assert!(AuthFunction::parse("", dir).is_err());
    assert!(AuthFunction::parse(".wasm", dir).is_err());
}

#[test]
fn debug_never_shows_the_admin_password() {
    let config = parse(&minimal("admin_password = do-not-print-me\n")).unwrap();
    assert!(!format!("{config:?}").contains("do-not-print-me"));
}

#[test]
fn read_replica_equal_to_primary_is_ignored() {
    let config = parse(&minimal("read_database_uri = sqlite:///basic_auth.db\n")).unwrap();
    assert!(config.read_database_uri.is_some());
    assert_eq!(config.effective_read_database_uri(), None);
    assert_eq!(
        parse(&minimal("read_database_uri =\n"))
            .unwrap()
            .read_database_uri,
        None
    );
}

#[test]
fn admin_bootstrap_rules_use_mlflows_wording() {
    assert_eq!(
        validate_bootstrap_admin_username(Some("admin")).unwrap(),
        "admin"
    );
    let err = validate_bootstrap_admin_username(Some(""))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "MLflow Authentication needs a username for the admin user, but none is configured"
        ),
        "{err}"
    );
    assert!(validate_bootstrap_admin_username(None).is_err());
    let err = validate_new_admin_password("admin", "")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "MLflow Authentication needs a password to create the admin user 'admin', but none is \
        configured (or it is empty). MLflow ships no default admin password. Set the MLFLOW_AUTH_ADMIN_PASSWORD"
        ),
        "{err}"
    );
    let err = validate_new_admin_password("admin", "password1234")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "Refusing to use the insecure default password that older MLflow versions shipped in \
        basic_auth.ini for the admin user 'admin' (https://github.com/advisories/GHSA-gq3w-7jj3-x7gr)."
        ),
        "{err}"
    );
    let err = validate_new_admin_password("admin", "short")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "The configured password for the admin user 'admin' is invalid: Password must be at least 12 \
        characters. Set MLFLOW_AUTH_ADMIN_PASSWORD or `admin_password` in the configuration file referenced by \
        MLFLOW_AUTH_CONFIG_PATH to a valid password."
    );
    assert!(validate_new_admin_password("admin", "twelve-chars").is_ok());
    assert!(
        validate_new_admin_password("admin", "ünïcödé-ääää").is_ok(),
        "12 code points, more bytes"
    );
    assert!(!meets_password_policy("ünïcödé-äää"));
}
