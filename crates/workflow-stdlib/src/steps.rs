//! Step semantics and envelopes (dsl-spec §7). Generated code evaluates a step's mappings
//! and hands the values to these functions.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::{json, Map, Value};

use crate::agents::CapabilityFn;
use crate::cond;
use crate::failure::Failure;
use crate::runtime::{scope_ids, Ctx, StepInfo};
use crate::scope::Scope;

/// Finish (dsl-spec §7.1): a single `outputs` key is unwrapped. With tracked events the
/// envelope is recorded for the step's debug event; nothing else can read it.
pub fn finish(cx: &Ctx, scope: &mut Scope, info: &StepInfo, mapped: Value) -> Value {
    let result = match mapped {
        Value::Object(mut m) if m.len() == 1 && m.contains_key("outputs") => m.remove("outputs").unwrap_or(Value::Null),
        other => other,
    };
    if cx.track_events {
        scope.store(info.id, info.envelope_outputs(result.clone()));
    }
    result
}

/// Cap of one Split/EmbedWorkflow retry backoff, milliseconds (dsl-spec §8.8).
const RETRY_CAP_MS: u64 = 60_000;

/// Exponential backoff: `base × 2^doublings`, capped at `cap` milliseconds (dsl-spec §8.8).
fn backoff_ms(base: u64, doublings: u32, cap: u64) -> u64 {
    base.saturating_mul(1u64 << doublings.min(32)).min(cap)
}

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
        cx.rt.sleep_ms(backoff);
        attempt += 1;
    }
}

/// The `_connection` descriptor of connection `id` (dsl-spec §7.2 step 2; no secrets).
fn connection_descriptor(id: &str) -> Value {
    #[cfg(feature = "std")]
    return crate::agents::connections::descriptor(id);
    #[cfg(not(feature = "std"))]
    json!({"connection_id": id, "integration_id": null, "parameters": {}})
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
                    *v = json!({"valueType": "immediate", "value": resolved});
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
    const ROOTS: [&str; 7] = ["data", "variables", "workflow", "steps", "loop", "item", "iteration"];
    match (v.get("valueType").and_then(Value::as_str), v.get("value").and_then(Value::as_str)) {
        (Some("reference"), Some(path)) => {
            runtara_path::tokenize(path).first().is_none_or(|r| !ROOTS.contains(&r.as_str()))
        }
        _ => false,
    }
}

/// In browsers and Node a network call cannot wait: when one is waiting for its fetch, the
/// run stops with the fatal `FETCH_PENDING` failure and the entry runs it again once the
/// response is in (see `runtara_sdk::net`). Elsewhere: always `Ok`.
pub fn fetch_pending() -> Result<(), Failure> {
    #[cfg(feature = "wasm-js")]
    if runtara_sdk::net::fetch_pending() {
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

/// Switch match types (dsl-spec §7.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchType {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Ne,
    StartsWith,
    EndsWith,
    Contains,
    In,
    NotIn,
    IsDefined,
    IsEmpty,
    IsNotEmpty,
    Between,
    Range,
}

/// One Switch case with its literal `match` and `output` JSON.
pub struct SwitchCase {
    pub match_type: MatchType,
    pub match_value: Value,
    pub output: Value,
    pub route: Option<&'static str>,
}

/// Whether a case matches the switch value `v` (dsl-spec §7.7).
pub fn case_matches(case: &SwitchCase, v: &Value) -> bool {
    let m = &case.match_value;
    match case.match_type {
        MatchType::Gt => cond::gt(v, m),
        MatchType::Gte => cond::gte(v, m),
        MatchType::Lt => cond::lt(v, m),
        MatchType::Lte => cond::lte(v, m),
        MatchType::Eq if m.is_array() => cond::is_in(v, m),
        MatchType::Eq => cond::eq(v, m),
        MatchType::Ne => cond::ne(v, m),
        MatchType::StartsWith => cond::starts_with(v, m),
        MatchType::EndsWith => cond::ends_with(v, m),
        MatchType::Contains => cond::contains(v, m),
        MatchType::In => cond::is_in(v, m),
        MatchType::NotIn => cond::not_in(v, m),
        MatchType::IsDefined => cond::is_defined(v),
        MatchType::IsEmpty => cond::is_empty(v),
        MatchType::IsNotEmpty => cond::is_not_empty(v),
        MatchType::Between => match m.as_array() {
            Some(b) if b.len() >= 2 => cond::gte(v, &b[0]) && cond::lte(v, &b[1]),
            _ => false,
        },
        MatchType::Range => match m.as_object() {
            Some(o) => {
                let check = |k: &str, f: fn(&Value, &Value) -> bool| o.get(k).is_none_or(|b| f(v, b));
                check("gte", cond::gte) && check("gt", cond::gt) && check("lte", cond::lte) && check("lt", cond::lt)
            }
            None => true,
        },
    }
}

/// Switch (dsl-spec §7.7): the first matching case wins, else `default` (or `{}`) with route
/// `"default"`. Stores the envelope (with `route` for routing switches) and returns the route.
pub fn switch(
    scope: &mut Scope,
    info: &StepInfo,
    value: Value,
    cases: &[SwitchCase],
    default: Value,
    routing: bool,
) -> &'static str {
    let (output, route) = match cases.iter().find(|c| case_matches(c, &value)) {
        Some(c) => (c.output.clone(), c.route.unwrap_or("default")),
        None => (default, "default"),
    };
    let output = resolve_switch_output(scope, output);
    let mut extra = Map::new();
    extra.insert("outputs".into(), output);
    if routing {
        extra.insert("route".into(), route.into());
    }
    scope.store(info.id, info.envelope(extra));
    route
}

/// Switch output processing: `{valueType, value}` objects resolve (references by a plain
/// dot walk with negative indices, no defaults); everything else is kept (dsl-spec §7.7).
fn resolve_switch_output(scope: &Scope, v: Value) -> Value {
    match v {
        Value::Object(m) if m.contains_key("valueType") && m.contains_key("value") => {
            match m.get("valueType").and_then(Value::as_str) {
                Some("reference") => {
                    let path = m.get("value").and_then(Value::as_str).unwrap_or("");
                    let segs: Vec<&str> = path.split('.').filter(|s| !s.is_empty()).collect();
                    match scope.resolve(path, &segs) {
                        crate::scope::Resolved::Found(v) => v,
                        _ => Value::Null,
                    }
                }
                Some("immediate") => m.get("value").cloned().unwrap_or(Value::Null),
                _ => Value::Object(m.into_iter().map(|(k, v)| (k, resolve_switch_output(scope, v))).collect()),
            }
        }
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, resolve_switch_output(scope, v))).collect()),
        Value::Array(a) => Value::Array(a.into_iter().map(|v| resolve_switch_output(scope, v)).collect()),
        other => other,
    }
}

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

/// Delay (dsl-spec §7.12): the duration must be a number (floats truncate, negatives are 0).
/// Stores `{…, duration_ms}` (no `outputs`). In a durable step the deadline is
/// checkpointed first (`<checkpoint id>::sleep`), so a process killed during the sleep and
/// relaunched sleeps only for what is left — or not at all once the deadline has passed.
pub fn delay(cx: &mut Ctx, scope: &mut Scope, info: &StepInfo, duration: Value) -> Result<(), Failure> {
    let ms = match &duration {
        Value::Number(n) => n.as_u64().unwrap_or_else(|| n.as_f64().map_or(0, |f| f.max(0.0) as u64)),
        other => {
            return Err(Failure::msg(format!(
                "Delay step '{}': duration_ms must be a number, got: {}",
                info.id,
                crate::value::to_json(other)
            )))
        }
    };
    let now = cx.rt.now_ms();
    let mut deadline = now.saturating_add(ms);
    if info.durable {
        let id = format!("{}::sleep", crate::runtime::checkpoint_id(scope, info.id));
        let stored = cx
            .backend
            .checkpoint(&id, &json!({ "deadline_ms": deadline }))
            .map_err(|e| crate::runtime::store_failure(&id, e))?;
        if let Some(d) = stored.as_ref().and_then(|v| v["deadline_ms"].as_u64()) {
            deadline = d;
        }
        if deadline > now {
            cx.backend.sleeping(deadline).map_err(|e| crate::runtime::store_failure(&id, e))?;
        }
    }
    cx.rt.sleep_until(deadline, info.durable && cx.backend.persists())?;
    if info.durable && deadline > now {
        // Awake again: the instance is running (its status said `sleeping`).
        cx.backend.register().map_err(|e| crate::runtime::store_failure(info.id, e))?;
    }
    let mut extra = Map::new();
    extra.insert("duration_ms".into(), Value::from(ms));
    scope.store(info.id, info.envelope(extra));
    Ok(())
}

/// Routes a failure to an onError handler (dsl-spec §8.6): the error object goes to
/// `steps.__error`, `steps.error` and the roots `__error`, `error`. Returns false for fatal
/// failures, which no handler may catch.
pub fn enter_error(scope: &mut Scope, failure: &Failure, owner: &str) -> bool {
    if failure.fatal {
        return false;
    }
    let obj = failure.error_object(owner);
    scope.steps.insert("__error".into(), obj.clone());
    scope.steps.insert("error".into(), obj.clone());
    scope.bindings.insert("__error".into(), obj.clone());
    scope.bindings.insert("error".into(), obj);
    true
}

/// A graph-level body: Split/While subgraphs are compiled to functions of this type.
pub type GraphFn = fn(&mut Ctx, &mut Scope) -> Result<Value, Failure>;

/// Static Split settings (dsl-spec §7.4).
#[derive(Debug, Clone, Copy, Default)]
pub struct SplitConfig {
    pub dont_stop_on_failed: bool,
    pub allow_null: bool,
    pub convert_single_value: bool,
    pub batch_size: usize,
    /// Wall-clock budget for the whole Split, milliseconds.
    pub timeout_ms: Option<u64>,
    /// Re-runs of the whole Split after a retryable failure.
    pub max_retries: u32,
    /// Base backoff between re-runs, milliseconds (doubling, capped at 60 000).
    pub retry_delay_ms: u64,
    /// Items run at once (native threads); `Some(0)` = as many as the machine has cores.
    pub parallelism: Option<u32>,
    /// `(field, type, required)` of the step's `inputSchema`.
    pub input_schema: &'static [(&'static str, &'static str, bool)],
    /// `(field, type, required)` of the step's `outputSchema`.
    pub output_schema: &'static [(&'static str, &'static str, bool)],
}

/// Split (dsl-spec §7.4): runs `body` once per item with the per-item scope and stores the
/// results in item order; re-runs the whole Split on retryable failures (`maxRetries`).
pub fn split(
    cx: &mut Ctx,
    scope: &mut Scope,
    info: &StepInfo,
    cfg: &SplitConfig,
    value: Value,
    variables: Value,
    body: GraphFn,
) -> Result<(), Failure> {
    let mut items = Some(split_items(info, cfg, value)?);
    let mut attempt: u32 = 0;
    loop {
        // Only a run that may be retried needs its own copy of the items.
        let last = attempt >= cfg.max_retries;
        let batch = if last { items.take().unwrap_or_default() } else { items.clone().unwrap_or_default() };
        match split_once(cx, scope, info, cfg, batch, variables.clone(), body) {
            Err(f) if !last && f.is_retryable() => {
                cx.rt.sleep_ms(backoff_ms(cfg.retry_delay_ms, attempt, RETRY_CAP_MS));
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// The collection to iterate: null/single-value rules and batching (dsl-spec §7.4 steps 1–2).
fn split_items(info: &StepInfo, cfg: &SplitConfig, value: Value) -> Result<Vec<Value>, Failure> {
    let items = match value {
        Value::Array(a) => a,
        Value::Null if cfg.allow_null => Vec::new(),
        Value::Null => {
            return Err(Failure::msg(format!(
                "Split step '{}' received null value. Set 'allowNull: true' to treat null as an empty collection",
                info.id
            )))
        }
        other if cfg.convert_single_value => alloc::vec![other],
        other => {
            return Err(Failure::msg(format!(
                "Split step '{}' expected array, got {}. Set 'convertSingleValue: true' or use transform/ensure-array",
                info.id,
                crate::value::type_name(&other)
            )))
        }
    };
    Ok(if cfg.batch_size > 0 {
        items.chunks(cfg.batch_size).map(|c| Value::Array(c.to_vec())).collect()
    } else {
        items
    })
}

fn split_once(
    cx: &mut Ctx,
    scope: &mut Scope,
    info: &StepInfo,
    cfg: &SplitConfig,
    items: Vec<Value>,
    variables: Value,
    body: GraphFn,
) -> Result<(), Failure> {
    let started = cx.rt.now_ms();
    let parent_indices = scope.variables.get("_loop_indices").and_then(Value::as_array).cloned().unwrap_or_default();
    let parent_scope_id = scope.variables.get("_scope_id").cloned();
    // Everything but the per-item entries is the same for every iteration: build it once.
    let mut base = scope.variables.clone();
    if let Value::Object(extra) = variables {
        base.extend(extra);
    }
    match &parent_scope_id {
        Some(p) => base.insert("_parent_scope_id".into(), p.clone()),
        None => base.remove("_parent_scope_id"),
    };
    let cfg = *cfg;
    let info = *info;
    let tasks = items.into_iter().enumerate().map(|(i, item)| {
        let mut vars = base.clone();
        let mut indices = parent_indices.clone();
        indices.push(Value::from(i));
        let scope_id = match &parent_scope_id {
            Some(Value::String(p)) => format!("{p}_{}_{i}", info.id),
            _ => format!("sc_{}_{i}", info.id),
        };
        vars.insert("_loop_indices".into(), Value::Array(indices));
        vars.insert("_index".into(), Value::from(i));
        vars.insert("_item".into(), item.clone());
        vars.insert("_scope_id".into(), Value::String(scope_id));
        let task: crate::runtime::Task = alloc::boxed::Box::new(move |cx: &mut Ctx| {
            if let Some(t) = cfg.timeout_ms.filter(|t| *t > 0) {
                if cx.rt.now_ms() >= started + t {
                    return Err(Failure::fatal(json!({
                            "code": "SPLIT_TIMEOUT", "message": "Split step exceeded its configured timeout",
                            "category": "timeout", "severity": "error"})));
                }
            }
            check_schema(&info, i, "input", cfg.input_schema, &item)?;
            let mut child = Scope::new(item, vars);
            let out = body(cx, &mut child)?;
            check_schema(&info, i, "output", cfg.output_schema, &out)?;
            Ok(out)
        });
        task
    });
    let window = match cfg.parallelism {
        Some(0) => usize::MAX,
        Some(n) => n as usize,
        None => 1,
    };
    let results = cx.execute_parallel(window, tasks, !cfg.dont_stop_on_failed);
    let (mut ok, mut errors) = (Vec::new(), Vec::new());
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Ok(v) => ok.push(v),
            Err(f) if cfg.dont_stop_on_failed && !f.fatal => errors.push(json!({"error": f.text(), "index": i})),
            Err(f) => return Err(f),
        }
    }
    let mut extra = Map::new();
    if cfg.dont_stop_on_failed {
        let (s, e) = (ok.len(), errors.len());
        extra.insert(
            "data".into(),
            json!({"success": ok, "error": errors, "aborted": [], "unknown": [], "skipped": []}),
        );
        extra.insert(
            "stats".into(),
            json!({"success": s, "error": e, "aborted": 0, "unknown": 0, "skipped": 0, "total": s + e}),
        );
        extra.insert("hasFailures".into(), Value::Bool(e > 0));
    }
    extra.insert("outputs".into(), Value::Array(ok));
    scope.store(info.id, info.envelope(extra));
    Ok(())
}

fn check_schema(
    info: &StepInfo,
    i: usize,
    which: &str,
    schema: &[(&str, &str, bool)],
    v: &Value,
) -> Result<(), Failure> {
    if schema.is_empty() {
        return Ok(());
    }
    let Some(obj) = v.as_object() else {
        return Err(Failure::msg(format!(
            "Split '{}' iteration {i}: {which}: expected an object, got {}",
            info.id,
            crate::value::type_name(v)
        )));
    };
    let missing: Vec<&str> = schema
        .iter()
        .filter(|(f, _, req)| *req && obj.get(*f).is_none_or(Value::is_null))
        .map(|(f, _, _)| *f)
        .collect();
    let mismatched: Vec<String> = schema
        .iter()
        .filter_map(|(f, ty, _)| {
            let v = obj.get(*f).filter(|v| !v.is_null())?;
            let ok = match *ty {
                "string" => v.is_string(),
                "integer" => v.is_i64() || v.is_u64(),
                "number" => v.is_number(),
                "boolean" => v.is_boolean(),
                "array" => v.is_array(),
                "object" => v.is_object(),
                _ => true,
            };
            (!ok).then(|| format!("{f}: expected {ty}, got {}", crate::value::type_name(v)))
        })
        .collect();
    if missing.is_empty() && mismatched.is_empty() {
        return Ok(());
    }
    let got: Vec<&str> = obj.keys().map(String::as_str).collect();
    Err(Failure::msg(format!(
        "Split '{}' iteration {i}: {which}: required field(s) [{}] missing (got fields: [{}]); type mismatches: {}",
        info.id,
        missing.join(", "),
        got.join(", "),
        if mismatched.is_empty() { "none".to_string() } else { mismatched.join("; ") }
    )))
}

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
    let started = cx.rt.now_ms();
    let parent_indices = scope.variables.get("_loop_indices").and_then(Value::as_array).cloned().unwrap_or_default();
    let parent_item = scope.variables.get("_item").cloned();
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

/// Attributes a failed edge-guard evaluation to the step that owns the edge (dsl-spec §8.2).
pub fn guard(step_id: &str, condition: impl FnOnce() -> Result<bool, Failure>) -> Result<bool, Failure> {
    condition().map_err(|f| f.at(step_id))
}

/// Static EmbedWorkflow settings (dsl-spec §7.6).
#[derive(Debug, Clone, Copy)]
pub struct EmbedCall {
    pub child_workflow_id: &'static str,
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
        cx.rt.sleep_ms(backoff_ms(call.retry_delay_ms, attempt, RETRY_CAP_MS));
        attempt += 1;
    }
}

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
        let mut wait_scope = Scope::new(scope.data.clone(), vars);
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
    let started = cx.rt.now_ms();
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
        let waited = cx.rt.now_ms().saturating_sub(started);
        if let Some(t) = timeout_ms.filter(|t| waited >= *t) {
            return Err(Failure::structured(json!({
                "code": "WAIT_TIMEOUT",
                "message": format!("WaitForSignal step '{step}' timed out after {t}ms waiting for signal '{signal_id}'"),
                "category": "timeout", "severity": "error",
            })));
        }
        let left = timeout_ms.map_or(u64::MAX, |t| t - waited);
        cx.rt.sleep_ms(poll_ms.max(1).min(left));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
