//! The vocabulary of a requirement: the [`Action`] an operation needs, the [`GrantKey`]s that
//! can answer it, and the [`Rung`]s of its fallback ladder.

use super::super::{Permission, ResourceType};

/// What an operation needs of the permission that governs a requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `can_read`.
    Read,
    /// `can_use`.
    Use,
    /// `can_update`.
    Update,
    /// `can_delete`.
    Delete,
    /// `can_manage`.
    Manage,
    /// Create in a container: gated on `can_use` (there is no `can_create`).
    Create,
    /// A veto-only check: anything but `DENY` passes, including no access at all.
    NotDenied,
}

impl Action {
    /// MLflow's action verb (`"read"`, ..., `"not_denied"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Use => "use",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Manage => "manage",
            Action::Create => "create",
            Action::NotDenied => "not_denied",
        }
    }

    /// `action_met(action, permission)`.
    pub fn is_met_by(self, permission: Permission) -> bool {
        match self {
            Action::Read => permission.can_read(),
            Action::Use | Action::Create => permission.can_use(),
            Action::Update => permission.can_update(),
            Action::Delete => permission.can_delete(),
            Action::Manage => permission.can_manage(),
            Action::NotDenied => !permission.is_denied(),
        }
    }
}

/// `GrantLoadKey`: the address a lookup is made at, a resource type and an id (or `*`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GrantKey {
    /// The type the grant must have.
    pub resource_type: ResourceType,
    /// The resource id, or `*` for a tier / create-in-container lookup.
    pub resource_id: String,
}

impl GrantKey {
    /// A key on one resource.
    pub fn new(resource_type: ResourceType, resource_id: impl Into<String>) -> Self {
        GrantKey {
            resource_type,
            resource_id: resource_id.into(),
        }
    }
}

/// One rung of a requirement: a key and, for fallbacks, optionally its own action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rung {
    /// Where to look for grants.
    pub key: GrantKey,
    /// The action this rung must satisfy when it governs; `None` inherits the requirement's.
    pub action: Option<Action>,
}

/// One thing an operation requires: `action` on the first rung's key, consulting each later
/// rung only if no earlier rung holds any grant (`fallback_if_no_grant`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The requirement's own action.
    pub action: Action,
    /// Own key first, then the fallbacks in order. Never empty when built with [`Requirement::new`].
    pub rungs: Vec<Rung>,
}

impl Requirement {
    /// `action` on `(resource_type, resource_id)`; use `"*"` for a tier or a create.
    pub fn new(
        resource_type: ResourceType,
        resource_id: impl Into<String>,
        action: Action,
    ) -> Self {
        let own = Rung {
            key: GrantKey::new(resource_type, resource_id),
            action: None,
        };
        Requirement {
            action,
            rungs: vec![own],
        }
    }

    /// Adds a fallback rung that inherits the requirement's action.
    pub fn or_fallback(
        mut self,
        resource_type: ResourceType,
        resource_id: impl Into<String>,
    ) -> Self {
        let rung = Rung {
            key: GrantKey::new(resource_type, resource_id),
            action: None,
        };
        self.rungs.push(rung);
        self
    }

    /// Adds a fallback rung that must satisfy its own `action` when it governs.
    pub fn or_fallback_requiring(
        mut self,
        resource_type: ResourceType,
        resource_id: impl Into<String>,
        action: Action,
    ) -> Self {
        let rung = Rung {
            key: GrantKey::new(resource_type, resource_id),
            action: Some(action),
        };
        self.rungs.push(rung);
        self
    }

    /// `requirement_rungs`: each key that could decide, paired with the action it must satisfy.
    pub fn rung_actions(&self) -> impl Iterator<Item = (&GrantKey, Action)> + '_ {
        self.rungs
            .iter()
            .map(|rung| (&rung.key, rung.action.unwrap_or(self.action)))
    }
}
