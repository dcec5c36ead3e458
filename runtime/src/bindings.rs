//! The host's bindings to the `mlauth:plugin` WIT package (the one `bindgen!` of the crate).
//!
//! Exports are called asynchronously so that a plugin running past an epoch tick yields to
//! the executor, and so that host capabilities can await I/O.
#![allow(missing_docs)]

wasmtime::component::bindgen!({
    path: "../wit",
    world: "host",
    imports: {
        "mlauth:plugin/users": async | trappable,
        "mlauth:plugin/kv": async | trappable,
        "mlauth:plugin/jwt": async | trappable,
        "mlauth:plugin/crypto": trappable,
    },
    exports: { default: async },
    additional_derives: [PartialEq],
});
