//! The `mlauth` binary: the allocator, then [`mlauth::cli::main`] (logging, parsing, running).

#[global_allocator]
static ALLOCATOR: mlauth::Allocator = mlauth::Allocator;

fn main() {
    mlauth::cli::main();
}
