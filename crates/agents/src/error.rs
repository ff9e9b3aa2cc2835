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

/// A transient, retryable error `{code, message, category, severity, retryable}`: the
/// service or server may answer later.
pub fn transient(code: &str, message: impl Into<String>) -> Value {
    json!({
        "code": code,
        "message": message.into(),
        "category": "transient",
        "severity": "error",
        "retryable": true,
    })
}

/// The error for an input that does not have the shape a capability needs.
pub fn invalid_input(message: impl ToString) -> Value {
    permanent("INPUT_DESERIALIZATION_ERROR", message.to_string())
}
