//! Unit tests of the rules module.

mod artifacts_tests;
mod coverage;
mod coverage_data;
mod params_tests;
mod redact_tests;
mod requirements_tests;
mod scope_tests;
mod table_tests;
