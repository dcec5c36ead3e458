//! Walks every route of Appendix A.1 through the route table: each concrete path (every
//! version, both prefixes) must resolve to the check derived from MLflow's validator, and the
//! table must not invent routes MLflow does not have. Prints the coverage figure.

use super::coverage_data::APPENDIX_A1;
use crate::basic_auth::rules::matcher::{find, match_suffix};
use crate::basic_auth::rules::table::{API_ROUTES, ROOT_ROUTES, V2, V3};

/// A concrete path for a Flask rule (parameters filled with sample values).
fn concrete(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|segment| {
            if segment.starts_with("<path:") {
                "1/0123456789abcdef0123456789abcdef/artifacts/model.pkl".to_string()
            } else if segment.starts_with('<') {
                "abc123".to_string()
            } else {
                segment.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every concrete request path of one row.
fn paths(suffix: &str, api: &str, ajax: &str, only: &str) -> Vec<String> {
    if api.is_empty() && ajax.is_empty() {
        return vec![concrete(suffix)];
    }
    let mut out = Vec::new();
    for (prefix, versions) in [("/api", api), ("/ajax-api", ajax)] {
        for version in versions.split(',').filter(|v| !v.is_empty()) {
            if only.is_empty() || only == version {
                // A suffix without a leading `/` is MLflow's real `/api/2.0mlflow/...` route.
                out.push(format!("{prefix}/{version}{}", concrete(suffix)));
            }
        }
    }
    out
}

fn decided(method: &str, path: &str) -> String {
    find(method, path).map_or_else(|| "Deny".to_string(), |m| format!("{:?}", m.check))
}

#[test]
fn every_appendix_a1_route_has_the_expected_decision() {
    let (mut resolved_rows, mut resolved_paths, mut total_paths, mut api_rows) = (0, 0, 0, 0);
    let mut mismatches = Vec::new();
    for (method, suffix, api, ajax, mlflow, only, expected) in APPENDIX_A1 {
        let mut row_resolved = true;
        for path in paths(suffix, api, ajax, only) {
            total_paths += 1;
            let got = decided(method, &path);
            if got != *expected {
                mismatches.push(format!(
                    "{method} {path}: MLflow {mlflow} → expected {expected}, table says {got}"
                ));
            }
            let rule = find(method, &path).is_some_and(|m| m.check.is_rule());
            resolved_paths += usize::from(rule);
            row_resolved &= rule;
        }
        resolved_rows += usize::from(row_resolved);
        api_rows += usize::from(*expected == "AuthApi");
    }
    // The split `POST /mlflow/traces` row counts once.
    let rows = APPENDIX_A1.len() - 1;
    let resolved_rows = resolved_rows - 1;
    let refused = rows - resolved_rows - api_rows;
    println!(
        "coverage: {resolved_rows} of {rows} Appendix A.1 routes resolved to a rule \
         ({resolved_paths} of {total_paths} concrete method+path pairs); {api_rows} are the auth REST API \
         (served by the host); {refused} are refused for non-admins"
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(resolved_rows >= 165, "coverage regressed: {resolved_rows}");
}

#[test]
fn the_table_invents_no_route() {
    let known = |method: &str, surface_versions: (u8, u8), suffix: &str| {
        APPENDIX_A1.iter().any(|(m, s, api, ajax, _, _, _)| {
            let flags = |v: &str| {
                v.split(',').fold(0u8, |acc, x| {
                    acc | match x {
                        "2.0" => V2,
                        "3.0" => V3,
                        _ => 0,
                    }
                })
            };
            *m == method
                && *s == suffix
                && flags(api) & surface_versions.0 == surface_versions.0
                && flags(ajax) & surface_versions.1 == surface_versions.1
        })
    };
    for row in API_ROUTES {
        assert!(
            known(row.method, (row.api, row.ajax), row.suffix),
            "not an MLflow route: {} {}",
            row.method,
            row.suffix
        );
    }
    // FastAPI-native routes (reference §4.4) are outside Appendix A.1.
    let native = [("POST", "/v1/traces")];
    for row in ROOT_ROUTES {
        assert!(
            native.contains(&(row.method, row.suffix))
                || APPENDIX_A1
                    .iter()
                    .any(|(m, s, ..)| *m == row.method && *s == row.suffix),
            "not an MLflow route: {}",
            row.suffix
        );
    }
}

#[test]
fn sample_paths_match_their_own_patterns() {
    for (_, suffix, ..) in APPENDIX_A1 {
        if suffix.starts_with('/') {
            assert!(
                match_suffix(suffix, &concrete(suffix)).is_some(),
                "{suffix}"
            );
        }
    }
}
