//! Parameter extraction (reference §5.1) and its refusals.

use crate::basic_auth::params::{camel_case, parse_body, parse_query, Params};
use crate::basic_auth::rules::error::RuleError;

fn params(method: &str, query: &str, body: Option<&str>) -> Params {
    Params::new(method, query, body.map(str::as_bytes), Vec::new()).expect("parses")
}

fn is_400(result: Result<impl std::fmt::Debug, RuleError>) -> bool {
    matches!(result, Err(RuleError::InvalidParameter(_)))
}

#[test]
fn camel_case_is_protobuf_json_name() {
    assert_eq!(camel_case("experiment_id"), "experimentId");
    assert_eq!(camel_case("filter_string1"), "filterString1");
    assert_eq!(camel_case("name"), "name");
}

#[test]
fn query_is_parse_qsl() {
    let q = parse_query("a=1&b=x+y&c=%2Fz&&d&e=").unwrap();
    let expect = [("a", "1"), ("b", "x y"), ("c", "/z"), ("d", ""), ("e", "")];
    assert_eq!(
        q,
        expect
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    );
    assert!(parse_query("a=%ff").is_err());
}

#[test]
fn get_reads_the_query_and_repeated_keys() {
    let p = params("GET", "experiment_id=1&run_id=r&experiment_id=1", None);
    assert_eq!(p.require("experiment_id").unwrap(), "1");
    assert_eq!(p.list("experiment_id").unwrap(), vec!["1", "1"]);
    let conflicting = params("GET", "experiment_id=1&experiment_id=2", None);
    assert!(is_400(conflicting.get("experiment_id")));
    // camelCase in a query is not read by the handler: not a fallback.
    assert_eq!(
        params("GET", "experimentId=1", None)
            .get("experiment_id")
            .unwrap(),
        None
    );
}

#[test]
fn get_without_query_reads_the_body_like_the_handler() {
    let p = params("GET", "", Some(r#"{"experiment_id": "7"}"#));
    assert_eq!(p.require("experiment_id").unwrap(), "7");
    let with_query = params("GET", "experiment_id=1", Some(r#"{"experiment_id": "7"}"#));
    assert_eq!(with_query.require("experiment_id").unwrap(), "1");
}

#[test]
fn post_reads_the_body_with_camel_case_fallback() {
    let p = params("POST", "experiment_id=9", Some(r#"{"experimentId": "3"}"#));
    assert_eq!(p.require("experiment_id").unwrap(), "3");
    let both = params(
        "POST",
        "",
        Some(r#"{"experiment_id": "3", "experimentId": "3"}"#),
    );
    assert!(is_400(both.get("experiment_id")));
    let double_encoded = params("PATCH", "", Some(r#""{\"name\": \"m\"}""#));
    assert_eq!(double_encoded.require("name").unwrap(), "m");
}

#[test]
fn run_uuid_is_the_run_id_fallback_and_may_not_disagree() {
    assert_eq!(
        params("GET", "run_uuid=abc", None)
            .require("run_id")
            .unwrap(),
        "abc"
    );
    assert_eq!(
        params("GET", "run_id=abc&run_uuid=abc", None)
            .require("run_id")
            .unwrap(),
        "abc"
    );
    assert!(is_400(
        params("GET", "run_id=abc&run_uuid=def", None).get("run_id")
    ));
    assert!(is_400(
        params("POST", "", Some(r#"{"run_id": "a", "runUuid": "b"}"#)).get("run_id")
    ));
}

#[test]
fn delete_reads_body_and_query_which_must_agree() {
    assert_eq!(
        params("DELETE", "name=a", None).require("name").unwrap(),
        "a"
    );
    assert_eq!(
        params("DELETE", "", Some(r#"{"name": "a"}"#))
            .require("name")
            .unwrap(),
        "a"
    );
    assert_eq!(
        params("DELETE", "name=a", Some(r#"{"name": "a"}"#))
            .require("name")
            .unwrap(),
        "a"
    );
    // MLflow's validator reads the query when the body is not declared JSON while the handler
    // parses the body anyway: mlauth refuses the disagreement.
    assert!(is_400(
        params("DELETE", "name=mine", Some(r#"{"name": "victim"}"#)).get("name")
    ));
}

#[test]
fn missing_parameters_get_mlflows_message() {
    let err = params("POST", "", Some("{}"))
        .require("experiment_id")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Missing value for required parameter 'experiment_id'. See the API docs for more information about request parameters."
    );
    assert!(is_400(
        params("POST", "", Some(r#"{"experiment_id": null}"#)).require("experiment_id")
    ));
}

#[test]
fn non_string_values_and_bad_json_are_refused() {
    assert!(is_400(
        params("POST", "", Some(r#"{"experiment_id": 1}"#)).get("experiment_id")
    ));
    assert!(is_400(
        params("POST", "", Some(r#"{"experiment_id": ["1"]}"#)).get("experiment_id")
    ));
    assert!(parse_body(b"{not json").is_err());
    assert!(parse_body(b"  ").unwrap().is_none());
    assert!(parse_body(b"[1]").unwrap().unwrap().is_empty());
    // Duplicate keys: the last one wins, as in Python's json.loads.
    let p = params("POST", "", Some(r#"{"name": "a", "name": "b"}"#));
    assert_eq!(p.require("name").unwrap(), "b");
}

#[test]
fn path_parameters_are_read_first() {
    let p = Params::new(
        "PATCH",
        "",
        Some(br#"{"status": 1}"#),
        vec![("model_id", "m-1".into())],
    )
    .unwrap();
    assert_eq!(p.require("model_id").unwrap(), "m-1");
}

#[test]
fn presence_is_proto_has_field() {
    let p = params("DELETE", "", Some(r#"{"version": 3, "name": null}"#));
    assert!(p.has("version").unwrap());
    assert!(!p.has("name").unwrap());
    assert!(params("GET", "version=1", None).has("version").unwrap());
}

#[test]
fn a_path_parameter_repeated_in_the_body_must_agree() {
    // FinalizeLoggedModel's handler acts on the body's `model_id`, MLflow's validator on the path's.
    let conflicting = Params::new(
        "PATCH",
        "",
        Some(br#"{"model_id": "m-victim"}"#),
        vec![("model_id", "m-mine".into())],
    )
    .unwrap();
    assert!(is_400(conflicting.get("model_id")));
    let agreeing = Params::new(
        "PATCH",
        "",
        Some(br#"{"modelId": "m-1"}"#),
        vec![("model_id", "m-1".into())],
    )
    .unwrap();
    assert_eq!(agreeing.require("model_id").unwrap(), "m-1");
}
