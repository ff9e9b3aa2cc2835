//! Filter steps (dsl-spec §7.8).

use crate::failure::Failure;
use crate::runtime::StepInfo;
use crate::scope::Scope;
use alloc::vec::Vec;
use serde_json::{json, Value};

/// Filter (dsl-spec §7.8): keeps elements for which `keep` is true with `item` bound;
/// a non-array value is `[]`. Stores `outputs = {items, count}`.
pub fn filter(
    scope: &mut Scope,
    info: &StepInfo,
    value: Value,
    keep: impl Fn(&Scope) -> Result<bool, Failure>,
) -> Result<(), Failure> {
    let items = match value {
        Value::Array(a) => a,
        _ => Vec::new(),
    };
    let saved = scope.bindings.remove("item");
    let mut kept = Vec::new();
    let mut result = Ok(());
    for it in items {
        scope.bindings.insert("item".into(), it.clone());
        match keep(scope) {
            Ok(true) => kept.push(it),
            Ok(false) => {}
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    scope.bindings.remove("item");
    if let Some(s) = saved {
        scope.bindings.insert("item".into(), s);
    }
    result?;
    let count = kept.len();
    scope.store(info.id, info.envelope_outputs(json!({"items": kept, "count": count})));
    Ok(())
}
