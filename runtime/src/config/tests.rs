//! Unit tests of config parsing and validation: unknown keys, out-of-range values and
//! plugin settings.

use super::*;

#[test]
fn unknown_keys_are_rejected_with_their_name() {
    let err = MlauthConfig::parse("[server]\nprot = 5000\n").unwrap_err();
    assert!(err.contains("prot"), "{err}");
    let err = MlauthConfig::parse("[sandbox]\nmemory = 1\n").unwrap_err();
    assert!(err.contains("memory"), "{err}");
}

#[test]
fn bad_values_name_the_key_and_the_range() {
    let mut config = MlauthConfig::parse("[sandbox]\ndeadline_ms = 0\n").unwrap();
    assert!(config
        .validate()
        .unwrap_err()
        .to_string()
        .contains("sandbox.deadline_ms = 0"));
    config = MlauthConfig::parse("[sandbox]\nwarm_instances = 65\n").unwrap();
    assert!(config
        .validate()
        .unwrap_err()
        .to_string()
        .contains("sandbox.warm_instances = 65"));
    let err = MlauthConfig::parse("[sandbox]\nwarm_instances = \"lots\"\n").unwrap_err();
    assert!(err.contains("warm_instances"), "{err}");
    assert!(err.contains("use \"auto\""), "{err}");
    config = MlauthConfig::parse("[sandbox]\nwarm_instances = \"auto\"\n").unwrap();
    assert!(config.validate().is_ok());
    config = MlauthConfig::parse("[server]\nupstream = \"https://x\"\n").unwrap();
    assert!(config
        .validate()
        .unwrap_err()
        .to_string()
        .contains("http://"));
    config = MlauthConfig::parse("[server]\nidentity_header = \"Authorization\"\n").unwrap();
    assert!(config
        .validate()
        .unwrap_err()
        .to_string()
        .contains("identity_header"));
    config = MlauthConfig::parse("[server]\npublic_prefixes = [\"/a/../b\"]\n").unwrap();
    assert!(config
        .validate()
        .unwrap_err()
        .to_string()
        .contains("public_prefixes"));
    config = MlauthConfig::parse("[plugins.x]\ngrants = [\"users\"]\nsha256 = \"abc\"\n").unwrap();
    assert!(config
        .validate()
        .unwrap_err()
        .to_string()
        .contains("plugins.x.sha256"));
}

#[test]
fn unknown_capability_is_a_parse_error() {
    let err = MlauthConfig::parse("[plugins.x]\ngrants = [\"network\"]\n").unwrap_err();
    assert!(err.contains("network"), "{err}");
}

#[test]
fn plugin_config_values_become_strings() {
    let config = MlauthConfig::parse("[plugins.x.config]\ntoken = \"t\"\nlimit = 3\n").unwrap();
    let settings = config.plugins["x"].settings();
    assert_eq!(settings.config["token"], "t");
    assert_eq!(settings.config["limit"], "3");
}

/// The `validate()` error of a `[server]` section, or `None` when it is accepted.
fn server_error(server: &str) -> Option<String> {
    let config = MlauthConfig::parse(&format!("[server]\n{server}\n")).unwrap();
    config.validate().err().map(|e| e.to_string())
}

#[test]
fn public_prefixes_that_would_open_mlflows_api_are_refused() {
    for prefix in [
        "/api",
        "/api/2.0",
        "/api/2.0/mlflow/experiments",
        "/ajax-api",
        "/graphql",
        "/get-artifact",
        "/model-versions",
    ] {
        let err = server_error(&format!("public_prefixes = [{prefix:?}]"))
            .unwrap_or_else(|| panic!("{prefix} accepted"));
        assert!(err.contains("would make MLflow's API"), "{err}");
    }
    for prefix in ["/public", "/apis", "/api-docs", "/static-assets"] {
        assert_eq!(
            server_error(&format!("public_prefixes = [{prefix:?}]")),
            None,
            "{prefix}"
        );
    }
}

#[test]
fn identity_headers_that_others_own_are_refused() {
    for name in [
        "content-type",
        "x-forwarded-proto",
        "x-forwarded-host",
        "forwarded",
        "te",
        "upgrade",
        "x_mlauth_user",
        "x.user",
    ] {
        let err = server_error(&format!("identity_header = {name:?}"))
            .unwrap_or_else(|| panic!("{name} accepted"));
        assert!(err.contains("identity_header"), "{err}");
    }
    assert_eq!(server_error("identity_header = \"x-remote-user\""), None);
}

#[test]
fn upstream_credentials_and_endless_timeouts_are_refused() {
    let err = server_error("upstream = \"http://mlflow:hunter2@127.0.0.1:5001\"").unwrap();
    assert!(err.contains("must not contain credentials"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    let err = server_error("upstream_timeout_secs = 9223372036854775807").unwrap();
    assert!(err.contains("1..=86400"), "{err}");
    assert_eq!(server_error("body_read_timeout_secs = 86400"), None);
}

#[test]
fn a_toml_error_names_the_place_and_key_but_never_echoes_the_line() {
    let text = "[server]\nport = 1\n[plugins.a]\nconfig = { token = \"s3cret-token\", n = }\n";
    let err = MlauthConfig::parse(text).unwrap_err();
    assert!(err.contains("line 4"), "{err}");
    assert!(err.contains("`config = …`"), "{err}");
    assert!(!err.contains("s3cret"), "{err}");
}
