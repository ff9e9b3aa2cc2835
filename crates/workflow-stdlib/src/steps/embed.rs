//! EmbedWorkflow steps (dsl-spec §7.6): child graphs compiled into the artifact.

use super::{backoff_ms, GraphFn, RETRY_CAP_MS};
use crate::failure::Failure;
use crate::runtime::{Ctx, StepInfo};
use crate::scope::Scope;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::{json, Map, Value};

/// Static EmbedWorkflow settings (dsl-spec §7.6).
#[derive(Debug, Clone, Copy)]
pub struct EmbedCall {
    pub child_workflow_id: &'static str,
    /// The id a workflow published as an agent runs under (its own signal ids name it);
    /// `None` for EmbedWorkflow, whose child runs under its caller's workflow id.
    pub agent_workflow_id: Option<&'static str>,
    /// Retries of retryable child failures (category ≠ permanent).
    pub max_retries: u32,
    /// Base backoff, milliseconds (doubling, capped at 60 000).
    pub retry_delay_ms: u64,
    /// Fields the child's `inputSchema` marks required.
    pub required_inputs: &'static [&'static str],
}

/// EmbedWorkflow (dsl-spec §7.6): checks the child's required inputs, runs the child graph
/// with its own variables and retries retryable failures. Success stores
/// `{…, childWorkflowId, outputs}`; failure is the `CHILD_WORKFLOW_FAILED` envelope with the
/// child's payload under `childError`.
pub fn embed(
    cx: &mut Ctx,
    scope: &mut Scope,
    info: &StepInfo,
    call: &EmbedCall,
    data: Value,
    child: GraphFn,
    child_variables: fn() -> Value,
) -> Result<(), Failure> {
    let missing: Vec<&str> =
        call.required_inputs.iter().copied().filter(|f| data.get(*f).is_none_or(Value::is_null)).collect();
    if !missing.is_empty() {
        let lines: Vec<String> = missing.iter().map(|f| format!("  - {f}")).collect();
        return Err(Failure::msg(format!(
            "EmbedWorkflow step '{}' is missing required inputs for child workflow '{}':\n{}",
            info.id,
            call.child_workflow_id,
            lines.join("\n")
        )));
    }
    let mut vars = match child_variables() {
        Value::Object(m) => m.into_iter().filter(|(k, _)| !k.starts_with('_')).collect(),
        _ => Map::new(),
    };
    for k in ["_workflow_id", "_instance_id", "_tenant_id"] {
        if let Some(v) = scope.variables.get(k) {
            vars.insert(k.into(), v.clone());
        }
    }
    if let Some(own) = call.agent_workflow_id {
        vars.insert("_workflow_id".into(), own.into());
    }
    let indices = scope.variables.get("_loop_indices").and_then(Value::as_array).filter(|a| !a.is_empty());
    let suffix = indices.map(|a| crate::value::to_json(&Value::Array(a.clone()))).unwrap_or_default();
    let prefix = match scope.variables.get("_cache_key_prefix").and_then(Value::as_str) {
        Some(p) => format!("{p}__{}{suffix}", info.id),
        None => {
            let wf = scope.variables.get("_workflow_id").and_then(Value::as_str).unwrap_or("root");
            format!("{wf}::{}{suffix}", info.id)
        }
    };
    vars.insert("_cache_key_prefix".into(), Value::String(prefix.clone()));
    vars.insert("_scope_id".into(), Value::String(prefix));
    let mut attempt: u32 = 0;
    loop {
        let mut child_scope = Scope::new(data.clone(), vars.clone());
        let failure = match child(cx, &mut child_scope) {
            Ok(out) => {
                let mut extra = Map::new();
                extra.insert("childWorkflowId".into(), call.child_workflow_id.into());
                extra.insert("outputs".into(), out);
                scope.store(info.id, info.envelope(extra));
                return Ok(());
            }
            Err(f) if f.fatal => return Err(f),
            Err(f) => f,
        };
        let child_error = match &failure.payload {
            Value::String(s) => serde_json::from_str::<Value>(s).unwrap_or_else(|_| Value::String(s.clone())),
            other => other.clone(),
        };
        let category = child_error.get("category").and_then(Value::as_str).unwrap_or("transient").to_string();
        let severity = child_error.get("severity").and_then(Value::as_str).unwrap_or("error").to_string();
        if category == "permanent" || attempt >= call.max_retries {
            return Err(Failure::structured(json!({
                "stepId": info.id, "stepName": info.display_name(), "stepType": "EmbedWorkflow",
                "code": "CHILD_WORKFLOW_FAILED",
                "message": format!("Child workflow {} failed", call.child_workflow_id),
                "category": category, "severity": severity,
                "childWorkflowId": call.child_workflow_id, "childError": child_error,
            }))
            .at(info.id));
        }
        cx.rt.wait_ms(backoff_ms(call.retry_delay_ms, attempt, RETRY_CAP_MS))?;
        attempt += 1;
    }
}
