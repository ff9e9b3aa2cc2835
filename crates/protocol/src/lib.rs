//! runtara-protocol: the vocabulary every part of runtara shares, defined once (no_std +
//! alloc, like `wasmtime-environ` for wasmtime; the `schema` feature, for the document
//! schema, needs std). The DSL model, the validator, codegen, the
//! workflow stdlib, the agents, the sdk backends, the state service, the runner and the CLI
//! all take these definitions from here instead of spelling them again.
//!
//! - [`MatchType`], [`FieldType`]: the DSL's closed enumerations (dsl-spec §1.4, §7.7);
//! - [`roots`]: reference-path roots (dsl-spec §4.4);
//! - [`EdgeLabel`]: what an `executionPlan` label means (dsl-spec §2, §8);
//! - [`Signal`]: the control signals (pause, resume, cancel);
//! - [`GraphIdentity`]: what graph an instance runs, to refuse resuming it with another;
//! - [`exit`]: the exit codes of artifacts and of the CLI;
//! - [`checkpoint`]: how checkpoint ids are built, and what step ids may not contain;
//! - [`defaults`]: retry and loop defaults the spec fixes (dsl-spec §7, §8.8);
//! - [`wire`]: the JSON messages between artifacts and the state service.

#![cfg_attr(not(feature = "schema"), no_std)]

extern crate alloc;

pub mod checkpoint;
pub mod defaults;
mod edge;
pub mod exit;
mod graph;
pub mod roots;
mod signal;
mod types;
pub mod wire;

pub use edge::EdgeLabel;
pub use graph::{GraphChange, GraphIdentity, GRAPH_CHANGED};
pub use signal::Signal;
pub use types::{FieldType, MatchType};
