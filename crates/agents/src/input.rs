//! Reading capability inputs: optional fields (an explicit `null` counts as absent, as the
//! original's serde `Option` fields do), typed with clear errors, and byte data given as text
//! or as a FileData object `{content: <base64>, filename?, mimeType?}` (agents.md §5.3).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine;
use serde_json::Value;

use crate::error::invalid_input;

/// Field `name` unless absent or `null`.
pub fn field<'a>(input: &'a Value, name: &str) -> Option<&'a Value> {
    input.get(name).filter(|v| !v.is_null())
}

/// Optional string field. Errors: present but not a string.
pub fn opt_str<'a>(input: &'a Value, name: &str) -> Result<Option<&'a str>, Value> {
    match field(input, name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(invalid_input(format!("'{name}' must be a string, got {other}"))),
    }
}

/// Required string field. Errors: absent, `null` or not a string.
pub fn req_str<'a>(input: &'a Value, name: &str) -> Result<&'a str, Value> {
    opt_str(input, name)?.ok_or_else(|| invalid_input(format!("missing string field '{name}'")))
}

/// String field with a default.
pub fn str_or<'a>(input: &'a Value, name: &str, default: &'a str) -> Result<&'a str, Value> {
    Ok(opt_str(input, name)?.unwrap_or(default))
}

/// The `text` field most text capabilities take; absent means the empty string.
pub fn text(input: &Value) -> Result<&str, Value> {
    str_or(input, "text", "")
}

/// Boolean field with a default. Errors: present but not a boolean.
pub fn bool_or(input: &Value, name: &str, default: bool) -> Result<bool, Value> {
    match field(input, name) {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(invalid_input(format!("'{name}' must be a boolean, got {other}"))),
    }
}

/// Non-negative integer field. Errors: present but not a non-negative integer.
pub fn opt_usize(input: &Value, name: &str) -> Result<Option<usize>, Value> {
    match field(input, name) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| invalid_input(format!("'{name}' must be a non-negative integer, got {v}"))),
    }
}

/// Integer field (may be negative). Errors: present but not an integer.
pub fn opt_i64(input: &Value, name: &str) -> Result<Option<i64>, Value> {
    match field(input, name) {
        None => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or_else(|| invalid_input(format!("'{name}' must be an integer, got {v}"))),
    }
}

/// Decodes standard base64 (whitespace around it ignored). Errors: not base64, naming `what`.
pub fn base64_bytes(b64: &str, what: &str) -> Result<Vec<u8>, Value> {
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|e| invalid_input(format!("{what} is not base64: {e}")))
}

/// Standard base64 of `bytes`.
pub fn to_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The bytes of field `name`: a string's UTF-8, a FileData object's base64 `content`, or an
/// array of byte values. Errors: absent, another shape, bad base64 or a number outside 0–255.
pub fn bytes(input: &Value, name: &str) -> Result<Vec<u8>, Value> {
    match field(input, name) {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(Value::Object(file)) => match file.get("content") {
            Some(Value::String(b64)) => base64_bytes(b64, &format!("{name}.content")),
            _ => Err(invalid_input(format!("{name} is a FileData object without a string `content`"))),
        },
        Some(Value::Array(items)) => items
            .iter()
            .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| invalid_input(format!("{name} must hold byte values 0-255"))),
        Some(other) => Err(invalid_input(format!("{name} must be a string or FileData, got {other}"))),
        None => Err(invalid_input(format!("missing field '{name}'"))),
    }
}

/// Bytes given as base64 text or FileData (archives, spreadsheets): a string is base64 here,
/// not UTF-8. Errors: as [`bytes`].
pub fn base64_or_file(input: &Value, name: &str) -> Result<Vec<u8>, Value> {
    match field(input, name) {
        Some(Value::String(b64)) => base64_bytes(b64, name),
        _ => bytes(input, name),
    }
}
