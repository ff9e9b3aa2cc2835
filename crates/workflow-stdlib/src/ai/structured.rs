//! Structured output (dsl-spec §3.4, §7.14 `outputSchema`): parsing the answer and checking it against the schema map.

use crate::failure::Failure;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde_json::{json, Map, Value};

/// Parses a structured answer and checks it against the `outputSchema` map.
pub(super) fn structured(content: &str, schema: &Value) -> Result<Value, Failure> {
    let fail = |code: &str, message: String| {
        Failure::structured(
            json!({"code": code, "message": format!("{code}: {message}"), "category": "permanent", "severity": "error"}),
        )
    };
    let parsed: Value = serde_json::from_str(content.trim())
        .map_err(|_| fail("AI_STRUCTURED_OUTPUT_INVALID", format!("the model's answer is not JSON: {content}")))?;
    let problems = schema_problems(&parsed, schema);
    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(fail("AI_STRUCTURED_OUTPUT_SCHEMA_MISMATCH", problems.join("; ")))
    }
}

/// What in `v` breaks the schema map `{field: {type, required?, enum?}}` (dsl-spec §3.4).
pub(super) fn schema_problems(v: &Value, schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let Some(fields) = schema.as_object() else { return out };
    for (name, f) in fields {
        match v.get(name) {
            None | Some(Value::Null) => {
                if f["required"] == true {
                    out.push(format!("field '{name}' is required but missing"));
                }
            }
            Some(x) => {
                let ty = f["type"].as_str().unwrap_or("");
                let ok = match ty {
                    "string" | "file" | "connection" => x.is_string(),
                    "integer" => x.is_i64() || x.is_u64(),
                    "number" => x.is_number(),
                    "boolean" => x.is_boolean(),
                    "array" => x.is_array(),
                    "object" => x.is_object(),
                    _ => true,
                };
                if !ok {
                    out.push(format!("field '{name}' must be of type {ty}"));
                }
                if let Some(allowed) = f["enum"].as_array().filter(|a| !a.contains(x)) {
                    out.push(format!(
                        "field '{name}' must be one of {}",
                        crate::value::to_json(&Value::Array(allowed.clone()))
                    ));
                }
            }
        }
    }
    out
}

/// The schema map as JSON Schema, for `response_format` (dsl-spec §3.4).
pub(super) fn json_schema(schema: &Value) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    for (name, f) in schema.as_object().into_iter().flatten() {
        let mut p = Map::new();
        let ty = match f["type"].as_str().unwrap_or("string") {
            "file" | "connection" => "string",
            t => t,
        };
        p.insert("type".into(), ty.into());
        for k in ["description", "enum", "items", "properties"] {
            if let Some(x) = f.get(k) {
                p.insert(k.into(), x.clone());
            }
        }
        if f["required"] == true {
            required.push(Value::String(name.clone()));
        }
        props.insert(name.clone(), Value::Object(p));
    }
    json!({"type": "object", "properties": props, "required": required})
}
