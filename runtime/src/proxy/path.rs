//! Path normalisation, done once per request: the host decides on the normalised path and
//! forwards exactly that path, so the upstream can never see a different route than the
//! one that was authorised.
//!
//! Rules: percent-decode once; resolve `.` and `..` segments; collapse repeated slashes.
//! Ambiguous forms are rejected instead of guessed: an encoded `/` or `\` (`%2F`, `%5C`),
//! an encoded dot segment (`%2e%2e`), NUL or other control characters, a raw backslash,
//! invalid UTF-8 after decoding, and `..` that climbs above the root.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};

/// Why a path was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// Does not start with `/`.
    #[error("the request path must start with `/`")]
    NotAbsolute,
    /// `%2F` or `%5C` inside a segment.
    #[error("the request path contains an encoded slash or backslash")]
    EncodedSeparator,
    /// `%2e` used to spell a dot segment.
    #[error("the request path contains an encoded dot segment")]
    EncodedDotSegment,
    /// A raw backslash.
    #[error("the request path contains a backslash")]
    Backslash,
    /// NUL or another control character (raw or encoded).
    #[error("the request path contains a control character")]
    ControlCharacter,
    /// Not UTF-8 once decoded.
    #[error("the request path is not valid UTF-8 once decoded")]
    InvalidUtf8,
    /// `..` above the root.
    #[error("the request path climbs above the root")]
    AboveRoot,
    /// A `%` not followed by two hex digits.
    #[error("the request path contains a malformed percent-escape")]
    BadEscape,
}

/// Characters re-encoded when the normalised path is forwarded.
const FORWARD_ENCODE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Normalises a raw (still percent-encoded) request path.
pub fn normalize(raw: &str) -> Result<String, PathError> {
    if !raw.starts_with('/') {
        return Err(PathError::NotAbsolute);
    }
    if raw.contains('\\') {
        return Err(PathError::Backslash);
    }
    let mut segments: Vec<String> = Vec::new();
    for raw_segment in raw.split('/').skip(1) {
        let segment = decode_segment(raw_segment)?;
        match segment.as_str() {
            "" => {}
            "." | ".." if segment.len() != raw_segment.len() => {
                return Err(PathError::EncodedDotSegment)
            }
            "." => {}
            ".." => {
                segments.pop().ok_or(PathError::AboveRoot)?;
            }
            _ => segments.push(segment),
        }
    }
    let mut path = String::with_capacity(raw.len());
    for segment in &segments {
        path.push('/');
        path.push_str(segment);
    }
    let trailing = raw.ends_with('/') || raw.ends_with("/.") || raw.ends_with("/..");
    if path.is_empty() || (trailing && !segments.is_empty()) {
        path.push('/');
    }
    Ok(path)
}

fn decode_segment(raw: &str) -> Result<String, PathError> {
    check_escapes(raw)?;
    let lower = raw.to_ascii_lowercase();
    if lower.contains("%2f") || lower.contains("%5c") {
        return Err(PathError::EncodedSeparator);
    }
    let decoded = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| PathError::InvalidUtf8)?;
    if decoded.chars().any(char::is_control) {
        return Err(PathError::ControlCharacter);
    }
    Ok(decoded.into_owned())
}

fn check_escapes(raw: &str) -> Result<(), PathError> {
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let ok = bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return Err(PathError::BadEscape);
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

/// Percent-encodes a normalised path for the upstream request line.
pub fn encode_for_upstream(path: &str) -> String {
    utf8_percent_encode(path, FORWARD_ENCODE).to_string()
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_table() {
        let ok = [
            ("/", "/"),
            (
                "/api/2.0/mlflow/experiments/get",
                "/api/2.0/mlflow/experiments/get",
            ),
            ("//api//2.0///mlflow", "/api/2.0/mlflow"),
            (
                "/public/../api/2.0/mlflow/users/create",
                "/api/2.0/mlflow/users/create",
            ),
            ("/public/./x", "/public/x"),
            ("/a/b/..", "/a/"),
            ("/a/", "/a/"),
            ("/%61pi/x", "/api/x"),
            ("/static-files/a%20b.js", "/static-files/a b.js"),
            ("/a/%252e%252e/b", "/a/%2e%2e/b"),
            ("/public;/../api/x", "/api/x"),
            ("/caf%C3%A9", "/café"),
        ];
        for (raw, want) in ok {
            assert_eq!(normalize(raw).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn ambiguous_paths_are_rejected() {
        let bad = [
            ("api/x", PathError::NotAbsolute),
            ("/public%2F..%2Fapi", PathError::EncodedSeparator),
            ("/public%2f..%2fapi", PathError::EncodedSeparator),
            ("/a%5cb", PathError::EncodedSeparator),
            ("/public/%2e%2e/api", PathError::EncodedDotSegment),
            ("/public/.%2E/api", PathError::EncodedDotSegment),
            ("/public/%2e/api", PathError::EncodedDotSegment),
            ("/a\\..\\api", PathError::Backslash),
            ("/a%00b", PathError::ControlCharacter),
            ("/a%0d%0aX-Injected:%201", PathError::ControlCharacter),
            ("/%ff", PathError::InvalidUtf8),
            ("/..", PathError::AboveRoot),
            ("/a/../../b", PathError::AboveRoot),
            ("/a%zz", PathError::BadEscape),
            ("/a%2", PathError::BadEscape),
        ];
        for (raw, want) in bad {
            assert_eq!(normalize(raw), Err(want), "{raw}");
        }
    }

    #[test]
    fn forwarded_path_round_trips() {
        for raw in ["/a b", "/a%2525", "/x?y", "/café", "/a#b"] {
            let decoded = percent_decode_str(&encode_for_upstream(raw))
                .decode_utf8()
                .unwrap()
                .into_owned();
            assert_eq!(decoded, raw);
        }
        assert_eq!(encode_for_upstream("/a/%2e%2e/b"), "/a/%252e%252e/b");
    }
}
