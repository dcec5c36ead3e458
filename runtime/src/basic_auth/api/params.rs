//! MLflow's request-parameter extraction (`_get_request_param`, `_get_int_request_param`,
//! `_request_params`): GET reads the query string, POST/PATCH the JSON body, DELETE the JSON
//! body when the request is JSON and the query string otherwise.

use http::Method;
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use super::responses::ApiError;
use crate::basic_auth::app::ApiRequest;
use crate::store::roles::py_repr;

/// The parameters of one request, parsed once.
#[derive(Debug, Clone)]
pub(crate) struct Params {
    method: Method,
    /// `request.args` as a first-value-wins map, plus every value in order.
    query: Map<String, Value>,
    query_pairs: Vec<(String, String)>,
    /// `request.get_json(silent=True)`: `None` when not JSON or unparsable.
    json: Option<Value>,
    /// `request.is_json`.
    json_content: bool,
}

impl Params {
    /// Parses the query string and, for JSON requests, the body.
    pub(crate) fn from_request(req: &ApiRequest) -> Self {
        let query_pairs = parse_urlencoded(&req.query);
        let mut query = Map::new();
        for (k, v) in &query_pairs {
            query
                .entry(k.clone())
                .or_insert_with(|| Value::String(v.clone()));
        }
        let json_content = is_json(req);
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
        match &self.json {
            Some(Value::Object(map)) => map.clone(),
            Some(Value::String(inner)) => match serde_json::from_str(inner) {
                Ok(Value::Object(map)) => map,
                _ => Map::new(),
            },
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

/// Flask's `request.is_json`: `application/json` or `application/*+json`.
pub(crate) fn is_json(req: &ApiRequest) -> bool {
    let mime = mimetype(req);
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// The content type without parameters, lowercased (Werkzeug's `mimetype`).
pub(crate) fn mimetype(req: &ApiRequest) -> String {
    req.headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

/// `_coerce_int_param`: Python's `int()` on a parameter value.
pub(crate) fn coerce_int(name: &str, raw: &Value) -> Result<i64, ApiError> {
    let parsed = match raw {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && f.abs() < 9.2e18)
                .map(|f| f.trunc() as i64)
        }),
        Value::Bool(b) => Some(i64::from(*b)),
        Value::String(s) => parse_python_int(s),
        _ => None,
    };
    parsed.ok_or_else(|| {
        ApiError::invalid(format!(
            "Parameter '{name}' must be an integer. Got: {}",
            py_repr_value(raw)
        ))
    })
}

/// `int(str)`: surrounding whitespace, an optional sign, digits with single underscores.
fn parse_python_int(s: &str) -> Option<i64> {
    let t = s.trim();
    let (neg, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let bytes = digits.as_bytes();
    let ok = !bytes.is_empty()
        && bytes[0].is_ascii_digit()
        && bytes[bytes.len() - 1].is_ascii_digit()
        && bytes.iter().all(|b| b.is_ascii_digit() || *b == b'_')
        && !digits.contains("__");
    if !ok {
        return None;
    }
    let value: i64 = digits.replace('_', "").parse().ok()?;
    Some(if neg { -value } else { value })
}

/// Python's `str(value)` for a JSON value.
pub(crate) fn py_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => py_repr_value(other),
    }
}

/// Python's `repr(value)` for a JSON value.
pub(crate) fn py_repr_value(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => py_repr(s),
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(py_repr_value)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", py_repr(k), py_repr_value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Python truthiness (`not value`).
pub(crate) fn is_falsy(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// `snake_case` → `lowerCamelCase` (`experiment_id` → `experimentId`).
fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `application/x-www-form-urlencoded` pairs (query strings and form bodies): `+` is a space,
/// a key without `=` has the empty value, undecodable bytes are replaced.
pub(crate) fn parse_urlencoded(raw: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    raw.split('&')
        .filter(|part| !part.is_empty())
        .map(|part| match part.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(part), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        let p = Params::from_request(&req(Method::GET, "username=a%20b&username=c&x", None, "{}"));
        assert_eq!(p.text("username").unwrap(), "a b");
        assert_eq!(p.query_all("username"), ["a b", "c"]);
        assert_eq!(p.text("x").unwrap(), "");
        let p = Params::from_request(&req(
            Method::POST,
            "username=q",
            Some("application/json"),
            r#"{"roleId": 3}"#,
        ));
        assert_eq!(p.int("role_id").unwrap(), 3);
        let missing = p.text("username").unwrap_err();
        assert_eq!(missing, ApiError::invalid("Missing value for required parameter 'username'. See the API docs for more information about request parameters."));
        let p = Params::from_request(&req(
            Method::PATCH,
            "",
            Some("application/x-www-form-urlencoded"),
            r#"{"username":"a"}"#,
        ));
        assert!(p.text("username").is_err());
        let p = Params::from_request(&req(Method::DELETE, "username=q", Some("text/plain"), ""));
        assert_eq!(p.text("username").unwrap(), "q");
        let p = Params::from_request(&req(
            Method::DELETE,
            "username=q",
            Some("application/json"),
            r#""{\"username\": \"z\"}""#,
        ));
        assert_eq!(p.text("username").unwrap(), "z");
        let p = Params::from_request(&req(Method::HEAD, "username=q", None, ""));
        assert_eq!(
            p.text("username").unwrap_err(),
            ApiError::bad_request("Unsupported HTTP method 'HEAD'")
        );
    }

    #[test]
    fn integers_follow_python_int() {
        assert_eq!(coerce_int("role_id", &json!(" 1_2 ")).unwrap(), 12);
        assert_eq!(coerce_int("role_id", &json!(true)).unwrap(), 1);
        assert_eq!(coerce_int("role_id", &json!(7.9)).unwrap(), 7);
        let err = coerce_int("role_id", &json!("abc")).unwrap_err();
        assert_eq!(
            err,
            ApiError::invalid("Parameter 'role_id' must be an integer. Got: 'abc'")
        );
        let err = coerce_int("role_id", &json!(null)).unwrap_err();
        assert_eq!(
            err,
            ApiError::invalid("Parameter 'role_id' must be an integer. Got: None")
        );
        assert!(coerce_int("role_id", &json!("1.0")).is_err());
    }

    #[test]
    fn python_str_and_truthiness() {
        assert_eq!(py_str(&json!(null)), "None");
        assert_eq!(py_str(&json!(["a", 1])), "['a', 1]");
        assert!(is_falsy(&json!("")) && is_falsy(&json!(0)) && !is_falsy(&json!("x")));
    }
}
