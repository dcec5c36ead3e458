//! Registered models, prompts, model versions and aliases (reference §5.5). The family of a
//! persisted entity (prompt or registered model) is read from the upstream, never from the
//! request body, except on create where the body's tags are what will be stored.

use crate::basic_auth::permissions::{Action, Requirement, ResourceType, DEFAULT_WORKSPACE};

use super::runs::{logged_model_requirements, run_requirements};
use super::{hook_ctx, Allowed, Eval};
use crate::basic_auth::rules::check::Check;
use crate::basic_auth::rules::engine::{container_type, version_tier};
use crate::basic_auth::rules::error::{RuleError, RuleResult};
use crate::basic_auth::rules::hooks::{
    grant_registered_model_creator, rename_registered_model_grants, sweep_registered_model_grants,
};
use crate::basic_auth::rules::lookups::prompt_marker;
use crate::basic_auth::rules::models_uri::{parse_models_uri, ModelsUri};
use crate::basic_auth::rules::refill;

/// A resolved registry entity: its container type and the requested name.
struct Target {
    container: ResourceType,
    name: String,
    stored_name: String,
}

/// The registry entity a name resolves to. A name that the upstream matched to an entity
/// stored under another spelling (a case-insensitive database collation, trailing blanks)
/// is refused: grants are keyed on the exact name, so judging the requested spelling would
/// let a case variant slip past a grant or a `DENY` on the stored one.
async fn resolve(ev: &Eval<'_>, name: &str) -> RuleResult<Option<Target>> {
    let Some(rm) = ev.resolver().registered_model(name).await? else {
        return Ok(None);
    };
    if rm.name != name {
        return Err(RuleError::Denied);
    }
    Ok(Some(Target {
        container: container_type(rm.is_prompt),
        name: name.to_string(),
        stored_name: rm.name,
    }))
}

/// `_registered_model_or_prompt_target`: a name that does not exist is refused.
async fn target(ev: &Eval<'_>) -> RuleResult<Target> {
    let name = ev.params.require("name")?;
    resolve(ev, &name).await?.ok_or(RuleError::Denied)
}

/// `[(container, name, read), (version tier, *, action) falling back to the container]`.
fn version_requirements(t: &Target, action: Action) -> Vec<Requirement> {
    vec![
        Requirement::new(t.container, t.name.as_str(), Action::Read),
        Requirement::new(version_tier(t.container), "*", action)
            .or_fallback(t.container, t.name.as_str()),
    ]
}

/// Names that would turn a creator grant into a wildcard grant are refused for everyone.
pub fn reject_reserved_name(name: &str) -> RuleResult<()> {
    if name == "*" {
        return Err(RuleError::InvalidParameter(
            "Registered model name '*' is reserved; choose another name.".into(),
        ));
    }
    Ok(())
}

pub(super) async fn evaluate(check: Check, ev: &Eval<'_>) -> RuleResult<Allowed> {
    match check {
        Check::CreateRegisteredModel => {
            let name = ev.params.require("name")?;
            reject_reserved_name(&name)?;
            let tags = ev.params.body().and_then(|b| b.get("tags"));
            if tags.is_some_and(|t| !t.is_array() && !t.is_null()) {
                return Err(RuleError::InvalidParameter(
                    "Parameter 'tags' must be a list.".into(),
                ));
            }
            let created = container_type(prompt_marker(tags) == Some(true));
            ev.ensure_all(&[Requirement::new(created, name.as_str(), Action::NotDenied)])?;
            return Ok(Allowed::with_hook(grant_registered_model_creator(
                hook_ctx(ev),
            )));
        }
        Check::RegisteredModel(action) => {
            let name = ev.params.require("name")?;
            let container = resolve(ev, &name)
                .await?
                .map_or(ResourceType::RegisteredModel, |t| t.container);
            ev.ensure_point(container, &name, action)?;
        }
        Check::RenameRegisteredModel => return rename(ev).await,
        Check::DeleteRegisteredModel => {
            let t = target(ev).await?;
            ev.ensure(t.stored_name == t.name)?;
            ev.ensure_all(&[
                Requirement::new(t.container, t.name.as_str(), Action::Delete),
                Requirement::new(version_tier(t.container), "*", Action::Delete)
                    .or_fallback(t.container, t.name.as_str()),
            ])?;
            return Ok(Allowed::with_hook(sweep_registered_model_grants(
                hook_ctx(ev),
                t.name,
            )));
        }
        Check::ReadModelVersion => {
            let t = target(ev).await?;
            ev.ensure_all(&[
                Requirement::new(t.container, t.name.as_str(), Action::Read),
                Requirement::new(version_tier(t.container), "*", Action::NotDenied),
            ])?;
        }
        Check::ModelVersion(action) => {
            let t = target(ev).await?;
            ev.ensure_all(&version_requirements(&t, action))?;
        }
        Check::Alias(action) => {
            let t = target(ev).await?;
            ev.ensure_point(t.container, &t.name, action)?;
            let version = Requirement::new(version_tier(t.container), "*", Action::Read)
                .or_fallback(t.container, t.name.as_str());
            ev.ensure_all(&[version])?;
        }
        Check::CreateModelVersion => create_model_version(ev).await?,
        Check::SearchRegisteredModels => {
            return Ok(Allowed::with_hook(refill::registered_models_hook(ev)?))
        }
        Check::SearchModelVersions => {
            let filter = ev.params.get("filter")?.unwrap_or_default();
            if crate::basic_auth::rules::scope::mentions(&filter, &["run"]) {
                ev.ensure(ev.grants.tier_not_denied(ResourceType::Run))?;
            }
            return Ok(Allowed::with_hook(refill::model_versions_hook(ev)?));
        }
        Check::ModelVersionArtifact => {
            let name = ev.params.query_one("name")?.filter(|n| !n.is_empty());
            let name = name.ok_or_else(|| {
                RuleError::InvalidParameter("Request must specify name parameter".into())
            })?;
            // MLflow judges the name as a registered model; a prompt's own grants (a DENY
            // on the prompt) must not be skipped either.
            ev.ensure_point(ResourceType::RegisteredModel, &name, Action::Read)?;
            let t = resolve(ev, &name).await?.ok_or(RuleError::Denied)?;
            ev.ensure_point(t.container, &t.name, Action::Read)?;
            let version = Requirement::new(version_tier(t.container), "*", Action::NotDenied)
                .or_fallback(t.container, t.name.as_str());
            ev.ensure_all(&[version])?;
        }
        _ => {
            return Err(RuleError::Internal(format!(
                "{check:?} routed to the registry checks"
            )))
        }
    }
    Ok(Allowed::plain())
}

/// Rename: update on the entity, plus the 3.18 name rules (applied to admins too, see
/// `super::super::admin`): the exact stored spelling, a new name other than `*`, no
/// admin-created role grant on either name, no per-user grant already on the new name.
async fn rename(ev: &Eval<'_>) -> RuleResult<Allowed> {
    let name = ev.params.require("name")?;
    let new_name = ev.params.require("new_name")?;
    let existing = resolve(ev, &name).await?;
    let container = existing
        .as_ref()
        .map_or(ResourceType::RegisteredModel, |t| t.container);
    ev.ensure_point(container, &name, Action::Update)?;
    if let Some(t) = &existing {
        ev.ensure(t.stored_name == t.name)?;
    }
    check_rename_rules(ev.core, &name, &new_name).await?;
    Ok(Allowed::with_hook(rename_registered_model_grants(
        hook_ctx(ev),
        name,
        new_name,
    )))
}

/// The rename name rules, shared with the admin path.
pub async fn check_rename_rules(
    core: &crate::basic_auth::app::BasicAuthCore,
    name: &str,
    new_name: &str,
) -> RuleResult<()> {
    reject_reserved_name(new_name)?;
    let families = ["registered_model", "prompt"];
    let old = core
        .store
        .grants_on_pattern(DEFAULT_WORKSPACE, &families, name)
        .await?;
    let new = core
        .store
        .grants_on_pattern(DEFAULT_WORKSPACE, &families, new_name)
        .await?;
    if old.named_roles > 0 || new.named_roles > 0 {
        return Err(RuleError::InvalidParameter(format!(
            "Cannot rename registered model '{name}' to '{new_name}': role grants reference one of the names. Update those roles first."
        )));
    }
    if new.per_user > 0 {
        return Err(RuleError::InvalidParameter(format!(
            "Cannot rename registered model '{name}' to '{new_name}': user grants already exist on '{new_name}'. Revoke them first."
        )));
    }
    Ok(())
}

/// `validate_can_create_model_version`.
async fn create_model_version(ev: &Eval<'_>) -> RuleResult<()> {
    let t = target(ev).await?;
    ev.ensure_all(&[
        Requirement::new(t.container, t.name.as_str(), Action::Update),
        Requirement::new(version_tier(t.container), "*", Action::NotDenied),
    ])?;
    // A version tagged into the other family is vetoed by that family's version tier too.
    let tags = ev.params.body().and_then(|b| b.get("tags"));
    if let Some(asserted_prompt) = prompt_marker(tags) {
        let asserted = version_tier(container_type(asserted_prompt));
        if asserted != version_tier(t.container) {
            ev.ensure(ev.grants.tier_not_denied(asserted))?;
        }
    }
    let source = ev.params.get("source")?.unwrap_or_default();
    let parsed = parse_models_uri(&source)?;
    if let Some(ModelsUri::Name(name)) = &parsed {
        // A registered model is its own artifact boundary: read on it suffices.
        let container = resolve(ev, name).await?.ok_or(RuleError::Denied)?.container;
        ev.ensure_point(container, name, Action::Read)?;
        return Ok(());
    }
    let mut requirements = Vec::new();
    if ev.params.has("run_id")? {
        let run_id = ev
            .params
            .get("run_id")?
            .filter(|s| !s.is_empty())
            .ok_or(RuleError::Denied)?;
        requirements.extend(run_requirements(ev, &run_id, Action::Read).await?);
    }
    if ev.params.has("model_id")? {
        let model_id = ev
            .params
            .get("model_id")?
            .filter(|s| !s.is_empty())
            .ok_or(RuleError::Denied)?;
        requirements.extend(logged_model_requirements(ev, &model_id, Action::Read).await?);
    }
    if let Some(ModelsUri::ModelId(model_id)) = &parsed {
        requirements.extend(logged_model_requirements(ev, model_id, Action::Read).await?);
    }
    ev.ensure_all(&requirements)
}
