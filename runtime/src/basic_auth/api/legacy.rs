//! The ≤3.12 per-resource permission endpoints (reference §8), kept for old clients and
//! mapped onto the user's `__user_<id>__` grants in `default` (what MLflow 3.13+ does in its
//! store "tombstones"): `experiments/permissions/*`, `registered-models/permissions/*`,
//! `scorers/permissions/*` and the three `gateway/*/permissions/*` families. Who may call:
//! `can_manage` on the resource (admins always).
//!
//! `NO_PERMISSIONS`, a grantable explicit deny in ≤3.12, is no longer grantable; these
//! endpoints store it as `DENY` (the 3.18 explicit deny) and report a stored `DENY` back as
//! `NO_PERMISSIONS`, so an old client's "block this user" keeps its meaning.

use http::Method;
use serde_json::{json, Map, Value};

use super::access::point;
use super::responses::{empty_ok, json_ok, ApiError, Outcome};
use super::Call;
use crate::basic_auth::permissions::{
    canonical_experiment_id, scorer_key, validate_permission_for_resource_type, ResourceType,
};
use crate::store::{RolePermission, DEFAULT_WORKSPACE};

/// A legacy resource family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LegacyKind {
    Experiment,
    RegisteredModel,
    Scorer,
    GatewaySecret,
    GatewayEndpoint,
    GatewayModelDefinition,
}

/// A legacy operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LegacyOp {
    Create,
    Get,
    Update,
    Delete,
}

impl LegacyOp {
    pub(super) const ALL: [LegacyOp; 4] = [
        LegacyOp::Create,
        LegacyOp::Get,
        LegacyOp::Update,
        LegacyOp::Delete,
    ];

    /// The route's method.
    pub(super) fn method(self) -> Method {
        match self {
            LegacyOp::Create => Method::POST,
            LegacyOp::Get => Method::GET,
            LegacyOp::Update => Method::PATCH,
            LegacyOp::Delete => Method::DELETE,
        }
    }

    fn name(self) -> &'static str {
        match self {
            LegacyOp::Create => "create",
            LegacyOp::Get => "get",
            LegacyOp::Update => "update",
            LegacyOp::Delete => "delete",
        }
    }
}

impl LegacyKind {
    pub(super) const ALL: [LegacyKind; 6] = [
        LegacyKind::Experiment,
        LegacyKind::RegisteredModel,
        LegacyKind::Scorer,
        LegacyKind::GatewaySecret,
        LegacyKind::GatewayEndpoint,
        LegacyKind::GatewayModelDefinition,
    ];

    /// The route (≤3.12 registered these under `/api` only).
    pub(super) fn path(self, op: LegacyOp) -> String {
        let base = match self {
            LegacyKind::Experiment => "/api/2.0/mlflow/experiments",
            LegacyKind::RegisteredModel => "/api/2.0/mlflow/registered-models",
            LegacyKind::Scorer => "/api/3.0/mlflow/scorers",
            LegacyKind::GatewaySecret => "/api/3.0/mlflow/gateway/secrets",
            LegacyKind::GatewayEndpoint => "/api/3.0/mlflow/gateway/endpoints",
            LegacyKind::GatewayModelDefinition => "/api/3.0/mlflow/gateway/model-definitions",
        };
        format!("{base}/permissions/{}", op.name())
    }

    fn resource_type(self) -> ResourceType {
        match self {
            LegacyKind::Experiment => ResourceType::Experiment,
            LegacyKind::RegisteredModel => ResourceType::RegisteredModel,
            LegacyKind::Scorer => ResourceType::Scorer,
            LegacyKind::GatewaySecret => ResourceType::GatewaySecret,
            LegacyKind::GatewayEndpoint => ResourceType::GatewayEndpoint,
            LegacyKind::GatewayModelDefinition => ResourceType::GatewayModelDefinition,
        }
    }

    /// The parameters naming the resource, in the order MLflow reads them.
    fn id_params(self) -> &'static [&'static str] {
        match self {
            LegacyKind::Experiment => &["experiment_id"],
            LegacyKind::RegisteredModel => &["name"],
            LegacyKind::Scorer => &["experiment_id", "scorer_name"],
            LegacyKind::GatewaySecret => &["secret_id"],
            LegacyKind::GatewayEndpoint => &["endpoint_id"],
            LegacyKind::GatewayModelDefinition => &["model_definition_id"],
        }
    }

    fn entity(self) -> &'static str {
        match self {
            LegacyKind::Experiment => "experiment_permission",
            LegacyKind::RegisteredModel => "registered_model_permission",
            LegacyKind::Scorer => "scorer_permission",
            LegacyKind::GatewaySecret => "gateway_secret_permission",
            LegacyKind::GatewayEndpoint => "gateway_endpoint_permission",
            LegacyKind::GatewayModelDefinition => "gateway_model_definition_permission",
        }
    }

    /// The grant key: canonical experiment ids, `<exp>/<quoted name>` for scorers.
    fn key(self, ids: &[String]) -> String {
        match self {
            LegacyKind::Experiment => canonical_experiment_id(&ids[0]).into_owned(),
            LegacyKind::Scorer => scorer_key(&ids[0], &ids[1]),
            _ => ids[0].clone(),
        }
    }

    fn duplicate(self, ids: &[String], username: &str) -> String {
        match self {
            LegacyKind::Experiment => format!("Experiment permission (experiment_id={}, username={username}) already exists.", ids[0]),
            LegacyKind::RegisteredModel => format!(
                "Registered model permission with workspace={DEFAULT_WORKSPACE}, name={} and username={username} already exists.",
                ids[0]
            ),
            LegacyKind::Scorer => format!(
                "Scorer permission (experiment_id={}, scorer_name={}, username={username}) already exists.",
                ids[0], ids[1]
            ),
            LegacyKind::GatewaySecret => format!("Gateway secret permission (secret_id={}, username={username}) already exists.", ids[0]),
            LegacyKind::GatewayEndpoint => format!("Gateway endpoint permission (endpoint_id={}, username={username}) already exists.", ids[0]),
            LegacyKind::GatewayModelDefinition => format!(
                "Gateway model definition permission (model_definition_id={}, username={username}) already exists.",
                ids[0]
            ),
        }
    }

    fn not_found(self, ids: &[String], username: &str) -> String {
        match self {
            LegacyKind::Experiment => format!("Experiment permission with experiment_id={} and username={username} not found", ids[0]),
            LegacyKind::RegisteredModel => format!(
                "Registered model permission with workspace={DEFAULT_WORKSPACE}, name={} and username={username} not found",
                ids[0]
            ),
            LegacyKind::Scorer => format!(
                "Scorer permission with experiment_id={}, scorer_name={}, and username={username} not found",
                ids[0], ids[1]
            ),
            LegacyKind::GatewaySecret => format!("Gateway secret permission with secret_id={} and username={username} not found", ids[0]),
            LegacyKind::GatewayEndpoint => format!("Gateway endpoint permission with endpoint_id={} and username={username} not found", ids[0]),
            LegacyKind::GatewayModelDefinition => format!(
                "Gateway model definition permission with model_definition_id={} and username={username} not found",
                ids[0]
            ),
        }
    }

    /// The legacy entity JSON (`ExperimentPermission.to_json()` and friends).
    fn entity_json(self, ids: &[String], user_id: i64, permission: &str) -> Value {
        let mut map = Map::new();
        for (name, value) in self.id_params().iter().zip(ids) {
            map.insert((*name).to_string(), json!(value));
        }
        if self == LegacyKind::RegisteredModel {
            map.insert("workspace".into(), json!(DEFAULT_WORKSPACE));
        }
        map.insert("user_id".into(), json!(user_id));
        map.insert("permission".into(), json!(permission));
        json!({ self.entity(): Value::Object(map) })
    }
}

fn ids(call: &Call<'_>, kind: LegacyKind) -> Result<Vec<String>, ApiError> {
    kind.id_params()
        .iter()
        .map(|p| call.params.text(p))
        .collect()
}

/// The level stored for a legacy permission name (`NO_PERMISSIONS` → `DENY`).
fn stored_level(permission: &str) -> &str {
    if permission == "NO_PERMISSIONS" {
        "DENY"
    } else {
        permission
    }
}

/// The legacy name of a stored level (`DENY` → `NO_PERMISSIONS`).
fn legacy_level(permission: &str) -> &str {
    if permission == "DENY" {
        "NO_PERMISSIONS"
    } else {
        permission
    }
}

/// Validator: `can_manage` on the resource (`validate_can_manage_experiment` and friends).
pub(super) async fn can_manage(call: &Call<'_>, kind: LegacyKind) -> Result<bool, ApiError> {
    let key = kind.key(&ids(call, kind)?);
    Ok(point(call, call.caller.id, kind.resource_type(), &key)
        .await?
        .can_manage())
}

/// The user's direct grant on the resource (canonical key first, then the literal id).
async fn find(
    call: &Call<'_>,
    kind: LegacyKind,
    user_id: i64,
    ids: &[String],
) -> Result<Option<RolePermission>, ApiError> {
    let store = &call.core.store;
    let rtype = kind.resource_type().as_str();
    let key = kind.key(ids);
    if let Some(found) = store
        .get_user_grant(user_id, DEFAULT_WORKSPACE, rtype, &key)
        .await?
    {
        return Ok(Some(found));
    }
    if kind == LegacyKind::Experiment && key != ids[0] {
        return Ok(store
            .get_user_grant(user_id, DEFAULT_WORKSPACE, rtype, &ids[0])
            .await?);
    }
    Ok(None)
}

/// Answers one legacy operation.
pub(super) async fn handle(call: &Call<'_>, kind: LegacyKind, op: LegacyOp) -> Outcome {
    let ids = ids(call, kind)?;
    let username = call.params.text("username")?;
    let rtype = kind.resource_type();
    let requested = match op {
        LegacyOp::Create | LegacyOp::Update => {
            let requested = call.params.text("permission")?;
            validate_permission_for_resource_type(stored_level(&requested), rtype.as_str())?;
            requested
        }
        LegacyOp::Get | LegacyOp::Delete => String::new(),
    };
    let store = &call.core.store;
    let user = store.get_user(&username).await?;
    let existing = find(call, kind, user.id, &ids).await?;
    match (op, existing) {
        (LegacyOp::Create, Some(_)) => {
            Err(ApiError::already_exists(kind.duplicate(&ids, &username)))
        }
        (LegacyOp::Create, None) => {
            store
                .grant_user_permission(
                    &username,
                    DEFAULT_WORKSPACE,
                    rtype.as_str(),
                    &kind.key(&ids),
                    stored_level(&requested),
                )
                .await?;
            Ok(json_ok(&kind.entity_json(&ids, user.id, &requested)))
        }
        (_, None) => Err(ApiError::not_found(kind.not_found(&ids, &username))),
        (LegacyOp::Get, Some(grant)) => Ok(json_ok(&kind.entity_json(
            &ids,
            user.id,
            legacy_level(&grant.permission),
        ))),
        (LegacyOp::Update, Some(grant)) => {
            let level = stored_level(&requested);
            store
                .grant_user_permission(
                    &username,
                    DEFAULT_WORKSPACE,
                    rtype.as_str(),
                    &grant.resource_pattern,
                    level,
                )
                .await?;
            Ok(empty_ok())
        }
        (LegacyOp::Delete, Some(grant)) => {
            store
                .revoke_user_resource_permission(
                    &username,
                    DEFAULT_WORKSPACE,
                    rtype.as_str(),
                    &grant.resource_pattern,
                )
                .await?;
            Ok(empty_ok())
        }
    }
}
