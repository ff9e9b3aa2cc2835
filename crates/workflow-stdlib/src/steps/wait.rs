//! WaitForSignal steps (dsl-spec §7.13) and the custom-signal protocol.

use super::GraphFn;
use crate::failure::Failure;
use crate::runtime::{Ctx, StepInfo};
use crate::scope::Scope;
use alloc::format;
use alloc::string::String;
use serde_json::{json, Map, Value};

/// Static WaitForSignal settings (dsl-spec §7.13).
#[derive(Debug, Clone, Copy)]
pub struct WaitConfig {
    /// Milliseconds between polls (default 1000).
    pub poll_interval_ms: u64,
    /// `action.key`, when non-blank.
    pub action_key: Option<&'static str>,
    /// `responseSchema` as JSON text (informational), when given.
    pub response_schema: Option<&'static str>,
}

/// WaitForSignal (dsl-spec §7.13): emits `external_input_requested`, runs `on_wait` once,
/// then polls the state store for the custom signal
/// `<instance>/<workflow>/<step>[/[i,j]]` until it arrives (envelope `{…, signal_id,
/// outputs: payload}`) or `timeout` passes (`WAIT_TIMEOUT`, routable to onError). A run
/// whose store cannot receive signals waits out the timeout, or fails at once when there
/// is none.
#[allow(clippy::too_many_arguments)]
pub fn wait_for_signal(
    cx: &mut Ctx,
    scope: &mut Scope,
    info: &StepInfo,
    cfg: &WaitConfig,
    timeout: Value,
    correlation: Value,
    context: Value,
    on_wait: Option<GraphFn>,
) -> Result<(), Failure> {
    let timeout_ms = match &timeout {
        Value::Null => None,
        Value::Number(n) => Some(n.as_u64().unwrap_or_else(|| n.as_f64().map_or(0, |f| f.max(0.0) as u64))),
        other => {
            return Err(Failure::msg(format!(
                "WaitForSignal step '{}': timeoutMs must be a number, got: {}",
                info.id,
                crate::value::to_json(other)
            )))
        }
    };
    let signal_id = signal_id(scope, info.id);
    let schema = cfg.response_schema.map(crate::mapping::lit).unwrap_or(Value::Null);
    cx.emit(
        "external_input_requested",
        json!({
            "type": "external_input_requested", "signal_id": signal_id, "step_id": info.id,
            "step_name": info.display_name(), "response_schema": schema, "action_key": cfg.action_key,
            "correlation": correlation, "context": context,
        }),
    );
    if let Some(graph) = on_wait {
        let mut vars = scope.variables.clone();
        vars.insert("_signal_id".into(), Value::String(signal_id.clone()));
        let mut wait_scope = scope.with_variables(vars);
        if let Err(f) = graph(cx, &mut wait_scope) {
            let mut failure = Failure::msg(format!("WaitForSignal step '{}' on_wait failed: {}", info.id, f.text()));
            failure.fatal = true;
            return Err(failure);
        }
    }
    let payload = await_signal(cx, info.id, &signal_id, cfg.poll_interval_ms, timeout_ms)?;
    let mut extra = Map::new();
    extra.insert("signal_id".into(), Value::String(signal_id));
    extra.insert("outputs".into(), payload);
    scope.store(info.id, info.envelope(extra));
    Ok(())
}

/// The custom-signal id of `step` (a step id, or a synthetic one such as an AiAgent tool
/// call): `<instance>/<workflow>/<[child prefix::]step>[/[i,j]]` (dsl-spec §7.13).
pub fn signal_id(scope: &Scope, step: &str) -> String {
    let var = |k: &str| scope.variables.get(k).and_then(Value::as_str).map(String::from);
    let instance = var("_instance_id").unwrap_or_else(|| "unknown".into());
    let step_part = match var("_cache_key_prefix") {
        Some(p) => format!("{p}::{step}"),
        None => String::from(step),
    };
    let mut id = format!("{instance}/{}/{step_part}", var("_workflow_id").unwrap_or_else(|| "root".into()));
    if let Some(ix) = scope.variables.get("_loop_indices").and_then(Value::as_array).filter(|a| !a.is_empty()) {
        id.push('/');
        id.push_str(&crate::value::to_json(&Value::Array(ix.clone())));
    }
    id
}

/// Polls the state store every `poll_ms` for custom signal `signal_id` and returns its
/// payload (JSON text parsed, else the string), or fails with `WAIT_TIMEOUT` after
/// `timeout_ms`. `step` names the waiting step in messages.
pub fn await_signal(
    cx: &mut Ctx,
    step: &str,
    signal_id: &str,
    poll_ms: u64,
    timeout_ms: Option<u64>,
) -> Result<Value, Failure> {
    if !cx.backend.receives_signals() && timeout_ms.is_none() {
        return Err(Failure::msg(format!(
            "WaitForSignal step '{step}' waits for signal '{signal_id}', but this run has no state store that can receive it; run it with a state store (runtara run --state-dir DIR)"
        )));
    }
    // A run that leaves its worker while it waits is run again from the top, so the
    // timeout's deadline is checkpointed: every relaunch counts from the first start.
    let yielding = cx.rt.yield_after_ms().is_some() && cx.backend.persists();
    let started = cx.rt.started_ms();
    let deadline = match timeout_ms {
        Some(t) if yielding => Some(durable_deadline(cx, signal_id, started.saturating_add(t))?),
        Some(t) => Some(started.saturating_add(t)),
        None => None,
    };
    loop {
        let payload = cx
            .backend
            .custom_signal(signal_id)
            .map_err(|e| Failure::msg(format!("signal store failed for '{signal_id}': {}", e.0)))?;
        if let Some(p) = payload {
            return Ok(match p {
                Value::String(s) => serde_json::from_str(&s).unwrap_or(Value::String(s)),
                other => other,
            });
        }
        let now = cx.rt.now_ms();
        if let (Some(t), Some(_)) = (timeout_ms, deadline.filter(|d| now >= *d)) {
            return Err(Failure::structured(json!({
                "code": "WAIT_TIMEOUT",
                "message": format!("WaitForSignal step '{step}' timed out after {t}ms waiting for signal '{signal_id}'"),
                "category": "timeout", "severity": "error",
            })));
        }
        if yielding {
            let store_failed =
                |e: runtara_sdk::SdkError| Failure::msg(format!("signal store failed for '{signal_id}': {}", e.0));
            if let Some(d) = deadline {
                cx.backend.sleeping(d).map_err(store_failed)?;
            }
            cx.backend.report("waiting", &Value::Null).map_err(store_failed)?;
            return Err(Failure::yielded("WAITING", deadline, Some(signal_id)));
        }
        // A paused or cancelled instance stops waiting; a resumed run waits again.
        crate::runtime::honour_lifecycle(cx).map_err(|f| f.at(step))?;
        let left = deadline.map_or(u64::MAX, |d| d - now);
        cx.rt.wait_ms(poll_ms.max(1).min(left))?;
    }
}

/// The wait's deadline as first checkpointed (`<signal id>::wait`), or `deadline` on the
/// first run.
fn durable_deadline(cx: &mut Ctx, signal_id: &str, deadline: u64) -> Result<u64, Failure> {
    let id = format!("{signal_id}::wait");
    let stored = cx
        .backend
        .checkpoint(&id, &json!({ "deadline_ms": deadline }))
        .map_err(|e| crate::runtime::store_failure(&id, e))?;
    Ok(stored.as_ref().and_then(|v| v["deadline_ms"].as_u64()).unwrap_or(deadline))
}
