//! The integration test binary: one binary, one module per area.

mod auth_flow;
mod basic_auth_e2e;
mod capabilities;
mod cli;
mod custom_auth_app;
mod e2e_mlflow;
mod hostile;
mod limits;
mod load_errors;
mod oidc_jwt;
mod paths;
mod rules_e2e;
