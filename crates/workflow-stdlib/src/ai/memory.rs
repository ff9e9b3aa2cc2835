//! Conversation memory (dsl-spec §7.14 `memory`): load, save and compaction through the memory provider, as synthetic steps.

use crate::failure::Failure;
use crate::runtime::{Ctx, DebugStep, StepInfo};
use crate::scope::Scope;
use alloc::format;
use alloc::vec::Vec;
use serde_json::{json, Map, Value};

use super::*;

/// Loads the conversation through the memory provider (`object-model/load-memory`),
/// as the synthetic step `<ai>.memory_load`.
pub(super) fn load_memory(
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
pub(super) fn save_memory(
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

pub(super) fn memory_input(mem: &MemoryConfig, conversation: &str, messages: Option<Value>) -> Value {
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
pub(super) fn memory_step(
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
pub(super) fn compact(
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
