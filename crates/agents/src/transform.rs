//! The `transform` agent (agents.md §5.3).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::{json, Map, Value};

use crate::error::{invalid_input, permanent};
use crate::jsonpath;

fn field<'a>(input: &'a Value, name: &str) -> &'a Value {
    input.get(name).unwrap_or(&Value::Null)
}

fn array_of<'a>(input: &'a Value, name: &str) -> Result<&'a Vec<Value>, Value> {
    field(input, name).as_array().ok_or_else(|| invalid_input(alloc::format!("'{name}' must be an array")))
}

/// `map-fields`: `{source_data, mappings: {sourcePath: targetField}}` →
/// `{result: {targetField: value}, field_count}`. Missing sources map to `null`.
pub fn map_fields(input: &Value) -> Result<Value, Value> {
    let source = field(input, "source_data");
    let mappings = field(input, "mappings")
        .as_object()
        .ok_or_else(|| invalid_input("'mappings' must be an object of source path → target field"))?;
    let mut result = Value::Object(Map::new());
    for (src, target) in mappings {
        let Some(target) = target.as_str() else {
            return Err(invalid_input(alloc::format!("mapping target for '{src}' must be a string")));
        };
        let v = jsonpath::get(source, src).cloned().unwrap_or(Value::Null);
        jsonpath::set(&mut result, target, v);
    }
    let count = result.as_object().map_or(0, Map::len);
    // Built, not `json!`: the macro would copy `result` through a serializer.
    let mut out = Map::new();
    out.insert("result".into(), result);
    out.insert("field_count".into(), count.into());
    Ok(Value::Object(out))
}

/// `extract`: `{value: array, property_path}` → `{values, count}`.
pub fn extract(input: &Value) -> Result<Value, Value> {
    let items = array_of(input, "value")?;
    let path = field(input, "property_path").as_str().unwrap_or("");
    let values: Vec<Value> = items.iter().map(|it| jsonpath::get(it, path).cloned().unwrap_or(Value::Null)).collect();
    Ok(json!({ "count": values.len(), "values": values }))
}

/// `get-value-by-path`: `{value, property_path}` → the value there or `null`.
pub fn get_value_by_path(input: &Value) -> Result<Value, Value> {
    let path = field(input, "property_path").as_str().unwrap_or("");
    Ok(jsonpath::get(field(input, "value"), path).cloned().unwrap_or(Value::Null))
}

/// `set-value-by-path`: `{target, property_path, value}` → the updated target.
pub fn set_value_by_path(input: &Value) -> Result<Value, Value> {
    let mut target = field(input, "target").clone();
    let path = field(input, "property_path").as_str().unwrap_or("");
    if !jsonpath::set(&mut target, path, field(input, "value").clone()) {
        return Err(permanent("PATH_NOT_WRITABLE", alloc::format!("cannot write '{path}' into the target")));
    }
    Ok(target)
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// `select-first`: `{value: array}` → the first truthy element or `null`.
pub fn select_first(input: &Value) -> Result<Value, Value> {
    Ok(match field(input, "value") {
        Value::Array(a) => a.iter().find(|v| truthy(v)).cloned().unwrap_or(Value::Null),
        other => other.clone(),
    })
}

/// `coalesce`: `{values, treat_empty_string_as_null?, treat_zero_as_null?}` → first non-null.
pub fn coalesce(input: &Value) -> Result<Value, Value> {
    let empty_null = field(input, "treat_empty_string_as_null").as_bool().unwrap_or(false);
    let zero_null = field(input, "treat_zero_as_null").as_bool().unwrap_or(false);
    let values = array_of(input, "values")?;
    Ok(values
        .iter()
        .find(|v| match v {
            Value::Null => false,
            Value::String(s) if empty_null && s.is_empty() => false,
            Value::Number(n) if zero_null && n.as_f64() == Some(0.0) => false,
            _ => true,
        })
        .cloned()
        .unwrap_or(Value::Null))
}

/// `from-json-string`: `{value: text}` → the parsed JSON (non-strings pass through).
pub fn from_json_string(input: &Value) -> Result<Value, Value> {
    match field(input, "value") {
        Value::String(s) => serde_json::from_str(s)
            .map_err(|e| permanent("INVALID_JSON", alloc::format!("value is not valid JSON: {e}"))),
        other => Ok(other.clone()),
    }
}

/// `to-json-string`: `{value}` → `{json, length}` (compact JSON text).
pub fn to_json_string(input: &Value) -> Result<Value, Value> {
    let text = field(input, "value").to_string();
    Ok(json!({ "length": text.len(), "json": text }))
}

/// `group-by`: `{value: array, key, as_map?}` → `{groups, group_count}`; groups is an
/// object keyed by the key's text when `as_map`, else `[{key, items, count}]`.
pub fn group_by(input: &Value) -> Result<Value, Value> {
    let items = array_of(input, "value")?;
    let key = field(input, "key").as_str().unwrap_or("");
    let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
    for it in items {
        let k = match jsonpath::get(it, key) {
            None | Some(Value::Null) => String::from("null"),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, v)) => v.push(it.clone()),
            None => groups.push((k, alloc::vec![it.clone()])),
        }
    }
    let count = groups.len();
    let groups = if field(input, "as_map").as_bool().unwrap_or(false) {
        Value::Object(groups.into_iter().map(|(k, v)| (k, Value::Array(v))).collect())
    } else {
        Value::Array(groups.into_iter().map(|(k, v)| json!({"key": k, "count": v.len(), "items": v})).collect())
    };
    Ok(json!({ "groups": groups, "group_count": count }))
}

/// `append`: `{array, item}` → `{array, length}`.
pub fn append(input: &Value) -> Result<Value, Value> {
    let mut arr = match field(input, "array") {
        Value::Null => Vec::new(),
        Value::Array(a) => a.clone(),
        _ => return Err(invalid_input("'array' must be an array")),
    };
    arr.push(field(input, "item").clone());
    Ok(json!({ "length": arr.len(), "array": arr }))
}

/// `flat-map`: `{value: array, property_path?}` → `{items, count}`; nested arrays (or the
/// arrays found at `property_path` in each element) are flattened one level.
pub fn flat_map(input: &Value) -> Result<Value, Value> {
    let items = array_of(input, "value")?;
    let path = field(input, "property_path").as_str().unwrap_or("");
    let mut out = Vec::new();
    for it in items {
        let v = if path.is_empty() { Some(it) } else { jsonpath::get(it, path) };
        match v {
            Some(Value::Array(a)) => out.extend(a.iter().cloned()),
            Some(Value::Null) | None => {}
            Some(other) => out.push(other.clone()),
        }
    }
    Ok(json!({ "count": out.len(), "items": out }))
}

/// `array-length`: `{value}` → `{length, is_array}`.
pub fn array_length(input: &Value) -> Result<Value, Value> {
    Ok(match field(input, "value") {
        Value::Array(a) => json!({"length": a.len(), "is_array": true}),
        _ => json!({"length": 0, "is_array": false}),
    })
}

/// `ensure-array`: `{value}` → `{items, count, was_array}`; null → `[]`, scalars → `[v]`.
pub fn ensure_array(input: &Value) -> Result<Value, Value> {
    let (items, was_array) = match field(input, "value") {
        Value::Array(a) => (a.clone(), true),
        Value::Null => (Vec::new(), false),
        other => (alloc::vec![other.clone()], false),
    };
    Ok(json!({ "count": items.len(), "items": items, "was_array": was_array }))
}

/// `sort`: `{value: array, property_path?, ascending? (true)}` → `{items, count}`. Numbers
/// sort numerically, strings lexicographically, nulls first; the sort is stable.
pub fn sort(input: &Value) -> Result<Value, Value> {
    let mut items = array_of(input, "value")?.clone();
    let path = field(input, "property_path").as_str().unwrap_or("").to_string();
    let asc = field(input, "ascending").as_bool().unwrap_or(true);
    let key = |v: &Value| -> Value {
        if path.is_empty() {
            v.clone()
        } else {
            jsonpath::get(v, &path).cloned().unwrap_or(Value::Null)
        }
    };
    items.sort_by(|a, b| {
        let o = compare(&key(a), &key(b));
        if asc {
            o
        } else {
            o.reverse()
        }
    });
    Ok(json!({ "count": items.len(), "items": items }))
}

fn compare(a: &Value, b: &Value) -> core::cmp::Ordering {
    use core::cmp::Ordering;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64().partial_cmp(&y.as_f64()).unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => a.to_string().cmp(&b.to_string()),
    }
}

fn blank(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.trim().is_empty())
}

/// `filter-non-values`: `{value: array, property_path?, filter_null_values? (true),
/// filter_empty_strings? (true), filter_blank_strings? (false), filter_zero_values? (false)}`
/// → `{items, count, removed_count}`; the test looks at `property_path` of each element
/// when given, else at the element.
pub fn filter_non_values(input: &Value) -> Result<Value, Value> {
    let items = array_of(input, "value")?;
    let flag = |k: &str, d: bool| field(input, k).as_bool().unwrap_or(d);
    let (nulls, empties, blanks, zeros) = (
        flag("filter_null_values", true),
        flag("filter_empty_strings", true),
        flag("filter_blank_strings", false),
        flag("filter_zero_values", false),
    );
    let path = field(input, "property_path").as_str().unwrap_or("");
    let kept: Vec<Value> = items
        .iter()
        .filter(|it| {
            let v = if path.is_empty() { Some(*it) } else { jsonpath::get(it, path) };
            match v {
                None | Some(Value::Null) => !nulls,
                Some(Value::String(s)) if s.is_empty() => !empties,
                Some(v) if blank(v) => !blanks,
                Some(Value::Number(n)) if n.as_f64() == Some(0.0) => !zeros,
                _ => true,
            }
        })
        .cloned()
        .collect();
    Ok(json!({ "count": kept.len(), "removed_count": items.len() - kept.len(), "items": kept }))
}

/// `filter`: `{value: array, property_path, match_values: array, match_condition?
/// ("include" default | "exclude")}` → `{items, count, removed_count}`: keeps elements
/// whose value at `property_path` is (include) or is not (exclude) one of `match_values`.
pub fn filter(input: &Value) -> Result<Value, Value> {
    let items = array_of(input, "value")?;
    let path = field(input, "property_path").as_str().unwrap_or("");
    let wanted = array_of(input, "match_values")?;
    let exclude = field(input, "match_condition").as_str() == Some("exclude");
    let kept: Vec<Value> = items
        .iter()
        .filter(|it| {
            let v = jsonpath::get(it, path).unwrap_or(&Value::Null);
            wanted.contains(v) != exclude
        })
        .cloned()
        .collect();
    Ok(json!({ "count": kept.len(), "removed_count": items.len() - kept.len(), "items": kept }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_fields_maps_paths_to_targets() {
        let out = map_fields(&json!({"source_data": {"value": 3, "_index": 1},
            "mappings": {"$.value": "processed", "$._index": "index"}}))
        .unwrap();
        assert_eq!(out, json!({"result": {"processed": 3, "index": 1}, "field_count": 2}));
    }

    #[test]
    fn extract_and_ensure_array() {
        let out = extract(&json!({"value": [{"v": 1}, {"x": 2}], "property_path": "$.v"})).unwrap();
        assert_eq!(out, json!({"values": [1, null], "count": 2}));
        assert_eq!(ensure_array(&json!({"value": 5})).unwrap()["items"], json!([5]));
    }

    #[test]
    fn from_json_string_parses_or_fails_permanently() {
        assert_eq!(from_json_string(&json!({"value": "[1,2]"})).unwrap(), json!([1, 2]));
        assert_eq!(from_json_string(&json!({"value": "{"})).unwrap_err()["category"], "permanent");
    }

    #[test]
    fn filters() {
        let out = filter_non_values(&json!({"value": [1, null, "", " ", 0, "x"], "filter_zero_values": true})).unwrap();
        assert_eq!(out, json!({"items": [1, " ", "x"], "count": 3, "removed_count": 3}));
        let out = filter(&json!({"value": [{"s": "a"}, {"s": "b"}, {"s": "c"}], "property_path": "$.s",
            "match_values": ["a", "c"], "match_condition": "exclude"}))
        .unwrap();
        assert_eq!(out, json!({"items": [{"s": "b"}], "count": 1, "removed_count": 2}));
    }

    #[test]
    fn group_by_and_sort() {
        let g = group_by(&json!({"value": [{"k": "a"}, {"k": "b"}, {"k": "a"}], "key": "k", "as_map": true})).unwrap();
        assert_eq!(g["group_count"], 2);
        assert_eq!(g["groups"]["a"].as_array().unwrap().len(), 2);
        let s = sort(&json!({"value": [3, 1, 2], "ascending": false})).unwrap();
        assert_eq!(s["items"], json!([3, 2, 1]));
    }
}
