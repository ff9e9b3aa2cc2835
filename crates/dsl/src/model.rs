//! The typed model of a runtara workflow graph (DSL 3.x, dsl-spec §1–§7).
//!
//! Every struct mirrors the JSON shape one to one (camelCase keys). Step objects and the
//! nested config objects the spec marks as closed reject unknown keys; the graph object and
//! edges do not (dsl-spec §1.1, §2).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

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

/// Value types a [`SchemaField`] can declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
    File,
    Connection,
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
    /// The label with the synonyms of normal flow (`""`, `"next"`) folded to `""` (§2.1).
    pub fn label_kind(&self) -> &str {
        match self.label.as_deref() {
            None | Some("") | Some("next") => "",
            Some(other) => other,
        }
    }
}

/// A value descriptor (`valueType`, dsl-spec §3). Unknown keys are rejected.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "valueType", rename_all = "lowercase", deny_unknown_fields)]
pub enum MappingValue {
    /// A reference path with optional coercion hint and default (§3.1).
    Reference {
        value: String,
        #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
        type_hint: Option<TypeHint>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default: Option<Value>,
    },
    /// A literal (§3.2); an absent `value` is `null`.
    Immediate {
        #[serde(default)]
        value: Value,
    },
    /// Nested mapping values (§3.3).
    Composite { value: CompositeValue },
    /// A minijinja template rendered to a string (§3.4, §6).
    Template { value: String },
}

/// The body of a composite value: an object or an array of mapping values (§3.3).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum CompositeValue {
    Object(serde_json::Map<String, Value>),
    Array(Vec<Value>),
}

impl CompositeValue {
    /// The nested mapping values, parsed. Composite children are kept as raw JSON during
    /// deserialisation (serde cannot otherwise tell an object from an array here).
    pub fn entries(&self) -> Result<CompositeEntries, String> {
        let parse = |v: &Value| serde_json::from_value::<MappingValue>(v.clone()).map_err(|e| e.to_string());
        Ok(match self {
            CompositeValue::Object(m) => CompositeEntries::Object(
                m.iter().map(|(k, v)| Ok((k.clone(), parse(v)?))).collect::<Result<_, String>>()?,
            ),
            CompositeValue::Array(a) => CompositeEntries::Array(a.iter().map(parse).collect::<Result<_, String>>()?),
        })
    }
}

/// Parsed composite children, in declaration order.
#[derive(Debug, Clone)]
pub enum CompositeEntries {
    Object(Vec<(String, MappingValue)>),
    Array(Vec<MappingValue>),
}

/// Coercion hint on a reference (dsl-spec §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TypeHint {
    String,
    Integer,
    Number,
    Boolean,
    Json,
    File,
}

/// A condition expression (dsl-spec §5.1), tagged by `type`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Condition {
    Operation {
        op: ConditionOp,
        #[serde(default)]
        arguments: Vec<ConditionArgument>,
    },
    /// A mapping value evaluated for truthiness.
    Value(MappingValue),
}

/// One argument of an operation: a nested condition or a plain mapping value (§5.1).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ConditionArgument {
    Condition(Box<Condition>),
    Value(MappingValue),
}

impl<'de> Deserialize<'de> for ConditionArgument {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let raw = Value::deserialize(d)?;
        let is_condition = matches!(raw.get("type").and_then(Value::as_str), Some("operation") | Some("value"));
        if is_condition {
            serde_json::from_value(raw).map(|c| ConditionArgument::Condition(Box::new(c)))
        } else {
            serde_json::from_value(raw).map(ConditionArgument::Value)
        }
        .map_err(D::Error::custom)
    }
}

/// Condition operators, upper-case exactly (dsl-spec §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConditionOp {
    And,
    Or,
    Not,
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
    Length,
    IsDefined,
    IsEmpty,
    IsNotEmpty,
    SimilarityGte,
    Match,
    CosineDistanceLte,
    L2DistanceLte,
}

impl ConditionOp {
    /// Object-model query operators the workflow runtime cannot evaluate (§5.1, E027).
    pub fn is_query_only(self) -> bool {
        matches!(
            self,
            ConditionOp::SimilarityGte
                | ConditionOp::Match
                | ConditionOp::CosineDistanceLte
                | ConditionOp::L2DistanceLte
        )
    }

    /// The JSON spelling, e.g. `"STARTS_WITH"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionOp::And => "AND",
            ConditionOp::Or => "OR",
            ConditionOp::Not => "NOT",
            ConditionOp::Gt => "GT",
            ConditionOp::Gte => "GTE",
            ConditionOp::Lt => "LT",
            ConditionOp::Lte => "LTE",
            ConditionOp::Eq => "EQ",
            ConditionOp::Ne => "NE",
            ConditionOp::StartsWith => "STARTS_WITH",
            ConditionOp::EndsWith => "ENDS_WITH",
            ConditionOp::Contains => "CONTAINS",
            ConditionOp::In => "IN",
            ConditionOp::NotIn => "NOT_IN",
            ConditionOp::Length => "LENGTH",
            ConditionOp::IsDefined => "IS_DEFINED",
            ConditionOp::IsEmpty => "IS_EMPTY",
            ConditionOp::IsNotEmpty => "IS_NOT_EMPTY",
            ConditionOp::SimilarityGte => "SIMILARITY_GTE",
            ConditionOp::Match => "MATCH",
            ConditionOp::CosineDistanceLte => "COSINE_DISTANCE_LTE",
            ConditionOp::L2DistanceLte => "L2_DISTANCE_LTE",
        }
    }
}

/// The connection a step names; see [`Step::connection`].
#[derive(Debug, Clone, Copy)]
pub enum Connection<'a> {
    /// `connectionRef`: a mapping value evaluated at run time.
    Ref(&'a MappingValue),
    /// `connectionId`: a connection id known at compile time.
    Id(&'a str),
    /// No connection.
    None,
}

impl<'a> Connection<'a> {
    /// `connectionRef` wins over `connectionId`; an empty id and the placeholder `__none__`
    /// mean none (dsl-spec §7.2, §7.14).
    fn of(id: &'a Option<String>, reference: &'a Option<MappingValue>) -> Self {
        match (reference, id.as_deref().filter(|c| !c.is_empty() && *c != "__none__")) {
            (Some(r), _) => Connection::Ref(r),
            (None, Some(c)) => Connection::Id(c),
            (None, None) => Connection::None,
        }
    }
}

impl AgentStep {
    /// The connection the step names (dsl-spec §7.2).
    pub fn connection(&self) -> Connection<'_> {
        Connection::of(&self.connection_id, &self.connection_ref)
    }
}

impl AiAgentStep {
    /// The connection the step names (dsl-spec §7.14).
    pub fn connection(&self) -> Connection<'_> {
        Connection::of(&self.connection_id, &self.connection_ref)
    }
}

/// A step, discriminated by `stepType` (dsl-spec §7). Each variant rejects unknown keys.
// Steps are parsed once per compile; boxing the larger variants would only add noise.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "stepType")]
pub enum Step {
    Finish(FinishStep),
    Agent(AgentStep),
    Conditional(ConditionalStep),
    Split(SplitStep),
    Switch(SwitchStep),
    EmbedWorkflow(EmbedWorkflowStep),
    While(WhileStep),
    Log(LogStep),
    Error(ErrorStep),
    Filter(FilterStep),
    GroupBy(GroupByStep),
    Delay(DelayStep),
    WaitForSignal(WaitForSignalStep),
    AiAgent(AiAgentStep),
}

macro_rules! step_struct {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $f:ident : $t:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            pub id: String,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub name: Option<String>,
            /// Pause before this step in debug mode; never changes results (§7).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub breakpoint: Option<bool>,
            $($(#[$fm])* pub $f: $t,)*
        }
    };
}

step_struct!(
    /// Ends the graph with its mapped result (§7.1).
    FinishStep {
    #[serde(default, skip_serializing_if = "Option::is_none")] input_mapping: Option<InputMapping>,
});

step_struct!(
    /// Invokes an agent capability (§7.2).
    AgentStep {
    agent_id: String,
    capability_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] connection_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] connection_ref: Option<MappingValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")] input_mapping: Option<InputMapping>,
    #[serde(default, skip_serializing_if = "Option::is_none")] max_retries: Option<u32>,
    /// Base backoff in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")] retry_delay: Option<u64>,
    /// Milliseconds, injected as `timeout_ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")] timeout: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")] durable: Option<bool>,
});

step_struct!(
    /// Two-way branch on a condition (§7.3).
    ConditionalStep {
    condition: Condition,
});

step_struct!(
    /// Runs a subgraph per item of a collection (§7.4).
    SplitStep {
    subgraph: Box<ExecutionGraph>,
    #[serde(default, skip_serializing_if = "Option::is_none")] config: Option<SplitConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")] input_schema: Option<Schema>,
    #[serde(default, skip_serializing_if = "Option::is_none")] output_schema: Option<Schema>,
    #[serde(default, skip_serializing_if = "Option::is_none")] durable: Option<bool>,
});

/// Split `config` (§7.4).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SplitConfig {
    pub value: MappingValue,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequential: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dont_stop_on_failed: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<InputMapping>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_delay: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_null: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub convert_single_value: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<u32>,
}

step_struct!(
    /// Picks a case by matching a value; routes when cases carry `route` (§7.7).
    SwitchStep {
    #[serde(default, skip_serializing_if = "Option::is_none")] config: Option<SwitchConfig>,
});

/// Switch `config` (§7.7).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SwitchConfig {
    pub value: MappingValue,
    #[serde(default)]
    pub cases: Vec<SwitchCase>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
}

/// One Switch case (§7.7).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SwitchCase {
    pub match_type: SwitchMatchType,
    #[serde(rename = "match")]
    pub match_value: Value,
    pub output: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
}

/// Switch match types (§7.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SwitchMatchType {
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

step_struct!(
    /// Runs another workflow inline (§7.6).
    EmbedWorkflowStep {
    child_workflow_id: String,
    child_version: ChildVersion,
    #[serde(default, skip_serializing_if = "Option::is_none")] input_mapping: Option<InputMapping>,
    #[serde(default, skip_serializing_if = "Option::is_none")] max_retries: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")] retry_delay: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")] timeout: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")] durable: Option<bool>,
});

/// `"latest"`/`"current"` or a version number ≥ 1 (§7.6).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ChildVersion {
    Number(i64),
    Name(String),
}

step_struct!(
    /// Repeats a subgraph while a condition holds (§7.5).
    WhileStep {
    condition: Condition,
    subgraph: Box<ExecutionGraph>,
    #[serde(default, skip_serializing_if = "Option::is_none")] config: Option<WhileConfig>,
});

/// While `config` (§7.5).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WhileConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_iterations: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variables: Option<InputMapping>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

step_struct!(
    /// Emits a `workflow_log` event (§7.10).
    LogStep {
    #[serde(default, skip_serializing_if = "Option::is_none")] level: Option<LogLevel>,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] context: Option<InputMapping>,
});

/// Log levels (§7.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

step_struct!(
    /// Fails the graph with a structured error (§7.11).
    ErrorStep {
    #[serde(default, skip_serializing_if = "Option::is_none")] category: Option<ErrorCategory>,
    code: String,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")] severity: Option<Severity>,
    #[serde(default, skip_serializing_if = "Option::is_none")] context: Option<InputMapping>,
});

/// Error categories (§7.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ErrorCategory {
    Transient,
    Permanent,
}

/// Error severities (§7.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
    Critical,
}

step_struct!(
    /// Keeps the elements of an array that satisfy a condition (§7.8).
    FilterStep {
    config: FilterConfig,
});

/// Filter `config` (§7.8).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FilterConfig {
    pub value: MappingValue,
    pub condition: Condition,
}

step_struct!(
    /// Groups array elements by a key path (§7.9).
    GroupByStep {
    config: GroupByConfig,
});

/// GroupBy `config` (§7.9).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupByConfig {
    pub value: MappingValue,
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_keys: Option<Vec<String>>,
}

step_struct!(
    /// Sleeps for `durationMs` milliseconds (§7.12).
    DelayStep {
    duration_ms: MappingValue,
    #[serde(default, skip_serializing_if = "Option::is_none")] durable: Option<bool>,
});

step_struct!(
    /// Waits for an external signal (§7.13).
    WaitForSignalStep {
    #[serde(default, skip_serializing_if = "Option::is_none")] on_wait: Option<Box<ExecutionGraph>>,
    #[serde(default, skip_serializing_if = "Option::is_none")] timeout_ms: Option<MappingValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")] poll_interval_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")] response_schema: Option<Schema>,
    #[serde(default, skip_serializing_if = "Option::is_none")] action: Option<WaitAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")] durable: Option<bool>,
});

/// WaitForSignal `action` (§7.13).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WaitAction {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation: Option<InputMapping>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<InputMapping>,
}

step_struct!(
    /// An LLM agent with optional tools and memory (§7.14).
    AiAgentStep {
    #[serde(default, skip_serializing_if = "Option::is_none")] connection_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")] connection_ref: Option<MappingValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")] config: Option<AiAgentConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")] durable: Option<bool>,
});

/// AiAgent `config` (§7.14).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AiAgentConfig {
    pub system_prompt: MappingValue,
    pub user_prompt: MappingValue,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<MappingValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<MappingValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<MappingValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_iterations: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_delay: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_timeout: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<AiMemory>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Schema>,
    /// Legacy key, accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<Value>,
}

/// AiAgent memory configuration (§7.14).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AiMemory {
    pub conversation_id: MappingValue,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compaction: Option<Value>,
}

impl ExecutionGraph {
    /// Whether step `id` is reached by an AiAgent tool, `memory` or `mcp.*` edge: such steps
    /// run only when the model calls them, with inputs from the run (dsl-spec §7.14).
    pub fn is_ai_side_target(&self, id: &str) -> bool {
        self.execution_plan.iter().any(|e| {
            e.to_step == id
                && !matches!(e.label_kind(), "" | "onError")
                && matches!(self.steps.get(&e.from_step), Some(Step::AiAgent(_)))
        })
    }
}

impl Step {
    /// The step's own `id` field.
    pub fn id(&self) -> &str {
        self.common().0
    }

    /// The step's display name, if any.
    pub fn name(&self) -> Option<&str> {
        self.common().1.as_deref()
    }

    fn common(&self) -> (&String, &Option<String>) {
        match self {
            Step::Finish(s) => (&s.id, &s.name),
            Step::Agent(s) => (&s.id, &s.name),
            Step::Conditional(s) => (&s.id, &s.name),
            Step::Split(s) => (&s.id, &s.name),
            Step::Switch(s) => (&s.id, &s.name),
            Step::EmbedWorkflow(s) => (&s.id, &s.name),
            Step::While(s) => (&s.id, &s.name),
            Step::Log(s) => (&s.id, &s.name),
            Step::Error(s) => (&s.id, &s.name),
            Step::Filter(s) => (&s.id, &s.name),
            Step::GroupBy(s) => (&s.id, &s.name),
            Step::Delay(s) => (&s.id, &s.name),
            Step::WaitForSignal(s) => (&s.id, &s.name),
            Step::AiAgent(s) => (&s.id, &s.name),
        }
    }

    /// The `stepType` discriminator, e.g. `"Agent"`.
    pub fn step_type(&self) -> &'static str {
        match self {
            Step::Finish(_) => "Finish",
            Step::Agent(_) => "Agent",
            Step::Conditional(_) => "Conditional",
            Step::Split(_) => "Split",
            Step::Switch(_) => "Switch",
            Step::EmbedWorkflow(_) => "EmbedWorkflow",
            Step::While(_) => "While",
            Step::Log(_) => "Log",
            Step::Error(_) => "Error",
            Step::Filter(_) => "Filter",
            Step::GroupBy(_) => "GroupBy",
            Step::Delay(_) => "Delay",
            Step::WaitForSignal(_) => "WaitForSignal",
            Step::AiAgent(_) => "AiAgent",
        }
    }

    /// Whether the step checkpoints its envelope (dsl-spec §8.10): a step type that
    /// checkpoints (Agent, AiAgent, Split, EmbedWorkflow, Delay, WaitForSignal), in a graph
    /// whose effective `durable` is `graph_durable`, not turned off with `durable: false`.
    pub fn durable(&self, graph_durable: bool) -> bool {
        let own = match self {
            Step::Agent(s) => s.durable,
            Step::Split(s) => s.durable,
            Step::EmbedWorkflow(s) => s.durable,
            Step::Delay(s) => s.durable,
            Step::WaitForSignal(s) => s.durable,
            Step::AiAgent(s) => s.durable,
            _ => return false,
        };
        graph_durable && own != Some(false)
    }

    /// The connection an Agent or AiAgent step names ([`Connection::None`] for other types).
    pub fn connection(&self) -> Connection<'_> {
        match self {
            Step::Agent(s) => s.connection(),
            Step::AiAgent(s) => s.connection(),
            _ => Connection::None,
        }
    }

    /// Whether the step type may own `onError` edges (dsl-spec §8.5).
    pub fn supports_on_error(&self) -> bool {
        matches!(
            self,
            Step::Agent(_)
                | Step::AiAgent(_)
                | Step::EmbedWorkflow(_)
                | Step::Split(_)
                | Step::While(_)
                | Step::WaitForSignal(_)
        )
    }

    /// Subgraphs owned by this step with their JSON key (`subgraph` or `onWait`).
    pub fn subgraphs(&self) -> Vec<(&'static str, &ExecutionGraph)> {
        match self {
            Step::Split(s) => vec![("subgraph", &*s.subgraph)],
            Step::While(s) => vec![("subgraph", &*s.subgraph)],
            Step::WaitForSignal(s) => s.on_wait.iter().map(|g| ("onWait", &**g)).collect(),
            _ => Vec::new(),
        }
    }
}
