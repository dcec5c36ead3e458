//! Logging through the host.
//!
//! The host tags each line with the plugin's name, its sha256 and the request id, truncates
//! long lines and rate-limits bursts. Off-wasm (in a plugin's unit tests) lines go to
//! stderr instead.

use crate::wit::log::Level;

/// Logs `message` at trace level.
pub fn trace(message: impl AsRef<str>) {
    emit(Level::Trace, message.as_ref());
}

/// Logs `message` at debug level.
pub fn debug(message: impl AsRef<str>) {
    emit(Level::Debug, message.as_ref());
}

/// Logs `message` at info level.
pub fn info(message: impl AsRef<str>) {
    emit(Level::Info, message.as_ref());
}

/// Logs `message` at warn level.
pub fn warn(message: impl AsRef<str>) {
    emit(Level::Warn, message.as_ref());
}

/// Logs `message` at error level.
pub fn error(message: impl AsRef<str>) {
    emit(Level::Error, message.as_ref());
}

/// Sends one line to the host (or to stderr off-wasm).
fn emit(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::wit::log::write(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[{level:?}] {message}");
}
