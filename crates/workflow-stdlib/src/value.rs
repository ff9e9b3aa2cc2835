//! JSON value helpers shared by conditions, coercion and steps (dsl-spec §5.2).

use alloc::string::String;
use runtara_agents::number::parse_f64;
use serde_json::Value;

/// Truthiness: `null`, `false`, `0`, `""`, `[]`, `{}` are false (dsl-spec §5.2).
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// *to-number* of the ordering operators: number → f64; string → f64 parse; bool → 1/0;
/// anything else → none (dsl-spec §5.2).
pub fn to_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => parse_f64(s),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

/// Loose equality of EQ/NE/IN/CONTAINS (dsl-spec §5.2).
pub fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => num_eq(x.as_f64(), y.as_f64()),
        (Value::String(x), Value::String(y)) => x == y,
        (Value::String(s), Value::Number(n)) | (Value::Number(n), Value::String(s)) => num_eq(parse_f64(s), n.as_f64()),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| loose_eq(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| loose_eq(v, w)))
        }
        _ => false,
    }
}

fn num_eq(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < f64::EPSILON || a == b,
        _ => false,
    }
}

/// The JSON type name used in messages (`string`, `array`, …).
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Compact JSON text of a value.
pub fn to_json(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A JSON object of `fields`, in place of `json!` where values are expressions: `json!`
/// converts each through `to_value(..).unwrap()`, and that unwrap links serde_json's
/// `Debug` formatting — 3 KB of a firmware image (issue 18).
pub fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    // Inserts, not `collect`: a map collected from an iterator links a sort.
    let mut map = serde_json::Map::new();
    for (k, v) in fields {
        map.insert(k.into(), v);
    }
    Value::Object(map)
}
