//! The result of a successful authentication.

use crate::prelude::*;

/// Who the caller is: the MLflow user the request runs as, plus optional groups and
/// audit attributes.
///
/// ```
/// use mlauth_guest_sdk::Authorization;
///
/// let user = Authorization::user("alice").group("ml-team").attribute("method", "token");
/// assert_eq!(user.username(), "alice");
/// assert_eq!(user.groups(), ["ml-team"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub(crate) username: String,
    pub(crate) groups: Vec<String>,
    pub(crate) attributes: Vec<(String, String)>,
}

impl Authorization {
    /// Authenticates the caller as the MLflow user `username`.
    pub fn user(username: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            groups: Vec::new(),
            attributes: Vec::new(),
        }
    }

    /// Adds one group name.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.groups.push(group.into());
        self
    }

    /// Adds several group names.
    pub fn with_groups<I>(mut self, groups: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.groups.extend(groups.into_iter().map(Into::into));
        self
    }

    /// Adds a free-form attribute. The host logs attributes in its audit trail and never
    /// forwards them upstream.
    pub fn attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push((key.into(), value.into()));
        self
    }

    /// The MLflow username.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The group names, in the order they were added.
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// The attributes, in the order they were added.
    pub fn attributes(&self) -> &[(String, String)] {
        &self.attributes
    }
}
