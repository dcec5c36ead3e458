//! Flask's reading of a request, for the auth REST API mlauth serves itself
//! (`_get_request_param`, `_get_int_request_param`, `_request_params`): `GET` reads the query
//! string (first value wins), `POST`/`PATCH` the JSON body with the lowerCamelCase fallback,
//! `DELETE` the JSON body when the request is JSON and the query string otherwise.

use http::Method;
use serde_json::{Map, Value};

use super::python::{coerce_int, py_str};
use super::{camel_case, is_json, parse_urlencoded, unwrap_double_encoded};
use crate::basic_auth::api::responses::ApiError;
use crate::basic_auth::app::ApiRequest;

/// The parameters of one request, parsed once.
#[derive(Debug, Clone)]
pub(crate) struct FlaskParams {
    method: Method,
    /// `request.args` as a first-value-wins map, plus every value in order.
    query: Map<String, Value>,
    query_pairs: Vec<(String, String)>,
    /// `request.get_json(silent=True)`: `None` when not JSON or unparsable.
    json: Option<Value>,
    /// `request.is_json`.
    json_content: bool,
}

impl FlaskParams {
    /// Parses the query string and, for JSON requests, the body.
    pub(crate) fn from_request(req: &ApiRequest) -> Self {
        let query_pairs = parse_urlencoded(&req.query);
        let mut query = Map::new();
        for (k, v) in &query_pairs {
            query
                .entry(k.clone())
                .or_insert_with(|| Value::String(v.clone()));
        }
        let json_content = is_json(&req.headers);
        let json = if json_content {
            serde_json::from_slice(&req.body).ok()
        } else {
            None
        };
        Self {
            method: req.method.clone(),
            query,
            query_pairs,
            json,
            json_content,
        }
    }

    /// `request.get_json(silent=True)` as a dict; `{}` for anything else (Python's `or {}`).
    pub(crate) fn body(&self) -> Map<String, Value> {
        match &self.json {
            Some(Value::Object(map)) => map.clone(),
            _ => Map::new(),
        }
    }

    /// A field of the JSON body (`(request.get_json(silent=True) or {}).get(name)`).
    pub(crate) fn body_field(&self, name: &str) -> Option<Value> {
        self.body().get(name).cloned()
    }

    /// Every value of a repeated query parameter (`request.args.getlist`).
    pub(crate) fn query_all(&self, name: &str) -> Vec<String> {
        self.query_pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// `_request_params()`: the map validators inspect for `role_id` and friends.
    pub(crate) fn request_map(&self) -> Map<String, Value> {
        match self.method {
            Method::GET => self.query.clone(),
            Method::POST | Method::PATCH => self.body(),
            Method::DELETE if self.json_request() => self.body(),
            Method::DELETE => self.query.clone(),
            _ => Map::new(),
        }
    }

    /// A parameter of [`Self::request_map`] read the way the handlers will read it
    /// ([`Self::value`]: the snake_case key, else, except for GET, its lowerCamelCase
    /// spelling), so a validator cannot check one value while the handler acts on another.
    /// A request that spells it both ways is refused.
    pub(crate) fn validator_value(&self, name: &str) -> Result<Option<Value>, ApiError> {
        let map = self.request_map();
        let camel = camel_case(name);
        let snake_value = map.get(name);
        let camel_value = (self.method != Method::GET && camel != name)
            .then(|| map.get(&camel))
            .flatten();
        if snake_value.is_some() && camel_value.is_some() {
            return Err(ApiError::invalid(format!(
                "Parameter '{name}' is given twice, as '{name}' and as '{camel}'."
            )));
        }
        Ok(snake_value.or(camel_value).cloned())
    }

    fn json_request(&self) -> bool {
        self.json_content
    }

    /// The map `_get_request_param` reads, or MLflow's error for other methods.
    fn args(&self) -> Result<Map<String, Value>, ApiError> {
        match self.method {
            Method::GET => Ok(self.query.clone()),
            Method::POST | Method::PATCH => Ok(self.body()),
            Method::DELETE => Ok(if self.json_request() {
                self.delete_body()
            } else {
                self.query.clone()
            }),
            ref other => Err(ApiError::bad_request(format!(
                "Unsupported HTTP method '{other}'"
            ))),
        }
    }

    /// A DELETE body, decoding a JSON string that itself holds a JSON object (double-encoded).
    fn delete_body(&self) -> Map<String, Value> {
        match self.json.clone().and_then(unwrap_double_encoded) {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }

    /// `_get_request_param(name)`: the raw value; a missing key is MLflow's 400. Non-GET
    /// requests fall back to the lowerCamelCase spelling (protobuf JSON).
    pub(crate) fn value(&self, name: &str) -> Result<Value, ApiError> {
        let args = self.args()?;
        if let Some(v) = args.get(name) {
            return Ok(v.clone());
        }
        if self.method != Method::GET {
            if let Some(v) = args.get(&camel_case(name)) {
                return Ok(v.clone());
            }
        }
        Err(ApiError::invalid(format!(
            "Missing value for required parameter '{name}'. See the API docs for more information about request parameters."
        )))
    }

    /// A parameter as Python's `str()` would print it.
    pub(crate) fn text(&self, name: &str) -> Result<String, ApiError> {
        self.value(name).map(|v| py_str(&v))
    }

    /// `_get_int_request_param(name)`.
    pub(crate) fn int(&self, name: &str) -> Result<i64, ApiError> {
        coerce_int(name, &self.value(name)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: Method, query: &str, ctype: Option<&str>, body: &str) -> ApiRequest {
        let mut r = ApiRequest::new(method, "/api/2.0/mlflow/users/get", query, body.to_string());
        match ctype {
            Some(c) => r
                .headers
                .insert(http::header::CONTENT_TYPE, c.parse().unwrap()),
            None => r.headers.remove(http::header::CONTENT_TYPE),
        };
        r
    }

    #[test]
    fn sources_follow_the_method() {
        let p =
            FlaskParams::from_request(&req(Method::GET, "username=a%20b&username=c&x", None, "{}"));
        assert_eq!(p.text("username").unwrap(), "a b");
        assert_eq!(p.query_all("username"), ["a b", "c"]);
        assert_eq!(p.text("x").unwrap(), "");
        let p = FlaskParams::from_request(&req(
            Method::POST,
            "username=q",
            Some("application/json"),
            r#"{"roleId": 3}"#,
        ));
        assert_eq!(p.int("role_id").unwrap(), 3);
        let missing = p.text("username").unwrap_err();
        assert_eq!(missing, ApiError::invalid("Missing value for required parameter 'username'. See the API docs for more information about request parameters."));
        let p = FlaskParams::from_request(&req(
            Method::PATCH,
            "",
            Some("application/x-www-form-urlencoded"),
            r#"{"username":"a"}"#,
        ));
        assert!(p.text("username").is_err());
        let p =
            FlaskParams::from_request(&req(Method::DELETE, "username=q", Some("text/plain"), ""));
        assert_eq!(p.text("username").unwrap(), "q");
        let p = FlaskParams::from_request(&req(
            Method::DELETE,
            "username=q",
            Some("application/json"),
            r#""{\"username\": \"z\"}""#,
        ));
        assert_eq!(p.text("username").unwrap(), "z");
        let p = FlaskParams::from_request(&req(Method::HEAD, "username=q", None, ""));
        assert_eq!(
            p.text("username").unwrap_err(),
            ApiError::bad_request("Unsupported HTTP method 'HEAD'")
        );
    }
}
