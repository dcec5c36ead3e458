//! The integration test binary: one binary, one module per area.

mod auth_flow;
mod basic_auth_e2e;
mod cli;
mod e2e_mlflow;
mod hostile;
mod languages;
mod limits;
mod load_errors;
mod paths;
mod rules_e2e;
