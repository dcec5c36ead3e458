#!/usr/bin/env bash
# Runs every test on a fresh machine: installs the wasm target and the Python venv with
# MLflow, makes sure PostgreSQL is up, then runs the whole Rust test suite (which builds the
# example plugins and fixtures from source, and starts real `mlflow server`s on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target add wasm32-wasip2 >/dev/null
./scripts/setup-system.sh
./scripts/setup-python.sh
./scripts/setup-toolchains.sh   # C, JavaScript and Python plugin toolchains
./scripts/ensure-postgres.sh
cargo test --release --workspace "$@"
# The example plugins' own unit tests: off-wasm, against the SDK's test doubles.
(cd example-plugins && cargo test --target "$(rustc -vV | sed -n 's/^host: //p')")
