//! Property tests for the `Authorization` parsers: arbitrary bytes never panic; every
//! well-formed `Basic` value decodes to exactly its user and password (any scheme case,
//! padding or not, surrounding whitespace); whatever is accepted is a single visible token.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use proptest::prelude::*;

use super::*;

fn scheme(name: &'static str) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<bool>(), name.len()).prop_map(move |upper| {
        name.chars()
            .zip(upper)
            .map(|(c, u)| if u { c.to_ascii_uppercase() } else { c })
            .collect()
    })
}

fn space() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![" ", "  ", "\t", " \t "])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(value in prop::collection::vec(any::<u8>(), 0..64)) {
        if let Some(c) = parse_basic(&value) {
            prop_assert!(!c.username.contains(':'));
        }
        if let Some(token) = parse_bearer(&value) {
            prop_assert!(!token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic()));
        }
    }

    #[test]
    fn basic_round_trips(
        scheme in scheme("basic"), sep in space(), trailing in prop::sample::select(vec!["", " ", "\t"]),
        user in "[^:]{0,16}", password in "\\PC{0,24}", padded in any::<bool>(),
    ) {
        let plain = format!("{user}:{password}");
        let token = if padded { STANDARD.encode(&plain) } else { STANDARD_NO_PAD.encode(&plain) };
        let header = format!("{scheme}{sep}{token}{trailing}");
        prop_assert_eq!(
            parse_basic(header.as_bytes()),
            Some(BasicCredentials { username: user, password })
        );
    }

    #[test]
    fn bearer_round_trips(scheme in scheme("bearer"), sep in space(), token in "[!-~]{1,40}") {
        let header = format!("{scheme}{sep}{token}");
        prop_assert_eq!(parse_bearer(header.as_bytes()), Some(token.as_str()));
        // A second token, or the other scheme, is refused.
        let two = format!("{header} x");
        prop_assert_eq!(parse_bearer(two.as_bytes()), None);
        prop_assert_eq!(parse_basic(header.as_bytes()), None);
    }
}
