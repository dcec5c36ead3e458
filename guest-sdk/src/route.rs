//! Routes an app plugin adds to the host.

use crate::prelude::*;

/// A path pattern plus the methods it answers, served by [`App::handle`](crate::App).
///
/// The path is exact (`/api/custom-auth/login`) or a prefix ending in `/*` (`/public/*`
/// matches `/public` and everything below it).
///
/// ```
/// use mlauth_guest_sdk::Route;
///
/// let login = Route::new("/api/custom-auth/login").method("post").public();
/// assert_eq!(login.methods(), ["POST"]);
/// assert!(login.is_public());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub(crate) path: String,
    pub(crate) methods: Vec<String>,
    pub(crate) public: bool,
}

impl Route {
    /// A non-public route for `path` that answers every method.
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            methods: Vec::new(),
            public: false,
        }
    }

    /// Restricts the route to `method` (upper-cased); call again to allow more methods.
    pub fn method(mut self, method: &str) -> Self {
        self.methods.push(method.to_ascii_uppercase());
        self
    }

    /// Marks the route public: the host skips `authenticate` and the handler gets no user.
    pub fn public(mut self) -> Self {
        self.public = true;
        self
    }

    /// The path pattern.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The allowed methods; empty means every method.
    pub fn methods(&self) -> &[String] {
        &self.methods
    }

    /// Whether the route skips authentication.
    pub fn is_public(&self) -> bool {
        self.public
    }
}
