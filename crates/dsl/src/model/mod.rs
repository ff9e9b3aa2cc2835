//! The typed model of a runtara workflow graph (DSL 3.x, dsl-spec §1–§7).
//!
//! Every struct mirrors the JSON shape one to one (camelCase keys). Step objects and the
//! nested config objects the spec marks as closed reject unknown keys; the graph object and
//! edges do not (dsl-spec §1.1, §2).
//!
//! Split by subject: the graph, its schemas and edges here; value descriptors and
//! conditions in `value`; steps in `step`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

mod connection;
mod step;
mod value;

pub use connection::*;
pub use runtara_protocol::{EdgeLabel, FieldType, MatchType};
pub use step::*;
pub use value::*;

/// A flat-map schema: field name → [`SchemaField`] (dsl-spec §1.4).
pub type Schema = BTreeMap<String, SchemaField>;

/// An input mapping: output key → value descriptor. Keys are evaluated in lexicographic
/// order and dotted keys expand into nested objects (dsl-spec §3.6).
pub type InputMapping = BTreeMap<String, MappingValue>;

/// One workflow graph ("ExecutionGraph", dsl-spec §1.2). Also the type of every subgraph
/// (Split/While bodies, WaitForSignal `onWait`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionGraph {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Id of the first step. The key must be present; `null` is read as `""` (§1.2).
    #[serde(deserialize_with = "null_as_empty")]
    pub entry_point: String,
    /// Step id → step. The key must equal the step's own `id`.
    pub steps: BTreeMap<String, Step>,
    #[serde(default)]
    pub execution_plan: Vec<Edge>,
    /// Name → `{type, value, description?}`; kept as raw JSON because entries without both
    /// `type` and `value` are used verbatim (§1.3).
    #[serde(default)]
    pub variables: BTreeMap<String, Value>,
    #[serde(default)]
    pub input_schema: Schema,
    #[serde(default)]
    pub output_schema: Schema,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edges: Option<Value>,
    /// Budget in milliseconds for rate-limit retry waits (default 60000, §7.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_budget_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_timeout_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub durable: Option<bool>,
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// The `{ "executionGraph": … }` wrapper document (dsl-spec §1.1).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowWrapper {
    pub execution_graph: ExecutionGraph,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_tier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track_events: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub durable: Option<bool>,
    /// The id the workflow runs under when it is published as an agent and called by its
    /// slug (the slug by default; see [`crate::workflow_agents`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_id: Option<String>,
}

/// One SchemaField of a flat-map schema (dsl-spec §1.4). Form-rendering hints are kept in
/// `extra` untouched.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaField {
    #[serde(rename = "type")]
    pub field_type: FieldType,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Box<SchemaField>>,
    #[serde(default, rename = "enum", skip_serializing_if = "Option::is_none")]
    pub enum_values: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Schema>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A control-flow edge of `executionPlan` (dsl-spec §2).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Edge {
    pub from_step: String,
    pub to_step: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
}

impl Edge {
    /// The label, classified (dsl-spec §2).
    pub fn label(&self) -> EdgeLabel<'_> {
        EdgeLabel::parse(self.label.as_deref())
    }

    /// The label with the synonyms of normal flow (`""`, `"next"`) folded to `""` (§2.1).
    pub fn label_kind(&self) -> &str {
        match self.label() {
            l if l.is_normal() => "",
            l => l.as_str(),
        }
    }
}
