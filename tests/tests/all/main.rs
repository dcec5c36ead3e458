//! The integration test binary: one binary, one module per area.

mod access_tokens;
mod auth_flow;
mod basic_auth_e2e;
mod cli;
mod e2e_mlflow;
mod hostile;
mod limits;
mod load_errors;
mod multi_instance;
mod paths;
mod rules_e2e;
