//! Fixtures shared by mlauth's unit tests (`runtime`, as a dev-dependency) and the
//! integration-test crate (`mlauth-tests`): signing keys made on the spot for JWT tests, and a
//! private PostgreSQL database per test. It does not depend on `mlauth`, so both can use it.

pub mod jwt;
pub mod pg;
