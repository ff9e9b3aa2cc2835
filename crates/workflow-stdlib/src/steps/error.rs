//! Error steps (dsl-spec §7.11): the structured failure they raise.

use crate::failure::Failure;
use crate::runtime::{Ctx, StepInfo};
use serde_json::{json, Value};

/// Error (dsl-spec §7.11): emits `workflow_error` and returns the failure payload
/// `{stepId, stepName, category, code, message, severity, context}`.
pub fn error(
    cx: &mut Ctx,
    info: &StepInfo,
    category: &str,
    code: &str,
    message: &str,
    severity: &str,
    context: Value,
) -> Failure {
    let ts = cx.rt.now_ms();
    cx.emit(
        "workflow_error",
        json!({
            "step_id": info.id, "step_name": info.display_name(), "category": category,
            "code": code, "message": message, "severity": severity, "context": context,
            "timestamp_ms": ts,
        }),
    );
    Failure::structured(json!({
        "stepId": info.id, "stepName": info.display_name(), "category": category, "code": code,
        "message": message, "severity": severity, "context": context,
    }))
    .at(info.id)
}
