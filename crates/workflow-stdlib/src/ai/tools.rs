//! The tool runners generated dispatchers call: Agent, MCP toolset, WaitForSignal and EmbedWorkflow tools.

use crate::agents::connections;
use crate::runtime::{Ctx, StepInfo};
use crate::scope::Scope;
use alloc::format;
use serde_json::{json, Map, Value};

use super::*;

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
        Err(f) => Err(cx.hold(f)),
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
    let mut scratch = scope.with_variables(scope.variables.clone());
    match crate::steps::embed(cx, &mut scratch, info, call, args.clone(), child, child_variables) {
        Ok(()) => Ok(scratch.steps.get(info.id).map(|e| e["outputs"].clone()).unwrap_or(Value::Null)),
        Err(f) => Err(cx.hold(f)),
    }
}
