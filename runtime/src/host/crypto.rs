//! `mlauth:plugin/crypto` (capability `crypto`): SHA-256, secure random bytes,
//! constant-time equality, and HMAC-SHA256 under keys the host holds. The plugin names a
//! key; the bytes stay in the host.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::bindings::mlauth::plugin::crypto::Host;
use crate::state::HostState;

/// Most random bytes one call may ask for.
pub const MAX_RANDOM_BYTES: u32 = 1024;

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 of `data` under `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Whether `tag` is the HMAC-SHA256 of `data` under `key` (constant time).
pub fn hmac_sha256_verify(key: &[u8], data: &[u8], tag: &[u8]) -> bool {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.verify_slice(tag).is_ok()
}

impl HostState {
    fn hmac_key(&self, name: &str) -> Result<super::settings::SecretBytes, String> {
        self.plugin.services.keys.get(name).cloned().ok_or_else(|| {
            format!("key `{name}` is not granted to this plugin (list it in `keys = [...]` under its [plugins.<name>] and define [keys.{name}])")
        })
    }
}

impl Host for HostState {
    fn sha256(&mut self, data: Vec<u8>) -> wasmtime::Result<Vec<u8>> {
        Ok(Sha256::digest(&data).to_vec())
    }

    fn random_bytes(&mut self, len: u32) -> wasmtime::Result<Vec<u8>> {
        if len > MAX_RANDOM_BYTES {
            return Err(wasmtime::Error::msg(format!(
                "crypto random-bytes: at most {MAX_RANDOM_BYTES} bytes per call, asked for {len}"
            )));
        }
        let mut out = vec![0u8; len as usize];
        rand::rngs::OsRng.fill_bytes(&mut out);
        Ok(out)
    }

    fn constant_time_eq(&mut self, a: Vec<u8>, b: Vec<u8>) -> wasmtime::Result<bool> {
        Ok(a.len() == b.len() && bool::from(a.ct_eq(&b)))
    }

    fn hmac_sign(
        &mut self,
        key_name: String,
        data: Vec<u8>,
    ) -> wasmtime::Result<Result<Vec<u8>, String>> {
        Ok(self
            .hmac_key(&key_name)
            .map(|key| hmac_sha256(key.expose(), &data)))
    }

    fn hmac_verify(
        &mut self,
        key_name: String,
        data: Vec<u8>,
        tag: Vec<u8>,
    ) -> wasmtime::Result<Result<bool, String>> {
        Ok(self
            .hmac_key(&key_name)
            .map(|key| hmac_sha256_verify(key.expose(), &data, &tag)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let tag = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(&tag),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(hmac_sha256_verify(
            b"Jefe",
            b"what do ya want for nothing?",
            &tag
        ));
        assert!(!hmac_sha256_verify(
            b"Jefe",
            b"what do ya want for nothing!",
            &tag
        ));
        assert!(!hmac_sha256_verify(
            b"jefe",
            b"what do ya want for nothing?",
            &tag
        ));
        assert!(!hmac_sha256_verify(
            b"Jefe",
            b"what do ya want for nothing?",
            &tag[..31]
        ));
    }
}
