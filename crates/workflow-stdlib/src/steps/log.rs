//! Log steps (dsl-spec §7.10).

use crate::runtime::{scope_ids, Ctx, StepInfo};
use crate::scope::Scope;
use serde_json::{json, Value};

/// Log (dsl-spec §7.10): emits `workflow_log` and stores `outputs = {level, message}`.
pub fn log(cx: &mut Ctx, scope: &mut Scope, info: &StepInfo, level: &str, message: &str, context: Value) {
    let (scope_id, parent, indices) = scope_ids(scope);
    let ts = cx.rt.now_ms();
    cx.emit(
        "workflow_log",
        json!({
            "step_id": info.id, "step_name": info.display_name(), "step_type": "Log",
            "level": level, "message": message, "context": context,
            "scope_id": scope_id, "parent_scope_id": parent, "loop_indices": indices,
            "timestamp_ms": ts,
        }),
    );
    scope.store(info.id, info.envelope_outputs(json!({"level": level, "message": message})));
}
