//! Split steps (dsl-spec §7.4): per-item scopes, schemas, retries, parallel items.

use super::{backoff_ms, GraphFn, RETRY_CAP_MS};
use crate::failure::Failure;
use crate::runtime::{Ctx, StepInfo};
use crate::scope::Scope;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::{json, Map, Value};

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
                cx.rt.wait_ms(backoff_ms(cfg.retry_delay_ms, attempt, RETRY_CAP_MS))?;
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
    let started = cx.rt.started_ms();
    let parent_indices = scope.variables.get("_loop_indices").and_then(Value::as_array).cloned().unwrap_or_default();
    let parent_scope_id = scope.variables.get("_scope_id").cloned();
    // Everything but the per-item entries is the same for every iteration: build it once.
    let mut base = scope.variables.clone();
    if let Value::Object(extra) = variables {
        base.extend(extra);
    }
    // Each item's scope holds its item as `data` ([`Scope::iteration_of`]).
    base.remove("_item");
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
            let mut child = Scope::iteration_of(item, vars);
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
    // The end of the items is a boundary: a pause that came while they ran (their own steps
    // may have passed their last boundary) suspends here; the rerun replays their checkpoints.
    crate::runtime::honour_lifecycle(cx).map_err(|f| f.at(info.id))?;
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
