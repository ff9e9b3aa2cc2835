//! runtara-dsl: the workflow graph format (runtara DSL 3.x) as Rust types.
//!
//! - [`parse_workflow`] reads a document (bare graph or `executionGraph` wrapper) with
//!   line:column and JSON-pointer located errors (dsl-spec §1.1).
//! - [`model`] is the typed graph: every step type of dsl-spec §7.
//! - [`path`] tokenises reference paths exactly like the runtime (dsl-spec §4.2).
//! - [`validate`] checks the rules of dsl-spec §9 and reports coded diagnostics.
//! - [`json_schema`] is the JSON Schema of the document format (schemars).
//!
//! This crate does no I/O: callers hand it text and an agent catalogue.

pub mod catalog;
pub mod closure;
pub mod model;
pub mod parse;
pub mod path;
mod unique;
pub mod validate;
pub mod workflow_agents;

pub use catalog::{AgentCatalog, CapabilityInfo};
pub use model::*;
pub use parse::{parse_workflow, ParseError, Workflow};
pub use validate::{validate, Diagnostic, Diagnostics, Severity as DiagnosticSeverity};

/// The DSL version this crate implements (dsl-spec header).
pub const DSL_VERSION: &str = "3.1.0";

/// The JSON Schema (draft 7, via schemars) of a bare workflow graph document.
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(ExecutionGraph);
    serde_json::to_value(schema).expect("a schemars schema always serialises")
}
