//! Property tests for the host ⇄ WIT conversions: request headers reach the plugin byte for
//! byte, and whatever a plugin returns is either refused or yields a response and identity
//! the host can send (no panic on arbitrary bytes).

use proptest::prelude::*;

use super::*;

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9!#$%&'*+.^_`|~-]{1,12}",
        Just("authorization".to_string()),
        Just("x-test".to_string()),
    ]
}

/// Arbitrary header bytes; the ones `http` refuses never reach a `HeaderMap`.
fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..40)
}

fn wit_header() -> impl Strategy<Value = wit::Header> {
    (
        prop_oneof![
            "\\PC{0,12}",
            header_name(),
            Just("content-length".to_string())
        ],
        header_value(),
    )
        .prop_map(|(name, value)| wit::Header { name, value })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn request_headers_reach_the_plugin_byte_for_byte(
        pairs in prop::collection::vec((header_name(), header_value()), 0..12)
    ) {
        let mut map = HeaderMap::new();
        let mut accepted: Vec<(String, Vec<u8>)> = Vec::new();
        for (name, value) in pairs {
            if let Ok(v) = HeaderValue::from_bytes(&value) {
                map.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), v);
                accepted.push((name, value));
            }
        }
        let request = PluginRequest {
            headers: crate::plugin::RequestHeaders::All.view(&map),
            ..PluginRequest::default()
        };
        let wit = request.to_wit();
        // Same multiset, and each name's values in arrival order.
        prop_assert_eq!(wit.headers.len(), accepted.len());
        let mut names: Vec<&String> = accepted.iter().map(|(n, _)| n).collect();
        names.dedup();
        for name in names {
            let sent: Vec<&Vec<u8>> = accepted.iter().filter(|(n, _)| n == name).map(|(_, v)| v).collect();
            let seen: Vec<&Vec<u8>> = wit.headers.iter().filter(|h| &h.name == name).map(|h| &h.value).collect();
            prop_assert_eq!(sent, seen);
        }
    }

    #[test]
    fn request_fields_are_copied(
        method in "[A-Z]{1,8}", raw in "\\PC{0,30}", query in "\\PC{0,30}",
        body in prop::option::of(prop::collection::vec(any::<u8>(), 0..64)),
    ) {
        let request = PluginRequest {
            method: method.clone(),
            raw_path: raw.clone(),
            path: raw.clone(),
            query: query.clone(),
            headers: Vec::new(),
            body: body.clone().map(Bytes::from),
            client_addr: "127.0.0.1:1".into(),
            request_id: "id".into(),
        };
        let wit = request.to_wit();
        prop_assert_eq!((wit.method, wit.raw_path, wit.query, wit.body), (method, raw, query, body));
    }

    #[test]
    fn plugin_responses_are_refused_or_sendable(
        status in any::<u16>(),
        headers in prop::collection::vec(wit_header(), 0..6),
        body in prop::collection::vec(any::<u8>(), 0..80),
    ) {
        let response = wit::Response { status, headers, body };
        if let Ok(r) = PluginResponse::from_wit(response, 64) {
            prop_assert!((200..=599).contains(&r.status.as_u16()));
            prop_assert!(r.body.len() <= 64);
            for name in r.headers.keys() {
                prop_assert!(!HOST_OWNED_RESPONSE_HEADERS.contains(&name.as_str()));
            }
        }
    }

    #[test]
    fn accepted_identities_can_be_sent_upstream(
        username in prop_oneof!["\\PC{0,300}", ".{0,20}", "[\\x00-\\x7f]{0,20}"],
        groups in prop::collection::vec(".{0,10}", 0..4),
    ) {
        let auth = wit::Authorization { username: username.clone(), groups, attributes: vec![] };
        if let Ok(identity) = Identity::from_wit(auth) {
            prop_assert!(HeaderValue::from_str(&identity.username).is_ok(), "{:?}", username);
            prop_assert_eq!(identity.username, username);
        }
    }
}
