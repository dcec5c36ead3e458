//! Constant-time comparison for secrets.

use core::hint::black_box;

/// Compares two byte strings in time that depends only on their lengths, never on where
/// they first differ. Use it to compare passwords, tokens and MACs.
///
/// ```
/// use mlauth_guest_sdk::ct_eq;
///
/// assert!(ct_eq(b"s3cret", b"s3cret"));
/// assert!(!ct_eq(b"s3cret", b"s3creT"));
/// assert!(!ct_eq(b"s3cret", b"s3cret!"));
/// ```
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    let len = a.len().max(b.len());
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..len {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= black_box(x ^ y);
    }
    black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::ct_eq;

    #[test]
    fn equal_and_unequal_inputs() {
        assert!(ct_eq(b"", b""));
        assert!(ct_eq(b"token", b"token"));
        assert!(!ct_eq(b"token", b"tokem"));
        assert!(!ct_eq(b"token", b""));
        assert!(!ct_eq(b"", b"token"));
        assert!(!ct_eq(b"tok", b"tok\0"));
    }
}
