//! runtara-workflow-stdlib: everything generated workflow code calls at run time.
//!
//! Generated code (see runtara-codegen) is plain Rust control flow over these helpers:
//! - [`scope`]: the scope object and reference-path resolution (dsl-spec §4);
//! - [`mapping`]: mapping values, type hints, input mappings (dsl-spec §3);
//! - [`cond`]: condition operators with their coercion rules (dsl-spec §5.2);
//! - [`steps`]: per-step semantics and envelopes (dsl-spec §7);
//! - [`ai`] (hosted targets): AiAgent's LLM calls and tool loop (dsl-spec §7.14);
//! - [`failure`]: failure payloads and the onError error object (dsl-spec §8.6–8.7);
//! - [`runtime`]: the [`WorkflowRuntime`] trait (events, clock, sleep) and [`Ctx`];
//! - [`host`] (hosted targets): the artifact contract of DESIGN §5 — stores, exit codes —
//!   driven by [`entry`] over std and by [`component`] (no_std wasm32-wasip2 components)
//!   over WASI Preview 2;
//! - [`embedded`] (thumbv7em-none-eabihf): the firmware contract over semihosting and the
//!   C-ABI buffer entry;
//! - [`browser`] (wasm32-unknown-unknown): the JS `run(input, options)` entry with
//!   IndexedDB checkpoints and timer-driven durable sleeps.
//!
//! The workflow logic is `no_std` + `alloc`; `std` enters only through the hosted features
//! (`native`, `wasi`, `wasm-js`), which add templates (minijinja) and the hosted entry.

#![cfg_attr(not(feature = "std"), no_std)]

pub extern crate alloc;

#[cfg(feature = "std")]
pub mod ai;
#[cfg(feature = "wasm-js-nostd")]
pub mod browser;
#[cfg(all(feature = "wasi-p2-nostd", not(feature = "std")))]
pub mod component;
pub mod cond;
#[cfg(feature = "embedded")]
pub mod embedded;
#[cfg(feature = "std")]
pub mod entry;
pub mod failure;
#[cfg(any(feature = "std", feature = "wasi-p2-nostd"))]
pub mod host;
#[cfg(feature = "wasi-p2")]
pub mod http_world;
pub mod mapping;
pub mod meta;
pub mod runtime;
pub mod scope;
pub mod steps;
#[cfg(feature = "std")]
pub mod template;
pub mod value;
#[cfg(any(feature = "wasm-js-nostd", feature = "wasi-p2-nostd"))]
mod wasm_heap;

pub use runtara_agents as agents;
pub use serde_json::{self, Map, Value};

pub use failure::Failure;
pub use runtime::{Ctx, StepInfo, WorkflowRuntime};
pub use scope::Scope;

/// What generated code imports with `use runtara_workflow_stdlib::prelude::*;`.
pub mod prelude {
    pub use crate::alloc::string::String;
    pub use crate::cond;
    pub use crate::failure::Failure;
    pub use crate::mapping::{composite_array, composite_object, input_mapping, lit, reference, take_reference, Hint};
    pub use crate::runtime::{breakpoint, run_durable_step, run_step, Ctx, StepInfo};
    pub use crate::scope::Scope;
    pub use crate::steps;
    #[cfg(feature = "std")]
    pub use crate::template::template;
    pub use crate::Value;
}
