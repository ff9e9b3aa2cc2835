//! Agents whose implementation lives in a service: `object-model` (the tenant's object
//! store, incl. AI-agent conversation memory) and `mcp` (MCP toolsets).
//!
//! A call is forwarded as agents.md §5.2 describes: `POST
//! $RUNTARA_AGENT_SERVICE_URL/{agent}/{capability}` with the step input as the JSON body;
//! the answer is the envelope `{success, output | error}`. The default service URL is
//! `http://127.0.0.1:7002/api/internal/agents`.

use alloc::string::String;
use serde_json::{json, Value};

use runtara_sdk::net::{self, Request};

/// The environment variable naming the agent service.
pub const ENV: &str = "RUNTARA_AGENT_SERVICE_URL";
const DEFAULT_URL: &str = "http://127.0.0.1:7002/api/internal/agents";

/// Forwards `input` to capability `agent/capability` of the agent service.
///
/// Errors: `AGENT_SERVICE_UNAVAILABLE` (transient, retryable) when the service cannot be
/// reached or answers 5xx; the service's own `error` envelope otherwise.
pub fn forward(agent: &str, capability: &str, input: &Value) -> Result<Value, Value> {
    let base = std::env::var(ENV).ok().filter(|u| !u.is_empty()).unwrap_or_else(|| DEFAULT_URL.into());
    let url = alloc::format!("{}/{agent}/{capability}", base.trim_end_matches('/'));
    let unavailable = |msg: String| crate::error::transient("AGENT_SERVICE_UNAVAILABLE", msg);
    let resp = net::send(&Request::new("POST", &url).json(input)).map_err(unavailable)?;
    if resp.status >= 500 {
        return Err(unavailable(alloc::format!("agent service answered {} for {url}", resp.status)));
    }
    let answer: Value = serde_json::from_slice(&resp.body)
        .map_err(|_| unavailable(alloc::format!("agent service sent a non-JSON answer for {url}")))?;
    match answer.get("success").and_then(Value::as_bool) {
        Some(true) => Ok(answer.get("output").cloned().unwrap_or(Value::Null)),
        _ => Err(answer.get("error").cloned().unwrap_or_else(|| {
            json!({"code": "CAPABILITY_ERROR", "message": alloc::format!("{agent}/{capability} failed"), "category": "permanent", "severity": "error", "retryable": false})
        })),
    }
}

macro_rules! forwarded {
    ($($(#[$doc:meta])* $agent:literal $cap:literal => $name:ident;)*) => {
        $( $(#[$doc])* pub fn $name(input: &Value) -> Result<Value, Value> { forward($agent, $cap, input) } )*
    };
}

/// `object-model` capabilities (agents.md §5.3).
pub mod object_model {
    use super::*;
    forwarded! {
        /// `load-memory`: `{conversation_id}` → `{success, messages, message_count}`.
        "object-model" "load-memory" => load_memory;
        /// `save-memory`: `{conversation_id, messages}`.
        "object-model" "save-memory" => save_memory;
        /// `create-instance`: `{schema_name, data}` → `{success, instance_id?, error?}`.
        "object-model" "create-instance" => create_instance;
        /// `query-instances`: `{schema_name, filters?, condition?, orderBy?, limit?, offset?}`.
        "object-model" "query-instances" => query_instances;
        /// `check-instance-exists`: `{schema_name, filters}` → `{exists, instance_id?, instance?}`.
        "object-model" "check-instance-exists" => check_instance_exists;
        /// `update-instance`: `{schema_name, instance_id, data}`.
        "object-model" "update-instance" => update_instance;
        /// `delete-instance`: `{schema_name, instance_id}`.
        "object-model" "delete-instance" => delete_instance;
        /// `query-sql`: `{sql, params?, resultSchema?}` → `{rows, row_count}`.
        "object-model" "query-sql" => query_sql;
        /// `execute-sql`: `{sql, params?}` → `{rows_affected}`.
        "object-model" "execute-sql" => execute_sql;
    }
}

/// `mcp` capabilities (agents.md, HEAD-only agents).
pub mod mcp {
    use super::*;
    forwarded! {
        /// `mcp-tool-search`: `{query, limit?}` → `{tools, total_available}`.
        "mcp" "mcp-tool-search" => mcp_tool_search;
        /// `mcp-tool-invoke`: `{tool_name, args?}` → `{text, content, is_error}`.
        "mcp" "mcp-tool-invoke" => mcp_tool_invoke;
    }
}
