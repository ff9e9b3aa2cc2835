//! Agent steps (dsl-spec §7.2): input post-processing, the capability call with retries, the envelope.

use super::backoff_ms;
use crate::agents::CapabilityFn;
use crate::failure::Failure;
use crate::runtime::{Ctx, StepInfo};
use crate::runtime::{Current, Platform};
use crate::scope::Scope;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use serde_json::{json, Value};

/// Static Agent step settings (dsl-spec §7.2).
#[derive(Debug, Clone, Copy)]
pub struct AgentCall {
    pub agent_id: &'static str,
    pub capability_id: &'static str,
    pub max_retries: u32,
    /// Base backoff, milliseconds.
    pub retry_delay_ms: u64,
    /// Injected as input `timeout_ms` when set.
    pub timeout_ms: Option<u64>,
    /// Cap for one backoff sleep and the rate-limit wait budget, milliseconds.
    pub rate_limit_budget_ms: u64,
    /// Required capability inputs, checked before the call.
    pub required: &'static [&'static str],
}

/// Runs an Agent step (dsl-spec §7.2): input post-processing, required-input check, the
/// call with retries and backoff, and the `outputs` envelope. Failure text after retries:
/// `Step <id> failed: Agent <agent>::<capability>: <error JSON>`.
pub fn agent(
    cx: &mut Ctx,
    scope: &mut Scope,
    info: &StepInfo,
    call: &AgentCall,
    input: Value,
    connection: Value,
    capability: CapabilityFn,
) -> Result<(), Failure> {
    let mut input = input;
    resolve_nested(scope, &mut input);
    let mut input = unwrap_immediates(input);
    if let (Some(t), Value::Object(m)) = (call.timeout_ms, &mut input) {
        m.insert("timeout_ms".into(), Value::from(t));
    }
    match (connection, &mut input) {
        (Value::Null, _) => {}
        (Value::String(id), Value::Object(m)) => {
            m.insert("_connection".into(), connection_descriptor(&id));
            m.insert("connection_id".into(), Value::String(id));
        }
        (Value::String(_), _) => {}
        (other, _) => {
            return Err(Failure::msg(format!(
                "Step {}: connectionRef must evaluate to a connection id string or null, got {}",
                info.id,
                crate::value::to_json(&other)
            )))
        }
    }
    check_required(info, call, &input)?;
    let mut attempt: u32 = 1;
    let mut rate_wait: u64 = 0;
    loop {
        let err = match capability(&input) {
            Ok(out) => {
                scope.store(info.id, info.envelope_outputs(out));
                return Ok(());
            }
            Err(e) => e,
        };
        fetch_pending()?;
        let retryable = err.get("retryable") == Some(&Value::Bool(true))
            && err.get("category").and_then(Value::as_str) != Some("permanent");
        let code = err.get("code").and_then(Value::as_str).unwrap_or("");
        let retry_after = err.get("retryAfterMs").and_then(Value::as_u64);
        let again = retryable
            && if code.contains("RATE_LIMITED") {
                rate_wait += retry_after.unwrap_or(call.retry_delay_ms);
                rate_wait <= call.rate_limit_budget_ms
            } else {
                attempt <= call.max_retries
            };
        if !again {
            return Err(Failure::msg(format!(
                "Step {} failed: Agent {}::{}: {}",
                info.id,
                call.agent_id,
                call.capability_id,
                crate::value::to_json(&err)
            )));
        }
        let exp = (attempt + 1).min(call.max_retries + 1).saturating_sub(2);
        let backoff = retry_after.map_or_else(
            || backoff_ms(call.retry_delay_ms, exp, call.rate_limit_budget_ms),
            |ms| ms.min(call.rate_limit_budget_ms),
        );
        cx.rt.wait_ms(backoff)?;
        attempt += 1;
    }
}

/// The `_connection` descriptor of connection `id` (dsl-spec §7.2 step 2; no secrets).
fn connection_descriptor(id: &str) -> Value {
    Current::connection_descriptor(id)
}

/// Agent input pass 1 (dsl-spec §3.6): anywhere inside the evaluated input, an object
/// `{"valueType":"reference","value":"<path>",…}` is resolved against the scope (failure →
/// null) and becomes `{"valueType":"immediate","value":<resolved>}` — except the first
/// argument of a field-comparison operator (`{"op", "arguments"}`) and references inside
/// `{"fn", "arguments"}` objects whose root is not a workflow root.
fn resolve_nested(scope: &Scope, v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.get("valueType").and_then(Value::as_str) == Some("reference") {
                if let Some(Value::String(path)) = m.get("value") {
                    let segments = runtara_path::tokenize(path);
                    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
                    let resolved = match scope.resolve(path, &segs) {
                        crate::scope::Resolved::Found(x) => x,
                        _ => Value::Null,
                    };
                    *v = crate::value::object([("valueType", "immediate".into()), ("value", resolved)]);
                    return;
                }
            }
            let (is_op, is_fn) = (m.contains_key("op"), m.contains_key("fn"));
            for (k, child) in m.iter_mut() {
                match (k.as_str(), child) {
                    ("arguments", Value::Array(args)) if is_op || is_fn => {
                        for (i, a) in args.iter_mut().enumerate() {
                            let keep = (is_op && i == 0) || (is_fn && foreign_reference(a));
                            if !keep {
                                resolve_nested(scope, a);
                            }
                        }
                    }
                    (_, child) => resolve_nested(scope, child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|x| resolve_nested(scope, x)),
        _ => {}
    }
}

/// A reference object whose path root is not a workflow root (dsl-spec §3.6).
fn foreign_reference(v: &Value) -> bool {
    match (v.get("valueType").and_then(Value::as_str), v.get("value").and_then(Value::as_str)) {
        (Some("reference"), Some(path)) => {
            runtara_path::tokenize(path).first().is_none_or(|r| !runtara_protocol::roots::is_root(r))
        }
        _ => false,
    }
}

/// In browsers and Node a network call cannot wait: when one is waiting for its fetch, the
/// run stops with the fatal `FETCH_PENDING` failure and the entry runs it again once the
/// response is in (see `runtara_sdk::net`). Elsewhere: always `Ok`.
pub fn fetch_pending() -> Result<(), Failure> {
    if Current::fetch_pending() {
        return Err(Failure::fatal(
            json!({"code": "FETCH_PENDING", "message": "waiting for a fetch", "category": "lifecycle", "severity": "info"}),
        ));
    }
    Ok(())
}

/// Top-level fields `{"valueType":"immediate","value":v}` become `v` (dsl-spec §3.6).
fn unwrap_immediates(input: Value) -> Value {
    let is_immediate = |v: &Value| v.get("valueType").and_then(Value::as_str) == Some("immediate");
    match input {
        // The common case has nothing to unwrap: keep the map instead of rebuilding it.
        Value::Object(m) if !m.values().any(is_immediate) => Value::Object(m),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::Object(mut o) if o.get("valueType").and_then(Value::as_str) == Some("immediate") => {
                            o.remove("value").unwrap_or(Value::Null)
                        }
                        other => other,
                    };
                    (k, v)
                })
                .collect(),
        ),
        other => other,
    }
}

fn check_required(info: &StepInfo, call: &AgentCall, input: &Value) -> Result<(), Failure> {
    let mut missing = Vec::new();
    let mut code = "STEP_REQUIRED_INPUT_NULL";
    for field in call.required {
        match input.get(*field) {
            None => {
                code = "STEP_REQUIRED_INPUT_MISSING";
                missing.push(json!({"field": field, "reason": "missing", "code": "STEP_REQUIRED_INPUT_MISSING"}));
            }
            Some(Value::Null) => {
                missing.push(json!({"field": field, "reason": "null", "code": "STEP_REQUIRED_INPUT_NULL"}));
            }
            Some(_) => {}
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = missing.iter().filter_map(|m| m["field"].as_str()).collect();
    Err(Failure::structured(json!({
        "code": code,
        "message": format!("Step {} is missing required input(s): {}", info.id, names.join(", ")),
        "category": "permanent", "severity": "error",
        "stepId": info.id, "stepName": info.display_name(), "stepType": "Agent",
        "agentId": call.agent_id, "capabilityId": call.capability_id,
        "missingInputs": missing,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    #[test]
    fn references_inside_agent_inputs_are_resolved_except_fields_and_foreign_roots() {
        let mut vars = Map::new();
        vars.insert("limit".into(), json!(5));
        let scope = Scope::new(json!({"sku": "A-1"}), vars);
        let mut input = json!({
            "condition": {"op": "EQ", "arguments": [
                {"valueType": "reference", "value": "sku"},
                {"valueType": "reference", "value": "data.sku"}]},
            "score": {"fn": "SIMILARITY", "arguments": [
                {"valueType": "reference", "value": "embedding"},
                {"valueType": "reference", "value": "variables.limit"}]},
            "deep": [{"x": {"valueType": "reference", "value": "data.missing"}}],
        });
        resolve_nested(&scope, &mut input);
        assert_eq!(
            input,
            json!({
                "condition": {"op": "EQ", "arguments": [
                    {"valueType": "reference", "value": "sku"},
                    {"valueType": "immediate", "value": "A-1"}]},
                "score": {"fn": "SIMILARITY", "arguments": [
                    {"valueType": "reference", "value": "embedding"},
                    {"valueType": "immediate", "value": 5}]},
                "deep": [{"x": {"valueType": "immediate", "value": null}}],
            })
        );
    }
}
