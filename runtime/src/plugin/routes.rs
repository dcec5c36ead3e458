//! Route patterns shared by the host and app plugins (`create-app`): exact paths or
//! prefixes ending in `/*`, with an optional method list.

use http::Method;

use crate::bindings::mlauth::plugin::types as wit;

/// A validated route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    /// `/exact/path` or `/prefix/*`.
    pub path: String,
    /// Methods; empty = all.
    pub methods: Vec<Method>,
    /// Skips authentication when true.
    pub public: bool,
}

impl RouteSpec {
    /// A route answering every method.
    pub fn any(path: &str, public: bool) -> Self {
        Self {
            path: path.to_string(),
            methods: Vec::new(),
            public,
        }
    }

    /// Builds a route from a plugin's `create-app` answer, checking the pattern is a clean,
    /// normalised absolute path.
    pub(crate) fn from_wit(route: wit::Route) -> Result<Self, String> {
        check_pattern(&route.path)?;
        let methods = route
            .methods
            .iter()
            .map(|m| {
                Method::from_bytes(m.to_ascii_uppercase().as_bytes())
                    .map_err(|_| format!("route {}: invalid method {m:?}", route.path))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            path: route.path,
            methods,
            public: route.public,
        })
    }

    pub(crate) fn to_wit(&self) -> wit::Route {
        wit::Route {
            path: self.path.clone(),
            methods: self
                .methods
                .iter()
                .map(|m| m.as_str().to_string())
                .collect(),
            public: self.public,
        }
    }

    /// The prefix of a `/prefix/*` pattern.
    fn prefix(&self) -> Option<&str> {
        self.path.strip_suffix("/*")
    }

    /// Whether the (normalised) `path` falls under this route's pattern.
    pub fn matches_path(&self, path: &str) -> bool {
        match self.prefix() {
            Some(prefix) => {
                path == prefix
                    || path
                        .strip_prefix(prefix)
                        .is_some_and(|rest| rest.starts_with('/'))
            }
            None => path == self.path,
        }
    }

    /// Whether this route answers `method` on `path`.
    pub fn matches(&self, method: &Method, path: &str) -> bool {
        self.matches_path(path) && (self.methods.is_empty() || self.methods.contains(method))
    }

    /// Whether some request could match both routes.
    pub fn overlaps(&self, other: &RouteSpec) -> bool {
        let methods_meet = self.methods.is_empty()
            || other.methods.is_empty()
            || self.methods.iter().any(|m| other.methods.contains(m));
        let paths_meet = match (self.prefix(), other.prefix()) {
            (None, None) => self.path == other.path,
            (Some(_), None) => self.matches_path(&other.path),
            (None, Some(_)) => other.matches_path(&self.path),
            (Some(a), Some(b)) => {
                let a_route = RouteSpec::any(&format!("{a}/*"), false);
                let b_route = RouteSpec::any(&format!("{b}/*"), false);
                a_route.matches_path(b) || b_route.matches_path(a)
            }
        };
        methods_meet && paths_meet
    }
}

fn check_pattern(path: &str) -> Result<(), String> {
    let body = path.strip_suffix("/*").unwrap_or(path);
    let clean = path.starts_with('/')
        && !body.contains("//")
        && !body.contains('*')
        && !body.split('/').any(|seg| seg == "." || seg == "..")
        && !body.contains(['%', '\\', '?', '#', '\0'])
        && (body.len() == 1 || !body.ends_with('/'));
    if clean && !body.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "route pattern {path:?} is invalid: use a normalised absolute path, optionally ending in `/*`"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(path: &str, methods: &[&str]) -> RouteSpec {
        RouteSpec::from_wit(wit::Route {
            path: path.into(),
            methods: methods.iter().map(|m| m.to_string()).collect(),
            public: false,
        })
        .unwrap()
    }

    #[test]
    fn prefix_routes_match_on_segment_boundaries() {
        let r = route("/public/*", &[]);
        assert!(r.matches_path("/public"));
        assert!(r.matches_path("/public/a/b"));
        assert!(!r.matches_path("/publicity"));
        assert!(!r.matches_path("/x/public"));
    }

    #[test]
    fn methods_restrict_matches() {
        let r = route("/api/custom-auth/login", &["post"]);
        assert!(r.matches(&Method::POST, "/api/custom-auth/login"));
        assert!(!r.matches(&Method::GET, "/api/custom-auth/login"));
    }

    #[test]
    fn overlap_detection() {
        assert!(route("/api/*", &[]).overlaps(&route("/api/2.0/mlflow/users/create", &["POST"])));
        assert!(route("/a/*", &[]).overlaps(&route("/a/b/*", &[])));
        assert!(!route("/a/*", &[]).overlaps(&route("/ab/*", &[])));
        assert!(!route("/x", &["GET"]).overlaps(&route("/x", &["POST"])));
        assert!(route("/health", &[]).overlaps(&route("/health", &["GET"])));
    }

    #[test]
    fn unclean_patterns_are_rejected() {
        for bad in [
            "api", "/a/../b", "//a", "/a/*/b", "/a%2f", "/a/", "/a\\b", "/*",
        ] {
            let r = RouteSpec::from_wit(wit::Route {
                path: bad.into(),
                methods: vec![],
                public: false,
            });
            assert!(r.is_err(), "{bad} should be rejected");
        }
    }
}
