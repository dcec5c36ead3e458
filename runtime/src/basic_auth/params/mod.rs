//! MLflow's request-parameter extraction (reference §5.1), one module for the whole app.
//!
//! The primitives here (query-string pairs, the snake_case → lowerCamelCase fallback,
//! double-encoded JSON bodies, the content type) are shared by two readings of a request:
//!
//! * [`strict`] ([`Params`]) — what the authorization rules use in front of MLflow's own
//!   handlers: every place MLflow's validator *or* its handler could read a parameter from is
//!   consulted, and two places that disagree are a 400 (never a guess);
//! * [`flask`] — what the auth REST API uses for the endpoints mlauth serves itself: Flask's
//!   reading exactly (first query value wins, `DELETE` reads the JSON body or the query), since
//!   there the validator and the handler are the same code and MLflow's error texts are kept.
//!
//! [`python`] holds the Python coercions (`str()`, `repr()`, `int()`, truthiness) the auth API
//! reproduces.

pub mod flask;
pub mod python;
pub mod strict;

use percent_encoding::percent_decode_str;
use serde_json::Value;

pub use strict::{as_param, field, parse_body, string_field, string_list_field, Params};

/// lowerCamelCase of a snake_case name, as protobuf's `json_name` (`experiment_id` → `experimentId`).
pub fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits `application/x-www-form-urlencoded` text (a query string or a form body) into
/// `(key, value)` pairs, as `urllib.parse.parse_qsl(keep_blank_values=True)`: `&` separates,
/// `+` is a space, a key without `=` has the empty value; `decode` turns one percent-decoded
/// component into text (strictly or lossily).
fn urlencoded_pairs<E>(
    raw: &str,
    decode: impl Fn(percent_encoding::PercentDecode<'_>) -> Result<String, E>,
) -> Result<Vec<(String, String)>, E> {
    let component = |s: &str| decode(percent_decode_str(&s.replace('+', " ")));
    raw.split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            Ok((component(k)?, component(v)?))
        })
        .collect()
}

/// The query string's pairs; a component that is not UTF-8 after decoding is a 400 (the
/// rules never guess what a mangled id meant).
pub fn parse_query(
    raw: &str,
) -> crate::basic_auth::rules::error::RuleResult<Vec<(String, String)>> {
    urlencoded_pairs(raw, |decoded| {
        decoded.decode_utf8().map(|c| c.into_owned()).map_err(|_| {
            crate::basic_auth::rules::error::RuleError::InvalidParameter(
                "The query string is not valid UTF-8.".into(),
            )
        })
    })
}

/// The pairs as Werkzeug decodes them for the auth API: undecodable bytes are replaced.
pub fn parse_urlencoded(raw: &str) -> Vec<(String, String)> {
    urlencoded_pairs::<std::convert::Infallible>(raw, |decoded| {
        Ok(decoded.decode_utf8_lossy().into_owned())
    })
    .unwrap_or_else(|never| match never {})
}

/// A JSON body that is itself a JSON string holding a document (double-encoded, as some
/// clients send `DELETE` bodies) is decoded once more; `None` if that inner text is not JSON.
pub fn unwrap_double_encoded(value: Value) -> Option<Value> {
    match value {
        Value::String(inner) => serde_json::from_str(&inner).ok(),
        other => Some(other),
    }
}

/// The content type without parameters, lowercased (Werkzeug's `mimetype`).
pub fn mimetype(headers: &http::HeaderMap) -> String {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

/// Flask's `request.is_json`: `application/json` or `application/*+json`.
pub fn is_json(headers: &http::HeaderMap) -> bool {
    let mime = mimetype(headers);
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_urlencoded_reader_strict_and_lossy() {
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let expected = pairs(&[("a", "x y"), ("b", "/"), ("c", "")]);
        assert_eq!(parse_query("a=x+y&b=%2F&&c").unwrap(), expected);
        assert_eq!(parse_urlencoded("a=x+y&b=%2F&&c"), expected);
        assert!(parse_query("a=%ff").is_err());
        assert_eq!(parse_urlencoded("a=%ff"), pairs(&[("a", "\u{fffd}")]));
    }

    #[test]
    fn double_encoded_bodies_and_content_types() {
        let inner = serde_json::json!({"name": "m"});
        let outer = Value::String(inner.to_string());
        assert_eq!(unwrap_double_encoded(outer), Some(inner.clone()));
        assert_eq!(unwrap_double_encoded(inner.clone()), Some(inner));
        assert_eq!(unwrap_double_encoded(Value::String("{".into())), None);
        let mut headers = http::HeaderMap::new();
        assert!(!is_json(&headers));
        headers.insert(
            http::header::CONTENT_TYPE,
            "Application/JSON; charset=utf-8".parse().unwrap(),
        );
        assert!(is_json(&headers));
        headers.insert(
            http::header::CONTENT_TYPE,
            "application/vnd.api+json".parse().unwrap(),
        );
        assert!(is_json(&headers));
        assert_eq!(mimetype(&headers), "application/vnd.api+json");
        assert_eq!(camel_case("experiment_ids"), "experimentIds");
    }
}
