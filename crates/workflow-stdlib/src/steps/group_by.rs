//! GroupBy steps (dsl-spec §7.9).

use crate::runtime::StepInfo;
use crate::scope::Scope;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::{json, Map, Value};

/// GroupBy (dsl-spec §7.9): groups by the value at `key` (tokenised path applied as a JSON
/// pointer). Stores `outputs = {groups, counts, total_groups}`.
pub fn group_by(scope: &mut Scope, info: &StepInfo, value: Value, key: &[&str], expected: &[&str]) {
    let items = match value {
        Value::Array(a) => a,
        _ => Vec::new(),
    };
    let mut groups: Map<String, Value> = Map::new();
    for k in expected {
        groups.insert(k.to_string(), Value::Array(Vec::new()));
    }
    for it in items {
        let mut cur = Some(&it);
        for seg in key {
            cur = match cur {
                Some(Value::Object(m)) => m.get(*seg),
                Some(Value::Array(a)) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => None,
            };
        }
        let name = match cur {
            None | Some(Value::Null) => "_null".to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Bool(b)) => b.to_string(),
            Some(other) => crate::value::to_json(other),
        };
        if let Value::Array(a) = groups.entry(name).or_insert_with(|| Value::Array(Vec::new())) {
            a.push(it);
        }
    }
    let counts: Map<String, Value> =
        groups.iter().map(|(k, v)| (k.clone(), Value::from(v.as_array().map_or(0, Vec::len)))).collect();
    let total = groups.len();
    scope.store(info.id, info.envelope_outputs(json!({"groups": groups, "counts": counts, "total_groups": total})));
}
