//! runtara-agents: the built-in capabilities, by agent id and capability id.
//!
//! Each capability is a plain function `fn(&Value) -> Result<Value, Value>`: the input is the
//! step's evaluated `inputMapping`, the output goes to `steps.<id>.outputs`, and an error is
//! the capability error envelope `{code, message, category, severity, retryable,
//! attributes?}` (dsl-spec §7.2, agents.md §5.1). [`CATALOG`] lists them with their input
//! fields for the validator and codegen. Generated code calls the functions directly
//! (`agents::utils::return_input`), so unused capabilities are dropped by the linker.
//!
//! no_std + alloc, so firmware has the pure agents (`utils`' pure half, `transform`, `text`,
//! `csv`, `xml`, `crypto`, `datetime`). Features add what needs more: `std` (a clock,
//! randomness, the network through `runtara_sdk::net`), `hosted` (what artifacts of hosted
//! targets link: templates, similarity, archives, spreadsheets, the workspace files) and
//! `native` (sftp). The catalogue says what each capability needs (`needs_std`,
//! `needs_network`, `needs_filesystem`, `native_only`) and codegen refuses, per target, what
//! the target lacks — the platform matrix of the README.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod catalog;
#[cfg(feature = "hosted")]
pub mod compression;
#[cfg(feature = "std")]
pub mod connections;
pub mod crypto;
pub mod csv;
pub mod dates;
pub mod datetime;
pub mod error;
#[cfg(feature = "hosted")]
pub mod file;
#[cfg(feature = "std")]
pub mod http;
pub mod input;
pub mod jsonpath;
pub mod number;
#[cfg(feature = "std")]
pub mod remote;
#[cfg(feature = "std")]
pub use remote::{mcp, object_model};
#[cfg(feature = "native")]
pub mod sftp;
pub mod text;
pub mod transform;
pub mod utils;
#[cfg(feature = "hosted")]
pub mod xlsx;
pub mod xml;

use serde_json::Value;

/// A capability implementation.
pub type CapabilityFn = fn(&Value) -> Result<Value, Value>;

/// The value type of a capability input (dsl-spec §9 E023), shared with the DSL's schema
/// fields; an input of any type has `ty: None`.
pub use runtara_protocol::FieldType;

pub use catalog::{find, CapabilityMeta, FieldMeta, CATALOG};
