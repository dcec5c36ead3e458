//! Property tests for the TOML config: arbitrary text never panics in parsing or
//! validation; generated `[server]` tables round-trip and validate exactly when the
//! documented limits hold; an unknown key is refused with its name.

use proptest::prelude::*;

use super::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        if let Ok(config) = MlauthConfig::parse(&text) {
            let _ = config.validate();
        }
    }

    #[test]
    fn toml_like_text_never_panics(
        lines in prop::collection::vec(prop_oneof![
            Just("[server]".to_string()), Just("[sandbox]".to_string()),
            Just("[plugins.a]".to_string()), Just("[plugins.a.config]".to_string()),
            "[a-z_]{1,20} = (\"[^\"\\\\]{0,20}\"|[0-9]{1,25}|true|\\[\\]|-1)",
        ], 0..8)
    ) {
        if let Ok(config) = MlauthConfig::parse(&lines.join("\n")) {
            let _ = config.validate();
        }
    }

    #[test]
    fn server_tables_round_trip_and_validate_by_the_rules(
        port in any::<u16>(),
        max_body in any::<u32>(),
        max_header in 0usize..1_000_000,
        plugin_body in 0usize..(32 << 20),
        upstream_timeout in 0u64..100,
        read_timeout in 0u64..100,
        forward in any::<bool>(),
    ) {
        let text = format!(
            "[server]\nport = {port}\nupstream = \"http://127.0.0.1:5001\"\nmax_body_bytes = {max_body}\n\
             max_header_bytes = {max_header}\nplugin_body_limit = {plugin_body}\n\
             upstream_timeout_secs = {upstream_timeout}\nheader_read_timeout_secs = {read_timeout}\n\
             forward_authorization = {forward}\n"
        );
        let config = MlauthConfig::parse(&text).unwrap();
        let s = &config.server;
        prop_assert_eq!(
            (s.port, s.max_body_bytes, s.max_header_bytes, s.plugin_body_limit),
            (port, u64::from(max_body), max_header, plugin_body)
        );
        prop_assert_eq!((s.upstream_timeout_secs, s.header_read_timeout_secs, s.forward_authorization),
            (upstream_timeout, read_timeout, forward));
        let allowed = max_header >= 1024 && plugin_body <= 16 << 20 && upstream_timeout >= 1 && read_timeout >= 1;
        prop_assert_eq!(config.validate().is_ok(), allowed);
    }

    #[test]
    fn unknown_keys_are_refused_by_name(key in "[a-z]{3,12}_x", section in prop::sample::select(vec!["server", "sandbox"])) {
        let err = MlauthConfig::parse(&format!("[{section}]\n{key} = 1\n")).unwrap_err();
        prop_assert!(err.contains(&key), "{}", err);
    }

    #[test]
    fn identity_headers_are_usable_or_refused(name in "\\PC{0,20}") {
        let text = format!("[server]\nidentity_header = {}\n", toml::Value::String(name.clone()));
        let config = MlauthConfig::parse(&text).unwrap();
        if config.validate().is_ok() {
            let lower = name.to_ascii_lowercase();
            prop_assert!(http::HeaderName::from_bytes(lower.as_bytes()).is_ok());
        }
    }
}
