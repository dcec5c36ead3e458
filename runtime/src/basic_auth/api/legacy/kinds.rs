//! The legacy resource families and operations: their routes, parameters, grant keys and
//! MLflow's exact entity JSON and messages.

use http::Method;
use serde_json::{json, Map, Value};

use crate::basic_auth::permissions::{canonical_experiment_id, scorer_key, ResourceType};
use crate::store::DEFAULT_WORKSPACE;

/// A legacy resource family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::basic_auth::api) enum LegacyKind {
    Experiment,
    RegisteredModel,
    Scorer,
    GatewaySecret,
    GatewayEndpoint,
    GatewayModelDefinition,
}

/// A legacy operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::basic_auth::api) enum LegacyOp {
    Create,
    Get,
    Update,
    Delete,
}

impl LegacyOp {
    pub(in crate::basic_auth::api) const ALL: [LegacyOp; 4] = [
        LegacyOp::Create,
        LegacyOp::Get,
        LegacyOp::Update,
        LegacyOp::Delete,
    ];

    /// The route's method.
    pub(in crate::basic_auth::api) fn method(self) -> Method {
        match self {
            LegacyOp::Create => Method::POST,
            LegacyOp::Get => Method::GET,
            LegacyOp::Update => Method::PATCH,
            LegacyOp::Delete => Method::DELETE,
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            LegacyOp::Create => "create",
            LegacyOp::Get => "get",
            LegacyOp::Update => "update",
            LegacyOp::Delete => "delete",
        }
    }
}

impl LegacyKind {
    pub(in crate::basic_auth::api) const ALL: [LegacyKind; 6] = [
        LegacyKind::Experiment,
        LegacyKind::RegisteredModel,
        LegacyKind::Scorer,
        LegacyKind::GatewaySecret,
        LegacyKind::GatewayEndpoint,
        LegacyKind::GatewayModelDefinition,
    ];

    /// The route (≤3.12 registered these under `/api` only).
    pub(in crate::basic_auth::api) fn path(self, op: LegacyOp) -> String {
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

    pub(super) fn resource_type(self) -> ResourceType {
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
    pub(super) fn id_params(self) -> &'static [&'static str] {
        match self {
            LegacyKind::Experiment => &["experiment_id"],
            LegacyKind::RegisteredModel => &["name"],
            LegacyKind::Scorer => &["experiment_id", "scorer_name"],
            LegacyKind::GatewaySecret => &["secret_id"],
            LegacyKind::GatewayEndpoint => &["endpoint_id"],
            LegacyKind::GatewayModelDefinition => &["model_definition_id"],
        }
    }

    pub(super) fn entity(self) -> &'static str {
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
    pub(super) fn key(self, ids: &[String]) -> String {
        match self {
            LegacyKind::Experiment => canonical_experiment_id(&ids[0]).into_owned(),
            LegacyKind::Scorer => scorer_key(&ids[0], &ids[1]),
            _ => ids[0].clone(),
        }
    }

    pub(super) fn duplicate(self, ids: &[String], username: &str) -> String {
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

    pub(super) fn not_found(self, ids: &[String], username: &str) -> String {
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
    pub(super) fn entity_json(self, ids: &[String], user_id: i64, permission: &str) -> Value {
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
