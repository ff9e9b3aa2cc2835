//! Steps (dsl-spec §7): the `stepType`-tagged enum, one struct per step type, their
//! closed config objects and the accessors the compiler shares (durability, connection).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::*;

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
    pub match_type: MatchType,
    #[serde(rename = "match")]
    pub match_value: Value,
    pub output: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
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
    /// Set by [`crate::workflow_agents`], never read from JSON: the called workflow was
    /// published as an agent and runs under this workflow id (its signal ids name it).
    #[serde(skip)] agent_workflow_id: Option<String>,
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
                && !(e.label().is_normal() || e.label() == EdgeLabel::OnError)
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

    /// Whether the step has `breakpoint: true` (pauses before it in debug mode, §7).
    pub fn breakpoint(&self) -> bool {
        let b = match self {
            Step::Finish(s) => s.breakpoint,
            Step::Agent(s) => s.breakpoint,
            Step::Conditional(s) => s.breakpoint,
            Step::Split(s) => s.breakpoint,
            Step::Switch(s) => s.breakpoint,
            Step::EmbedWorkflow(s) => s.breakpoint,
            Step::While(s) => s.breakpoint,
            Step::Log(s) => s.breakpoint,
            Step::Error(s) => s.breakpoint,
            Step::Filter(s) => s.breakpoint,
            Step::GroupBy(s) => s.breakpoint,
            Step::Delay(s) => s.breakpoint,
            Step::WaitForSignal(s) => s.breakpoint,
            Step::AiAgent(s) => s.breakpoint,
        };
        b == Some(true)
    }

    /// [`Step::subgraphs`], mutable.
    pub fn subgraphs_mut(&mut self) -> Vec<&mut ExecutionGraph> {
        match self {
            Step::Split(s) => vec![&mut *s.subgraph],
            Step::While(s) => vec![&mut *s.subgraph],
            Step::WaitForSignal(s) => s.on_wait.iter_mut().map(|g| &mut **g).collect(),
            _ => Vec::new(),
        }
    }
}
