//! The host's bindings to the `mlauth:plugin` WIT package (the one `bindgen!` of the crate).
//!
//! Exports are called asynchronously so that a plugin running past an epoch tick yields to
//! the executor, and so that host capabilities can await I/O.
#![allow(missing_docs)]

wasmtime::component::bindgen!({
    path: "../wit",
    world: "host",
    imports: { "mlauth:plugin/users": async | trappable },
    exports: { default: async },
});
