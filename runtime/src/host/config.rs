//! `mlauth:plugin/config`: the plugin's own settings from `[plugins.<name>.config]`.
//! A plugin sees only its own table, never another plugin's or the host's settings.

use crate::bindings::mlauth::plugin::config::Host;
use crate::state::HostState;

impl Host for HostState {
    fn get(&mut self, key: String) -> Option<String> {
        self.plugin.config.get(&key).cloned()
    }

    fn keys(&mut self) -> Vec<String> {
        self.plugin.config.keys().cloned().collect()
    }
}
