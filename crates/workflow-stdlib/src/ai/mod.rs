//! AiAgent (dsl-spec §7.14): an LLM call, or a loop of LLM turns that call tools.
//!
//! The LLM is an OpenAI-compatible chat-completions endpoint reached through the step's
//! connection (`POST <baseUrl>/chat/completions`, see `runtara_agents::connections`).
//! Generated code supplies the static [`AiConfig`], the evaluated [`AiInputs`] and a tool
//! dispatcher (one `match` over the tool labels), so tools are ordinary generated calls.
//!
//! Durability: in durable graphs every LLM answer is checkpointed as
//! `<ai>.turn.<n>` and every tool result as `<ai>.tool.<name>.<n>`, so a resumed loop
//! neither bills the provider again nor repeats tool side effects; failed single-shot
//! attempts leave `<ai>::attempt::<n>` records.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::{json, Value};

use crate::failure::Failure;
use crate::runtime::{checkpoint_id, store_failure, Ctx, DebugStep, StepInfo};
use crate::scope::Scope;

mod llm;
mod memory;
mod structured;
mod tools;

use llm::Llm;
use memory::{compact, load_memory, save_memory};
use structured::{json_schema, structured};
pub use tools::*;

/// Static AiAgent settings (dsl-spec §7.14 `config`), emitted by codegen.
#[derive(Debug, Clone, Copy)]
pub struct AiConfig {
    /// Turns of the tool loop (0 in the graph means 10).
    pub max_iterations: u32,
    /// Single-shot retries of provider failures.
    pub max_retries: u32,
    /// Base backoff between single-shot attempts, milliseconds.
    pub retry_delay_ms: u64,
    /// Per LLM call, milliseconds (sent as the request timeout).
    pub turn_timeout_ms: u64,
    /// `outputSchema` as JSON text (dsl-spec §3.4 schema map).
    pub output_schema: Option<&'static str>,
    /// Conversation memory, when a `memory` edge exists.
    pub memory: Option<MemoryConfig>,
    /// Tools advertised to the model; non-empty (or memory) means the tool loop.
    pub tools: &'static [Tool],
}

/// `config.memory.compaction` and the memory provider's connection.
#[derive(Debug, Clone, Copy)]
pub struct MemoryConfig {
    /// Messages kept (default 50).
    pub max_messages: usize,
    /// `strategy: "summarize"` (else sliding window).
    pub summarize: bool,
    /// The memory Agent step's `connectionId`.
    pub connection_id: Option<&'static str>,
}

/// One tool: its name (the edge label, or `<toolset>_search`/`_invoke` for MCP) and
/// description (the target step's name, else the label).
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    pub name: &'static str,
    pub description: &'static str,
}

/// The step's evaluated mappings.
#[derive(Debug, Clone, Default)]
pub struct AiInputs {
    pub system_prompt: Value,
    pub user_prompt: Value,
    pub model: Value,
    pub temperature: Value,
    pub max_tokens: Value,
    /// `connectionRef` value, else the `connectionId` string.
    pub connection: Value,
    /// `config.memory.conversationId`.
    pub conversation_id: Value,
}

/// A tool call the model asked for. `counter` numbers the calls of this step from 1.
#[derive(Debug, Clone)]
pub struct ToolCall<'a> {
    pub name: &'a str,
    pub args: Value,
    pub counter: u32,
}

/// Runs a tool: `Ok(result)` or `Err(error envelope)`; either goes back to the model.
pub type ToolFn = fn(&mut Ctx, &mut Scope, &ToolCall<'_>) -> Result<Value, Value>;

/// Runs an AiAgent step and stores `{response, iterations, toolCalls}` as its outputs.
///
/// Errors: the connection is not configured; a provider failure (`AI_COMPLETION_FAILED`
/// single shot, `AI_TURN_COMPLETION_FAILED` in the loop); with `outputSchema`,
/// `AI_STRUCTURED_OUTPUT_INVALID` (not JSON) or `AI_STRUCTURED_OUTPUT_SCHEMA_MISMATCH`;
/// memory load/save failures (`AI_MEMORY_FAILED`). All are routable to `onError`.
pub fn ai_agent(
    cx: &mut Ctx,
    scope: &mut Scope,
    info: &StepInfo,
    cfg: &AiConfig,
    inputs: AiInputs,
    tools: ToolFn,
) -> Result<(), Failure> {
    let llm = Llm::connect(info, &inputs, cfg)?;
    let mut messages = Vec::new();
    messages.push(json!({"role": "system", "content": text(&inputs.system_prompt)}));
    let outputs = if cfg.tools.is_empty() && cfg.memory.is_none() {
        messages.push(json!({"role": "user", "content": text(&inputs.user_prompt)}));
        single_shot(cx, scope, info, cfg, &llm, messages)?
    } else {
        tool_loop(cx, scope, info, cfg, &llm, &inputs, messages, tools)?
    };
    scope.store(info.id, info.envelope_outputs(outputs));
    Ok(())
}

/// One chat completion with retries; the structured answer is parsed and checked.
fn single_shot(
    cx: &mut Ctx,
    scope: &mut Scope,
    info: &StepInfo,
    cfg: &AiConfig,
    llm: &Llm,
    messages: Vec<Value>,
) -> Result<Value, Failure> {
    let body = llm.body(&messages, None, cfg.output_schema);
    let mut attempt = 1u32;
    let message = loop {
        match memo(cx, memo_id(cx, scope, info, "turn.1"), |_| llm.complete(&body, "AI_COMPLETION_FAILED")) {
            Ok(m) => break m,
            Err(f) if f.fatal || attempt > cfg.max_retries => return Err(f),
            Err(f) => {
                record_attempt(cx, scope, info, attempt, &f)?;
                cx.rt.wait_ms(cfg.retry_delay_ms.saturating_mul(1 << (attempt - 1).min(16)))?;
                attempt += 1;
            }
        }
    };
    let content = message.get("content").and_then(Value::as_str).unwrap_or("");
    let response = match cfg.output_schema {
        Some(schema) => structured(content, &crate::mapping::lit(schema))?,
        None => Value::String(content.to_string()),
    };
    Ok(json!({"response": response, "iterations": 1, "toolCalls": []}))
}

/// Keeps a failed attempt's error under `<ai>::attempt::<n>` (durable graphs only).
fn record_attempt(cx: &mut Ctx, scope: &Scope, info: &StepInfo, attempt: u32, f: &Failure) -> Result<(), Failure> {
    if !info.durable || !cx.backend.persists() {
        return Ok(());
    }
    let id = format!("{}::attempt::{attempt}", checkpoint_id(scope, info.id));
    cx.backend.checkpoint(&id, &json!({"error": f.text()})).map_err(|e| store_failure(&id, e))?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn tool_loop(
    cx: &mut Ctx,
    scope: &mut Scope,
    info: &StepInfo,
    cfg: &AiConfig,
    llm: &Llm,
    inputs: &AiInputs,
    mut messages: Vec<Value>,
    tools: ToolFn,
) -> Result<Value, Failure> {
    let conversation = cfg.memory.map(|m| (m, text(&inputs.conversation_id)));
    if let Some((mem, id)) = &conversation {
        messages.extend(load_memory(cx, scope, info, mem, id)?);
    }
    messages.push(json!({"role": "user", "content": text(&inputs.user_prompt)}));
    let defs: Vec<Value> = cfg
        .tools
        .iter()
        .map(|t| {
            json!({"type": "function", "function": {"name": t.name, "description": t.description,
            "parameters": {"type": "object", "properties": {}, "additionalProperties": true}}})
        })
        .collect();
    let max_turns = if cfg.max_iterations == 0 { 10 } else { cfg.max_iterations };
    let (mut response, mut log, mut counter, mut turns) = (Value::Null, Vec::new(), 0u32, 0u32);
    while turns < max_turns {
        turns += 1;
        let body = llm.body(&messages, Some(&defs), None);
        let message = memo(cx, memo_id(cx, scope, info, &format!("turn.{turns}")), |_| {
            llm.complete(&body, "AI_TURN_COMPLETION_FAILED")
        })?;
        let calls = message.get("tool_calls").and_then(Value::as_array).cloned().unwrap_or_default();
        if calls.is_empty() {
            response = message.get("content").cloned().unwrap_or(Value::Null);
            messages.push(json!({"role": "assistant", "content": response}));
            break;
        }
        messages.push(json!({"role": "assistant", "content": message.get("content").cloned().unwrap_or(Value::Null), "tool_calls": calls}));
        for call in &calls {
            counter += 1;
            let name = call["function"]["name"].as_str().unwrap_or("");
            let args = match &call["function"]["arguments"] {
                Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
                other => other.clone(),
            };
            let result = run_tool(cx, scope, info, tools, &ToolCall { name, args: args.clone(), counter })?;
            messages
                .push(json!({"role": "tool", "tool_call_id": call["id"], "content": crate::value::to_json(&result)}));
            log.push(json!({"tool_name": name, "arguments": args, "result": result, "iteration": turns}));
        }
    }
    if let Some((mem, id)) = &conversation {
        let kept = compact(cx, scope, info, llm, mem, messages[1..].to_vec())?;
        save_memory(cx, scope, info, mem, id, kept)?;
    }
    Ok(json!({"response": response, "iterations": turns, "toolCalls": log}))
}

/// Runs one tool call as the synthetic step `<ai>.tool.<name>.<n>` (checkpointed; debug
/// events of type `AiAgentToolCall`). A failing tool yields its error envelope.
fn run_tool(
    cx: &mut Ctx,
    scope: &mut Scope,
    info: &StepInfo,
    tools: ToolFn,
    call: &ToolCall<'_>,
) -> Result<Value, Failure> {
    let id = format!("{}.tool.{}.{}", info.id, call.name, call.counter);
    let step = DebugStep { id: &id, name: Some(call.name), step_type: "AiAgentToolCall" };
    let key = memo_id(cx, scope, info, &id[info.id.len() + 1..]);
    let body = |cx: &mut Ctx, scope: &mut Scope| {
        memo(cx, key, |cx| {
            Ok(match tools(cx, scope, call) {
                Ok(v) => v,
                Err(e) => {
                    crate::steps::fetch_pending()?;
                    if let Some(stop) = cx.take_held() {
                        return Err(stop);
                    }
                    json!({"error": e})
                }
            })
        })
    };
    synthetic_step(
        cx,
        scope,
        step,
        body,
        |result| json!({"outputs": {"tool_name": call.name, "arguments": call.args, "result": result}}),
    )
}

/// Runs `body` as the synthetic step `step` (`<ai>.tool.<name>.<n>`, `<ai>.memory_load`, …;
/// dsl-spec §8.11): `step_debug_start` before it and, when it succeeds, `step_debug_end` with
/// `outputs(&result)` — both only when the workflow tracks events.
fn synthetic_step<T>(
    cx: &mut Ctx,
    scope: &mut Scope,
    step: DebugStep<'_>,
    body: impl FnOnce(&mut Ctx, &mut Scope) -> Result<T, Failure>,
    outputs: impl FnOnce(&T) -> Value,
) -> Result<T, Failure> {
    let started = cx.rt.now_ms();
    if let Some(events) = cx.track_events {
        (events.start)(cx, scope, &step, started, None);
    }
    let result = body(cx, scope)?;
    if let Some(events) = cx.track_events {
        let outputs = outputs(&result);
        (events.end)(cx, scope, &step, started, outputs);
    }
    Ok(result)
}

/// The checkpoint id `<ai>.<key>` of a memoised call, in durable graphs only.
fn memo_id(cx: &Ctx, scope: &Scope, info: &StepInfo, key: &str) -> Option<String> {
    (info.durable && cx.backend.persists()).then(|| checkpoint_id(scope, &format!("{}.{key}", info.id)))
}

/// `f`'s result, checkpointed under `id` (see [`memo_id`]) and restored from there on a
/// rerun.
fn memo(
    cx: &mut Ctx,
    id: Option<String>,
    f: impl FnOnce(&mut Ctx) -> Result<Value, Failure>,
) -> Result<Value, Failure> {
    let Some(id) = id else { return f(cx) };
    if let Some(v) = cx.backend.load(&id).map_err(|e| store_failure(&id, e))? {
        return Ok(v);
    }
    let v = f(cx)?;
    // Another run of the instance may have stored the call first: its answer wins.
    let winner = cx.backend.checkpoint(&id, &v).map_err(|e| store_failure(&id, e))?;
    Ok(winner.unwrap_or(v))
}

/// A prompt value as message text: strings as is, others as JSON.
fn text(v: &Value) -> String {
    v.as_str().map(str::to_string).unwrap_or_else(|| crate::value::to_json(v))
}
