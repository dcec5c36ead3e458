//! The on-disk compile cache: compiled components keyed by the sha256 of the component
//! bytes and the engine's compatibility hash (wasmtime version, target, every setting
//! that changes code generation), so a restart with an unchanged plugin skips Cranelift.
//!
//! Loading native code is trusted by nature, so an entry is never trusted blindly:
//! * each file carries the sha256 of its payload, checked before use;
//! * wasmtime's own header check rejects artifacts of another engine configuration;
//! * the directory must be owned by the current user and not writable by others, or the
//!   cache is not used at all.
//!
//! A corrupt, truncated or mismatched entry is logged, recompiled and overwritten.

use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

/// Environment variable naming the compile-cache directory.
pub const CACHE_DIR_ENV: &str = "MLAUTH_CACHE_DIR";

/// `[cache]`: the compile cache.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheConfig {
    /// Use the on-disk compile cache.
    pub enabled: bool,
    /// Its directory (default: `--cache-dir`, `$MLAUTH_CACHE_DIR`, else the per-user cache
    /// directory, e.g. `~/.cache/mlauth/compiled`).
    pub dir: Option<PathBuf>,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            dir: None,
        }
    }
}

/// File header: format tag, then the 32-byte sha256 of the payload.
const MAGIC: &[u8; 8] = b"MLAUTHC1";

/// A compile cache rooted at one directory, for one engine configuration.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: PathBuf,
    engine_hash: String,
}

/// The default per-user cache directory (`~/.cache/mlauth/compiled` on Linux).
pub fn default_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("mlauth").join("compiled"))
}

/// Feeds `Hash` output into sha256 (stable, unlike `DefaultHasher`).
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// Hex digest of the engine's compatibility hash plus mlauth's version.
pub fn engine_hash(engine: &Engine) -> String {
    let mut hasher = ShaHasher(Sha256::new());
    std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
    hasher.0.update(env!("CARGO_PKG_VERSION").as_bytes());
    hex::encode(&hasher.0.finalize()[..16])
}

impl CompileCache {
    /// Opens (creating with mode 0700) the cache directory. Refuses a directory another
    /// user owns or others may write to.
    pub fn open(dir: &Path, engine: &Engine) -> Result<Self, String> {
        create_private_dir(dir)?;
        check_private(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            engine_hash: engine_hash(engine),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The entry path of a component with digest `sha256`.
    pub fn entry_path(&self, sha256: &str) -> PathBuf {
        self.dir
            .join(format!("{sha256}-{}.cwasm", self.engine_hash))
    }

    /// Compiles `bytes` (digest `sha256`), or loads the cached result. Blocking.
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        bytes: &[u8],
        sha256: &str,
    ) -> wasmtime::Result<Component> {
        let path = self.entry_path(sha256);
        match self.load(engine, &path) {
            Ok(Some(component)) => {
                crate::metrics::compile_cache("hit");
                return Ok(component);
            }
            Ok(None) => crate::metrics::compile_cache("miss"),
            Err(reason) => {
                crate::metrics::compile_cache("rejected");
                tracing::warn!(path = %path.display(), %reason, "compile cache entry rejected; recompiling");
            }
        }
        let serialized = engine.precompile_component(bytes)?;
        // SAFETY: the bytes were produced just now by `precompile_component` on this engine.
        let component = unsafe { Component::deserialize(engine, &serialized)? };
        if let Err(err) = self.store(&path, &serialized) {
            tracing::warn!(path = %path.display(), error = %err, "cannot write compile cache entry");
        }
        Ok(component)
    }

    /// `Ok(None)`: no entry. `Err`: an entry that must not be used.
    fn load(&self, engine: &Engine, path: &Path) -> Result<Option<Component>, String> {
        let data = match std::fs::read(path) {
            Ok(data) => data,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("unreadable: {e}")),
        };
        if data.len() < 40 || &data[..8] != MAGIC {
            return Err("not an mlauth cache entry (bad header)".into());
        }
        let (digest, payload) = data[8..].split_at(32);
        if Sha256::digest(payload).as_slice() != digest {
            return Err("payload digest mismatch (corrupt or truncated)".into());
        }
        // SAFETY: the payload is byte-for-byte what `precompile_component` wrote into our
        // private directory (digest checked above); wasmtime additionally checks that it
        // was produced by a compatible engine configuration.
        unsafe { Component::deserialize(engine, payload) }
            .map(Some)
            .map_err(|e| format!("incompatible: {e:#}"))
    }

    fn store(&self, path: &Path, payload: &[u8]) -> std::io::Result<()> {
        let tmp = self.dir.join(format!(
            ".{}.{}.tmp",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("entry"),
            std::process::id()
        ));
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(MAGIC)?;
        file.write_all(&Sha256::digest(payload))?;
        file.write_all(payload)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    }
}

fn create_private_dir(dir: &Path) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| format!("cannot create compile cache {}: {e}", dir.display()))
}

#[cfg(unix)]
fn check_private(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let uid = std::fs::metadata("/proc/self").map(|m| m.uid()).ok();
    if uid.is_some_and(|uid| uid != meta.uid()) || meta.mode() & 0o022 != 0 {
        return Err(format!(
            "compile cache {} is writable by others or owned by another user; use a private directory (chmod 700)",
            dir.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_dir: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny valid component (empty component binary).
    const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\x00\x01\x00";

    #[test]
    fn hit_after_miss_and_corrupt_entries_are_recompiled() {
        let engine = Engine::default();
        let dir = tempfile::tempdir().unwrap();
        let cache = CompileCache::open(&dir.path().join("c"), &engine).unwrap();
        let sha = crate::plugin::load::sha256_hex(EMPTY_COMPONENT);
        cache
            .load_or_compile(&engine, EMPTY_COMPONENT, &sha)
            .unwrap();
        let path = cache.entry_path(&sha);
        assert!(cache.load(&engine, &path).unwrap().is_some());
        // Flip one payload byte: the digest check refuses it, and a lookup rewrites it.
        let mut data = std::fs::read(&path).unwrap();
        let last = data.len() - 1;
        data[last] ^= 0xff;
        std::fs::write(&path, &data).unwrap();
        assert!(cache.load(&engine, &path).unwrap_err().contains("digest"));
        cache
            .load_or_compile(&engine, EMPTY_COMPONENT, &sha)
            .unwrap();
        assert!(cache.load(&engine, &path).unwrap().is_some());
        // Truncated and foreign files are refused, never deserialized.
        std::fs::write(&path, b"MLAUTHC1short").unwrap();
        assert!(cache.load(&engine, &path).is_err());
    }

    #[test]
    fn other_engine_settings_use_other_entries() {
        let a = Engine::default();
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        let b = Engine::new(&config).unwrap();
        assert_ne!(engine_hash(&a), engine_hash(&b));
    }

    #[cfg(unix)]
    #[test]
    fn world_writable_directory_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = CompileCache::open(dir.path(), &Engine::default()).unwrap_err();
        assert!(err.contains("writable by others"), "{err}");
    }
}
