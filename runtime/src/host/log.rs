//! `mlauth:plugin/log`: plugin log lines become host `tracing` events tagged with the
//! plugin name, its sha256 and the request id.

use crate::bindings::mlauth::plugin::log::{Host, Level};
use crate::state::HostState;

/// Longest message kept from one call; the rest is cut.
const MAX_MESSAGE_BYTES: usize = 4096;
/// Lines accepted per request through `log`, and kept per request from stdout and stderr
/// together; later lines are dropped (a plugin cannot flood the log).
pub const MAX_LINES_PER_REQUEST: u32 = 64;

impl Host for HostState {
    fn write(&mut self, level: Level, message: String) {
        self.log_lines += 1;
        if self.log_lines > MAX_LINES_PER_REQUEST {
            return;
        }
        let message = escape_controls(truncate(&message, MAX_MESSAGE_BYTES));
        let plugin = self.plugin.name.as_str();
        let sha = self.plugin.short_sha();
        let rid = &*self.request_id;
        match level {
            Level::Trace => {
                tracing::trace!(target: "mlauth::plugin", plugin, sha, request_id = rid, "{message}")
            }
            Level::Debug => {
                tracing::debug!(target: "mlauth::plugin", plugin, sha, request_id = rid, "{message}")
            }
            Level::Info => {
                tracing::info!(target: "mlauth::plugin", plugin, sha, request_id = rid, "{message}")
            }
            Level::Warn => {
                tracing::warn!(target: "mlauth::plugin", plugin, sha, request_id = rid, "{message}")
            }
            Level::Error => {
                tracing::error!(target: "mlauth::plugin", plugin, sha, request_id = rid, "{message}")
            }
        }
    }
}

/// `text` with control characters escaped (`\n`, `\r`, `\u{1b}`…): a plugin often logs
/// what a client sent, and a raw line break would let it forge log lines.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            escaped.extend(c.escape_debug());
        } else {
            escaped.push(c);
        }
    }
    std::borrow::Cow::Owned(escaped)
}

/// Cuts `text` to at most `max` bytes on a character boundary.
pub fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::{escape_controls, truncate};

    #[test]
    fn control_characters_cannot_start_a_forged_log_line() {
        assert_eq!(escape_controls("plain text é"), "plain text é");
        assert_eq!(
            escape_controls("alice\nINFO admin logged in\r\u{1b}[2J"),
            "alice\\nINFO admin logged in\\r\\u{1b}[2J"
        );
    }

    #[test]
    fn truncate_keeps_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("héllo", 3), "hé");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
