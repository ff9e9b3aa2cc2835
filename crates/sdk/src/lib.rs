//! runtara-sdk: the durable-protocol client (DESIGN §6).
//!
//! [`SdkBackend`] is what the workflow runtime talks to for checkpoints and signals. This
//! first cut ships the [`Stateless`] backend (no durable state: every checkpoint is a miss);
//! the http, local SQLite, browser and embedded backends come with the durability work.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::string::String;
use serde_json::Value;

/// A pending control signal delivered with a checkpoint response (DESIGN §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    Pause,
    Cancel,
    Resume,
}

/// Error of a backend call, with a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdkError(pub String);

/// The durable-state protocol seen from a running workflow.
pub trait SdkBackend {
    /// Stores `state` under `checkpoint_id` unless present; returns the stored state when
    /// it was already there (checkpoint-as-memo), else `None`.
    fn checkpoint(&mut self, checkpoint_id: &str, state: &Value) -> Result<Option<Value>, SdkError>;
    /// Pending control signal, if any.
    fn pending_signal(&mut self) -> Result<Option<Signal>, SdkError>;
}

/// No durable state: nothing is stored, nothing is pending.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stateless;

impl SdkBackend for Stateless {
    fn checkpoint(&mut self, _id: &str, _state: &Value) -> Result<Option<Value>, SdkError> {
        Ok(None)
    }

    fn pending_signal(&mut self) -> Result<Option<Signal>, SdkError> {
        Ok(None)
    }
}
