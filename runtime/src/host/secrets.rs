//! `mlauth:plugin/secrets` (capability `secrets`): secrets the operator configured
//! (`[secrets.<name>]`, from an environment variable or a file) and granted to this plugin by
//! name. The host never logs them; a secret that is not valid UTF-8 reads as absent.

use crate::bindings::mlauth::plugin::secrets::Host;
use crate::state::HostState;

impl Host for HostState {
    fn get(&mut self, name: String) -> Option<String> {
        let secret = self.plugin.services.secrets.get(&name)?;
        String::from_utf8(secret.expose().to_vec()).ok()
    }
}
