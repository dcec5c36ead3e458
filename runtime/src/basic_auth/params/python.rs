//! Python's coercions as the auth API's handlers apply them to JSON parameters: `str()`,
//! `repr()`, `int()` and truthiness.

use serde_json::Value;

use crate::basic_auth::api::responses::ApiError;
use crate::store::roles::py_repr;

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
