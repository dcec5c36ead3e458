//! Path normalisation (runtime/src/proxy/path.rs): never panics; every accepted path is
//! clean, its forwarded form has no encoded separator or dot and normalises to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../runtime/src/proxy/path.rs"]
mod path;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(normal) = path::normalize(raw) else {
        return;
    };
    assert!(normal.starts_with('/') && !normal.contains("//") && !normal.contains('\\'));
    assert!(!normal.chars().any(char::is_control));
    for segment in normal.split('/') {
        assert!(segment != "." && segment != "..", "{raw:?} -> {normal:?}");
    }
    let forwarded = path::encode_for_upstream(&normal);
    let lower = forwarded.to_ascii_lowercase();
    assert!(!lower.contains("%2f") && !lower.contains("%5c") && !lower.contains("%2e"));
    let decoded = percent_encoding::percent_decode_str(&forwarded).decode_utf8().unwrap();
    assert_eq!(decoded, normal);
    assert_eq!(path::normalize(&forwarded).as_deref(), Ok(normal.as_str()));
});
