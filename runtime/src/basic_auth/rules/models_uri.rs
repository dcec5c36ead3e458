//! `models:/` source URIs of `CreateModelVersion` (`_parse_model_uri`), parsed strictly: a URI
//! Python's `urlparse` could read differently (leading whitespace, control characters, a
//! netloc, a query, a fragment, parameters) is refused rather than interpreted.

use super::error::{RuleError, RuleResult};

/// What a `models:/` URI names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelsUri {
    /// `models:/<name>/<version|stage|latest>` or `models:/<name>@<alias>`: a registered model.
    Name(String),
    /// `models:/<model_id>`: a logged model.
    ModelId(String),
}

fn improper(uri: &str) -> RuleError {
    RuleError::InvalidParameter(format!(
        "Not a proper models:/ URI: {uri}. Models URIs must be of the form 'models:/name/suffix' or \
         'models:/name@alias' where suffix is a version, stage, or the string 'latest' and where alias \
         is a registered model alias. Only one of suffix or alias can be defined at a time."
    ))
}

/// `urlparse(uri).scheme`, lowercased; `None` when the URI has no scheme.
fn scheme(uri: &str) -> Option<(String, &str)> {
    let i = uri.find(':')?;
    let candidate = &uri[..i];
    let first = candidate.chars().next()?;
    let valid = first.is_ascii_alphabetic()
        && candidate
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    valid.then(|| (candidate.to_ascii_lowercase(), &uri[i + 1..]))
}

/// Parses a model version `source`: `Ok(None)` when it is not a `models:/` URI.
pub fn parse_models_uri(uri: &str) -> RuleResult<Option<ModelsUri>> {
    if uri.chars().any(|c| c.is_control()) || uri.starts_with(char::is_whitespace) {
        // urlparse strips or drops these before looking for the scheme: refuse the ambiguity.
        if uri
            .trim_start()
            .to_ascii_lowercase()
            .replace(['\t', '\r', '\n'], "")
            .starts_with("models:")
        {
            return Err(improper(uri));
        }
        return Ok(None);
    }
    let Some((scheme, rest)) = scheme(uri) else {
        return Ok(None);
    };
    if scheme != "models" {
        return Ok(None);
    }
    if rest.starts_with("//") || rest.contains(['?', '#', ';']) {
        return Err(improper(uri));
    }
    let Some(path) = rest.strip_prefix('/').filter(|p| !p.is_empty()) else {
        return Err(improper(uri));
    };
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if parts.len() > 2 || parts[0].trim().is_empty() {
        return Err(improper(uri));
    }
    if let [name, suffix] = parts.as_slice() {
        if suffix.trim().is_empty() {
            return Err(improper(uri));
        }
        return Ok(Some(ModelsUri::Name(name.to_string())));
    }
    if let Some((name, alias)) = parts[0].rsplit_once('@') {
        if alias.trim().is_empty() {
            return Err(improper(uri));
        }
        return Ok(Some(ModelsUri::Name(name.to_string())));
    }
    Ok(Some(ModelsUri::ModelId(parts[0].to_string())))
}
