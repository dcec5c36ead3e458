//! The raw `wit-bindgen` output for the `mlauth:plugin` package.
//!
//! Both guest worlds are generated, sharing one set of type definitions:
//!
//! * [`wit::app`] is the `app-plugin` world (imports `log` and `config`; exports
//!   `authenticator` and `app`). Its export macros are public so that
//!   [`export_app!`](crate::export_app) and
//!   [`export_authenticator!`](crate::export_authenticator) can expand in a plugin crate.
//! * [`wit::function`] is the `authenticator-plugin` world. Its types and imports are
//!   remapped onto [`wit::app`]; it exists only for the component-type custom section that
//!   describes a function plugin. `wit-bindgen` always emits a `#[macro_export]` macro per
//!   exported interface, so generating `authenticator` twice with public macros would
//!   define that macro twice; this world therefore keeps its macros private.
//!
//! How a plugin gets the right world: with `pub_export_macro`, `wit-bindgen` embeds only the
//! *imports* of a world in the SDK itself and emits the full world (imports and exports)
//! from inside the world's `export!` macro. `export_app!` invokes that macro, so an app
//! plugin carries the `app-plugin` world. `export_authenticator!` instead invokes only the
//! `authenticator` interface's export macro and forces the `authenticator-plugin` section
//! into the link, so a function plugin exports `authenticator` alone. `wasm-component-ld`
//! merges the sections and drops every import the code does not call.

/// Generated bindings; not part of the SDK's API.
pub mod wit {
    #![allow(missing_docs)]

    /// The `app-plugin` world.
    pub mod app {
        crate::wit_bindgen::generate!({
            path: "../wit",
            world: "app-plugin",
            runtime_path: "crate::wit_bindgen::rt",
            pub_export_macro: true,
            default_bindings_module: "mlauth_guest_sdk::wit::app",
        });
    }

    /// The `authenticator-plugin` world, for its component-type section only.
    #[allow(dead_code, unused_imports, unused_macros)]
    pub mod function {
        crate::wit_bindgen::generate!({
            path: "../wit",
            world: "authenticator-plugin",
            runtime_path: "crate::wit_bindgen::rt",
            with: {
                "mlauth:plugin/types@0.1.0": crate::wit::app::mlauth::plugin::types,
                "mlauth:plugin/log@0.1.0": crate::wit::app::mlauth::plugin::log,
                "mlauth:plugin/config@0.1.0": crate::wit::app::mlauth::plugin::config,
            },
            // An import added to the WIT later is generated here too rather than failing
            // the build; map it above once the SDK wraps it.
            generate_all,
        });
    }

    /// The `users` capability (imported only by plugins that call it).
    pub mod users_capability {
        crate::wit_bindgen::generate!({
            path: "../wit",
            world: "users-capability",
            runtime_path: "crate::wit_bindgen::rt",
        });
    }

    /// The `kv` capability.
    pub mod kv_capability {
        crate::wit_bindgen::generate!({
            path: "../wit",
            world: "kv-capability",
            runtime_path: "crate::wit_bindgen::rt",
        });
    }

    /// The `crypto` capability.
    pub mod crypto_capability {
        crate::wit_bindgen::generate!({
            path: "../wit",
            world: "crypto-capability",
            runtime_path: "crate::wit_bindgen::rt",
        });
    }

    /// The `jwt` capability.
    pub mod jwt_capability {
        crate::wit_bindgen::generate!({
            path: "../wit",
            world: "jwt-capability",
            runtime_path: "crate::wit_bindgen::rt",
        });
    }

    /// The `secrets` capability.
    pub mod secrets_capability {
        crate::wit_bindgen::generate!({
            path: "../wit",
            world: "secrets-capability",
            runtime_path: "crate::wit_bindgen::rt",
        });
    }

    pub use crypto_capability::mlauth::plugin::crypto;
    pub use jwt_capability::mlauth::plugin::jwt;
    pub use kv_capability::mlauth::plugin::kv;
    pub use secrets_capability::mlauth::plugin::secrets;
    pub use users_capability::mlauth::plugin::users;

    pub use app::exports::mlauth::plugin::{
        app as app_export, authenticator as authenticator_export,
    };
    pub use app::mlauth::plugin::{config, log, types};
}
