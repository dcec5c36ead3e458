//! What the limiter reads from a request and from the plugin's answer: the address the
//! counters are kept for, the username of a `Basic` header, and which statuses are denials.

use std::net::{IpAddr, Ipv6Addr};

use base64::Engine as _;

/// Plugin answers that count as a failed authentication.
pub(super) fn is_denial(status: http::StatusCode) -> bool {
    status == http::StatusCode::UNAUTHORIZED || status == http::StatusCode::FORBIDDEN
}

/// IPv4 (also IPv4-mapped IPv6) as is; other IPv6 addresses by their /64 prefix, since one
/// client usually owns a whole /64.
pub(super) fn address_key(addr: IpAddr) -> IpAddr {
    match addr.to_canonical() {
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::V6(Ipv6Addr::from(segments))
        }
        v4 => v4,
    }
}

/// Base64 as the guest SDK's `parse_basic` reads it: padding optional.
const LENIENT_BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// The username of a `Basic` Authorization header, if it decodes. At least as lenient as
/// the guest SDK's parser (spaces or tabs around and after the scheme, padding optional),
/// so every header a plugin reads a username from is counted against that username.
pub(super) fn basic_username(value: &[u8]) -> Option<String> {
    let is_space = |c: char| c == ' ' || c == '\t';
    let value = std::str::from_utf8(value).ok()?.trim_matches(is_space);
    let (scheme, encoded) = value.split_once(is_space)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = LENIENT_BASE64.decode(encoded.trim_matches(is_space)).ok()?;
    let text = String::from_utf8_lossy(&decoded);
    let (user, _) = text.split_once(':')?;
    Some(user.to_string())
}
