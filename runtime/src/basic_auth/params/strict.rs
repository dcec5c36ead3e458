//! The strict reading, used by the authorization rules: request parameters the way MLflow's
//! validators and handlers read them (reference §5.1), made unambiguous. Where MLflow's
//! validator and its handler could read different values, mlauth refuses the request (400)
//! instead of guessing.
//!
//! * `GET`: the query string (`parse_qsl`: `&` separators, `+` is a space); with no query at
//!   all, the JSON body (the handlers' `_get_request_message` falls back to it).
//! * `POST`/`PATCH`/`PUT`: the JSON body, whatever the `Content-Type` (handlers use
//!   `get_json(force=True)`); a double-encoded JSON string is decoded once more.
//! * `DELETE`: the JSON body *and* the query; a value present in both must agree.
//! * snake_case keys fall back to lowerCamelCase; both spellings present is a 400.
//! * `run_id` falls back to `run_uuid`; both present with different values is a 400.
//! * a scalar repeated in the query with different values is a 400.
//! * path parameters (`<model_id>`) are what MLflow's validators read (`view_args` win); the
//!   same parameter also given in the query or body must agree with them.

use serde_json::{Map, Value};

use super::{camel_case, parse_query, unwrap_double_encoded};
use crate::basic_auth::rules::error::{RuleError, RuleResult};

/// The parsed parameters of one request.
#[derive(Debug, Clone, Default)]
pub struct Params {
    method: String,
    query: Vec<(String, String)>,
    body: Option<Map<String, Value>>,
    captures: Vec<(&'static str, String)>,
}

/// The JSON object of a body: empty → `None`; a double-encoded string is decoded again; a
/// non-object is an empty object (MLflow coerces it to `{}`); malformed JSON is a 400.
pub fn parse_body(bytes: &[u8]) -> RuleResult<Option<Map<String, Value>>> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let malformed = || RuleError::InvalidParameter("The request body is not valid JSON.".into());
    let value: Value = serde_json::from_slice(bytes).map_err(|_| malformed())?;
    let value = unwrap_double_encoded(value).ok_or_else(malformed)?;
    Ok(Some(match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }))
}

/// A JSON value as a string parameter: strings only; `null` is absent.
pub fn as_param(name: &str, value: &Value) -> RuleResult<Option<String>> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(RuleError::InvalidParameter(format!(
            "Parameter '{name}' must be a string."
        ))),
    }
}

/// A field of a JSON object by its proto name or its JSON name; both present is a 400.
pub fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> RuleResult<Option<&'a Value>> {
    let camel = camel_case(name);
    match (
        obj.get(name),
        (camel != name).then(|| obj.get(&camel)).flatten(),
    ) {
        (Some(_), Some(_)) => Err(RuleError::InvalidParameter(format!(
            "Request specifies both '{name}' and '{camel}'; provide only one of them."
        ))),
        (Some(v), None) | (None, Some(v)) => Ok(Some(v).filter(|v| !v.is_null())),
        (None, None) => Ok(None),
    }
}

/// A string field of a JSON object (`None` when absent or null).
pub fn string_field(obj: &Map<String, Value>, name: &str) -> RuleResult<Option<String>> {
    match field(obj, name)? {
        Some(v) => as_param(name, v),
        None => Ok(None),
    }
}

/// A repeated string field of a JSON object (absent → empty).
pub fn string_list_field(obj: &Map<String, Value>, name: &str) -> RuleResult<Vec<String>> {
    match field(obj, name)? {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| as_param(name, v).map(Option::unwrap_or_default))
            .collect(),
        Some(v) => Ok(as_param(name, v)?.into_iter().collect()),
    }
}

/// Folds several candidate values of one parameter: all equal → that value; any two differ → 400.
fn agree(name: &str, values: impl IntoIterator<Item = String>) -> RuleResult<Option<String>> {
    let mut found: Option<String> = None;
    for value in values {
        match &found {
            Some(prev) if *prev != value => return Err(RuleError::conflicting(name)),
            _ => found = Some(value),
        }
    }
    Ok(found)
}

impl Params {
    /// Parameters of a request: method, raw query, buffered body (if read) and path captures.
    pub fn new(
        method: &str,
        raw_query: &str,
        body: Option<&[u8]>,
        captures: Vec<(&'static str, String)>,
    ) -> RuleResult<Self> {
        let query = parse_query(raw_query)?;
        let body = match body {
            Some(bytes) => parse_body(bytes)?,
            None => None,
        };
        Ok(Params {
            method: method.to_string(),
            query,
            body,
            captures,
        })
    }

    /// The JSON body object, if any.
    pub fn body(&self) -> Option<&Map<String, Value>> {
        self.body.as_ref()
    }

    /// Every query value of `name`, in order (`request.args.getlist`).
    pub fn query_all(&self, name: &str) -> Vec<String> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// A query-only scalar (`request.args.get`), repeated values agreeing.
    pub fn query_one(&self, name: &str) -> RuleResult<Option<String>> {
        agree(name, self.query_all(name))
    }

    /// Whether the body, not the query, carries the parameters of a `GET` (no query at all).
    pub fn get_reads_body(&self) -> bool {
        self.query.is_empty() && self.body.is_some()
    }

    /// One scalar parameter without the `run_uuid` fallback. A path parameter is what MLflow's
    /// validator reads, but some handlers read the body's copy (`FinalizeLoggedModel` uses the
    /// body's `model_id`): a request naming it twice must agree.
    fn lookup(&self, name: &str) -> RuleResult<Option<String>> {
        let from_request = self.lookup_request(name)?;
        match self.captures.iter().find(|(n, _)| *n == name) {
            Some((_, v)) => agree(name, std::iter::once(v.clone()).chain(from_request)),
            None => Ok(from_request),
        }
    }

    /// One scalar parameter from the query or body (no path parameters).
    fn lookup_request(&self, name: &str) -> RuleResult<Option<String>> {
        let from_body = || match &self.body {
            Some(obj) => string_field(obj, name),
            None => Ok(None),
        };
        match self.method.as_str() {
            "GET" if self.get_reads_body() => from_body(),
            "GET" => self.query_one(name),
            "DELETE" => agree(name, self.query_one(name)?.into_iter().chain(from_body()?)),
            _ => from_body(),
        }
    }

    /// `_get_request_param(name)` made strict; `None` when absent.
    pub fn get(&self, name: &str) -> RuleResult<Option<String>> {
        if name == "run_id" {
            let run_id = self.lookup("run_id")?;
            let run_uuid = self.lookup("run_uuid")?;
            return agree("run_id", run_id.into_iter().chain(run_uuid));
        }
        self.lookup(name)
    }

    /// `_get_request_param(name)`: MLflow's 400 when absent.
    pub fn require(&self, name: &str) -> RuleResult<String> {
        self.get(name)?.ok_or_else(|| RuleError::missing(name))
    }

    /// A repeated parameter: every query value (GET) or the body's array.
    pub fn list(&self, name: &str) -> RuleResult<Vec<String>> {
        let from_body = || match &self.body {
            Some(obj) => string_list_field(obj, name),
            None => Ok(Vec::new()),
        };
        match self.method.as_str() {
            "GET" if self.get_reads_body() => from_body(),
            "GET" => Ok(self.query_all(name)),
            "DELETE" => {
                let (query, body) = (self.query_all(name), from_body()?);
                if !query.is_empty() && !body.is_empty() && query != body {
                    return Err(RuleError::conflicting(name));
                }
                Ok(if body.is_empty() { query } else { body })
            }
            _ => from_body(),
        }
    }

    /// Whether the request names `name` at all, whatever its JSON type (proto `HasField` on a
    /// present, non-null key).
    pub fn has(&self, name: &str) -> RuleResult<bool> {
        if self.captures.iter().any(|(n, _)| *n == name) {
            return Ok(true);
        }
        let in_body = || -> RuleResult<bool> {
            Ok(match &self.body {
                Some(obj) => field(obj, name)?.is_some(),
                None => false,
            })
        };
        let in_query = || self.query.iter().any(|(k, _)| k == name);
        Ok(match self.method.as_str() {
            "GET" if self.get_reads_body() => in_body()?,
            "GET" => in_query(),
            "DELETE" => in_query() || in_body()?,
            _ => in_body()?,
        })
    }
}
