//! [`PluginSource`]: where a plugin's bytes come from (a file, or bytes built into the
//! binary), and reading them.

use std::path::PathBuf;

use super::PluginError;

/// Where plugin bytes come from.
#[derive(Debug, Clone)]
pub enum PluginSource {
    /// A `.wasm` file on disk.
    File(PathBuf),
    /// Bytes compiled into the binary (the built-in basic-auth plugin).
    Builtin {
        /// Display name.
        name: &'static str,
        /// Component bytes.
        bytes: &'static [u8],
    },
}

impl PluginSource {
    /// Where the bytes come from, for messages (`path` or `builtin:name`).
    pub fn origin(&self) -> String {
        match self {
            PluginSource::File(path) => path.display().to_string(),
            PluginSource::Builtin { name, .. } => format!("builtin:{name}"),
        }
    }

    pub(super) async fn read(&self) -> Result<Vec<u8>, PluginError> {
        match self {
            PluginSource::File(path) => {
                tokio::fs::read(path)
                    .await
                    .map_err(|source| PluginError::Read {
                        path: path.clone(),
                        source,
                    })
            }
            PluginSource::Builtin { bytes, .. } => Ok(bytes.to_vec()),
        }
    }
}
