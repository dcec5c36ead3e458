//! Property tests for [`super::normalize`]: arbitrary input never panics; every accepted
//! path is clean (absolute, no empty, `.` or `..` segment, no control character or
//! backslash), and the form forwarded upstream decodes back to it, carries no encoded
//! separator, and normalises to the same path again (the upstream sees what was decided on).

use proptest::prelude::*;

use super::*;

/// Pieces that make the interesting cases likely: separators, dot segments, their encoded
/// spellings, double encoding, bad escapes, controls, non-ASCII.
fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "/", "//", ".", "..", "a", "api", "%2e", "%2E", "%2f", "%2F", "%5c", "%25", "%252e",
        "%252f", "%", "%4", "%zz", "%41", ";", "\\", "%00", "%0a", "\u{7f}", "%c3%a9", "é", "%ff",
        "?", "#", " ", "%20", "~",
    ])
}

fn pieced_path() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..12).prop_map(|p| format!("/{}", p.concat()))
}

fn check_clean(raw: &str, path: &str) {
    assert!(path.starts_with('/'), "{raw:?} -> {path:?}");
    assert!(!path.contains("//"), "{raw:?} -> {path:?}");
    assert!(!path.contains('\\'), "{raw:?} -> {path:?}");
    assert!(!path.chars().any(char::is_control), "{raw:?} -> {path:?}");
    let inner = path.trim_start_matches('/').trim_end_matches('/');
    if !inner.is_empty() {
        for segment in inner.split('/') {
            assert!(segment != "." && segment != "..", "{raw:?} -> {path:?}");
        }
    }
    let forwarded = encode_for_upstream(path);
    let lower = forwarded.to_ascii_lowercase();
    assert!(
        !lower.contains("%2f") && !lower.contains("%5c") && !lower.contains("%2e"),
        "{raw:?} forwarded as {forwarded:?}"
    );
    assert_eq!(
        percent_decode_str(&forwarded).decode_utf8().unwrap(),
        path,
        "{raw:?}"
    );
    assert_eq!(
        normalize(&forwarded).as_deref(),
        Ok(path),
        "{raw:?} not idempotent"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn arbitrary_strings_never_panic(raw in any::<String>()) {
        if let Ok(path) = normalize(&raw) {
            check_clean(&raw, &path);
        }
    }

    #[test]
    fn accepted_paths_are_clean_and_idempotent(raw in pieced_path()) {
        if let Ok(path) = normalize(&raw) {
            check_clean(&raw, &path);
        }
    }

    #[test]
    fn plain_segments_survive(segments in prop::collection::vec("[a-zA-Z0-9_~-]{1,8}", 1..6)) {
        let raw = format!("/{}", segments.join("/"));
        prop_assert_eq!(normalize(&raw), Ok(raw.clone()));
        let dotted = format!("/x/../{}/.", segments.join("/./"));
        prop_assert_eq!(normalize(&dotted), Ok(format!("{raw}/")));
    }
}
