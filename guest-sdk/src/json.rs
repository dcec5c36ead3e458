//! Just enough JSON writing for MLflow error bodies.

use crate::prelude::*;

use core::fmt::Write as _;

/// Appends `text` to `out` as a JSON string literal, quotes included.
pub(crate) fn push_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// MLflow's error body, with its `json.dumps` separators:
/// `{"error_code": "...", "message": "..."}`.
pub(crate) fn mlflow_error(error_code: &str, message: &str) -> String {
    let mut out = String::from("{\"error_code\": ");
    push_string(&mut out, error_code);
    out.push_str(", \"message\": ");
    push_string(&mut out, message);
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_matches_mlflow() {
        assert_eq!(
            mlflow_error("INTERNAL_ERROR", "not configured"),
            r#"{"error_code": "INTERNAL_ERROR", "message": "not configured"}"#
        );
    }

    #[test]
    fn strings_are_escaped() {
        let mut out = String::new();
        push_string(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
    }
}
