//! The `mlauth` binary as the integration tests run it: the same two lines as
//! `runtime/src/main.rs`. Being a binary of this package, `cargo test` builds it before the
//! integration tests, with the features of the test build, and hands its path to them as
//! `CARGO_BIN_EXE_mlauth-under-test`. (`runtime/`'s own binary is not built by `cargo test`,
//! and building it on demand from a test with `-p mlauth` resolved other features and
//! recompiled most of the dependency tree.)

#[global_allocator]
static ALLOCATOR: mlauth::Allocator = mlauth::Allocator;

fn main() {
    mlauth::cli::main();
}
