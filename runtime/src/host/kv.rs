//! `mlauth:plugin/kv` (capability `kv`): the plugin's own namespace in the app's database
//! (see [`crate::store::kv`]). The namespace is the plugin's app name, so a plugin can
//! neither read nor write another plugin's keys.

use super::timed_call;
use crate::bindings::mlauth::plugin::kv::Host;
use crate::state::HostState;
use crate::store::KvStore;

/// Longest key, in bytes.
pub const MAX_KEY_BYTES: usize = 256;
/// Largest value, in bytes.
pub const MAX_VALUE_BYTES: usize = 64 << 10;
/// Longest TTL, in seconds (400 days).
pub const MAX_TTL_SECONDS: u32 = 400 * 24 * 3600;

/// Milliseconds since the Unix epoch on the host clock.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Checks a key against the limits (a violation traps the call).
pub fn check_key(key: &str) -> wasmtime::Result<()> {
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return Err(wasmtime::Error::msg(format!(
            "kv key must be 1..={MAX_KEY_BYTES} bytes, got {}",
            key.len()
        )));
    }
    Ok(())
}

/// The absolute expiry of a TTL given now (a zero or oversized TTL traps).
pub fn expiry(ttl_seconds: Option<u32>, now: i64) -> wasmtime::Result<Option<i64>> {
    match ttl_seconds {
        None => Ok(None),
        Some(ttl) if ttl == 0 || ttl > MAX_TTL_SECONDS => Err(wasmtime::Error::msg(format!(
            "kv ttl-seconds must be 1..={MAX_TTL_SECONDS}, got {ttl}"
        ))),
        Some(ttl) => Ok(Some(now + i64::from(ttl) * 1000)),
    }
}

impl HostState {
    fn kv_store(&self) -> wasmtime::Result<(KvStore, String)> {
        let store = self
            .plugin
            .services
            .kv
            .clone()
            .ok_or_else(|| wasmtime::Error::msg("this app has no kv store"))?;
        Ok((store, self.plugin.name.clone()))
    }
}

impl Host for HostState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<Vec<u8>>> {
        check_key(&key)?;
        let (store, ns) = self.kv_store()?;
        timed_call(self, "kv get", store.get(&ns, &key, now_ms())).await
    }

    async fn set(
        &mut self,
        key: String,
        value: Vec<u8>,
        ttl_seconds: Option<u32>,
    ) -> wasmtime::Result<()> {
        check_key(&key)?;
        if value.len() > MAX_VALUE_BYTES {
            return Err(wasmtime::Error::msg(format!(
                "kv value must be at most {MAX_VALUE_BYTES} bytes, got {}",
                value.len()
            )));
        }
        let now = now_ms();
        let expires = expiry(ttl_seconds, now)?;
        let (store, ns) = self.kv_store()?;
        timed_call(self, "kv set", store.set(&ns, &key, &value, expires, now)).await
    }

    async fn delete(&mut self, key: String) -> wasmtime::Result<bool> {
        check_key(&key)?;
        let (store, ns) = self.kv_store()?;
        timed_call(self, "kv delete", store.delete(&ns, &key, now_ms())).await
    }

    async fn increment(
        &mut self,
        key: String,
        delta: i64,
        ttl_seconds: Option<u32>,
    ) -> wasmtime::Result<i64> {
        check_key(&key)?;
        let now = now_ms();
        let expires = expiry(ttl_seconds, now)?;
        let (store, ns) = self.kv_store()?;
        let call = store.increment(&ns, &key, delta, expires, now);
        timed_call(self, "kv increment", call).await
    }
}
