//! runtara-e2e: end-to-end harness shared by the test suite and `cargo xtask`.
//!
//! Everything here drives the real `runtara` binary on real graphs and runs the artifacts
//! for real (native processes, wasmtime).

pub mod agent_cases;
pub mod browser;
pub mod cli;
pub mod conformance;
pub mod core;
pub mod fuzz;
pub mod http_host;
pub mod regression;
pub mod serve;
pub mod stub;
pub mod tools;
pub mod workerd;
