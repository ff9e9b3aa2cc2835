//! Capability error envelopes (agents.md §5.1).

use alloc::string::{String, ToString};
use serde_json::{json, Value};

/// A permanent, non-retryable error `{code, message, category, severity, retryable}`.
pub fn permanent(code: &str, message: impl Into<String>) -> Value {
    json!({
        "code": code,
        "message": message.into(),
        "category": "permanent",
        "severity": "error",
        "retryable": false,
    })
}

/// The error for an input that does not have the shape a capability needs.
pub fn invalid_input(message: impl ToString) -> Value {
    permanent("INPUT_DESERIALIZATION_ERROR", message.to_string())
}
