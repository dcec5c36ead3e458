//! Host-side request, identity and response types, and their checked conversion to and
//! from the WIT records. Anything a plugin returns is validated here before the host uses
//! it: a malformed value is an error, never forwarded.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use crate::bindings::mlauth::plugin::types as wit;

/// The request handed to a plugin (already normalised and stripped by the gateway).
#[derive(Debug, Clone, Default)]
pub struct PluginRequest {
    /// Upper-case method.
    pub method: String,
    /// Path as sent, percent-encoded.
    pub raw_path: String,
    /// Normalised path the host decides on.
    pub path: String,
    /// Raw query string.
    pub query: String,
    /// Headers (lower-case names, raw values).
    pub headers: Vec<(String, Vec<u8>)>,
    /// Buffered body, when small enough.
    pub body: Option<Bytes>,
    /// Client socket address.
    pub client_addr: String,
    /// Host request id.
    pub request_id: String,
}

impl PluginRequest {
    pub(crate) fn to_wit(&self) -> wit::Request {
        wit::Request {
            method: self.method.clone(),
            raw_path: self.raw_path.clone(),
            path: self.path.clone(),
            query: self.query.clone(),
            headers: self
                .headers
                .iter()
                .map(|(name, value)| wit::Header {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            body: self.body.as_ref().map(|b| b.to_vec()),
            client_addr: self.client_addr.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

/// Who the caller is, as decided by the plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// MLflow username.
    pub username: String,
    /// Groups (for example from an OIDC claim).
    pub groups: Vec<String>,
    /// Free-form attributes (audit only).
    pub attributes: Vec<(String, String)>,
}

/// Longest username accepted from a plugin (MLflow's `MAX_USERNAME_LENGTH`).
pub const MAX_USERNAME_BYTES: usize = 255;
const MAX_GROUPS: usize = 256;
const MAX_ATTRIBUTES: usize = 64;
const MAX_ITEM_BYTES: usize = 1024;
/// Most headers a plugin response may carry.
const MAX_RESPONSE_HEADERS: usize = 100;
/// Most bytes of names and values in a plugin response's headers together.
const MAX_RESPONSE_HEADER_BYTES: usize = 64 << 10;

impl Identity {
    /// A plain identity with no groups or attributes.
    pub fn user(username: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            groups: Vec::new(),
            attributes: Vec::new(),
        }
    }

    pub(crate) fn from_wit(auth: wit::Authorization) -> Result<Self, String> {
        check_username(&auth.username)?;
        if auth.groups.len() > MAX_GROUPS || auth.attributes.len() > MAX_ATTRIBUTES {
            return Err("authorization has too many groups or attributes".into());
        }
        let too_long = |s: &String| s.len() > MAX_ITEM_BYTES || s.chars().any(char::is_control);
        if auth.groups.iter().any(too_long)
            || auth
                .attributes
                .iter()
                .any(|(k, v)| too_long(k) || too_long(v))
        {
            return Err(
                "authorization has an over-long group or attribute, or one with control characters"
                    .into(),
            );
        }
        Ok(Self {
            username: auth.username,
            groups: auth.groups,
            attributes: auth.attributes,
        })
    }

    pub(crate) fn to_wit(&self) -> wit::Authorization {
        wit::Authorization {
            username: self.username.clone(),
            groups: self.groups.clone(),
            attributes: self.attributes.clone(),
        }
    }
}

/// Checks a username is usable as an MLflow username and as a header value.
pub fn check_username(username: &str) -> Result<(), String> {
    if username.is_empty() {
        return Err("authorization has an empty username".into());
    }
    if username.len() > MAX_USERNAME_BYTES {
        return Err(format!(
            "authorization username is longer than {MAX_USERNAME_BYTES} bytes"
        ));
    }
    if username.chars().any(char::is_control) {
        return Err("authorization username contains control characters".into());
    }
    // HTTP parsers trim a header value's surrounding whitespace, so `"admin "` would reach
    // the upstream as `admin`; invisible and bidirectional characters make look-alikes.
    if username.trim() != username {
        return Err("authorization username has leading or trailing whitespace".into());
    }
    if username.chars().any(is_invisible_format) {
        return Err(
            "authorization username contains invisible or bidirectional formatting characters"
                .into(),
        );
    }
    Ok(())
}

/// Zero-width, joiner, bidirectional-override and other format characters (Unicode `Cf`
/// characters that render as nothing or reorder text).
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// A validated response produced by a plugin.
#[derive(Debug, Clone)]
pub struct PluginResponse {
    /// Status (200..=599).
    pub status: StatusCode,
    /// Valid headers, without framing or hop-by-hop headers (the host sets those).
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

/// Headers a plugin may not set: the host owns message framing and connection handling.
const HOST_OWNED_RESPONSE_HEADERS: [&str; 7] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "trailer",
    "te",
];

impl PluginResponse {
    pub(crate) fn from_wit(resp: wit::Response, max_body: usize) -> Result<Self, String> {
        let status = match resp.status {
            200..=599 => StatusCode::from_u16(resp.status).map_err(|e| e.to_string())?,
            other => {
                return Err(format!(
                    "invalid response status {other}; allowed 200..=599"
                ))
            }
        };
        if resp.body.len() > max_body {
            return Err(format!(
                "response body of {} bytes exceeds the limit of {max_body} bytes",
                resp.body.len()
            ));
        }
        let header_bytes: usize = resp
            .headers
            .iter()
            .map(|h| h.name.len() + h.value.len())
            .sum();
        if resp.headers.len() > MAX_RESPONSE_HEADERS || header_bytes > MAX_RESPONSE_HEADER_BYTES {
            return Err(format!(
                "response has {} headers of {header_bytes} bytes; at most {MAX_RESPONSE_HEADERS} headers of {MAX_RESPONSE_HEADER_BYTES} bytes in all",
                resp.headers.len()
            ));
        }
        let mut headers = HeaderMap::new();
        for header in resp.headers {
            let name = HeaderName::from_bytes(header.name.as_bytes()).map_err(|_| {
                format!(
                    "invalid response header name {:?}",
                    truncate_debug(&header.name)
                )
            })?;
            let value = HeaderValue::from_bytes(&header.value)
                .map_err(|_| format!("invalid value for response header `{name}`"))?;
            if HOST_OWNED_RESPONSE_HEADERS.contains(&name.as_str()) {
                return Err(format!("response header `{name}` is owned by the host"));
            }
            headers.append(name, value);
        }
        Ok(Self {
            status,
            headers,
            body: Bytes::from(resp.body),
        })
    }
}

fn truncate_debug(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, headers: Vec<(&str, &[u8])>, body: &[u8]) -> wit::Response {
        wit::Response {
            status,
            headers: headers
                .into_iter()
                .map(|(n, v)| wit::Header {
                    name: n.into(),
                    value: v.to_vec(),
                })
                .collect(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn valid_response_is_accepted() {
        let r = PluginResponse::from_wit(
            resp(
                401,
                vec![("www-authenticate", b"Basic realm=\"mlflow\"")],
                b"no",
            ),
            10,
        )
        .unwrap();
        assert_eq!(r.status, 401);
        assert_eq!(r.headers["www-authenticate"], "Basic realm=\"mlflow\"");
    }

    #[test]
    fn invalid_status_header_or_size_is_refused() {
        assert!(PluginResponse::from_wit(resp(1000, vec![], b""), 10).is_err());
        assert!(PluginResponse::from_wit(resp(101, vec![], b""), 10).is_err());
        assert!(PluginResponse::from_wit(resp(200, vec![("bad name", b"x")], b""), 10).is_err());
        assert!(PluginResponse::from_wit(resp(200, vec![("x", b"a\r\nb")], b""), 10).is_err());
        assert!(
            PluginResponse::from_wit(resp(200, vec![("content-length", b"1")], b""), 10).is_err()
        );
        assert!(PluginResponse::from_wit(resp(200, vec![], &[0; 11]), 10).is_err());
    }

    #[test]
    fn too_many_or_too_large_response_headers_are_refused() {
        let many: Vec<(&str, &[u8])> = vec![("x-a", b"1"); MAX_RESPONSE_HEADERS];
        assert!(PluginResponse::from_wit(resp(200, many.clone(), b""), 10).is_ok());
        let mut more = many;
        more.push(("x-a", b"1"));
        let err = PluginResponse::from_wit(resp(200, more, b""), 10).unwrap_err();
        assert!(err.contains("at most 100 headers"), "{err}");
        let big = vec![b'a'; MAX_RESPONSE_HEADER_BYTES];
        let err = PluginResponse::from_wit(resp(200, vec![("x-big", &big)], b""), 10).unwrap_err();
        assert!(err.contains("65536 bytes in all"), "{err}");
    }

    #[test]
    fn usernames_are_checked() {
        assert!(check_username("alice").is_ok());
        assert!(check_username("").is_err());
        assert!(check_username("a\r\nX-Evil: 1").is_err());
        assert!(check_username(&"a".repeat(256)).is_err());
        assert!(
            check_username("alice smith").is_ok(),
            "inner spaces are fine"
        );
        assert!(check_username("ålice@example.org").is_ok());
        for spoof in [
            "admin ",
            " admin",
            "   ",
            "admin\u{a0}",
            "ad\u{200b}min",
            "\u{202e}nimda",
        ] {
            assert!(check_username(spoof).is_err(), "{spoof:?} must be refused");
        }
    }
}
