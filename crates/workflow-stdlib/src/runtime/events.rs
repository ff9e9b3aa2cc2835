//! Step debug events (`--track-events`, dsl-spec §8.11): `step_debug_start` and
//! `step_debug_end`, reached only through [`TRACK_EVENTS`] so artifacts that do not track
//! events do not link them.

use serde_json::{json, Value};

use super::Ctx;
use crate::failure::Failure;
use crate::scope::Scope;

/// `step_debug_end` of a graph step that succeeded (its envelope's outputs) or failed
/// (`{_error: true, error}`); none for a yield: the step runs again once the host has
/// waited, and its end comes then.
fn step_end(cx: &mut Ctx, scope: &Scope, step: &DebugStep<'_>, started: u64, failure: Option<&Failure>) {
    let outputs = match failure {
        None => scope.steps.get(step.id).cloned().unwrap_or(Value::Null),
        Some(f) if f.is_yield() => return,
        Some(f) => crate::value::object([("_error", Value::Bool(true)), ("error", f.text().into())]),
    };
    debug_end(cx, scope, step, started, outputs);
}

/// The step debug events of `--track-events` (dsl-spec §8.11), reached through this table
/// only: generated code names [`TRACK_EVENTS`] in its `WorkflowMeta` when the workflow
/// tracks events, so an artifact without them does not link the event code (issue 18).
pub struct EventTracker {
    /// [`debug_start`].
    pub start: fn(&mut Ctx, &Scope, &DebugStep<'_>, u64, Option<&str>),
    /// [`debug_end`].
    pub end: fn(&mut Ctx, &Scope, &DebugStep<'_>, u64, Value),
    /// The end of a graph step, given its failure if it failed.
    pub step_end: fn(&mut Ctx, &Scope, &DebugStep<'_>, u64, Option<&Failure>),
}

/// The event code, for `WorkflowMeta::track_events`.
pub static TRACK_EVENTS: EventTracker = EventTracker { start: debug_start, end: debug_end, step_end };

/// What `step_debug_start`/`step_debug_end` name: a step of the graph, or a synthetic step
/// such as an AiAgent tool call (`<ai>.tool.<name>.<n>`, dsl-spec §8.11).
#[derive(Debug, Clone, Copy)]
pub struct DebugStep<'a> {
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub step_type: &'a str,
}

/// Emits `step_debug_start` at `now` (ms); `input_mapping` is the authored mapping JSON.
pub fn debug_start(cx: &mut Ctx, scope: &Scope, step: &DebugStep<'_>, now: u64, input_mapping: Option<&str>) {
    let (scope_id, parent, indices) = scope_ids(scope);
    let mut ev = json!({
        "step_id": step.id, "step_name": step.name, "step_type": step.step_type,
        "scope_id": scope_id, "parent_scope_id": parent, "loop_indices": indices,
        "timestamp_ms": now,
    });
    if step.step_type == "Finish" {
        ev["inputs"] = json!({"finishing": true});
    }
    if let Some(m) = input_mapping {
        ev["input_mapping"] = serde_json::from_str(m).unwrap_or(Value::Null);
    }
    cx.emit("step_debug_start", ev);
}

/// Emits `step_debug_end` for a step started at `started` (ms) with its `outputs`.
pub fn debug_end(cx: &mut Ctx, scope: &Scope, step: &DebugStep<'_>, started: u64, outputs: Value) {
    let (scope_id, parent, indices) = scope_ids(scope);
    let now = cx.rt.now_ms();
    cx.emit(
        "step_debug_end",
        json!({
            "step_id": step.id, "step_name": step.name, "step_type": step.step_type,
            "scope_id": scope_id, "parent_scope_id": parent, "loop_indices": indices,
            "timestamp_ms": now, "duration_ms": now.saturating_sub(started), "outputs": outputs,
        }),
    );
}

/// `(scope_id, parent_scope_id, loop_indices)` from the built-in variables.
pub fn scope_ids(scope: &Scope) -> (Value, Value, Value) {
    let get = |k: &str| scope.variables.get(k).cloned().unwrap_or(Value::Null);
    let indices = scope.variables.get("_loop_indices").cloned().unwrap_or_else(|| json!([]));
    (get("_scope_id"), get("_parent_scope_id"), indices)
}
