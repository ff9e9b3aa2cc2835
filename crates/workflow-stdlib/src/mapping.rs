//! Mapping values (dsl-spec §3): references with type hints and defaults, literals,
//! composites, input mappings with dotted keys.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::{Map, Number, Value};

use crate::failure::Failure;
use crate::scope::{Resolved, Scope};

/// Coercion hint of a reference (dsl-spec §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    None,
    String,
    Integer,
    Number,
    Boolean,
}

/// Evaluates a reference (dsl-spec §3.1): resolve; `null`/absent → default or `null`;
/// mismatch → default or failure; then apply the hint (a failed coercion falls back to the
/// coerced default, else fails with `value <json> cannot be coerced to <type>`).
pub fn reference(
    scope: &Scope,
    text: &str,
    segments: &[&str],
    hint: Hint,
    default: Option<Value>,
) -> Result<Value, Failure> {
    let v = match scope.resolve(text, segments) {
        Resolved::Found(Value::Null) | Resolved::Absent => default.clone().unwrap_or(Value::Null),
        Resolved::Found(v) => v,
        Resolved::Mismatch(msg) => match &default {
            Some(d) => d.clone(),
            None => return Err(Failure::msg(msg)),
        },
    };
    match coerce(v, hint) {
        Ok(v) => Ok(v),
        Err(e) => match default {
            Some(d) => coerce(d, hint).map_err(Failure::msg),
            None => Err(Failure::msg(e)),
        },
    }
}

/// [`reference`] that moves a found value out of the scope instead of cloning it. Generated
/// code uses it only in a Finish step, whose scope is dropped right after, for paths the
/// mapping reads once (codegen `finish_mapping`); results equal [`reference`]'s.
pub fn take_reference(
    scope: &mut Scope,
    text: &str,
    segments: &[&str],
    hint: Hint,
    default: Option<Value>,
) -> Result<Value, Failure> {
    match scope.take(segments) {
        Some(v) if !v.is_null() => match coerce(v, hint) {
            Ok(v) => Ok(v),
            Err(e) => match default {
                Some(d) => coerce(d, hint).map_err(Failure::msg),
                None => Err(Failure::msg(e)),
            },
        },
        _ => reference(scope, text, segments, hint, default),
    }
}

/// Applies a type hint (dsl-spec §3.5 table). A value the hint keeps as it is is moved, not
/// copied (a reference to a 100,000-item array is one copy, not two).
pub fn coerce(v: Value, hint: Hint) -> Result<Value, String> {
    let fail = |ty: &str| format!("value {} cannot be coerced to {ty}", crate::value::to_json(&v));
    Ok(match (hint, &v) {
        (Hint::None, _) | (_, Value::Null) => v,
        (Hint::String, Value::String(_)) => v,
        (Hint::String, Value::Bool(b)) => Value::String(b.to_string()),
        (Hint::String, other) => Value::String(crate::value::to_json(other)),
        (Hint::Integer, Value::Number(n)) => {
            if n.is_i64() || n.is_u64() {
                v
            } else {
                // `as` truncates toward zero and saturates (dsl-spec §3.5).
                Value::from(n.as_f64().unwrap_or(0.0) as i64)
            }
        }
        (Hint::Integer, Value::String(s)) => Value::from(s.parse::<i64>().map_err(|_| fail("integer"))?),
        (Hint::Integer, Value::Bool(b)) => Value::from(i64::from(*b)),
        (Hint::Integer, _) => return Err(fail("integer")),
        (Hint::Number, Value::Number(n)) => float(n.as_f64().unwrap_or(0.0)).ok_or_else(|| fail("number"))?,
        (Hint::Number, Value::String(s)) => {
            float(runtara_agents::number::parse_f64(s).ok_or_else(|| fail("number"))?).ok_or_else(|| fail("number"))?
        }
        (Hint::Number, _) => return Err(fail("number")),
        (Hint::Boolean, Value::Bool(_)) => v,
        (Hint::Boolean, Value::String(s)) => Value::Bool(s == "true" || s == "1"),
        (Hint::Boolean, Value::Number(n)) => Value::Bool(match n.as_i64() {
            Some(i) => i != 0,
            None => n.as_f64().is_some_and(|f| f != 0.0 && f == (f as i64) as f64),
        }),
        (Hint::Boolean, Value::Array(a)) => Value::Bool(!a.is_empty()),
        (Hint::Boolean, Value::Object(o)) => Value::Bool(!o.is_empty()),
    })
}

fn float(f: f64) -> Option<Value> {
    Number::from_f64(f).map(Value::Number)
}

/// Parses a JSON literal that codegen serialised at compile time.
pub fn lit(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or(Value::Null)
}

/// Builds a composite object from evaluated entries; keys verbatim (dsl-spec §3.3).
pub fn composite_object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// Builds a composite array from evaluated entries (dsl-spec §3.3).
pub fn composite_array<const N: usize>(entries: [Value; N]) -> Value {
    Value::Array(entries.into_iter().collect())
}

/// Builds an input-mapping object (dsl-spec §3.6): entries come in lexicographic key
/// order; a dotted key expands into nested objects; a write through a non-object
/// intermediate is dropped.
pub fn input_mapping<const N: usize>(entries: [(&str, Value); N]) -> Value {
    let mut root = Map::new();
    for (key, value) in entries {
        insert_dotted(&mut root, key, value);
    }
    Value::Object(root)
}

fn insert_dotted(root: &mut Map<String, Value>, key: &str, value: Value) {
    if !key.contains('.') {
        root.insert(key.into(), value);
        return;
    }
    let parts: Vec<&str> = key.split('.').collect();
    let (last, init) = parts.split_last().expect("split yields at least one part");
    let mut cur = root;
    for p in init {
        let slot = cur.entry(p.to_string()).or_insert_with(|| Value::Object(Map::new()));
        match slot {
            Value::Object(m) => cur = m,
            _ => return,
        }
    }
    cur.insert(last.to_string(), value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn coercion_table() {
        assert_eq!(coerce(json!(42), Hint::String).unwrap(), json!("42"));
        assert_eq!(coerce(json!([1]), Hint::String).unwrap(), json!("[1]"));
        assert_eq!(coerce(json!(4.7), Hint::Integer).unwrap(), json!(4));
        assert!(coerce(json!("4.2"), Hint::Integer).is_err());
        assert_eq!(coerce(json!(5), Hint::Number).unwrap(), json!(5.0));
        assert!(coerce(json!(true), Hint::Number).is_err());
        assert_eq!(coerce(json!("1"), Hint::Boolean).unwrap(), json!(true));
        assert_eq!(coerce(json!(1.5), Hint::Boolean).unwrap(), json!(false));
    }

    #[test]
    fn default_rescues_null_and_failed_coercion() {
        let s = Scope::new(json!({"count": "abc", "n": null}), Map::new());
        let r = reference(&s, "data.count", &["data", "count"], Hint::Integer, Some(json!(7)));
        assert_eq!(r.unwrap(), json!(7));
        let r = reference(&s, "data.n", &["data", "n"], Hint::None, Some(json!("d")));
        assert_eq!(r.unwrap(), json!("d"));
        let e = reference(&s, "data.count", &["data", "count"], Hint::Integer, None).unwrap_err();
        assert!(e.text().contains("cannot be coerced to integer"));
    }

    #[test]
    fn dotted_keys_nest() {
        let v = input_mapping([("a", json!(1)), ("a.b", json!(2)), ("s.x.y", json!(3))]);
        assert_eq!(v, json!({"a": 1, "s": {"x": {"y": 3}}}));
    }
}
