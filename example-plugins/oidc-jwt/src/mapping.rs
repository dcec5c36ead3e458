//! Settings, and turning verified claims into an [`Authorization`].

use mlauth_guest_sdk::jwt::Claims;
use mlauth_guest_sdk::{config, Authorization, Response};

/// Operator settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Key set name in the host config.
    pub key_set: String,
    /// Expected `iss`.
    pub issuer: String,
    /// Expected `aud`.
    pub audience: String,
    /// Claim holding the username.
    pub username_claim: String,
    /// Claim holding the provider's groups.
    pub groups_claim: String,
    /// Provider group → role name.
    pub role_map: Vec<(String, String)>,
    /// A provider group every caller must have.
    pub required_group: Option<String>,
    /// Clock skew tolerated, in seconds.
    pub leeway_seconds: u32,
}

fn required(key: &str) -> Result<String, String> {
    config::get(key)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("setting `{key}` is required"))
}

/// Parses `"a=x, b=y"`.
pub fn parse_role_map(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((group, role)) if !group.trim().is_empty() && !role.trim().is_empty() => {
                Ok((group.trim().to_owned(), role.trim().to_owned()))
            }
            _ => Err(format!(
                "role_map entry {pair:?} must look like `idp-group=role`"
            )),
        })
        .collect()
}

/// Every setting this plugin reads. Any other name is refused: a misspelt
/// `required_groups` must not silently drop the group gate.
const KNOWN_SETTINGS: [&str; 8] = [
    "key_set",
    "issuer",
    "audience",
    "username_claim",
    "groups_claim",
    "role_map",
    "required_group",
    "leeway_seconds",
];

impl Settings {
    /// Reads and checks the settings.
    pub fn from_config() -> Result<Settings, String> {
        if let Some(unknown) = config::keys()
            .into_iter()
            .find(|key| !KNOWN_SETTINGS.contains(&key.as_str()))
        {
            return Err(format!(
                "unknown setting `{unknown}`; known settings: {}",
                KNOWN_SETTINGS.join(", ")
            ));
        }
        let leeway = config::get("leeway_seconds").unwrap_or_else(|| "60".into());
        Ok(Settings {
            key_set: config::get("key_set").unwrap_or_else(|| "oidc".into()),
            issuer: required("issuer")?,
            audience: required("audience")?,
            username_claim: config::get("username_claim")
                .unwrap_or_else(|| "preferred_username".into()),
            groups_claim: config::get("groups_claim").unwrap_or_else(|| "groups".into()),
            role_map: parse_role_map(&config::get("role_map").unwrap_or_default())?,
            required_group: config::get("required_group").filter(|g| !g.is_empty()),
            leeway_seconds: leeway
                .parse()
                .ok()
                .filter(|l| *l <= 300)
                .ok_or_else(|| format!("setting `leeway_seconds` = {leeway:?} must be 0..=300"))?,
        })
    }
}

/// The roles the caller's provider groups map to (sorted, without duplicates).
pub fn roles(settings: &Settings, groups: &[String]) -> Vec<String> {
    let mut roles: Vec<String> = settings
        .role_map
        .iter()
        .filter(|(group, _)| groups.contains(group))
        .map(|(_, role)| role.clone())
        .collect();
    roles.sort();
    roles.dedup();
    roles
}

/// Username, roles and attributes from verified claims; `403` without the required group,
/// `401` without a usable username claim.
pub fn identity(settings: &Settings, claims: &Claims) -> Result<Authorization, Response> {
    let username = claims
        .str(&settings.username_claim)
        .filter(|u| !u.is_empty() && u.len() <= 256)
        .ok_or_else(|| Response::bearer_challenge("mlflow"))?;
    let groups = claims.strings(&settings.groups_claim);
    if let Some(required) = &settings.required_group {
        if !groups.contains(required) {
            return Err(Response::forbidden());
        }
    }
    let mut auth = Authorization::user(username).with_groups(roles(settings, &groups));
    if let Some(iss) = claims.str("iss") {
        auth = auth.attribute("iss", iss);
    }
    if let Some(sub) = claims.str("sub") {
        auth = auth.attribute("sub", sub);
    }
    Ok(auth)
}
