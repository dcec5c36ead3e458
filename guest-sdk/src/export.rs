//! The plugin traits and the macros that export them as a component.

use crate::prelude::*;

use core::marker::PhantomData;

use crate::wit::{app_export, authenticator_export, types as raw};
use crate::{Authorization, Request, Response, Route};

/// A function plugin: the counterpart of MLflow's `authorization_function`.
///
/// Export it with [`export_authenticator!`](crate::export_authenticator). Each call runs
/// in a fresh instance, so nothing (statics included) survives between requests.
pub trait Authenticator {
    /// Decides who the caller is. `Ok` lets the request through as that user; `Err` is sent
    /// to the client as-is (for example [`Response::basic_challenge`]).
    fn authenticate(req: Request) -> Result<Authorization, Response>;
}

/// An app plugin: [`Authenticator`] plus routes of its own, the counterpart of an MLflow
/// app factory (`--app-name`).
///
/// Export it with [`export_app!`](crate::export_app).
pub trait App: Authenticator {
    /// Called once when the plugin loads, with the routes the host already serves. Returns
    /// the routes this plugin adds, or a message that makes loading fail.
    fn create_app(host_routes: Vec<Route>) -> Result<Vec<Route>, String>;

    /// Answers a request to one of the plugin's routes. `user` is the result of
    /// `authenticate` for non-public routes and `None` for public ones.
    fn handle(req: Request, user: Option<Authorization>) -> Response;
}

/// Adapts a plugin type to the generated `Guest` traits. Used by the export macros.
#[doc(hidden)]
pub struct Exported<T>(PhantomData<T>);

impl<T: Authenticator> authenticator_export::Guest for Exported<T> {
    fn authenticate(req: raw::Request) -> Result<raw::Authorization, raw::Response> {
        T::authenticate(req.into())
            .map(Into::into)
            .map_err(Into::into)
    }
}

impl<T: App> app_export::Guest for Exported<T> {
    fn create_app(host_routes: Vec<raw::Route>) -> Result<Vec<raw::Route>, String> {
        let host_routes = host_routes.into_iter().map(Into::into).collect();
        T::create_app(host_routes).map(|routes| routes.into_iter().map(Into::into).collect())
    }

    fn handle(req: raw::Request, user: Option<raw::Authorization>) -> raw::Response {
        T::handle(req.into(), user.map(Into::into)).into()
    }
}

/// Exports a type implementing [`Authenticator`] as a function plugin (the
/// `authenticator-plugin` world). Use it once, in a `cdylib` crate.
///
/// The component exports only `mlauth:plugin/authenticator` and imports only the
/// interfaces the plugin actually calls.
///
/// ```
/// use mlauth_guest_sdk::{Authenticator, Authorization, Request, Response};
///
/// struct Nobody;
///
/// impl Authenticator for Nobody {
///     fn authenticate(_req: Request) -> Result<Authorization, Response> {
///         Err(Response::basic_challenge("mlflow"))
///     }
/// }
///
/// mlauth_guest_sdk::export_authenticator!(Nobody);
/// ```
#[macro_export]
macro_rules! export_authenticator {
    ($plugin:ty) => {
        const _: () = {
            type __MlauthExported = $crate::__private::Exported<$plugin>;
            $crate::wit::authenticator_export::__export_mlauth_plugin_authenticator_0_1_0_cabi!(
                __MlauthExported with_types_in $crate::wit::authenticator_export
            );
            // Links the `authenticator-plugin` world's component type into the plugin.
            #[used]
            static __MLAUTH_WORLD: fn() =
                $crate::wit::function::__link_custom_section_describing_imports;
        };
    };
}

/// Exports a type implementing [`App`] as an app plugin (the `app-plugin` world). Use it
/// once, in a `cdylib` crate.
///
/// ```
/// use mlauth_guest_sdk::{App, Authenticator, Authorization, Request, Response, Route};
///
/// struct Hello;
///
/// impl Authenticator for Hello {
///     fn authenticate(_req: Request) -> Result<Authorization, Response> {
///         Err(Response::basic_challenge("mlflow"))
///     }
/// }
///
/// impl App for Hello {
///     fn create_app(_host_routes: Vec<Route>) -> Result<Vec<Route>, String> {
///         Ok(vec![Route::new("/hello").method("GET").public()])
///     }
///
///     fn handle(_req: Request, _user: Option<Authorization>) -> Response {
///         Response::new(200).json(r#"{"message": "hello"}"#)
///     }
/// }
///
/// mlauth_guest_sdk::export_app!(Hello);
/// ```
#[macro_export]
macro_rules! export_app {
    ($plugin:ty) => {
        const _: () = {
            type __MlauthExported = $crate::__private::Exported<$plugin>;
    $crate::wit::app::export!(__MlauthExported with_types_in $crate::wit::app);
        };
    };
}

/// Makes a `no_std` plugin complete: installs mlauth's bump allocator, a panic handler that
/// logs the panic and traps, and the `cabi_realloc` export. Use it once, in the plugin crate,
/// next to the export macro; off-wasm (in the plugin's unit tests) it expands to nothing.
///
/// A plugin built this way links no Rust `std` and none of the WASI interfaces `std`
/// imports, so each request's fresh instance has less to set up (measured in
/// `docs/authoring/rust.md`). The crate starts with
/// `#![cfg_attr(target_arch = "wasm32", no_std)]` and `extern crate alloc;`, and every
/// dependency it links must be `no_std` too (for example `serde_json` with
/// `default-features = false, features = ["alloc"]`): a dependency that links `std` brings
/// its own panic handler, and the link fails with a duplicate `panic_impl`.
#[macro_export]
macro_rules! lean_runtime {
    () => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            #[global_allocator]
            static __MLAUTH_ALLOCATOR: $crate::lean::BumpAllocator =
                $crate::lean::BumpAllocator::new();

            #[panic_handler]
            fn __mlauth_panic(info: &::core::panic::PanicInfo) -> ! {
                $crate::lean::on_panic(info)
            }

            /// The canonical ABI's allocator export.
            #[unsafe(no_mangle)]
            unsafe extern "C" fn cabi_realloc(
                old: *mut u8,
                old_len: usize,
                align: usize,
                new_len: usize,
            ) -> *mut u8 {
                // SAFETY: forwarded unchanged from the canonical ABI.
                unsafe { $crate::lean::cabi_realloc(old, old_len, align, new_len) }
            }
        };
    };
}
