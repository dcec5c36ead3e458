//! Links the plugin with a 64 KiB shadow stack instead of Rust's default 1 MiB. The stack
//! lives in linear memory, so this shrinks every fresh instance's memory from 17 wasm pages
//! to 2, and with it the slot the host resets after each request: 2.5% off the per-request
//! cost (`cargo bench -p mlauth-tests --bench instantiate`, docs/authoring/rust.md). A
//! `no_std` plugin this small never comes near 64 KiB of stack; a deeper one traps, and the
//! request is refused.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=-zstack-size=65536");
    }
}
