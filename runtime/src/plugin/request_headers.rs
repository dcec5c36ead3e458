//! Which request headers a plugin is shown (`[plugins.<app>] request_headers`).
//!
//! By default a plugin sees every header the gateway keeps (hop-by-hop, identity and
//! forwarding headers are already removed). An operator who knows what a plugin reads can
//! name exactly those headers: the plugin is then shown nothing else (least privilege: an
//! API-key plugin never sees the session cookie), and the request record the host writes
//! into the fresh instance gets smaller (one guest allocation fewer per name and per value
//! left out). The same view is used for `authenticate` and for an app's `handle`. What the
//! gateway forwards upstream does not change.

use std::fmt;
use std::sync::Arc;

use http::{HeaderMap, HeaderName};
use serde::de::{Deserializer, Error as _, SeqAccess, Visitor};
use serde::Deserialize;

/// The headers shown to a plugin: all of them, or only the named ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RequestHeaders {
    /// Every header the gateway keeps (the default).
    #[default]
    All,
    /// Only these names (lower case, no duplicates); an empty list shows none.
    Only(Arc<[HeaderName]>),
}

impl RequestHeaders {
    /// Parses configured names: each must be a valid header name; case does not matter and
    /// a repeated name counts once. The error names the offending entry and the fix.
    pub fn only<S: AsRef<str>>(names: &[S]) -> Result<Self, String> {
        let mut parsed: Vec<HeaderName> = Vec::with_capacity(names.len());
        for name in names {
            let name = name.as_ref();
            let header = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
                format!(
                    "request_headers: {name:?} is not a header name; \
                     use names such as \"authorization\" or \"x-api-key\""
                )
            })?;
            if !parsed.contains(&header) {
                parsed.push(header);
            }
        }
        Ok(RequestHeaders::Only(parsed.into()))
    }

    /// The plugin's view of `headers`: names (lower case, as `http` stores them) and the raw
    /// value bytes, all values of a name together in arrival order, filtered to the allowed
    /// names.
    pub fn view(&self, headers: &HeaderMap) -> Vec<(String, Vec<u8>)> {
        let shown = |name: &HeaderName| match self {
            RequestHeaders::All => true,
            RequestHeaders::Only(allowed) => allowed.contains(name),
        };
        headers
            .iter()
            .filter(|(name, _)| shown(name))
            .map(|(name, value)| (name.as_str().to_string(), value.as_bytes().to_vec()))
            .collect()
    }
}

impl<'de> Deserialize<'de> for RequestHeaders {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Names;
        impl<'de> Visitor<'de> for Names {
            type Value = RequestHeaders;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of header names, e.g. [\"authorization\"]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut names = Vec::<String>::new();
                while let Some(name) = seq.next_element()? {
                    names.push(name);
                }
                RequestHeaders::only(&names).map_err(A::Error::custom)
            }
        }
        deserializer.deserialize_seq(Names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn names(view: &[(String, Vec<u8>)]) -> Vec<&str> {
        view.iter().map(|(n, _)| n.as_str()).collect()
    }

    #[test]
    fn all_shows_every_header_with_repeated_values_together() {
        let map = headers(&[("cookie", "a"), ("x-api-key", "k"), ("cookie", "b")]);
        let view = RequestHeaders::All.view(&map);
        assert_eq!(names(&view), ["cookie", "cookie", "x-api-key"]);
        assert_eq!(view[1].1, b"b");
    }

    #[test]
    fn only_shows_the_named_headers_case_insensitively() {
        let map = headers(&[("cookie", "c"), ("x-api-key", "k1"), ("x-api-key", "k2")]);
        let only = RequestHeaders::only(&["X-API-Key", "authorization"]).unwrap();
        let view = only.view(&map);
        assert_eq!(names(&view), ["x-api-key", "x-api-key"]);
        assert_eq!(
            (view[0].1.as_slice(), view[1].1.as_slice()),
            (&b"k1"[..], &b"k2"[..])
        );
        let none = RequestHeaders::only::<&str>(&[]).unwrap();
        assert!(none.view(&map).is_empty());
    }

    #[test]
    fn repeated_names_count_once_and_bad_names_are_refused_with_the_fix() {
        let only = RequestHeaders::only(&["authorization", "Authorization"]).unwrap();
        assert_eq!(only, RequestHeaders::only(&["authorization"]).unwrap());
        for bad in ["", "x api key", "bad:name", "caf\u{e9}"] {
            let err = RequestHeaders::only(&[bad]).unwrap_err();
            assert!(err.contains(&format!("{bad:?}")), "{err}");
            assert!(err.contains("use names such as"), "{err}");
        }
    }

    #[test]
    fn deserializes_from_a_toml_list_and_refuses_other_shapes() {
        #[derive(Deserialize)]
        struct Section {
            request_headers: RequestHeaders,
        }
        let ok: Section = toml::from_str("request_headers = [\"Authorization\"]").unwrap();
        assert_eq!(
            ok.request_headers,
            RequestHeaders::only(&["authorization"]).unwrap()
        );
        let err = toml::from_str::<Section>("request_headers = [\"no good\"]")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("\"no good\" is not a header name"), "{err}");
        let err = toml::from_str::<Section>("request_headers = \"authorization\"")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("a list of header names"), "{err}");
    }

    #[test]
    fn plugin_sections_default_to_all_and_reach_the_loader_settings() {
        use crate::config::MlauthConfig;
        let config =
            MlauthConfig::parse("[plugins.a]\n[plugins.b]\nrequest_headers = [\"X-Api-Key\"]\n")
                .unwrap();
        assert_eq!(
            config.plugins["a"].settings().request_headers,
            RequestHeaders::All
        );
        assert_eq!(
            config.plugins["b"].settings().request_headers,
            RequestHeaders::only(&["x-api-key"]).unwrap()
        );
        let err =
            MlauthConfig::parse("[plugins.b]\nrequest_headers = [\"x-api-key:\"]\n").unwrap_err();
        assert!(err.contains("request_headers"), "{err}");
        assert!(err.contains("\"x-api-key:\" is not a header name"), "{err}");
    }
}
