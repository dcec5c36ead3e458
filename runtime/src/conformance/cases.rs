//! The standard requests of the conformance kit and what each must get.

use http::{HeaderName, HeaderValue};

pub(crate) use super::case::Case;
pub use super::case::Expect;
use super::KitOptions;
use crate::config::ServerConfig;

/// The value the kit puts in spoofed identity headers; it must never become the user.
pub(crate) const SPOOFED_USER: &str = "mlauth-conformance-spoof";

/// The good credentials with each value changed by `f` (values `f` cannot express are kept).
fn mutate(
    good: &[(HeaderName, HeaderValue)],
    f: impl Fn(&[u8]) -> Vec<u8>,
) -> Vec<(HeaderName, HeaderValue)> {
    good.iter()
        .map(|(name, value)| {
            let changed = HeaderValue::from_bytes(&f(value.as_bytes())).unwrap_or(value.clone());
            (name.clone(), changed)
        })
        .collect()
}

/// The value with its last byte replaced by a different printable one.
fn flip_last(value: &[u8]) -> Vec<u8> {
    let mut out = value.to_vec();
    match out.last_mut() {
        Some(last) => *last = if *last == b'x' { b'y' } else { b'x' },
        None => out.push(b'x'),
    }
    out
}

/// Every case of the standard suite for these options.
pub(crate) fn standard(options: &KitOptions, server: &ServerConfig) -> Vec<Case> {
    let good = &options.good;
    let mut cases = refusals(good, server);
    cases.extend(hostile_headers(good, server));
    cases.extend(admissions(good, server));
    cases
}

/// Requests without valid credentials.
fn refusals(good: &[(HeaderName, HeaderValue)], server: &ServerConfig) -> Vec<Case> {
    use Expect::Refused;
    let identity = server.identity_header.as_str();
    let mut doubled = good.to_vec();
    doubled.extend(good.iter().cloned());
    vec![
        Case::new("no-credentials", "no credential header at all", Refused),
        Case::new(
            "empty-credentials",
            "the good header names with empty values",
            Refused,
        )
        .with_headers(&mutate(good, |_| Vec::new())),
        Case::new(
            "wrong-credentials",
            "the good values with the last byte changed",
            Refused,
        )
        .with_headers(&mutate(good, flip_last)),
        Case::new(
            "truncated-credentials",
            "the good values less their last byte",
            Refused,
        )
        .with_headers(&mutate(good, |v| v[..v.len().saturating_sub(1)].to_vec())),
        Case::new(
            "extended-credentials",
            "the good values plus one byte",
            Refused,
        )
        .with_headers(&mutate(good, |v| [v, b"0"].concat())),
        Case::new(
            "duplicated-credentials",
            "the good headers sent twice (ambiguous)",
            Refused,
        )
        .with_headers(&doubled),
        Case::new(
            "basic-scheme",
            "Authorization: Basic with made-up credentials",
            Refused,
        )
        .header("authorization", b"Basic bWxhdXRoOmNvbmZvcm1hbmNl"),
        Case::new(
            "unknown-bearer",
            "Authorization: Bearer with a made-up token",
            Refused,
        )
        .header("authorization", b"Bearer conformance-0123456789abcdef"),
        Case::new(
            "spoofed-identity",
            "identity headers set by the client, no credentials",
            Refused,
        )
        .header(identity, SPOOFED_USER.as_bytes())
        .header("x-forwarded-user", SPOOFED_USER.as_bytes())
        .header("remote-user", SPOOFED_USER.as_bytes()),
        Case::new("root-path", "no credentials on /", Refused).path("/"),
        Case::new(
            "ajax-path",
            "no credentials on an ajax-api call with a query",
            Refused,
        )
        .path("/ajax-api/2.0/mlflow/runs/get?run_id=1&x=%FF"),
        Case::new(
            "post-with-body",
            "POST with a JSON body, no credentials",
            Refused,
        )
        .method("POST")
        .path("/api/2.0/mlflow/runs/create")
        .body("application/json", br#"{"experiment_id": "0"}"#),
    ]
    .into_iter()
    .chain(
        [
            "HEAD",
            "OPTIONS",
            "PUT",
            "PATCH",
            "DELETE",
            "PROPFIND",
            "X-CONFORMANCE",
        ]
        .map(|m| {
            Case::new(
                &format!("method-{m}"),
                "an unusual method, no credentials",
                Refused,
            )
            .method(m)
        }),
    )
    .collect()
}

/// Big, many and non-UTF-8 headers.
fn hostile_headers(good: &[(HeaderName, HeaderValue)], server: &ServerConfig) -> Vec<Case> {
    let half = vec![b'a'; server.max_header_bytes / 2];
    let over = vec![b'a'; server.max_header_bytes + 1];
    let mut many = Case::new(
        "many-headers",
        "300 extra headers, no credentials",
        Expect::Refused,
    );
    for i in 0..300 {
        many = many.header(&format!("x-conformance-{i}"), b"1");
    }
    vec![
        Case::new(
            "non-utf8-credentials",
            "the good header names with non-UTF-8 values",
            Expect::Refused,
        )
        .with_headers(&mutate(good, |_| b"\xff\xfe\x80conformance".to_vec())),
        Case::new(
            "non-utf8-bearer",
            "Authorization: Bearer with non-UTF-8 bytes",
            Expect::Refused,
        )
        .header("authorization", b"Bearer \xff\xfe\x80"),
        Case::new(
            "large-credentials",
            "the good header names with half-limit values",
            Expect::Refused,
        )
        .with_headers(&mutate(good, |_| half.clone())),
        Case::new(
            "large-header",
            "a half-limit unrelated header, no credentials",
            Expect::Refused,
        )
        .header("x-conformance-padding", &half),
        many,
        Case::new(
            "oversized-headers",
            "good credentials plus headers over max_header_bytes",
            Expect::HostRefused(431),
        )
        .with_headers(good)
        .header("x-conformance-padding", &over),
    ]
}

/// Requests with the good credentials.
fn admissions(good: &[(HeaderName, HeaderValue)], server: &ServerConfig) -> Vec<Case> {
    use Expect::Admitted;
    let identity = server.identity_header.as_str();
    vec![
        Case::new("good-credentials", "the good credentials", Admitted).with_headers(good),
        Case::new(
            "good-spoofed-identity",
            "good credentials plus a client-set identity header",
            Admitted,
        )
        .with_headers(good)
        .header(identity, SPOOFED_USER.as_bytes()),
        Case::new(
            "good-non-utf8-header",
            "good credentials plus a non-UTF-8 header",
            Admitted,
        )
        .with_headers(good)
        .header("x-conformance", b"\xff\xfe\x80"),
        Case::new(
            "good-post-body",
            "good credentials, POST with a JSON body",
            Admitted,
        )
        .with_headers(good)
        .method("POST")
        .path("/api/2.0/mlflow/runs/create")
        .body("application/json", br#"{"experiment_id": "0"}"#),
    ]
    .into_iter()
    .chain(
        ["HEAD", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"].map(|m| {
            Case::new(
                &format!("good-method-{m}"),
                "good credentials, an unusual method",
                Admitted,
            )
            .with_headers(good)
            .method(m)
        }),
    )
    .collect()
}
