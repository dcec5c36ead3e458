//! `Authorization` parsing (guest-sdk/src/credentials.rs): never panics; what is accepted
//! re-encodes to an equivalent header that parses to the same credentials.
#![no_main]

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;

extern crate alloc;

#[allow(dead_code)]
#[path = "../../guest-sdk/src/credentials.rs"]
mod credentials;

// The `alloc` names credentials.rs imports from the SDK's prelude.
#[allow(dead_code, unused_imports)]
#[path = "../../guest-sdk/src/prelude.rs"]
mod prelude;

fuzz_target!(|data: &[u8]| {
    if let Some(c) = credentials::parse_basic(data) {
        assert!(!c.username.contains(':'));
        let again = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", c.username, c.password))
        );
        assert_eq!(credentials::parse_basic(again.as_bytes()), Some(c));
    }
    if let Some(token) = credentials::parse_bearer(data) {
        assert!(!token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic()));
        let again = format!("Bearer {token}");
        assert_eq!(credentials::parse_bearer(again.as_bytes()), Some(token));
    }
});
