//! The slice of Python's `configparser.ConfigParser` that `read_auth_config` relies on, on top
//! of rust-ini: full-line `#`/`;` comments (also indented), `=` or `:` separators, no quote or
//! backslash processing, case-insensitive keys, `[DEFAULT]` inheritance, strict duplicate
//! checks, `BasicInterpolation` (`%%`, `%(key)s`), `getboolean` and `getint`.

use std::collections::HashMap;

use ini::{Ini, ParseOption};

use super::IniError;

/// Python's `MAX_INTERPOLATION_DEPTH`.
const MAX_INTERPOLATION_DEPTH: usize = 10;

/// Keys whose values must never appear in an error message.
const SECRET_KEYS: &[&str] = &["admin_password", "database_uri", "read_database_uri"];

/// The `[mlflow]` section with `[DEFAULT]` merged under it; keys lower-cased.
#[derive(Debug, Default)]
pub(super) struct MlflowSection {
    /// Raw (uninterpolated) values.
    values: HashMap<String, String>,
    /// Keys written in `[mlflow]` itself (not inherited from `[DEFAULT]`).
    own_keys: Vec<String>,
}

impl MlflowSection {
    /// Parses ini text and extracts `[mlflow]`; other sections are ignored.
    pub(super) fn parse(text: &str) -> Result<Self, IniError> {
        let without_comments = strip_comment_lines(text);
        let options = ParseOption {
            enabled_quote: false,
            enabled_escape: false,
            enabled_indented_mutiline_value: true,
            enabled_preserve_key_leading_whitespace: false,
        };
        let ini =
            Ini::load_from_str_opt(&without_comments, options).map_err(|e| IniError::Syntax {
                message: e.to_string(),
            })?;
        if ini
            .section(None::<String>)
            .is_some_and(|general| !general.is_empty())
        {
            return Err(IniError::Syntax {
                message: "file contains keys before the first section header".into(),
            });
        }
        let defaults = single_section(&ini, "DEFAULT")?.unwrap_or_default();
        let own = single_section(&ini, "mlflow")?.ok_or(IniError::MissingSection)?;
        let own_keys = own.keys().cloned().collect();
        let mut values = defaults;
        values.extend(own);
        Ok(MlflowSection { values, own_keys })
    }

    /// Keys written directly in `[mlflow]`.
    pub(super) fn own_keys(&self) -> &[String] {
        &self.own_keys
    }

    /// `config["mlflow"].get(key)`: the interpolated value, or `None` when absent.
    pub(super) fn get(&self, key: &str) -> Result<Option<String>, IniError> {
        match self.values.get(key) {
            None => Ok(None),
            Some(raw) => {
                let mut out = String::new();
                self.interpolate(key, raw, &mut out, 1)?;
                Ok(Some(out))
            }
        }
    }

    /// `config.getboolean("mlflow", key, fallback=...)`.
    pub(super) fn get_bool(&self, key: &'static str, fallback: bool) -> Result<bool, IniError> {
        let Some(value) = self.get(key)? else {
            return Ok(fallback);
        };
        match value.to_lowercase().as_str() {
            "1" | "yes" | "true" | "on" => Ok(true),
            "0" | "no" | "false" | "off" => Ok(false),
            _ => Err(IniError::invalid(
                key,
                &value,
                "expected a boolean: 1, yes, true, on, 0, no, false or off (any case)",
            )),
        }
    }

    /// `config.getint("mlflow", key, fallback=...)`, restricted to non-negative values.
    pub(super) fn get_count(&self, key: &'static str, fallback: u64) -> Result<u64, IniError> {
        let Some(value) = self.get(key)? else {
            return Ok(fallback);
        };
        parse_python_int(&value)
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| IniError::invalid(key, &value, "expected a non-negative integer"))
    }

    /// `BasicInterpolation._interpolate_some`.
    fn interpolate(
        &self,
        key: &str,
        raw: &str,
        out: &mut String,
        depth: usize,
    ) -> Result<(), IniError> {
        if depth > MAX_INTERPOLATION_DEPTH {
            return Err(self.interpolation_error(
                key,
                raw,
                "recursion too deep (more than 10 levels)",
            ));
        }
        let mut rest = raw;
        while let Some(percent) = rest.find('%') {
            out.push_str(&rest[..percent]);
            rest = &rest[percent..];
            if let Some(after) = rest.strip_prefix("%%") {
                out.push('%');
                rest = after;
            } else if let Some(reference) = rest.strip_prefix("%(") {
                let (name, after) = reference
                    .split_once(")s")
                    .filter(|(name, _)| !name.is_empty() && !name.contains(')'))
                    .ok_or_else(|| {
                        self.interpolation_error(key, raw, "bad interpolation variable reference")
                    })?;
                let name = name.to_lowercase();
                let value = self.values.get(&name).ok_or_else(|| {
                    self.interpolation_error(
                        key,
                        raw,
                        &format!("it references `{name}`, which is not set"),
                    )
                })?;
                self.interpolate(key, value, out, depth + 1)?;
                rest = after;
            } else {
                return Err(self.interpolation_error(
                    key,
                    raw,
                    "'%' must be followed by '%' or '(' (write a literal % as %%)",
                ));
            }
        }
        out.push_str(rest);
        Ok(())
    }

    fn interpolation_error(&self, key: &str, value: &str, reason: &str) -> IniError {
        let shown = if SECRET_KEYS.contains(&key) {
            "<redacted>".to_owned()
        } else {
            value.to_owned()
        };
        IniError::Interpolation {
            key: key.to_owned(),
            value: shown,
            reason: reason.to_owned(),
        }
    }
}

/// Removes full-line comments, which Python recognises after leading whitespace too.
fn strip_comment_lines(text: &str) -> String {
    text.lines()
        .filter(|line| !matches!(line.trim_start().chars().next(), Some('#' | ';')))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The keys of a section that must appear at most once, lower-cased, with duplicate checks.
fn single_section(ini: &Ini, name: &str) -> Result<Option<HashMap<String, String>>, IniError> {
    let mut sections = ini.section_all(Some(name));
    let Some(section) = sections.next() else {
        return Ok(None);
    };
    if sections.next().is_some() {
        return Err(IniError::DuplicateSection {
            section: name.to_owned(),
        });
    }
    let mut values = HashMap::new();
    for (key, value) in section.iter() {
        let key = key.to_lowercase();
        if values.insert(key.clone(), value.to_owned()).is_some() {
            return Err(IniError::DuplicateKey {
                section: name.to_owned(),
                key,
            });
        }
    }
    Ok(Some(values))
}

/// Python's `int(text)` for base-10 literals: surrounding whitespace, a sign, `_` between digits.
fn parse_python_int(text: &str) -> Option<i64> {
    let trimmed = text.trim();
    let (sign, body) = match trimmed.as_bytes().first()? {
        b'-' => (-1, &trimmed[1..]),
        b'+' => (1, &trimmed[1..]),
        _ => (1, trimmed),
    };
    let bytes = body.as_bytes();
    let well_formed = !bytes.is_empty()
        && bytes[0].is_ascii_digit()
        && bytes[bytes.len() - 1].is_ascii_digit()
        && bytes.iter().all(|b| b.is_ascii_digit() || *b == b'_')
        && !body.contains("__");
    if !well_formed {
        return None;
    }
    body.replace('_', "").parse::<i64>().ok().map(|n| sign * n)
}
