//! While steps (dsl-spec §7.5).

use super::GraphFn;
use crate::failure::Failure;
use crate::runtime::{Ctx, StepInfo};
use crate::scope::Scope;
use alloc::format;
use serde_json::{json, Value};

/// Static While settings (dsl-spec §7.5).
#[derive(Debug, Clone, Copy)]
pub struct WhileConfig {
    /// Default 10; 0 means the body never runs.
    pub max_iterations: u32,
    /// Milliseconds; checked before each iteration.
    pub timeout_ms: Option<u64>,
}

/// While (dsl-spec §7.5): evaluates `condition` against the parent scope with `loop` and
/// `iteration` bound, runs `body` until it is false or `max_iterations` is reached. Stores
/// `outputs = {iterations, outputs}`.
pub fn while_loop(
    cx: &mut Ctx,
    scope: &mut Scope,
    info: &StepInfo,
    cfg: &WhileConfig,
    variables: Value,
    condition: impl Fn(&Scope) -> Result<bool, Failure>,
    body: GraphFn,
) -> Result<(), Failure> {
    let started = cx.rt.started_ms();
    let parent_indices = scope.variables.get("_loop_indices").and_then(Value::as_array).cloned().unwrap_or_default();
    let parent_item = scope.item().cloned();
    let parent_scope_id = scope.variables.get("_scope_id").cloned();
    let mut index: u32 = 0;
    let mut outputs = Value::Null;
    while index < cfg.max_iterations {
        if let Some(t) = cfg.timeout_ms.filter(|t| *t > 0) {
            if cx.rt.now_ms() >= started + t {
                return Err(Failure::structured(json!({
                    "code": "WHILE_TIMEOUT", "message": "While step exceeded its configured timeout",
                    "category": "timeout", "severity": "error"})));
            }
        }
        let mut indices = parent_indices.clone();
        indices.push(Value::from(index));
        let loop_obj = json!({"index": index, "outputs": outputs});
        let saved = (scope.bindings.remove("loop"), scope.bindings.remove("iteration"));
        scope.bindings.insert("loop".into(), loop_obj.clone());
        scope.bindings.insert(
            "iteration".into(),
            json!({"index": index, "indices": indices, "item": parent_item.clone().unwrap_or(Value::Null)}),
        );
        let go = condition(scope);
        scope.bindings.remove("loop");
        scope.bindings.remove("iteration");
        if let Some(v) = saved.0 {
            scope.bindings.insert("loop".into(), v);
        }
        if let Some(v) = saved.1 {
            scope.bindings.insert("iteration".into(), v);
        }
        if !go? {
            break;
        }
        let mut vars = scope.variables.clone();
        if let Value::Object(extra) = &variables {
            vars.extend(extra.clone());
        }
        match &parent_item {
            Some(it) => vars.insert("_item".into(), it.clone()),
            None => vars.remove("_item"),
        };
        vars.insert("_loop_indices".into(), Value::Array(indices));
        vars.insert("_index".into(), Value::from(index));
        if outputs.is_null() {
            vars.remove("_previousOutputs");
        } else {
            vars.insert("_previousOutputs".into(), outputs.clone());
        }
        vars.insert("_loop".into(), loop_obj);
        let scope_id = match &parent_scope_id {
            Some(Value::String(p)) => format!("{p}_{}_{index}", info.id),
            _ => format!("sc_{}_{index}", info.id),
        };
        vars.insert("_scope_id".into(), Value::String(scope_id));
        let mut child = Scope::new(scope.data.clone(), vars);
        outputs = body(cx, &mut child)?;
        index += 1;
    }
    scope.store(info.id, info.envelope_outputs(json!({"iterations": index, "outputs": outputs})));
    Ok(())
}
