//! The JSONPath subset capabilities use for field paths: `$.a.b`, `$.items[0]`, `a.b`,
//! `$['key']`. A leading `$` is optional.

use alloc::string::String;
use alloc::vec::Vec;
use serde_json::Value;

/// Splits a property path into keys and indices: a leading `$` is dropped, the rest is the
/// reference-path grammar of dsl-spec §4.2 (`runtara_path::tokenize`).
pub fn segments(path: &str) -> Vec<String> {
    let p = path.trim();
    runtara_path::tokenize(p.strip_prefix('$').unwrap_or(p))
}

/// Reads the value at `path` (missing → `None`). Plain dotted paths are walked without
/// allocating; paths with brackets go through [`segments`].
pub fn get<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let p = path.trim();
    let p = p.strip_prefix('$').unwrap_or(p);
    if p.contains('[') {
        return segments(path).iter().try_fold(root, |cur, seg| step(cur, seg));
    }
    p.split('.').filter(|s| !s.is_empty()).try_fold(root, step)
}

fn step<'a>(cur: &'a Value, seg: &str) -> Option<&'a Value> {
    match cur {
        Value::Object(m) => m.get(seg),
        Value::Array(a) => a.get(seg.parse::<usize>().ok()?),
        _ => None,
    }
}

/// Writes `value` at `path`, creating objects on the way; returns false when a scalar is in
/// the way.
pub fn set(root: &mut Value, path: &str, value: Value) -> bool {
    let p = path.trim();
    let p = p.strip_prefix('$').unwrap_or(p);
    if let (Some(m), false) = (root.as_object_mut(), p.is_empty() || p.contains(['.', '['])) {
        // One plain key (the common case): no tokenising.
        m.insert(p.into(), value);
        return true;
    }
    let segs = segments(path);
    let Some((last, init)) = segs.split_last() else {
        *root = value;
        return true;
    };
    let mut cur = root;
    for seg in init {
        if cur.is_null() {
            *cur = Value::Object(Default::default());
        }
        cur = match cur {
            Value::Object(m) => m.entry(seg.clone()).or_insert(Value::Null),
            Value::Array(a) => match seg.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    if cur.is_null() {
        *cur = Value::Object(Default::default());
    }
    match cur {
        Value::Object(m) => {
            m.insert(last.clone(), value);
            true
        }
        Value::Array(a) => match last.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
            Some(v) => {
                *v = value;
                true
            }
            None => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_dollar_paths() {
        let v = json!({"a": {"b": [10, 20]}, "k.x": 1});
        assert_eq!(get(&v, "$.a.b[1]"), Some(&json!(20)));
        assert_eq!(get(&v, "a.b.0"), Some(&json!(10)));
        assert_eq!(get(&v, "$['k.x']"), Some(&json!(1)));
        assert_eq!(get(&v, "$.nope"), None);
    }
}
