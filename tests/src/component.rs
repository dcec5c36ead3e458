//! Byte-level helpers for component files.

/// `bytes` with a custom section named `mlauth-test` holding `tag` appended: a valid
/// component with a different sha256 and the same behaviour.
pub fn with_custom_section(bytes: &[u8], tag: &str) -> Vec<u8> {
    let name = b"mlauth-test";
    let mut payload = vec![name.len() as u8];
    payload.extend_from_slice(name);
    payload.extend_from_slice(tag.as_bytes());
    let mut out = bytes.to_vec();
    out.push(0);
    let mut len = payload.len();
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        out.push(if len > 0 { byte | 0x80 } else { byte });
        if len == 0 {
            break;
        }
    }
    out.extend_from_slice(&payload);
    out
}
