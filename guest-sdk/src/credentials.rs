//! Parsing of `Authorization` header values: RFC 7617 `Basic` and RFC 6750 `Bearer`.
//!
//! These are plain functions over header bytes, independent of the WIT bindings, so they
//! are unit tested on the host.

use crate::prelude::*;

use core::fmt;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

/// Standard base64 that accepts the credentials with or without `=` padding.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A user name and password from an HTTP `Basic` `Authorization` header (RFC 7617).
///
/// `Debug` output hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    /// The user-id: everything before the first `:`. It may be empty.
    pub username: String,
    /// The password: everything after the first `:` (it may itself contain `:`).
    pub password: String,
}

impl fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Parses `Basic <base64(user:pass)>`.
///
/// The scheme is case-insensitive. `None` when the scheme differs, the token is missing, is
/// followed by anything but whitespace, is not base64, does not decode to UTF-8, or has no `:`.
pub fn parse_basic(value: &[u8]) -> Option<BasicCredentials> {
    let token = single_token(value, "basic")?;
    let decoded = BASE64.decode(token).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (username, password) = text.split_once(':')?;
    Some(BasicCredentials {
        username: username.to_owned(),
        password: password.to_owned(),
    })
}

/// Parses `Bearer <token>` and returns the token.
///
/// The scheme is case-insensitive. `None` when the scheme differs, the token is missing or
/// empty, or more than one token follows the scheme.
pub fn parse_bearer(value: &[u8]) -> Option<&str> {
    single_token(value, "bearer")
}

/// Splits `<scheme> <token>` and returns the token when `scheme` matches.
///
/// The token must be one run of visible ASCII characters; surrounding spaces and tabs are
/// ignored.
fn single_token<'a>(value: &'a [u8], scheme: &str) -> Option<&'a str> {
    let text = core::str::from_utf8(value).ok()?.trim_matches(is_space);
    let (found, rest) = text.split_once(is_space)?;
    if !found.eq_ignore_ascii_case(scheme) {
        return None;
    }
    let token = rest.trim_start_matches(is_space);
    let visible = |c: char| c.is_ascii_graphic();
    (!token.is_empty() && token.chars().all(visible)).then_some(token)
}

/// Optional whitespace in HTTP header values (RFC 9110 §5.6.3).
fn is_space(c: char) -> bool {
    c == ' ' || c == '\t'
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user: &str, pass: &str) -> BasicCredentials {
        BasicCredentials {
            username: user.into(),
            password: pass.into(),
        }
    }

    #[test]
    fn basic_decodes_user_and_password() {
        // base64("alice:s3cret")
        assert_eq!(
            parse_basic(b"Basic YWxpY2U6czNjcmV0"),
            Some(basic("alice", "s3cret"))
        );
    }

    #[test]
    fn basic_scheme_is_case_insensitive_and_spaces_are_tolerated() {
        assert_eq!(
            parse_basic(b"bAsIc   YWxpY2U6czNjcmV0 "),
            Some(basic("alice", "s3cret"))
        );
        assert_eq!(
            parse_basic(b"BASIC\tYWxpY2U6czNjcmV0"),
            Some(basic("alice", "s3cret"))
        );
    }

    #[test]
    fn basic_password_keeps_later_colons_and_may_be_empty() {
        // base64("bob:a:b:c") and base64("bob:")
        assert_eq!(
            parse_basic(b"Basic Ym9iOmE6Yjpj"),
            Some(basic("bob", "a:b:c"))
        );
        assert_eq!(parse_basic(b"Basic Ym9iOg=="), Some(basic("bob", "")));
        assert_eq!(parse_basic(b"Basic Ym9iOg"), Some(basic("bob", "")));
    }

    #[test]
    fn basic_accepts_utf8_credentials() {
        // base64("jürgen:пароль")
        let header = b"Basic asO8cmdlbjrQv9Cw0YDQvtC70Yw=";
        assert_eq!(parse_basic(header), Some(basic("jürgen", "пароль")));
    }

    #[test]
    fn basic_rejects_malformed_values() {
        assert_eq!(parse_basic(b""), None);
        assert_eq!(parse_basic(b"Basic"), None);
        assert_eq!(parse_basic(b"Basic "), None);
        assert_eq!(parse_basic(b"Bearer YWxpY2U6czNjcmV0"), None);
        assert_eq!(parse_basic(b"Basicx YWxpY2U6czNjcmV0"), None);
        // No colon: base64("alice").
        assert_eq!(parse_basic(b"Basic YWxpY2U="), None);
        // Not base64.
        assert_eq!(parse_basic(b"Basic !!!!"), None);
        // Two tokens.
        assert_eq!(
            parse_basic(b"Basic YWxpY2U6czNjcmV0 YWxpY2U6czNjcmV0"),
            None
        );
        // Not UTF-8 after decoding: base64([0xff, b':', b'x']).
        assert_eq!(parse_basic(b"Basic /zp4"), None);
        // Not UTF-8 before decoding.
        assert_eq!(parse_basic(b"Basic \xff"), None);
    }

    #[test]
    fn bearer_returns_the_single_token() {
        assert_eq!(
            parse_bearer(b"Bearer abc.def-ghi_~+/="),
            Some("abc.def-ghi_~+/=")
        );
        assert_eq!(parse_bearer(b"bearer  tok "), Some("tok"));
        assert_eq!(parse_bearer(b"BEARER\ttok"), Some("tok"));
    }

    #[test]
    fn bearer_rejects_malformed_values() {
        assert_eq!(parse_bearer(b"Bearer"), None);
        assert_eq!(parse_bearer(b"Bearer "), None);
        assert_eq!(parse_bearer(b"Bearer a b"), None);
        assert_eq!(parse_bearer(b"Basic tok"), None);
        assert_eq!(parse_bearer(b"Bearertok"), None);
        assert_eq!(parse_bearer(b"Bearer tok\x01"), None);
        assert_eq!(parse_bearer(b"Bearer t\xc3\xa9"), None);
    }

    #[test]
    fn debug_hides_the_password() {
        let shown = format!("{:?}", basic("alice", "s3cret"));
        assert!(
            shown.contains("alice") && !shown.contains("s3cret"),
            "{shown}"
        );
    }
}
