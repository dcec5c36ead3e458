//! The integration test binary: one binary, one module per area.

mod access_tokens;
mod auth_flow;
mod basic_auth_e2e;
mod brute_force;
mod cli;
mod e2e_mlflow;
mod faults;
mod hostile;
mod limits;
mod load_errors;
mod multi_instance;
mod ops;
mod paths;
mod reload;
mod rules_e2e_artifacts;
mod rules_e2e_bypass_params;
mod rules_e2e_bypass_paths;
mod rules_e2e_faults;
mod rules_e2e_models;
mod rules_e2e_registry;
mod rules_e2e_scoping;
mod rules_e2e_tracking;
mod rules_support;
mod smuggling;
