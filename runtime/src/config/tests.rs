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
