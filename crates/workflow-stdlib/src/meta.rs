//! What every target's entry point shares: the compile-time workflow facts and the root
//! scope built from the raw input (dsl-spec §1.3, §1.5).

use alloc::string::String;
use serde_json::{Map, Value};

use crate::scope::Scope;

/// Compile-time facts generated code hands to the entry point.
pub struct WorkflowMeta {
    /// The workflow id (`variables._workflow_id`).
    pub workflow_id: &'static str,
    /// The step debug events, when the workflow tracks them (`--track-events`):
    /// `Some(&runtime::TRACK_EVENTS)`.
    pub track_events: Option<&'static crate::runtime::EventTracker>,
    /// Declared variables, flattened to their values (dsl-spec §1.3).
    pub declared_variables: fn() -> Value,
    /// Hash of the graph (children included), for [`WorkflowMeta::identity`].
    pub graph_hash: &'static str,
    /// `(step id, hash)` of every top-level step, sorted by id.
    pub step_hashes: &'static [(&'static str, &'static str)],
}

impl WorkflowMeta {
    /// The identity an instance records at register: resuming it with another graph is
    /// refused unless migrated (hardening item 7).
    pub fn identity(&self) -> runtara_protocol::GraphIdentity {
        runtara_protocol::GraphIdentity {
            graph: self.graph_hash.into(),
            steps: self.step_hashes.iter().map(|(id, h)| ((*id).into(), (*h).into())).collect(),
        }
    }
}

/// Builds the root scope: an object with a `data` key is the envelope `{data, variables}`
/// whose variables (names not starting with `_`, plus `_cache_key_prefix`) override the
/// declared ones; anything else is the data. Adds `_workflow_id`, `_instance_id`,
/// `_tenant_id` (`"unknown"` when not given).
pub fn root_scope(meta: &WorkflowMeta, input: Value, instance: Option<String>, tenant: Option<String>) -> Scope {
    let mut variables = match (meta.declared_variables)() {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let data = match input {
        Value::Object(mut m) if m.contains_key("data") => {
            if let Some(Value::Object(overrides)) = m.remove("variables") {
                for (k, v) in overrides {
                    if !k.starts_with('_') || k == "_cache_key_prefix" {
                        variables.insert(k, v);
                    }
                }
            }
            m.remove("data").unwrap_or(Value::Null)
        }
        other => other,
    };
    variables.insert("_workflow_id".into(), meta.workflow_id.into());
    variables.insert("_instance_id".into(), instance.unwrap_or_else(|| "unknown".into()).into());
    variables.insert("_tenant_id".into(), tenant.unwrap_or_else(|| "unknown".into()).into());
    Scope::new(data, variables)
}
