//! Finish (dsl-spec §7.1): the graph's result.

use crate::runtime::{Ctx, StepInfo};
use crate::scope::Scope;
use serde_json::Value;

/// Finish (dsl-spec §7.1): a single `outputs` key is unwrapped. With tracked events the
/// envelope is recorded for the step's debug event; nothing else can read it.
pub fn finish(cx: &Ctx, scope: &mut Scope, info: &StepInfo, mapped: Value) -> Value {
    let result = match mapped {
        Value::Object(mut m) if m.len() == 1 && m.contains_key("outputs") => m.remove("outputs").unwrap_or(Value::Null),
        other => other,
    };
    if cx.track_events.is_some() {
        scope.store(info.id, info.envelope_outputs(result.clone()));
    }
    result
}
