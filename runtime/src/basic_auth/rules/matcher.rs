//! Finds the [`Route`] of a request: the API prefix and version are split off the normalised
//! path, then the suffix is matched segment by segment (literal rows first, as Werkzeug does).

use super::check::Check;
use super::table::{Route, API_ROUTES, ROOT_ROUTES, V2, V3};

/// Path parameters captured by a route pattern, in order.
pub type Captures = Vec<(&'static str, String)>;

/// Where a path lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// `/api/<v>/...`.
    Api,
    /// `/ajax-api/<v>/...`.
    Ajax,
    /// Anything else (`/`, `/get-artifact`, `/graphql`, ...).
    Root,
}

/// A matched route: its check and the path parameters it captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// The non-admin check.
    pub check: Check,
    /// The row's pattern (suffix after the version prefix, or the whole path).
    pub pattern: &'static str,
    /// The surface the path was found on.
    pub surface: Surface,
    /// The API version flag ([`V2`] or [`V3`]; 0 on the root surface).
    pub version: u8,
    /// Path parameters, in order (`<model_id>`, `<path:artifact_path>`, ...).
    pub captures: Captures,
}

impl Matched {
    /// The key of the route's response shape: its pattern, with `#2`/`#3` appended to
    /// `/mlflow/traces` (whose v2 and v3 twins answer differently).
    pub fn route_key(&self) -> String {
        match self.pattern {
            "/mlflow/traces" if self.version == V3 => "/mlflow/traces#3".into(),
            "/mlflow/traces" => "/mlflow/traces#2".into(),
            other => other.into(),
        }
    }

    /// The value of one path parameter.
    pub fn capture(&self, name: &str) -> Option<&str> {
        self.captures
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Splits `/api/2.0/mlflow/x` into `(Api, V2, "/mlflow/x")`; `None` for other paths.
pub fn split_api_prefix(path: &str) -> Option<(Surface, u8, &str)> {
    let (surface, rest) = if let Some(rest) = path.strip_prefix("/api/") {
        (Surface::Api, rest)
    } else if let Some(rest) = path.strip_prefix("/ajax-api/") {
        (Surface::Ajax, rest)
    } else {
        return None;
    };
    let (version, suffix) = rest.split_at(rest.find('/')?);
    let flag = match version {
        "2.0" => V2,
        "3.0" => V3,
        _ => return None,
    };
    Some((surface, flag, suffix))
}

/// The route a `(method, normalised path)` resolves to, if any.
pub fn find(method: &str, path: &str) -> Option<Matched> {
    let (surface, version, suffix, rows) = match split_api_prefix(path) {
        Some((surface, version, suffix)) => (surface, version, suffix, API_ROUTES),
        None => (Surface::Root, 0, path, ROOT_ROUTES),
    };
    let serves = |row: &Route| match surface {
        Surface::Api => row.api & version != 0,
        Surface::Ajax => row.ajax & version != 0,
        Surface::Root => true,
    };
    let candidates = rows
        .iter()
        .filter(|row| row.method == method && serves(row));
    let mut best: Option<(usize, Captures, &Route)> = None;
    for row in candidates {
        let Some(captures) = match_suffix(row.suffix, suffix) else {
            continue;
        };
        let literal_rank = captures.len();
        if best
            .as_ref()
            .is_none_or(|(rank, _, _)| literal_rank < *rank)
        {
            best = Some((literal_rank, captures, row));
        }
    }
    best.map(|(_, captures, row)| Matched {
        check: row.check,
        pattern: row.suffix,
        surface,
        version,
        captures,
    })
}

/// Matches a Flask-style pattern against a path; returns the captured parameters.
pub fn match_suffix(pattern: &'static str, path: &str) -> Option<Captures> {
    let mut captures = Vec::new();
    let mut pattern_segments = pattern.split('/');
    let mut path_segments = path.split('/');
    loop {
        match (pattern_segments.next(), path_segments.next()) {
            (None, None) => return Some(captures),
            (Some(p), Some(s)) => {
                if let Some(name) = p.strip_prefix("<path:").and_then(|n| n.strip_suffix('>')) {
                    let mut rest = s.to_string();
                    for more in path_segments.by_ref() {
                        rest.push('/');
                        rest.push_str(more);
                    }
                    if rest.is_empty() || pattern_segments.next().is_some() {
                        return None;
                    }
                    captures.push((name, rest));
                    return Some(captures);
                }
                if let Some(name) = p.strip_prefix('<').and_then(|n| n.strip_suffix('>')) {
                    if s.is_empty() {
                        return None;
                    }
                    captures.push((name, s.to_string()));
                } else if p != s {
                    return None;
                }
            }
            _ => return None,
        }
    }
}
