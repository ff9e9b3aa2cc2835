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
use serde_json::{json, Map, Value};

use crate::agents::connections;
use crate::failure::Failure;
use crate::runtime::{checkpoint_id, debug_end, debug_start, store_failure, Ctx, DebugStep, StepInfo};
use crate::scope::Scope;
use runtara_sdk::net::{self, Request};

/// Default LLM endpoint when the connection has no `baseUrl`.
const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

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
                cx.rt.sleep_ms(cfg.retry_delay_ms.saturating_mul(1 << (attempt - 1).min(16)));
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
    if cx.track_events {
        debug_start(cx, scope, &step, started, None);
    }
    let result = body(cx, scope)?;
    if cx.track_events {
        let outputs = outputs(&result);
        debug_end(cx, scope, &step, started, outputs);
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
    cx.backend.checkpoint(&id, &v).map_err(|e| store_failure(&id, e))?;
    Ok(v)
}

/// A prompt value as message text: strings as is, others as JSON.
fn text(v: &Value) -> String {
    v.as_str().map(str::to_string).unwrap_or_else(|| crate::value::to_json(v))
}

/// The LLM endpoint of one step.
struct Llm {
    step: &'static str,
    connection: Value,
    url: String,
    model: Value,
    temperature: Value,
    max_tokens: Value,
    timeout_ms: u64,
}

impl Llm {
    fn connect(info: &StepInfo, inputs: &AiInputs, cfg: &AiConfig) -> Result<Llm, Failure> {
        let id = match &inputs.connection {
            Value::String(s) if !s.is_empty() && s != "__none__" => s.clone(),
            other => {
                return Err(Failure::msg(format!(
                    "AiAgent step '{}' has no usable connection (got {}); set connectionId or connectionRef to an LLM connection",
                    info.id,
                    crate::value::to_json(other)
                )))
            }
        };
        let connection = connections::lookup(&id).ok_or_else(|| {
            Failure::msg(format!(
                "AiAgent step '{}': connection '{id}' is not configured; pass it with `runtara run --connections FILE` (or {}) as {{\"{id}\": {{\"integrationId\": \"openai\", \"parameters\": {{\"baseUrl\": …, \"apiKey\": …}}}}}}",
                info.id,
                connections::ENV
            ))
        })?;
        let base = connections::param(&connection, "baseUrl").unwrap_or(DEFAULT_BASE_URL);
        let model = match &inputs.model {
            Value::Null => connections::param(&connection, "model").map_or(Value::Null, |m| Value::String(m.into())),
            m => m.clone(),
        };
        Ok(Llm {
            step: info.id,
            url: format!("{}/chat/completions", base.trim_end_matches('/')),
            connection,
            model,
            temperature: inputs.temperature.clone(),
            max_tokens: inputs.max_tokens.clone(),
            timeout_ms: cfg.turn_timeout_ms,
        })
    }

    /// A chat-completions request body.
    fn body(&self, messages: &[Value], tools: Option<&[Value]>, schema: Option<&str>) -> Value {
        let mut b = Map::new();
        if !self.model.is_null() {
            b.insert("model".into(), self.model.clone());
        }
        b.insert("messages".into(), Value::Array(messages.to_vec()));
        if !self.temperature.is_null() {
            b.insert("temperature".into(), self.temperature.clone());
        }
        if !self.max_tokens.is_null() {
            b.insert("max_tokens".into(), self.max_tokens.clone());
        }
        if let Some(t) = tools.filter(|t| !t.is_empty()) {
            b.insert("tools".into(), Value::Array(t.to_vec()));
        }
        if let Some(s) = schema {
            let schema = json_schema(&crate::mapping::lit(s));
            b.insert(
                "response_format".into(),
                json!({"type": "json_schema", "json_schema": {"name": "output", "schema": schema}}),
            );
        }
        Value::Object(b)
    }

    /// POSTs `body`; returns `choices[0].message`. Failures carry `code`.
    fn complete(&self, body: &Value, code: &str) -> Result<Value, Failure> {
        let mut req = connections::authorize(Some(&self.connection), Request::new("POST", &self.url).json(body));
        req.timeout_ms = Some(self.timeout_ms);
        let fail = |message: String, transient: bool| {
            Failure::structured(json!({"code": code, "message": message,
                "category": if transient { "transient" } else { "permanent" }, "severity": "error", "stepId": self.step}))
        };
        let resp = match net::send(&req) {
            Ok(r) => r,
            Err(e) => {
                crate::steps::fetch_pending()?;
                return Err(fail(format!("{code}: LLM request failed: {e}"), true));
            }
        };
        let answer: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
        if !(200..300).contains(&resp.status) {
            let detail = answer["error"]["message"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| String::from_utf8_lossy(&resp.body).into_owned());
            return Err(fail(
                format!("{code}: LLM provider answered {}: {detail}", resp.status),
                resp.status >= 500 || resp.status == 429,
            ));
        }
        answer["choices"][0]
            .get("message")
            .cloned()
            .ok_or_else(|| fail(format!("{code}: LLM answer has no choices[0].message"), false))
    }
}

/// Parses a structured answer and checks it against the `outputSchema` map.
fn structured(content: &str, schema: &Value) -> Result<Value, Failure> {
    let fail = |code: &str, message: String| {
        Failure::structured(
            json!({"code": code, "message": format!("{code}: {message}"), "category": "permanent", "severity": "error"}),
        )
    };
    let parsed: Value = serde_json::from_str(content.trim())
        .map_err(|_| fail("AI_STRUCTURED_OUTPUT_INVALID", format!("the model's answer is not JSON: {content}")))?;
    let problems = schema_problems(&parsed, schema);
    if problems.is_empty() {
        Ok(parsed)
    } else {
        Err(fail("AI_STRUCTURED_OUTPUT_SCHEMA_MISMATCH", problems.join("; ")))
    }
}

/// What in `v` breaks the schema map `{field: {type, required?, enum?}}` (dsl-spec §3.4).
fn schema_problems(v: &Value, schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let Some(fields) = schema.as_object() else { return out };
    for (name, f) in fields {
        match v.get(name) {
            None | Some(Value::Null) => {
                if f["required"] == true {
                    out.push(format!("field '{name}' is required but missing"));
                }
            }
            Some(x) => {
                let ty = f["type"].as_str().unwrap_or("");
                let ok = match ty {
                    "string" | "file" | "connection" => x.is_string(),
                    "integer" => x.is_i64() || x.is_u64(),
                    "number" => x.is_number(),
                    "boolean" => x.is_boolean(),
                    "array" => x.is_array(),
                    "object" => x.is_object(),
                    _ => true,
                };
                if !ok {
                    out.push(format!("field '{name}' must be of type {ty}"));
                }
                if let Some(allowed) = f["enum"].as_array().filter(|a| !a.contains(x)) {
                    out.push(format!(
                        "field '{name}' must be one of {}",
                        crate::value::to_json(&Value::Array(allowed.clone()))
                    ));
                }
            }
        }
    }
    out
}

/// The schema map as JSON Schema, for `response_format` (dsl-spec §3.4).
fn json_schema(schema: &Value) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    for (name, f) in schema.as_object().into_iter().flatten() {
        let mut p = Map::new();
        let ty = match f["type"].as_str().unwrap_or("string") {
            "file" | "connection" => "string",
            t => t,
        };
        p.insert("type".into(), ty.into());
        for k in ["description", "enum", "items", "properties"] {
            if let Some(x) = f.get(k) {
                p.insert(k.into(), x.clone());
            }
        }
        if f["required"] == true {
            required.push(Value::String(name.clone()));
        }
        props.insert(name.clone(), Value::Object(p));
    }
    json!({"type": "object", "properties": props, "required": required})
}

/// Loads the conversation through the memory provider (`object-model/load-memory`),
/// as the synthetic step `<ai>.memory_load`.
fn load_memory(
    cx: &mut Ctx,
    scope: &mut Scope,
    info: &StepInfo,
    mem: &MemoryConfig,
    conversation: &str,
) -> Result<Vec<Value>, Failure> {
    let input = memory_input(mem, conversation, None);
    let out = memory_step(cx, scope, info, "memory_load", "AiAgentMemoryLoad", || {
        crate::agents::object_model::load_memory(&input)
    })?;
    Ok(out.get("messages").and_then(Value::as_array).cloned().unwrap_or_default())
}

/// Saves the conversation (`object-model/save-memory`) as `<ai>.memory_save`.
fn save_memory(
    cx: &mut Ctx,
    scope: &mut Scope,
    info: &StepInfo,
    mem: &MemoryConfig,
    conversation: &str,
    messages: Vec<Value>,
) -> Result<(), Failure> {
    let count = messages.len();
    let input = memory_input(mem, conversation, Some(Value::Array(messages)));
    memory_step(cx, scope, info, "memory_save", "AiAgentMemorySave", || {
        crate::agents::object_model::save_memory(&input).map(|_| json!({"success": true, "message_count": count}))
    })?;
    Ok(())
}

fn memory_input(mem: &MemoryConfig, conversation: &str, messages: Option<Value>) -> Value {
    let mut m = Map::new();
    m.insert("conversation_id".into(), conversation.into());
    if let Some(c) = mem.connection_id {
        m.insert("connection_id".into(), c.into());
    }
    if let Some(msgs) = messages {
        m.insert("messages".into(), msgs);
    }
    Value::Object(m)
}

/// Runs a memory call as a synthetic step with debug events; its error fails the step with
/// `AI_MEMORY_FAILED`.
fn memory_step(
    cx: &mut Ctx,
    scope: &mut Scope,
    info: &StepInfo,
    suffix: &str,
    step_type: &str,
    call: impl FnOnce() -> Result<Value, Value>,
) -> Result<Value, Failure> {
    let id = format!("{}.{suffix}", info.id);
    let step = DebugStep { id: &id, name: None, step_type };
    let body = |_: &mut Ctx, _: &mut Scope| {
        let out = call();
        if out.is_err() {
            crate::steps::fetch_pending()?;
        }
        out.map_err(|e| {
            Failure::structured(json!({"code": "AI_MEMORY_FAILED", "message": format!("AiAgent step '{}' {suffix} failed: {}", info.id, crate::value::to_json(&e)),
                "category": "transient", "severity": "error"}))
        })
    };
    synthetic_step(cx, scope, step, body, |out| {
        let mut outputs = out.clone();
        if let Some(msgs) = out.get("messages").and_then(Value::as_array) {
            outputs["message_count"] = msgs.len().into();
        }
        outputs
    })
}

/// Compacts the conversation to `max_messages` (sliding window drops the oldest; summarize
/// replaces them with one LLM-written summary), as the synthetic step `<ai>.memory.compact`.
fn compact(
    cx: &mut Ctx,
    scope: &mut Scope,
    info: &StepInfo,
    llm: &Llm,
    mem: &MemoryConfig,
    messages: Vec<Value>,
) -> Result<Vec<Value>, Failure> {
    let before = messages.len();
    let keep = mem.max_messages.max(1);
    if before <= keep {
        return Ok(messages);
    }
    let id = format!("{}.memory.compact", info.id);
    let step = DebugStep { id: &id, name: None, step_type: "AiAgentMemoryCompact" };
    let (dropped, kept) = messages.split_at(before - keep);
    let body = |_: &mut Ctx, _: &mut Scope| {
        let mut out = Vec::new();
        let strategy = if mem.summarize {
            let mut prompt = alloc::vec![
                json!({"role": "system", "content": "Summarize the following conversation in a few sentences."})
            ];
            prompt.extend(dropped.iter().cloned());
            let summary = llm.complete(&llm.body(&prompt, None, None), "AI_MEMORY_SUMMARIZE_FAILED")?;
            out.push(json!({"role": "system", "content": format!("Summary of the earlier conversation: {}", text(&summary["content"]))}));
            "summarize"
        } else {
            "sliding_window"
        };
        out.extend(kept.iter().cloned());
        Ok((out, strategy))
    };
    let (out, _) = synthetic_step(cx, scope, step, body, |(out, strategy)| {
        json!({"outputs": {"strategy": strategy, "success": true, "messages_before": before,
            "messages_after": out.len(), "messages_dropped": dropped.len()}})
    })?;
    Ok(out)
}

/// Runs an Agent tool: the capability gets the model's arguments (the target's
/// `inputMapping` is not used) plus `timeout_ms` from the target's `timeout`.
pub fn agent_tool(
    args: &Value,
    timeout_ms: Option<u64>,
    connection_id: Option<&str>,
    capability: crate::agents::CapabilityFn,
) -> Result<Value, Value> {
    let mut input = match args {
        Value::Object(m) => m.clone(),
        Value::Null => Map::new(),
        other => {
            let mut m = Map::new();
            m.insert("value".into(), other.clone());
            m
        }
    };
    if let Some(t) = timeout_ms {
        input.insert("timeout_ms".into(), t.into());
    }
    if let Some(c) = connection_id {
        input.insert("connection_id".into(), c.into());
        input.insert("_connection".into(), connections::descriptor(c));
    }
    capability(&Value::Object(input))
}

/// Runs an MCP toolset tool: `<toolset>_search` → `mcp-tool-search {query, limit}`,
/// `<toolset>_invoke` → `mcp-tool-invoke {tool_name, args}`, through the mcp step's
/// connection.
pub fn mcp_tool(call: &ToolCall<'_>, connection_id: Option<&str>) -> Result<Value, Value> {
    let f = if call.name.ends_with("_search") {
        crate::agents::mcp::mcp_tool_search
    } else {
        crate::agents::mcp::mcp_tool_invoke
    };
    agent_tool(&call.args, None, connection_id, f)
}

/// Runs a WaitForSignal tool: a durable wait for signal `…/<ai>.tool.<name>.<n>`; the
/// result is `{status: "received", human_response: <payload>}`.
pub fn wait_tool(
    cx: &mut Ctx,
    scope: &Scope,
    ai_step: &str,
    call: &ToolCall<'_>,
    poll_ms: u64,
    timeout_ms: Option<u64>,
) -> Result<Value, Value> {
    let step = format!("{ai_step}.tool.{}.{}", call.name, call.counter);
    let signal_id = crate::steps::signal_id(scope, &step);
    cx.emit(
        "external_input_requested",
        json!({"type": "external_input_requested", "signal_id": signal_id,
        "step_id": step, "tool_arguments": call.args}),
    );
    match crate::steps::await_signal(cx, &step, &signal_id, poll_ms, timeout_ms) {
        Ok(payload) => Ok(json!({"status": "received", "human_response": payload})),
        Err(f) => Err(f.payload),
    }
}

/// Runs an EmbedWorkflow tool: the child graph with the model's arguments as `data`.
pub fn embed_tool(
    cx: &mut Ctx,
    scope: &Scope,
    info: &StepInfo,
    call: &crate::steps::EmbedCall,
    args: &Value,
    child: crate::steps::GraphFn,
    child_variables: fn() -> Value,
) -> Result<Value, Value> {
    let mut scratch = Scope::new(scope.data.clone(), scope.variables.clone());
    match crate::steps::embed(cx, &mut scratch, info, call, args.clone(), child, child_variables) {
        Ok(()) => Ok(scratch.steps.get(info.id).map(|e| e["outputs"].clone()).unwrap_or(Value::Null)),
        Err(f) => Err(f.payload),
    }
}
